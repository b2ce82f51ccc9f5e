import pytest
import torch

from graphkit.nn import HGNNConv
from tests.ops.test_incidence import dense_hgnn, random_hypergraph


def test_hgnnconv_dense_reference_and_grad():
    n, m = 9, 6
    idx = random_hypergraph(n, m, seed=3)
    conv = HGNNConv(5, 3)
    with torch.no_grad():
        conv.bias.fill_(0.5)
    x = torch.randn(n, 5, requires_grad=True)
    w = torch.rand(m) + 0.5
    out = conv(x, idx, m, w)
    ref = dense_hgnn(conv.lin(x).detach(), idx, n, m, w) + 0.5
    torch.testing.assert_close(out.detach().double(), ref, atol=1e-5, rtol=1e-5)
    out.sum().backward()
    assert torch.isfinite(x.grad).all()
    assert repr(conv) == "HGNNConv(5, 3, bias=True)"


def test_hgnnconv_bad_input():
    conv = HGNNConv(4, 2)
    with pytest.raises(ValueError, match="x of shape \\[N, 4\\]"):
        conv(torch.randn(3, 5), torch.tensor([[0], [0]]))
    with pytest.raises(ValueError, match="num_nodes=3"):
        conv(torch.randn(3, 4), torch.tensor([[7], [0]]))
    with pytest.raises(ValueError, match="positive"):
        HGNNConv(0, 2)
