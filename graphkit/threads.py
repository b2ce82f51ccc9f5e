"""How many CPU threads a procedure computes with: few when the input is small or the cores are busy.

torch runs its CPU kernels on ``torch.get_num_threads()`` threads (by default one per
physical core). Each parallel op ends in a barrier, so when another process holds a
core, every op waits for a descheduled thread: on a loaded 2-core machine a
2708 × 64 matrix product took 31 ms on 2 threads against 0.6–0.8 ms on one, and
``torch.repeat_interleave`` on 100 elements up to 15 ms against 9–12 µs
(``benchmarks/contention.py --micro``). Small
graphs run thousands of such ops per epoch and gain nothing from a second thread
even on a quiet machine. So every procedure (:func:`graphkit.models.procedure.procedure`),
and :meth:`graphkit.FastRP.fit` (an estimator called without a procedure), runs under
:func:`thread_limit` with :func:`choose_threads`:

1. ``threads=N`` given to the procedure (or ``--threads N`` to the runner): ``N``.
2. An input of fewer than :data:`SMALL_WORK` elements (:func:`work_of`): one thread.
3. Otherwise the threads torch would use, capped by the cores that are idle now:
   :func:`idle_cores` samples the machine's CPU counters for :data:`SAMPLE_SECONDS` (0.1 s)
   while this process sleeps, so its own past load does not count against it. A reading is
   reused for :data:`SAMPLE_REUSE_SECONDS` (10 s): a loop of fits or a procedure called by
   another sleeps once, not once per call (:func:`recent_idle_cores`).

The count is never raised above ``torch.get_num_threads()`` (what ``OMP_NUM_THREADS``
or ``torch.set_num_threads`` chose stays the ceiling) and is restored when the
procedure returns. The choice is made once per call: a job that starts later on
the machine is not seen (nor, within the reuse window, one that started since the last reading).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

import torch

from graphkit._validation import check_int

__all__ = ["EDGE_WORK", "SAMPLE_REUSE_SECONDS", "SAMPLE_SECONDS", "SMALL_WORK", "choose_threads",
           "idle_cores", "recent_idle_cores", "thread_limit", "work_of"]

#: inputs with fewer elements than this (node features plus 64 per edge) run on one thread
SMALL_WORK = 1 << 20
#: how long :func:`idle_cores` watches the CPU counters: they tick at 100 Hz, so 0.1 s reads the idle
#: share of each core to about a tenth (20 ms read 2 ticks per core and took a quiet core for a busy one)
SAMPLE_SECONDS = 0.1
#: how long a reading of the idle cores is reused: the 0.1 s sleep cost forward_memory.py's six fits
#: 0.6 s (11 % of the run) on a quiet machine
SAMPLE_REUSE_SECONDS = 10.0
_last_reading: tuple[float, float | None] | None = None  # (time.monotonic() when taken, idle cores)
#: what :func:`work_of` counts per edge: about one hidden row of message passing
EDGE_WORK = 64


def work_of(data, *, dense_features: bool = False) -> int | None:
    """Elements a procedure touches per pass, roughly: ``x.numel()`` (or its non-zeros) plus 64 per edge.

    ``dense_features=True`` counts a sparse ``x`` at its dense size, for the procedures that densify it.

    ``None`` when ``data`` has neither features nor edges that this can count.

    Example:
        >>> from torch_geometric.data import Data
        >>> work_of(Data(x=torch.zeros(10, 4), edge_index=torch.zeros(2, 3, dtype=torch.long)))
        232
    """
    total, known = 0, False
    for name in ("x", "edge_index", "hyperedge_index", "train_pos"):
        value = getattr(data, name, None)
        if not isinstance(value, torch.Tensor):
            continue
        known = True
        if name == "x":
            sparse = value.is_sparse or value.layout != torch.strided
            total += value._nnz() if sparse and not dense_features else value.numel()
        else:
            total += EDGE_WORK * (value.size(-1) if value.dim() == 2 else value.numel())
    return total if known else None


def _cpu_counters() -> tuple[int, int] | None:
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()[1:]
    except OSError:
        return None
    values = [int(v) for v in fields]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    return idle, sum(values[:8])


def idle_cores(seconds: float = SAMPLE_SECONDS) -> float | None:
    """Cores idle over the next ``seconds`` (this process sleeps meanwhile), from ``/proc/stat``.

    ``None`` where the counters cannot be read (not Linux) or did not move.
    """
    before = _cpu_counters()
    if before is None:
        return None
    time.sleep(seconds)
    after = _cpu_counters()
    total = after[1] - before[1]
    if total <= 0:
        return None
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return cores * (after[0] - before[0]) / total


def recent_idle_cores(max_age: float = SAMPLE_REUSE_SECONDS) -> float | None:
    """:func:`idle_cores`, or the reading this process took less than ``max_age`` seconds ago."""
    global _last_reading
    if _last_reading is None or time.monotonic() - _last_reading[0] > max_age:
        idle = idle_cores()
        _last_reading = (time.monotonic(), idle)
    return _last_reading[1]


def choose_threads(work: int | None, requested: int | None = None) -> int:
    """The thread count for a call (see the module doc for the rule).

    Args:
        work: the input's size (:func:`work_of`); ``None`` skips the small-input rule.
        requested: an explicit count, used as given. (default: ``None``)

    Example:
        >>> choose_threads(1000)
        1
        >>> choose_threads(10**9, requested=3)
        3
    """
    if requested is not None:
        return check_int("threads", requested, minimum=1)
    ceiling = torch.get_num_threads()
    if ceiling == 1 or (work is not None and work < SMALL_WORK):
        return 1
    idle = recent_idle_cores()
    if idle is None:
        return ceiling
    return max(1, min(ceiling, int(idle + 0.5)))


@contextmanager
def thread_limit(threads: int) -> Iterator[int]:
    """Run the block on ``threads`` intra-op threads, then restore the previous count."""
    before = torch.get_num_threads()
    if threads != before:
        torch.set_num_threads(threads)
    try:
        yield threads
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)
