import pytest
import torch

from graphkit.models.lighthgnn import HGNN
from graphkit.nn import HGNNConv
from tests.ops.test_incidence import dense_hgnn, random_hypergraph


def test_hgnnconv_dense_reference_and_grad():
    n, m = 9, 6
    idx = random_hypergraph(n, m, seed=3)  # vertices 7, 8 isolated, hyperedge 5 empty
    conv = HGNNConv(5, 3)
    with torch.no_grad():
        conv.lin.bias.fill_(0.5)
    x = torch.randn(n, 5, requires_grad=True)
    w = torch.rand(m) + 0.5
    out = conv(x, idx, m, w)
    # the bias is added before propagation (DHG / HGNN): X' = L (X Θ + b)
    ref = dense_hgnn(x.detach() @ conv.lin.weight.detach().t() + 0.5, idx, n, m, w)
    torch.testing.assert_close(out.detach().double(), ref, atol=1e-5, rtol=1e-5)
    assert torch.equal(out[-2:].detach(), torch.zeros(2, 3))  # isolated vertices: 0, not b, not NaN
    out.sum().backward()
    assert torch.isfinite(x.grad).all()
    assert repr(conv) == "HGNNConv(5, 3, bias=True)"
    assert HGNNConv(5, 3, bias=False).lin.bias is None


def test_hgnnconv_bad_input():
    conv = HGNNConv(4, 2)
    with pytest.raises(ValueError, match="x has 5 features but HGNNConv was built for 4"):
        conv(torch.randn(3, 5), torch.tensor([[0], [0]]))
    with pytest.raises(ValueError, match="num_nodes=3"):
        conv(torch.randn(3, 4), torch.tensor([[7], [0]]))
    with pytest.raises(ValueError, match="in_channels must be >= 1"):
        HGNNConv(0, 2)
    with pytest.raises(TypeError, match="out_channels must be an int"):
        HGNNConv(2, 2.0)


@pytest.mark.parametrize("weighted", [False, True])
def test_hgnn_matches_dhg(weighted):
    """Same weights, same hypergraph: graphkit's HGNN teacher equals DHG's HGNN (the LightHGNN official teacher)."""
    dhg = pytest.importorskip("dhg")
    from dhg.models import HGNN as DHGHGNN

    gen = torch.Generator().manual_seed(0)
    n, f, c = 12, 6, 3
    e_list = [[0, 1, 2], [2, 3], [3, 4, 5, 6], [6, 7, 0], [8, 9], [9, 10, 11, 1], [4, 11]]
    w = (torch.rand(len(e_list), generator=gen) + 0.5) if weighted else None
    hg = dhg.Hypergraph(n, e_list, e_weight=None if w is None else w.tolist())
    idx = torch.tensor([[v for e in e_list for v in e], [i for i, e in enumerate(e_list) for _ in e]])
    x = torch.randn(n, f, generator=gen)
    ours, theirs = HGNN(f, 5, c).eval(), DHGHGNN(f, 5, c).eval()
    with torch.no_grad():
        for conv, ref in zip(ours.convs, theirs.layers, strict=True):
            conv.lin.weight.copy_(ref.theta.weight)
            conv.lin.bias.copy_(ref.theta.bias)
        expected = theirs(x, hg)
        got = ours(x, idx, len(e_list), w)
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)
