#!/usr/bin/env python
"""The vision side's acceptance figures: SPP lengths, extraction throughput, kNN graph memory.

    python benchmarks/vision.py spp                       # SPP output length at 13x13 ... 224x224
    python benchmarks/vision.py throughput [--reps 15]    # graphkit MobileNetV2 + SPP vs torchvision, same batch
    python benchmarks/vision.py knn [--n 100000 --dim 256 --k 10]   # kNN graph: time and peak memory
    python benchmarks/vision.py tap [--seeds 5] [--sizes 32 64]   # digits: which tap / input size, on validation
    python benchmarks/vision.py all --out benchmarks/results/vision_bench.json

* **throughput** — images per second of MobileNetV2 + spatial pyramid pooling
  {1, 2, 3, 6} through graphkit (:func:`graphkit.vision.mobilenet_v2_features` →
  :class:`~graphkit.vision.ImageEmbedder`) against torchvision called directly on
  the same batch with the same weights (``model.features[:k]`` and the pooling
  written out with ``F.adaptive_max_pool2d``); the outputs are checked equal first.
  Two settings: the digits pipeline (``c3`` tap, 32 × 32, batch 256) and ImageNet
  size (``c5``, the whole feature stack, 224 × 224, batch 8). The two sides
  alternate (their order flips every repetition) after a warm-up; each side's
  time is the median of ``--reps``; the figure is graphkit's images/s over
  torchvision's.
* **knn** — :func:`graphkit.ops.nearest_neighbors.knn_graph` (cosine, the pure-torch chunked
  path) of ``n`` random ``dim``-d embeddings: wall and CPU time of one call and the
  peak resident-memory growth during it (Linux VmHWM after a reset), the input excluded.
* **tap** — the choice of the digits pipeline's features (``datasets.digits``): for the
  MobileNetV2 taps ``c2``–``c4`` at 32 × 32 and 64 × 64 input, a GCN (library defaults) on the
  cosine kNN graph of the SPP-pooled embeddings, seeds ``0..seeds-1`` with their 10 / 10 per-class
  splits; the tap with the best mean *validation* accuracy wins. Test labels are never read.
  ``c5`` is left out: SPP turns its 1,280 channels into 64,000 features per image, 40× ``c3``'s,
  too wide for a pipeline meant to run in minutes on a CPU.

The thread count is printed with the figures (``OMP_NUM_THREADS``); other
processes on a shared machine slow both sides of a ratio alike but move
absolute times.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import peak_rss_delta_mb, release_free_memory, threads  # noqa: E402

BINS = (1, 2, 3, 6)


def spp_lengths(channels: int = 32) -> dict[str, int]:
    from graphkit.vision import SpatialPyramidPooling

    spp = SpatialPyramidPooling(BINS)
    return {f"{h}x{w}": int(spp(torch.randn(2, channels, h, w)).size(1)) for h, w in
            ((13, 13), (32, 32), (64, 48), (224, 224))}


def _torchvision_pool(x):
    return torch.cat([F.adaptive_max_pool2d(x, b).flatten(1) for b in BINS], dim=1)


def throughput(reps: int, settings=(("c3", 32, 256), ("c5", 224, 8))) -> list[dict]:
    import torchvision

    from graphkit.vision import MOBILENET_V2_TAPS, ImageEmbedder, mobilenet_v2_features

    rows = []
    for tap, size, batch in settings:
        graphkit = ImageEmbedder(mobilenet_v2_features(taps=(tap,), seed=0), tap).eval()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            model = torchvision.models.mobilenet_v2(weights=None).eval()
        stop = int(MOBILENET_V2_TAPS[tap][0].split(".")[1]) + 1
        features = model.features[:stop]
        x = torch.randn(batch, 3, size, size, generator=torch.Generator().manual_seed(1))
        sides = {"graphkit": lambda g=graphkit, x=x: g(x),
                 "torchvision": lambda f=features, x=x: _torchvision_pool(f(x))}
        with torch.no_grad():
            assert torch.equal(sides["graphkit"](), sides["torchvision"]()), "the two sides differ"
            for fn in sides.values():  # warm-up
                fn()
            times = {name: [] for name in sides}
            for r in range(reps):
                order = list(sides) if r % 2 == 0 else list(sides)[::-1]
                for name in order:
                    start = time.perf_counter()
                    sides[name]()
                    times[name].append(time.perf_counter() - start)
        med = {name: sorted(t)[len(t) // 2] for name, t in times.items()}
        row = {"tap": tap, "size": size, "batch": batch, "reps": reps,
               "graphkit_images_per_s": batch / med["graphkit"], "torchvision_images_per_s": batch / med["torchvision"],
               "ratio": med["torchvision"] / med["graphkit"], "times_s": times}
        rows.append(row)
        print(f"MobileNetV2 {tap} + SPP, {size}x{size}, batch {batch}: graphkit {row['graphkit_images_per_s']:.1f} "
              f"img/s, torchvision {row['torchvision_images_per_s']:.1f} img/s, ratio {row['ratio']:.3f} "
              f"(median of {reps})", flush=True)
    return rows


def knn_memory(n: int, dim: int, k: int) -> dict:
    from graphkit.ops import nearest_neighbors as knn_module

    knn_module.WITH_TORCH_CLUSTER = False  # the pure-torch chunked path
    x = torch.randn(n, dim, generator=torch.Generator().manual_seed(0))
    release_free_memory()
    result = {}

    def call():
        start, cpu = time.perf_counter(), time.process_time()
        edge_index = knn_module.knn_graph(x, k, metric="cosine")
        result["time_s"] = time.perf_counter() - start
        result["cpu_s"] = time.process_time() - cpu
        result["edges"] = int(edge_index.size(1))
        return edge_index

    peak, how = peak_rss_delta_mb(call)
    row = {"n": n, "dim": dim, "k": k, "metric": "cosine", "input_mb": x.numel() * 4 / 2 ** 20,
           "peak_rss_delta_mb": peak, "measured_by": how, **result}
    print(f"knn_graph {n} x {dim}, k={k}: {row['time_s']:.1f} s wall, {row['cpu_s']:.1f} s CPU, peak RSS growth "
          f"{peak:.0f} MiB ({how}; the {row['input_mb']:.0f} MiB input excluded), {row['edges']} edges", flush=True)
    return row


def tap_selection(seeds: int, taps=("c2", "c3", "c4"), sizes=(32, 64)) -> list[dict]:
    from graphkit import GCN, GCNConfig, fit_node_classifier
    from graphkit.datasets.digits import digits_features, digits_images, standardized
    from graphkit.datasets.node_splits import per_class_split
    from graphkit.vision import image_graph

    images, y = digits_images()
    config = GCNConfig.for_dataset("digits-knn").replace(train_per_class=None, val_per_class=None)
    rows = []
    for size in sizes:
        for tap in taps:
            features = digits_features(images, tap=tap, image_size=size)
            data = image_graph(features, 10, y=y, x=standardized(features), hypergraph=False)
            valid = []
            for seed in range(seeds):
                data.train_mask, data.val_mask, data.test_mask = per_class_split(y, 10, val_per_class=10, seed=seed)
                model = GCN.from_config(config, data)
                valid.append(fit_node_classifier(model, data, config, seed=seed, device="cpu",
                                                 progress=False).metrics["valid_accuracy"])
            rows.append({"tap": tap, "image_size": size, "features": features.size(1),
                         "valid_accuracy": sum(valid) / len(valid), "per_seed": valid})
            print(f"{tap} @ {size}px ({features.size(1)} features): mean validation accuracy "
                  f"{100 * rows[-1]['valid_accuracy']:.2f}", flush=True)
    best = max(rows, key=lambda r: r["valid_accuracy"])
    print(f"chosen on validation: {best['tap']} @ {best['image_size']}px")
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["spp", "throughput", "knn", "tap", "all"])
    parser.add_argument("--seeds", type=int, default=5, help="tap: seeds (splits) per tap")
    parser.add_argument("--sizes", type=int, nargs="+", default=[32, 64], help="tap: input sizes")
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=256)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--out", default=None, help="write the figures as JSON")
    args = parser.parse_args(argv)
    report = {"threads": threads(), "torch": torch.__version__}
    print(f"threads: {report['threads']}")
    if args.what in ("spp", "all"):
        report["spp_lengths_c32"] = spp_lengths()
        print("SPP {1,2,3,6} output length, C = 32:", report["spp_lengths_c32"])
    if args.what in ("throughput", "all"):
        report["throughput"] = throughput(args.reps)
    if args.what in ("knn", "all"):
        report["knn"] = knn_memory(args.n, args.dim, args.k)
    if args.what == "tap":
        report["tap_selection"] = tap_selection(args.seeds, sizes=tuple(args.sizes))
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=1))
    return report


if __name__ == "__main__":
    main()
