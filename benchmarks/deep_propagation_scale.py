#!/usr/bin/env python
"""DGMLP precomputation and DAGNN propagation: speed against a per-node loop, and scale.

    python benchmarks/deep_propagation_scale.py [--num-nodes 1000000] [--num-edges 10000000]
        [--features 100] [--hops 20] [--classes 10] [--epochs 10] [--skip-cora] [--skip-scale]
        [--json FILE]

1. Cora: graphkit's vectorised, hop-streaming DGMLP precomputation against a
   per-node Python loop over the same math (the official code's structure:
   all hops materialised, then one loop over nodes), median of ``--reps``
   after a warm-up, and the two outputs compared.
2. Scale: a Chung-Lu power-law graph (``powerlaw_graph``, ``--num-edges``
   undirected candidate edges, stored in both directions), Gaussian features,
   random labels. Time and peak memory (process peak RSS, reset per section) of
   DGMLP's precomputation and head training, and of DAGNN's K-hop propagation +
   adaptive adjustment (forward + backward) and a full DAGNN training step.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import threads, timed  # noqa: E402

from graphkit import datasets  # noqa: E402
from graphkit.models.dagnn import DAGNN  # noqa: E402
from graphkit.models.dgmlp import DGMLP  # noqa: E402
from graphkit.nn.adaptive_hops import AdaptiveHopAdjustment  # noqa: E402
from graphkit.ops import propagate_hops, sym_norm  # noqa: E402
from graphkit.ops.hop_weighting import node_adaptive_hop_weighting, stationary_state  # noqa: E402
from graphkit.ops.propagate import HopPropagator  # noqa: E402
from graphkit.train.memory import PeakMemory  # noqa: E402


def per_node_loop(edge_index, x, num_hops):
    """The same math with all hops materialised and a Python loop over nodes and hops."""
    n = x.size(0)
    hops = propagate_hops(sym_norm(edge_index, n), x, num_hops)
    x_inf = stationary_state(edge_index, x, num_nodes=n)
    out = torch.empty_like(x)
    for v in range(n):
        xv, iv = x[v], x_inf[v]
        scores = []
        for h in hops:
            hv = h[v]
            a = float(torch.dot(xv, hv)) / max(float(xv.norm() * hv.norm()), 1e-8)
            b = float(torch.dot(iv, hv)) / max(float(iv.norm() * hv.norm()), 1e-8)
            scores.append(a * (1 - b))
        w = torch.softmax(torch.tensor(scores, dtype=x.dtype), 0)
        out[v] = sum(w[k] * hops[k][v] for k in range(len(hops)))
    return out


def cora_speed(reps: int, hops: int) -> dict:
    data = datasets.load("cora")
    vec_s, _, vec = timed(lambda: node_adaptive_hop_weighting(data.edge_index, data.x, hops), reps)
    start = time.perf_counter()
    ref = per_node_loop(data.edge_index, data.x, hops)
    loop_s = time.perf_counter() - start
    diff = float((vec - ref).abs().max())
    res = {"hops": hops, "vectorised_s": vec_s, "per_node_loop_s": loop_s, "speedup": loop_s / vec_s,
           "max_abs_diff": diff}
    print(f"Cora DGMLP precompute K={hops}: vectorised {vec_s * 1e3:.1f} ms (median of {reps}), "
          f"per-node loop {loop_s:.2f} s -> {loop_s / vec_s:.0f}x; max |diff| {diff:.2e}", flush=True)
    return res


def scale(args) -> dict:
    res = {"num_nodes": args.num_nodes, "candidate_edges": args.num_edges, "features": args.features,
           "hops": args.hops}
    start = time.perf_counter()
    graph = datasets.powerlaw_graph(args.num_nodes, args.num_edges, seed=0)
    res["graph_s"] = time.perf_counter() - start
    n, edge_index = graph.num_nodes, graph.edge_index
    res["stored_edges"] = edge_index.size(1)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(n, args.features, generator=gen)
    y = torch.randint(0, args.classes, (n,), generator=gen)
    train = torch.rand(n, generator=gen) < 0.1
    print(f"graph: {n} nodes, {edge_index.size(1)} stored edges ({res['graph_s']:.1f} s)", flush=True)

    with PeakMemory() as mem:
        start = time.perf_counter()
        x_tilde = node_adaptive_hop_weighting(edge_index, x, args.hops, num_nodes=n)
        res["dgmlp_precompute_s"] = time.perf_counter() - start
    res["dgmlp_precompute_peak_mb"] = mem.peak_mb
    print(f"DGMLP precompute K={args.hops}: {res['dgmlp_precompute_s']:.1f} s, peak RSS {mem.peak_mb:.0f} MiB",
          flush=True)
    model = DGMLP(args.features, args.classes, args.hops, dropout=0.2)
    opt = torch.optim.Adam(model.parameters(), lr=0.2, weight_decay=5e-3)
    times = []
    with PeakMemory() as mem:
        for _ in range(args.epochs):
            start = time.perf_counter()
            opt.zero_grad()
            F.cross_entropy(model.head(x_tilde)[train], y[train]).backward()
            opt.step()
            times.append(time.perf_counter() - start)
    res["dgmlp_epoch_s"] = statistics.median(times)
    res["dgmlp_train_peak_mb"] = mem.peak_mb
    print(f"DGMLP head epoch: {res['dgmlp_epoch_s'] * 1e3:.0f} ms, peak RSS {mem.peak_mb:.0f} MiB", flush=True)
    del x_tilde, model, opt

    with PeakMemory() as mem:
        start = time.perf_counter()
        adj = HopPropagator(sym_norm(edge_index, n))
        res["dagnn_norm_s"] = time.perf_counter() - start
        adjust = AdaptiveHopAdjustment(args.classes)
        z = torch.randn(n, args.classes, generator=gen, requires_grad=True)
        start = time.perf_counter()
        out = adjust(adj.hops(z, args.hops))
        res["dagnn_propagation_forward_s"] = time.perf_counter() - start
        start = time.perf_counter()
        out.square().mean().backward()
        res["dagnn_propagation_backward_s"] = time.perf_counter() - start
    res["dagnn_propagation_peak_mb"] = mem.peak_mb
    print(f"DAGNN propagation K={args.hops}, C={args.classes}: norm {res['dagnn_norm_s']:.1f} s, forward "
          f"{res['dagnn_propagation_forward_s']:.1f} s, backward {res['dagnn_propagation_backward_s']:.1f} s, "
          f"peak RSS {mem.peak_mb:.0f} MiB", flush=True)
    model = DAGNN(args.features, 64, args.classes, args.hops, dropout=0.5)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    times = []
    with PeakMemory() as mem:
        for _ in range(max(2, args.epochs // 5)):
            start = time.perf_counter()
            opt.zero_grad()
            F.cross_entropy(model(x, adj=adj)[train], y[train]).backward()
            opt.step()
            times.append(time.perf_counter() - start)
    res["dagnn_train_step_s"] = statistics.median(times)
    res["dagnn_train_peak_mb"] = mem.peak_mb
    print(f"DAGNN training step (F={args.features}, hidden 64): {res['dagnn_train_step_s']:.1f} s, "
          f"peak RSS {mem.peak_mb:.0f} MiB", flush=True)
    return res


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--num-nodes", type=int, default=1_000_000)
    p.add_argument("--num-edges", type=int, default=10_000_000)
    p.add_argument("--features", type=int, default=100)
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--hops", type=int, default=20)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--skip-cora", action="store_true")
    p.add_argument("--skip-scale", action="store_true")
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    out = threads()
    if not args.skip_cora:
        out["cora"] = cora_speed(args.reps, 20)
    if not args.skip_scale:
        out["scale"] = scale(args)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    main()
