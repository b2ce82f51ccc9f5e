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


def test_lighthgnn_example(capsys):
    from graphkit import LightHGNNPlus

    model, result = _load("lighthgnn_cocitation").main(["--dataset", "csbm", "--epochs", "2", "--plus"])
    out = capsys.readouterr().out
    assert "LightHGNNPlus on csbm: student test acc" in out and "predicted classes of the first 10" in out
    assert isinstance(model, LightHGNNPlus) and result.model is model and result.epochs_run == 2


def test_vqgraph_example(capsys):
    results = _load("vqgraph_cora").main(["--dataset", "csbm", "--epochs", "2", "--inductive"])
    out = capsys.readouterr().out
    assert out.startswith("VQGraph {") and "\nGLNN {" in out and "VQGraph codebook (2048, 128)" in out
    for name in ("VQGraph", "GLNN"):
        model, result = results[name]
        assert result.model is model and 0 <= result.metrics["test_prod_accuracy"] <= 1


def test_every_example_has_a_smoke_test():
    tests = Path(__file__).resolve().parent
    text = "\n".join(p.read_text() for p in tests.rglob("test_*.py"))
    for script in EXAMPLES.glob("*.py"):
        assert f'"{script.stem}"' in text or f"{script.stem}.py" in text.replace(f"# {script.stem}.py", ""), \
            f"examples/{script.name} has no smoke test"
        assert "def main(" in script.read_text(), f"examples/{script.name} has no main(argv)"
