"""common_neighbors / aggregate against dense references, with and without torch-sparse."""

from __future__ import annotations

import importlib

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphkit import _compat
from graphkit.ops import CSR, as_csr
from graphkit.ops.common_neighbors import (
    CommonNeighbors,
    _aggregate_index_add,
    _aggregate_sparse_mm,
    _transposed_product,
    aggregate,
    common_neighbors,
    cost_chunks,
)
from tests.conftest import random_graph


def dense_reference(edge_index, num_nodes, pairs, edge_weight=None):
    """(pattern, values) of the three sets from dense rows: A[i] & A[j], A[i] & ~A[j], ~A[i] & A[j]."""
    pattern = torch.zeros(num_nodes, num_nodes, dtype=torch.bool)
    pattern[edge_index[0], edge_index[1]] = True
    weights = torch.zeros(num_nodes, num_nodes, dtype=torch.double)
    if edge_weight is not None:
        weights = weights.index_put((edge_index[0], edge_index[1]), edge_weight.double(), accumulate=True)
    ai, aj = pattern[pairs[0]], pattern[pairs[1]]
    wi, wj = weights[pairs[0]], weights[pairs[1]]
    common, only_i, only_j = ai & aj, ai & ~aj, ~ai & aj
    return (
        (common, wi * wj * common),
        (only_i, wi * only_i),
        (only_j, wj * only_j),
    )


def assert_csr_matches(csr: CSR, pattern: torch.Tensor, values: torch.Tensor | None):
    num_rows, num_cols = pattern.shape
    assert (csr.num_rows, csr.num_cols) == (num_rows, num_cols)
    assert csr.rowptr.dtype == torch.long and csr.col.dtype == torch.long
    assert csr.rowptr.numel() == num_rows + 1 and int(csr.rowptr[0]) == 0
    assert int(csr.rowptr[-1]) == csr.nnz
    assert bool((csr.rowptr.diff() >= 0).all())
    # columns strictly increasing within each row: sets, sorted
    if csr.nnz > 1:
        row = csr.row()
        same_row = row[1:] == row[:-1]
        assert bool((csr.col[1:][same_row] > csr.col[:-1][same_row]).all())
    got = torch.zeros(num_rows, num_cols, dtype=torch.bool)
    got[csr.row(), csr.col] = True
    assert int(csr.nnz) == int(pattern.sum())
    assert torch.equal(got, pattern)
    if values is None:
        assert csr.value is None
    else:
        assert csr.value is not None and csr.value.shape == (csr.nnz,)
        torch.testing.assert_close(csr.to_dense(torch.double), values)


def check_against_dense(edge_index, num_nodes, pairs, edge_weight=None, **kwargs):
    out = common_neighbors(
        edge_index, pairs, num_nodes=num_nodes, edge_weight=edge_weight, return_differences=True, **kwargs
    )
    assert isinstance(out, CommonNeighbors)
    reference = dense_reference(edge_index, num_nodes, pairs, edge_weight)
    for csr, (pattern, values) in zip(out, reference, strict=True):
        assert_csr_matches(csr, pattern, None if edge_weight is None else values)
    plain = common_neighbors(edge_index, pairs, num_nodes=num_nodes, edge_weight=edge_weight)
    assert plain.only_i is None and plain.only_j is None
    assert torch.equal(plain.common.rowptr, out.common.rowptr)
    assert torch.equal(plain.common.col, out.common.col)
    return out


def random_pairs(num_nodes, num_pairs, seed):
    gen = torch.Generator().manual_seed(seed)
    return torch.randint(0, num_nodes, (2, num_pairs), generator=gen)


@pytest.mark.parametrize(
    ("num_nodes", "num_edges", "num_pairs", "undirected"),
    [(1, 1, 3, True), (7, 5, 20, True), (30, 60, 50, True), (60, 400, 120, True), (40, 150, 80, False)],
)
@pytest.mark.parametrize("seed", [0, 1])
def test_random_graphs_match_dense(extensions, num_nodes, num_edges, num_pairs, undirected, seed):
    # random_graph draws a multigraph: duplicate edges and self-loops are present,
    # and with these densities some nodes are isolated
    edge_index = random_graph(num_nodes, num_edges, seed, undirected=undirected)
    pairs = random_pairs(num_nodes, num_pairs, seed + 100)
    pairs = torch.cat([pairs, pairs[:, :5], pairs[0:1, :5].repeat(2, 1)], dim=1)  # repeats and i == j
    check_against_dense(edge_index, num_nodes, pairs)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_weighted_adjacency_values(extensions, seed):
    num_nodes = 25
    edge_index = random_graph(num_nodes, 80, seed)
    gen = torch.Generator().manual_seed(seed)
    edge_weight = torch.rand(edge_index.size(1), generator=gen, dtype=torch.double) + 0.5
    pairs = random_pairs(num_nodes, 60, seed)
    check_against_dense(edge_index, num_nodes, pairs, edge_weight)


def test_weighted_values_are_products_and_duplicates_sum(extensions):
    # 0 -> 2 stored twice (0.5 + 1.5 = 2.0), 1 -> 2 weight 3, 0 -> 3 weight 4, 1 -> 4 weight 5
    edge_index = torch.tensor([[0, 0, 1, 0, 1], [2, 2, 2, 3, 4]])
    edge_weight = torch.tensor([0.5, 1.5, 3.0, 4.0, 5.0])
    out = common_neighbors(
        edge_index, torch.tensor([[0], [1]]), num_nodes=5, edge_weight=edge_weight, return_differences=True
    )
    assert out.common.col.tolist() == [2] and out.common.value.tolist() == [6.0]
    assert out.only_i.col.tolist() == [3] and out.only_i.value.tolist() == [4.0]
    assert out.only_j.col.tolist() == [4] and out.only_j.value.tolist() == [5.0]


def test_hand_built_graph(extensions):
    # 0-1, 0-2, 1-2, 2-3 undirected, self-loop on 3, duplicate 0-1, node 4 isolated
    und = torch.tensor([[0, 0, 1, 2, 0], [1, 2, 2, 3, 1]])
    edge_index = torch.cat([und, und.flip(0), torch.tensor([[3], [3]])], dim=1)
    pairs = torch.tensor([[0, 0, 3, 4, 2, 0, 3], [1, 3, 2, 0, 2, 1, 3]])
    out = common_neighbors(edge_index, pairs, num_nodes=5, return_differences=True)

    def rows(csr):
        return [csr.col[csr.rowptr[b] : csr.rowptr[b + 1]].tolist() for b in range(csr.num_rows)]

    assert rows(out.common) == [[2], [2], [3], [], [0, 1, 3], [2], [2, 3]]
    assert rows(out.only_i) == [[1], [1], [2], [], [], [1], []]
    assert rows(out.only_j) == [[0], [3], [0, 1], [1, 2], [], [0], []]
    assert out.common.value is None and out.only_i.value is None and out.only_j.value is None


def test_directed_uses_out_neighbours(extensions):
    edge_index = torch.tensor([[0, 1, 2], [2, 2, 0]])  # 0 -> 2, 1 -> 2, 2 -> 0
    out = common_neighbors(edge_index, torch.tensor([[0, 2], [1, 0]]), num_nodes=3, return_differences=True)
    assert out.common.rowptr.tolist() == [0, 1, 1] and out.common.col.tolist() == [2]
    assert out.only_i.col.tolist() == [0] and out.only_j.col.tolist() == [2]  # N(2)={0}, N(0)={2}


def test_empty_query_batch(extensions):
    edge_index = random_graph(10, 20, 0)
    out = common_neighbors(
        edge_index, torch.empty(2, 0, dtype=torch.long), num_nodes=10, return_differences=True
    )
    for csr in out:
        assert csr.num_rows == 0 and csr.num_cols == 10 and csr.nnz == 0
        assert csr.rowptr.tolist() == [0]
    assert aggregate(out.common, torch.randn(10, 3)).shape == (0, 3)


def test_empty_graph(extensions):
    empty = torch.empty(2, 0, dtype=torch.long)
    out = common_neighbors(empty, empty, num_nodes=0, return_differences=True)
    assert out.common.num_rows == 0 and out.common.num_cols == 0 and out.common.nnz == 0
    # nodes without any edge: all rows empty, aggregation is exactly zero (never NaN)
    pairs = torch.tensor([[0, 3, 2], [1, 3, 4]])
    out = common_neighbors(empty, pairs, num_nodes=5, return_differences=True)
    for csr in out:
        assert csr.rowptr.tolist() == [0, 0, 0, 0] and csr.nnz == 0
    assert torch.equal(aggregate(out.common, torch.randn(5, 4)), torch.zeros(3, 4))


def test_input_formats_agree(extensions):
    num_nodes = 20
    edge_index = random_graph(num_nodes, 50, 3)
    pairs = random_pairs(num_nodes, 30, 3)
    csr = as_csr(edge_index, num_nodes)
    ref = common_neighbors(edge_index, pairs, num_nodes=num_nodes, return_differences=True)
    from torch_geometric import EdgeIndex

    inputs = [
        csr,
        EdgeIndex(edge_index, sparse_size=(num_nodes, num_nodes)),
        torch.sparse_coo_tensor(
            edge_index, torch.ones(edge_index.size(1)), (num_nodes, num_nodes), check_invariants=True
        ),
    ]
    for adj in inputs:
        out = common_neighbors(adj, pairs, return_differences=True)
        for a, b in zip(out, ref, strict=True):
            assert torch.equal(a.rowptr, b.rowptr) and torch.equal(a.col, b.col)
    # sparse tensors always carry values (coalesced COO sums the duplicates): all entries are products
    coo = common_neighbors(inputs[2], pairs, return_differences=True)
    dense = csr.to_dense(torch.double)
    torch.testing.assert_close(
        coo.common.to_dense(torch.double),
        dense[pairs[0]] * dense[pairs[1]] * ref.common.to_dense(torch.double),
    )
    sparse_csr = common_neighbors(csr.to_torch_sparse(), pairs, return_differences=True)
    assert torch.equal(sparse_csr.common.col, ref.common.col)


def test_unsorted_columns_in_csr_are_handled(extensions):
    # a CSR whose rows are not sorted by column and hold a duplicate (built by hand)
    rowptr = torch.tensor([0, 4, 6, 6])
    col = torch.tensor([2, 0, 1, 2, 2, 0])
    value = torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    adj = CSR(rowptr, col, value, 3, 3)
    out = common_neighbors(adj, torch.tensor([[0, 0], [1, 2]]), return_differences=True)
    assert out.common.rowptr.tolist() == [0, 2, 2]
    assert out.common.col.tolist() == [0, 2] and out.common.value.tolist() == [12.0, 25.0]
    assert out.only_i.col.tolist() == [1, 0, 1, 2] and out.only_i.value.tolist() == [3.0, 2.0, 3.0, 5.0]
    assert out.only_j.nnz == 0


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    num_nodes=st.integers(1, 9),
    data=st.data(),
    weighted=st.booleans(),
)
def test_property_matches_dense(extensions, num_nodes, data, weighted):
    node = st.integers(0, num_nodes - 1)
    edges = data.draw(st.lists(st.tuples(node, node), max_size=30))
    pairs = data.draw(st.lists(st.tuples(node, node), max_size=12))
    edge_index = torch.tensor(edges, dtype=torch.long).reshape(-1, 2).t()
    pair_index = torch.tensor(pairs, dtype=torch.long).reshape(-1, 2).t()
    edge_weight = None
    if weighted:
        edge_weight = torch.tensor(
            data.draw(st.lists(st.floats(0.25, 4.0), min_size=len(edges), max_size=len(edges))),
            dtype=torch.double,
        )
    check_against_dense(edge_index, num_nodes, pair_index, edge_weight)


def test_pure_and_torch_sparse_paths_identical(monkeypatch):
    if _compat.torch_sparse is None:
        pytest.skip("torch-sparse not installed (pip install --no-build-isolation torch-sparse, the graphkit-pyg[ext] "
                    "extra)")
    num_nodes = 200
    edge_index = random_graph(num_nodes, 1500, 7)
    edge_weight = torch.rand(edge_index.size(1), generator=torch.Generator().manual_seed(7))
    pairs = random_pairs(num_nodes, 300, 7)
    for weight in (None, edge_weight):
        monkeypatch.setattr(_compat, "WITH_TORCH_SPARSE", True)
        fast = common_neighbors(
            edge_index, pairs, num_nodes=num_nodes, edge_weight=weight, return_differences=True
        )
        monkeypatch.setattr(_compat, "WITH_TORCH_SPARSE", False)
        pure = common_neighbors(
            edge_index, pairs, num_nodes=num_nodes, edge_weight=weight, return_differences=True
        )
        for a, b in zip(fast, pure, strict=True):
            assert torch.equal(a.rowptr, b.rowptr) and torch.equal(a.col, b.col)
            assert (a.value is None) == (b.value is None)
            if a.value is not None:
                assert torch.equal(a.value, b.value)
    sparse = _compat.torch_sparse.SparseTensor.from_edge_index(
        edge_index, sparse_sizes=(num_nodes, num_nodes)
    )
    out = common_neighbors(sparse, pairs, return_differences=True)
    assert torch.equal(out.common.col, pure.common.col) and torch.equal(out.only_j.rowptr, pure.only_j.rowptr)


# ----------------------------------------------------------------------------- membership-table path


def simple_graph(num_nodes, num_edges, seed, *, undirected=True):
    """A random graph without duplicate entries (self-loops kept), as the table path needs."""
    edge_index = random_graph(num_nodes, num_edges, seed, undirected=undirected)
    return torch.unique(edge_index, dim=1)


@pytest.mark.parametrize("undirected", [True, False])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_table_path_matches_dense_and_search(extensions, undirected, seed):
    num_nodes = 40
    edge_index = simple_graph(num_nodes, 300, seed, undirected=undirected)
    pairs = random_pairs(num_nodes, 80, seed + 7)
    pairs = torch.cat([pairs, pairs[:, :5], pairs[0:1, :5].repeat(2, 1), torch.tensor([[39], [39]])], dim=1)
    table = check_against_dense(edge_index, num_nodes, pairs, method="table")
    search = common_neighbors(edge_index, pairs, num_nodes=num_nodes, return_differences=True, method="search")
    for a, b in zip(table, search, strict=True):
        assert torch.equal(a.rowptr, b.rowptr) and torch.equal(a.col, b.col) and a.value is None


def test_auto_picks_the_table_only_where_it_pays(monkeypatch):
    cn = importlib.import_module("graphkit.ops.common_neighbors")  # the package re-exports a same-named function
    calls = []
    original = cn._common_by_table
    monkeypatch.setattr(cn, "_common_by_table", lambda *a: calls.append(1) or original(*a))
    dense = simple_graph(30, 400, 0)  # mean degree ~ 25 of 30 nodes
    common_neighbors(dense, random_pairs(30, 200, 0), num_nodes=30)
    assert calls == [1]
    sparse = simple_graph(2000, 2000, 0)  # mean degree ~ 2: lists far smaller than a 4 MB table
    common_neighbors(sparse, random_pairs(2000, 100, 0), num_nodes=2000)
    assert calls == [1]
    monkeypatch.setattr(cn, "TABLE_MAX_BYTES", 100)  # the dense graph's 900-byte table no longer fits
    common_neighbors(dense, random_pairs(30, 200, 0), num_nodes=30)
    assert calls == [1]


def test_table_path_refuses_what_it_cannot_represent():
    pairs = torch.tensor([[0], [1]])
    multi = torch.tensor([[0, 0, 1], [1, 1, 0]])  # duplicate entry 0 -> 1
    with pytest.raises(ValueError, match="duplicate"):
        common_neighbors(multi, pairs, num_nodes=2, method="table")
    with pytest.raises(ValueError, match="unweighted"):
        common_neighbors(torch.tensor([[0, 1], [1, 0]]), pairs, num_nodes=2, edge_weight=torch.ones(2),
                         method="table")
    unsorted = CSR(torch.tensor([0, 2, 3]), torch.tensor([1, 0, 0]), None, 2, 2)
    with pytest.raises(ValueError, match="sorted"):
        common_neighbors(unsorted, pairs, method="table")
    with pytest.raises(ValueError, match="method"):
        common_neighbors(multi, pairs, num_nodes=2, method="dense")
    # auto falls back to the search path and still merges the duplicate
    assert common_neighbors(multi, torch.tensor([[0], [0]]), num_nodes=2).common.col.tolist() == [1]


def test_table_cache_follows_the_adjacency():
    adj = CSR(torch.tensor([0, 1, 2, 3]), torch.tensor([1, 2, 0]), None, 3, 3)  # N(0)={1}, N(1)={2}, N(2)={0}
    pairs = torch.tensor([[0], [1]])
    assert common_neighbors(adj, pairs, method="table").common.nnz == 0
    adj.col.copy_(torch.tensor([2, 2, 0]))  # in place: N(0)={2}; the cached table must not be reused
    assert common_neighbors(adj, pairs, method="table").common.col.tolist() == [2]
    other = as_csr(simple_graph(20, 120, 4), 20)  # a new adjacency
    pairs = random_pairs(20, 50, 4)
    got = common_neighbors(other, pairs, method="table").common
    assert torch.equal(got.to_dense(), common_neighbors(other, pairs, method="search").common.to_dense())


# ----------------------------------------------------------------------------- aggregate


@pytest.mark.parametrize("impl", ["sparse_mm", "index_add"])
@pytest.mark.parametrize("weighted", [False, True])
def test_aggregate_matches_dense_and_gradient(extensions, weighted, impl):
    aggregate = _aggregate_sparse_mm if impl == "sparse_mm" else _aggregate_index_add
    num_nodes, feats = 30, 5
    edge_index = random_graph(num_nodes, 90, 11)
    gen = torch.Generator().manual_seed(11)
    edge_weight = (torch.rand(edge_index.size(1), generator=gen) + 0.5).double() if weighted else None
    if weighted:
        edge_weight.requires_grad_(True)
    pairs = random_pairs(num_nodes, 40, 11)
    x = torch.randn(num_nodes, feats, generator=gen, dtype=torch.double, requires_grad=True)
    grad_out = torch.randn(40, feats, generator=gen, dtype=torch.double)
    out = common_neighbors(
        edge_index, pairs, num_nodes=num_nodes, edge_weight=edge_weight, return_differences=True
    )

    for csr in out:
        got = aggregate(csr, x)
        dense = csr.to_dense(torch.double)
        expected = dense @ x
        torch.testing.assert_close(got, expected)
        (gx,) = torch.autograd.grad(got, x, grad_out)
        torch.testing.assert_close(gx, dense.t() @ grad_out)

    if weighted:
        # gradient through the common-neighbour values A[i,u] * A[j,u] back to the edge weights
        got = aggregate(out.common, x)
        (gw,) = torch.autograd.grad(got, edge_weight, grad_out)
        pattern = as_csr(edge_index, num_nodes).to_dense(torch.double) > 0
        w_dense = torch.zeros(num_nodes, num_nodes, dtype=torch.double).index_put(
            (edge_index[0], edge_index[1]), edge_weight, accumulate=True
        )
        mask = pattern[pairs[0]] & pattern[pairs[1]]
        expected = (w_dense[pairs[0]] * w_dense[pairs[1]] * mask) @ x
        torch.testing.assert_close(got, expected)
        (gw_ref,) = torch.autograd.grad(expected, edge_weight, grad_out)
        torch.testing.assert_close(gw, gw_ref)


def test_aggregate_low_precision_and_empty_sets_keep_the_graph():
    edge_index = random_graph(12, 30, 9)
    pairs = random_pairs(12, 20, 9)
    sets = common_neighbors(edge_index, pairs, num_nodes=12, return_differences=True).only_i
    x = torch.randn(12, 3, generator=torch.Generator().manual_seed(9))
    out = aggregate(sets, x.bfloat16())  # index_add_ fallback
    assert out.dtype == torch.bfloat16
    torch.testing.assert_close(out.float(), sets.to_dense() @ x.bfloat16().float(), rtol=2e-2, atol=2e-2)
    empty = CSR(torch.zeros(4, dtype=torch.long), torch.zeros(0, dtype=torch.long), None, 3, 12)
    for dtype in (torch.float32, torch.bfloat16):
        xg = x.detach().to(dtype).requires_grad_(True)
        out = aggregate(empty, xg)
        assert out.shape == (3, 3) and out.dtype == dtype and not bool(out.any())
        out.sum().backward()
        assert torch.equal(xg.grad, torch.zeros_like(xg))


def test_aggregate_counts_common_neighbours():
    edge_index = random_graph(15, 40, 4)
    pairs = random_pairs(15, 25, 4)
    out = common_neighbors(edge_index, pairs, num_nodes=15)
    counts = aggregate(out.common, torch.ones(15, 1)).squeeze(1)
    assert torch.equal(counts, out.common.degree().float())


def test_aggregate_float32_with_double_values():
    adj = CSR(torch.tensor([0, 2]), torch.tensor([0, 1]), torch.tensor([2.0, 3.0], dtype=torch.double), 1, 2)
    x = torch.tensor([[1.0], [10.0]])
    out = aggregate(adj, x)
    assert out.dtype == torch.float32 and out.tolist() == [[32.0]]


# ----------------------------------------------------------------------------- bad input


def test_bad_edge_label_index():
    edge_index = random_graph(5, 6, 0)
    with pytest.raises(TypeError, match="edge_label_index must have dtype torch.int64"):
        common_neighbors(edge_index, torch.tensor([[0.0], [1.0]]), num_nodes=5)
    with pytest.raises(
        ValueError, match=r"edge_label_index must have shape \[2, E\], got \[3, 2\] \(transpose"
    ):
        common_neighbors(edge_index, torch.tensor([[0, 1], [1, 2], [2, 3]]), num_nodes=5)
    with pytest.raises(ValueError, match=r"must have shape \[2, E\], got \[4\]"):
        common_neighbors(edge_index, torch.tensor([0, 1, 2, 3]), num_nodes=5)
    with pytest.raises(ValueError, match="edge_label_index contains node id 5 but num_nodes is 5"):
        common_neighbors(edge_index, torch.tensor([[0], [5]]), num_nodes=5)
    with pytest.raises(ValueError, match="edge_label_index contains negative node ids"):
        common_neighbors(edge_index, torch.tensor([[-1], [0]]), num_nodes=5)
    with pytest.raises(TypeError, match="edge_label_index must be a torch.Tensor"):
        common_neighbors(edge_index, [[0], [1]], num_nodes=5)
    empty = torch.empty(2, 0, dtype=torch.long)
    with pytest.raises(ValueError, match="contains node id 0 but num_nodes is 0"):
        common_neighbors(empty, torch.tensor([[0], [0]]), num_nodes=0)


def test_bad_adjacency():
    rect = CSR(torch.tensor([0, 1, 2]), torch.tensor([0, 2]), None, 2, 3)
    with pytest.raises(ValueError, match=r"expected a square adjacency, got shape \[2, 3\]"):
        common_neighbors(rect, torch.tensor([[0], [1]]))
    square = as_csr(random_graph(4, 4, 0), 4)
    with pytest.raises(ValueError, match="adjacency has 4 nodes but num_nodes=6"):
        common_neighbors(square, torch.tensor([[0], [1]]), num_nodes=6)
    with pytest.raises(ValueError, match="contains node id 7 but num_nodes is 3"):
        common_neighbors(torch.tensor([[0, 7], [1, 1]]), torch.tensor([[0], [1]]), num_nodes=3)
    with pytest.raises(TypeError, match="adjacency must be a"):
        common_neighbors("not a graph", torch.tensor([[0], [1]]))
    with pytest.raises(ValueError, match="edge_weight has 3 entries but there are 2 edges"):
        common_neighbors(torch.tensor([[0, 1], [1, 0]]), torch.tensor([[0], [1]]), edge_weight=torch.ones(3))


def test_bad_aggregate_input():
    sets = common_neighbors(random_graph(5, 6, 0), torch.tensor([[0], [1]]), num_nodes=5).common
    with pytest.raises(TypeError, match="sets must be a graphkit CSR"):
        aggregate(torch.zeros(1, 5), torch.zeros(5, 2))
    with pytest.raises(
        TypeError, match=r"x must be floating point, got torch.int64; convert it with x.float\(\)"
    ):
        aggregate(sets, torch.zeros(5, 2, dtype=torch.long))
    with pytest.raises(ValueError, match=r"x must have shape \[N, F\], got \[5\]"):
        aggregate(sets, torch.zeros(5))
    with pytest.raises(ValueError, match="x has 4 rows but the sets have 5 columns"):
        aggregate(sets, torch.zeros(4, 2))


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_matches_cpu(extensions):
    num_nodes = 300
    edge_index = random_graph(num_nodes, 2000, 5)
    edge_weight = torch.rand(edge_index.size(1), generator=torch.Generator().manual_seed(5))
    pairs = random_pairs(num_nodes, 500, 5)
    cpu = common_neighbors(
        edge_index, pairs, num_nodes=num_nodes, edge_weight=edge_weight, return_differences=True
    )
    gpu = common_neighbors(
        edge_index.cuda(),
        pairs.cuda(),
        num_nodes=num_nodes,
        edge_weight=edge_weight.cuda(),
        return_differences=True,
    )
    for a, b in zip(cpu, gpu, strict=True):
        assert torch.equal(a.rowptr, b.rowptr.cpu()) and torch.equal(a.col, b.col.cpu())
        torch.testing.assert_close(a.value, b.value.cpu())
    x = torch.randn(num_nodes, 8)
    torch.testing.assert_close(
        aggregate(cpu.common, x), aggregate(gpu.common, x.cuda()).cpu(), rtol=1e-5, atol=1e-5
    )


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize(("block_bytes", "max_partial_bytes"), [(1 << 20, 1 << 26), (64, 1 << 26), (64, 2000)])
def test_transposed_product_by_blocks(weighted, block_bytes, max_partial_bytes):
    # tiny block sizes force many row blocks (and the partial-sum cap fewer): every split gives S^T @ g
    gen = torch.Generator().manual_seed(5)
    sets = common_neighbors(simple_graph(30, 200, 5), random_pairs(30, 70, 5), num_nodes=30).common
    value = torch.rand(sets.nnz, generator=gen, dtype=torch.double) if weighted else None
    grad = torch.randn(sets.num_rows, 3, generator=gen, dtype=torch.double)
    got = _transposed_product(sets.rowptr, sets.col, value, grad, sets.num_cols, block_bytes=block_bytes,
                              max_partial_bytes=max_partial_bytes)
    torch.testing.assert_close(got, sets.with_value(value).to_dense(torch.double).t() @ grad)


def test_aggregate_gradcheck():
    gen = torch.Generator().manual_seed(6)
    sets = common_neighbors(simple_graph(12, 40, 6), random_pairs(12, 15, 6), num_nodes=12,
                            return_differences=True).only_i
    value = (torch.rand(sets.nnz, generator=gen, dtype=torch.double) + 0.5).requires_grad_(True)
    x = torch.randn(12, 3, generator=gen, dtype=torch.double, requires_grad=True)
    assert torch.autograd.gradcheck(lambda v, x: aggregate(sets.with_value(v), x), (value, x))


# ----------------------------------------------------------------------------- cost_chunks


@pytest.mark.parametrize("budget", [1, 10, 40, 10**9])
def test_cost_chunks_respect_budget_and_cover(budget):
    csr = as_csr(simple_graph(30, 200, 8), 30)
    pairs = random_pairs(30, 50, 8)
    deg = csr.degree()
    chunks = cost_chunks(pairs, deg, budget)
    assert torch.equal(torch.cat(chunks), torch.arange(50))  # consecutive, in order, covering
    cost = deg[pairs[0]] + deg[pairs[1]] + 1
    for c in chunks:
        assert c.numel() == 1 or int(cost[c].sum()) <= budget
    if budget == 10**9:
        assert len(chunks) == 1
    # greedy: no chunk could have taken the next pair
    for a, b in zip(chunks, chunks[1:], strict=False):
        assert int(cost[a].sum() + cost[b[0]]) > budget
    assert cost_chunks(pairs[:, :0], deg, budget) == []
    assert len(cost_chunks(pairs, deg, 0)) == 1
