"""What node-classification procedures share: input checks, the seeded per-class split, scores.

Model interface: ``model(x, edge_index) -> logits [N, C]``. Single-label
targets ``y [N]`` use cross-entropy and report accuracy; multi-label targets
``y [N, L]`` (0/1) use binary cross-entropy and report micro- and macro-F1.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.data import Data

from graphkit import metrics
from graphkit._validation import check_edge_index, check_features
from graphkit.datasets.node_splits import per_class_split

__all__ = ["check_node_data", "node_loss", "node_scores", "with_per_class_split"]


def check_node_data(data: Data, *, needs_graph: bool = True) -> None:
    """Validate what node classification needs: x, y, the three masks and (``needs_graph``) edge_index."""
    if getattr(data, "x", None) is None:
        raise ValueError("node classification needs node features data.x")
    n = data.num_nodes
    check_features(data.x, n, name="data.x")
    if needs_graph:
        if getattr(data, "edge_index", None) is None:
            raise ValueError("this model needs a graph: data.edge_index is missing")
        check_edge_index(data.edge_index, n, name="data.edge_index")
    if getattr(data, "y", None) is None or data.y.size(0) != n:
        raise ValueError(f"data.y must have one target per node ({n})")
    for mask in ("train_mask", "val_mask", "test_mask"):
        m = getattr(data, mask, None)
        if m is None or m.dtype != torch.bool or m.shape != (n,):
            raise ValueError(f"data.{mask} must be a bool tensor of shape [{n}]")
        if not bool(m.any()):
            raise ValueError(f"data.{mask} selects no node")


def with_per_class_split(data: Data, train_per_class: int | None, val_per_class: int | None, *, seed: int) -> Data:
    """``data`` with a seeded ``train_per_class`` / ``val_per_class`` / rest split (a shallow copy), or as is."""
    if train_per_class is None:
        return data
    if val_per_class is None:
        raise ValueError("train_per_class needs val_per_class (validation nodes per class) as well")
    train, val, test = per_class_split(data.y, train_per_class, val_per_class=val_per_class, seed=seed)
    out = Data(**{k: v for k, v in data.items()})
    out.train_mask, out.val_mask, out.test_mask = train, val, test
    return out


def node_loss(logits: Tensor, target: Tensor) -> Tensor:
    """Cross-entropy for ``[B]`` class targets, binary cross-entropy for ``[B, L]`` 0/1 targets."""
    if target.dim() == 2:
        return F.binary_cross_entropy_with_logits(logits, target.float())
    return F.cross_entropy(logits, target)


def node_scores(logits: Tensor, y: Tensor) -> dict[str, float]:
    """``accuracy`` (single-label) or ``micro_f1`` and ``macro_f1`` (multi-label)."""
    if y.dim() == 2:
        pred = (logits > 0).long()
        return {"micro_f1": metrics.f1_score(pred, y.long(), average="micro"),
                "macro_f1": metrics.f1_score(pred, y.long(), average="macro")}
    return {"accuracy": metrics.accuracy(logits, y)}
