"""CSR construction from every accepted input, against dense references; transpose, degrees, errors."""

from __future__ import annotations

import pytest
import torch
from torch_geometric import EdgeIndex

from graphkit import _compat
from graphkit.ops import CSR, as_csr, from_coo
from graphkit.ops.csr import check_square
from tests.conftest import random_graph


def dense_matrix(edge_index, num_rows, num_cols=None, edge_weight=None, dtype=torch.double):
    num_cols = num_rows if num_cols is None else num_cols
    value = torch.ones(edge_index.size(1), dtype=dtype) if edge_weight is None else edge_weight.to(dtype)
    out = torch.zeros(num_rows, num_cols, dtype=dtype)
    return out.index_put((edge_index[0], edge_index[1]), value, accumulate=True)


def weights(num_edges, seed):
    gen = torch.Generator().manual_seed(5000 + seed)
    return torch.rand(num_edges, generator=gen, dtype=torch.double) + 0.1


def assert_well_formed(csr: CSR, num_rows: int, num_cols: int, nnz: int) -> None:
    assert (csr.num_rows, csr.num_cols) == (num_rows, num_cols)
    assert csr.rowptr.dtype == torch.long and csr.col.dtype == torch.long
    assert csr.rowptr.shape == (num_rows + 1,)
    assert int(csr.rowptr[0]) == 0 and int(csr.rowptr[-1]) == csr.nnz == nnz
    assert (csr.rowptr.diff() >= 0).all()
    if nnz:
        assert int(csr.col.min()) >= 0 and int(csr.col.max()) < num_cols
        key = csr.row() * num_cols + csr.col
        assert (key.diff() >= 0).all()  # columns sorted within each row


GRAPHS = [(1, 0), (4, 0), (6, 5), (20, 40), (50, 150)]


@pytest.mark.parametrize("num_nodes,num_edges", GRAPHS)
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("weighted", [False, True])
def test_from_edge_index_matches_dense_and_keeps_duplicates(num_nodes, num_edges, seed, weighted):
    # random_graph has self-loops and duplicates; +2 isolated nodes
    n = num_nodes + 2
    edge_index = random_graph(num_nodes, num_edges, seed, undirected=seed != 2)
    edge_weight = weights(edge_index.size(1), seed) if weighted else None
    csr = as_csr(edge_index, n, edge_weight)
    assert_well_formed(csr, n, n, edge_index.size(1))  # nothing dropped
    assert (csr.value is None) == (not weighted)
    torch.testing.assert_close(csr.to_dense(torch.double), dense_matrix(edge_index, n, edge_weight=edge_weight))
    # degree counts stored entries (duplicates count), weighted_degree sums values
    counts = torch.bincount(edge_index[0], minlength=n)
    assert torch.equal(csr.degree(), counts)
    torch.testing.assert_close(
        csr.weighted_degree(torch.double), dense_matrix(edge_index, n, edge_weight=edge_weight).sum(1)
    )
    # round trips
    torch.testing.assert_close(as_csr(csr.to_edge_index(), n, csr.value).to_dense(), csr.to_dense())
    assert torch.equal(csr.row(), torch.repeat_interleave(torch.arange(n), counts))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_input_type_gives_the_same_matrix(seed):
    n = 15
    edge_index = torch.unique(random_graph(12, 30, seed), dim=1).contiguous()
    edge_weight = weights(edge_index.size(1), seed)
    expected = dense_matrix(edge_index, n, edge_weight=edge_weight)
    reference = as_csr(edge_index, n, edge_weight)
    inputs = {
        "EdgeIndex sized": (EdgeIndex(edge_index, sparse_size=(n, n)), edge_weight),
        "EdgeIndex unsized": (EdgeIndex(edge_index), edge_weight),
        "EdgeIndex int32": (EdgeIndex(edge_index.int(), sparse_size=(n, n)), edge_weight),
        "sparse_csr": (reference.to_torch_sparse(torch.double), None),
        "sparse_coo": (torch.sparse_coo_tensor(edge_index, edge_weight, (n, n), check_invariants=True), None),
        "dense.to_sparse_csr": (expected.to_sparse_csr(), None),
    }
    if _compat.torch_sparse is not None:
        st = _compat.torch_sparse.SparseTensor(
            row=edge_index[0], col=edge_index[1], value=edge_weight, sparse_sizes=(n, n)
        )
        inputs["SparseTensor"] = (st, None)
    for name, (adj, ew) in inputs.items():
        num_nodes = n if name == "EdgeIndex unsized" else None
        csr = as_csr(adj, num_nodes, ew)
        assert_well_formed(csr, n, n, edge_index.size(1))
        torch.testing.assert_close(csr.to_dense(torch.double), expected, msg=lambda m, name=name: f"{name}: {m}")
        assert torch.equal(csr.col, reference.col), name
    assert as_csr(reference) is reference


def test_sparse_coo_duplicates_are_summed():
    # a COO tensor's duplicate entries mean their sum; the matrix is unchanged by coalescing
    index = torch.tensor([[0, 0, 1], [1, 1, 0]])
    coo = torch.sparse_coo_tensor(index, torch.tensor([1.0, 2.0, 5.0]), (2, 2), check_invariants=False)
    csr = as_csr(coo)
    torch.testing.assert_close(csr.to_dense(), torch.tensor([[0.0, 3.0], [5.0, 0.0]]))
    assert csr.nnz == 2


def test_edge_index_without_sparse_size_is_square():
    # PyG infers (max row + 1, max col + 1) = (2, 6): a graph adjacency must be square
    ei = EdgeIndex(torch.tensor([[0, 1], [1, 5]]))
    assert (as_csr(ei).num_rows, as_csr(ei).num_cols) == (6, 6)
    assert as_csr(ei, num_nodes=10).num_rows == 10
    rect = as_csr(EdgeIndex(torch.tensor([[0, 1], [1, 5]]), sparse_size=(2, 6)))
    assert (rect.num_rows, rect.num_cols) == (2, 6)
    torch.testing.assert_close(rect.to_dense(), dense_matrix(torch.tensor([[0, 1], [1, 5]]), 2, 6).float())


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (1, 4)])
@pytest.mark.parametrize("seed", [0, 1])
def test_rectangular_and_transpose(shape, seed):
    rows, cols = shape
    gen = torch.Generator().manual_seed(seed)
    num_entries = 8
    index = torch.stack([torch.randint(0, rows, (num_entries,), generator=gen),
                         torch.randint(0, cols, (num_entries,), generator=gen)])
    value = weights(num_entries, seed)
    csr = from_coo(index[0], index[1], value, rows, cols)
    assert_well_formed(csr, rows, cols, num_entries)
    dense = dense_matrix(index, rows, cols, value)
    torch.testing.assert_close(csr.to_dense(torch.double), dense)
    t = csr.transpose()
    assert_well_formed(t, cols, rows, num_entries)
    torch.testing.assert_close(t.to_dense(torch.double), dense.t())
    torch.testing.assert_close(t.transpose().to_dense(torch.double), dense)
    torch.testing.assert_close(t.weighted_degree(torch.double), dense.sum(0))
    torch.testing.assert_close(csr.to_torch_sparse(torch.double).to_dense(), dense)


def test_transpose_of_random_graph_and_unweighted_degrees():
    edge_index = random_graph(20, 50, 3, undirected=False)
    csr = as_csr(edge_index, 22)
    t = csr.transpose()
    assert t.value is None
    torch.testing.assert_close(t.to_dense(), csr.to_dense().t())
    assert torch.equal(t.degree(), torch.bincount(edge_index[1], minlength=22))
    torch.testing.assert_close(csr.weighted_degree(), csr.degree().float())


def test_empty_graphs():
    csr = as_csr(torch.zeros(2, 0, dtype=torch.long), 4)
    assert_well_formed(csr, 4, 4, 0)
    assert (csr.to_dense() == 0).all() and csr.row().numel() == 0
    csr = as_csr(torch.zeros(2, 0, dtype=torch.long))
    assert_well_formed(csr, 0, 0, 0)
    assert csr.transpose().num_rows == 0


def test_with_value_and_to():
    csr = as_csr(torch.tensor([[0, 1], [1, 0]]))
    v = csr.with_value(torch.tensor([2.0, 3.0]))
    torch.testing.assert_close(v.to_dense(), torch.tensor([[0.0, 2.0], [3.0, 0.0]]))
    moved = v.to("cpu")
    assert torch.equal(moved.value, v.value) and moved.num_rows == 2


def test_values_keep_autograd():
    edge_weight = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    csr = as_csr(torch.tensor([[2, 0, 1], [0, 1, 2]]), edge_weight=edge_weight)
    (grad,) = torch.autograd.grad((csr.value * torch.tensor([1.0, 10.0, 100.0])).sum(), edge_weight)
    # entries are sorted by row: (0,1) w=2, (1,2) w=3, (2,0) w=1
    torch.testing.assert_close(grad, torch.tensor([100.0, 1.0, 10.0]))


@pytest.mark.parametrize(
    "args,error,match",
    [
        (([[0, 1], [1, 0]],), TypeError, r"adjacency must be a \[2, E\] edge_index tensor.*got list"),
        ((torch.tensor([[0.0, 1.0], [1.0, 0.0]]),), TypeError, r"edge_index must have dtype torch.int64"),
        ((torch.zeros(3, 2, dtype=torch.long),), ValueError, r"must have shape \[2, E\], got \[3, 2\] \(transpose it"),
        ((torch.tensor([[0, 3], [1, 0]]), 3), ValueError, r"node id 3 but num_nodes is 3"),
        ((torch.tensor([[0, -1], [1, 0]]),), ValueError, r"negative node ids \(min -1\)"),
        ((torch.tensor([[0, 1], [1, 0]]), None, torch.ones(3)), ValueError, r"edge_weight has 3 entries but there are 2 edges"),
        ((torch.tensor([[0, 1], [1, 0]]), None, torch.tensor([1.0, float("nan")])), ValueError, r"edge_weight contains NaN or inf"),
        ((torch.tensor([[0, 1], [1, 0]]), -1), ValueError, r"num_nodes must be a non-negative int, got -1"),
        ((torch.ones(2, 2).to_sparse_csr(), None, torch.ones(4)), ValueError, r"a sparse tensor carries its own values"),
        ((torch.ones(2, 2).to_sparse(), None, torch.ones(4)), ValueError, r"a sparse tensor carries its own values"),
        ((torch.ones(2, 2, 2).to_sparse(),), ValueError, r"a sparse adjacency must be 2-D, got shape \[2, 2, 2\]"),
        ((EdgeIndex(torch.tensor([[0, 1], [1, 0]]), sparse_size=(2, 2)), 3), ValueError,
         r"EdgeIndex has sparse size \(2, 2\) but num_nodes=3"),
        ((EdgeIndex(torch.tensor([[0, 2], [1, 0]]), sparse_size=(2, 3)),), ValueError,
         r"EdgeIndex has ids outside its sparse size \(2, 3\): max row id 2"),
    ],
)
def test_as_csr_bad_input(args, error, match):
    with pytest.raises(error, match=match):
        as_csr(*args)


def test_csr_with_edge_weight_and_check_square():
    csr = as_csr(torch.tensor([[0, 1], [1, 0]]))
    with pytest.raises(ValueError, match=r"a CSR carries its own values; pass edge_weight when building it"):
        as_csr(csr, edge_weight=torch.ones(2))
    assert check_square(csr) == 2 and check_square(csr, 2) == 2
    with pytest.raises(ValueError, match=r"adjacency has 2 nodes but num_nodes=3"):
        check_square(csr, 3)
    with pytest.raises(ValueError, match=r"expected a square adjacency, got shape \[2, 5\]"):
        check_square(from_coo(torch.tensor([0]), torch.tensor([4]), None, 2, 5))


# ----------------------------------------------------------------------------- entry selection, symmetric CSR


def test_exclusive_cumsum_and_select_entries():
    from graphkit.ops.csr import exclusive_cumsum, select_entries

    assert exclusive_cumsum(torch.tensor([True, False, True, True])).tolist() == [0, 1, 1, 2, 3]
    csr = as_csr(random_graph(10, 30, 3), 10)
    keep = torch.rand(csr.nnz, generator=torch.Generator().manual_seed(3)) > 0.5
    value = torch.arange(int(keep.sum()), dtype=torch.double) + 1
    got = select_entries(csr, keep, value)
    assert_well_formed(got, 10, 10, int(keep.sum()))
    expected = torch.zeros(10, 10, dtype=torch.double).index_put(
        (csr.row()[keep], csr.col[keep]), value, accumulate=True)
    torch.testing.assert_close(got.to_dense(torch.double), expected)
    assert select_entries(csr, keep).value is None


def test_symmetric_csr_dedups_and_refuses_asymmetric():
    from graphkit.ops.csr import symmetric_csr

    ei = torch.tensor([[0, 1, 0, 1, 2], [1, 0, 1, 2, 1]])
    csr = symmetric_csr(ei, 3)
    assert csr.nnz == 4 and csr.value is None
    assert torch.equal(csr.to_dense(), torch.tensor([[0., 1, 0], [1, 0, 1], [0, 1, 0]]))
    assert_well_formed(csr, 3, 3, 4)
    with pytest.raises(ValueError, match=r"not symmetric.*\(2, 0\) is stored but \(0, 2\) is not.*to_undirected"):
        symmetric_csr(torch.tensor([[0, 1, 2], [1, 0, 0]]), 3)
    assert symmetric_csr(torch.tensor([[0, 1, 2], [1, 0, 0]]), 3, check=False).nnz == 3
    isolated = symmetric_csr(torch.empty(2, 0, dtype=torch.long), 4)
    assert isolated.rowptr.tolist() == [0, 0, 0, 0, 0]
