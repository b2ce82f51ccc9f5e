"""Edge dropout and per-row sub-sampling of CSR entries, against dense references."""

from __future__ import annotations

import pytest
import torch

from graphkit.ops.csr import CSR, symmetric_csr
from graphkit.ops.csr_sampling import drop_entries, subsample_rows


def _graph(n=12, m=30, seed=0):
    gen = torch.Generator().manual_seed(seed)
    ei = torch.randint(0, n, (2, m), generator=gen)
    ei = ei[:, ei[0] != ei[1]]
    return symmetric_csr(torch.cat([ei, ei.flip(0)], 1), n)


def _pattern(csr: CSR) -> torch.Tensor:
    return csr.to_dense() > 0


def test_subsample_rows_caps_rows_and_reweights():
    csr = _graph(20, 120)
    out = subsample_rows(csr, 3, generator=torch.Generator().manual_seed(0))
    deg = csr.degree()
    assert torch.equal(out.degree(), deg.clamp_max(3))
    # weights: rowcount / k on sampled rows, 1 elsewhere -> every row's weight sum equals its degree
    sums = torch.zeros(20).index_add_(0, out.row(), out.value)
    assert torch.allclose(sums, deg.float())
    assert bool((_pattern(out) <= _pattern(csr)).all())  # only existing entries, no duplicates
    assert out.to_dense().max() <= deg.max() / 3 + 1e-6
    assert subsample_rows(csr, -1) is csr and subsample_rows(csr, int(deg.max())) is csr


def test_subsample_rows_multiplies_existing_values_and_is_unbiased():
    csr = _graph(10, 60, seed=3)
    weighted = csr.with_value(torch.arange(1, csr.nnz + 1, dtype=torch.float))
    out = subsample_rows(weighted, 2, generator=torch.Generator().manual_seed(1))
    dense_in, dense_out = weighted.to_dense(), out.to_dense()
    count = csr.degree().float().unsqueeze(1)
    kept = dense_out > 0
    expected = torch.where(count > 2, dense_in * count / 2, dense_in)
    torch.testing.assert_close(dense_out[kept], expected[kept])
    # the expected row sum over many draws is the row sum: E[Σ w'] = Σ w
    gen = torch.Generator().manual_seed(2)
    mean = sum(subsample_rows(weighted, 2, generator=gen).to_dense() for _ in range(2000)) / 2000
    torch.testing.assert_close(mean.sum(1), dense_in.sum(1), rtol=0.05, atol=0.5)


def test_drop_entries_scales_and_keeps_subset():
    csr = _graph(30, 200)
    torch.manual_seed(0)
    out = drop_entries(csr, 0.5)
    assert 0 < out.nnz < csr.nnz
    assert torch.allclose(out.value, torch.full_like(out.value, 2.0))
    assert bool((_pattern(out) <= _pattern(csr)).all())
    # kept entries keep their row and order: the dense matrix is the masked one, scaled
    weighted = csr.with_value(torch.rand(csr.nnz, generator=torch.Generator().manual_seed(4)))
    gen = torch.Generator().manual_seed(5)
    keep = torch.rand(csr.nnz, generator=torch.Generator().manual_seed(5)) > 0.25
    got = drop_entries(weighted, 0.25, generator=gen)
    torch.testing.assert_close(got.to_dense(), weighted.with_value(weighted.value * keep / 0.75).to_dense())
    assert drop_entries(csr, 0.0) is csr
    with pytest.raises(ValueError, match="edge dropout"):
        drop_entries(csr, 1.0)
    with pytest.raises(TypeError, match="edge dropout"):
        drop_entries(csr, "0.5")
