"""DAGNN against a dense reference; its config and presets; the official procedure; bad input."""

from __future__ import annotations

import doctest

import pytest
import torch

from graphkit import metrics
from graphkit.datasets import contextual_sbm
from graphkit.models import dagnn as dagnn_module
from graphkit.models.dagnn import (
    DAGNN,
    DAGNNConfig,
    fit_dagnn,
    official_early_stop,
    random_split_for_seed,
)
from graphkit.models.dgmlp import DGMLP
from graphkit.ops.normalize import normalize_features
from graphkit.ops.propagate import HopPropagator
from tests.conftest import random_graph

# benchmarks/configs/dagnn.json as it was when the presets replaced it: "default" merged with each block
JSON_DEFAULT = {"hidden_channels": 64, "num_hops": 10, "dropout": 0.8, "lr": 0.01, "weight_decay": 5e-3,
                "epochs": 1000, "early_stopping": 100, "normalize_features": True, "random_splits": False,
                "largest_component": False, "runs": 10}
JSON_DATASETS = {
    "csbm": {"epochs": 100, "early_stopping": 0, "num_hops": 5, "dropout": 0.5, "runs": 3, "normalize_features": False},
    "cora": {"weight_decay": 5e-3, "num_hops": 10, "dropout": 0.8},
    "citeseer": {"weight_decay": 2e-2, "num_hops": 10, "dropout": 0.5},
    "pubmed": {"weight_decay": 5e-3, "num_hops": 20, "dropout": 0.8},
    "coauthor-cs": {"weight_decay": 0, "num_hops": 5, "dropout": 0.8, "random_splits": True},
    "coauthor-physics": {"weight_decay": 0, "num_hops": 5, "dropout": 0.8, "random_splits": True},
    "amazon-computers": {"weight_decay": 5e-5, "num_hops": 5, "dropout": 0.5, "epochs": 3000, "early_stopping": 300,
                         "random_splits": True, "largest_component": True},
    "amazon-photo": {"weight_decay": 5e-4, "num_hops": 5, "dropout": 0.5, "random_splits": True,
                     "largest_component": True},
}
# keys the JSON left to code defaults
CODE_DEFAULTS = {"input_dropout": True, "batch_norm": False, "sparse_input": True, "train_per_class": 20,
                 "val_per_class": 30}


def dense_sym_norm(edge_index, n):
    a = torch.zeros(n, n).index_put_((edge_index[0], edge_index[1]), torch.ones(edge_index.size(1)),
                                     accumulate=True)
    a = a + torch.diag((a.diagonal() == 0).float())
    d = a.sum(1).rsqrt()
    return d[:, None] * a * d[None, :]


def small_config(**changes) -> DAGNNConfig:
    values = dict(hidden_channels=16, num_hops=3, dropout=0.5, lr=0.01, weight_decay=5e-4, epochs=30,
                  early_stopping=5, normalize_features=False, runs=1) | changes
    return DAGNNConfig(**values)


@pytest.fixture(scope="module")
def csbm():
    return contextual_sbm(num_nodes=200, num_classes=3, seed=0)


# --------------------------------------------------------------------------- the model


def test_forward_matches_dense_reference(extensions):
    torch.manual_seed(0)
    n, k = 12, 4
    edge_index = random_graph(9, 10, 0)  # nodes 9..11 isolated
    x = torch.randn(n, 6)
    model = DAGNN(6, 8, 3, k, dropout=0.5).eval()
    z = model.lin2(torch.relu(model.lin1(x)))
    a = dense_sym_norm(edge_index, n)
    hops = [z]
    for _ in range(k):
        hops.append(a @ hops[-1])
    h = torch.stack(hops, 1)
    s = torch.sigmoid(h @ model.adjust.proj.weight.view(-1) + model.adjust.proj.bias)
    expected = (s.unsqueeze(-1) * h).sum(1)
    out, scores = model(x, edge_index, return_scores=True)
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(scores, s, atol=1e-5, rtol=1e-5)
    assert torch.isfinite(out).all()
    # a normalised CSR or a HopPropagator given as adj= gives the same output
    from graphkit.ops import sym_norm

    torch.testing.assert_close(model(x, adj=sym_norm(edge_index, n)), out)
    torch.testing.assert_close(model(x, adj=HopPropagator(sym_norm(edge_index, n))), out)


def test_num_hops_zero_is_the_mlp_times_its_score():
    torch.manual_seed(1)
    model = DAGNN(4, 5, 2, 0).eval()
    x = torch.randn(6, 4)
    z = model.transform(x)
    s = torch.sigmoid(model.adjust.proj(z))
    torch.testing.assert_close(model(x, torch.empty(2, 0, dtype=torch.long)), s * z)


def test_gradients_reach_every_parameter_and_cache():
    torch.manual_seed(0)
    model = DAGNN(5, 8, 3, 3, cached=True)
    edge_index = random_graph(10, 20, 1)
    x = torch.randn(10, 5)
    model(x, edge_index).sum().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())
    assert isinstance(model._cached_adj, HopPropagator)
    with pytest.raises(ValueError, match="cached adjacency has 10 nodes"):
        model(torch.randn(11, 5), random_graph(11, 5, 0))
    model.reset_parameters()
    assert model._cached_adj is None


def test_ogbn_arxiv_variant_matches_official_parameter_count():
    model = DAGNN.ogbn_arxiv()
    assert sum(p.numel() for p in model.parameters()) == 43_857
    assert model.bn is not None and not model.input_dropout and model.num_hops == 16
    assert "batch_norm=True" in repr(model)


def test_repr_and_bad_input():
    model = DAGNN(7, 16, 3, 10, dropout=0.8)
    assert repr(model).startswith(
        "DAGNN(\n  7, 16, 3, num_hops=10, dropout=0.8, input_dropout=True, batch_norm=False")
    with pytest.raises(ValueError, match="num_hops must be >= 0"):
        DAGNN(7, 16, 3, -1)
    with pytest.raises(ValueError, match="in_channels must be >= 1"):
        DAGNN(0, 16, 3)
    with pytest.raises(TypeError, match="hidden_channels must be an int"):
        DAGNN(7, 16.0, 3)
    with pytest.raises(ValueError, match="dropout must be < 1"):
        DAGNN(7, 16, 3, dropout=1.0)
    with pytest.raises(TypeError, match="batch_norm must be True or False"):
        DAGNN(7, 16, 3, batch_norm="yes")
    edge_index = random_graph(5, 4, 0)
    with pytest.raises(ValueError, match=r"x has 6 features but DAGNN was built for 7; .*from_config"):
        model(torch.randn(5, 6), edge_index)
    with pytest.raises(ValueError, match="contains node id"):
        model(torch.randn(3, 7), torch.tensor([[0, 4], [4, 0]]))
    with pytest.raises(ValueError, match="needs edge_index"):
        model(torch.randn(3, 7))


def test_sparse_input_equals_dense_input():
    torch.manual_seed(0)
    x = (torch.rand(20, 30) < 0.1).float()
    edge_index = random_graph(20, 40, 0)
    model = DAGNN(30, 8, 3, 3).eval()
    sparse = x.to_sparse_csr()
    torch.testing.assert_close(model(sparse, edge_index), model(x, edge_index))
    model.train()
    torch.manual_seed(1)
    out = model(sparse, edge_index)
    out.sum().backward()
    assert model.lin1.weight.grad is not None and torch.isfinite(out).all()


def test_from_config_sizes_the_model(csbm):
    config = DAGNNConfig.paper("citeseer")
    model = DAGNN.from_config(config, csbm)
    assert (model.in_channels, model.hidden_channels, model.out_channels) == (csbm.num_features, 64, 3)
    assert (model.num_hops, model.dropout, model.input_dropout, model.bn) == (10, 0.5, True, None)
    assert DAGNN.from_config(config.replace(batch_norm=True), csbm).bn is not None
    no_features = csbm.clone()
    no_features.num_nodes, no_features.x = csbm.num_nodes, None
    with pytest.raises(ValueError, match="needs node features"):
        DAGNN.from_config(config, no_features)


# --------------------------------------------------------------------------- config and presets


@pytest.mark.parametrize("name", sorted(JSON_DATASETS))
def test_presets_equal_the_former_json_configs(name):
    expected = JSON_DEFAULT | JSON_DATASETS[name] | CODE_DEFAULTS
    assert DAGNNConfig.paper(name).to_dict() == expected
    assert DAGNNConfig.for_dataset(name) == DAGNNConfig.paper(name)


def test_every_preset_builds_and_names_its_source():
    assert set(DAGNNConfig.presets) == set(JSON_DATASETS)
    for name in DAGNNConfig.presets:
        assert isinstance(DAGNNConfig.paper(name), DAGNNConfig)
        assert DAGNNConfig.source_for(name)
    assert "DeeperGNN" in DAGNNConfig.source_for("cora")
    assert DAGNNConfig.source_for("csbm") == "a small synthetic default, not from the paper"


def test_data_sets_without_a_preset_get_the_json_default():
    assert DAGNNConfig.for_dataset("wikics").to_dict() == JSON_DEFAULT | CODE_DEFAULTS
    with pytest.raises(ValueError, match="no preset for 'wikics'; presets: amazon-computers"):
        DAGNNConfig.paper("wikics")


def test_config_rejects_unknown_keys_and_bad_values_in_one_line():
    with pytest.raises(ValueError, match=r"unknown key 'hops' \(did you mean 'num_hops'\?\); valid keys: .*hidden_channels") as info:
        DAGNNConfig.from_dict({"hops": 3})
    assert "\n" not in str(info.value)
    with pytest.raises(ValueError, match="dropout must be in"):
        DAGNNConfig(dropout=1.5)
    with pytest.raises(ValueError, match="epochs must be >= 1"):
        DAGNNConfig(epochs=0)
    with pytest.raises(ValueError, match="early_stopping=1.5 is not int"):
        DAGNNConfig(early_stopping=1.5)
    with pytest.raises(ValueError, match="largest_component restricts the random splits; set random_splits=True"):
        DAGNNConfig(largest_component=True)
    config = DAGNNConfig.from_dict({"K": 7, "hidden": 32})  # the official argparse names
    assert (config.num_hops, config.hidden_channels) == (7, 32)


# --------------------------------------------------------------------------- the official procedure


def test_official_early_stopping_rule():
    losses = [1.0] * 10
    assert not official_early_stop(losses + [2.0], epoch=10, epochs=20, window=3)  # not after epochs // 2 yet
    assert official_early_stop(losses + [2.0], epoch=11, epochs=20, window=3)
    assert not official_early_stop(losses + [0.5], epoch=11, epochs=20, window=3)
    assert not official_early_stop(losses + [2.0], epoch=11, epochs=20, window=0)
    # the mean is over the previous `window` losses only
    assert official_early_stop([0.0, 5.0, 1.0, 1.0, 1.5], epoch=5, epochs=4, window=2)
    assert not official_early_stop([0.0, 5.0, 1.0, 1.0, 1.5], epoch=5, epochs=4, window=4)


def test_fit_stops_by_the_official_rule_on_one_based_epochs(csbm):
    config = small_config(epochs=40, early_stopping=3, lr=0.05)
    result = fit_dagnn(DAGNN.from_config(config, csbm), csbm, config, progress=False)
    losses = [h["valid_loss"] for h in result.history]
    assert [h["epoch"] for h in result.history] == list(range(result.epochs_run))
    fired = [e for e in range(len(losses)) if official_early_stop(losses[:e + 1], e + 1, 40, 3)]
    if result.epochs_run < 40:
        assert fired == [result.epochs_run - 1]  # stopped at the first epoch where the official rule fires
        assert result.epochs_run - 1 >= 40 // 2  # 0-based epoch 20 is the official epoch 21 > epochs // 2
    else:
        assert fired in ([], [39])
    assert result.best_epoch == losses.index(min(losses))


def test_fit_hands_the_official_rule_one_based_epochs(csbm, monkeypatch):
    seen = []

    def record(val_losses, epoch, epochs, window):
        seen.append((len(val_losses), epoch, epochs, window))
        return epoch == 7

    monkeypatch.setattr(dagnn_module, "official_early_stop", record)
    config = small_config(epochs=12, early_stopping=4)
    result = fit_dagnn(DAGNN.from_config(config, csbm), csbm, config, progress=False)
    assert seen == [(e, e, 12, 4) for e in range(1, 8)]  # epoch e (1-based) has seen e validation losses
    assert result.epochs_run == 7


def test_fit_trains_the_model_passed_in(csbm):
    config = small_config()
    model = DAGNN.from_config(config, csbm)
    before = [p.detach().clone() for p in model.parameters()]
    result = fit_dagnn(model, csbm, config, seed=0, device="cpu", progress=False)
    assert result.model is model and result.config is config
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    assert set(result.metrics) == {"valid_accuracy", "test_accuracy"}
    assert result.time["eval_s"] > 0 and result.time["train_s"] > 0
    # the returned model is the selected state: its predictions give the reported accuracy
    with torch.no_grad():
        pred = model(result.features, csbm.edge_index).argmax(-1)
    assert metrics.accuracy(pred[result.test_mask], csbm.y[result.test_mask]) == result.metrics["test_accuracy"]
    assert torch.equal(result.train_mask, csbm.train_mask)  # no random splits: the data's own masks


def test_same_seed_same_result_whatever_the_model_went_through(csbm):
    config = small_config(epochs=10)
    model = DAGNN.from_config(config, csbm)
    first = fit_dagnn(model, csbm, config, seed=3, progress=False)
    first_metrics, first_history = dict(first.metrics), list(first.history)
    second = fit_dagnn(model, csbm, config, seed=3, progress=False)  # the trained model is redrawn from the seed
    assert second.metrics == first_metrics and second.history == first_history
    other = fit_dagnn(model, csbm, config, seed=4, progress=False)
    assert other.history != first_history


def test_warm_start_continues_from_the_trained_state(csbm):
    config = small_config(epochs=3, early_stopping=0)
    model = DAGNN.from_config(config, csbm)
    fit_dagnn(model, csbm, config, progress=False)
    trained = [p.detach().clone() for p in model.parameters()]
    cold = fit_dagnn(DAGNN.from_config(config, csbm), csbm, config, progress=False)
    warm = fit_dagnn(model, csbm, config, warm_start=True, progress=False)
    assert warm.history[0]["loss"] != cold.history[0]["loss"]
    assert any(not torch.equal(a, b) for a, b in zip(trained, model.parameters(), strict=True))


def test_normalised_sparse_features_are_what_the_model_sees(csbm):
    data = csbm.clone()
    data.x = (torch.rand(data.num_nodes, 50, generator=torch.Generator().manual_seed(0)) < 0.05).float()
    config = small_config(epochs=2, normalize_features=True)
    result = fit_dagnn(DAGNN.from_config(config, data), data, config, progress=False)
    assert result.features.layout == torch.sparse_csr
    torch.testing.assert_close(result.features.to_dense(), normalize_features(data.x))
    dense = fit_dagnn(DAGNN.from_config(config, data), data, config.replace(sparse_input=False), progress=False)
    assert dense.features.layout == torch.strided
    assert dense.metrics == pytest.approx(result.metrics)


def test_features_loaded_sparse_train_as_the_dense_ones(csbm):
    """datasets.load(..., sparse_features=True) hands fit_dagnn a CSR x: same math, no dense copy; DGMLP densifies."""
    data = csbm.clone()
    data.x = (torch.rand(data.num_nodes, 50, generator=torch.Generator().manual_seed(1)) < 0.05).float()
    sparse = data.clone()
    sparse.x = data.x.to_sparse_csr()
    config = small_config(epochs=3, normalize_features=True)
    ours = fit_dagnn(DAGNN.from_config(config, sparse), sparse, config, progress=False)
    theirs = fit_dagnn(DAGNN.from_config(config, data), data, config, progress=False)
    assert ours.features.layout == torch.sparse_csr
    torch.testing.assert_close(ours.features.to_dense(), theirs.features.to_dense())
    assert ours.metrics == pytest.approx(theirs.metrics)
    densified = fit_dagnn(DAGNN.from_config(config, sparse), sparse, config.replace(sparse_input=False),
                          progress=False)
    assert densified.features.layout == torch.strided
    from graphkit import DGMLPConfig, fit_dgmlp

    dg = DGMLPConfig.for_dataset("csbm").replace(epochs=3)
    a = fit_dgmlp(DGMLP.from_config(dg, sparse), sparse, dg, progress=False)
    b = fit_dgmlp(DGMLP.from_config(dg, data), data, dg, progress=False)
    assert a.metrics == pytest.approx(b.metrics)


def test_random_splits_are_drawn_per_seed_and_returned(csbm):
    config = small_config(epochs=2, random_splits=True, train_per_class=10, val_per_class=15)
    model = DAGNN.from_config(config, csbm)
    result = fit_dagnn(model, csbm, config, seed=1, progress=False)
    assert torch.bincount(csbm.y[result.train_mask], minlength=3).tolist() == [10, 10, 10]
    assert torch.bincount(csbm.y[result.val_mask], minlength=3).tolist() == [15, 15, 15]
    assert int((result.train_mask | result.val_mask | result.test_mask).sum()) == csbm.num_nodes
    expected = random_split_for_seed(csbm, 1, train_per_class=10, val_per_class=15)
    assert torch.equal(result.train_mask, expected.train_mask)
    assert not torch.equal(fit_dagnn(model, csbm, config, seed=2, progress=False).train_mask, result.train_mask)


def test_random_split_inside_largest_component_maps_positions_to_node_ids():
    data = contextual_sbm(num_nodes=300, num_classes=3, seed=0)
    # cut nodes 0..19 off into their own component
    keep = (data.edge_index >= 20).all(0) | (data.edge_index < 20).all(0)
    data.edge_index = data.edge_index[:, keep]
    small = (data.edge_index < 20).all(0)
    data.edge_index = data.edge_index[:, ~small]  # nodes 0..19 isolated
    out = random_split_for_seed(data, 3, train_per_class=5, val_per_class=5, largest_component=True)
    for mask in (out.train_mask, out.val_mask, out.test_mask):
        assert not mask[:20].any()
    assert torch.bincount(out.y[out.train_mask], minlength=3).tolist() == [5, 5, 5]
    assert int((out.train_mask & out.val_mask).sum()) == 0
    assert int((out.train_mask | out.val_mask | out.test_mask).sum()) == 280
    again = random_split_for_seed(data, 3, train_per_class=5, val_per_class=5, largest_component=True)
    assert torch.equal(again.train_mask, out.train_mask)


def test_normalize_features_keeps_zero_rows():
    # (belongs in tests/ops/test_normalize.py: graphkit.ops.normalize.normalize_features)
    x = torch.tensor([[1.0, 3.0], [0.0, 0.0], [0.2, 0.3]])
    torch.testing.assert_close(normalize_features(x), torch.tensor([[0.25, 0.75], [0.0, 0.0], [0.2, 0.3]]))
    with pytest.raises(TypeError, match="floating point"):
        normalize_features(torch.ones(2, 2, dtype=torch.long))


def test_wrong_model_type_config_key_and_model_size_raise_one_line_errors(csbm):
    config = small_config()
    with pytest.raises(TypeError, match=r"fit_dagnn trains a DAGNN, got DGMLP: build one with "
                                        r"DAGNN.from_config\(config, data\)") as info:
        fit_dagnn(DGMLP(csbm.num_features, 3), csbm, config)
    assert "\n" not in str(info.value)
    model = DAGNN.from_config(config, csbm)
    with pytest.raises(ValueError, match="unknown key 'epoch' \\(did you mean 'epochs'\\?\\)"):
        fit_dagnn(model, csbm, {"epoch": 5})
    with pytest.raises(ValueError, match=r"data.y contains class 2 among the nodes of data.train_mask but DAGNN predicts 2 classes .*from_config"):
        fit_dagnn(DAGNN(csbm.num_features, 8, 2), csbm, config)
    with pytest.raises(ValueError, match="data.x has .* features but DAGNN was built for 5"):
        fit_dagnn(DAGNN(5, 8, 3), csbm, config)


def test_docstring_examples_run():
    # the procedure's wrapper lives in graphkit.models.procedure, so testmod skips it: collect it by hand
    finder = doctest.DocTestFinder()
    tests = finder.find(dagnn_module) + finder.find(fit_dagnn, "fit_dagnn", globs=vars(dagnn_module))
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in tests:
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0
    assert {t.name.split(".")[-1] for t in tests if t.examples} >= {"dagnn", "DAGNN", "fit_dagnn"}
