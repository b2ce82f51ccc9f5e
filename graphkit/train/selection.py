"""Full-batch training with model selection on a validation score (the distillation stages and DGMLP's head)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext

import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from graphkit.train.early_stopping import EarlyStopping
from graphkit.train.timing import Timer

__all__ = ["train_with_selection"]


def train_with_selection(model: nn.Module, loss_fn: Callable[[int], Tensor], valid_fn: Callable[[], float], *,
                         epochs: int, lr: float, weight_decay: float, patience: int | None, desc: str,
                         progress: bool, timer: Timer | None, ties: bool = False
                         ) -> tuple[nn.Module, list[dict], int]:
    """Full-batch Adam on ``loss_fn(epoch)`` (train mode), keeping the state of best ``valid_fn()`` (eval mode).

    ``valid_fn`` runs under ``torch.no_grad``; ``ties``: an equal validation value
    also counts as an improvement (see :class:`EarlyStopping`). The best state is
    restored and the model left in eval mode. Returns ``(model, history, best_epoch)``,
    ``history`` one ``{"epoch", "loss", "valid_accuracy"}`` dict per epoch run.
    """
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    stopper = EarlyStopping(patience, mode="max", ties=ties)
    history = []
    bar = tqdm(range(epochs), desc=desc, disable=not progress, leave=False, mininterval=0.5)
    for epoch in bar:
        with timer.epoch() if timer is not None else nullcontext():
            model.train()
            opt.zero_grad()
            loss = loss_fn(epoch)
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            val = valid_fn()
        history.append({"epoch": epoch, "loss": float(loss.detach()), "valid_accuracy": val})
        bar.set_postfix(loss=f"{history[-1]['loss']:.4f}", val=f"{val:.4f}")
        if stopper.step(val, model, epoch):
            break
    stopper.restore(model)
    model.eval()
    return model, history, stopper.best_epoch
