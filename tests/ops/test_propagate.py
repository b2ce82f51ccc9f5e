"""propagate_hops / iter_hops / HopPropagator against dense matrix powers, with and without torch-sparse."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest
import torch

from graphkit.ops import as_csr, iter_hops, propagate_hops, sym_norm
from graphkit.ops.propagate import HopPropagator
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
    with pytest.raises(ValueError, match=r"num_hops must be >= 0, got -1"):
        iter_hops(torch.tensor([[0], [1]]), x, -1)  # raises on the call, not at next()
    with pytest.raises(ValueError, match=r"x has 3 rows but the adjacency has 2 columns"):
        iter_hops(as_csr(torch.tensor([[0], [1]]), 2), x, 2)


@pytest.mark.parametrize("bad", [2.0, True, "3", None])
def test_num_hops_must_be_an_int(bad):
    with pytest.raises(TypeError, match=r"num_hops must be an int, got"):
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


# --------------------------------------------------------------------------- HopPropagator


@pytest.mark.parametrize("num_hops", [0, 1, 4])
@pytest.mark.parametrize("seed", [0, 2])
def test_hop_propagator_matches_dense_powers_and_iter_hops(num_hops, seed):
    n = 17
    edge_index = random_graph(15, 30, seed, undirected=False)  # directed, nodes 15, 16 isolated
    adj = sym_norm(edge_index, n, dtype=torch.double)
    h = features(n, 3, seed)
    hops = list(HopPropagator(adj).hops(h, num_hops))
    expected = dense_hops(adj.to_dense(torch.double), h, num_hops)
    assert len(hops) == num_hops + 1 and hops[0] is h
    for got, ref, streamed in zip(hops, expected, iter_hops(adj, h, num_hops), strict=True):
        torch.testing.assert_close(got, ref)
        torch.testing.assert_close(got, streamed)


@pytest.mark.parametrize("seed", [0, 1])
def test_hop_propagator_gradients_use_the_transpose(seed):
    """Directed operator: the backward must be A^T g, equal to iter_hops' and to the dense reference."""
    n = 17
    edge_index = random_graph(15, 30, seed, undirected=False)
    adj = sym_norm(edge_index, n, dtype=torch.double)
    dense = adj.to_dense(torch.double)
    assert not torch.allclose(dense, dense.t())  # the test needs an asymmetric operator
    weights = features(5 * n, 3, seed + 10).view(5, n, 3)
    h1, h2, h3 = (features(n, 3, seed, requires_grad=True) for _ in range(3))
    losses = [sum((w * h).sum() for w, h in zip(weights, hops, strict=True))
              for hops in (HopPropagator(adj).hops(h1, 4), iter_hops(adj, h2, 4), dense_hops(dense, h3, 4))]
    grads = [torch.autograd.grad(loss, h)[0] for loss, h in zip(losses, (h1, h2, h3), strict=True)]
    torch.testing.assert_close(losses[0], losses[2])
    torch.testing.assert_close(grads[0], grads[1])
    torch.testing.assert_close(grads[0], grads[2])
    # closed form: d/dh sum_k <W_k, A^k h> = sum_k (A^T)^k W_k
    closed = sum(torch.linalg.matrix_power(dense.t(), k) @ weights[k] for k in range(5))
    torch.testing.assert_close(grads[0], closed)


def test_hop_propagator_float32_input_and_repr():
    edge_index = random_graph(8, 12, 0)
    prop = HopPropagator(sym_norm(edge_index, 8))
    h = torch.randn(8, 2, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(list(prop.hops(h, 2))[-1], propagate_hops(sym_norm(edge_index, 8), h, 2)[-1])
    assert repr(prop) == f"HopPropagator(num_nodes=8, nnz={prop.csr.nnz}, device=cpu)"
    assert prop.to("cpu").num_nodes == 8


def test_hop_propagator_bad_input():
    adj = sym_norm(random_graph(6, 8, 0), 6)
    with pytest.raises(ValueError, match="fixed adjacency; use graphkit.ops.iter_hops"):
        HopPropagator(adj.with_value(adj.value.clone().requires_grad_()))
    with pytest.raises(TypeError, match="must be a graphkit.ops.CSR"):
        HopPropagator(random_graph(6, 8, 0))
    with pytest.raises(ValueError, match=r"square adjacency, got shape \[2, 3\]"):
        HopPropagator(as_csr(torch.ones(2, 3).to_sparse_csr()))
    prop = HopPropagator(adj)
    with pytest.raises(ValueError, match="h has 5 rows but the adjacency has 6 columns"):
        prop.hops(torch.ones(5, 2), 2)  # checked at the call, not at the first next()
    with pytest.raises(ValueError, match="num_hops must be >= 0"):
        prop.hops(torch.ones(6, 2), -1)
    with pytest.raises(TypeError, match="floating point"):
        prop.hops(torch.ones(6, 2, dtype=torch.long), 1)
