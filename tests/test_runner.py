"""The runner (graphkit-run / python -m graphkit.runner / benchmarks/run.py): JSON lines, table, errors."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from graphkit import runner

ROOT = Path(__file__).resolve().parents[1]
KEYS = {"model", "dataset", "data_options", "seed", "config", "config_source", "metrics", "time", "peak_memory_mb",
        "best_epoch", "epochs_run", "device", "versions"}


def test_gcn_runs_write_one_line_each(tmp_path, capsys):
    out = tmp_path / "r.jsonl"
    records = runner.run(["--model", "gcn", "--dataset", "csbm", "--runs", "3", "--epochs", "5", "--out", str(out),
                          "--quiet", "--seed", "4"])
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert lines == json.loads(json.dumps(records)) and len(lines) == 3
    for i, rec in enumerate(lines):
        assert set(rec) == KEYS
        assert rec["seed"] == 4 + i and rec["model"] == "gcn" and rec["dataset"] == "csbm"
        assert {"train_s", "epoch_s", "eval_s", "inference_s"} <= set(rec["time"])
        assert 0 <= rec["metrics"]["test_accuracy"] <= 1 and rec["config"]["epochs"] == 5
        assert rec["peak_memory_mb"] > 0 and "torch" in rec["versions"] and rec["epochs_run"] <= 5
        assert "synthetic default" in rec["config_source"]
    table = capsys.readouterr().out
    assert "gcn on csbm: 3 run(s)" in table and "test_accuracy (%)" in table and "epoch_s (s)" in table
    assert "peak_memory (MB)" in table and "±" in table


def test_appends_and_quick(tmp_path):
    out = tmp_path / "r.jsonl"
    for _ in range(2):
        runner.run(["--model", "mlp", "--dataset", "csbm", "--quick", "--out", str(out), "--quiet"])
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 2 and lines[0]["config"]["epochs"] == runner.QUICK_EPOCHS


@pytest.mark.parametrize("argv, match", [
    (["--model", "nope"], "unknown model 'nope'.*Valid names"),
    (["--dataset", "nope"], "unknown data set 'nope'.*Valid names"),
    (["--model", "gcn", "--dataset", "powerlaw"], "runs on node/multilabel data sets.*Valid data sets: .*cora"),
    (["--device", "tpu9"], "unknown device"),
    (["--set", "epochs=abc"], "GCNConfig: epochs='abc' is not int"),
    (["--set", "epoch=3"], r"unknown key 'epoch' \(did you mean 'epochs'\?\); valid keys: "),
    (["--set", "no-equals-sign"], "--set expects KEY=VALUE"),
    (["--data", "=3"], "--data expects KEY=VALUE"),
    (["--data", "num_nodes=-5"], "num_nodes"),
    (["--data", "bogus=1"], "bogus"),
])
def test_bad_input_is_a_one_line_error(argv, match, tmp_path):
    with pytest.raises(SystemExit, match=match):
        runner.run(argv + ["--out", str(tmp_path / "r.jsonl"), "--quiet"])


def test_set_and_data_options(tmp_path, capsys):
    out = tmp_path / "r.jsonl"
    runner.run(["--model", "gcn", "--dataset", "csbm", "--runs", "1", "--epochs", "3", "--set", "hidden_channels=8",
                "--set", "lr=0.05", "--data", "num_nodes=300", "--out", str(out), "--quiet"])
    rec = json.loads(out.read_text())
    assert rec["config"]["hidden_channels"] == 8 and rec["config"]["lr"] == 0.05
    assert rec["data_options"] == {"num_nodes": 300}
    capsys.readouterr()
    runner.run(["--model", "gcn", "--dataset", "cora", "--show-config"])
    shown = json.loads(capsys.readouterr().out)
    assert shown["config"]["hidden_channels"] == 16 and "Kipf" in shown["source"]


def test_missing_files_name_the_cli_flag(tmp_path):
    with pytest.raises(SystemExit, match=r"(?s)raw file.*--data-root DIR for root=, --data KEY=VALUE"):
        runner.run(["--model", "gcn", "--dataset", "cora", "--data-root", str(tmp_path), "--quiet",
                    "--out", str(tmp_path / "r.jsonl")])


@pytest.mark.parametrize("command", [[sys.executable, str(ROOT / "benchmarks" / "run.py")],
                                     [sys.executable, "-m", "graphkit.runner"]])
def test_entry_points_exit_nonzero_on_error_and_zero_on_success(command, tmp_path):
    bad = subprocess.run(command + ["--model", "nope", "--out", str(tmp_path / "r.jsonl")], capture_output=True,
                         text=True, timeout=120)
    assert bad.returncode != 0 and "unknown model 'nope'" in bad.stderr and "Traceback" not in bad.stderr
    good = subprocess.run(command + ["--quick", "--quiet", "--out", str(tmp_path / "r.jsonl")], capture_output=True,
                          text=True, timeout=300)
    assert good.returncode == 0, good.stderr
    assert "gcn on csbm: 1 run(s)" in good.stdout
