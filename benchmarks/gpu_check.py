"""The prepared GPU check (``benchmarks/gpu_check.sh`` runs it): every GPU figure the issues ask for, one JSON.

    python benchmarks/gpu_check.py [--device cuda|cpu] [--out benchmarks/results/gpu_check.json]
        [--only STEP ...] [--budget-s 480]

Steps (each a subprocess with its own timeout; a failing step is recorded with
its exit status and the tail of its output, and the others still run):

- ``cuda_tests``: ``pytest -m "cuda and not slow" tests`` (every CUDA-marked test; on the CPU
  they all skip: the count is recorded);
- ``ncn_cora``: NCN and NCNC on Cora, per-epoch and full-test inference time
  (``benchmarks/ncn_speed.py``: the library's fit_ncn with the paper presets);
- ``ncn_ddi``: one NCN epoch on ogbl-ddi (``ncn_speed.py --epochs 1``);
- ``fastrp``: FastRP of a seeded random graph with 1M nodes / 10M edges on the
  device (``graphkit.ops.fastrp_embedding``, d = 128, weights 0,0,1,1; the
  median of 3 after a warm-up);
- ``dagnn_coauthor_cs``: DAGNN on Coauthor CS through the runner (1 seed);
- ``distillation``: the GNN -> MLP inference ratios
  (``benchmarks/inference_speed.py --synthetic-only``);
- ``sampler``: the pure-torch neighbour sampler on the device against
  torch-sparse's on the CPU (``benchmarks/neighbor_sampling.py``).

``--device cpu`` runs the same steps on reduced sizes (Cora 1 epoch of 2 steps,
ddi 2 steps, FastRP 100k / 1M, DAGNN 2 epochs, inference ``--quick``, sampler
20k nodes) so the script is tested end to end in the slow tier
(``tests/test_gpu_check.py``). Full sizes are sized for one H100 in under 8 minutes
(the slowest: ogbl-ddi's epoch and the loading of Coauthor CS / ddi).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PY = sys.executable

FASTRP = r"""
import json, sys, time, statistics, torch
from graphkit.ops.csr import as_csr
from graphkit.ops.fastrp import fastrp_embedding
n, m, device = int(sys.argv[1]), int(sys.argv[2]), torch.device(sys.argv[3])
gen = torch.Generator().manual_seed(0)
edges = torch.randint(0, n, (2, m), generator=gen)
adj = as_csr(torch.cat([edges, edges.flip(0)], 1), n).to(device)
def run():
    out = fastrp_embedding(adj, 128, (0.0, 0.0, 1.0, 1.0), seed=0)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return out
run()
if device.type == "cuda":
    torch.cuda.reset_peak_memory_stats()
times = []
for _ in range(3):
    t = time.perf_counter(); emb = run(); times.append(time.perf_counter() - t)
peak = torch.cuda.max_memory_allocated() / 2**20 if device.type == "cuda" else None
print(json.dumps({"nodes": n, "undirected_edges": m, "stored_entries": adj.nnz, "dim": 128, "median_s": statistics.median(times),
                  "times_s": times, "peak_cuda_mb": peak, "finite": bool(torch.isfinite(emb).all())}))
"""


def steps(device: str, tmp: Path) -> dict[str, tuple[list[str], float]]:
    """``{name: (argv, timeout_s)}`` of every step, full sizes on CUDA, reduced on the CPU."""
    cpu = device == "cpu"
    ncn_cora = [PY, str(HERE / "ncn_speed.py"), "--dataset", "cora", "--models", "ncn", "ncnc", "--device", device,
                "--out", str(tmp / "ncn_cora.jsonl")]
    ncn_cora += ["--epochs", "1", "--max-steps", "2", "--reps", "1"] if cpu else ["--epochs", "3", "--reps", "3"]
    ncn_ddi = [PY, str(HERE / "ncn_speed.py"), "--dataset", "ogbl-ddi", "--models", "ncn", "--epochs", "1",
               "--device", device, "--out", str(tmp / "ncn_ddi.jsonl"), "--reps", "1"]
    ncn_ddi += ["--max-steps", "2"] if cpu else []
    fastrp = [PY, "-c", FASTRP] + (["100000", "1000000"] if cpu else ["1000000", "10000000"]) + [device]
    dagnn = [PY, "-m", "graphkit.runner", "--model", "dagnn", "--dataset", "coauthor-cs", "--runs", "1",
             "--device", device, "--quiet", "--out", str(tmp / "dagnn.jsonl")] + (["--epochs", "2"] if cpu else [])
    distill = [PY, str(HERE / "inference_speed.py"), "--device", device, "--synthetic-only"] + \
        (["--quick"] if cpu else ["--runs", "1"])
    sampler = [PY, str(HERE / "neighbor_sampling.py"), "--device", device, "--json", str(tmp / "sampler.json")] + \
        (["--nodes", "20000", "--reps", "3"] if cpu else [])
    return {"cuda_tests": ([PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "cuda and not slow", "tests"], 300),
            "ncn_cora": (ncn_cora, 300), "ncn_ddi": (ncn_ddi, 420), "fastrp": (fastrp, 300),
            "dagnn_coauthor_cs": (dagnn, 420), "distillation": (distill, 420), "sampler": (sampler, 240)}


def _json_lines(text: str) -> list:
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{") and line.endswith("}"):
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                pass
    return out


def collect(name: str, tmp: Path, stdout: str):
    """The figures of a finished step: its JSON files or JSON lines, else the tail of its output."""
    files = {"ncn_cora": "ncn_cora.jsonl", "ncn_ddi": "ncn_ddi.jsonl", "dagnn_coauthor_cs": "dagnn.jsonl",
             "sampler": "sampler.json"}
    path = tmp / files.get(name, "-")
    if path.is_file():
        text = path.read_text()
        if path.suffix == ".json":
            return json.loads(text)
        records = [json.loads(line) for line in text.splitlines() if line.strip()]
        if name == "dagnn_coauthor_cs":
            return [{k: r[k] for k in ("metrics", "time", "peak_memory_mb", "epochs_run", "device")} for r in records]
        return records
    lines = _json_lines(stdout)
    if lines:
        return lines
    return stdout.strip().splitlines()[-15:]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    p.add_argument("--out", default=str(HERE / "results" / "gpu_check.json"))
    p.add_argument("--only", nargs="+", default=None, help="run only these steps")
    p.add_argument("--budget-s", type=float, default=480.0, help="skip the remaining steps past this wall time")
    args = p.parse_args(argv)
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    env.setdefault("GRAPHKIT_DATA", str(ROOT.parent / "shared" / "datasets"))
    report = {"device": args.device, "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "host": platform.node(), "steps": {}}
    try:
        import torch

        report["torch"] = torch.__version__
        if args.device == "cuda":
            if not torch.cuda.is_available():
                print("error: --device cuda but torch.cuda.is_available() is False", file=sys.stderr)
                return 2
            report["gpu"] = torch.cuda.get_device_name(0)
    except ImportError:
        pass
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for name, (cmd, timeout) in steps(args.device, tmp).items():
            if args.only and name not in args.only:
                continue
            elapsed = time.perf_counter() - start
            if elapsed > args.budget_s:
                report["steps"][name] = {"rc": None, "skipped": f"budget of {args.budget_s:.0f} s spent"}
                continue
            t0 = time.perf_counter()
            try:
                proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                                      timeout=min(timeout, max(30.0, args.budget_s - elapsed + 60)))
                rc, stdout = proc.returncode, proc.stdout + proc.stderr
            except subprocess.TimeoutExpired as exc:
                rc, stdout = 124, (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
            entry = {"rc": rc, "wall_s": round(time.perf_counter() - t0, 2)}
            entry["figures" if rc == 0 else "output_tail"] = collect(name, tmp, stdout) if rc == 0 else \
                stdout.strip().splitlines()[-20:]
            if name == "cuda_tests":
                entry["summary"] = next((line for line in reversed(stdout.splitlines()) if " in " in line), "")
            report["steps"][name] = entry
            print(f"{name}: rc={rc} in {entry['wall_s']} s", file=sys.stderr)
    report["wall_s"] = round(time.perf_counter() - start, 2)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    failed = [n for n, e in report["steps"].items() if e.get("rc") not in (0, 5)]  # 5: pytest collected nothing
    print(f"wrote {args.out}; failed: {failed or 'none'}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
