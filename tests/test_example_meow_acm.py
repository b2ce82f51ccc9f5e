"""examples/meow_acm.py runs end to end on the synthetic stand-in (MEOW and AdaMEOW)."""

import importlib.util
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "meow_acm.py"


@pytest.mark.parametrize("model", ["meow", "adameow"])
def test_meow_acm_example(model, capsys):
    spec = importlib.util.spec_from_file_location("meow_acm", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    metrics = module.main(["--model", model, "--dataset", "hetero-csbm", "--num-nodes", "300", "--epochs", "2"])
    out = capsys.readouterr().out
    assert f"{model} on hetero-csbm: 2 epochs" in out and "60 labels/class" in out
    assert all(0 <= metrics[f"test_macro_f1_{r}"] <= 1 for r in (20, 40, 60)) and "nmi" in metrics
