"""DGMLP: forward = head(node-adaptive weighting); deep option; procedure; bad input."""

from __future__ import annotations

import pytest
import torch

import graphkit
from graphkit.datasets import contextual_sbm
from graphkit.models.dgmlp import DGMLP, fit_dgmlp
from graphkit.models.registry import get_model
from graphkit.ops.hop_weighting import node_adaptive_hop_weighting
from tests.conftest import random_graph


def test_forward_is_dropout_linear_on_weighted_hops():
    torch.manual_seed(0)
    edge_index = random_graph(15, 20, 0)  # nodes 15..17 isolated
    x = torch.randn(18, 6)
    model = DGMLP(6, 3, 5).eval()
    expected = model.lin(node_adaptive_hop_weighting(edge_index, x, 5, num_nodes=18))
    torch.testing.assert_close(model(x, edge_index), expected)
    assert torch.isfinite(expected).all()


def test_cached_precomputation_is_reused():
    torch.manual_seed(0)
    edge_index = random_graph(10, 15, 0)
    x = torch.randn(10, 4)
    model = DGMLP(4, 2, 3, cached=True).eval()
    first = model(x, edge_index)
    torch.testing.assert_close(model(torch.zeros(10, 4), None), first)
    with pytest.raises(ValueError, match="cached features have 10 rows"):
        model(torch.zeros(11, 4), None)
    model.reset_parameters()
    assert model._cached_x is None


def test_deep_option_has_residual_layers_and_trains():
    torch.manual_seed(0)
    model = DGMLP(4, 3, 2, hidden_channels=8, num_layers=4, dropout=0.1)
    assert len(model.mids) == 2 and len(model.norms) == 2
    assert repr(model).startswith("DGMLP(\n  4, 3, num_hops=2, dropout=0.1, num_layers=4, hidden_channels=8")
    out = model(torch.randn(12, 4), random_graph(12, 20, 1))
    out.sum().backward()
    assert out.shape == (12, 3)
    assert all(p.grad is not None for p in model.parameters())


def test_repr_and_bad_input():
    assert repr(DGMLP(5, 2)).startswith("DGMLP(\n  5, 2, num_hops=20, dropout=0.2, num_layers=1")
    with pytest.raises(ValueError, match="non-negative"):
        DGMLP(5, 2, -3)
    with pytest.raises(ValueError, match="needs a positive hidden_channels"):
        DGMLP(5, 2, num_layers=3)
    with pytest.raises(ValueError, match="dropout"):
        DGMLP(5, 2, dropout=-0.1)
    with pytest.raises(ValueError, match="built for 5 input features but x has 4"):
        DGMLP(5, 2)(torch.randn(6, 4), random_graph(6, 4, 0))


def test_fit_precomputes_once_and_selects_on_validation():
    data = contextual_sbm(num_nodes=200, num_classes=3, seed=0)
    cfg = {"num_hops": 4, "dropout": 0.2, "lr": 0.05, "weight_decay": 5e-4, "epochs": 20}
    result = fit_dgmlp(data, cfg, seed=0, device="cpu")
    assert result.epochs_run == 20 and result.time["precompute_s"] > 0
    best = max(h["valid_accuracy"] for h in result.history)
    assert result.metrics["valid_accuracy"] == pytest.approx(best)
    assert result.metrics["test_accuracy"] > 0.5
    assert get_model("dgmlp").fit is fit_dgmlp
    assert graphkit.DGMLP is DGMLP


def test_training_rows_only_equals_the_full_matrix_loop_without_dropout():
    """The row-wise head trained on the training rows gives the official full-matrix loop's losses and selection."""
    from graphkit.models.dgmlp import build_dgmlp
    from graphkit.models.registry import GraphInfo
    from graphkit.train.node_classification import train_node_classifier

    data = contextual_sbm(num_nodes=150, num_classes=3, seed=1)
    cfg = {"num_hops": 3, "dropout": 0.0, "lr": 0.05, "weight_decay": 5e-4, "epochs": 15}
    ours = fit_dgmlp(data, cfg, seed=3, device="cpu")
    torch.manual_seed(3)
    model = build_dgmlp(GraphInfo(data.num_nodes, data.num_features, 3), cfg)
    model._cached_x = model.precompute(data.x, data.edge_index, num_nodes=data.num_nodes)
    full = train_node_classifier(model, data, epochs=15, lr=0.05, weight_decay=5e-4)
    torch.testing.assert_close(torch.tensor([h["loss"] for h in ours.history]),
                               torch.tensor([h["loss"] for h in full.history]))
    assert ours.best_epoch == full.best_epoch
    assert ours.metrics == pytest.approx(full.metrics)
