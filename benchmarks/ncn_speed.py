#!/usr/bin/env python
"""Speed of NCN / NCNC: per-epoch training time, full-test inference time, peak memory.

    python benchmarks/ncn_speed.py --dataset cora --models ncn ncnc --epochs 3
    python benchmarks/ncn_speed.py --dataset ogbl-ddi --models ncn --epochs 1 --max-steps 5

Hyperparameters come from ``benchmarks/configs/<model>.json`` (the official
README settings). Each (model, data set) runs in a fresh subprocess so that the
peak RSS (CPU) / max allocated (CUDA) belongs to that configuration alone.
Reported: median wall-clock and process-CPU seconds (CPU time is the robust
figure on a shared machine) per training epoch (``--max-steps`` limits the steps
of an epoch and extrapolates to the full epoch), median seconds of one
full-test inference pass (encode + score every test pair) over ``--reps``
repetitions after a warm-up, and the peak memory of the whole process.
Evaluation batches are bounded by common-neighbour work
(``max_cn_entries``), not by a fixed pair count.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def measure(model_name: str, dataset: str, epochs: int, reps: int, max_steps: int | None, device: str) -> dict:
    import torch
    import torch.nn.functional as F

    from graphkit import datasets
    from graphkit.datasets.splits import LinkSplit, random_link_split
    from graphkit.models.ncn import NCN, NCNC, build_from_config
    from graphkit.nn.common_neighbor_pooling import TargetLinkRemoval
    from graphkit.ops.negative_sampling import sample_negatives
    from graphkit.train import PeakMemory, seed_everything
    from graphkit.train.ncn_training import evaluate_ncn, split_adjacencies

    raw = json.loads((ROOT / "configs" / f"{model_name}.json").read_text())
    cfg = {**raw["default"], **raw.get("datasets", {}).get(dataset, {})}
    dev = torch.device(device)
    data = datasets.load(dataset)
    split = data if isinstance(data, LinkSplit) else random_link_split(data, val_ratio=0.1, test_ratio=0.2, seed=0)
    metric = split.extra.get("metric", cfg.get("metric", "hits@100")) if isinstance(data, LinkSplit) else cfg["metric"]
    with PeakMemory(dev) as mem:
        seed_everything(0)
        model = build_from_config(NCNC if model_name == "ncnc" else NCN, split.num_nodes, split.num_features,
                                  cfg).to(dev)
        opt = torch.optim.Adam([{"params": model.encoder.parameters(), "lr": cfg["gnn_lr"]},
                                {"params": model.predictor.parameters(), "lr": cfg["predictor_lr"]}])
        x = None if split.x is None else split.x.to(dev)
        train_pos = split.train_pos.to(dev)
        tlr = TargetLinkRemoval(train_pos, split.num_nodes)
        adjs = split_adjacencies(split, dev)
        gen = torch.Generator().manual_seed(0)
        bs = cfg["batch_size"]
        total_steps = max(train_pos.size(1) // bs, 1)
        steps = min(total_steps, max_steps) if max_steps else total_steps
        epoch_times, epoch_cpu = [], []
        for _ in range(epochs):
            model.train()
            t0, c0 = time.perf_counter(), time.process_time()
            neg = sample_negatives(split.num_nodes, train_pos.size(1), exclude=split.train_pos, generator=gen).to(dev)
            order = torch.randperm(train_pos.size(1), generator=gen).to(dev)
            for s in range(steps):
                perm = order[s * bs:(s + 1) * bs]
                opt.zero_grad()
                adj = tlr.without(perm) if cfg.get("target_link_removal", True) else adjs["train"]
                h = model.encoder(x, adj)
                loss = (-F.logsigmoid(model.predictor(h, adj, train_pos[:, perm])).mean()
                        - F.logsigmoid(-model.predictor(h, adj, neg[:, perm])).mean())
                loss.backward()
                opt.step()
            if dev.type == "cuda":
                torch.cuda.synchronize(dev)
            epoch_times.append((time.perf_counter() - t0) * total_steps / steps)
            epoch_cpu.append((time.process_time() - c0) * total_steps / steps)
        inference, inference_cpu, value = [], [], None
        for _ in range(reps + 1):  # first pass is the warm-up
            t0, c0 = time.perf_counter(), time.process_time()
            value = evaluate_ncn(model, split, "test", metric, adjacency=adjs["test"], device=dev)
            inference.append(time.perf_counter() - t0)
            inference_cpu.append(time.process_time() - c0)
    return {"model": model_name, "dataset": dataset, "device": device, "epoch_s": statistics.median(epoch_times),
            "epoch_steps_timed": steps, "epoch_steps": total_steps,
            "inference_s": statistics.median(inference[1:] if reps else inference),
            "epoch_cpu_s": statistics.median(epoch_cpu),
            "inference_cpu_s": statistics.median(inference_cpu[1:] if reps else inference_cpu),
            "peak_memory_mb": mem.peak_mb, f"test_{metric}_after_timing": value,
            "max_cn_entries": cfg.get("max_cn_entries"), "torch_threads": torch.get_num_threads()}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dataset", nargs="+", default=["cora"])
    p.add_argument("--models", nargs="+", default=["ncn", "ncnc"])
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--max-steps", type=int, default=None, help="time at most this many steps per epoch")
    p.add_argument("--device", default="cpu")
    p.add_argument("--out", default=None, help="append one JSON line per configuration")
    p.add_argument("--_child", nargs=2, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args._child:
        print(json.dumps(measure(args._child[0], args._child[1], args.epochs, args.reps, args.max_steps,
                                 args.device)))
        return
    rows = []
    for dataset in args.dataset:
        for model in args.models:
            cmd = [sys.executable, __file__, "--_child", model, dataset, "--epochs", str(args.epochs),
                   "--reps", str(args.reps), "--device", args.device]
            if args.max_steps:
                cmd += ["--max-steps", str(args.max_steps)]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
            row = json.loads(out)
            rows.append(row)
            print(f"{model:5s} {dataset:10s} epoch {row['epoch_s']:8.3f} s (cpu {row['epoch_cpu_s']:8.3f} s)  "
                  f"inference {row['inference_s']:8.3f} s (cpu {row['inference_cpu_s']:8.3f} s)  "
                  f"peak {row['peak_memory_mb']:8.1f} MiB", flush=True)
            if args.out:
                with open(args.out, "a") as fh:
                    fh.write(json.dumps(row) + "\n")
    return rows


if __name__ == "__main__":
    main()
