"""Full-batch node classification: train on ``train_mask``, select on ``val_mask``.

Model interface: ``model(x, edge_index) -> logits [N, C]``. Single-label
targets ``y [N]`` use cross-entropy and report accuracy; multi-label targets
``y [N, L]`` (0/1) use binary cross-entropy and report micro- and macro-F1.
The test metric is that of the epoch with the best validation metric.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch_geometric.data import Data
from tqdm.auto import tqdm

from graphkit import metrics
from graphkit._validation import check_edge_index, check_features
from graphkit.train.early_stopping import EarlyStopping
from graphkit.train.result import RunResult
from graphkit.train.timing import Timer


def check_node_data(data: Data) -> None:
    """Validate what the loop needs: x, edge_index, y and the three masks."""
    if getattr(data, "x", None) is None:
        raise ValueError("node classification needs node features data.x")
    n = data.num_nodes
    check_features(data.x, n, name="data.x")
    check_edge_index(data.edge_index, n, name="data.edge_index")
    if getattr(data, "y", None) is None or data.y.size(0) != n:
        raise ValueError(f"data.y must have one target per node ({n})")
    for mask in ("train_mask", "val_mask", "test_mask"):
        m = getattr(data, mask, None)
        if m is None or m.dtype != torch.bool or m.shape != (n,):
            raise ValueError(f"data.{mask} must be a bool tensor of shape [{n}]")
        if not bool(m.any()):
            raise ValueError(f"data.{mask} selects no node")


def _scores(logits: torch.Tensor, y: torch.Tensor, multilabel: bool) -> dict[str, float]:
    if multilabel:
        pred = (logits > 0).long()
        return {"micro_f1": metrics.f1_score(pred, y.long(), average="micro"),
                "macro_f1": metrics.f1_score(pred, y.long(), average="macro")}
    return {"accuracy": metrics.accuracy(logits, y)}


def train_node_classifier(
    model: nn.Module,
    data: Data,
    *,
    epochs: int = 200,
    lr: float = 0.01,
    weight_decay: float = 5e-4,
    patience: int | None = None,
    device: torch.device | str = "cpu",
    progress: bool = False,
) -> RunResult:
    """Train ``model`` full-batch with Adam; return validation-selected metrics.

    Args:
        model: ``model(x, edge_index) -> logits``.
        data: PyG ``Data`` with ``x``, ``edge_index``, ``y`` and masks.
        epochs: maximum number of epochs.
        lr, weight_decay: Adam settings.
        patience: stop after this many epochs without a better validation
            metric (``None``: run all epochs). The best state is restored.
        device: where to train.
        progress: show a tqdm bar.
    """
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    check_node_data(data)
    multilabel = data.y.dim() == 2
    select = "micro_f1" if multilabel else "accuracy"
    device = torch.device(device)
    model = model.to(device)
    x, edge_index, y = data.x.to(device), data.edge_index.to(device), data.y.to(device)
    masks = {s: getattr(data, f"{s}_mask").to(device) for s in ("train", "val", "test")}
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    stopper = EarlyStopping(patience, mode="max")
    timer = Timer(device)
    history = []
    bar = tqdm(range(epochs), desc=type(model).__name__, disable=not progress, leave=False, mininterval=0.5)
    for epoch in bar:
        with timer.epoch():
            model.train()
            opt.zero_grad()
            out = model(x, edge_index)[masks["train"]]
            target = y[masks["train"]]
            loss = (F.binary_cross_entropy_with_logits(out, target.float()) if multilabel
                    else F.cross_entropy(out, target))
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            logits = model(x, edge_index)
        val = _scores(logits[masks["val"]], y[masks["val"]], multilabel)[select]
        loss_value = loss.item()
        history.append({"epoch": epoch, "loss": loss_value, f"valid_{select}": val})
        bar.set_postfix(loss=f"{loss_value:.4f}", val=f"{val:.4f}")
        if stopper.step(val, model, epoch):
            break
    stopper.restore(model)
    model.eval()
    with torch.no_grad(), timer.inference():
        logits = model(x, edge_index)
    result = {}
    for stage, key in (("val", "valid"), ("test", "test")):
        for name, value in _scores(logits[masks[stage]], y[masks[stage]], multilabel).items():
            result[f"{key}_{name}"] = value
    return RunResult(result, timer.summary(), stopper.best_epoch, len(history), history=history)
