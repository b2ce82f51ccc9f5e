"""Checkpoints (graphkit.save / graphkit.load): every method round-trips through torch.load(weights_only=True)."""

from __future__ import annotations

import io
import os
import pickle

import numpy as np
import pytest
import torch

import graphkit
from graphkit import datasets
from graphkit.checkpoint import from_state, to_state
from graphkit.models.registry import METHODS
from tests.test_docs import table_namespace, table_rows


def _predict(namespace: dict, line: str, model):
    """The README's predict / embed line with ``model`` in eval mode; its result tensor."""
    if isinstance(model, torch.nn.Module):
        model.eval()
    namespace = {**namespace, "model": model}
    with torch.no_grad():
        exec(line, namespace)
    name = line.split("=", 1)[0].strip()
    return namespace[name]


@pytest.mark.parametrize("name", sorted(METHODS))
def test_every_method_round_trips_with_identical_predictions(name, tmp_path):
    """The README table's lines (config, build, fit on a short budget, predict), then save, load, predict again."""
    rows = table_rows()
    assert name in rows, f"{name} has no row in the README's one-API table (tests/test_docs.py runs it)"
    config_cell, build, fit, predict = rows[name]
    namespace = table_namespace(name)
    exec("config = " + config_cell, namespace)
    if "epochs" in namespace["config"].keys():
        namespace["config"] = namespace["config"].replace(epochs=2)
    for line in (build, fit):
        exec(line, namespace)
    model, config = namespace["model"], namespace["config"]
    path = graphkit.save(model, tmp_path / f"{name}.pt", config, extra={"metrics": namespace["result"].metrics})
    state = torch.load(path, weights_only=True)  # nothing but tensors, numbers, strings and containers
    assert state["format"] == "graphkit-checkpoint" and state["class"].startswith("graphkit.")
    loaded, loaded_config = graphkit.load(path)
    assert type(loaded) is type(model) and loaded_config == config
    assert graphkit.load(path).extra["metrics"] == namespace["result"].metrics
    if isinstance(model, torch.nn.Module):
        theirs, ours = loaded.state_dict(), model.state_dict()
        assert theirs.keys() == ours.keys() and all(torch.equal(theirs[k], ours[k].cpu()) for k in ours)
    before, after = _predict(namespace, predict, model), _predict(namespace, predict, loaded)
    before, after = (torch.as_tensor(np.asarray(v)) if not isinstance(v, torch.Tensor) else v
                     for v in (before, after))
    assert torch.equal(before.cpu(), after.cpu()), f"{name}: predictions differ after loading"


def test_fastrp_keeps_its_parameters_and_embedding(tmp_path):
    data = datasets.load("csbm", num_nodes=200, seed=0)
    model = graphkit.FastRP(16, iteration_weights=(1, 2), s=3, dtype=torch.float64, seed=5).fit(data)
    loaded, config = graphkit.load(graphkit.save(model, tmp_path / "fastrp.pt"))
    assert config is None and loaded.get_params() == model.get_params()
    assert torch.equal(loaded.embedding_, model.embedding_) and loaded.n_nodes_ == 200
    numpy_model = graphkit.FastRP(8).fit(model.embedding_.new_zeros(0).numpy().reshape(0, 2).T.astype(np.int64),
                                         num_nodes=3)
    restored = graphkit.load(graphkit.save(numpy_model, tmp_path / "np.pt")).model
    assert isinstance(restored.embedding_, np.ndarray) and np.array_equal(restored.embedding_, numpy_model.embedding_)


def test_load_moves_the_model_and_keeps_its_mode(tmp_path):
    model = graphkit.DAGNN(5, 8, 3, 2).eval()
    loaded, _ = graphkit.load(graphkit.save(model, tmp_path / "m.pt"), map_location="cpu")
    assert not loaded.training and next(loaded.parameters()).device.type == "cpu"
    with pytest.raises(ValueError, match="map_location"):
        graphkit.load(tmp_path / "m.pt", map_location="cuda:99")


def test_only_graphkit_classes_are_rebuilt(tmp_path):
    state = to_state(graphkit.MLP(3, 4, 2))
    for forged in ("os:system", "torch.nn:Linear", "graphkitx.evil:Model", "graphkit.models.baselines:Nope"):
        with pytest.raises(ValueError, match="graphkit"):
            from_state({**state, "class": forged})
    with pytest.raises(ValueError, match="config"):
        from_state({**to_state(graphkit.MLP(3, 4, 2), graphkit.MLPConfig()), "config_class": "builtins:dict"})


def test_a_pickle_payload_is_never_run(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned > " + str(tmp_path / "pwned"),))

    path = tmp_path / "evil.pt"
    buffer = io.BytesIO()
    torch.save({"format": "graphkit-checkpoint", "payload": Evil()}, buffer)
    path.write_bytes(buffer.getvalue())
    with pytest.raises(ValueError, match="not a readable graphkit checkpoint"):
        graphkit.load(path)
    assert not (tmp_path / "pwned").exists()
    path.write_bytes(pickle.dumps({"x": 1})[:5])
    with pytest.raises(ValueError, match="truncated"):
        graphkit.load(path)


def test_bad_arguments(tmp_path):
    with pytest.raises(TypeError, match="graphkit.save saves graphkit models"):
        graphkit.save(torch.nn.Linear(2, 2), tmp_path / "x.pt")
    with pytest.raises(ValueError, match="does not exist; create it first"):
        graphkit.save(graphkit.MLP(2, 2, 2), tmp_path / "missing" / "x.pt")
    with pytest.raises(TypeError, match="config must be a graphkit Config"):
        graphkit.save(graphkit.MLP(2, 2, 2), tmp_path / "x.pt", {"epochs": 3})
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        graphkit.load(tmp_path / "absent.pt")
    with pytest.raises(TypeError, match="path must be"):
        graphkit.load(3)
    assert not list(tmp_path.glob("*.tmp")), "a failed save leaves no temporary file"
