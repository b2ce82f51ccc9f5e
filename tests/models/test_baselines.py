import pytest
import torch

from graphkit.models import GCN, MLP, SAGE
from tests.conftest import random_graph


@pytest.mark.parametrize("cls", [MLP, GCN, SAGE])
def test_forward_shape_repr_and_reset(cls):
    x, ei = torch.randn(30, 5), random_graph(30, 60, seed=0)
    model = cls(5, 16, 3, num_layers=3, dropout=0.1)
    assert model(x, ei).shape == (30, 3)
    extra = ", aggr='mean'" if cls is SAGE else ""
    assert repr(model) == f"{cls.__name__}(5, 16, 3, num_layers=3, dropout=0.1{extra})"
    before = [p.clone() for p in model.parameters()]
    model.reset_parameters()
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))


def test_mlp_ignores_the_graph_and_gcn_does_not():
    x, ei = torch.randn(30, 5), random_graph(30, 60, seed=0)
    torch.manual_seed(0)
    mlp, gcn = MLP(5, 8, 2, dropout=0.0).eval(), GCN(5, 8, 2, dropout=0.0).eval()
    assert torch.equal(mlp(x, ei), mlp(x, ei[:, :5]))
    assert not torch.allclose(gcn(x, ei), gcn(x, ei[:, :5]))


@pytest.mark.parametrize("kwargs, match", [
    ({"in_channels": 0}, "channel sizes must be positive"),
    ({"num_layers": 0}, "num_layers must be >= 1"),
    ({"dropout": 1.0}, r"dropout must be in \[0, 1\)"),
])
def test_bad_arguments(kwargs, match):
    args = {"in_channels": 4, "hidden_channels": 8, "out_channels": 2} | kwargs
    with pytest.raises(ValueError, match=match):
        GCN(args.pop("in_channels"), args.pop("hidden_channels"), args.pop("out_channels"), **args)


def test_sage_gcn_aggregator_matches_dense_reference():
    # DGL's SAGEConv(..., 'gcn'), used by GLNN / VQGraph: W (x_v + sum_{u in N(v)} x_u) / (d_v + 1) + b
    gen = torch.Generator().manual_seed(3)
    x, ei = torch.randn(12, 4, generator=gen), torch.unique(random_graph(12, 20, seed=3), dim=1)
    ei = ei[:, ei[0] != ei[1]]
    model = SAGE(4, 6, 3, num_layers=1, dropout=0.0, aggr="gcn").eval()
    adj = torch.zeros(12, 12)
    adj[ei[1], ei[0]] = 1.0  # messages flow source -> target
    mean = (adj + torch.eye(12)) / (adj.sum(1, keepdim=True) + 1)
    lin = model.net.convs[0].lin_l
    torch.testing.assert_close(model(x, ei), lin(mean @ x))
    assert not hasattr(model.net.convs[0], "lin_r") or model.net.convs[0].lin_r is None
    with pytest.raises(ValueError, match="aggr"):
        SAGE(4, 6, 3, aggr="max")
