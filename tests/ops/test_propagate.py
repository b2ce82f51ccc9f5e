"""propagate_hops / iter_hops against dense matrix powers, with and without torch-sparse."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest
import torch

from graphkit.ops import as_csr, iter_hops, propagate_hops, sym_norm
from tests.conftest import random_graph


def dense_matrix(edge_index, num_nodes, edge_weight=None, dtype=torch.double):
    value = torch.ones(edge_index.size(1), dtype=dtype) if edge_weight is None else edge_weight.to(dtype)
    return torch.zeros(num_nodes, num_nodes, dtype=dtype).index_put((edge_index[0], edge_index[1]), value, accumulate=True)


def dense_hops(a, x, num_hops):
    out = [x]
    for _ in range(num_hops):
        out.append(a @ out[-1])
    return out


def features(num_nodes, num_features, seed, **kwargs):
    gen = torch.Generator().manual_seed(4000 + seed)
    return torch.randn(num_nodes, num_features, generator=gen, dtype=torch.double, **kwargs)


@pytest.mark.parametrize("num_nodes,num_edges", [(1, 0), (5, 0), (8, 6), (30, 50)])
@pytest.mark.parametrize("num_hops", [0, 1, 4])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_propagate_hops_with_sym_norm_matches_dense_powers(extensions, num_nodes, num_edges, num_hops, seed):
    n = num_nodes + 2  # isolated nodes
    edge_index = random_graph(num_nodes, num_edges, seed)
    adj = sym_norm(edge_index, n, dtype=torch.double)
    x = features(n, 3, seed)
    hops = propagate_hops(adj, x, num_hops)
    expected = dense_hops(adj.to_dense(torch.double), x, num_hops)
    assert len(hops) == num_hops + 1
    for h, e in zip(hops, expected, strict=True):
        torch.testing.assert_close(h, e)


@pytest.mark.parametrize("seed", [0, 1])
def test_propagate_hops_raw_edge_index_with_weights(extensions, seed):
    # A is used exactly as given (no normalisation, no loops)
    edge_index = random_graph(12, 20, seed, undirected=False)
    edge_weight = torch.rand(edge_index.size(1), generator=torch.Generator().manual_seed(seed), dtype=torch.double)
    x = features(14, 2, seed)
    hops = propagate_hops(edge_index, x, 3, edge_weight=edge_weight)
    expected = dense_hops(dense_matrix(edge_index, 14, edge_weight), x, 3)
    for h, e in zip(hops, expected, strict=True):
        torch.testing.assert_close(h, e)
    hops = propagate_hops(edge_index, x, 2, edge_weight=edge_weight, num_nodes=14)
    torch.testing.assert_close(hops[2], expected[2])


def test_iter_hops_is_a_generator_and_propagate_hops_is_its_list(extensions):
    edge_index = random_graph(10, 20, 0)
    adj = sym_norm(edge_index, 10)
    x = torch.randn(10, 4, generator=torch.Generator().manual_seed(0))
    gen = iter_hops(adj, x, 3)
    assert isinstance(gen, Iterator)
    first = next(gen)
    assert first is x  # hop 0 is x itself
    rest = list(gen)
    assert len(rest) == 3
    listed = propagate_hops(adj, x, 3)
    for a, b in zip([first, *rest], listed, strict=True):
        torch.testing.assert_close(a, b)


def test_iter_hops_keeps_only_the_current_hop(extensions):
    edge_index = random_graph(20, 40, 1)
    adj = sym_norm(edge_index, 20)
    x = torch.randn(20, 8, generator=torch.Generator().manual_seed(0))
    gen = iter_hops(adj, x, 4)
    next(gen)
    h1 = next(gen)
    ref = weakref.ref(h1)
    del h1
    next(gen)  # the generator has moved on to hop 2: nothing should hold hop 1
    gc.collect()
    assert ref() is None


def test_iter_hops_validates_eagerly():
    x = torch.ones(3, 1)
    with pytest.raises(ValueError, match=r"num_hops must be a non-negative int, got -1"):
        iter_hops(torch.tensor([[0], [1]]), x, -1)  # raises on the call, not at next()
    with pytest.raises(ValueError, match=r"x has 3 rows but the adjacency has 2 columns"):
        iter_hops(as_csr(torch.tensor([[0], [1]]), 2), x, 2)


@pytest.mark.parametrize("bad", [2.0, True, "3", None])
def test_num_hops_must_be_an_int(bad):
    with pytest.raises(TypeError, match=r"num_hops must be a non-negative int, got"):
        propagate_hops(torch.tensor([[0], [1]]), torch.ones(2, 1), bad)


def test_propagation_needs_a_square_adjacency():
    with pytest.raises(ValueError, match=r"propagation needs a square adjacency, got shape \[2, 3\]"):
        propagate_hops(torch.ones(2, 3).to_sparse_csr(), torch.ones(3, 1), 1)


@pytest.mark.parametrize("seed", [0, 1])
def test_gradients_flow_to_x_and_edge_weight(extensions, seed):
    n = 10
    edge_index = random_graph(n, 20, seed)
    edge_weight = torch.rand(edge_index.size(1), generator=torch.Generator().manual_seed(seed), dtype=torch.double)
    edge_weight.requires_grad_()
    x = features(n, 3, seed, requires_grad=True)
    hops = propagate_hops(edge_index, x, 3, edge_weight=edge_weight)
    loss = sum((h * (k + 1)).sum() for k, h in enumerate(hops))
    grads = torch.autograd.grad(loss, [x, edge_weight])
    a = dense_matrix(edge_index, n, edge_weight)
    ref = sum((h * (k + 1)).sum() for k, h in enumerate(dense_hops(a, x, 3)))
    expected = torch.autograd.grad(ref, [x, edge_weight])
    for g, e in zip(grads, expected, strict=True):
        torch.testing.assert_close(g, e)

    # through a sym_norm'd CSR (values depend on edge_weight) and with x alone
    norm = sym_norm(edge_index, n, edge_weight, dtype=torch.double)
    (gw,) = torch.autograd.grad(propagate_hops(norm, x.detach(), 2)[-1].sum(), edge_weight)
    assert torch.isfinite(gw).all() and gw.abs().sum() > 0
    (gx,) = torch.autograd.grad(propagate_hops(norm.with_value(norm.value.detach()), x, 2)[-1].sum(), x)
    dense = norm.to_dense(torch.double).detach()
    torch.testing.assert_close(gx, (dense @ dense).t() @ torch.ones(n, 3, dtype=torch.double))
