"""graphkit.nn.sage_conv: PyG's SAGEConv / GraphSAGE with a transform-then-aggregate path for CSR input (#21)."""

import pytest
import torch
from torch_geometric.nn import SAGEConv as PygSAGEConv
from torch_geometric.nn.models import GraphSAGE as PygGraphSAGE

from graphkit.nn.sage_conv import GraphSAGE, SAGEConv


def bag_of_words(n=30, f=40, seed=0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(n, f, generator=gen) * (torch.rand(n, f, generator=gen) < 0.1)
    x[3] = 0.0
    return x


def graph(n=30, e=70, seed=1):
    ei = torch.randint(0, n, (2, e), generator=torch.Generator().manual_seed(seed))
    ei[:, ei[1] == 5] = 0  # node 5 has no in-neighbour: PyG's mean is 0 there, the output the bias b_l
    return ei


@pytest.mark.parametrize("kwargs", [{}, {"root_weight": False}, {"aggr": "sum"}, {"bias": False},
                                    {"normalize": True}], ids=["mean", "no-root", "sum", "no-bias", "normalize"])
def test_csr_input_equals_pyg_on_the_dense_matrix(kwargs):
    torch.manual_seed(0)
    ours = SAGEConv(40, 8, **kwargs)
    torch.manual_seed(0)
    pyg = PygSAGEConv(40, 8, **kwargs)
    assert list(ours.state_dict()) == list(pyg.state_dict())
    assert all(torch.equal(a, b) for a, b in zip(ours.state_dict().values(), pyg.state_dict().values(), strict=True)), \
        "same parameters from the same seed: the subclass adds nothing"
    x, ei = bag_of_words(), graph()
    want = pyg(x, ei)
    assert torch.equal(ours(x, ei), want), "dense input takes PyG's own path"
    got = ours(x.to_sparse_csr(), ei)
    torch.testing.assert_close(got, want, atol=1e-6, rtol=1e-5)
    if kwargs.get("bias", True) and not kwargs.get("normalize"):
        torch.testing.assert_close(got[5], pyg.lin_l.bias + pyg.lin_r(x[5:6])[0] if pyg.root_weight
                                   else pyg.lin_l.bias)


def test_csr_gradients_equal_dense():
    x, ei = bag_of_words(), graph()
    conv = SAGEConv(40, 8)
    grads = []
    for inp in (x, x.to_sparse_csr()):
        conv.zero_grad()
        conv(inp, ei).pow(2).sum().backward()
        grads.append([p.grad.clone() for p in conv.parameters()])
    for a, b in zip(*grads, strict=True):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)


def test_unsupported_settings_with_csr_name_the_fix():
    conv = SAGEConv(40, 8, aggr="max")
    with pytest.raises(ValueError, match="to_dense"):
        conv(bag_of_words().to_sparse_csr(), graph())
    conv = SAGEConv(40, 8, project=True)
    with pytest.raises(ValueError, match="project"):
        conv(bag_of_words().to_sparse_csr(), graph())


def test_graphsage_is_pygs_model_and_takes_csr():
    torch.manual_seed(0)
    ours = GraphSAGE(40, 16, 2, 3, dropout=0.5)
    torch.manual_seed(0)
    pyg = PygGraphSAGE(40, 16, 2, 3, dropout=0.5)
    assert all(torch.equal(a, b) for a, b in zip(ours.state_dict().values(), pyg.state_dict().values(), strict=True))
    x, ei = bag_of_words(), graph()
    ours.eval(), pyg.eval()
    assert torch.equal(ours(x, ei), pyg(x, ei))
    torch.testing.assert_close(ours(x.to_sparse_csr(), ei), pyg(x, ei), atol=1e-6, rtol=1e-5)
    ours.train(), pyg.train()
    torch.manual_seed(3)
    dense = ours(x, ei)
    torch.manual_seed(3)
    sparse = ours(x.to_sparse_csr(), ei)
    torch.testing.assert_close(sparse, dense, atol=1e-6, rtol=1e-5)  # the hidden dropout draws the same stream


def test_bipartite_pair_with_csr_equals_pyg():
    torch.manual_seed(0)
    conv = SAGEConv(40, 8)
    x, ei = bag_of_words(), graph()
    src, dst = x, x[:12]
    keep = ei[1] < 12
    bip = ei[:, keep]
    want = PygSAGEConv.forward(conv, (src, dst), bip, size=(30, 12))
    got = conv((src.to_sparse_csr(), dst.to_sparse_csr()), bip, size=(30, 12))
    torch.testing.assert_close(got, want, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(conv((src.to_sparse_csr(), dst), bip), want, atol=1e-6, rtol=1e-5)
