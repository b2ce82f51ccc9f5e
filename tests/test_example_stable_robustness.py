"""examples/stable_robustness.py runs end to end on a small synthetic graph and prints both accuracies."""

import importlib.util
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "stable_robustness.py"


def test_stable_robustness_example(capsys):
    spec = importlib.util.spec_from_file_location("stable_robustness", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = module.main(["--dataset", "csbm", "--num-nodes", "200", "--ptb-rate", "0.3", "--epochs", "3",
                       "--embedding-epochs", "5"])
    text = capsys.readouterr().out
    assert "GCN on the attacked graph: test accuracy" in text and "GCN on the refined graph:  test accuracy" in text
    assert 0 <= out["attacked"] <= 1 and 0 <= out["refined"] <= 1
    assert out["stable"].edge_index.size(0) == 2 and out["stable"].model is not None
