import pytest
import torch

from graphkit.models import GCN, MLP, SAGE
from tests.conftest import random_graph


@pytest.mark.parametrize("cls", [MLP, GCN, SAGE])
def test_forward_shape_repr_and_reset(cls):
    x, ei = torch.randn(30, 5), random_graph(30, 60, seed=0)
    model = cls(5, 16, 3, num_layers=3, dropout=0.1)
    assert model(x, ei).shape == (30, 3)
    assert repr(model) == f"{cls.__name__}(5, 16, 3, num_layers=3, dropout=0.1)"
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
