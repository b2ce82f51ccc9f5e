#!/usr/bin/env python
"""Test accuracy against depth on Cora: GCN with K stacked layers vs DAGNN and DGMLP with K hops.

    python examples/dagnn_depth_study.py [--depths 1 2 4 ... 256] [--seeds 0 1 2]
        [--gcn-epochs 200] [--dagnn-epochs 1000] [--dgmlp-epochs 200] [--json FILE] [--png FILE] [--dataset cora]

The over-smoothing picture of both papers: a GCN whose depth is its receptive
field collapses as K grows; DAGNN (decoupled propagation + adaptive adjustment)
and DGMLP (parameter-free node-adaptive hop weighting) keep their accuracy.
Hyperparameters are the Cora configs in ``benchmarks/configs/`` (DAGNN, DGMLP)
and Kipf & Welling's GCN (64 hidden, dropout 0.5, lr 0.01, wd 5e-4), with
``hidden 64`` for every depth. Results go to a JSON file and, with matplotlib
installed (``pip install graphkit[plot]``), a PNG plot.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from graphkit import datasets
from graphkit.models.baselines import GCN
from graphkit.models.dagnn import fit_dagnn
from graphkit.models.dgmlp import fit_dgmlp
from graphkit.train import seed_everything, train_node_classifier

ROOT = Path(__file__).resolve().parent.parent
DEPTHS = [1, 2, 4, 8, 16, 32, 64, 128, 256]


def config(model: str, dataset: str) -> dict:
    raw = json.loads((ROOT / "benchmarks" / "configs" / f"{model}.json").read_text())
    cfg = dict(raw["default"])
    cfg.update(raw.get("datasets", {}).get(dataset, {}))
    return cfg


def run_gcn(data, depth: int, seed: int, epochs: int) -> float:
    seed_everything(seed)
    model = GCN(data.num_features, 64, int(data.y.max()) + 1, num_layers=depth, dropout=0.5)
    result = train_node_classifier(model, data, epochs=epochs, lr=0.01, weight_decay=5e-4, patience=100)
    return result.metrics["test_accuracy"]


def run_fit(fit, cfg: dict, data, depth: int, seed: int) -> float:
    seed_everything(seed)
    return fit(data, {**cfg, "num_hops": depth}, seed=seed, device="cpu").metrics["test_accuracy"]


def plot(results: dict, path: Path, dataset: str) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install graphkit[plot]); skipping the plot")
        return False
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, rows in results["curves"].items():
        depths = [r["depth"] for r in rows]
        means = [100 * r["mean"] for r in rows]
        stds = [100 * r["std"] for r in rows]
        ax.errorbar(depths, means, yerr=stds, marker="o", capsize=3, label=name)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("depth K (GCN layers / propagation hops)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(f"{dataset}: accuracy vs depth ({len(results['seeds'])} seed(s))")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return True


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dataset", default="cora")
    p.add_argument("--depths", type=int, nargs="+", default=DEPTHS)
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--models", nargs="+", default=["GCN", "DAGNN", "DGMLP"])
    p.add_argument("--gcn-epochs", type=int, default=200)
    p.add_argument("--dagnn-epochs", type=int, default=None, help="default: the config's (1000)")
    p.add_argument("--dgmlp-epochs", type=int, default=None, help="default: the config's (200)")
    p.add_argument("--json", default=str(ROOT / "benchmarks" / "results" / "dagnn_dgmlp_depth.json"))
    p.add_argument("--png", default=str(ROOT / "benchmarks" / "results" / "dagnn_dgmlp_depth.png"))
    args = p.parse_args(argv)
    data = datasets.load(args.dataset)
    dagnn_cfg, dgmlp_cfg = config("dagnn", args.dataset), config("dgmlp", args.dataset)
    if args.dagnn_epochs is not None:
        dagnn_cfg["epochs"] = args.dagnn_epochs
    if args.dgmlp_epochs is not None:
        dgmlp_cfg["epochs"] = args.dgmlp_epochs
    runners = {
        "GCN": lambda k, s: run_gcn(data, k, s, args.gcn_epochs),
        "DAGNN": lambda k, s: run_fit(fit_dagnn, dagnn_cfg, data, k, s),
        "DGMLP": lambda k, s: run_fit(fit_dgmlp, dgmlp_cfg, data, k, s),
    }
    results = {"dataset": args.dataset, "seeds": args.seeds, "gcn_epochs": args.gcn_epochs,
               "dagnn_config": dagnn_cfg, "dgmlp_config": dgmlp_cfg, "curves": {}}
    for name in args.models:
        rows = []
        for depth in args.depths:
            start = time.perf_counter()
            accs = [runners[name](depth, seed) for seed in args.seeds]
            rows.append({"depth": depth, "mean": statistics.fmean(accs),
                         "std": statistics.stdev(accs) if len(accs) > 1 else 0.0, "runs": accs,
                         "seconds": time.perf_counter() - start})
            print(f"{name:6s} K={depth:4d}  test acc {100 * rows[-1]['mean']:.2f}  "
                  f"({rows[-1]['seconds']:.1f} s)", flush=True)
            results["curves"][name] = rows
            Path(args.json).parent.mkdir(parents=True, exist_ok=True)
            Path(args.json).write_text(json.dumps(results, indent=1))
    plot(results, Path(args.png), args.dataset)
    return results


if __name__ == "__main__":
    main()
