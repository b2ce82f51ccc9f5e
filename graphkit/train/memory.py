"""Peak-memory meter: peak RSS of the process on CPU, max allocated on CUDA."""

from __future__ import annotations

import resource
import sys
from pathlib import Path

import torch

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def current_peak_rss_mb() -> float:
    """Peak resident set size of this process in MiB (``VmHWM``, else ``ru_maxrss``)."""
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark (Linux ≥ 4.0); ``False`` when not possible."""
    try:
        _CLEAR_REFS.write_text("5")
        return True
    except OSError:
        return False


class PeakMemory:
    """Context manager measuring peak memory of the enclosed code, in MiB.

    On CUDA it reports ``torch.cuda.max_memory_allocated`` after resetting the
    peak stats. On CPU it reports the process's peak RSS; on Linux the peak
    mark is reset on entry, elsewhere the value is the process-lifetime peak
    (``reset`` tells which). Nested meters do not reset the mark, so an outer
    meter still sees the peak of everything it encloses.
    """

    _depth = 0  # meters currently open in this process

    def __init__(self, device: torch.device | str | None = None):
        self.device = torch.device("cpu") if device is None else torch.device(device)
        self.peak_mb: float = 0.0
        self.reset: bool = False

    def __enter__(self) -> PeakMemory:
        PeakMemory._depth += 1
        if PeakMemory._depth > 1:
            return self
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            self.reset = True
        else:
            self.reset = _reset_peak_rss()
        return self

    def __exit__(self, *exc) -> None:
        PeakMemory._depth -= 1
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            self.peak_mb = torch.cuda.max_memory_allocated(self.device) / 2**20
        else:
            self.peak_mb = current_peak_rss_mb()
