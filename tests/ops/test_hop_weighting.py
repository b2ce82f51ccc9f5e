"""DGMLP's node-adaptive hop weighting against a per-node Python loop and dense references."""

from __future__ import annotations

import math

import pytest
import torch

from graphkit.ops.hop_weighting import (
    hop_scores,
    node_adaptive_hop_weighting,
    stationary_state,
)
from tests.conftest import random_graph
from tests.ops.test_components import components_bfs


def dense_tilde(edge_index, n):
    a = torch.zeros(n, n, dtype=torch.double)
    a.index_put_((edge_index[0], edge_index[1]), torch.ones(edge_index.size(1), dtype=torch.double),
                 accumulate=True)
    missing = a.diagonal() == 0
    a = a + torch.diag(missing.double())
    return a


def cos(a, b, eps=1e-8):
    return float(a @ b) / max(float(a.norm()) * float(b.norm()), eps)


def loop_reference(edge_index, x, num_hops):
    """The same math one node and one hop at a time, from dense matrices (as the official loops)."""
    n = x.size(0)
    a = dense_tilde(edge_index, n)
    deg = a.sum(1)
    a_hat = a / deg.sqrt().unsqueeze(1) / deg.sqrt().unsqueeze(0)
    hops = [x]
    for _ in range(num_hops):
        hops.append(a_hat @ hops[-1])
    _, label = components_bfs(a)
    out = torch.zeros_like(x)
    weights = torch.zeros(n, num_hops + 1, dtype=x.dtype)
    for v in range(n):
        members = [u for u in range(n) if label[u] == label[v]]
        mass = sum(float(deg[u]) for u in members)
        x_inf = sum(float(deg[u]) * x[u] for u in members) / mass
        s = [cos(x[v], h[v]) * (1 - cos(x_inf, h[v])) for h in hops]
        z = sum(math.exp(t) for t in s)
        for k, h in enumerate(hops):
            weights[v, k] = math.exp(s[k]) / z
            out[v] += weights[v, k] * h[v]
    return out, weights


def graph(seed, n=10, e=8, isolated=2):
    edge_index = random_graph(n, e, seed)
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n + isolated, 5, generator=gen, dtype=torch.double)
    return edge_index, x


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("num_hops", [0, 1, 5])
@pytest.mark.parametrize("sparse_features", [False, True], ids=["dense-x", "sparse-x"])
def test_matches_per_node_loop_reference(extensions, seed, num_hops, sparse_features):
    edge_index, x = graph(seed)
    x[2] = 0  # a zero feature row
    if sparse_features:  # mostly zeros, like bag-of-words: the dot products take the gather path
        x = x * (torch.rand(x.shape, generator=torch.Generator().manual_seed(seed)) < 0.2)
    out, w = node_adaptive_hop_weighting(edge_index, x, num_hops, num_nodes=x.size(0), return_weights=True)
    ref_out, ref_w = loop_reference(edge_index, x, num_hops)
    assert out.shape == x.shape and w.shape == (x.size(0), num_hops + 1)
    torch.testing.assert_close(w, ref_w)
    torch.testing.assert_close(out, ref_out)
    torch.testing.assert_close(w.sum(1), torch.ones(x.size(0), dtype=x.dtype))


def test_isolated_nodes_get_uniform_weights_and_no_nan():
    edge_index = torch.tensor([[0, 1], [1, 0]])
    x = torch.tensor([[1.0, 0.0], [0.0, 1.0], [3.0, 4.0], [0.0, 0.0]])
    out, w = node_adaptive_hop_weighting(edge_index, x, 4, num_nodes=4, return_weights=True)
    assert torch.isfinite(out).all() and torch.isfinite(w).all()
    torch.testing.assert_close(w[2:], torch.full((2, 5), 0.2))
    torch.testing.assert_close(out[2:], x[2:])


def test_stationary_state_is_degree_weighted_component_mean():
    # path 0-1-2 (degrees with loop 2, 3, 2) and an edge 3-4, node 5 isolated
    edge_index = torch.tensor([[0, 1, 1, 2, 3, 4], [1, 0, 2, 1, 4, 3]])
    x = torch.arange(12, dtype=torch.float).view(6, 2)
    got = stationary_state(edge_index, x, num_nodes=6)
    first = (2 * x[0] + 3 * x[1] + 2 * x[2]) / 7
    second = (x[3] + x[4]) / 2
    torch.testing.assert_close(got, torch.stack([first, first, first, second, second, x[5]]))


def test_stationary_state_without_self_loops_uses_plain_degrees():
    edge_index = torch.tensor([[0, 1, 1, 2, 3, 4], [1, 0, 2, 1, 4, 3]])
    x = torch.arange(12, dtype=torch.double).view(6, 2)
    got = stationary_state(edge_index, x, num_nodes=6, add_self_loops=False)
    first = (x[0] + 2 * x[1] + x[2]) / 4
    second = (x[3] + x[4]) / 2
    zero = torch.zeros(2, dtype=torch.double)  # isolated node of degree 0: no mass, x_inf = 0 (never NaN)
    torch.testing.assert_close(got, torch.stack([first, first, first, second, second, zero]))
    assert got.dtype == torch.double


def test_hop_scores_bounds():
    gen = torch.Generator().manual_seed(0)
    x, h, inf = (torch.randn(50, 4, generator=gen) for _ in range(3))
    s = hop_scores(x, h, inf)
    assert s.shape == (50,) and bool((s.abs() <= 2 + 1e-6).all())


def test_bad_input():
    edge_index, x = graph(0)
    with pytest.raises(ValueError, match="num_hops must be >= 0"):
        node_adaptive_hop_weighting(edge_index, x, -1, num_nodes=x.size(0))
    with pytest.raises(TypeError, match="num_hops must be an int"):
        node_adaptive_hop_weighting(edge_index, x, 2.5, num_nodes=x.size(0))
    with pytest.raises(ValueError, match="rows"):
        node_adaptive_hop_weighting(edge_index, x[:5], 2, num_nodes=x.size(0))
    with pytest.raises(TypeError, match="floating"):
        node_adaptive_hop_weighting(edge_index, x.long(), 2, num_nodes=x.size(0))
    with pytest.raises(ValueError, match="eps must be > 0"):
        node_adaptive_hop_weighting(edge_index, x, 2, num_nodes=x.size(0), eps=0)
    with pytest.raises(TypeError, match="eps must be a real number"):
        node_adaptive_hop_weighting(edge_index, x, 2, num_nodes=x.size(0), eps="1e-8")
