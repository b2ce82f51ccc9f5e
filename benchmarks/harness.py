"""The one timing and memory harness of the benchmark scripts.

Speed claims are ratios measured side by side in one process, median of
several repetitions after a warm-up (DESIGN.md, Benchmarks). Every script
states the thread count it ran with (:func:`threads`).
"""

from __future__ import annotations

import ctypes
import gc
import os
import resource
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import torch


def sync(device: torch.device | str | None = None) -> None:
    """Wait for queued CUDA work (no-op on CPU) so the clock reads the work, not the launch."""
    if device is not None and torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)


def timed(fn: Callable[[], object], reps: int, *, warmup: int = 1,
          device: torch.device | str | None = None) -> tuple[float, list[float], object]:
    """``(median seconds, every repetition, last output)`` of ``fn()`` after ``warmup`` untimed calls."""
    if reps < 1:
        raise ValueError(f"reps must be >= 1, got {reps}")
    out = None
    for _ in range(warmup):
        out = fn()
    times = []
    for _ in range(reps):
        sync(device)
        start = time.perf_counter()
        out = fn()
        sync(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times), times, out


def release_free_memory() -> None:
    """Hand memory freed by earlier calls back to the OS (glibc), so the next peak is seen."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def peak_rss_delta_mb(fn: Callable[[], object]) -> tuple[float, str]:
    """Peak RSS growth of ``fn()`` in MiB and how it was measured (Linux VmHWM after a reset, else ru_maxrss)."""
    release_free_memory()
    status, clear = Path("/proc/self/status"), Path("/proc/self/clear_refs")

    def field(name: str) -> int:
        for line in status.read_text().splitlines():
            if line.startswith(name):
                return int(line.split()[1])
        raise OSError(name)

    try:
        clear.write_text("5")
        before = field("VmRSS:")
        out = fn()
        peak = field("VmHWM:")
        del out
        return (peak - before) / 1024, "VmHWM-VmRSS"
    except OSError:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        out = fn()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        del out
        return (peak - before) / 1024, "ru_maxrss delta (lower bound)"


def threads() -> dict[str, object]:
    """The thread settings a timing ran with, for the record."""
    return {"torch_threads": torch.get_num_threads(), "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS")}
