"""The method table: every row resolves, every preset builds, every method runs through the runner."""

import json

import pytest
import torch
from torch import nn

from graphkit import datasets, runner
from graphkit.models.registry import METHODS, get_method, method_names, procedure_for
from graphkit.nn.model import Model, reinitialize

NAMES = sorted(METHODS)


def paper_preset(spec) -> str | None:
    """The first preset of a real data set, else None (the defaults)."""
    real = [n for n in spec.config.presets if n in datasets.names() and not datasets.spec(n).synthetic]
    return real[0] if real else None


@pytest.mark.parametrize("name", NAMES)
def test_row_resolves_to_model_config_and_procedure(name):
    spec = get_method(name)
    assert isinstance(spec.model, type) and callable(spec.fit) and hasattr(spec.model, "from_config")
    assert any(issubclass(spec.model, t) for t in spec.fit.model_type)
    assert issubclass(spec.config, spec.fit.config_type_for(spec.model))
    assert spec.config.source, f"{spec.config.__name__} names no source"
    for preset in spec.config.presets:
        assert spec.config.paper(preset) is not None
        assert spec.config.source_for(preset)
    assert set(spec.datasets) <= {"node", "multilabel", "link", "graph", "hyper", "hetero"}


def test_lookup():
    assert get_method("GCN").name == "gcn" and "gae" in method_names("link") and "mlp" in method_names("hyper")
    assert set(method_names()) == set(NAMES)
    with pytest.raises(ValueError, match="unknown model 'gnc'.*Did you mean .*'gcn'.*Valid names: .*sage"):
        get_method("gnc")
    assert procedure_for(torch.nn.Linear(1, 1)) is None


# the synthetic data set each kind of method runs on in these tests (hetero: an ACM-shaped graph)
SYNTHETIC = {"node": ("csbm", 600), "hetero": ("hetero-csbm", 300)}


def synthetic_kind(spec) -> str:
    return "node" if "node" in spec.datasets else spec.datasets[0]


def small_data(spec, num_nodes: int | None = None, seed: int = 0):
    name, default = SYNTHETIC[synthetic_kind(spec)]
    return datasets.load(name, num_nodes=num_nodes or default, seed=seed)


@pytest.mark.parametrize("name", NAMES)
def test_every_method_runs_its_paper_preset_through_the_runner(name, tmp_path):
    spec = get_method(name)
    kind = synthetic_kind(spec)
    assert kind in SYNTHETIC, "every method has a synthetic data set to run on"
    dataset, num_nodes = SYNTHETIC[kind]
    argv = ["--model", name, "--dataset", dataset, "--data", f"num_nodes={num_nodes}", "--runs", "1", "--quiet",
            "--out", str(tmp_path / "r.jsonl")]
    if paper_preset(spec):
        argv += ["--preset", paper_preset(spec)]
    if "epochs" in spec.config.keys():
        argv += ["--epochs", "1"]
    (record,) = runner.run(argv)
    assert record["model"] == name and record["metrics"]
    assert all(v == v for v in record["metrics"].values())  # no NaN
    assert json.loads((tmp_path / "r.jsonl").read_text())["seed"] == 0
    assert procedure_for(spec.model.from_config(spec.config(), small_data(spec, 240 if kind == "node" else None))) \
        == spec.fit_name


@pytest.mark.parametrize("name", [n for n in NAMES if issubclass(METHODS[n].model, nn.Module)])
def test_reinitialize_reproduces_construction(name):
    spec = get_method(name)
    data = small_data(spec, 120 if synthetic_kind(spec) == "node" else None, seed=1)
    torch.manual_seed(5)
    built = spec.model.from_config(spec.config(), data)
    after = torch.rand(2)
    assert isinstance(built, Model)
    torch.manual_seed(6)
    other = spec.model.from_config(spec.config(), data)
    torch.manual_seed(5)
    reinitialize(other)
    for (key, a), (_, b) in zip(built.state_dict().items(), other.state_dict().items(), strict=True):
        assert torch.equal(a, b), key
    assert torch.equal(torch.rand(2), after)
