"""The one epoch loop every procedure runs on.

A procedure supplies what differs between methods as hooks; the loop owns what
is the same everywhere (train/eval modes, the optimiser step, gradient
clipping, timing, validation every ``eval_every`` epochs, model selection,
early stopping, the progress bar, the history)::

    trajectory = run_epochs(
        model, optimizer, epochs=200,
        loss=lambda batch, epoch: F.cross_entropy(model(x, edge_index)[train], y[train]),
        validate=lambda: accuracy(model(x, edge_index)[val], y[val]),
        selection=Selection(mode="max", patience=100),
    )

- ``batches(epoch)`` yields the epoch's mini-batches (default: one full batch,
  ``None``). It is consumed inside the epoch's timer, so per-epoch sampling (a
  method's negatives, a shuffled order, a per-batch graph) is timed as training.
  A batch that is a tensor (or a tuple led by one) weighs its ``numel()`` in the
  epoch's mean loss, anything else weighs 1.
- ``loss(batch, epoch)`` returns the scalar to minimise; the loop zeroes the
  gradients, back-propagates, clips (``grad_clip``) and steps.
- ``validate()`` returns the validation value, run under ``torch.no_grad`` with
  the model in eval mode.
- :class:`Selection` says which state to keep (``mode``, ``ties``) and when to
  stop (``patience``, and an optional method rule such as DAGNN's).

The kept state is restored at the end and the model left in eval mode.

Under a process group of several ranks (``torchrun``; :mod:`graphkit.distributed`)
the loop is data-parallel: rank 0's parameters and buffers are copied to every
rank first, the gradients are averaged over the ranks after each backward pass
and before clipping and the step (bucketed all-reduces, what DDP's reducer
does), the epoch's mean loss is the average over ranks, buffers are copied from
rank 0 before each validation, and rank 0's validation value is broadcast so
every rank takes the same selection and stopping decisions on identical
parameters. The progress bar shows on rank 0 only. The procedures shard their
batches (:func:`graphkit.distributed.shard`); one that does not still trains
correctly (every rank computes the same full gradient). With one process
nothing of this runs.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from graphkit import distributed
from graphkit.train.early_stopping import EarlyStopping
from graphkit.train.timing import Timer

__all__ = ["Selection", "Trajectory", "interactive", "progress_bar", "run_epochs"]


@dataclass
class Selection:
    """Model selection and early stopping on the validation value.

    Args:
        mode: ``'max'`` (accuracy, Hits@K) or ``'min'`` (a loss).
        patience: evaluations without improvement before stopping (``None``: never).
        ties: an equal value also counts as an improvement (the later state is kept).
        stop_rule: ``stop_rule(values, epoch) -> bool``, a method's own stopping
            rule over the validation values so far (``epoch`` 0-based).
    """

    mode: str = "max"
    patience: int | None = None
    ties: bool = False
    stop_rule: Callable[[list[float], int], bool] | None = None


@dataclass
class Trajectory:
    """What :func:`run_epochs` saw: the selected epoch and value, epochs run, one history row per evaluation."""

    best_epoch: int
    best_value: float | None
    epochs_run: int
    history: list[dict] = field(default_factory=list)


def interactive() -> bool:
    """Whether a person is watching: stderr is a terminal, or the code runs in a Jupyter / IPython kernel
    (whose stderr is not a terminal, so tqdm's own ``disable=None`` would hide the bar there)."""
    isatty = getattr(sys.stderr, "isatty", None)
    if isatty is not None and isatty():
        return True
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    return shell is not None and type(shell).__name__ in ("ZMQInteractiveShell", "TerminalInteractiveShell")


def progress_bar(iterable, *, desc: str, progress: bool | None, total: int | None = None):
    """tqdm over ``iterable``; ``progress=None`` shows it when a person is watching (:func:`interactive`:
    a terminal or a notebook), not in logs, CI or pipes."""
    disable = not interactive() if progress is None else not progress
    return tqdm(iterable, desc=desc, total=total, disable=disable, leave=False, mininterval=0.5)


def _weight(batch: Any) -> int:
    if isinstance(batch, tuple) and batch and isinstance(batch[0], Tensor):
        batch = batch[0]
    return batch.numel() if isinstance(batch, Tensor) else 1


@torch.no_grad()
def _broadcast_buffers(model: nn.Module) -> None:
    import torch.distributed as dist

    for buffer in model.buffers():
        dist.broadcast(buffer, 0)


def run_epochs(model: nn.Module, optimizer: torch.optim.Optimizer, *, epochs: int,
               loss: Callable[[Any, int], Tensor], validate: Callable[[], float],
               batches: Callable[[int], Iterable] | None = None, selection: Selection | None = None,
               eval_every: int = 1, grad_clip: float | None = None, timer: Timer | None = None,
               progress: bool | None = None, desc: str = "train", value_name: str = "valid") -> Trajectory:
    """Train ``model`` for up to ``epochs`` epochs; keep and restore the state that ``selection`` picks.

    Args:
        model: the module; ``model.train()`` during training, ``model.eval()`` during validation.
        optimizer: steps once per batch.
        epochs: the epoch budget (``>= 1``).
        loss: ``loss(batch, epoch) -> Tensor``.
        validate: ``validate() -> float``.
        batches: ``batches(epoch) -> iterable``; default one full batch.
        selection: see :class:`Selection` (default: max, no patience).
        eval_every: validate every this many epochs and after the last one.
        grad_clip: clip the gradient norm to this value before each step.
        timer: where epoch and validation times go.
        progress: the progress bar (``None``: on a terminal only).
        desc: the bar's label.
        value_name: the history key of the validation value.
    """
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be an int >= 1, got {epochs!r}")
    if isinstance(eval_every, bool) or not isinstance(eval_every, int) or eval_every < 1:
        raise ValueError(f"eval_every must be an int >= 1, got {eval_every!r}")
    selection = selection or Selection()
    stopper = EarlyStopping(selection.patience, mode=selection.mode, ties=selection.ties)
    timer = timer or Timer()
    history, values = [], []
    parallel = distributed.is_distributed()
    if parallel:
        scalar_device = next((p.device for p in model.parameters()), torch.device("cpu"))
        distributed.broadcast_module(model)
        progress = progress if distributed.is_main() else False
    bar = progress_bar(range(epochs), desc=desc, progress=progress)
    epochs_run = 0
    for epoch in bar:
        with timer.epoch():
            model.train()
            total, seen = 0.0, 0
            for batch in (batches(epoch) if batches is not None else (None,)):
                optimizer.zero_grad()
                value = loss(batch, epoch)
                value.backward()
                if parallel:
                    distributed.all_reduce_gradients(optimizer)
                if grad_clip is not None:
                    nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
                optimizer.step()
                w = _weight(batch)
                total += value.item() * w
                seen += w
            if parallel:
                total = distributed.all_reduce_sum(total, device=scalar_device) / distributed.world_size()
            epoch_loss = total / max(seen, 1)
        epochs_run = epoch + 1
        if (epoch + 1) % eval_every and epoch + 1 != epochs:
            continue
        model.eval()
        if parallel:
            _broadcast_buffers(model)
        with timer.evaluation(), torch.no_grad():
            val = float(validate())
        if parallel:
            val = distributed.broadcast_value(val, device=scalar_device)
        values.append(val)
        history.append({"epoch": epoch, "loss": epoch_loss, value_name: val})
        bar.set_postfix(loss=f"{epoch_loss:.4f}", val=f"{val:.4f}")
        stop = stopper.step(val, model, epoch)
        if stop or (selection.stop_rule is not None and selection.stop_rule(values, epoch)):
            break
    stopper.restore(model)
    model.eval()
    return Trajectory(stopper.best_epoch, stopper.best, epochs_run, history)
