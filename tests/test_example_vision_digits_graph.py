"""examples/vision_digits_graph.py runs end to end on a small input and prints its table."""

import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("torchvision")
pytest.importorskip("sklearn")

SCRIPT = Path(__file__).resolve().parents[1] / "examples" / "vision_digits_graph.py"


def test_vision_digits_graph_example(capsys, tmp_path):
    spec = importlib.util.spec_from_file_location("vision_digits_graph", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rows = module.main(["--seeds", "1", "--epochs", "3", "--num-images", "300", "--out", str(tmp_path / "r.json")])
    out = capsys.readouterr().out
    assert "| MobileNetV2 c3 + SPP (1600) |" in out and "| raw pixels (64) |" in out
    assert "student, held-out images" in out and (tmp_path / "r.json").is_file()
    for runs in rows.values():
        assert len(runs) == 1 and all(0 <= v <= 1 for v in runs[0].values())
