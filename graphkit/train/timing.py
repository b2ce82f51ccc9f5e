"""Wall-clock timing of training epochs and inference (CUDA-synchronised)."""

from __future__ import annotations

import statistics
import time
from contextlib import contextmanager

import torch


def _sync(device: torch.device | None) -> None:
    if device is not None and device.type == "cuda":
        torch.cuda.synchronize(device)


class Timer:
    """Records per-epoch training time, total training time and inference time.

    Use ``with timer.epoch(): ...`` around each training epoch and
    ``with timer.inference(): ...`` around evaluation whose time should be
    reported. CUDA work is synchronised before each clock read.
    """

    def __init__(self, device: torch.device | str | None = None):
        self.device = None if device is None else torch.device(device)
        self.epoch_times: list[float] = []
        self.inference_times: list[float] = []

    @contextmanager
    def _measure(self, sink: list[float]):
        _sync(self.device)
        start = time.perf_counter()
        try:
            yield
        finally:
            _sync(self.device)
            sink.append(time.perf_counter() - start)

    def epoch(self):
        return self._measure(self.epoch_times)

    def inference(self):
        return self._measure(self.inference_times)

    def summary(self) -> dict[str, float]:
        """``train_s`` (sum of epochs), ``epoch_s`` (median epoch), ``inference_s`` (median)."""
        return {
            "train_s": sum(self.epoch_times),
            "epoch_s": statistics.median(self.epoch_times) if self.epoch_times else 0.0,
            "inference_s": statistics.median(self.inference_times) if self.inference_times else 0.0,
        }
