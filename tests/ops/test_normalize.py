"""sym_norm / row_norm / degree_power_norm / add_remaining_self_loops against dense references."""

from __future__ import annotations

import pytest
import torch
from torch_geometric.nn.conv.gcn_conv import gcn_norm
from torch_geometric.utils import coalesce, to_undirected

from graphkit.ops import CSR, add_remaining_self_loops, as_csr, degree_power_norm, row_norm, sym_norm
from tests.conftest import random_graph


def dense_matrix(edge_index, num_nodes, edge_weight=None, dtype=torch.double):
    value = torch.ones(edge_index.size(1), dtype=dtype) if edge_weight is None else edge_weight.to(dtype)
    return torch.zeros(num_nodes, num_nodes, dtype=dtype).index_put((edge_index[0], edge_index[1]), value, accumulate=True)


def dense_with_loops(edge_index, num_nodes, edge_weight=None):
    """A plus a weight-1 loop on each node without a *stored* self-loop (weight 0 loops count as stored)."""
    a = dense_matrix(edge_index, num_nodes, edge_weight)
    has_loop = torch.zeros(num_nodes, dtype=torch.bool)
    has_loop[edge_index[0][edge_index[0] == edge_index[1]]] = True
    return a + torch.diag((~has_loop).double())


def dense_power(a, alpha):
    deg = a.sum(1)
    scale = torch.where(deg > 0, deg.clamp(min=1e-300) ** alpha, torch.zeros(()).double())
    return scale[:, None] * a * scale[None, :]


def dense_row(a):
    deg = a.sum(1)
    inv = torch.where(deg > 0, 1 / deg.clamp(min=1e-300), torch.zeros(()).double())
    return inv[:, None] * a


def weights(num_edges, seed, **kwargs):
    gen = torch.Generator().manual_seed(3000 + seed)
    return torch.rand(num_edges, generator=gen, dtype=torch.double, **kwargs) + 0.1


# self-loops and duplicate edges occur in random_graph; +3 nodes are isolated
GRAPHS = [(1, 0), (4, 0), (6, 5), (20, 30), (40, 100)]


def assert_valid_csr(csr: CSR, num_nodes: int) -> None:
    assert csr.num_rows == csr.num_cols == num_nodes
    assert csr.rowptr.shape == (num_nodes + 1,) and int(csr.rowptr[-1]) == csr.nnz
    assert csr.value is not None and csr.value.shape == (csr.nnz,)
    assert torch.isfinite(csr.value).all()
    key = csr.row() * max(num_nodes, 1) + csr.col
    assert (key.diff() >= 0).all()  # sorted by (row, col)


@pytest.mark.parametrize("num_nodes,num_edges", GRAPHS)
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("add_self_loops", [True, False])
def test_sym_norm_matches_dense(num_nodes, num_edges, seed, weighted, add_self_loops):
    n = num_nodes + 3
    edge_index = random_graph(num_nodes, num_edges, seed, undirected=seed != 1)
    edge_weight = weights(edge_index.size(1), seed) if weighted else None
    out = sym_norm(edge_index, n, edge_weight, add_self_loops=add_self_loops, dtype=torch.double)
    assert_valid_csr(out, n)
    a = dense_with_loops(edge_index, n, edge_weight) if add_self_loops else dense_matrix(edge_index, n, edge_weight)
    torch.testing.assert_close(out.to_dense(torch.double), dense_power(a, -0.5))
    if not add_self_loops:
        # the isolated nodes have no entries and no NaN
        assert (out.degree()[-3:] == 0).all()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sym_norm_agrees_with_pyg_gcn_norm(seed):
    # undirected, coalesced graph whose loops are unique: PyG's (in-degree) gcn_norm is then the same matrix
    n = 30
    edge_index = coalesce(to_undirected(random_graph(n, 60, seed, undirected=False), num_nodes=n), num_nodes=n)
    edge_weight = weights(edge_index.size(1), seed)
    edge_weight = (edge_weight + edge_weight[_reverse_perm(edge_index, n)]) / 2  # symmetric weights
    pyg_index, pyg_weight = gcn_norm(edge_index, edge_weight, n, add_self_loops=True)
    ours = sym_norm(edge_index, n, edge_weight, dtype=torch.double)
    torch.testing.assert_close(ours.to_dense(torch.double), dense_matrix(pyg_index, n, pyg_weight))


def _reverse_perm(edge_index, n):
    """Position of (j, i) for every edge (i, j) of a coalesced symmetric edge_index."""
    key = edge_index[0] * n + edge_index[1]
    rkey = edge_index[1] * n + edge_index[0]
    return torch.searchsorted(key, rkey)


@pytest.mark.parametrize("alpha", [-1.0, -0.5, 0.0, 0.5, 2])
@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("add_self_loops", [True, False])
def test_degree_power_norm_matches_dense(alpha, seed, add_self_loops):
    n = 25
    edge_index = random_graph(20, 40, seed)
    edge_weight = weights(edge_index.size(1), seed)
    out = degree_power_norm(edge_index, alpha, n, edge_weight, add_self_loops=add_self_loops, dtype=torch.double)
    assert_valid_csr(out, n)
    a = dense_with_loops(edge_index, n, edge_weight) if add_self_loops else dense_matrix(edge_index, n, edge_weight)
    torch.testing.assert_close(out.to_dense(torch.double), dense_power(a, alpha))


def test_degree_power_norm_minus_half_is_sym_norm():
    edge_index = random_graph(15, 30, 4)
    a = degree_power_norm(edge_index, -0.5, 18)
    b = sym_norm(edge_index, 18)
    assert torch.equal(a.rowptr, b.rowptr) and torch.equal(a.col, b.col)
    torch.testing.assert_close(a.value, b.value)


@pytest.mark.parametrize("num_nodes,num_edges", GRAPHS)
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("add_self_loops", [False, True])
def test_row_norm_matches_dense_and_rows_sum_to_one(num_nodes, num_edges, seed, add_self_loops):
    n = num_nodes + 3
    edge_index = random_graph(num_nodes, num_edges, seed, undirected=seed == 0)
    edge_weight = weights(edge_index.size(1), seed)
    out = row_norm(edge_index, n, edge_weight, add_self_loops=add_self_loops, dtype=torch.double)
    assert_valid_csr(out, n)
    a = dense_with_loops(edge_index, n, edge_weight) if add_self_loops else dense_matrix(edge_index, n, edge_weight)
    dense = out.to_dense(torch.double)
    torch.testing.assert_close(dense, dense_row(a))
    has_edges = a.sum(1) > 0
    torch.testing.assert_close(dense.sum(1)[has_edges], torch.ones(int(has_edges.sum()), dtype=torch.double))
    assert (dense.sum(1)[~has_edges] == 0).all()
    assert add_self_loops or (~has_edges[-3:]).all()


def test_self_loop_policy_keeps_existing_loops_and_their_weights():
    # node 0: one loop of weight 3; node 1: two loops (kept, they add up); node 2: none -> weight 1
    edge_index = torch.tensor([[0, 1, 1, 0, 1], [0, 1, 1, 1, 0]])
    edge_weight = torch.tensor([3.0, 0.5, 0.25, 1.0, 1.0])
    out = add_remaining_self_loops(edge_index, 3, edge_weight)
    assert out.nnz == 6
    expected = torch.tensor([[3.0, 1.0, 0.0], [1.0, 0.75, 0.0], [0.0, 0.0, 1.0]])
    torch.testing.assert_close(out.to_dense(), expected)
    out = add_remaining_self_loops(edge_index, 3, edge_weight, fill_value=2.5, dtype=torch.double)
    assert out.value.dtype == torch.double
    assert out.to_dense(torch.double)[2, 2] == 2.5
    # a stored loop of weight 0 counts as present
    zero_loop = add_remaining_self_loops(torch.tensor([[0], [0]]), 2, torch.tensor([0.0]))
    torch.testing.assert_close(zero_loop.to_dense(), torch.tensor([[0.0, 0.0], [0.0, 1.0]]))


@pytest.mark.parametrize("seed", [0, 1])
def test_add_remaining_self_loops_matches_dense(seed):
    edge_index = random_graph(12, 30, seed)
    edge_weight = weights(edge_index.size(1), seed)
    out = add_remaining_self_loops(edge_index, 15, edge_weight, dtype=torch.double)
    assert_valid_csr(out, 15)
    torch.testing.assert_close(out.to_dense(torch.double), dense_with_loops(edge_index, 15, edge_weight))


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("sorted_rows", [True, False], ids=["sorted", "unsorted"])
def test_loop_insertion_equals_a_stable_sort_of_entries_and_loops(seed, sorted_rows):
    """The sort-free insertion (sorted rows) and the fallback (unsorted) both equal from_coo on entries + loops."""
    from graphkit.ops.csr import from_coo
    from graphkit.ops.normalize import _with_remaining_self_loops

    gen = torch.Generator().manual_seed(seed)
    n = 9
    row, col = torch.randint(0, n, (2, 40), generator=gen)  # duplicates and some loops
    value = torch.rand(40, generator=gen, dtype=torch.double)
    csr = from_coo(row, col, value, n, n)
    if not sorted_rows:  # reverse the entries inside every row
        order = torch.argsort(csr.row() * n - csr.col, stable=True)
        csr = CSR(csr.rowptr, csr.col[order], csr.value[order], n, n)
    out, out_value = _with_remaining_self_loops(csr, csr.value, 2.0)
    missing = torch.ones(n, dtype=torch.bool)
    missing[csr.row()[csr.row() == csr.col]] = False
    loops = missing.nonzero().view(-1)
    ref = from_coo(torch.cat([csr.row(), loops]), torch.cat([csr.col, loops]),
                   torch.cat([csr.value, torch.full((loops.numel(),), 2.0, dtype=torch.double)]), n, n)
    assert torch.equal(out.rowptr, ref.rowptr) and torch.equal(out.col, ref.col)
    assert torch.equal(out_value, ref.value) and out.value is out_value


def test_isolated_and_zero_degree_nodes_give_zeros_not_nan():
    # node 3 isolated; nodes 1, 2 only joined by a weight-0 edge (degree 0 but stored entries)
    edge_index = torch.tensor([[0, 0, 1, 2], [0, 0, 2, 1]])
    edge_weight = torch.tensor([1.0, 2.0, 0.0, 0.0], requires_grad=True)
    for norm in (
        sym_norm(edge_index, 4, edge_weight, add_self_loops=False),
        row_norm(edge_index, 4, edge_weight),
        degree_power_norm(edge_index, -2.0, 4, edge_weight, add_self_loops=False),
    ):
        dense = norm.to_dense()
        assert torch.isfinite(dense).all()
        assert (dense[1:] == 0).all() and dense[0, 0] > 0
        (grad,) = torch.autograd.grad(norm.value.sum(), edge_weight)
        assert torch.isfinite(grad).all()


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("which", ["sym", "row", "power"])
def test_gradients_wrt_edge_weight_match_dense(seed, which):
    n = 12
    edge_index = random_graph(n, 25, seed)
    edge_weight = weights(edge_index.size(1), seed, requires_grad=True)
    proj = torch.randn(n, n, generator=torch.Generator().manual_seed(seed), dtype=torch.double)
    if which == "sym":
        out = sym_norm(edge_index, n, edge_weight, dtype=torch.double)
        ref = dense_power(dense_with_loops(edge_index, n, edge_weight), -0.5)
    elif which == "row":
        out = row_norm(edge_index, n, edge_weight, add_self_loops=True, dtype=torch.double)
        ref = dense_row(dense_with_loops(edge_index, n, edge_weight))
    else:
        out = degree_power_norm(edge_index, 0.3, n, edge_weight, dtype=torch.double)
        ref = dense_power(dense_with_loops(edge_index, n, edge_weight), 0.3)
    (grad,) = torch.autograd.grad((out.to_dense(torch.double) * proj).sum(), edge_weight)
    (expected,) = torch.autograd.grad((ref * proj).sum(), edge_weight)
    torch.testing.assert_close(grad, expected)


def test_accepts_csr_and_sparse_inputs():
    edge_index = random_graph(10, 20, 0)
    edge_weight = weights(edge_index.size(1), 0).float()
    expected = sym_norm(edge_index, 10, edge_weight).to_dense()
    csr = as_csr(edge_index, 10, edge_weight)
    torch.testing.assert_close(sym_norm(csr).to_dense(), expected)
    torch.testing.assert_close(sym_norm(csr.to_torch_sparse().to_sparse_coo()).to_dense(), expected)
    torch.testing.assert_close(sym_norm(csr, num_nodes=10).to_dense(), expected)


def test_empty_graph():
    for fn in (sym_norm, row_norm):
        out = fn(torch.zeros(2, 0, dtype=torch.long), 3)
        assert out.num_rows == 3
    out = sym_norm(torch.zeros(2, 0, dtype=torch.long), 3)
    torch.testing.assert_close(out.to_dense(), torch.eye(3))  # only the added loops
    out = row_norm(torch.zeros(2, 0, dtype=torch.long), 3)
    assert out.nnz == 0 and out.value.shape == (0,)
    out = sym_norm(torch.zeros(2, 0, dtype=torch.long))
    assert out.num_rows == 0 and out.nnz == 0


def test_default_dtype_is_float32():
    out = sym_norm(torch.tensor([[0, 1], [1, 0]]), edge_weight=torch.tensor([1.0, 2.0], dtype=torch.double))
    assert out.value.dtype == torch.float32


def test_bad_input():
    edge_index = torch.tensor([[0, 1], [1, 0]])
    with pytest.raises(TypeError, match=r"dtype must be a floating-point torch.dtype .* got torch.int64"):
        sym_norm(edge_index, dtype=torch.long)
    with pytest.raises(ValueError, match=r"alpha must be a finite real number, got nan"):
        degree_power_norm(edge_index, float("nan"))
    with pytest.raises(ValueError, match=r"alpha must be a finite real number, got True"):
        degree_power_norm(edge_index, True)
    with pytest.raises(ValueError, match=r"1 node\(s\) have a negative weighted degree"):
        row_norm(edge_index, edge_weight=torch.tensor([-1.0, 1.0]))
    with pytest.raises(ValueError, match=r"expected a square adjacency, got shape \[2, 3\]"):
        sym_norm(torch.ones(2, 3).to_sparse_csr())
    with pytest.raises(ValueError, match=r"adjacency has 2 nodes but num_nodes=5"):
        row_norm(as_csr(edge_index, 2), num_nodes=5)
    with pytest.raises(ValueError, match=r"edge_index contains node id 1 but num_nodes is 1"):
        sym_norm(edge_index, 1)
    with pytest.raises(TypeError, match=r"add_self_loops must be a bool"):
        sym_norm(edge_index, add_self_loops=None)
    with pytest.raises(ValueError, match=r"fill_value must be a finite number"):
        add_remaining_self_loops(edge_index, fill_value=float("inf"))
