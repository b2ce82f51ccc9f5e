"""benchmarks/gpu_check.sh runs end to end: on the CPU with reduced sizes (slow tier), every step succeeds."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STEPS = {"cuda_tests", "ncn_cora", "ncn_ddi", "fastrp", "dagnn_coauthor_cs", "distillation", "sampler"}


@pytest.mark.slow
@pytest.mark.data
def test_gpu_check_runs_end_to_end_on_the_cpu(tmp_path, real_data_root):
    out = tmp_path / "gpu_check_cpu.json"
    env = dict(os.environ, GRAPHKIT_DATA=str(real_data_root), OMP_NUM_THREADS="1")
    proc = subprocess.run(["bash", str(ROOT / "benchmarks" / "gpu_check.sh"), "--device", "cpu", "--out", str(out),
                           "--budget-s", "3600"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=3900)
    assert out.is_file(), proc.stderr[-3000:]
    report = json.loads(out.read_text())
    assert set(report["steps"]) == STEPS
    failed = {name: step for name, step in report["steps"].items() if step["rc"] not in (0, 5)}
    assert not failed and proc.returncode == 0, json.dumps(failed, indent=1)[-4000:]
    assert report["steps"]["fastrp"]["figures"][0]["finite"]
    assert {r["model"] for r in report["steps"]["ncn_cora"]["figures"]} == {"ncn", "ncnc"}
    assert report["steps"]["sampler"]["figures"]["torch_median_s"] > 0
