"""Low-rank GCN propagation against the dense truncated-SVD reference (DeepRobust's GCNSVD + normalize_adj_tensor)."""

import numpy as np
import pytest
import torch

from graphkit.ops.low_rank import LowRankAdjacency, low_rank_adjacency, low_rank_propagate


def graph(n=40, p=0.15, seed=0):
    g = torch.Generator().manual_seed(seed)
    a = torch.rand(n, n, generator=g) < p
    a = torch.triu(a, 1)
    a = a | a.T
    return a.nonzero().T.contiguous(), a.double().numpy()


def deeprobust_reference(dense, k):
    """GCNSVD.truncatedSVD (dense branch) then normalize_adj_tensor: D^-1/2 (L + I) D^-1/2."""
    u, s, vt = np.linalg.svd(dense)
    low = u[:, :k] @ np.diag(s[:k]) @ vt[:k]
    mx = low + np.eye(len(dense))
    d = mx.sum(1)
    r = np.where(d > 0, np.abs(d) ** -0.5, 0.0)
    return r[:, None] * mx * r[None, :]


@pytest.mark.parametrize("rank", [5, 12, 39, 40])
def test_matches_dense_truncated_svd(rank):
    ei, dense = graph()
    adj = low_rank_adjacency(ei, 40, rank, dtype=torch.double)
    ref = torch.from_numpy(deeprobust_reference(dense, rank))
    assert torch.allclose(adj.to_dense(), ref, atol=1e-8)
    h = torch.randn(40, 3, dtype=torch.double)
    assert torch.allclose(low_rank_propagate(adj, h), ref @ h, atol=1e-8)


def test_full_rank_is_the_gcn_matrix():
    ei, dense = graph(n=12, p=0.3)
    adj = low_rank_adjacency(ei, 12, 12, dtype=torch.double)
    a = dense + np.eye(12)
    d = a.sum(1) ** -0.5
    assert torch.allclose(adj.to_dense(), torch.from_numpy(d[:, None] * a * d[None, :]), atol=1e-10)


def test_seeded_and_bad_input():
    ei, _ = graph()
    a, b = low_rank_adjacency(ei, 40, 6, seed=1), low_rank_adjacency(ei, 40, 6, seed=1)
    assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))
    assert isinstance(a, LowRankAdjacency) and a.rank == 6 and a.num_nodes == 40
    with pytest.raises(ValueError, match="rank must be <= 40"):
        low_rank_adjacency(ei, 40, 41)
    with pytest.raises(ValueError, match="rank must be >= 1"):
        low_rank_adjacency(ei, 40, 0)
    with pytest.raises(ValueError, match="h has 3 rows"):
        low_rank_propagate(a, torch.ones(3, 2))
    with pytest.raises(TypeError, match="LowRankAdjacency"):
        low_rank_propagate(ei, torch.ones(40, 2))


def test_non_positive_row_sums_give_zero_rows_not_nan():
    # a star: the rank-1 approximation of a bipartite graph can have negative row sums
    ei = torch.tensor([[0, 0, 0, 1, 2, 3], [1, 2, 3, 0, 0, 0]])
    adj = low_rank_adjacency(ei, 4, 1, dtype=torch.double)
    out = low_rank_propagate(adj, torch.ones(4, 2, dtype=torch.double))
    assert bool(torch.isfinite(out).all())
