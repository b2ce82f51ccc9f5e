#!/usr/bin/env python
"""Accuracy under attack: every defence over Pro-GNN's Metattack 0-25 % and Nettack 1-5 graphs.

    python benchmarks/robustness.py --dataset prognn-cora            # all four defences, meta + nettack, 10 seeds
    python benchmarks/robustness.py --dataset prognn-citeseer --attacks meta
        [--models stable gcn gcn-jaccard gcn-svd] [--seeds 10] [--meta-rates 0 0.05 ...]
        [--nettack-rates 1 2 ...] [--out-dir benchmarks/results] [--epochs E] [--device cpu]

Each defence runs with its config for the graph (``XConfig.for_dataset(dataset,
attack=..., ptb_rate=...)``: STABLE's per-rate README presets, DeepRobust's settings
for GCN, GCN-Jaccard and GCN-SVD). The baselines train ``--seeds`` times (seeds
0..S-1); STABLE refines the graph once (seed 0) and trains its classifier ``--seeds``
times (``classifier_runs``), the paper's protocol. Metattack graphs report test
accuracy, Nettack graphs the accuracy on the attacked target nodes (Pro-GNN's
protocol). Results are appended to ``<out-dir>/robustness_<name>.jsonl`` (one line
per defence and graph; finished pairs are skipped when the script is run again),
then tabulated in ``robustness_<name>.md`` and drawn in ``robustness_<name>.png``
(matplotlib: ``pip install 'graphkit-pyg[plot]'``).

On one thread of a shared 2-core machine Cora takes about two hours (the GCN
baselines about 8 s per seed, STABLE two to three minutes per graph).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

from graphkit import datasets
from graphkit.models.registry import get_method

RESULTS = Path(__file__).resolve().parent / "results"
MODELS = ("gcn", "gcn-jaccard", "gcn-svd", "stable")
LABELS = {"gcn": "GCN", "gcn-jaccard": "GCN-Jaccard", "gcn-svd": "GCN-SVD", "stable": "STABLE"}
META_RATES = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25)
NETTACK_RATES = (1, 2, 3, 4, 5)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dataset", default="prognn-cora", help="a prognn-* data set (default: prognn-cora)")
    p.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    p.add_argument("--attacks", nargs="+", default=["meta", "nettack"], choices=["meta", "nettack"])
    p.add_argument("--meta-rates", nargs="+", type=float, default=list(META_RATES))
    p.add_argument("--nettack-rates", nargs="+", type=int, default=list(NETTACK_RATES))
    p.add_argument("--seeds", type=int, default=10, help="seeds per baseline / STABLE classifier runs (default 10)")
    p.add_argument("--epochs", type=int, default=None, help="override every config's epochs (smoke runs)")
    p.add_argument("--embedding-epochs", type=int, default=None, help="override STABLE's encoder budget (smoke runs)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--data-root", default=None)
    p.add_argument("--out-dir", default=str(RESULTS))
    return p.parse_args(argv)


def graphs(args):
    """(attack, rate, load options) for every graph of the run, clean graph first."""
    out = []
    if "meta" in args.attacks:
        for rate in args.meta_rates:
            out.append(("meta", rate, {} if rate == 0 else {"attack": "meta", "ptb_rate": rate}))
    if "nettack" in args.attacks:
        out += [("nettack", rate, {"attack": "nettack", "ptb_rate": rate}) for rate in args.nettack_rates]
    return out


def predict(name: str, model, data, result) -> torch.Tensor:
    """Class predictions of a trained defence, each on the graph it trained on."""
    with torch.no_grad():
        x = data.x.to(next(model.parameters()).device)
        if name == "stable":
            return model(result.embedding, result.edge_index).argmax(-1).cpu()
        if name == "gcn-svd":
            return model(x, result.adjacency).argmax(-1).cpu()
        edge_index = result.edge_index if name == "gcn-jaccard" else data.edge_index
        return model(x, edge_index.to(x.device)).argmax(-1).cpu()


def evaluate(name: str, data, options: dict, args) -> dict:
    """Accuracies of one defence on one graph: test nodes (Metattack, clean) or target nodes (Nettack)."""
    spec = get_method(name)
    config = spec.config.for_dataset(args.dataset, **options)
    if args.epochs is not None:
        config = config.replace(epochs=args.epochs)
    targets = getattr(data, "target_mask", None) is not None
    mask = data.target_mask if targets else data.test_mask
    start = time.perf_counter()
    if name == "stable":
        config = config.replace(classifier_runs=args.seeds)
        if args.embedding_epochs is not None:
            config = config.replace(embedding_epochs=args.embedding_epochs)
        model = spec.model.from_config(config, data)
        result = spec.fit(model, data, config, seed=0, device=args.device, progress=False)
        accs = result.target_accuracies if targets else result.test_accuracies
        extra = {"refinement": result.refinement, "refinement_s": result.time["refinement_s"],
                 "embedding_epochs": result.epochs_run}
    else:
        accs, extra = [], {}
        for seed in range(args.seeds):
            model = spec.model.from_config(config, data)
            result = spec.fit(model, data, config, seed=seed, device=args.device, progress=False)
            pred = predict(name, model, data, result)
            accs.append(float((pred[mask] == data.y[mask]).float().mean()))
    return {"accuracies": accs, "mean": statistics.fmean(accs),
            "std": statistics.stdev(accs) if len(accs) > 1 else 0.0, "config": config.to_dict(),
            "config_source": spec.config.source_for(args.dataset, **options),
            "wall_s": time.perf_counter() - start, **extra}


def load_records(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def table(records: list[dict], attack: str, rates, models, seeds: int) -> str:
    head = "| defence | " + " | ".join(f"{r * 100:g} %" if attack == "meta" else f"{r}" for r in rates) + " |"
    what = ("Metattack (share of the edges perturbed): test accuracy (%)" if attack == "meta" else
            "Nettack (perturbations per target node): accuracy on the target nodes (%)")
    lines = [f"{what}, mean ± std over {seeds} seeds", "", head, "|---" * (len(rates) + 1) + "|"]
    by_key = {(r["model"], r["attack"], r["ptb_rate"]): r for r in records}
    for model in models:
        cells = []
        for rate in rates:
            rec = by_key.get((model, attack, rate))
            cells.append(f"{100 * rec['mean']:.2f} ± {100 * rec['std']:.2f}" if rec else "—")
        lines.append(f"| {LABELS[model]} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot(records: list[dict], path: Path, dataset: str, attacks, rates: dict, models) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install 'graphkit-pyg[plot]'); skipping the plot")
        return False
    fig, axes = plt.subplots(1, len(attacks), figsize=(5.5 * len(attacks), 4), squeeze=False)
    by_key = {(r["model"], r["attack"], r["ptb_rate"]): r for r in records}
    for ax, attack in zip(axes[0], attacks, strict=True):
        for model in models:
            xs, ys, es = [], [], []
            for rate in rates[attack]:
                rec = by_key.get((model, attack, rate))
                if rec:
                    xs.append(rate * 100 if attack == "meta" else rate)
                    ys.append(100 * rec["mean"])
                    es.append(100 * rec["std"])
            if xs:
                ax.errorbar(xs, ys, yerr=es, marker="o", capsize=3, label=LABELS[model])
        ax.set_xlabel("Metattack perturbation rate (%)" if attack == "meta" else "Nettack perturbations per target")
        ax.set_ylabel("test accuracy (%)" if attack == "meta" else "target-node accuracy (%)")
        ax.set_title(f"{dataset}, {'Metattack' if attack == 'meta' else 'Nettack'}")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def main(argv=None) -> list[dict]:
    args = parse_args(argv)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"robustness_{args.dataset.removeprefix('prognn-')}"
    jsonl = out_dir / f"{stem}.jsonl"
    records = load_records(jsonl)
    done = {(r["model"], r["attack"], r["ptb_rate"]) for r in records}
    for attack, rate, options in graphs(args):
        todo = [m for m in args.models if (m, attack, rate) not in done]
        if not todo:
            continue
        data = datasets.load(args.dataset, root=args.data_root, **options)
        for name in todo:
            rec = {"model": name, "dataset": args.dataset, "attack": attack, "ptb_rate": rate,
                   **evaluate(name, data, options, args)}
            records.append(rec)
            with jsonl.open("a") as f:
                f.write(json.dumps(rec) + "\n")
            print(f"{LABELS[name]:12s} {attack:8s} {rate:<5g} {100 * rec['mean']:6.2f} ± {100 * rec['std']:.2f} "
                  f"({rec['wall_s']:.0f} s)", file=sys.stderr, flush=True)
    rates = {"meta": list(args.meta_rates), "nettack": list(args.nettack_rates)}
    md = [f"# Robustness on {args.dataset}", "", f"`python benchmarks/robustness.py --dataset {args.dataset}`", ""]
    for attack in args.attacks:
        md += [table(records, attack, rates[attack], args.models, args.seeds), ""]
    (out_dir / f"{stem}.md").write_text("\n".join(md))
    plot(records, out_dir / f"{stem}.png", args.dataset, args.attacks, rates, args.models)
    print("\n".join(md))
    return records


if __name__ == "__main__":
    main()
