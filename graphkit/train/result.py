"""What one training run reports."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class RunResult:
    """Metrics (name → value), timings, and where model selection stopped.

    ``metrics`` holds ``valid_<metric>`` and ``test_<metric>`` of the model
    selected on validation; ``time`` holds ``train_s``, ``epoch_s`` (median)
    and ``inference_s``; ``peak_memory_mb`` is filled by the caller that
    measured it.
    """

    metrics: dict[str, float]
    time: dict[str, float]
    best_epoch: int
    epochs_run: int
    peak_memory_mb: float = 0.0
    history: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)
