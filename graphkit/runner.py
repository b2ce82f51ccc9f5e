"""graphkit's one runner: a paper's protocol for a (method, data set) pair, from the installed package.

    graphkit-run --model NAME --dataset NAME [--runs R] [--seed S] [--device D] [--epochs E]
        [--set KEY=VALUE ...] [--data KEY=VALUE ...] [--preset NAME] [--data-root DIR]
        [--out FILE.jsonl] [--save DIR] [--threads N] [--quick] [--quiet | --progress] [--show-config]

(also ``python -m graphkit.runner`` and ``python benchmarks/run.py``, the same program).
With no arguments it trains GCN on the synthetic contextual SBM (``csbm``) for
3 seeded runs, well under a minute on 2 CPU cores. The method and its config
come from the method table (:mod:`graphkit.models.registry`): the config is the
method's paper preset for the data set when it has one (else its defaults;
``--preset NAME`` picks another data set's preset, e.g. Cora's settings on your
own graph), then ``--set`` overrides. ``--data`` options go to :func:`graphkit.datasets.load`
(and pick per-option presets, e.g. an attack rate). Each run appends one JSON
object per line to ``--out`` (one ``write`` on an append-only descriptor: a line is
whole even when the process is killed, and concurrent runs may share the file);
``--save DIR`` also writes each run's trained model and config
(:func:`graphkit.save`; ``graphkit.load(path)`` reads it back), named in the
line's ``checkpoint``. At the end a mean ± std table is printed. Bad input (an
unknown name, a bad ``--set`` value, a missing raw file, a device that is not
there) exits with a one-line ``error:`` message in the command line's terms.

Several processes: ``torchrun --nproc-per-node P -m graphkit.runner ...`` trains
each run data-parallel over ``P`` ranks (:mod:`graphkit.distributed`: gloo on the
CPU, NCCL on CUDA, one GPU per rank); rank 0 alone writes the JSON lines (with
``world_size``), the checkpoints and the table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import sys
import warnings
from pathlib import Path

__all__ = ["main", "run"]

QUICK_EPOCHS = 5


def _key_value(item: str, flag: str) -> tuple[str, object]:
    if "=" not in item or not item.split("=", 1)[0]:
        raise SystemExit(f"error: {flag} expects KEY=VALUE, got {item!r}")
    key, raw = item.split("=", 1)
    try:
        return key, json.loads(raw)
    except json.JSONDecodeError:
        return key, raw


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="graphkit-run", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="gcn", help="a method name (graphkit.methods()); default: gcn")
    p.add_argument("--dataset", default="csbm", help="a registered data set name (default: csbm)")
    p.add_argument("--runs", type=int, default=None, help="number of seeded runs (default: the config's runs)")
    p.add_argument("--seed", type=int, default=0, help="seed of the first run; run r uses seed + r")
    p.add_argument("--device", default="auto", help="cpu, cuda, cuda:N or auto (default)")
    p.add_argument("--epochs", type=int, default=None, help="override the config's epochs")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override one config key (VALUE read as JSON, else as a string), e.g. "
                        "--set setting=inductive; repeatable")
    p.add_argument("--data", dest="data_options", action="append", default=[], metavar="KEY=VALUE",
                   help="a data-set option for datasets.load (JSON value), e.g. --data attack=meta; repeatable")
    p.add_argument("--preset", default=None, help="use the config preset of this data set (default: --dataset's)")
    p.add_argument("--data-root", default=None, help="raw-data root (default: $GRAPHKIT_DATA or ~/.cache/graphkit)")
    p.add_argument("--out", default="runs.jsonl", help="JSON-lines file each run appends to (default: runs.jsonl)")
    p.add_argument("--save", default=None, metavar="DIR",
                   help="also write each run's trained model and config to DIR (graphkit.load reads them)")
    p.add_argument("--threads", type=int, default=None, metavar="N",
                   help="CPU threads (default: one for a small input, else at most the idle cores; graphkit.threads)")
    p.add_argument("--quick", action="store_true", help=f"smoke test: {QUICK_EPOCHS} epochs, 1 run unless --runs")
    shown = p.add_mutually_exclusive_group()
    shown.add_argument("--quiet", action="store_true", help="no progress bar, only the final table")
    shown.add_argument("--progress", action="store_true",
                       help="the progress bar even when stderr is not a terminal, e.g. a long run's log file "
                            "(default: only on a terminal)")
    p.add_argument("--show-config", action="store_true", help="print the resolved config and its source, then exit")
    args = p.parse_args(argv)
    if args.runs is not None and args.runs < 1:
        p.error("--runs must be >= 1")
    if args.epochs is not None and args.epochs < 1:
        p.error("--epochs must be >= 1")
    args.overrides = dict(_key_value(item, "--set") for item in args.overrides)
    args.data_options = dict(_key_value(item, "--data") for item in args.data_options)
    return args


def versions() -> dict[str, str]:
    import numpy as np
    import scipy
    import torch
    import torch_geometric

    import graphkit
    from graphkit import _compat

    out = {"python": platform.python_version(), "graphkit": graphkit.__version__, "torch": torch.__version__,
           "torch_geometric": torch_geometric.__version__, "numpy": np.__version__, "scipy": scipy.__version__}
    for name in ("torch_scatter", "torch_sparse"):
        module = getattr(_compat, name)
        if module is not None and getattr(_compat, f"WITH_{name.upper()}"):
            out[name] = getattr(module, "__version__", "?")
    return out


def resolve_config(spec, dataset: str, data_options: dict, overrides: dict, *, epochs: int | None, quick: bool,
                   preset: str | None = None):
    """The method's preset for the data set (else its defaults), ``--set`` overrides, then epochs / quick.

    ``preset`` names another data set whose preset to use; it must exist.
    """
    cls = spec.config
    if preset is not None:
        config, source = cls.paper(preset, **data_options), cls.source_for(preset, **data_options)
    else:
        config, source = cls.for_dataset(dataset, **data_options), cls.source_for(dataset, **data_options)
    if overrides:
        config = config.replace(**overrides)
    if epochs is not None or quick:
        if "epochs" not in cls.keys():
            if epochs is not None:
                raise ValueError(f"{spec.name} trains no epochs ({cls.__name__} has no 'epochs' key)")
        else:
            config = config.replace(epochs=epochs if epochs is not None else min(config.epochs, QUICK_EPOCHS))
    return config, source


def _checkpoint_name(model: str, dataset: str, data_options: dict, seed: int) -> str:
    """``<model>-<dataset>[-<options>]-seed<S>.pt`` with only file-name-safe characters."""
    options = "".join(f"-{k}{v}" for k, v in sorted(data_options.items()))
    stem = re.sub(r"[^A-Za-z0-9_.+=-]", "_", f"{model}-{dataset}{options}-seed{seed}")
    return f"{stem}.pt"


def append_line(path: Path, record: dict) -> None:
    """Append one JSON line with a single write on an O_APPEND descriptor (never a partial line from us)."""
    line = (json.dumps(record) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def format_table(model: str, dataset: str, records: list[dict]) -> str:
    """Mean ± std over runs of every metric (in %), time (s) and memory (MB)."""
    rows = []

    def add(name, values, fmt):
        mean = statistics.fmean(values)
        std = statistics.stdev(values) if len(values) > 1 else 0.0
        rows.append((name, f"{mean:{fmt}} ± {std:{fmt}}"))

    for key in records[0]["metrics"]:
        add(f"{key} (%)", [100 * r["metrics"][key] for r in records], ".2f")
    for key in records[0]["time"]:
        add(f"{key} (s)", [r["time"][key] for r in records], ".4f")
    add("peak_memory (MB)", [r["peak_memory_mb"] for r in records], ".1f")
    width = max(len(n) for n, _ in rows)
    head = f"{model} on {dataset}: {len(records)} run(s)"
    return "\n".join([head, "-" * len(head)] + [f"{n:<{width}}  {v}" for n, v in rows])


# the loaders' hints name Python arguments; on the command line they are these flags
_CLI_HINTS = ((re.compile(r"call load\(([^)]*?),\s*download=True\)"), "add --data download=true"),
              (re.compile(r"pass download=True"), "add --data download=true"),
              (re.compile(r"download=True"), "--data download=true"),
              (re.compile(r"pass a writable root= \(or GRAPHKIT_DATA\)"), "pass a writable --data-root DIR (or "
                                                                            "set GRAPHKIT_DATA)"),
              (re.compile(r"Set GRAPHKIT_DATA or pass root= to point at the folder that holds them"),
               "Pass --data-root DIR (or set GRAPHKIT_DATA) to point at the folder that holds them"),
              (re.compile(r"\broot="), "--data-root "))


def cli_message(exc: BaseException) -> str:
    """``exc``'s message with the Python arguments it suggests spelled as the runner's flags."""
    text = str(exc) or type(exc).__name__
    for pattern, flag in _CLI_HINTS:
        text = pattern.sub(flag, text)
    return text


def _fail(exc: BaseException, context: str = "") -> SystemExit:
    return SystemExit(f"error: {context}{cli_message(exc)}")


def run(argv: list[str] | None = None) -> list[dict]:
    """Run the protocol; return the JSON records (one per run). Errors exit with a one-line message."""
    args = parse_args(argv)
    from graphkit import datasets, distributed
    from graphkit._validation import check_device, check_int
    from graphkit.models.registry import get_method

    try:
        spec = get_method(args.model)
        dspec = datasets.spec(args.dataset)
        device = check_device(args.device, name="--device")
        if args.threads is not None:
            check_int("--threads", args.threads, minimum=1)
        if distributed.launched_by_torchrun() and distributed.init(device):
            device = distributed.device_for(device)
        if dspec.task not in spec.datasets:
            valid = ", ".join(n for kind in spec.datasets for n in datasets.names(kind))
            raise ValueError(f"model {spec.name!r} runs on {'/'.join(spec.datasets)} data sets; {dspec.name!r} is a "
                             f"{dspec.task!r} data set. Valid data sets: {valid}")
        config, source = resolve_config(spec, dspec.name, args.data_options, args.overrides, epochs=args.epochs,
                                        quick=args.quick, preset=args.preset)
    except (ValueError, TypeError) as exc:
        raise _fail(exc) from None
    if args.show_config:
        print(json.dumps({"model": spec.name, "dataset": dspec.name, "config": config.to_dict(), "source": source},
                         indent=2))
        return []
    runs = args.runs or (1 if args.quick else config.runs)
    try:
        data = datasets.load(dspec.name, root=args.data_root, **args.data_options)
    except (OSError, ValueError, TypeError) as exc:  # missing / unreadable files, bad --data options
        raise _fail(exc) from None

    writer = distributed.is_main()
    out = Path(args.out)
    save_dir = None if args.save is None or not writer else Path(args.save)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if save_dir is not None:
            save_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _fail(exc, "cannot create the output folders: ") from None
    progress = False if args.quiet or not writer else (True if args.progress else None)
    records = []
    for r in range(runs):
        seed = args.seed + r
        try:
            model = spec.model.from_config(config, data)
            result = spec.fit(model, data, config, seed=seed, device=device, progress=progress,
                              threads=args.threads)
        except (ValueError, TypeError) as exc:  # what the procedures' input checks raise, before training
            raise _fail(exc, f"{spec.name} on {dspec.name} (seed {seed}): ") from None
        record = {"model": spec.name, "dataset": dspec.name, "data_options": args.data_options, "seed": seed,
                  "config": config.to_dict(), "config_source": source, "metrics": result.metrics,
                  "time": result.time, "peak_memory_mb": result.peak_memory_mb, "best_epoch": result.best_epoch,
                  "epochs_run": result.epochs_run, "device": str(device), "threads": result.threads,
                  "versions": versions()}
        if distributed.is_distributed():
            record["world_size"] = distributed.world_size()
        if save_dir is not None:
            from graphkit.checkpoint import save

            path = save_dir / _checkpoint_name(spec.name, dspec.name, args.data_options, seed)
            save(model, path, config, extra={"model": spec.name, "dataset": dspec.name,
                                             "data_options": json.dumps(args.data_options), "seed": seed,
                                             "metrics": result.metrics})
            record["checkpoint"] = str(path)
        if writer:
            append_line(out, record)
        records.append(record)
        if not args.quiet and writer:
            shown = ", ".join(f"{k}={100 * v:.2f}" for k, v in result.metrics.items())
            print(f"run {r + 1}/{runs} (seed {seed}): {shown}", file=sys.stderr)
    if writer:
        print(format_table(spec.name, dspec.name, records))
    return records


def main(argv: list[str] | None = None) -> int:
    """Console entry point (``graphkit-run``)."""
    # PyG scripts a few helpers at import, which torch >= 2.14 flags; it is not the user's concern here
    warnings.filterwarnings("ignore", message="`torch.jit.script` is deprecated", category=FutureWarning)
    try:
        run(argv)
    finally:
        from graphkit import distributed

        if distributed.launched_by_torchrun():
            distributed.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
