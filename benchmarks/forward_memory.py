#!/usr/bin/env python
"""Peak training memory and test accuracy against depth: ForwardGNN-SF (layer-local) vs back-propagation.

    python benchmarks/forward_memory.py                     # Cora-ML, GCN, depths 1-8, 5 splits (about an hour on 1 thread)
    python benchmarks/forward_memory.py --no-accuracy       # the memory curve only (minutes)
    python benchmarks/forward_memory.py --accuracy-from SF.jsonl BP.jsonl   # accuracy from the runner's records
    python benchmarks/forward_memory.py --memory-from OLD.json --accuracy-from ...  # redraw, no measuring
        [--dataset cora-ml] [--backbone gcn] [--depths 1 2 ...] [--runs 5] [--memory-epochs 10]
        [--epochs E] [--device cpu|cuda] [--data-root DIR] [--json FILE] [--png FILE]

Both methods run their Cora-ML presets (``ForwardGNNConfig.paper`` with ``variant='sf'``; the
back-propagation baseline ``GCNConfig`` / ``SAGEConfig`` / ``GATConfig.paper``: hidden 128, dropout 0,
Adam 1e-3, the 5-fold split, run ``i`` on fold ``i``), through their procedures.

**Memory** is measured around one ``fit`` call per depth, with a short budget (``--memory-epochs``
epochs per layer for SF, the same number of epochs for back-propagation: the peak is reached in the
first epoch and repeats), fold 0, after one unmeasured warm-up fit of each method (the first ``fit`` of
a process allocates once what later calls reuse: 59.1 MiB for a 1-layer SF fit on Cora-ML measured
first, 33.3 MiB measured again):

- on CUDA: ``torch.cuda.max_memory_allocated`` during the call minus what was allocated when it
  started (the data moved to the GPU inside the call counts);
- on CPU: the peak of the bytes held by CPU tensors during the call, above the level at its start, from
  the allocator's own allocation and free records (``torch.profiler`` with ``profile_memory=True``).
  This counts tensors only — not the Python heap, not the allocator's cached pages — so it is
  deterministic, unlike the process's peak RSS that ``FitResult.peak_memory_mb`` reports on CPU.

Both totals include the transients of preparing the input (normalised features, input checks on the
``[N, F]`` matrix), which do not depend on depth and, on a bag-of-words graph, dominate. The second
measure isolates what depth changes: the **activations held for backward**, the peak of the bytes of
the tensors autograd saves for the backward pass that are still waiting for it (saved-tensor hooks:
packed minus unpacked), on every device. Back-propagation holds every layer's; layer-local training one
layer's.

**Accuracy** uses the full protocol, ``--runs`` splits: SF trains one stack of ``max(depths)`` layers
per split and reads the test accuracy of every prefix (the greedy schedule trains layer ``k`` before
layer ``k + 1`` exists, so the ``k``-layer prefix is a ``k``-layer SF model, what the official scripts
record); back-propagation trains one model per depth and split. ``--accuracy-from`` reads the same runs
from the runner's JSON lines instead (``graphkit-run --model forwardgnn --dataset cora-ml --set
num_layers=8`` and ``graphkit-run --model gcn --dataset cora-ml --set num_layers=L``: seeds 0..runs-1, the
same configs), so the figure and the results table come from one set of runs.

Results: a JSON file and, with matplotlib, a PNG (``benchmarks/results/forwardgnn_memory.*``).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

from graphkit import datasets
from graphkit.models.baselines import GAT, GCN, SAGE, GATConfig, GCNConfig, SAGEConfig, fit_node_classifier
from graphkit.models.forwardgnn import ForwardGNN, ForwardGNNConfig, fit_forwardgnn
from graphkit.train.device import resolve_device

RESULTS = Path(__file__).resolve().parent / "results"
BP = {"gcn": (GCN, GCNConfig), "sage": (SAGE, SAGEConfig), "gat": (GAT, GATConfig)}


class ActivationPeak:
    """Peak bytes (MiB) of the tensors autograd holds for a pending backward pass (module doc).

    A saved tensor's storage is counted once however many operations save it, from the first pack to
    the last unpack; parameters (leaves that require grad) are not activations and are skipped. The
    procedures measured here back-propagate every graph they build, so every pack is unpacked.
    """

    measure = ("activations held for backward: peak bytes of the distinct storages autograd saved for a "
               "pending backward (saved-tensor hooks), parameters excluded")

    def __init__(self):
        self.live = self.peak = 0
        self.peak_mb = 0.0
        self._refs: dict[int, list[int]] = {}

    @staticmethod
    def _storage(tensor) -> tuple[int, int]:
        if tensor.layout == torch.sparse_csr:
            parts = (tensor.crow_indices(), tensor.col_indices(), tensor.values())
            return tensor.values().data_ptr(), sum(p.numel() * p.element_size() for p in parts)
        if tensor.layout != torch.strided:
            return id(tensor), 0
        storage = tensor.untyped_storage()
        return storage.data_ptr(), storage.nbytes()

    def _pack(self, tensor):
        if tensor.is_leaf and tensor.requires_grad:
            return (None, tensor)
        key, nbytes = self._storage(tensor)
        entry = self._refs.setdefault(key, [0, nbytes])
        if entry[0] == 0:
            self.live += nbytes
            self.peak = max(self.peak, self.live)
        entry[0] += 1
        return (key, tensor)

    def _unpack(self, packed):
        key, tensor = packed
        if key is not None:
            entry = self._refs[key]
            entry[0] -= 1
            if entry[0] == 0:
                self.live -= entry[1]
                del self._refs[key]
        return tensor

    def __enter__(self) -> ActivationPeak:
        self._hooks = torch.autograd.graph.saved_tensors_hooks(self._pack, self._unpack)
        self._hooks.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._hooks.__exit__(*exc)
        self.peak_mb = self.peak / 2**20


class TensorPeak:
    """Peak tensor memory of the enclosed code, in MiB, above the level at entry (module doc).

    ``measure`` says how it was taken. Example::

        with TensorPeak(torch.device("cpu")) as meter:
            big = torch.ones(1024, 1024); del big
        meter.peak_mb  # 4.0
    """

    def __init__(self, device: torch.device):
        self.device = torch.device(device)
        self.peak_mb = 0.0
        if self.device.type == "cuda":
            self.measure = "CUDA max_memory_allocated during the call minus the allocation at its start"
        else:
            self.measure = ("CPU tensor bytes: peak of the allocator's allocations minus frees during the call "
                            "(torch.profiler, profile_memory=True)")

    def __enter__(self) -> TensorPeak:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            self._base = torch.cuda.memory_allocated(self.device)
        else:
            from torch.profiler import ProfilerActivity, profile

            self._prof = profile(activities=[ProfilerActivity.CPU], profile_memory=True)
            self._prof.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            self.peak_mb = (torch.cuda.max_memory_allocated(self.device) - self._base) / 2**20
            return
        self._prof.__exit__(*exc)
        events = [e for e in self._prof.profiler.kineto_results.events()
                  if e.name() == "[memory]" and e.device_type() == torch.autograd.DeviceType.CPU]
        live = peak = 0
        for event in sorted(events, key=lambda e: e.start_ns()):
            live += event.nbytes()
            peak = max(peak, live)
        self.peak_mb = peak / 2**20


def sf_config(dataset: str, backbone: str, depth: int, epochs: int | None) -> ForwardGNNConfig:
    config = ForwardGNNConfig.for_dataset(dataset).replace(variant="sf", backbone=backbone, num_layers=depth)
    return config if epochs is None else config.replace(epochs=epochs)


def bp_config(dataset: str, backbone: str, depth: int, epochs: int | None):
    cls = BP[backbone][1]
    config = cls.paper(dataset) if dataset in cls.presets else cls.paper("cora-ml")
    config = config.replace(num_layers=depth)
    return config if epochs is None else config.replace(epochs=epochs)


def fit(kind: str, data, config, seed: int, device):
    if kind == "sf":
        return fit_forwardgnn(ForwardGNN.from_config(config, data), data, config, seed=seed, device=device,
                              progress=False)
    model = BP[config_backbone(config)][0].from_config(config, data)
    return fit_node_classifier(model, data, config, seed=seed, device=device, progress=False)


def config_backbone(config) -> str:
    return {GCNConfig: "gcn", SAGEConfig: "sage", GATConfig: "gat"}[type(config)]


def memory_curve(data, args, device) -> tuple[dict, dict]:
    total, held = {"sf": {}, "bp": {}}, {"sf": {}, "bp": {}}
    for kind, make in (("sf", sf_config), ("bp", bp_config)):  # warm-up, not measured (module doc)
        fit(kind, data, make(args.dataset, args.backbone, min(args.depths), 1), seed=0, device=device)
    for depth in args.depths:
        for kind, make in (("sf", sf_config), ("bp", bp_config)):
            config = make(args.dataset, args.backbone, depth, args.memory_epochs)
            with TensorPeak(device) as meter, ActivationPeak() as activations:
                fit(kind, data, config, seed=0, device=device)
            total[kind][depth], held[kind][depth] = meter.peak_mb, activations.peak_mb
            print(f"memory {kind} depth {depth}: {meter.peak_mb:.2f} MiB peak, {activations.peak_mb:.2f} MiB "
                  "activations held for backward", file=sys.stderr)
    total["measure"], held["measure"] = meter.measure, ActivationPeak.measure
    return total, held


def accuracy_curve(data, args, device) -> dict:
    def stats(values):
        return {"mean": statistics.fmean(values), "std": statistics.stdev(values) if len(values) > 1 else 0.0,
                "pstd": statistics.pstdev(values), "values": values}

    top = max(args.depths)
    sf = {d: [] for d in args.depths}
    bp = {d: [] for d in args.depths}
    for seed in range(args.runs):
        result = fit("sf", data, sf_config(args.dataset, args.backbone, top, args.epochs), seed, device)
        for depth in args.depths:
            sf[depth].append(result.metrics[f"layer{depth}_test_accuracy"])
        for depth in args.depths:
            bp[depth].append(fit("bp", data, bp_config(args.dataset, args.backbone, depth, args.epochs), seed,
                                 device).metrics["test_accuracy"])
        print(f"accuracy split {seed}: SF {[round(sf[d][-1], 4) for d in args.depths]} "
              f"BP {[round(bp[d][-1], 4) for d in args.depths]}", file=sys.stderr)
    return {"sf": {d: stats(v) for d, v in sf.items()}, "bp": {d: stats(v) for d, v in bp.items()}}


def accuracy_from_records(sf_path: Path, bp_path: Path, args) -> dict:
    """The accuracy curve from runner records: the SF run of ``max(depths)`` layers (every prefix) and the
    back-propagation run of every depth, seeds ``0..runs-1`` (the last record of a seed wins).

    A (method, depth) with fewer than ``--runs`` seeds on record keeps the seeds it has (``n`` says how
    many; the figure marks it); one with none is left out of the curve and listed under ``missing``.
    """
    def stats(values):
        return {"mean": statistics.fmean(values), "std": statistics.stdev(values) if len(values) > 1 else 0.0,
                "pstd": statistics.pstdev(values), "n": len(values), "values": values}

    def records(path, model):
        out = {}
        for line in Path(path).read_text().splitlines():
            rec = json.loads(line)
            cfg = rec["config"]
            if rec["model"] == model and rec["dataset"] == args.dataset and rec["seed"] < args.runs and \
                    cfg.get("backbone", args.backbone) == args.backbone and cfg.get("variant", "sf") == "sf":
                out[(cfg["num_layers"], rec["seed"])] = rec["metrics"]
        return out

    top, bp_model = max(args.depths), args.backbone
    sf, bp = records(sf_path, "forwardgnn"), records(bp_path, bp_model)
    curves, missing = {"sf": {}, "bp": {}}, []
    for depth in args.depths:
        sf_values = [sf[(top, s)][f"layer{depth}_test_accuracy"] for s in range(args.runs) if (top, s) in sf]
        bp_values = [bp[(depth, s)]["test_accuracy"] for s in range(args.runs) if (depth, s) in bp]
        for kind, values in (("sf", sf_values), ("bp", bp_values)):
            if values:
                curves[kind][depth] = stats(values)
            if len(values) < args.runs:
                missing.append(f"{kind} depth {depth}: {len(values)} of {args.runs} seeds")
    if missing:
        print("--accuracy-from: incomplete records: " + "; ".join(missing), file=sys.stderr)
    curves["missing"] = missing
    return curves


def plot(report: dict, path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    depths = report["depths"]
    panels = 3 if report.get("accuracy") else 2
    fig, axes = plt.subplots(1, panels, figsize=(5.0 * panels, 3.8), squeeze=False)
    where = "CUDA max allocated" if "CUDA" in report["memory"]["measure"] else "CPU tensors"
    for ax, key, ylabel, title in ((axes[0][0], "memory", f"peak memory of fit (MiB, {where})", "peak memory"),
                                   (axes[0][1], "activations", "peak activations held for backward (MiB)",
                                    "activations held for backward")):
        for kind, label, marker in (("sf", "ForwardGNN-SF (layer-local)", "o"), ("bp", "back-propagation", "s")):
            ax.plot(depths, [report[key][kind][str(d)] for d in depths], marker=marker, label=label)
        ax.set_xlabel("layers")
        ax.set_ylabel(ylabel)
        ax.set_title(f"{report['dataset']}, {report['backbone'].upper()}: {title}", fontsize=10)
        ax.set_ylim(bottom=0)
        ax.legend()
    if panels == 3:
        ax = axes[0][2]
        for kind, label, marker in (("sf", "ForwardGNN-SF", "o"), ("bp", "back-propagation", "s")):
            acc = report["accuracy"][kind]
            shown = [d for d in depths if str(d) in acc]
            nan = float("nan")  # a depth without records breaks the line instead of being bridged
            line = ax.errorbar(depths, [100 * acc[str(d)]["mean"] if str(d) in acc else nan for d in depths],
                               yerr=[100 * acc[str(d)]["std"] if str(d) in acc else nan for d in depths],
                               marker=marker, capsize=3, label=label)
            for d in shown:
                n = acc[str(d)].get("n", report["runs"])
                if n < report["runs"]:  # fewer splits than asked: say how many beside the point
                    ax.annotate(f"n={n}", (d, 100 * acc[str(d)]["mean"]), textcoords="offset points",
                                xytext=(4, -12), fontsize=8, color=line[0].get_color())
        ax.set_xlabel("layers")
        ax.set_ylabel(f"test accuracy (%), mean ± std over {report['runs']} splits")
        ax.set_title("accuracy" + (" (n = splits where fewer)" if report["accuracy"].get("missing") else ""),
                     fontsize=10)
        ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dataset", default="cora-ml")
    p.add_argument("--data", dest="data_options", action="append", default=[], metavar="KEY=VALUE",
                   help="a datasets.load option (JSON value), e.g. --data num_nodes=300 for csbm")
    p.add_argument("--backbone", default="gcn", choices=sorted(BP))
    p.add_argument("--depths", type=int, nargs="+", default=list(range(1, 9)))
    p.add_argument("--runs", type=int, default=5, help="splits for the accuracy curve (run i on fold i)")
    p.add_argument("--memory-epochs", type=int, default=10, help="epochs per layer of the memory runs")
    p.add_argument("--epochs", type=int, default=None, help="override the accuracy runs' epochs (smoke tests)")
    p.add_argument("--no-accuracy", dest="accuracy", action="store_false")
    p.add_argument("--accuracy-from", nargs=2, type=Path, default=None, metavar=("SF_JSONL", "BP_JSONL"),
                   help="read the accuracy curve from runner records instead of training")
    p.add_argument("--memory-from", type=Path, default=None, metavar="JSON",
                   help="take the memory curves from an earlier report of this script instead of measuring")
    p.add_argument("--device", default="cpu")
    p.add_argument("--data-root", default=None)
    p.add_argument("--json", type=Path, default=RESULTS / "forwardgnn_memory.json")
    p.add_argument("--png", type=Path, default=RESULTS / "forwardgnn_memory.png")
    args = p.parse_args(argv)
    if min(args.depths) < 1 or args.runs < 1 or args.memory_epochs < 1:
        p.error("depths, --runs and --memory-epochs must be >= 1")
    options = {k: json.loads(v) for k, v in (item.split("=", 1) for item in args.data_options)}
    device = resolve_device(args.device)
    data = datasets.load(args.dataset, root=args.data_root, **options)
    start = time.perf_counter()
    report = {"dataset": args.dataset, "backbone": args.backbone, "depths": args.depths, "runs": args.runs,
              "memory_epochs": args.memory_epochs, "device": str(device), "threads": torch.get_num_threads(),
              "torch": torch.__version__, "python": platform.python_version()}
    if args.memory_from:
        earlier = json.loads(args.memory_from.read_text())
        if earlier["depths"] != args.depths or earlier["dataset"] != args.dataset or \
                earlier["backbone"] != args.backbone:
            p.error(f"--memory-from {args.memory_from}: measured for {earlier['dataset']} / {earlier['backbone']} "
                    f"at depths {earlier['depths']}, not this run's")
        for key in ("memory", "activations", "memory_epochs", "device", "threads", "torch", "python"):
            report[key] = earlier[key]
        report["memory_source"] = str(args.memory_from)
    else:
        for key, measured in zip(("memory", "activations"), memory_curve(data, args, device), strict=True):
            report[key] = {k: ({str(d): v for d, v in curve.items()} if isinstance(curve, dict) else curve)
                           for k, curve in measured.items()}
    if args.accuracy:
        curves = accuracy_from_records(*args.accuracy_from, args) if args.accuracy_from else \
            accuracy_curve(data, args, device)
        report["accuracy"] = {k: ({str(d): v for d, v in curve.items()} if isinstance(curve, dict) else curve)
                              for k, curve in curves.items()}
        report["accuracy_source"] = [str(p) for p in args.accuracy_from] if args.accuracy_from else "trained here"
    report["seconds"] = time.perf_counter() - start
    sf, bp = report["memory"]["sf"], report["memory"]["bp"]
    lo, hi = str(2 if 2 in args.depths else min(args.depths)), str(max(args.depths))
    report["ratio_depths"] = [int(hi), int(lo)]  # peak at the deepest over the peak at 2 layers (else the shallowest)
    report["sf_ratio"] = sf[hi] / sf[lo] if sf[lo] else None
    report["bp_ratio"] = bp[hi] / bp[lo] if bp[lo] else None
    held = report["activations"]
    report["sf_activation_ratio"] = held["sf"][hi] / held["sf"][lo] if held["sf"][lo] else None
    report["bp_activation_ratio"] = held["bp"][hi] / held["bp"][lo] if held["bp"][lo] else None
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=1) + "\n")
    drawn = plot(report, args.png)
    print(f"peak memory ({report['memory']['measure']}), MiB by depth {args.depths}:")
    print("  SF " + " ".join(f"{sf[str(d)]:.1f}" for d in args.depths) + f"   ({hi}/{lo}: {report['sf_ratio']:.3f}x)")
    print("  BP " + " ".join(f"{bp[str(d)]:.1f}" for d in args.depths) + f"   ({hi}/{lo}: {report['bp_ratio']:.3f}x)")
    print(f"activations held for backward, MiB by depth {args.depths}:")
    for kind in ("sf", "bp"):
        print(f"  {kind.upper()} " + " ".join(f"{held[kind][str(d)]:.1f}" for d in args.depths)
              + f"   ({hi}/{lo}: {report[f'{kind}_activation_ratio']:.3f}x)")
    if args.accuracy:
        for kind in ("sf", "bp"):
            acc = report["accuracy"][kind]
            print(f"  {kind.upper()} accuracy " + " ".join(
                f"{100 * acc[str(d)]['mean']:.2f}±{100 * acc[str(d)]['std']:.2f}" if str(d) in acc else "-"
                for d in args.depths))
    print(f"wrote {args.json}" + (f" and {args.png}" if drawn else " (no PNG: matplotlib not installed)"))
    return report


if __name__ == "__main__":
    main()
