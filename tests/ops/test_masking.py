"""Feature and edge masking: counts, determinism, layouts."""

from __future__ import annotations

import pytest
import torch

from graphkit.ops.masking import mask_edges, mask_features


@pytest.mark.parametrize("rate", [0.0, 0.3, 1.0])
def test_mask_features_dense_and_sparse(rate):
    gen = torch.Generator().manual_seed(0)
    x = (torch.rand(20, 7, generator=gen) < 0.4).float() * torch.rand(20, 7, generator=gen)
    nnz = int((x != 0).sum())
    out = mask_features(x, rate, generator=torch.Generator().manual_seed(1))
    assert int((out != 0).sum()) == nnz - int(rate * nnz)
    assert bool(((out == x) | (out == 0)).all()) and x.ne(0).sum() == nnz  # input untouched
    again = mask_features(x, rate, generator=torch.Generator().manual_seed(1))
    assert torch.equal(out, again)
    sparse = mask_features(x.to_sparse(), rate, generator=torch.Generator().manual_seed(1))
    assert sparse.layout == torch.sparse_coo
    assert torch.equal(sparse.to_dense(), out)  # same positions drawn in the same (row-major) order


def test_mask_edges_drops_loops_and_a_share():
    ei = torch.tensor([[0, 0, 1, 1, 2, 2, 3, 3, 3], [0, 1, 0, 2, 1, 2, 1, 2, 0]])
    kept = mask_edges(ei, 0.5, generator=torch.Generator().manual_seed(0))
    off = ei[:, ei[0] != ei[1]]
    assert kept.size(1) == off.size(1) - 3
    assert bool((kept[0] != kept[1]).all())
    pairs = {tuple(p) for p in off.t().tolist()}
    assert {tuple(p) for p in kept.t().tolist()} <= pairs
    assert torch.equal(mask_edges(ei, 0.0), off)


def test_bad_rates():
    with pytest.raises(ValueError, match="rate"):
        mask_features(torch.ones(2, 2), 1.5)
    with pytest.raises(TypeError, match="rate"):
        mask_edges(torch.tensor([[0], [1]]), "half")
