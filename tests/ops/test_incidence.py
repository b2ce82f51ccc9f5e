import pytest
import torch
from torch_geometric.nn import HypergraphConv

from graphkit.ops.incidence import (
    check_hyperedge_index,
    edge_to_vertex,
    hgnn_propagate,
    hypergraph_degrees,
    vertex_to_edge,
)


def dense_hgnn(x, hyperedge_index, n, m, w=None):
    h = torch.zeros(n, m, dtype=torch.float64)
    h.index_put_(tuple(hyperedge_index), torch.ones(hyperedge_index.size(1), dtype=torch.float64), accumulate=True)
    w = torch.ones(m, dtype=torch.float64) if w is None else w.double()
    dv, de = h @ w, h.sum(0)
    inv = lambda d, p: torch.where(d > 0, d.clamp_min(1e-300) ** -p, torch.zeros_like(d))  # noqa: E731
    a = torch.diag(inv(dv, 0.5)) @ h @ torch.diag(w) @ torch.diag(inv(de, 1.0)) @ h.t() @ torch.diag(inv(dv, 0.5))
    return a @ x.double()


def random_hypergraph(n=9, m=6, nnz=20, seed=0):
    g = torch.Generator().manual_seed(seed)
    idx = torch.stack([torch.randint(0, n - 2, (nnz,), generator=g), torch.randint(0, m - 1, (nnz,), generator=g)])
    return idx  # vertices n-2, n-1 isolated; hyperedge m-1 empty


@pytest.mark.parametrize("weighted", [False, True])
def test_hgnn_propagate_matches_dense_with_isolated_and_empty(weighted):
    n, m = 9, 6
    idx = random_hypergraph(n, m)
    x = torch.randn(n, 4, generator=torch.Generator().manual_seed(1))
    w = torch.rand(m, generator=torch.Generator().manual_seed(2)) + 0.1 if weighted else None
    out = hgnn_propagate(x, idx, m, w)
    ref = dense_hgnn(x, idx, n, m, w)
    assert torch.isfinite(out).all()
    torch.testing.assert_close(out.double(), ref, atol=1e-5, rtol=1e-5)
    assert torch.equal(out[-2:], torch.zeros(2, 4))  # isolated vertices → 0, not NaN


def test_differs_from_pyg_hypergraphconv_on_irregular_degrees():
    n, m = 9, 6
    idx = random_hypergraph(n, m)
    x = torch.randn(n, 3)
    conv = HypergraphConv(3, 3, bias=False)
    with torch.no_grad():
        conv.lin.weight.copy_(torch.eye(3))
    pyg = conv(x, idx, num_edges=m)
    assert not torch.allclose(pyg, hgnn_propagate(x, idx, m), atol=1e-3)


def test_degrees_and_products():
    idx = torch.tensor([[0, 1, 1, 2], [0, 0, 1, 1]])
    w = torch.tensor([2.0, 3.0, 5.0])
    dv, de = hypergraph_degrees(idx, 4, 3, w)
    assert dv.tolist() == [2.0, 5.0, 3.0, 0.0] and de.tolist() == [2.0, 2.0, 0.0]
    x = torch.tensor([[1.0], [3.0], [5.0], [7.0]])
    assert vertex_to_edge(x, idx, 3, mean=True).view(-1).tolist() == [2.0, 4.0, 0.0]
    assert edge_to_vertex(torch.tensor([[1.0], [10.0], [100.0]]), idx, 4, w).view(-1).tolist() == [2.0, 32.0, 30.0, 0.0]


def test_bad_hyperedge_index():
    idx = torch.tensor([[0, 5], [0, 1]])
    with pytest.raises(ValueError, match="vertex ids in \\[0, 5\\].*num_nodes=3"):
        check_hyperedge_index(idx, 3, 2)
    with pytest.raises(ValueError, match="hyperedge ids.*num_hyperedges=1"):
        check_hyperedge_index(torch.tensor([[0, 1], [0, 1]]), 3, 1)
    with pytest.raises(TypeError, match="int64"):
        check_hyperedge_index(idx.int(), 6)
    with pytest.raises(ValueError, match="shape \\[2, nnz\\]"):
        check_hyperedge_index(idx.t().reshape(1, 4), 6)
    with pytest.raises(ValueError, match="hyperedge_weight has 3 entries"):
        check_hyperedge_index(idx, 6, 2, torch.ones(3))
    with pytest.raises(ValueError, match="non-negative"):
        check_hyperedge_index(idx, 6, 2, torch.tensor([1.0, -1.0]))
    with pytest.raises(TypeError, match="num_nodes must be an int"):
        check_hyperedge_index(idx, 6.0, 2)
    with pytest.raises(ValueError, match="num_hyperedges must be >= 0"):
        check_hyperedge_index(idx, 6, -1)
