"""What a procedure returns: metrics, times, memory, selection, the trained model and its products."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["FitResult"]


@dataclass
class FitResult:
    """The outcome of one ``fit_<method>`` call.

    Attributes:
        metrics: ``valid_<metric>`` and ``test_<metric>`` of the state selected on
            validation (plus method-specific entries, e.g. the teacher's).
        time: ``train_s``, ``epoch_s`` (median), ``eval_s`` (median validation pass)
            and ``inference_s`` (the final full pass), in seconds; methods add
            their own stages (``precompute_s``, ``teacher_train_s``, ...).
        best_epoch: the selected epoch (0-based; ``-1`` when nothing is selected).
        epochs_run: epochs trained (early stopping may end before the budget).
        peak_memory_mb: peak RSS of the process (CPU) or CUDA max allocated during the call.
        threads: the CPU threads the call computed with (:mod:`graphkit.threads`; ``0``: not recorded).
        history: one dict per evaluated epoch (``epoch``, ``loss``, the validation value).
        model: the trained module: the object that was passed in.
        config: the config the procedure ran with.
        outputs: what the method produces besides the model (a teacher's logits,
            the split it drew, an embedding, a refined graph, ...). Each entry is
            also an attribute: ``result.teacher_logits``.

    Example:
        >>> result = FitResult({"test_accuracy": 0.8}, {"train_s": 1.2}, outputs={"split": "the split"})
        >>> result.split, result.to_dict()["metrics"]
        ('the split', {'test_accuracy': 0.8})
    """

    metrics: dict[str, float]
    time: dict[str, float]
    best_epoch: int = -1
    epochs_run: int = 0
    peak_memory_mb: float = 0.0
    threads: int = 0
    history: list[dict] = field(default_factory=list)
    model: Any = field(default=None, repr=False)
    config: Any = None
    outputs: dict[str, Any] = field(default_factory=dict, repr=False)

    def __getattr__(self, name: str):
        outputs = self.__dict__.get("outputs")
        if outputs is not None and name in outputs:
            return outputs[name]
        known = ", ".join(sorted(outputs)) if outputs else "none"
        raise AttributeError(f"FitResult has no attribute {name!r}; method outputs: {known}")

    def to_dict(self) -> dict:
        """The JSON-serialisable part: metrics, times, memory, selection and history."""
        return {"metrics": self.metrics, "time": self.time, "best_epoch": self.best_epoch,
                "epochs_run": self.epochs_run, "peak_memory_mb": self.peak_memory_mb, "history": self.history}
