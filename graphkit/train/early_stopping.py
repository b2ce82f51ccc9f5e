"""Early stopping on a validation metric, keeping the best model state."""

from __future__ import annotations

import copy

import torch


class EarlyStopping:
    """Track a validation metric; remember the best state; say when to stop.

    Args:
        patience: epochs without improvement before :meth:`step` returns
            ``True``; ``None`` never stops early (the best state is still kept).
        mode: ``'max'`` (accuracy, Hits@K) or ``'min'`` (loss).
        min_delta: the smallest change that counts as an improvement.
        ties: a value equal to the best also counts as an improvement (the
            later state is kept and patience restarts), as GLNN's / VQGraph's
            ``score_val >= best_score_val``. With accuracy on a few hundred
            validation nodes ties are common, and keeping the later, better
            trained state matters (e.g. for the confidence of a teacher's soft labels).

    Example::

        stopper = EarlyStopping(patience=50)
        for epoch in range(epochs):
            ...
            if stopper.step(val_acc, model, epoch):
                break
        stopper.restore(model)
    """

    def __init__(self, patience: int | None = 100, *, mode: str = "max", min_delta: float = 0.0,
                 ties: bool = False):
        if mode not in ("max", "min"):
            raise ValueError(f"mode must be 'max' or 'min', got {mode!r}")
        if patience is not None and patience < 1:
            raise ValueError(f"patience must be >= 1 or None, got {patience}")
        self.patience, self.mode, self.min_delta, self.ties = patience, mode, min_delta, ties
        self.best: float | None = None
        self.best_epoch: int = -1
        self.best_state: dict | None = None
        self._bad_epochs = 0

    def _improved(self, value: float) -> bool:
        if self.best is None:
            return True
        if self.ties and value == self.best:
            return True
        if self.mode == "max":
            return value > self.best + self.min_delta
        return value < self.best - self.min_delta

    def step(self, value: float, model: torch.nn.Module | None = None, epoch: int | None = None) -> bool:
        """Record ``value``; store ``model``'s state when it improves; return whether to stop."""
        value = float(value)
        if value != value:  # NaN never improves
            self._bad_epochs += 1
        elif self._improved(value):
            self.best = value
            self.best_epoch = epoch if epoch is not None else self.best_epoch + 1
            self._bad_epochs = 0
            if model is not None:
                self.best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            self._bad_epochs += 1
        return self.patience is not None and self._bad_epochs >= self.patience

    def restore(self, model: torch.nn.Module) -> torch.nn.Module:
        """Load the best state into ``model`` (no-op when nothing was stored)."""
        if self.best_state is not None:
            model.load_state_dict(copy.copy(self.best_state))
        return model

    def __repr__(self) -> str:
        return f"EarlyStopping(patience={self.patience}, mode={self.mode!r}, best={self.best}, best_epoch={self.best_epoch})"
