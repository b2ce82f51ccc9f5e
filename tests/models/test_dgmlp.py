"""DGMLP: forward = head(node-adaptive weighting); deep option; config and presets; procedure; bad input."""

from __future__ import annotations

import doctest

import pytest
import torch
import torch.nn.functional as F

from graphkit import metrics
from graphkit.datasets import contextual_sbm
from graphkit.models import dgmlp as dgmlp_module
from graphkit.models.dagnn import DAGNN
from graphkit.models.dgmlp import DGMLP, DGMLPConfig, fit_dgmlp
from graphkit.ops.hop_weighting import node_adaptive_hop_weighting
from tests.conftest import random_graph

# benchmarks/configs/dgmlp.json as it was when the presets replaced it: "default" merged with each block
JSON_DEFAULT = {"num_hops": 20, "dropout": 0.2, "lr": 0.2, "weight_decay": 5e-3, "epochs": 200, "patience": None,
                "num_layers": 1, "runs": 10}
JSON_DATASETS = {
    "csbm": {"num_hops": 10, "epochs": 100, "lr": 0.05, "runs": 3},
    "cora": {"num_hops": 20, "dropout": 0.2, "lr": 0.2, "weight_decay": 5e-3},
    "citeseer": {"num_hops": 15, "dropout": 0.1, "lr": 0.1, "weight_decay": 5e-2},
    "pubmed": {"num_hops": 20, "dropout": 0.5, "lr": 0.2, "weight_decay": 5e-5},
}
CODE_DEFAULTS = {"hidden_channels": None}  # the former build read cfg.get("hidden_channels")


@pytest.fixture(scope="module")
def csbm():
    return contextual_sbm(num_nodes=200, num_classes=3, seed=0)


def small_config(**changes) -> DGMLPConfig:
    return DGMLPConfig(**(dict(num_hops=4, dropout=0.2, lr=0.05, weight_decay=5e-4, epochs=20, runs=1) | changes))


# --------------------------------------------------------------------------- the model


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
    with pytest.raises(ValueError, match="num_hops must be >= 0"):
        DGMLP(5, 2, -3)
    with pytest.raises(ValueError, match="num_layers=3 needs hidden_channels"):
        DGMLP(5, 2, num_layers=3)
    with pytest.raises(ValueError, match="hidden_channels must be >= 1"):
        DGMLP(5, 2, num_layers=3, hidden_channels=0)
    with pytest.raises(ValueError, match="dropout must be >= 0"):
        DGMLP(5, 2, dropout=-0.1)
    with pytest.raises(TypeError, match="out_channels must be an int"):
        DGMLP(5, "2")
    with pytest.raises(ValueError, match=r"x has 4 features but DGMLP was built for 5; .*from_config"):
        DGMLP(5, 2)(torch.randn(6, 4), random_graph(6, 4, 0))
    with pytest.raises(ValueError, match="needs edge_index"):
        DGMLP(5, 2)(torch.randn(6, 5))


def test_from_config_sizes_the_model(csbm):
    model = DGMLP.from_config(DGMLPConfig.paper("citeseer"), csbm)
    assert (model.in_channels, model.out_channels, model.num_hops, model.dropout) == (csbm.num_features, 3, 15, 0.1)
    deep = DGMLP.from_config(DGMLPConfig(num_layers=3, hidden_channels=16), csbm)
    assert deep.hidden_channels == 16 and len(deep.mids) == 1


# --------------------------------------------------------------------------- config and presets


@pytest.mark.parametrize("name", sorted(JSON_DATASETS))
def test_presets_equal_the_former_json_configs(name):
    assert DGMLPConfig.paper(name).to_dict() == JSON_DEFAULT | JSON_DATASETS[name] | CODE_DEFAULTS
    assert DGMLPConfig.for_dataset(name) == DGMLPConfig.paper(name)


def test_every_preset_builds_and_names_its_source():
    assert set(DGMLPConfig.presets) == set(JSON_DATASETS)
    for name in DGMLPConfig.presets:
        assert isinstance(DGMLPConfig.paper(name), DGMLPConfig)
    assert "PKU-DAIR/DGMLP" in DGMLPConfig.source_for("pubmed")
    assert DGMLPConfig.source_for("csbm") == "a small synthetic default, not from the paper"
    assert DGMLPConfig.for_dataset("coauthor-cs").to_dict() == JSON_DEFAULT | CODE_DEFAULTS


def test_config_rejects_unknown_keys_and_bad_values_in_one_line():
    with pytest.raises(ValueError, match=r"unknown key 'hops' \(did you mean 'num_hops'\?\); valid keys: ") as info:
        DGMLPConfig.from_dict({"hops": 3})
    assert "\n" not in str(info.value)
    with pytest.raises(ValueError, match="num_layers=2 needs hidden_channels >= 1"):
        DGMLPConfig(num_layers=2)
    with pytest.raises(ValueError, match="patience must be >= 1 or null"):
        DGMLPConfig(patience=0)
    with pytest.raises(ValueError, match="lr must be > 0"):
        DGMLPConfig(lr=0)


# --------------------------------------------------------------------------- the procedure


def test_fit_precomputes_once_and_selects_on_validation(csbm):
    result = fit_dgmlp(DGMLP.from_config(small_config(), csbm), csbm, small_config(), seed=0, device="cpu")
    assert result.epochs_run == 20 and result.time["precompute_s"] > 0 and result.time["eval_s"] > 0
    accs = [h["valid_accuracy"] for h in result.history]
    assert result.best_epoch == accs.index(max(accs))  # the first best epoch (0-based)
    assert result.metrics["valid_accuracy"] == pytest.approx(max(accs))
    assert result.metrics["test_accuracy"] > 0.5
    torch.testing.assert_close(result.x_tilde, node_adaptive_hop_weighting(csbm.edge_index, csbm.x, 4))
    for stage in ("train", "val", "test"):
        assert torch.equal(getattr(result, f"{stage}_mask"), getattr(csbm, f"{stage}_mask"))


def test_fit_trains_the_model_passed_in(csbm):
    config = small_config()
    model = DGMLP.from_config(config, csbm)
    before = model.lin.weight.detach().clone()
    result = fit_dgmlp(model, csbm, config, progress=False)
    assert result.model is model and result.config is config
    assert not torch.equal(before, model.lin.weight)
    pred = model.head(result.x_tilde).argmax(-1)
    assert metrics.accuracy(pred[csbm.test_mask], csbm.y[csbm.test_mask]) == result.metrics["test_accuracy"]
    torch.testing.assert_close(model(csbm.x, csbm.edge_index), model.head(result.x_tilde))


def test_same_seed_same_result_whatever_the_model_went_through(csbm):
    config = small_config(epochs=10)
    model = DGMLP.from_config(config, csbm)
    first = fit_dgmlp(model, csbm, config, seed=5, progress=False)
    first_metrics, first_history = dict(first.metrics), list(first.history)
    second = fit_dgmlp(model, csbm, config, seed=5, progress=False)
    assert second.metrics == first_metrics and second.history == first_history
    assert fit_dgmlp(model, csbm, config, seed=6, progress=False).history != first_history


def test_patience_stops_early(csbm):
    result = fit_dgmlp(DGMLP.from_config(small_config(), csbm), csbm, small_config(epochs=200, patience=3),
                       progress=False)
    assert result.epochs_run < 200 and result.epochs_run == result.best_epoch + 1 + 3


def test_training_rows_only_equals_the_full_matrix_loop_without_dropout():
    """The row-wise head trained on the training rows gives the official full-matrix loop's losses and selection."""
    data = contextual_sbm(num_nodes=150, num_classes=3, seed=1)
    config = small_config(num_hops=3, dropout=0.0, epochs=15)
    ours = fit_dgmlp(DGMLP.from_config(config, data), data, config, seed=3)
    torch.manual_seed(3)
    model = DGMLP.from_config(config, data)
    x_tilde = node_adaptive_hop_weighting(data.edge_index, data.x, 3)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    losses, accs, states = [], [], []
    for _ in range(config.epochs):  # the official loop: the head on every row, the loss on the training rows
        model.train()
        optimizer.zero_grad()
        loss = F.cross_entropy(model.head(x_tilde)[data.train_mask], data.y[data.train_mask])
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        model.eval()
        with torch.no_grad():
            logits = model.head(x_tilde)
        accs.append(metrics.accuracy(logits[data.val_mask], data.y[data.val_mask]))
        states.append(metrics.accuracy(logits[data.test_mask], data.y[data.test_mask]))
    torch.testing.assert_close(torch.tensor([h["loss"] for h in ours.history]), torch.tensor(losses))
    best = accs.index(max(accs))
    assert ours.best_epoch == best
    assert ours.metrics["test_accuracy"] == pytest.approx(states[best])


def test_wrong_model_type_config_key_and_model_size_raise_one_line_errors(csbm):
    with pytest.raises(TypeError, match=r"fit_dgmlp trains a DGMLP, got DAGNN: build one with "
                                        r"DGMLP.from_config\(config, data\)") as info:
        fit_dgmlp(DAGNN(csbm.num_features, 8, 3), csbm, small_config())
    assert "\n" not in str(info.value)
    model = DGMLP.from_config(small_config(), csbm)
    with pytest.raises(ValueError, match=r"unknown key 'epoch' \(did you mean 'epochs'\?\)"):
        fit_dgmlp(model, csbm, {"epoch": 5})
    with pytest.raises(ValueError, match=r"data.y contains class 2 among the nodes of data.train_mask but DGMLP predicts 2 classes .*from_config"):
        fit_dgmlp(DGMLP(csbm.num_features, 2), csbm, small_config())
    multilabel = csbm.clone()
    multilabel.y = torch.zeros(csbm.num_nodes, 2, dtype=torch.long)
    with pytest.raises(ValueError, match="single-label"):
        fit_dgmlp(model, multilabel, small_config())


def test_docstring_examples_run():
    # the procedure's wrapper lives in graphkit.models.procedure, so testmod skips it: collect it by hand
    finder = doctest.DocTestFinder()
    tests = finder.find(dgmlp_module) + finder.find(fit_dgmlp, "fit_dgmlp", globs=vars(dgmlp_module))
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in tests:
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0
    assert {t.name.split(".")[-1] for t in tests if t.examples} >= {"dgmlp", "DGMLP", "fit_dgmlp"}
