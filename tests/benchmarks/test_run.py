"""The runner's CLI contract: keys of each JSON line, the table, and errors."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("graphkit_run", ROOT / "benchmarks" / "run.py")
run = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run)

KEYS = {"model", "dataset", "seed", "config", "metrics", "time", "peak_memory_mb", "device", "versions"}


def test_gcn_runs_write_one_line_each(tmp_path, capsys):
    out = tmp_path / "r.jsonl"
    run.main(["--model", "gcn", "--dataset", "csbm", "--runs", "3", "--epochs", "5", "--out", str(out),
              "--quiet", "--seed", "4"])
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 3
    for i, rec in enumerate(lines):
        assert KEYS <= set(rec)
        assert rec["seed"] == 4 + i and rec["model"] == "gcn" and rec["dataset"] == "csbm"
        assert set(rec["time"]) == {"train_s", "epoch_s", "inference_s"}
        assert 0 <= rec["metrics"]["test_accuracy"] <= 1 and rec["config"]["epochs"] == 5
        assert rec["peak_memory_mb"] > 0 and "torch" in rec["versions"]
    table = capsys.readouterr().out
    assert "gcn on csbm: 3 run(s)" in table and "test_accuracy" in table and "±" in table


def test_appends_and_link_model_on_node_dataset(tmp_path):
    out = tmp_path / "r.jsonl"
    for _ in range(2):
        run.main(["--model", "gae", "--dataset", "csbm", "--quick", "--out", str(out), "--quiet"])
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 2 and set(lines[0]["metrics"]) == {"valid_hits@100", "test_hits@100"}


def test_embedding_model_embeds_then_evaluates(tmp_path, capsys):
    out = tmp_path / "r.jsonl"
    run.main(["--model", "fastrp", "--dataset", "csbm", "--runs", "2", "--quick", "--out", str(out), "--quiet"])
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 2 and [rec["seed"] for rec in lines] == [0, 1]
    for rec in lines:
        assert KEYS <= set(rec) and rec["model"] == "fastrp" and set(rec["time"]) == {"train_s", "epoch_s", "inference_s"}
        assert rec["time"]["train_s"] > 0 and rec["time"]["train_s"] == rec["time"]["epoch_s"]
        assert rec["time"]["inference_s"] > 0 and rec["peak_memory_mb"] > 0 and "epochs" not in rec["config"]
        ratios = rec["config"]["train_ratios"]
        assert set(rec["metrics"]) == {f"test_{m}@{r:g}" for r in ratios for m in ("accuracy", "micro_f1", "macro_f1")}
        assert all(0.5 < v <= 1 for v in rec["metrics"].values())  # csbm's graph is informative
    assert lines[0]["metrics"] != lines[1]["metrics"]  # the seed drives the projection and the splits
    table = capsys.readouterr().out
    assert "fastrp on csbm: 2 run(s)" in table and "test_micro_f1@0.1" in table
    with pytest.raises(SystemExit, match="fastrp' runs on node/multilabel data sets"):
        run.main(["--model", "fastrp", "--dataset", "powerlaw", "--out", str(out), "--quiet"])


@pytest.mark.parametrize("argv, match", [
    (["--model", "nope"], "unknown model 'nope'.*Valid names"),
    (["--dataset", "nope"], "unknown data set 'nope'.*Valid names"),
    (["--model", "gcn", "--dataset", "powerlaw"], "runs on node/multilabel data sets.*Valid data sets: .*cora"),
    (["--device", "tpu9"], "unknown device"),
])
def test_bad_names_are_errors(argv, match, tmp_path):
    with pytest.raises(SystemExit, match=match):
        run.main(argv + ["--out", str(tmp_path / "r.jsonl"), "--quiet"])


def test_set_overrides_config_entries(tmp_path):
    out = tmp_path / "r.jsonl"
    run.main(["--model", "gcn", "--dataset", "csbm", "--runs", "1", "--epochs", "3", "--set", "hidden_channels=8",
              "--set", "lr=0.05", "--out", str(out), "--quiet"])
    rec = json.loads(out.read_text())
    assert rec["config"]["hidden_channels"] == 8 and rec["config"]["lr"] == 0.05
    assert run.apply_overrides({"setting": "transductive"}, ["setting=inductive"]) == {"setting": "inductive"}
    with pytest.raises(SystemExit, match="not a key of this config; keys: .*hidden_channels"):
        run.main(["--model", "gcn", "--dataset", "csbm", "--set", "hiden=8", "--out", str(out), "--quiet"])
    with pytest.raises(SystemExit):
        run.parse_args(["--set", "no-equals-sign"])


def test_cli_entry_point_exits_nonzero_on_error(tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--model", "nope",
                           "--out", str(tmp_path / "r.jsonl")], capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "unknown model 'nope'" in proc.stderr
