"""examples/dagnn_depth_study.py runs end to end on a small synthetic setting and writes JSON (+ PNG)."""

import importlib.util
import json
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "dagnn_depth_study.py"


@pytest.fixture
def study():
    spec = importlib.util.spec_from_file_location("dagnn_depth_study", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_depth_study_writes_curves(study, tmp_path):
    out_json, out_png = tmp_path / "d.json", tmp_path / "d.png"
    res = study.main(["--dataset", "csbm", "--depths", "1", "3", "--gcn-epochs", "3", "--dagnn-epochs", "3",
                      "--dgmlp-epochs", "3", "--json", str(out_json), "--png", str(out_png)])
    saved = json.loads(out_json.read_text())
    assert set(saved["curves"]) == {"GCN", "DAGNN", "DGMLP"}
    assert saved["full"] is False
    assert {name: c["epochs"] for name, c in saved["configs"].items()} == {"GCN": 3, "DAGNN": 3, "DGMLP": 3}
    for rows in res["curves"].values():
        assert [r["depth"] for r in rows] == [1, 3]
        assert all(0 <= r["mean"] <= 1 for r in rows)
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert not out_png.exists()
    else:
        assert out_png.stat().st_size > 1000


@pytest.mark.parametrize("full", [False, True])
def test_quick_default_and_full_budgets(study, tmp_path, monkeypatch, full):
    """The default is the reduced study, --full the whole one; flags override either (no training here)."""
    calls = []
    monkeypatch.setattr(study, "run", lambda name, config, data, depth, seed, device:
                        calls.append((name, depth, config.epochs)) or 0.5)
    monkeypatch.setattr(study, "RESULTS", tmp_path)
    res = study.main(["--dataset", "csbm"] + (["--full"] if full else []))
    depths, gcn, dagnn, dgmlp = (study.FULL if full else study.QUICK)
    assert max(depths) == (256 if full else 32)
    assert res["depths"] == depths
    assert {(name, epochs) for name, _, epochs in calls} == {("GCN", gcn), ("DAGNN", dagnn or 100),
                                                             ("DGMLP", dgmlp or 100)}  # csbm presets: 100
    stem = "dagnn_dgmlp_depth" if full else "dagnn_dgmlp_depth_quick"
    assert (tmp_path / f"{stem}.json").exists()
    res = study.main(["--dataset", "csbm", "--depths", "2", "--gcn-epochs", "7", "--json", str(tmp_path / "x.json"),
                      "--png", str(tmp_path / "x.png")] + (["--full"] if full else []))
    assert res["depths"] == [2] and res["configs"]["GCN"]["epochs"] == 7
