"""fastrp_embedding against a dense float64 reference of the documented math (random graphs, every switch)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import graphkit.ops.fastrp as fastrp_ops
import graphkit.ops.power_sum as power_sum_ops
from graphkit.ops.csr import as_csr
from graphkit.ops.fastrp import fastrp_embedding
from graphkit.ops.random_projection import resolve_sparsity, sparse_random_projection
from tests.conftest import random_graph


def dense_adjacency(edge_index, num_nodes, edge_weight=None):
    a = np.zeros((num_nodes, num_nodes))
    w = np.ones(edge_index.size(1)) if edge_weight is None else edge_weight.double().numpy()
    np.add.at(a, (edge_index[0].numpy(), edge_index[1].numpy()), w)
    return a


def reference(a, dim, weights=(0, 0, 1, 1), beta=0.0, s="sqrt", normalize=True, self_influence=0.0,
              standardize=True, seed=0, x=None, feature_ratio=0.0):
    """The documented math with dense float64 numpy matrices (feature_ratio as FastRP: d_f = round(dim * ratio))."""
    n = a.shape[0]
    deg = a.sum(1)
    pos = deg > 0
    S = np.where(pos[:, None], a / np.where(pos, deg, 1)[:, None], 0.0)
    L = np.where(pos, np.where(pos, deg, 1.0) ** beta, 1.0)
    d_feat = round(dim * feature_ratio) if feature_ratio > 0 else 0
    d_base = dim - d_feat
    gen = torch.Generator().manual_seed(seed)
    R = sparse_random_projection(n, d_base, seed=gen, s=resolve_sparsity(s, n), dtype=torch.float64,
                                 layout=torch.strided).numpy()
    v0 = np.zeros((n, dim))
    v0[:, :d_base] = L[:, None] * R / math.sqrt(max(d_base, 1))
    if d_feat:
        W = sparse_random_projection(x.shape[1], d_feat, seed=gen, s=resolve_sparsity(s, x.shape[1]),
                                     dtype=torch.float64, layout=torch.strided).numpy()
        v0[:, d_base:] = x.double().numpy() @ W / math.sqrt(d_feat)

    def nu(m):
        if not normalize:
            return m
        norm = np.linalg.norm(m, axis=1, keepdims=True)
        return np.where(norm > 0, m / np.where(norm > 0, norm, 1), 0.0)

    emb = self_influence * nu(v0)
    power = v0
    for w in weights:
        power = S @ power
        emb = emb + w * nu(power)
    if standardize:
        std = emb.std(0)
        std = np.where(std < 10 * np.finfo(np.float64).eps, 1.0, std)
        emb = (emb - emb.mean(0)) / std
    return emb


def close(emb, ref, tol=2e-4):
    assert emb.shape == ref.shape
    assert torch.isfinite(emb).all()
    np.testing.assert_allclose(emb.double().numpy(), ref, atol=tol, rtol=tol)


# num_nodes > max id leaves isolated nodes; random_graph has self-loops and duplicates
GRAPHS = [(30, 60, True), (50, 200, True), (40, 150, False)]
WEIGHT_SETS = [(0.0, 0.0, 1.0, 1.0), (1.0, 1.0, 7.81, 45.28), (2.0,), (0.0, 1.0), (1.0, 0.0, 0.0, 2.0),
               (1.0, 1.0, 1.0, 1.0, 1.0), (0.5, -1.0, 2.0)]


@pytest.mark.parametrize("num_nodes,num_edges,undirected", GRAPHS)
@pytest.mark.parametrize("weights", WEIGHT_SETS)
@pytest.mark.parametrize("s", ["sqrt", 40.0])  # 'sqrt' is dense here (1/s > 1/32); 40 takes the sparse first power
def test_matches_dense_reference(num_nodes, num_edges, undirected, weights, s):
    edge_index = random_graph(num_nodes - 3, num_edges, seed=num_edges, undirected=undirected)
    emb = fastrp_embedding(as_csr(edge_index, num_nodes), 16, weights, normalization_strength=-0.6, s=s, seed=3)
    close(emb, reference(dense_adjacency(edge_index, num_nodes), 16, weights, beta=-0.6, s=s, seed=3))


@pytest.mark.parametrize("s", ["sqrt", 40.0])
@pytest.mark.parametrize("normalize,standardize", [(True, False), (False, True), (False, False)])
def test_switches(s, normalize, standardize):
    edge_index = random_graph(37, 120, seed=1)
    emb = fastrp_embedding(as_csr(edge_index, 40), 12, (1.0, 2.0, 3.0), normalization_strength=0.3, s=s,
                           normalize_rows=normalize, standardize=standardize, self_influence=0.7, seed=5)
    ref = reference(dense_adjacency(edge_index, 40), 12, (1.0, 2.0, 3.0), beta=0.3, s=s, normalize=normalize,
                    standardize=standardize, self_influence=0.7, seed=5)
    close(emb, ref, tol=1e-4 if standardize else 1e-5)


def test_weights_features_and_generator_seed():
    edge_index = random_graph(35, 140, seed=4, undirected=False)
    weight = torch.rand(edge_index.size(1), generator=torch.Generator().manual_seed(0)) * 3
    weight[::7] = 0.0  # zero weights are edges that contribute nothing
    a = dense_adjacency(edge_index, 40, weight)
    for s in ("sqrt", 40.0):
        emb = fastrp_embedding(as_csr(edge_index, 40, weight), 16, (1, 1, 2), normalization_strength=-0.5, s=s,
                               seed=1)
        close(emb, reference(a, 16, (1, 1, 2), beta=-0.5, s=s, seed=1))
    x = torch.randn(40, 5, generator=torch.Generator().manual_seed(1))
    emb = fastrp_embedding(as_csr(edge_index, 40), 16, (1, 1, 1), self_influence=0.5, x=x, feature_dim=4,
                           seed=torch.Generator().manual_seed(2))  # a generator works as the seed
    close(emb, reference(dense_adjacency(edge_index, 40), 16, (1, 1, 1), self_influence=0.5, seed=2, x=x,
                         feature_ratio=0.25))


@pytest.mark.parametrize("reorder", ["degree", "rcm"])
def test_internal_node_order_does_not_change_the_output(reorder):
    edge_index = random_graph(300, 2000, seed=3, undirected=False)
    adj = as_csr(edge_index, 305)
    for s in ("sqrt", 40.0):
        base = fastrp_embedding(adj, 16, (1, 1, 2, 3), normalization_strength=-0.5, s=s, seed=1)
        other = fastrp_embedding(adj, 16, (1, 1, 2, 3), normalization_strength=-0.5, s=s, reorder=reorder, seed=1)
        # rows keep their entry order, so the products are the same; only the column statistics are summed
        # in another order
        assert torch.allclose(base, other, atol=1e-5, rtol=0)
        assert torch.equal(base, fastrp_embedding(adj, 16, (1, 1, 2, 3), normalization_strength=-0.5, s=s,
                                                  reorder="none", seed=1))


def test_row_blocks_buffers_and_dtype(monkeypatch):
    edge_index = random_graph(90, 500, seed=5)
    adj = as_csr(edge_index, 90)
    ref = reference(dense_adjacency(edge_index, 90), 10, (1, 1, 2, 3), beta=-0.3, seed=0)
    monkeypatch.setattr(power_sum_ops, "_CHUNK_CELLS", 70)  # 7 rows per block
    close(fastrp_embedding(adj, 10, (1, 1, 2, 3), normalization_strength=-0.3), ref)
    monkeypatch.setattr(power_sum_ops, "_NUMPY_BUFFERS", False)
    close(fastrp_embedding(adj, 10, (1, 1, 2, 3), normalization_strength=-0.3), ref)
    emb64 = fastrp_embedding(adj, 10, (1, 1, 2, 3), normalization_strength=-0.3, dtype=torch.float64)
    assert emb64.dtype == torch.float64
    close(emb64, ref, tol=1e-10)


def test_sparse_and_dense_first_power_agree(monkeypatch):
    edge_index = random_graph(200, 1200, seed=6)
    adj = as_csr(edge_index, 200)
    sparse = fastrp_embedding(adj, 32, (1, 1, 7.81, 45.28), s=40.0, self_influence=0.3, seed=2)
    monkeypatch.setattr(fastrp_ops, "_SPARSE_FIRST_POWER_DENSITY", 0.0)  # force a dense V_0
    dense = fastrp_embedding(adj, 32, (1, 1, 7.81, 45.28), s=40.0, self_influence=0.3, seed=2)
    assert torch.allclose(sparse, dense, atol=1e-5)


def test_isolated_nodes_and_empty_graph_are_never_nan():
    edge_index = torch.tensor([[0, 1, 1, 2, 3, 4], [1, 0, 2, 1, 3, 4]])  # 5..9 isolated, 4 a self-loop only
    for s in (1.0, "sqrt", 40.0):
        raw = fastrp_embedding(as_csr(edge_index, 10), 8, (0, 0, 1, 1), s=s, standardize=False)
        assert torch.isfinite(raw).all() and torch.equal(raw[5:], torch.zeros(5, 8))
    empty = fastrp_embedding(as_csr(torch.empty(2, 0, dtype=torch.long), 4), 8, (1.0,))
    assert torch.equal(empty, torch.zeros(4, 8))


def test_errors():
    adj = as_csr(random_graph(10, 20, seed=0), 10)
    with pytest.raises(ValueError, match="feature_dim must be in"):
        fastrp_embedding(adj, 8, (1.0,), feature_dim=9)
    with pytest.raises(ValueError, match="exactly when feature_dim > 0"):
        fastrp_embedding(adj, 8, (1.0,), feature_dim=2)
    with pytest.raises(ValueError, match="weights is empty"):
        fastrp_embedding(adj, 8, ())
    with pytest.raises(ValueError, match="square"):
        fastrp_embedding(adj._replace(num_cols=11), 8, (1.0,))
