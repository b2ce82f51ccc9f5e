#!/usr/bin/env python
"""FastRP at scale: graphkit vs a plain scipy float32 implementation of the same algorithm.

    python benchmarks/fastrp_scale.py [--nodes 1000000] [--edges 10000000] [--dim 128] [--repeats 3]
        [--ablation] [--keep DIR]

A seeded ``powerlaw_graph`` (Chung-Lu, random node ids) is written once as a
float32 scipy CSR adjacency; then each implementation runs in its own subprocess
(so each one's peak resident memory is its own), one after the other: a warm-up
run, then ``--repeats`` timed runs, each from the adjacency matrix to the final
standardised ``[n, dim]`` embedding. Reference settings: q = 4, weights
(1, 1, 7.81, 45.28), beta -0.628, s = sqrt(n), L2-normalised powers.

* ``graphkit``: ``graphkit.FastRP(...).fit(A)`` (the kernels: ``graphkit.ops.fastrp``,
  ``graphkit.ops.power_sum``).
* ``scipy``: the reference's algorithm (``fastrp_projection`` + ``fastrp_merge`` of
  github.com/GTmac/FastRP) with dense powers: ``S = D^-1 A`` in float32 CSR, the same
  ``R`` as graphkit (``sparse_random_projection`` with the FastRP seed, densified and
  scaled by ``deg^beta / sqrt(d)``), ``U_1 = S V_0``, ``U_k = S U_{k-1}`` (all ``q``
  powers kept, as the reference does), row-normalised weighted sum, column
  standardisation. Single-threaded (scipy's sparse kernels are).

Timing is ``benchmarks/harness.py``'s ``timed`` (a warm-up, then the repetitions).
Printed: median and all times, the ratio scipy / graphkit, peak RSS of each run
(``VmHWM``, reset before each run; the process also holds the input matrix and the
interpreter) and the largest difference between the two embeddings (same R), which
must be within float32 round-off. ``--ablation`` also times graphkit variants
(torch's MKL products instead of the compiled kernel of ``graphkit.ops.csr_kernel``,
the last power's merge in torch instead of fused into the kernel,
no huge pages, dense first power, degree / RCM order, 1 thread, float64) to show
what each design choice buys. Timings on a shared machine are noisy: the load
average is printed with each measurement.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from harness import threads, timed  # noqa: E402

WEIGHTS = (1.0, 1.0, 7.81, 45.28)
BETA = -0.628
VARIANTS = {
    "graphkit": {},
    "graphkit, torch.addmm products": {"csr_kernel": False},
    "graphkit, unmerged last power": {"merge": False},
    "graphkit, no huge pages": {"numpy_buffers": False},
    "graphkit, dense first power": {"sparse_first": False},
    "graphkit, degree order": {"reorder": "degree"},
    "graphkit, RCM order": {"reorder": "rcm"},
    "graphkit, 1 thread": {"threads": 1},
    "graphkit, float64": {"float64": True},
}


# --------------------------------------------------------------------------------------------- workers


def scipy_fastrp(A, dim: int, seed: int):
    """The reference FastRP with dense float32 powers (see the module docstring)."""
    import scipy.sparse as sp
    import torch

    from graphkit.ops.random_projection import sparse_random_projection

    n = A.shape[0]
    deg = np.asarray(A.sum(axis=1, dtype=np.float64)).ravel()
    pos = deg > 0
    inv = np.where(pos, 1.0 / np.where(pos, deg, 1.0), 0.0).astype(np.float32)
    S = (sp.diags(inv) @ A).tocsr()
    scaling = np.where(pos, np.where(pos, deg, 1.0) ** BETA, 1.0) / math.sqrt(dim)
    R = sparse_random_projection(n, dim, seed=torch.Generator().manual_seed(seed), s=math.sqrt(n))
    crow, col, val = R.crow_indices().numpy(), R.col_indices().numpy(), R.values().numpy()
    V0 = np.zeros((n, dim), dtype=np.float32)
    rows = np.repeat(np.arange(n), np.diff(crow))
    V0[rows, col] = val * scaling[rows].astype(np.float32)
    U = [S @ V0]
    for _ in range(1, len(WEIGHTS)):
        U.append(S @ U[-1])
    E = np.zeros_like(U[0])
    for Uk, wk in zip(U, WEIGHTS, strict=True):
        norm = np.linalg.norm(Uk, axis=1, keepdims=True)
        norm[norm == 0] = 1
        E += Uk / norm * np.float32(wk)
    # column statistics accumulated in float64: numpy sums float32 along axis 0 row by row,
    # which costs ~1e-4 of accuracy over 10^6 rows (scikit-learn's scale, as the reference, is float64)
    mean = E.mean(axis=0, dtype=np.float64)
    std = E.std(axis=0, dtype=np.float64)
    std[std == 0] = 1
    E -= mean.astype(np.float32)
    E /= std.astype(np.float32)
    return E


def worker(args) -> None:
    import scipy.sparse as sp
    import torch

    import graphkit.ops.csr_kernel as csr_kernel
    import graphkit.ops.fastrp as fastrp_ops
    import graphkit.ops.power_sum as power_sum_ops
    from graphkit import FastRP
    from graphkit.train.memory import PeakMemory, current_peak_rss_mb

    opts = json.loads(args.options)
    if "threads" in opts:
        torch.set_num_threads(opts["threads"])
    if opts.get("csr_kernel") is False:
        csr_kernel.set_enabled(False)
    if opts.get("merge") is False:
        power_sum_ops._MERGE = False
    if opts.get("numpy_buffers") is False:
        power_sum_ops._NUMPY_BUFFERS = False
    if opts.get("sparse_first") is False:
        fastrp_ops._SPARSE_FIRST_POWER_DENSITY = 0.0
    A = sp.load_npz(args.graph).tocsr()
    resident = current_peak_rss_mb()
    if args.impl == "scipy":
        def run():
            return scipy_fastrp(A, args.dim, args.seed)
    else:
        def run():  # a fresh estimator each time: the previous embedding is not kept alive
            model = FastRP(args.dim, iteration_weights=WEIGHTS, normalization_strength=BETA, seed=args.seed,
                           reorder=opts.get("reorder"), dtype=torch.float64 if opts.get("float64") else torch.float32)
            return model.fit(A).embedding_
    peaks, loads, last = [], [], {}

    def measured() -> None:
        last.clear()  # free the previous embedding before the next run, so it does not count in the peak
        loads.append(os.getloadavg()[0])
        with PeakMemory() as mem:
            last["emb"] = run()
        peaks.append(mem.peak_mb)

    _, times, _ = timed(measured, args.repeats, warmup=1)
    if args.save:
        np.save(args.save, np.asarray(last["emb"], dtype=np.float32))
    print(json.dumps({"times": times, "peak_mb": peaks[1:], "resident_before_mb": resident, "load": loads[1:],
                      "threads": threads()["torch_threads"]}))


# --------------------------------------------------------------------------------------------- driver


def launch(impl: str, graph: Path, args, options: dict | None = None, save: Path | None = None) -> dict:
    cmd = [sys.executable, __file__, "--worker", impl, "--graph", str(graph), "--dim", str(args.dim),
           "--seed", str(args.seed), "--repeats", str(args.repeats), "--options", json.dumps(options or {})]
    if save is not None:
        cmd += ["--save", str(save)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"{impl} worker failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def max_difference(a_path: Path, b_path: Path, rows: int = 1 << 16) -> tuple[float, float]:
    """Largest absolute and relative-to-scale difference of two saved embeddings, streamed."""
    a, b = np.load(a_path, mmap_mode="r"), np.load(b_path, mmap_mode="r")
    if a.shape != b.shape:
        raise SystemExit(f"embedding shapes differ: {a.shape} vs {b.shape}")
    worst, scale = 0.0, 0.0
    for r0 in range(0, a.shape[0], rows):
        x, y = np.asarray(a[r0:r0 + rows], np.float64), np.asarray(b[r0:r0 + rows], np.float64)
        worst = max(worst, float(np.abs(x - y).max()))
        scale = max(scale, float(np.abs(y).max()))
    return worst, scale


def summary(name: str, res: dict) -> str:
    t = res["times"]
    return (f"{name:<30} median {statistics.median(t):7.2f} s  (runs: {', '.join(f'{x:.2f}' for x in t)})  "
            f"peak RSS {max(res['peak_mb']):7.0f} MB (input + interpreter before: {res['resident_before_mb']:.0f} MB)  "
            f"threads {res['threads']}  load {', '.join(f'{x:.1f}' for x in res['load'])}")


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--nodes", type=int, default=1_000_000)
    p.add_argument("--edges", type=int, default=10_000_000, help="undirected candidate edges (default 10M)")
    p.add_argument("--dim", type=int, default=128)
    p.add_argument("--repeats", type=int, default=3, help="timed runs after a warm-up (default 3)")
    p.add_argument("--seed", type=int, default=0, help="graph and projection seed")
    p.add_argument("--ablation", action="store_true", help="also time graphkit variants")
    p.add_argument("--skip-scipy", action="store_true", help="only graphkit (no ratio, no agreement check)")
    p.add_argument("--keep", default=None, help="directory for the graph and embeddings (default: a temp dir)")
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    p.add_argument("--graph", default=None, help=argparse.SUPPRESS)
    p.add_argument("--options", default="{}", help=argparse.SUPPRESS)
    p.add_argument("--save", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        args.impl = args.worker
        worker(args)
        return {}

    import scipy.sparse as sp

    from graphkit.datasets import powerlaw_graph

    tmp = tempfile.TemporaryDirectory() if args.keep is None else None
    work = Path(args.keep or tmp.name)
    work.mkdir(parents=True, exist_ok=True)
    graph = work / f"powerlaw_{args.nodes}_{args.edges}_{args.seed}.npz"
    if not graph.exists():
        data = powerlaw_graph(args.nodes, args.edges, seed=args.seed)
        ei = data.edge_index.numpy()
        A = sp.csr_matrix((np.ones(ei.shape[1], dtype=np.float32), (ei[0], ei[1])), shape=(args.nodes, args.nodes))
        sp.save_npz(graph, A, compressed=False)
        del data, ei, A
    A = sp.load_npz(graph)
    print(f"graph: powerlaw_graph({args.nodes:,}, {args.edges:,}, seed={args.seed}), {A.nnz:,} stored arcs, "
          f"dim {args.dim}, q {len(WEIGHTS)}, weights {WEIGHTS}, beta {BETA}; {os.cpu_count()} CPUs, "
          f"load {os.getloadavg()[0]:.1f}")
    del A

    results = {}
    gk_emb, sp_emb = work / "graphkit.npy", work / "scipy.npy"
    results["graphkit"] = launch("graphkit", graph, args, save=None if args.skip_scipy else gk_emb)
    print(summary("graphkit", results["graphkit"]), flush=True)
    if not args.skip_scipy:
        results["scipy"] = launch("scipy", graph, args, save=sp_emb)
        print(summary("scipy float32 (dense powers)", results["scipy"]), flush=True)
        ratio = statistics.median(results["scipy"]["times"]) / statistics.median(results["graphkit"]["times"])
        worst, scale = max_difference(gk_emb, sp_emb)
        results["ratio"], results["max_abs_diff"] = ratio, worst
        print(f"\nspeed-up (median scipy / median graphkit): {ratio:.2f}x")
        print(f"embeddings (same R): max |graphkit - scipy| = {worst:.2e} (largest |entry| {scale:.1f})")
        assert worst < 1e-3, f"embeddings differ by {worst:.2e}, more than float32 round-off"
    if args.ablation:
        print("\nablation (graphkit variants, one subprocess each):")
        for name, options in VARIANTS.items():
            if name == "graphkit":
                continue
            results[name] = launch("graphkit", graph, args, options=options)
            print(summary(name, results[name]), flush=True)
    if tmp is not None:
        tmp.cleanup()
    return results


if __name__ == "__main__":
    main()
