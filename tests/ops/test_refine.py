"""Refinement kernels against dense references: edge similarities, pruning, chunked top-k, STABLE's norm."""

import math

import numpy as np
import pytest
import torch

import graphkit.ops.refine as refine
from graphkit.ops.refine import (
    add_edges,
    advanced_gcn_norm,
    coalesce_edges,
    cosine_prune,
    cosine_similarity_on_edges,
    cosine_topk,
    is_one_hot_identity,
    jaccard_prune,
    jaccard_similarity,
)


def random_graph(n=30, p=0.2, seed=0, symmetric=True):
    g = torch.Generator().manual_seed(seed)
    a = torch.rand(n, n, generator=g) < p
    a.fill_diagonal_(False)
    if symmetric:
        a = a | a.T
    return a.nonzero().T.contiguous()


def binary_features(n=30, f=12, seed=0, zero_rows=(3, 7)):
    g = torch.Generator().manual_seed(seed)
    x = (torch.rand(n, f, generator=g) < 0.3).float()
    x[list(zero_rows)] = 0
    return x


def dense_jaccard(x, edge_index):
    a = (x != 0).numpy()
    out = []
    for i, j in edge_index.T.tolist():
        inter = np.logical_and(a[i], a[j]).sum()
        union = np.logical_or(a[i], a[j]).sum()
        out.append(inter / union if union else 0.0)
    return torch.tensor(out, dtype=torch.float32)


@pytest.mark.parametrize("chunk_size", [None, 1, 7])
def test_jaccard_matches_dense(chunk_size):
    x, ei = binary_features(), random_graph()
    x[0, 0] = 2.5  # only the non-zero pattern counts
    assert torch.allclose(jaccard_similarity(x, ei, chunk_size=chunk_size), dense_jaccard(x, ei))


def test_jaccard_prune_threshold_and_empty_rows():
    x, ei = binary_features(), random_graph()
    ei = coalesce_edges(torch.cat([ei[0], torch.tensor([3, 7])]), torch.cat([ei[1], torch.tensor([7, 3])]), 30)
    sim = dense_jaccard(x, ei)
    keep = jaccard_prune(x, ei, 0.2)
    empty = ((x != 0).sum(1) == 0)
    both_empty = empty[ei[0]] & empty[ei[1]]
    assert torch.equal(keep, (sim >= 0.2) | both_empty)
    assert bool(both_empty.any())
    # a symmetric graph stays symmetric
    kept = ei[:, keep]
    assert torch.equal(coalesce_edges(kept[0], kept[1], 30), coalesce_edges(kept[1], kept[0], 30))
    assert bool(jaccard_prune(x, ei, 0.0).all())
    # the official rule: J < t is dropped, J == t kept
    tiny = torch.tensor([[1.0, 1.0, 0.0], [1.0, 0.0, 1.0]])
    assert jaccard_prune(tiny, torch.tensor([[0], [1]]), 1 / 3).tolist() == [True]
    assert jaccard_prune(tiny, torch.tensor([[0], [1]]), 0.34).tolist() == [False]


def test_edge_between_two_featureless_nodes_is_kept():
    x = torch.zeros(3, 4)
    x[2, 0] = 1
    keep = jaccard_prune(x, torch.tensor([[0, 0], [1, 2]]), 0.5)
    assert keep.tolist() == [True, False]


@pytest.mark.parametrize("chunk_size", [None, 3])
def test_cosine_on_edges_matches_dense(chunk_size):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(30, 8, generator=g)
    x[5] = 0
    ei = random_graph()
    ref = torch.tensor([float(x[i] @ x[j] / (x[i].norm() * x[j].norm() + 1e-8)) for i, j in ei.T.tolist()])
    assert torch.allclose(cosine_similarity_on_edges(x, ei, chunk_size=chunk_size), ref, atol=1e-6)
    keep = cosine_prune(x, ei, 0.1, chunk_size=chunk_size)
    assert torch.equal(keep, ref > 0.1)


def test_cosine_prune_drops_equal_to_threshold():
    x = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    assert cosine_prune(x, torch.tensor([[0], [1]]), 0.0).tolist() == [False]  # cos = 0 <= 0


def dense_topk(x, k, candidates=None, include_self=False, excluded=-math.inf):
    unit = x / x.norm(dim=1, keepdim=True).clamp(min=1e-30)
    sim = unit @ unit.T
    if candidates is not None:
        sim[:, ~candidates] = excluded
    if not include_self:
        sim.fill_diagonal_(-math.inf)
    return sim.topk(k, dim=1)


@pytest.mark.parametrize("chunk_size", [None, 1, 4, 100])
@pytest.mark.parametrize("include_self", [False, True])
def test_cosine_topk_matches_dense(chunk_size, include_self):
    g = torch.Generator().manual_seed(2)
    x = torch.randn(23, 6, generator=g, dtype=torch.double)
    candidates = torch.rand(23, generator=g) > 0.3
    index, score = cosine_topk(x, 4, candidates=candidates, include_self=include_self, chunk_size=chunk_size)
    ref = dense_topk(x, 4, candidates, include_self)
    assert torch.allclose(score, ref.values)
    assert torch.equal(index, ref.indices)
    assert bool(candidates[index].all())
    if not include_self:
        assert not bool((index == torch.arange(23)[:, None]).any())


def test_cosine_topk_official_excluded_value_and_too_few_candidates():
    x = torch.tensor([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    candidates = torch.tensor([False, True, True, False])
    # node 0: the candidates have similarity -1 and 0; the official zero for non-candidates ties with node 2
    index, score = cosine_topk(x, 2, candidates=candidates, excluded_value=0.0, include_self=True)
    assert score[0].tolist() == [0.0, 0.0]
    index, score = cosine_topk(x, 3, candidates=candidates)
    # two candidates, and a candidate cannot choose itself: the rest are -inf
    assert score.isfinite().sum(dim=1).tolist() == [2, 1, 1, 2] and bool(torch.isinf(score[:, 2]).all())
    with pytest.raises(ValueError, match="k=5 exceeds the number of nodes"):
        cosine_topk(x, 5)
    with pytest.raises(ValueError, match="k must be >= 0"):
        cosine_topk(x, -1)
    assert cosine_topk(x, 0)[0].shape == (4, 0)


def test_cosine_topk_never_builds_n_by_n(monkeypatch):
    shapes = []
    real = torch.Tensor.topk

    def spy(self, *args, **kwargs):
        shapes.append(tuple(self.shape))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(refine, "_TOPK_CHUNK_ELEMENTS", 100)
    monkeypatch.setattr(torch.Tensor, "topk", spy)
    x = torch.randn(50, 4)
    index, _ = cosine_topk(x, 3)
    assert shapes and all(rows * cols <= 100 for rows, cols in shapes) and max(r for r, _ in shapes) < 50
    monkeypatch.setattr(torch.Tensor, "topk", real)
    assert torch.equal(index, dense_topk(x, 3).indices)


def test_add_edges_symmetric_directed_and_self_loops():
    ei = torch.tensor([[0, 1], [1, 0]])
    out = add_edges(ei, torch.tensor([2, 2, 1]), torch.tensor([0, 2, 0]), 3)
    assert out.tolist() == [[0, 0, 1, 2], [1, 2, 0, 0]]  # the loop (2, 2) dropped, (1, 0) already there
    out = add_edges(ei, torch.tensor([2]), torch.tensor([0]), 3, symmetric=False)
    assert out.tolist() == [[0, 1, 2], [1, 0, 0]]
    out = add_edges(ei, torch.tensor([2]), torch.tensor([2]), 3, self_loops=True)
    assert out.tolist() == [[0, 1, 2], [1, 0, 2]]


def official_adj_new_norm(dense, alpha):
    """STABLE's utils.adj_new_norm on a dense numpy matrix (without .cuda())."""
    adj = dense + np.eye(dense.shape[0])
    degree = adj.sum(1)
    adj = adj * np.power(degree[None, :], alpha) * np.power(degree[:, None], alpha)
    if alpha != -0.5:
        return adj / adj.sum(1, keepdims=True)
    return adj


@pytest.mark.parametrize("alpha", [-0.5, -0.3, 0.0, 0.3, 0.6, 2.0])
@pytest.mark.parametrize("symmetric", [True, False])
def test_advanced_gcn_norm_matches_official(alpha, symmetric):
    ei = random_graph(n=15, p=0.25, seed=3, symmetric=symmetric)
    dense = torch.zeros(15, 15)
    dense[ei[0], ei[1]] = 1
    out = advanced_gcn_norm(ei, alpha, 15).to_dense(torch.double)
    assert torch.allclose(out, torch.from_numpy(official_adj_new_norm(dense.double().numpy(), alpha)))


def test_advanced_gcn_norm_ignores_duplicates():
    ei = torch.tensor([[0, 0, 1], [1, 1, 0]])
    assert torch.allclose(advanced_gcn_norm(ei, 0.5, 2).to_dense(), advanced_gcn_norm(ei[:, 1:], 0.5, 2).to_dense())


def test_one_hot_identity():
    x = torch.zeros(4, 6)
    x[torch.arange(4), torch.tensor([5, 0, 2, 3])] = 1  # PolBlogs: identity rows of the raw graph, LCC subset
    assert is_one_hot_identity(x)
    assert not is_one_hot_identity(torch.ones(4, 6))
    x[1, 0], x[1, 5] = 0, 1  # two nodes share a column
    assert not is_one_hot_identity(x)
    assert not is_one_hot_identity(torch.zeros(2, 2))


def test_bad_input():
    x, ei = binary_features(), random_graph()
    with pytest.raises(ValueError, match="threshold must be <= 1"):
        jaccard_prune(x, ei, 1.5)
    with pytest.raises(ValueError, match="threshold must be >= -1"):
        cosine_prune(x, ei, -2)
    with pytest.raises(TypeError, match="floating point"):
        jaccard_similarity(x.long(), ei)
    with pytest.raises(ValueError, match="node id"):
        jaccard_similarity(x[:5], ei)
