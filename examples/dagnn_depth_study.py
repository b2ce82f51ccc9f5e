#!/usr/bin/env python
"""Test accuracy against depth on Cora: GCN with K stacked layers vs DAGNN and DGMLP with K hops.

    python examples/dagnn_depth_study.py            # the point, K up to 32, reduced budgets (about 80 s)
    python examples/dagnn_depth_study.py --full     # the whole study: K up to 256, full budgets (tens of minutes)
        [--depths 1 2 4 ...] [--seeds 0 1 2] [--models GCN DAGNN DGMLP] [--gcn-epochs E]
        [--dagnn-epochs E] [--dgmlp-epochs E] [--dataset cora] [--device cpu] [--json FILE] [--png FILE]

The over-smoothing picture of both papers: a GCN whose depth is its receptive
field collapses as K grows; DAGNN (decoupled propagation + adaptive adjustment)
and DGMLP (parameter-free node-adaptive hop weighting) keep their accuracy.

Hyperparameters are the paper presets, ``DAGNNConfig.for_dataset`` and
``DGMLPConfig.for_dataset``, with ``num_hops = K``, and Kipf & Welling's GCN
(``GCNConfig``: hidden 64, dropout 0.5, lr 0.01, weight decay 5e-4, patience 100)
with ``num_layers = K``. Every model is built with ``from_config`` and trained by
its own procedure (``fit_node_classifier``, ``fit_dagnn``, ``fit_dgmlp``).

The default run is a reduced study that shows the point quickly: K = 1..32,
GCN for 50 epochs, DAGNN for 200 (the official early stop from epoch 100), DGMLP
for its preset's 200: about 80 s on one thread of a shared 2-core machine (GCN
at K = 16 falls to 19.5 %, DAGNN and DGMLP stay at 83-84 %). ``--full`` runs
K = 1..256 with GCN for 200 epochs and DAGNN for its preset's 1000 (GCN at
K = 128 alone takes about three minutes on one thread). Explicit flags override
either budget. Results go to a JSON file and, with matplotlib installed
(``pip install matplotlib``), a PNG plot: ``benchmarks/results/dagnn_dgmlp_depth_quick.*``
by default, ``benchmarks/results/dagnn_dgmlp_depth.*`` (the committed study) with ``--full``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from graphkit import datasets
from graphkit.models.baselines import GCN, GCNConfig, fit_node_classifier
from graphkit.models.dagnn import DAGNN, DAGNNConfig, fit_dagnn
from graphkit.models.dgmlp import DGMLP, DGMLPConfig, fit_dgmlp

RESULTS = Path(__file__).resolve().parent.parent / "benchmarks" / "results"
# (depths, GCN epochs, DAGNN epochs, DGMLP epochs); None: the preset's
QUICK = ([1, 2, 4, 8, 16, 32], 50, 200, None)
FULL = ([1, 2, 4, 8, 16, 32, 64, 128, 256], 200, None, None)
METHODS = {"GCN": (GCN, GCNConfig, fit_node_classifier, "num_layers"),
           "DAGNN": (DAGNN, DAGNNConfig, fit_dagnn, "num_hops"),
           "DGMLP": (DGMLP, DGMLPConfig, fit_dgmlp, "num_hops")}


def configs(dataset: str, epochs: dict[str, int | None]) -> dict:
    """Each method's config for ``dataset`` (its preset, or the defaults), with the epoch budget applied."""
    out = {}
    for name, (_, config_type, _, _) in METHODS.items():
        config = config_type.for_dataset(dataset) if name != "GCN" else GCNConfig(hidden_channels=64)
        out[name] = config if epochs[name] is None else config.replace(epochs=epochs[name])
    return out


def run(name: str, config, data, depth: int, seed: int, device: str) -> float:
    """Test accuracy of ``name`` at depth ``depth`` (layers for GCN, hops otherwise), seed ``seed``."""
    model_type, _, fit, depth_key = METHODS[name]
    config = config.replace(**{depth_key: depth})
    model = model_type.from_config(config, data)
    return fit(model, data, config, seed=seed, device=device, progress=False).metrics["test_accuracy"]


def plot(results: dict, path: Path, dataset: str) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install matplotlib); skipping the plot")
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
    budget = "full budget" if results["full"] else "reduced budget"
    ax.set_title(f"{dataset}: accuracy vs depth ({len(results['seeds'])} seed(s), {budget})")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--full", action="store_true", help="the whole study (K up to 256, full epoch budgets)")
    p.add_argument("--dataset", default="cora")
    p.add_argument("--depths", type=int, nargs="+", default=None, help="default: 1..32 (--full: 1..256)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--models", nargs="+", default=list(METHODS), choices=list(METHODS))
    p.add_argument("--gcn-epochs", type=int, default=None, help="default: 50 (--full: 200)")
    p.add_argument("--dagnn-epochs", type=int, default=None, help="default: 200 (--full: the preset's, 1000)")
    p.add_argument("--dgmlp-epochs", type=int, default=None, help="default: the preset's (200)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--json", default=None, help="default: benchmarks/results/dagnn_dgmlp_depth[_quick].json")
    p.add_argument("--png", default=None, help="default: benchmarks/results/dagnn_dgmlp_depth[_quick].png")
    args = p.parse_args(argv)
    depths, gcn_epochs, dagnn_epochs, dgmlp_epochs = FULL if args.full else QUICK
    stem = "dagnn_dgmlp_depth" if args.full else "dagnn_dgmlp_depth_quick"
    json_path = Path(args.json or RESULTS / f"{stem}.json")
    png_path = Path(args.png or RESULTS / f"{stem}.png")
    depths = args.depths if args.depths is not None else depths
    given = {"GCN": args.gcn_epochs, "DAGNN": args.dagnn_epochs, "DGMLP": args.dgmlp_epochs}
    defaults = {"GCN": gcn_epochs, "DAGNN": dagnn_epochs, "DGMLP": dgmlp_epochs}
    epochs = {name: defaults[name] if given[name] is None else given[name] for name in METHODS}
    data = datasets.load(args.dataset)
    config = configs(args.dataset, epochs)
    results = {"dataset": args.dataset, "seeds": args.seeds, "full": args.full, "depths": depths,
               "configs": {name: c.to_dict() for name, c in config.items()}, "curves": {}}
    start_all = time.perf_counter()
    for name in args.models:
        rows = []
        for depth in depths:
            start = time.perf_counter()
            accs = [run(name, config[name], data, depth, seed, args.device) for seed in args.seeds]
            rows.append({"depth": depth, "mean": statistics.fmean(accs),
                         "std": statistics.stdev(accs) if len(accs) > 1 else 0.0, "runs": accs,
                         "seconds": time.perf_counter() - start})
            print(f"{name:6s} K={depth:4d}  test acc {100 * rows[-1]['mean']:.2f}  "
                  f"({rows[-1]['seconds']:.1f} s)", flush=True)
            results["curves"][name] = rows
            json_path.parent.mkdir(parents=True, exist_ok=True)
            json_path.write_text(json.dumps(results, indent=1))
    results["seconds"] = time.perf_counter() - start_all
    json_path.write_text(json.dumps(results, indent=1))
    if plot(results, png_path, args.dataset):
        print(f"wrote {json_path} and {png_path}")
    else:
        print(f"wrote {json_path}")
    return results


if __name__ == "__main__":
    main()
