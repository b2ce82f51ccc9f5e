"""ColumnStats: streamed means / population stds against numpy on the whole matrix."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from graphkit.ops.column_stats import ColumnStats


@pytest.mark.parametrize("dtype, tol", [(torch.float32, 1e-5), (torch.float64, 1e-12)])
@pytest.mark.parametrize("block", [1, 7, 64, 1000])
def test_blocks_match_numpy(dtype, tol, block):
    gen = torch.Generator().manual_seed(0)
    x = (torch.randn(300, 9, generator=gen, dtype=torch.float64) * torch.arange(1, 10) + 5.0).to(dtype)
    stats = ColumnStats()
    for r0 in range(0, 300, block):
        stats.update(x[r0:r0 + block])
    ref = x.double().numpy()
    np.testing.assert_allclose(stats.mean().numpy(), ref.mean(0), rtol=tol, atol=tol)
    np.testing.assert_allclose(stats.std().numpy(), ref.std(0), rtol=tol, atol=tol)
    scale, shift = stats.affine(dtype)
    assert scale.dtype == shift.dtype == dtype
    out = (x * scale + shift).double().numpy()
    np.testing.assert_allclose(out, (ref - ref.mean(0)) / ref.std(0), atol=20 * tol)


def test_large_offset_does_not_cancel_the_variance():
    # float32 values 1e4 + small noise: a naive E[x^2] - E[x]^2 in float32 loses the variance
    gen = torch.Generator().manual_seed(1)
    noise = torch.randn(5000, 3, generator=gen, dtype=torch.float64) * 1e-2
    x = (1e4 + noise).float()
    stats = ColumnStats()
    for r0 in range(0, 5000, 333):
        stats.update(x[r0:r0 + 333])
    ref = x.double().numpy().std(0)
    np.testing.assert_allclose(stats.std().numpy(), ref, rtol=1e-3)


def test_constant_columns_are_only_centred_and_updates_do_not_touch_the_input():
    x = torch.tensor([[1.0, 2.0], [3.0, 2.0], [5.0, 2.0]])
    before = x.clone()
    stats = ColumnStats()
    stats.update(x[:0])  # empty blocks are skipped
    stats.update(x)
    assert torch.equal(x, before)
    scale, shift = stats.affine(torch.float32)
    out = x * scale + shift
    assert torch.equal(out[:, 1], torch.zeros(3))  # std 0 counts as 1: centred only
    assert torch.allclose(out[:, 0], torch.tensor([-1.2247449, 0.0, 1.2247449]), atol=1e-6)
    assert stats.count == 3


def test_no_rows_raises():
    with pytest.raises(ValueError, match="seen no rows"):
        ColumnStats().affine(torch.float32)
