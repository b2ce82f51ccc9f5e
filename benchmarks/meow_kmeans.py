"""MEOW's per-epoch k-means on ACM: the two clusterings (k = 100 and 300) of the projected fine embeddings.

    python benchmarks/meow_kmeans.py [--threads 2] [--reps 5] [--faiss]

Times, side by side in one process (interleaved repetitions, median after a warm-up):

* ``cold``: 5 restarts from ``k`` random points and 20 Lloyd iterations per clustering (the official
  faiss setting ``nredo=5``, ``niter=20``), what MEOW runs by default;
* ``cold_kmeans++``: the same with k-means++ seeding (``kmeans_seeding='k-means++'``);
* ``warm``: 20 Lloyd iterations from the previous epoch's centroids (``kmeans_warm_start=True``), on
  the embedding after one more training epoch;
* ``faiss`` (with ``--faiss``, when installed): faiss's CPU k-means with the same settings.

The embeddings are MEOW's on ACM after ``--epochs`` training epochs (seed 0). Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import threads, timed  # noqa: E402

from graphkit import MEOW, MEOWConfig, datasets  # noqa: E402
from graphkit.models.meow import meta_path_views  # noqa: E402
from graphkit.ops.kmeans import faiss_available, kmeans  # noqa: E402


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=5, help="training epochs before the embeddings are taken")
    parser.add_argument("--dataset", default="acm")
    parser.add_argument("--faiss", action="store_true")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    data = datasets.load(args.dataset)
    config = MEOWConfig.paper(args.dataset) if args.dataset in MEOWConfig.presets else MEOWConfig()
    torch.manual_seed(0)
    model = MEOW.from_config(config, data)
    views = meta_path_views(data, config, seed=0)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    snapshots = []
    for _ in range(args.epochs + 1):  # a few contrastive steps (InfoNCE only) so the embedding has structure
        from graphkit.ops.contrastive import weighted_info_nce

        zc, zf, _ = model.views_forward(views)
        snapshots.append(zf.detach())
        opt.zero_grad()
        weighted_info_nce(zc, zf, config.tau, chunk_size=1024).backward()
        opt.step()
    before, after = snapshots[-2], snapshots[-1]
    ks = config.num_clusters
    previous = [kmeans(before, k, n_init=config.kmeans_restarts, max_iter=config.kmeans_iters, seed=m).centroids
                for m, k in enumerate(ks)]

    def cold(seeding="random"):
        return [kmeans(after, k, n_init=config.kmeans_restarts, max_iter=config.kmeans_iters, seed=m,
                       seeding=seeding) for m, k in enumerate(ks)]

    def warm():
        return [kmeans(after, k, max_iter=config.kmeans_iters, init=c) for k, c in zip(ks, previous, strict=True)]

    def faiss():
        return [kmeans(after, k, n_init=config.kmeans_restarts, max_iter=config.kmeans_iters, seed=m,
                       backend="faiss") for m, k in enumerate(ks)]

    variants = {"cold": cold, "cold_kmeans++": lambda: cold("k-means++"), "warm": warm}
    if args.faiss and faiss_available():
        variants["faiss"] = faiss
    times = {name: [] for name in variants}
    outputs = {}
    for _ in range(args.reps + 1):  # interleaved rounds; the first is a warm-up, dropped below
        for name, fn in variants.items():
            _, reps, out = timed(fn, 1, warmup=0)
            times[name] += reps
            outputs[name] = out
    record = {"dataset": args.dataset, "num_nodes": after.size(0), "clusters": list(ks), **threads(),
              "median_s": {n: sorted(t[1:] or t)[len(t[1:] or t) // 2] for n, t in times.items()},
              "inertia": {n: [round(r.inertia, 2) for r in out] for n, out in outputs.items()},
              "iterations": {n: [r.iterations for r in out] for n, out in outputs.items()}}
    print(json.dumps(record))
    return record


if __name__ == "__main__":
    main()
