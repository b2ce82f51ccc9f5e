"""examples/dagnn_depth_study.py runs end to end on a small synthetic setting and writes JSON (+ PNG)."""

import importlib.util
import json
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "dagnn_depth_study.py"


def test_depth_study_writes_curves(tmp_path):
    spec = importlib.util.spec_from_file_location("dagnn_depth_study", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out_json, out_png = tmp_path / "d.json", tmp_path / "d.png"
    res = module.main(["--dataset", "csbm", "--depths", "1", "3", "--gcn-epochs", "3", "--dagnn-epochs", "3",
                       "--dgmlp-epochs", "3", "--json", str(out_json), "--png", str(out_png)])
    saved = json.loads(out_json.read_text())
    assert set(saved["curves"]) == {"GCN", "DAGNN", "DGMLP"}
    for rows in res["curves"].values():
        assert [r["depth"] for r in rows] == [1, 3]
        assert all(0 <= r["mean"] <= 1 for r in rows)
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert not out_png.exists()
    else:
        assert out_png.stat().st_size > 1000
