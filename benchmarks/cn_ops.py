"""Benchmark of graphkit's common-neighbour kernel (the NCN / NCNC hot path).

    python benchmarks/cn_ops.py [--nodes 100000] [--edges 2000000] [--pairs 65536] [--reps 5]
                                [--dense-subset 1024] [--feats 64] [--seed 0] [--out result.json]

Graph: ``--edges`` distinct undirected edges ``{u, v}``, ``u != v``, drawn
uniformly at random (seeded), each stored in both directions, so the CSR holds
exactly ``2 * edges`` entries with no duplicates and no self-loops (a simple
graph, as PyG data sets are; multigraphs take the same path plus one merge of
duplicate entries). Queries: ``--pairs``
pairs, half of them random stored edges (positives), half uniform random pairs
(negatives), as in a link-prediction batch. Features: ``x ~ N(0, 1)`` of width
``--feats``.

Timed workload, per method: the three NCNC sets (common neighbours and both
differences) and their aggregation over ``x`` (``sets @ x``), median of
``--reps`` after one warm-up.

Methods (each in its own subprocess, one after the other, in this one script):

* ``graphkit``: ``common_neighbors(..., return_differences=True)`` on pure torch
  plus ``aggregate`` for each set;
* ``torch_sparse``: the same call with the torch-sparse row gather (only when
  torch-sparse is installed);
* ``dense``: the dense-mask reference on the first ``--dense-subset`` pairs:
  materialise the dense bool rows ``A[i], A[j]`` (``[subset, N]``, through
  torch's sparse COO ``index_select``), form ``A[i] & A[j]``, ``A[i] & ~A[j]``,
  ``~A[i] & A[j]`` and multiply each by ``x``. Its time is divided by the subset
  size and compared per pair.

Timing and memory go through ``benchmarks/harness.py`` (``timed``,
``peak_rss_delta_mb``), the one harness of the benchmark scripts.

Peak memory: after loading the data and the timed calls the child process
returns freed heap memory to the OS (``malloc_trim``, glibc), resets its
resident-set high-water mark (``/proc/self/clear_refs``, Linux) and reports
``VmHWM - VmRSS`` over one more call, i.e. the extra resident memory of one
call (temporaries plus outputs). Where that file is not writable it falls
back to the ``ru_maxrss`` delta, which can under-report.

``graphkit_sets_only`` times the three sets without the aggregation. The dense
subset's and torch-sparse's results are checked against graphkit's before
timings are reported. Intersection micro-benchmark: searchsorted (used) vs a merged sort of
the two key arrays.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import torch

try:
    import graphkit  # noqa: F401
except ImportError:  # running from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import peak_rss_delta_mb, threads, timed  # noqa: E402

from graphkit import _compat  # noqa: E402
from graphkit.ops.common_neighbors import (  # noqa: E402
    _canonical,
    _gather_torch,
    _intersect,
    aggregate,
    common_neighbors,
)
from graphkit.ops.csr import CSR, as_csr  # noqa: E402


def make_data(args) -> dict:
    gen = torch.Generator().manual_seed(args.seed)
    key = torch.empty(0, dtype=torch.long)  # u * nodes + v of distinct pairs u < v
    draw = args.edges
    while key.numel() < args.edges:
        pair = torch.randint(0, args.nodes, (2, int(draw * 1.05) + 16), generator=gen)
        pair = pair[:, pair[0] != pair[1]]
        key = torch.unique(torch.cat([key, pair.min(0).values * args.nodes + pair.max(0).values]))
        draw *= 2
    key = key[torch.randperm(key.numel(), generator=gen)[: args.edges]]
    und = torch.stack([key // args.nodes, key % args.nodes])
    edge_index = torch.cat([und, und.flip(0)], dim=1)
    csr = as_csr(edge_index, args.nodes)
    half = args.pairs // 2
    pos = und[:, torch.randint(0, args.edges, (half,), generator=gen)]
    neg = torch.randint(0, args.nodes, (2, args.pairs - half), generator=gen)
    pairs = torch.cat([pos, neg], dim=1)
    x = torch.randn(args.nodes, args.feats, generator=gen)
    return {"rowptr": csr.rowptr, "col": csr.col, "nodes": args.nodes, "pairs": pairs, "x": x}


def sparse_workload(csr: CSR, pairs: torch.Tensor, x: torch.Tensor, *, torch_sparse: bool = False):
    _compat.WITH_TORCH_SPARSE = torch_sparse
    sets = common_neighbors(csr, pairs, return_differences=True)
    return sets, [aggregate(s, x) for s in sets]


def dense_workload(csr: CSR, pairs: torch.Tensor, x: torch.Tensor):
    n = csr.num_rows
    coo = torch.sparse_coo_tensor(
        csr.to_edge_index(),
        torch.ones(csr.nnz, dtype=torch.bool),
        (n, n),
        is_coalesced=True,
        check_invariants=False,
    )
    ai = coo.index_select(0, pairs[0]).to_dense()
    aj = coo.index_select(0, pairs[1]).to_dense()
    masks = (ai & aj, ai & ~aj, ~ai & aj)
    return [m.to(x.dtype) @ x for m in masks]


def workload(method: str, data: dict):
    """``(fn, number of pairs it handles)`` for one method."""
    n = data["nodes"]
    csr = CSR(data["rowptr"], data["col"], None, n, n)
    pairs, x = data["pairs"], data["x"]
    if method == "dense":
        subset = pairs[:, : data["dense_subset"]]
        return (lambda: dense_workload(csr, subset, x)), subset.size(1)
    if method == "graphkit_sets_only":

        def sets_only():
            _compat.WITH_TORCH_SPARSE = False
            return common_neighbors(csr, pairs, return_differences=True)

        return sets_only, pairs.size(1)
    use_ext = method == "torch_sparse"
    return (lambda: sparse_workload(csr, pairs, x, torch_sparse=use_ext)), pairs.size(1)


def child(method: str, data_path: str) -> dict:
    """Peak extra memory of one call, in a fresh process."""
    fn, pairs_timed = workload(method, torch.load(data_path))
    fn()  # warm-up: one-time allocations (thread pools, kernels) are not counted
    peak, how = peak_rss_delta_mb(fn)
    return {"peak_mib": peak, "peak_method": how, "peak_per_pair_kib": peak * 1024 / pairs_timed}


def intersection_micro(data: dict, reps: int) -> dict:
    n = data["nodes"]
    csr = CSR(data["rowptr"], data["col"], None, n, n)
    key_i = _canonical(*_gather_torch(csr, data["pairs"][0]), n).key
    key_j = _canonical(*_gather_torch(csr, data["pairs"][1]), n).key

    def merged_sort():
        keys, _ = torch.sort(torch.cat([key_i, key_j]))
        return keys[1:] == keys[:-1]

    search, _, _ = timed(lambda: _intersect(key_i, key_j), reps)
    merged, _, _ = timed(merged_sort, reps)
    return {"searchsorted_s": search, "merged_sort_s": merged}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--edges", type=int, default=2_000_000, help="undirected pairs, stored both ways")
    parser.add_argument("--pairs", type=int, default=65_536)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--dense-subset", type=int, default=1024)
    parser.add_argument("--feats", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=str, default=None, help="write the results as JSON here")
    parser.add_argument("--child", type=str, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=str, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        print(json.dumps(child(args.child, args.data)))
        return 0

    data = make_data(args)
    data["dense_subset"] = min(args.dense_subset, args.pairs)
    methods = ["graphkit"] + (["torch_sparse"] if _compat.torch_sparse is not None else [])
    methods += ["dense", "graphkit_sets_only"]
    results: dict = {}
    fns = {}
    for method in methods:
        fns[method], pairs_timed = workload(method, data)
        results[method] = {"pairs_timed": pairs_timed, "times_s": []}

    # correctness first: the dense reference and torch-sparse agree with graphkit
    subset = data["pairs"][:, : data["dense_subset"]]
    n = data["nodes"]
    csr = CSR(data["rowptr"], data["col"], None, n, n)
    _, got = sparse_workload(csr, subset, data["x"])
    for a, b in zip(got, dense_workload(csr, subset, data["x"]), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)
    sets, _ = fns["graphkit"]()
    if "torch_sparse" in fns:
        other, _ = fns["torch_sparse"]()
        assert all(
            torch.equal(a.col, b.col) and torch.equal(a.rowptr, b.rowptr)
            for a, b in zip(sets, other, strict=True)
        )
    nnz = {"common": sets.common.nnz, "only_i": sets.only_i.nnz, "only_j": sets.only_j.nnz}
    deg = csr.degree()
    gathered = int(deg[data["pairs"][0]].sum() + deg[data["pairs"][1]].sum())
    del sets, got

    # timings interleaved (one rep of every method per round) so that load changes hit all alike
    for fn in fns.values():
        fn()  # warm-up
    for _ in range(args.reps):
        for method in methods:
            _, times, _ = timed(fns[method], 1, warmup=0)
            results[method]["times_s"] += times
    for r in results.values():
        r["median_s"] = statistics.median(r["times_s"])
        r["per_pair_us"] = r["median_s"] / r["pairs_timed"] * 1e6
    inter = intersection_micro(data, args.reps)
    del fns

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "data.pt")
        torch.save(data, path)
        for method in methods:
            cmd = [sys.executable, __file__, "--child", method, "--data", path]
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                sys.stderr.write(proc.stderr)
                raise SystemExit(f"benchmark child '{method}' failed")
            results[method].update(json.loads(proc.stdout.strip().splitlines()[-1]))

    base = results["graphkit"]
    print(
        f"graph: {args.nodes} nodes, {args.edges} undirected pairs -> {int(data['rowptr'][-1])} stored entries; "
        f"{args.pairs} query pairs (S = {gathered} gathered entries), x: [{args.nodes}, {args.feats}]; "
        f"{torch.get_num_threads()} threads, {args.reps} interleaved reps after a warm-up"
    )
    print(f"sets nnz: {nnz}")
    print(
        f"{'method':<20}{'pairs':>8}{'median s':>11}{'us/pair':>10}{'peak MiB':>10}{'KiB/pair':>10}{'ratio/pair':>12}"
    )
    for name, r in results.items():
        r["ratio_per_pair"] = r["per_pair_us"] / base["per_pair_us"]
        print(
            f"{name:<20}{r['pairs_timed']:>8}{r['median_s']:>11.3f}{r['per_pair_us']:>10.2f}"
            f"{r['peak_mib']:>10.1f}{r['peak_per_pair_kib']:>10.2f}{r['ratio_per_pair']:>11.2f}x"
        )
    print(
        f"intersection only: searchsorted {inter['searchsorted_s']:.3f} s, merged sort "
        f"{inter['merged_sort_s']:.3f} s ({inter['merged_sort_s'] / inter['searchsorted_s']:.2f}x)"
    )
    print(
        f"peak = {base['peak_method']} of one call in a fresh subprocess; dense reference and "
        f"torch-sparse results checked equal to graphkit"
    )
    if args.out:
        payload = {
            "args": {k: v for k, v in vars(args).items() if k not in ("child", "data", "out")},
            "graph": {"stored_entries": int(data["rowptr"][-1]), "gathered_S": gathered, "sets_nnz": nnz},
            "results": results,
            "intersection": inter,
            "versions": {"torch": torch.__version__, "python": platform.python_version()},
            "threads": threads(),
            "machine": platform.machine(),
        }
        Path(args.out).write_text(json.dumps(payload, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
