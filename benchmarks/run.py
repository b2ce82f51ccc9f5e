#!/usr/bin/env python
"""graphkit's one benchmark runner.

    python benchmarks/run.py --model NAME --dataset NAME [--runs R] [--seed S]
        [--device D] [--epochs E] [--set KEY=VALUE ...] [--data-root DIR] [--out FILE.jsonl]
        [--quick] [--quiet]

With no arguments it trains GCN on the synthetic contextual SBM (``csbm``) for
3 seeded runs, well under a minute on 2 CPU cores. Hyperparameters come from
``benchmarks/configs/<model>.json`` (a ``default`` block, per-data-set
overrides under ``datasets``, and the ``source`` they were taken from).
Each run appends one JSON object per line to ``--out``; at the end a
mean ± std table is printed.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
from pathlib import Path

import numpy as np
import scipy
import torch
import torch_geometric

import graphkit
from graphkit import _compat, datasets
from graphkit.datasets.splits import LinkSplit, random_link_split
from graphkit.models.registry import GraphInfo, get_model, model_names
from graphkit.train import PeakMemory, resolve_device, seed_everything
from graphkit.train.link_prediction import train_link_predictor
from graphkit.train.node_classification import train_node_classifier

CONFIG_DIR = Path(__file__).resolve().parent / "configs"
QUICK_EPOCHS = 5


def load_config(model: str, dataset: str) -> tuple[dict, str]:
    """Merged config for (model, dataset) and the source it cites."""
    path = CONFIG_DIR / f"{model}.json"
    if not path.exists():
        raise SystemExit(f"error: no config for model {model!r}: expected {path}")
    raw = json.loads(path.read_text())
    cfg = dict(raw.get("default", {}))
    override = raw.get("datasets", {}).get(dataset, {})
    cfg.update(override)
    cfg["_dataset_keys"] = sorted(override)
    return cfg, raw.get("source", "")


def apply_protocol(cfg: dict, data) -> dict:
    """Fixed link splits (OGB) bring their own metric unless the config names one for the data set."""
    cfg = dict(cfg)
    dataset_keys = cfg.pop("_dataset_keys", [])
    if isinstance(data, LinkSplit):
        if data.extra.get("metric") and "metric" not in dataset_keys:
            cfg["metric"] = data.extra["metric"]
        for key in ("val_ratio", "test_ratio"):  # a fixed split ignores these: don't record them
            cfg.pop(key, None)
    return cfg


def versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "graphkit": graphkit.__version__, "torch": torch.__version__,
           "torch_geometric": torch_geometric.__version__, "numpy": np.__version__, "scipy": scipy.__version__}
    for name in ("torch_scatter", "torch_sparse"):
        module = getattr(_compat, name)
        if module is not None and getattr(_compat, f"WITH_{name.upper()}"):
            out[name] = getattr(module, "__version__", "?")
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="gcn", help=f"one of: {', '.join(model_names())} (default: gcn)")
    p.add_argument("--dataset", default="csbm", help="a registered data set name (default: csbm)")
    p.add_argument("--runs", type=int, default=None, help="number of seeded runs (default: from config)")
    p.add_argument("--seed", type=int, default=0, help="seed of the first run; run r uses seed + r")
    p.add_argument("--device", default="auto", help="cpu, cuda, cuda:N or auto (default)")
    p.add_argument("--epochs", type=int, default=None, help="override the config's epochs")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override one config entry (VALUE read as JSON, else as a string), e.g. "
                        "--set setting=inductive; repeatable")
    p.add_argument("--data-root", default=None, help="raw-data root (default: $GRAPHKIT_DATA or ~/.cache/graphkit)")
    p.add_argument("--out", default="runs.jsonl", help="JSON-lines file each run appends to (default: runs.jsonl)")
    p.add_argument("--quick", action="store_true", help=f"smoke test: {QUICK_EPOCHS} epochs, 1 run unless --runs")
    p.add_argument("--quiet", action="store_true", help="no progress bar, only the final table")
    args = p.parse_args(argv)
    if args.runs is not None and args.runs < 1:
        p.error("--runs must be >= 1")
    if args.epochs is not None and args.epochs < 1:
        p.error("--epochs must be >= 1")
    for item in args.overrides:
        if "=" not in item or not item.split("=", 1)[0]:
            p.error(f"--set expects KEY=VALUE, got {item!r}")
    return args


def apply_overrides(cfg: dict, overrides: list[str]) -> dict:
    """``--set KEY=VALUE`` entries on top of the config; only keys the config already has."""
    cfg = dict(cfg)
    for item in overrides:
        key, raw = item.split("=", 1)
        if key not in cfg or key.startswith("_"):
            known = ", ".join(sorted(k for k in cfg if not k.startswith("_")))
            raise SystemExit(f"error: --set {key}: not a key of this config; keys: {known}")
        try:
            cfg[key] = json.loads(raw)
        except json.JSONDecodeError:
            cfg[key] = raw
    return cfg


def run_once(spec, data, cfg: dict, seed: int, device: torch.device, progress: bool, dataset_task: str = "node"):
    """One seeded run of ``spec`` on ``data`` (a ``dataset_task`` data set); returns a RunResult with peak memory set."""
    seed_everything(seed)
    fit = spec.fit_for(dataset_task)
    if fit is not None:  # the method owns its training procedure
        with PeakMemory(device) as mem:
            result = fit(data, cfg, seed=seed, device=device, progress=progress)
    elif spec.task == "node":
        info = GraphInfo(data.num_nodes, data.num_features, int(data.y.max()) + 1 if data.y.dim() == 1
                         else data.y.size(1), multilabel=data.y.dim() == 2)
        model = spec.build(info, cfg)
        with PeakMemory(device) as mem:
            result = train_node_classifier(model, data, epochs=cfg["epochs"], lr=cfg["lr"],
                                           weight_decay=cfg.get("weight_decay", 0.0),
                                           patience=cfg.get("patience"), device=device, progress=progress)
    else:
        # node data sets get NCN's protocol: a random edge split redrawn per run, seeded by the run
        split = data if isinstance(data, LinkSplit) else random_link_split(
            data, val_ratio=cfg["val_ratio"], test_ratio=cfg["test_ratio"], seed=seed)
        model = spec.build(GraphInfo(split.num_nodes, split.num_features), cfg)
        with PeakMemory(device) as mem:
            result = train_link_predictor(model, split, epochs=cfg["epochs"], lr=cfg["lr"],
                                          batch_size=cfg["batch_size"], metric=cfg["metric"],
                                          patience=cfg.get("patience"), eval_every=cfg.get("eval_every", 1),
                                          seed=seed, device=device, progress=progress)
    result.peak_memory_mb = mem.peak_mb
    return result


def check_compatible(spec, dspec) -> None:
    """Refuse a (model, data set) pair before anything is loaded."""
    if dspec.task not in spec.dataset_tasks:
        valid = ", ".join(n for t in spec.dataset_tasks for n in datasets.names(t))
        raise SystemExit(f"error: model {spec.name!r} runs on {'/'.join(spec.dataset_tasks)} data sets; "
                         f"{dspec.name!r} is a {dspec.task!r} data set. Valid data sets: {valid}")


def format_table(model: str, dataset: str, records: list[dict]) -> str:
    """Mean ± std over runs of every metric, time and memory."""
    rows = []
    def add(name, values, fmt):
        mean = statistics.fmean(values)
        std = statistics.stdev(values) if len(values) > 1 else 0.0
        rows.append((name, f"{mean:{fmt}} ± {std:{fmt}}"))
    for key in records[0]["metrics"]:
        add(key, [100 * r["metrics"][key] for r in records], ".2f")
    for key in ("train_s", "epoch_s", "inference_s"):
        add(key, [r["time"][key] for r in records], ".4f")
    add("peak_memory_mb", [r["peak_memory_mb"] for r in records], ".1f")
    width = max(len(n) for n, _ in rows)
    head = f"{model} on {dataset}: {len(records)} run(s), metrics in %"
    return "\n".join([head, "-" * len(head)] + [f"{n:<{width}}  {v}" for n, v in rows])


def main(argv: list[str] | None = None) -> list[dict]:
    args = parse_args(argv)
    try:
        spec = get_model(args.model)
        dspec = datasets.spec(args.dataset)
        device = resolve_device(args.device)
    except ValueError as exc:
        raise SystemExit(f"error: {exc}") from None
    cfg, source = load_config(spec.name, dspec.name)
    cfg = apply_overrides(cfg, args.overrides)
    if args.epochs is not None:
        cfg["epochs"] = args.epochs
    elif args.quick and "epochs" in cfg:  # embedding methods (FastRP) have no epochs
        cfg["epochs"] = min(cfg["epochs"], QUICK_EPOCHS)
    runs = args.runs or (1 if args.quick else cfg.get("runs", 1))
    check_compatible(spec, dspec)
    data = datasets.load(dspec.name, root=args.data_root)
    cfg = apply_protocol(cfg, data)

    records = []
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    for r in range(runs):
        seed = args.seed + r
        result = run_once(spec, data, cfg, seed, device, progress=not args.quiet, dataset_task=dspec.task)
        record = {"model": spec.name, "dataset": dspec.name, "seed": seed, "config": cfg,
                  "config_source": source, "metrics": result.metrics, "time": result.time,
                  "peak_memory_mb": result.peak_memory_mb, "best_epoch": result.best_epoch,
                  "epochs_run": result.epochs_run, "device": str(device), "versions": versions()}
        with out.open("a") as fh:
            fh.write(json.dumps(record) + "\n")
        records.append(record)
        if not args.quiet:
            shown = ", ".join(f"{k}={100 * v:.2f}" for k, v in result.metrics.items())
            print(f"run {r + 1}/{runs} (seed {seed}): {shown}", file=sys.stderr)
    print(format_table(spec.name, dspec.name, records))
    return records


if __name__ == "__main__":
    main()
