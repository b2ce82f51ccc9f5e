"""The pure-torch neighbour sampler (graphkit.ops.neighbor_sampling) against torch-sparse's C++ one.

    python benchmarks/neighbor_sampling.py [--nodes 100000] [--degree 20] [--batch 1024] [--fan-out 10 10]
        [--reps 7] [--device cpu] [--json out.json]

A seeded synthetic graph: ``nodes`` nodes, each with ``degree`` in-neighbours on
average drawn with a power-law (Zipf-like) popularity, so that hubs exist, as in
citation / social graphs. One mini-batch = ``batch`` random training seeds, the
``len(fan_out)``-hop subgraph around them. The two samplers alternate within each
repetition (torch-sparse, then pure torch), and the median of each over ``reps``
repetitions is reported with the ratio pure / torch-sparse (the issue's bar: at
most 3x). torch-sparse's sampler is CPU-only; with ``--device cuda`` the pure-torch
sampler runs on the GPU and torch-sparse's on the CPU.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import sync, threads  # noqa: E402

from graphkit import _compat  # noqa: E402
from graphkit.ops.csr import as_csr  # noqa: E402
from graphkit.ops.neighbor_sampling import sample_subgraph  # noqa: E402


def graph(nodes: int, degree: int, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    m = nodes * degree
    target = torch.randint(0, nodes, (m,), generator=gen)
    # source popularity ~ 1 / rank^0.8: a few hubs receive many edges
    weights = torch.arange(1, nodes + 1, dtype=torch.float64).pow(-0.8)
    source = torch.multinomial(weights, m, replacement=True, generator=gen)
    return as_csr(torch.stack([target, source]), nodes)  # row v: the sources of v's in-edges


def run(args) -> dict:
    device = torch.device(args.device)
    adj = graph(args.nodes, args.degree)
    adj_dev = adj.to(device)
    gen = torch.Generator().manual_seed(1)
    batches = [torch.randperm(args.nodes, generator=gen)[: args.batch] for _ in range(args.reps + 1)]
    sample_gen = torch.Generator(device=device).manual_seed(2)

    def pure(seeds):
        return sample_subgraph(adj_dev, seeds.to(device), args.fan_out, generator=sample_gen)

    def ext(seeds):
        return torch.ops.torch_sparse.neighbor_sample(adj.rowptr, adj.col, seeds, args.fan_out, False, True)

    has_ext = _compat.WITH_TORCH_SPARSE
    times = {"torch": [], "torch_sparse": []}
    sizes = {"torch": [], "torch_sparse": []}
    pure(batches[0])
    if has_ext:
        ext(batches[0])
    for seeds in batches[1:]:
        if has_ext:
            start = time.perf_counter()
            out = ext(seeds)
            times["torch_sparse"].append(time.perf_counter() - start)
            sizes["torch_sparse"].append((out[0].numel(), out[1].numel()))
        sync(device)
        start = time.perf_counter()
        sub = pure(seeds)
        sync(device)
        times["torch"].append(time.perf_counter() - start)
        sizes["torch"].append((sub.node.numel(), sub.edge_index.size(1)))
    result = {"nodes": args.nodes, "stored_edges": adj.nnz, "batch": args.batch, "fan_out": args.fan_out,
              "reps": args.reps, "device": str(device), "threads": threads()}
    for name, ts in times.items():
        if ts:
            result[f"{name}_median_s"] = statistics.median(ts)
            result[f"{name}_sampled_nodes_edges"] = [statistics.mean(s[0] for s in sizes[name]),
                                                     statistics.mean(s[1] for s in sizes[name])]
    if has_ext:
        result["ratio_torch_over_torch_sparse"] = result["torch_median_s"] / result["torch_sparse_median_s"]
    return result


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--nodes", type=int, default=100_000)
    p.add_argument("--degree", type=int, default=20)
    p.add_argument("--batch", type=int, default=1024)
    p.add_argument("--fan-out", type=int, nargs="+", default=[10, 10])
    p.add_argument("--reps", type=int, default=7)
    p.add_argument("--device", default="cpu")
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    result = run(args)
    print(json.dumps(result, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
