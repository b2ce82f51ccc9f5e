"""examples/forwardgnn_cora_ml.py and benchmarks/forward_memory.py run end to end on small synthetic settings."""

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_forwardgnn_example(capsys):
    from graphkit import ForwardGNN

    model, result, baseline = _load(ROOT / "examples" / "forwardgnn_cora_ml.py").main(
        ["--dataset", "csbm", "--num-layers", "2", "--epochs", "2"])
    out = capsys.readouterr().out
    assert "ForwardGNN-sf (gcn, 2 layers) on csbm, split 0: test accuracy" in out
    assert "first 2 layer(s)" in out and "back-propagation GCN (2 layers), same split" in out
    assert isinstance(model, ForwardGNN) and result.model is model and result.epochs_per_layer == [2, 2]
    assert 0 <= baseline.metrics["test_accuracy"] <= 1
    _load(ROOT / "examples" / "forwardgnn_cora_ml.py").main(["--dataset", "csbm", "--variant", "ff-la",
                                                             "--num-layers", "1", "--epochs", "1", "--no-bp"])
    assert "ForwardGNN-ff-la" in capsys.readouterr().out


def test_forward_memory_benchmark(tmp_path, capsys):
    bench = _load(ROOT / "benchmarks" / "forward_memory.py")
    report = bench.main(["--dataset", "csbm", "--data", "num_nodes=300", "--depths", "1", "2", "4", "--runs", "2",
                         "--memory-epochs", "2", "--epochs", "2", "--json", str(tmp_path / "m.json"),
                         "--png", str(tmp_path / "m.png")])
    saved = json.loads((tmp_path / "m.json").read_text())
    assert saved["depths"] == [1, 2, 4] and set(saved["memory"]) == {"sf", "bp", "measure"}
    assert "CPU tensor bytes" in saved["memory"]["measure"] and saved["ratio_depths"] == [4, 2]
    assert all(v > 0 for v in saved["memory"]["sf"].values())
    assert saved["memory"]["bp"]["4"] > saved["memory"]["bp"]["2"], "back-propagation memory grows with depth"
    assert len(saved["accuracy"]["sf"]["4"]["values"]) == 2 and report["sf_ratio"] == saved["sf_ratio"]
    assert "peak memory" in capsys.readouterr().out
    again = bench.main(["--dataset", "csbm", "--data", "num_nodes=300", "--depths", "1", "2", "4", "--no-accuracy",
                        "--memory-from", str(tmp_path / "m.json"), "--json", str(tmp_path / "n.json"),
                        "--png", str(tmp_path / "n.png")])
    assert again["memory"] == saved["memory"] and again["memory_source"] == str(tmp_path / "m.json")


def test_tensor_peak_counts_tensors():
    import torch

    bench = _load(ROOT / "benchmarks" / "forward_memory.py")
    with bench.TensorPeak(torch.device("cpu")) as meter:
        a = torch.ones(1024, 256)  # 1 MiB
        b = torch.ones(1024, 256)
        del a, b
        c = torch.ones(1024, 512)  # 2 MiB, after the first two were freed
        del c
    assert meter.peak_mb == 2.0


def test_accuracy_from_runner_records_keeps_what_exists(tmp_path, capsys):
    import argparse

    bench = _load(ROOT / "benchmarks" / "forward_memory.py")

    def record(model, layers, seed, metrics, **cfg):
        return json.dumps({"model": model, "dataset": "cora-ml", "seed": seed,
                           "config": {"num_layers": layers, **cfg}, "metrics": metrics})

    sf = [record("forwardgnn", 2, s, {"layer1_test_accuracy": 0.5 + s / 10, "layer2_test_accuracy": 0.7},
                 variant="sf", backbone="gcn") for s in range(3)]
    sf.append(record("forwardgnn", 2, 0, {"layer1_test_accuracy": 0.0, "layer2_test_accuracy": 0.0},
                     variant="ff-la", backbone="gcn"))  # another variant: not read
    bp = [record("gcn", 1, s, {"test_accuracy": 0.3}) for s in range(3)] + [record("gcn", 2, 0, {"test_accuracy": 0.8})]
    (tmp_path / "sf.jsonl").write_text("\n".join(sf) + "\n")
    (tmp_path / "bp.jsonl").write_text("\n".join(bp) + "\n")
    args = argparse.Namespace(dataset="cora-ml", backbone="gcn", depths=[1, 2], runs=3)
    curves = bench.accuracy_from_records(tmp_path / "sf.jsonl", tmp_path / "bp.jsonl", args)
    assert curves["sf"][1]["values"] == [0.5, 0.6, 0.7] and curves["sf"][2]["n"] == 3
    assert curves["bp"][1]["n"] == 3 and curves["bp"][2]["values"] == [0.8] and curves["bp"][2]["std"] == 0.0
    assert curves["missing"] == ["bp depth 2: 1 of 3 seeds"]
    assert "incomplete records" in capsys.readouterr().err


def test_results_table_from_runner_records(tmp_path, capsys):
    table = _load(ROOT / "benchmarks" / "forwardgnn_table.py")

    def record(model, seed, layers, metrics, **cfg):
        return json.dumps({"model": model, "dataset": "cora-ml", "seed": seed,
                           "config": {"num_layers": layers, **cfg}, "metrics": metrics})

    sf = [record("forwardgnn", s, 2, {"layer1_test_accuracy": 0.87 + s / 100, "layer2_test_accuracy": 0.88},
                 variant="sf", backbone="gcn") for s in range(2)]
    sf.append(record("forwardgnn", 0, 2, {"test_accuracy": 0.5}, variant="sf-top-to-loss", backbone="gcn"))
    sf.append(record("forwardgnn", 0, 2, {"test_accuracy": 0.1}, variant="sf-top-to-loss", backbone="sage"))
    bp = [record("gcn", 0, 1, {"test_accuracy": 0.3}), record("gat", 0, 1, {"test_accuracy": 0.9})]
    (tmp_path / "sf.jsonl").write_text("\n".join(sf) + "\n")
    (tmp_path / "bp.jsonl").write_text("\n".join(bp) + "\n")
    text = table.main(["--sf", str(tmp_path / "sf.jsonl"), "--bp", str(tmp_path / "bp.jsonl")])
    rows = text.splitlines()[2:]
    assert rows[0].startswith("| SF | 1 | first 1 of the 2-layer stack | 87.50 ± 0.71 | 0.50 | 0,1 | 87.75 ± 1.4 | 0.25 (within")
    assert rows[2].startswith("| BP (back-propagation) | 1 | 1-layer model | 30.00 ± - |")
    assert rows[3].startswith("| SF-TOP-TO-LOSS | 2 | 2-layer model | 50.00") and len(rows) == 4  # no sage, no gat
