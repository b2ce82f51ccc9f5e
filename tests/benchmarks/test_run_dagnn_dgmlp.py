"""The runner with DAGNN and DGMLP: their configs load and their own procedures run."""

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("graphkit_run_dagnn", ROOT / "benchmarks" / "run.py")
run = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run)


@pytest.mark.parametrize("model,extra", [("dagnn", "eval_s"), ("dgmlp", "precompute_s")])
def test_runner_uses_the_method_procedure(tmp_path, model, extra):
    out = tmp_path / "r.jsonl"
    run.main(["--model", model, "--dataset", "csbm", "--runs", "2", "--epochs", "4", "--out", str(out), "--quiet"])
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["seed"] for r in lines] == [0, 1]
    for rec in lines:
        assert rec["model"] == model and extra in rec["time"]
        assert 0 <= rec["metrics"]["test_accuracy"] <= 1 and rec["epochs_run"] == 4


def test_configs_name_their_source_and_the_paper_settings():
    dagnn = json.loads((ROOT / "benchmarks" / "configs" / "dagnn.json").read_text())
    dgmlp = json.loads((ROOT / "benchmarks" / "configs" / "dgmlp.json").read_text())
    assert "DeeperGNN" in dagnn["source"] and "PKU-DAIR/DGMLP" in dgmlp["source"]
    cora, _ = run.load_config("dagnn", "cora")
    assert (cora["num_hops"], cora["dropout"], cora["weight_decay"], cora["early_stopping"]) == (10, 0.8, 5e-3, 100)
    computers, _ = run.load_config("dagnn", "amazon-computers")
    assert computers["largest_component"] and computers["random_splits"] and computers["epochs"] == 3000
    cora, _ = run.load_config("dgmlp", "cora")
    assert (cora["num_hops"], cora["dropout"], cora["lr"], cora["weight_decay"]) == (20, 0.2, 0.2, 5e-3)
