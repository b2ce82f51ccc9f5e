"""Every node-classification and link-prediction data set runs through the runner with the baselines.

One epoch each, on whatever real files ``$GRAPHKIT_DATA`` holds; data sets whose files are kept back
are skipped with the loader's own message.
"""

import importlib.util
import json
from pathlib import Path

import pytest

from graphkit import datasets

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("graphkit_run_data", ROOT / "benchmarks" / "run.py")
run = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run)

REAL = [n for n in datasets.names() if not datasets.spec(n).synthetic]
NODE = [n for n in REAL if datasets.spec(n).task == "node"]
LINK = [n for n in REAL if datasets.spec(n).task in ("node", "link")]
SLOW = {"ogbl-ddi"}  # a GAE epoch over 2.1M edges takes about a minute on 2 cores


def _run(model, name, root, tmp_path):
    try:
        datasets.load(name, root=root)
    except FileNotFoundError as exc:
        pytest.skip(f"{name}: raw files not here ({str(exc).splitlines()[1].strip()})")
    out = tmp_path / "r.jsonl"
    run.main(["--model", model, "--dataset", name, "--epochs", "1", "--runs", "1", "--quiet",
              "--out", str(out), "--data-root", str(root)])
    record = json.loads(out.read_text())
    assert record["dataset"] == name and record["metrics"]
    assert all(0.0 <= v <= 1.0 for v in record["metrics"].values())
    return record


@pytest.mark.data
@pytest.mark.parametrize("name", NODE)
def test_gcn_runs_on_every_node_dataset(name, real_data_root, tmp_path):
    record = _run("gcn", name, real_data_root, tmp_path)
    assert "test_accuracy" in record["metrics"]


@pytest.mark.data
@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in LINK])
def test_gae_runs_on_every_link_and_node_dataset(name, real_data_root, tmp_path):
    record = _run("gae", name, real_data_root, tmp_path)
    if datasets.spec(name).task == "link":  # fixed splits bring their protocol metric
        assert f"test_{record['config']['metric']}" in record["metrics"]
        assert "val_ratio" not in record["config"]
