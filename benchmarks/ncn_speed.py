#!/usr/bin/env python
"""Speed of NCN / NCNC as the library trains them: per-epoch training time, full-test inference time, peak memory.

    python benchmarks/ncn_speed.py --dataset cora --models ncn ncnc --epochs 3
    python benchmarks/ncn_speed.py --dataset ogbl-ddi --models ncn --epochs 1 --max-steps 5

What is timed is :func:`graphkit.fit_ncn` itself — the procedure users and the
runner call, on the library's one epoch loop — with the data set's preset
(``NCNConfig.for_dataset`` / ``NCNCConfig.for_dataset``: the official README
settings), seed 0, for ``--epochs`` epochs and validation only after the last
one. Each (model, data set) runs in a fresh subprocess so that the peak RSS
(CPU) / max allocated (CUDA) belongs to that configuration alone.

Reported, from the returned ``FitResult``: ``epoch_s``, the median wall-clock
seconds of a training epoch (``--max-steps`` sets the config's
``max_steps_per_epoch``, a benchmarking knob, and the time is extrapolated to
the full epoch: ``epoch_s * steps / steps_timed``); ``inference_s``, one full
test pass (encode + score every test pair) — with ``--reps`` the median of that
many more passes of the same evaluation after the fit (``benchmarks/harness.py``);
``peak_memory_mb`` of the whole fit; and the process CPU seconds of the fit
(``fit_cpu_s``, the robust figure on a shared machine). Evaluation is chunked by
common-neighbour work (``max_cn_entries``), not by a fixed pair count.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

try:
    import graphkit  # noqa: F401
except ImportError:  # running from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

HERE = Path(__file__).resolve().parent


def measure(model_name: str, dataset: str, epochs: int, reps: int, max_steps: int | None, device: str) -> dict:
    sys.path.insert(0, str(HERE))
    import torch
    from harness import threads, timed

    from graphkit import NCN, NCNC, NCNCConfig, NCNConfig, datasets, fit_ncn
    from graphkit.models.ncn import split_adjacencies
    from graphkit.train.link_prediction import evaluate_link

    model_class, config_class = {"ncn": (NCN, NCNConfig), "ncnc": (NCNC, NCNCConfig)}[model_name]
    data = datasets.load(dataset)
    config = config_class.for_dataset(dataset).replace(epochs=epochs, eval_every=epochs,
                                                       max_steps_per_epoch=max_steps)
    model = model_class.from_config(config, data)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    result = fit_ncn(model, data, config, seed=0, device=device, progress=False)
    fit_cpu, fit_wall = time.process_time() - cpu0, time.perf_counter() - wall0
    split = result.split
    (metric,) = (key.removeprefix("test_") for key in result.metrics if key.startswith("test_"))
    steps = split.train_pos.size(1) // config.batch_size if config.drop_last else \
        -(-split.train_pos.size(1) // config.batch_size)
    steps = max(steps, 1)
    steps_timed = min(steps, max_steps) if max_steps else steps
    inference = result.time["inference_s"]
    if reps:
        dev = torch.device(device)
        adjs = split_adjacencies(split, dev)
        inference, _, _ = timed(lambda: evaluate_link(model, split, "test", metric, batch_size=None, device=dev,
                                                      graph=adjs["test"]), reps, warmup=0, device=dev)
    return {"model": model_name, "dataset": dataset, "device": device,
            "epoch_s": result.time["epoch_s"] * steps / steps_timed, "epoch_s_timed": result.time["epoch_s"],
            "epoch_steps_timed": steps_timed, "epoch_steps": steps, "inference_s": inference,
            "fit_inference_s": result.time["inference_s"], "fit_s": fit_wall, "fit_cpu_s": fit_cpu,
            "peak_memory_mb": result.peak_memory_mb, f"test_{metric}": result.metrics[f"test_{metric}"],
            "max_cn_entries": config.max_cn_entries, **threads()}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dataset", nargs="+", default=["cora"])
    p.add_argument("--models", nargs="+", default=["ncn", "ncnc"], choices=["ncn", "ncnc"])
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--reps", type=int, default=3, help="more timed test passes after the fit (0: the fit's own)")
    p.add_argument("--max-steps", type=int, default=None, help="time at most this many steps per epoch")
    p.add_argument("--device", default="cpu")
    p.add_argument("--out", default=None, help="append one JSON line per configuration")
    p.add_argument("--_child", nargs=2, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args._child:
        print(json.dumps(measure(args._child[0], args._child[1], args.epochs, args.reps, args.max_steps,
                                 args.device)))
        return None
    rows = []
    for dataset in args.dataset:
        for model in args.models:
            cmd = [sys.executable, __file__, "--_child", model, dataset, "--epochs", str(args.epochs),
                   "--reps", str(args.reps), "--device", args.device]
            if args.max_steps:
                cmd += ["--max-steps", str(args.max_steps)]
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                sys.stderr.write(proc.stderr)
                raise SystemExit(f"benchmark child {model} on {dataset} failed")
            row = json.loads(proc.stdout.strip().splitlines()[-1])
            rows.append(row)
            print(f"{model:5s} {dataset:10s} epoch {row['epoch_s']:8.3f} s  inference {row['inference_s']:8.3f} s  "
                  f"peak {row['peak_memory_mb']:8.1f} MiB  (fit {row['fit_s']:.1f} s wall, {row['fit_cpu_s']:.1f} s "
                  f"cpu, {row['torch_threads']} threads)", flush=True)
            if args.out:
                with open(args.out, "a") as fh:
                    fh.write(json.dumps(row) + "\n")
    return rows


if __name__ == "__main__":
    main()
