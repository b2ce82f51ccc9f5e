"""benchmarks/contention.py and benchmarks/sparse_features.py run end to end (slow: several fresh processes each)."""

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_contention_benchmark_default_job(tmp_path):
    spec = importlib.util.spec_from_file_location("contention", ROOT / "benchmarks" / "contention.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bench.main(["--cases", "default", "--reps", "1", "--json", str(tmp_path / "c.json")])
    report = json.loads((tmp_path / "c.json").read_text())
    rows = {(r["policy"], r["busy_core"]): r for r in report["rows"]}
    assert set(rows) == {(p, b) for p in bench.POLICIES for b in (False, True)}
    assert rows[("one", False)]["ratio_to_one_thread_quiet"] == 1.0
    assert all(r["median_s"] > 0 for r in rows.values())


@pytest.mark.slow
def test_sparse_features_benchmark_on_a_standin(tmp_path):
    spec = importlib.util.spec_from_file_location("sparse_features", ROOT / "benchmarks" / "sparse_features.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    report = bench.main(["--dataset", "amazon-photo", "--standin", str(tmp_path), "--epochs", "2", "--reps", "1",
                         "--dense-math", "--density", "0.05", "--json", str(tmp_path / "s.json")])
    assert report["same_accuracy"] and set(report["median"]) == {"dense", "sparse", "dense-math"}
    assert report["memory_ratio"] < 1.0


@pytest.mark.slow
def test_sparse_epoch_timing_on_a_standin(tmp_path):
    spec = importlib.util.spec_from_file_location("sparse_features", ROOT / "benchmarks" / "sparse_features.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    report = bench.main(["--dataset", "amazon-photo", "--standin", str(tmp_path), "--epoch-timing", "--reps", "2",
                         "--density", "0.02", "--models", "gcn", "mlp", "sage", "--json", str(tmp_path / "e.json")])
    assert set(report["models"]) == {"gcn", "mlp", "sage"}
    for row in report["models"].values():
        assert all(len(t) == 2 and min(t) > 0 for t in row["times"].values())
        assert row["max_loss_diff"] < 1e-4, "the same epoch on both layouts"
    assert json.loads((tmp_path / "e.json").read_text())["dataset"] == "amazon-photo"
