"""The runner (graphkit-run / python -m graphkit.runner / benchmarks/run.py): JSON lines, table, errors."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from graphkit import runner

ROOT = Path(__file__).resolve().parents[1]
KEYS = {"model", "dataset", "data_options", "seed", "config", "config_source", "metrics", "time", "peak_memory_mb",
        "best_epoch", "epochs_run", "device", "threads", "versions"}
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}


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
    (["--device", "tpu9"], "unknown --device .tpu9."),
    (["--device", "cuda:99"], "--device cuda:99 but"),
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
    with pytest.raises(SystemExit, match=r"(?s)raw file.*add --data download=true.*Pass --data-root DIR") as info:
        runner.run(["--model", "gcn", "--dataset", "cora", "--data-root", str(tmp_path), "--quiet",
                    "--out", str(tmp_path / "r.jsonl")])
    assert "root=" not in str(info.value) and "download=True" not in str(info.value)


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


def test_progress_bar_in_a_log_file_only_when_asked(tmp_path):
    """stderr to a file (a background run's log): no bar by default, the bar with --progress."""
    command = [sys.executable, "-m", "graphkit.runner", "--quick", "--out", str(tmp_path / "r.jsonl")]
    plain = subprocess.run(command, capture_output=True, text=True, timeout=300)
    shown = subprocess.run(command + ["--progress"], capture_output=True, text=True, timeout=300)
    assert plain.returncode == shown.returncode == 0, plain.stderr + shown.stderr
    assert "it/s" not in plain.stderr and "it/s" in shown.stderr
    both = subprocess.run(command + ["--progress", "--quiet"], capture_output=True, text=True, timeout=120)
    assert both.returncode != 0 and "not allowed with argument" in both.stderr


def test_save_writes_each_runs_model_and_config_beside_its_line(tmp_path):
    import torch

    from graphkit import datasets, load
    from graphkit.models.baselines import GCN, fit_node_classifier

    out, save = tmp_path / "r.jsonl", tmp_path / "models"
    runner.run(["--model", "gcn", "--dataset", "csbm", "--runs", "2", "--epochs", "3", "--data", "num_nodes=300",
                "--out", str(out), "--save", str(save), "--quiet"])
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [Path(r["checkpoint"]).name for r in lines] == ["gcn-csbm-num_nodes300-seed0.pt",
                                                            "gcn-csbm-num_nodes300-seed1.pt"]
    data = datasets.load("csbm", num_nodes=300)
    for record in lines:
        checkpoint = load(record["checkpoint"])
        model, config = checkpoint
        assert config.to_dict() == record["config"] and checkpoint.extra["metrics"] == record["metrics"]
        again = GCN.from_config(config, data)  # the same run from Python: the same trained weights
        fit_node_classifier(again, data, config, seed=record["seed"], progress=False)
        model.eval(), again.eval()
        assert torch.equal(model(data.x, data.edge_index), again(data.x, data.edge_index))


def test_bad_data_for_the_method_is_a_one_line_error(tmp_path):
    with pytest.raises(SystemExit, match=r"^error: gcn on csbm \(seed 0\): .*train_per_class=500.*Lower"):
        runner.run(["--model", "gcn", "--dataset", "csbm", "--set", "train_per_class=500", "--set",
                    "val_per_class=5", "--quick", "--quiet", "--out", str(tmp_path / "r.jsonl")])
    assert not (tmp_path / "r.jsonl").exists()


def test_missing_files_exit_without_a_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "graphkit.runner", "--dataset", "cora", "--data-root",
                           str(tmp_path), "--quiet", "--out", str(tmp_path / "r.jsonl")], capture_output=True,
                          text=True, timeout=300, env=ENV)
    assert proc.returncode != 0 and proc.stderr.startswith("error: data set 'cora': raw file(s) not found")
    assert "Traceback" not in proc.stderr and "root=" not in proc.stderr and "--data-root DIR" in proc.stderr


def test_json_lines_stay_whole_when_a_run_is_killed_and_when_runs_share_the_file(tmp_path):
    """Two runner processes append to one file; one is SIGKILLed mid-run: every line in the file is whole JSON."""
    out = tmp_path / "shared.jsonl"
    argv = ["-m", "graphkit.runner", "--model", "mlp", "--dataset", "csbm", "--data", "num_nodes=200", "--epochs",
            "1", "--quiet", "--out", str(out)]
    victim = subprocess.Popen([sys.executable, *argv, "--runs", "500", "--seed", "1000"], env=ENV,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    survivor = subprocess.Popen([sys.executable, *argv, "--runs", "6"], env=ENV, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 240
        while time.time() < deadline and victim.poll() is None:
            if out.exists() and sum(json.loads(line)["seed"] >= 1000 for line in out.read_text().splitlines()) >= 3:
                break
            time.sleep(0.05)
        assert victim.poll() is None, "the killed runner must still be running"
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=60)
        assert survivor.wait(timeout=300) == 0, survivor.stderr.read()
    finally:
        for proc in (victim, survivor):
            if proc.poll() is None:
                proc.kill()
    text = out.read_text()
    assert text.endswith("\n")
    records = [json.loads(line) for line in text.splitlines()]  # no partial line anywhere
    assert sorted(r["seed"] for r in records if r["seed"] < 1000) == list(range(6))
    assert sum(r["seed"] >= 1000 for r in records) >= 3 and all(set(r) == KEYS for r in records)
