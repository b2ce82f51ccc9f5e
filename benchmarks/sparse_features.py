#!/usr/bin/env python
"""DAGNN on bag-of-words features loaded dense vs kept sparse: epoch time, peak memory, accuracy.

    python benchmarks/sparse_features.py [--dataset coauthor-cs] [--epochs 20] [--reps 3] [--json FILE]
    python benchmarks/sparse_features.py --dataset coauthor-physics --standin DIR   # kept-back data: a stand-in
    python benchmarks/sparse_features.py --epoch-timing [--models gcn mlp] [--reps 15]   # one epoch, side by side

Each (layout, repetition) is a fresh process (the peak RSS is that run's alone, from
loading to the end of the fit) running ``fit_dagnn`` with the data set's preset for
``--epochs`` epochs, seed = repetition: ``datasets.load(name, sparse_features=False)``
(dense ``x``) against ``datasets.load(name, sparse_features=True)`` (``torch.sparse_csr``
``x``, the default for the Coauthor graphs). The layouts alternate; the figures are medians over ``--reps``. Both
layouts train on the same numbers (``fit_dagnn`` turns dense bag-of-words input
sparse itself, ``sparse_input``), so the test accuracies must agree; what the
sparse load saves is the dense matrix and the copies made from it (row
normalisation, the conversion). ``--dense-math`` adds a third arm, dense ``x``
with ``sparse_input=False``: dropout and the first product over every zero. ``OMP_NUM_THREADS`` is
printed; run with 1 for comparable figures.

``--standin DIR`` writes a stand-in for a data set whose file is not at hand
(Coauthor Physics is kept back from this project's data) into ``DIR/GraphData``:
the published counts (nodes, directed edges, features, classes) with random
binary features of ``--density`` (Physics' bag of words is about 0.3 % non-zero),
random edges and labels, in the GraphData ``.npz`` layout, and loads from ``DIR``.
Its accuracy means nothing; its sizes are the real ones.

``--epoch-timing`` times one training epoch of the baselines (``--models``, default GCN and MLP, the
data set's preset, in one process): forward over the whole graph, cross-entropy on the training nodes,
backward, Adam step, on ``x`` dense and on the same ``x`` as ``torch.sparse_csr``. The two layouts
alternate epoch by epoch (the first epoch of each order is untimed warm-up), and the figure is the median
of ``--reps`` epochs per layout; the two models see the same weights on both layouts (one copy
each, restored before every epoch, so each epoch is the same computation).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_JOB = r"""
import json, resource, sys
from graphkit import DAGNN, DAGNNConfig, datasets, fit_dagnn
name, layout, epochs, seed, root = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
root = root or None
data = datasets.load(name, root=root, sparse_features=layout == "sparse")
config = DAGNNConfig.for_dataset(name).replace(epochs=epochs, sparse_input=layout != "dense-math")
result = fit_dagnn(DAGNN.from_config(config, data), data, config, seed=seed, progress=False)
print(json.dumps({"epoch_s": result.time["epoch_s"], "test_accuracy": result.metrics["test_accuracy"],
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "threads": result.threads}))
"""


def write_standin(root: Path, name: str, density: float, seed: int = 0) -> None:
    """The published counts of ``name`` with random features, edges and labels, in the GraphData layout."""
    import numpy as np
    import scipy.sparse as sp

    from graphkit.datasets.npz_graphs import FILES, PUBLISHED

    counts, rng = PUBLISHED[name], np.random.default_rng(seed)
    n, pairs = counts.num_nodes, counts.num_edges // 2
    keys = np.empty(0, dtype=np.int64)
    while keys.size < pairs:  # unique undirected pairs i < j, no self-loops
        i, j = rng.integers(0, n, 2 * pairs), rng.integers(0, n, 2 * pairs)
        lo, hi = np.minimum(i, j), np.maximum(i, j)
        keys = np.unique(np.concatenate([keys, (lo * n + hi)[lo != hi]]))
    keys = rng.permutation(keys)[:pairs]
    adj = sp.csr_matrix((np.ones(pairs, dtype=np.float32), (keys // n, keys % n)), shape=(n, n))
    nnz = int(density * n * counts.num_features)
    attr = sp.csr_matrix((np.ones(nnz, dtype=np.float32), (rng.integers(0, n, nnz),
                          rng.integers(0, counts.num_features, nnz))), shape=(n, counts.num_features))
    attr.sum_duplicates()
    attr.data[:] = 1.0
    labels = rng.integers(0, counts.num_classes, n)
    labels[: counts.num_classes] = np.arange(counts.num_classes)  # every class present
    path = root / "GraphData" / FILES[name]
    path.parent.mkdir(parents=True, exist_ok=True)
    boxed = {key: np.empty((), dtype=object) for key in ("adj_matrix", "node_attr")}
    boxed["adj_matrix"][()], boxed["node_attr"][()] = adj, attr
    np.savez(path, **boxed, node_label=labels)


def run(name: str, layout: str, epochs: int, seed: int, root: str = "") -> dict:
    out = subprocess.run([sys.executable, "-c", _JOB, name, layout, str(epochs), str(seed), root],
                         check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _train_epoch(model, optimizer, state, opt_state, x, edge_index, y, train) -> tuple[float, float]:
    """Seconds and loss of one full-batch epoch from the saved ``state`` / ``opt_state`` (restored first, untimed)."""
    import time

    import torch.nn.functional as F

    model.load_state_dict(state)
    optimizer.load_state_dict(opt_state)
    model.train()
    start = time.perf_counter()
    optimizer.zero_grad()
    loss = F.cross_entropy(model(x, edge_index)[train], y[train])
    loss.backward()
    optimizer.step()
    return time.perf_counter() - start, loss.item()


def epoch_timing(name: str, models: list[str], reps: int, root: str = "") -> dict:
    """Median seconds of one training epoch per (model, layout), layouts interleaved (see the module doc)."""
    import copy

    import torch

    from graphkit import datasets
    from graphkit.models.registry import get_method
    from graphkit.ops.rows import to_sparse_rows

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from harness import threads

    data = datasets.load(name, root=root or None, sparse_features=False)
    layouts = {"dense": data.x, "sparse": to_sparse_rows(data.x)}
    train = data.train_mask
    out = {"dataset": name, "reps": reps, "threads": threads(), "models": {}}
    for key in models:
        spec = get_method(key)
        config = spec.config.for_dataset(name)
        torch.manual_seed(0)
        model = spec.model.from_config(config, data)
        state = copy.deepcopy(model.state_dict())
        optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        opt_state = copy.deepcopy(optimizer.state_dict())
        edge_index = data.edge_index
        times = {layout: [] for layout in layouts}
        losses = {layout: [] for layout in layouts}

        for rep in range(reps + 1):
            order = list(layouts) if rep % 2 == 0 else list(layouts)[::-1]
            for layout in order:
                torch.manual_seed(rep)  # the same dropout draws for both layouts in this repetition
                seconds, loss = _train_epoch(model, optimizer, state, opt_state, layouts[layout], edge_index,
                                             data.y, train)
                if rep > 0:  # rep 0: warm-up
                    times[layout].append(seconds)
                    losses[layout].append(loss)
        med = {layout: statistics.median(t) for layout, t in times.items()}
        out["models"][key] = {"times": times, "median_s": med, "ratio": med["sparse"] / med["dense"],
                              "max_loss_diff": max(abs(a - b) for a, b in
                                                   zip(losses["dense"], losses["sparse"], strict=True))}
        print(f"{name} {key}: one epoch dense {med['dense'] * 1e3:.1f} ms, sparse {med['sparse'] * 1e3:.1f} ms "
              f"({out['models'][key]['ratio']:.3f}x), median of {reps}; the losses agree within "
              f"{out['models'][key]['max_loss_diff']:.1e}", flush=True)
    return out


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="coauthor-cs")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--json", type=Path, default=None)
    p.add_argument("--standin", type=Path, default=None, metavar="DIR", help="write and use a stand-in in DIR")
    p.add_argument("--density", type=float, default=0.003, help="the stand-in's share of non-zero features")
    p.add_argument("--dense-math", action="store_true",
                   help="add dense x with sparse_input=False: dropout and the first product over every zero")
    p.add_argument("--epoch-timing", action="store_true",
                   help="time one training epoch of --models on dense vs CSR x instead (one process, interleaved)")
    p.add_argument("--models", nargs="+", default=["gcn", "mlp"], help="baselines for --epoch-timing")
    args = p.parse_args(argv)
    root = ""
    if args.standin is not None:
        write_standin(args.standin, args.dataset, args.density)
        root = str(args.standin)
    if args.epoch_timing:
        report = epoch_timing(args.dataset, args.models, args.reps, root)
        if args.json:
            args.json.write_text(json.dumps(report, indent=1))
        return report
    layouts = ["dense", "sparse"] + (["dense-math"] if args.dense_math else [])
    rows = {layout: [] for layout in layouts}
    for rep in range(args.reps):
        for layout in (layouts if rep % 2 == 0 else layouts[::-1]):
            rows[layout].append(run(args.dataset, layout, args.epochs, rep, root))
            print(f"rep {rep + 1}/{args.reps} {layout:10s}: {rows[layout][-1]}", flush=True)
    med = {k: {m: statistics.median(r[m] for r in v) for m in ("epoch_s", "peak_rss_mb")} for k, v in rows.items()}
    report = {"dataset": args.dataset, "standin": root or None, "epochs": args.epochs, "reps": args.reps,
              "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"), "runs": rows, "median": med,
              "epoch_ratio": med["sparse"]["epoch_s"] / med["dense"]["epoch_s"],
              "memory_ratio": med["sparse"]["peak_rss_mb"] / med["dense"]["peak_rss_mb"],
              "same_accuracy": all(a["test_accuracy"] == b["test_accuracy"]
                                   for a, b in zip(rows["dense"], rows["sparse"], strict=True))}
    print(f"{args.dataset}, DAGNN, {args.epochs} epochs, median of {args.reps} (OMP_NUM_THREADS="
          f"{report['OMP_NUM_THREADS']}; the layouts' test accuracies agree per seed: {report['same_accuracy']})")
    for layout in layouts:
        print(f"  {layout:10s} epoch {med[layout]['epoch_s']:.3f} s ({med[layout]['epoch_s'] / med['dense']['epoch_s']:.2f}x)"
              f", peak RSS {med[layout]['peak_rss_mb']:.0f} MB "
              f"({med[layout]['peak_rss_mb'] / med['dense']['peak_rss_mb']:.2f}x)")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return report


if __name__ == "__main__":
    main()
