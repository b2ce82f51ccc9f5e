"""spmm against dense references for every adjacency input, with and without torch-sparse."""

from __future__ import annotations

import pytest
import torch
from torch_geometric import EdgeIndex

from graphkit import _compat
from graphkit.ops import CSR, REDUCTIONS, as_csr, spmm
from tests.conftest import random_graph


def dense_spmm(edge_index, x, num_rows, edge_weight=None, reduce="sum"):
    """Per-entry reference: message w_e * x[col_e] reduced into row_e through a dense [N, E] mask."""
    row, col = edge_index
    weight = torch.ones(row.numel(), dtype=x.dtype) if edge_weight is None else edge_weight.to(x.dtype)
    msg = x[col] * weight.view(-1, *([1] * (x.dim() - 1)))  # [E, *]
    member = torch.arange(num_rows).view(-1, 1) == row.view(1, -1)  # [N, E]
    mask = member.view(*member.shape, *([1] * (x.dim() - 1)))
    count = member.sum(1).view(-1, *([1] * (x.dim() - 1)))
    if reduce in ("sum", "mean"):
        out = torch.where(mask, msg.unsqueeze(0), torch.zeros((), dtype=x.dtype)).sum(1)
        return out / count.clamp(min=1) if reduce == "mean" else out
    if row.numel() == 0:
        return x.new_zeros(num_rows, *x.shape[1:])
    fill = float("-inf") if reduce == "max" else float("inf")
    picked = torch.where(mask, msg.unsqueeze(0), torch.full((), fill, dtype=x.dtype))
    out = picked.amax(1) if reduce == "max" else picked.amin(1)
    return torch.where(count > 0, out, torch.zeros((), dtype=x.dtype))


def dense_matrix(edge_index, num_nodes, edge_weight=None, dtype=torch.double):
    value = torch.ones(edge_index.size(1), dtype=dtype) if edge_weight is None else edge_weight.to(dtype)
    return torch.zeros(num_nodes, num_nodes, dtype=dtype).index_put((edge_index[0], edge_index[1]), value, accumulate=True)


def features(num_nodes, num_features, seed, **kwargs):
    gen = torch.Generator().manual_seed(1000 + seed)
    return torch.randn(num_nodes, num_features, generator=gen, dtype=torch.double, **kwargs)


def weights(num_edges, seed, **kwargs):
    gen = torch.Generator().manual_seed(2000 + seed)
    return torch.rand(num_edges, generator=gen, dtype=torch.double, **kwargs) + 0.1


# random_graph draws multigraphs: self-loops and duplicate edges occur; num_nodes above the
# largest id leaves isolated nodes
GRAPHS = [(1, 0), (5, 0), (6, 4), (20, 30), (50, 120)]


@pytest.mark.parametrize("reduce", REDUCTIONS)
@pytest.mark.parametrize("num_nodes,num_edges", GRAPHS)
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("weighted", [False, True])
def test_spmm_edge_index_matches_dense(extensions, reduce, num_nodes, num_edges, seed, weighted):
    edge_index = random_graph(num_nodes, num_edges, seed, undirected=seed % 2 == 0)
    edge_weight = weights(edge_index.size(1), seed) if weighted else None
    x = features(num_nodes + 2, 4, seed)  # two trailing isolated nodes
    out = spmm(edge_index, x, edge_weight=edge_weight, reduce=reduce)
    assert out.shape == (num_nodes + 2, 4)
    torch.testing.assert_close(out, dense_spmm(edge_index, x, num_nodes + 2, edge_weight, reduce))
    assert (out[-2:] == 0).all()


@pytest.mark.parametrize("seed", [0, 1])
def test_spmm_sum_is_dense_matmul(extensions, seed):
    edge_index = random_graph(30, 60, seed)
    edge_weight = weights(edge_index.size(1), seed)
    x = features(30, 3, seed)
    out = spmm(edge_index, x, edge_weight=edge_weight)
    torch.testing.assert_close(out, dense_matrix(edge_index, 30, edge_weight) @ x)


def _inputs(edge_index, num_nodes, edge_weight):
    """Every accepted adjacency type for the same matrix, as (name, adj, edge_weight to pass)."""
    csr = as_csr(edge_index, num_nodes, edge_weight)
    sparse_csr = torch.sparse_csr_tensor(
        csr.rowptr, csr.col, csr.value, (num_nodes, num_nodes), check_invariants=True
    )
    out = [
        ("edge_index", edge_index, edge_weight),
        ("EdgeIndex", EdgeIndex(edge_index, sparse_size=(num_nodes, num_nodes)), edge_weight),
        ("CSR", csr, None),
        ("sparse_csr", sparse_csr, None),
        ("sparse_coo", torch.sparse_coo_tensor(edge_index, edge_weight, (num_nodes, num_nodes), check_invariants=True), None),
    ]
    if _compat.torch_sparse is not None:
        st = _compat.torch_sparse.SparseTensor(
            row=edge_index[0], col=edge_index[1], value=edge_weight, sparse_sizes=(num_nodes, num_nodes)
        )
        out.append(("SparseTensor", st, None))
    return out


@pytest.mark.parametrize("reduce", ["sum", "mean"])
@pytest.mark.parametrize("seed", [0, 1])
def test_spmm_every_input_type_agrees(extensions, reduce, seed):
    num_nodes = 25
    # coalesced graph: a sparse_coo input sums duplicates, which changes "mean" (fewer entries)
    edge_index = torch.unique(random_graph(num_nodes - 3, 60, seed), dim=1).contiguous()
    edge_weight = weights(edge_index.size(1), seed)
    x = features(num_nodes, 3, seed)
    expected = dense_spmm(edge_index, x, num_nodes, edge_weight, reduce)
    for name, adj, ew in _inputs(edge_index, num_nodes, edge_weight):
        out = spmm(adj, x, edge_weight=ew, reduce=reduce)
        torch.testing.assert_close(out, expected, msg=lambda m, name=name: f"{name}: {m}")


def test_spmm_sparse_csr_with_duplicates_counts_each_entry(extensions):
    # CSR built from a multigraph keeps duplicates: mean divides by stored entries
    edge_index = torch.tensor([[0, 0, 0, 1], [1, 1, 2, 0]])
    x = torch.tensor([[1.0], [2.0], [4.0]], dtype=torch.double)
    csr = as_csr(edge_index, 3)
    out = spmm(csr, x, reduce="mean")
    torch.testing.assert_close(out, torch.tensor([[8.0 / 3], [1.0], [0.0]], dtype=torch.double))
    torch.testing.assert_close(spmm(csr, x), torch.tensor([[8.0], [1.0], [0.0]], dtype=torch.double))


def test_spmm_rectangular_sparse(extensions):
    gen = torch.Generator().manual_seed(0)
    dense = (torch.rand(4, 7, generator=gen) < 0.4).double() * torch.rand(4, 7, generator=gen, dtype=torch.double)
    x = features(7, 2, 0)
    out = spmm(dense.to_sparse_csr(), x)
    torch.testing.assert_close(out, dense @ x)
    with pytest.raises(ValueError, match=r"x has 4 rows but the adjacency has 7 columns \(shape \[4, 7\]\)"):
        spmm(dense.to_sparse_csr(), features(4, 2, 0))


@pytest.mark.parametrize("reduce", REDUCTIONS)
def test_spmm_trailing_dims_and_vectors(extensions, reduce):
    edge_index = random_graph(10, 25, 3)
    edge_weight = weights(edge_index.size(1), 3)
    gen = torch.Generator().manual_seed(0)
    x3 = torch.randn(10, 2, 3, generator=gen, dtype=torch.double)
    out = spmm(edge_index, x3, edge_weight=edge_weight, reduce=reduce)
    assert out.shape == (10, 2, 3)
    torch.testing.assert_close(out, dense_spmm(edge_index, x3, 10, edge_weight, reduce))
    x1 = torch.randn(10, generator=gen, dtype=torch.double)
    out = spmm(edge_index, x1, edge_weight=edge_weight, reduce=reduce)
    assert out.shape == (10,)
    torch.testing.assert_close(out, dense_spmm(edge_index, x1, 10, edge_weight, reduce))


@pytest.mark.parametrize("reduce", REDUCTIONS)
def test_spmm_empty_graphs(extensions, reduce):
    out = spmm(torch.zeros(2, 0, dtype=torch.long), torch.ones(4, 3), reduce=reduce)
    assert out.shape == (4, 3) and (out == 0).all()
    out = spmm(torch.zeros(2, 0, dtype=torch.long), torch.ones(0, 3), reduce=reduce)
    assert out.shape == (0, 3)
    out = spmm(torch.zeros(2, 0, dtype=torch.long), torch.ones(3, 0), reduce=reduce)
    assert out.shape == (3, 0)
    # values that need grad leave the torch.sparse path; torch-sparse must not see an empty x
    # (its kernels die with SIGFPE)
    for x in (torch.ones(3, 0), torch.ones(3, 2, 0)):
        w = torch.ones(1, requires_grad=True)
        out = spmm(torch.tensor([[0], [1]]), x, edge_weight=w, reduce=reduce)
        assert out.shape == x.shape
    out = spmm(torch.zeros(0, 0).to_sparse_csr(), torch.ones(0, 2), reduce=reduce)
    assert out.shape == (0, 2)


@pytest.mark.parametrize("reduce", REDUCTIONS)
@pytest.mark.parametrize("value_grad", [False, True])
@pytest.mark.parametrize("seed", [0, 1])
def test_spmm_gradients_match_dense(extensions, reduce, value_grad, seed):
    # value_grad=False takes the torch.sparse path on CPU; True takes torch-sparse (ext) or gather (pure)
    edge_index = random_graph(15, 30, seed)
    edge_weight = weights(edge_index.size(1), seed, requires_grad=value_grad)
    x = features(15, 3, seed, requires_grad=True)
    proj = features(15, 3, seed + 7)
    inputs = [x, edge_weight] if value_grad else [x]
    grads = torch.autograd.grad((spmm(edge_index, x, edge_weight=edge_weight, reduce=reduce) * proj).sum(), inputs)
    expected = torch.autograd.grad((dense_spmm(edge_index, x, 15, edge_weight, reduce) * proj).sum(), inputs)
    for g, e in zip(grads, expected, strict=True):
        torch.testing.assert_close(g, e)
        assert g.abs().sum() > 0


def test_spmm_paths_agree(extensions):
    edge_index = random_graph(40, 100, 4)
    x = features(40, 5, 4)
    w = weights(edge_index.size(1), 4)
    for reduce in REDUCTIONS:
        fast = spmm(edge_index, x, edge_weight=w, reduce=reduce)
        gather = spmm(edge_index, x, edge_weight=w.clone().requires_grad_(), reduce=reduce)
        torch.testing.assert_close(fast, gather.detach())


def test_spmm_value_dtype_follows_x(extensions):
    edge_index = torch.tensor([[0, 1], [1, 0]])
    x = torch.tensor([[1.0], [2.0]], dtype=torch.double)
    out = spmm(edge_index, x, edge_weight=torch.tensor([0.5, 3.0]))
    assert out.dtype == torch.double
    torch.testing.assert_close(out, torch.tensor([[1.0], [3.0]], dtype=torch.double))
    out = spmm(edge_index, x.float(), edge_weight=torch.tensor([1, 2]))  # integer weights are cast
    torch.testing.assert_close(out, torch.tensor([[2.0], [2.0]]))


def test_spmm_num_nodes_default_and_explicit(extensions):
    edge_index = torch.tensor([[0, 1], [1, 2]])
    x = torch.ones(5, 1)
    assert spmm(edge_index, x).shape == (5, 1)  # num_nodes defaults to x.size(0)
    assert spmm(edge_index, x, num_nodes=5).shape == (5, 1)
    with pytest.raises(ValueError, match=r"x has 5 rows but the adjacency has 3 columns"):
        spmm(edge_index, x, num_nodes=3)
    with pytest.raises(ValueError, match=r"edge_index contains node id 2 but num_nodes is 2"):
        spmm(edge_index, torch.ones(2, 1))
    with pytest.raises(ValueError, match=r"adjacency has 3 nodes but num_nodes=4"):
        spmm(as_csr(edge_index, 3), torch.ones(4, 1), num_nodes=4)


@pytest.mark.parametrize(
    "x,error,match",
    [
        (torch.ones(3, 2, dtype=torch.long), TypeError, r"x must be floating point, got torch.int64; convert it with x.float\(\)"),
        ([[1.0]] * 3, TypeError, r"x must be a torch.Tensor of shape \[N, F\], got list"),
        (torch.tensor(1.0), ValueError, r"x must have shape \[N, \*\]"),
        (torch.ones(3, 2, device="meta"), ValueError, r"x is on meta but the adjacency is on cpu"),
    ],
)
def test_spmm_bad_x(x, error, match):
    csr = as_csr(torch.tensor([[0, 1], [1, 2]]), 3)
    with pytest.raises(error, match=match):
        spmm(csr, x)


def test_spmm_bad_adjacency_and_reduce():
    x = torch.ones(3, 1)
    with pytest.raises(ValueError, match=r"reduce must be one of 'sum', 'mean', 'max', 'min'; got 'add'"):
        spmm(torch.tensor([[0], [1]]), x, reduce="add")
    with pytest.raises(TypeError, match=r"adjacency must be a \[2, E\] edge_index tensor"):
        spmm([[0], [1]], x)
    with pytest.raises(ValueError, match=r"edge_weight has 2 entries but there are 1 edges"):
        spmm(torch.tensor([[0], [1]]), x, edge_weight=torch.ones(2))
    with pytest.raises(ValueError, match=r"a CSR carries its own values"):
        spmm(as_csr(torch.tensor([[0], [1]]), 3), x, edge_weight=torch.ones(1))
    assert isinstance(as_csr(torch.tensor([[0], [1]]), 3), CSR)
