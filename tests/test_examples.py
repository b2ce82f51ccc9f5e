"""Every example runs end to end on a small setting (examples are the first code users copy)."""

import importlib.util
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_baselines_example(capsys):
    node, link = _load("baselines").main(["--epochs", "3"])
    out = capsys.readouterr().out
    assert "GCN node classification on csbm: test accuracy" in out and "Hits@100" in out
    assert 0 <= node.metrics["test_accuracy"] <= 1 and 0 <= link.metrics["test_hits@100"] <= 1
