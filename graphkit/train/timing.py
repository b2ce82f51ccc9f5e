"""Wall-clock timing of training epochs, validation passes, inference and named stages (CUDA-synchronised)."""

from __future__ import annotations

import statistics
import time
from contextlib import contextmanager

import torch


def _sync(device: torch.device | None) -> None:
    if device is not None and device.type == "cuda":
        torch.cuda.synchronize(device)


class Timer:
    """Records per-epoch training time, validation and inference passes, and named stages.

    ``with timer.epoch(): ...`` around each training epoch, ``with timer.evaluation(): ...``
    around each validation pass, ``with timer.inference(): ...`` around the final
    pass whose time is reported, ``with timer.stage("precompute"): ...`` around any
    other step (reported as ``precompute_s``, summed over calls). CUDA work is
    synchronised before each clock read.
    """

    def __init__(self, device: torch.device | str | None = None):
        self.device = None if device is None else torch.device(device)
        self.epoch_times: list[float] = []
        self.eval_times: list[float] = []
        self.inference_times: list[float] = []
        self.stages: dict[str, float] = {}

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

    def evaluation(self):
        return self._measure(self.eval_times)

    def inference(self):
        return self._measure(self.inference_times)

    @contextmanager
    def stage(self, name: str):
        times: list[float] = []
        with self._measure(times):
            yield
        self.stages[name] = self.stages.get(name, 0.0) + times[0]

    def summary(self) -> dict[str, float]:
        """``train_s`` (sum of epochs), ``epoch_s`` / ``eval_s`` / ``inference_s`` (medians), ``<stage>_s``."""
        out = {
            "train_s": sum(self.epoch_times),
            "epoch_s": statistics.median(self.epoch_times) if self.epoch_times else 0.0,
            "eval_s": statistics.median(self.eval_times) if self.eval_times else 0.0,
            "inference_s": statistics.median(self.inference_times) if self.inference_times else 0.0,
        }
        out.update({f"{name}_s": value for name, value in self.stages.items()})
        return out
