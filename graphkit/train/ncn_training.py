r"""NCN / NCNC's own training procedure (official ``NeighborOverlap.py``: ``train`` / ``test`` / ``main``).

Per epoch: one uniform negative per training positive (pairs that are not
training edges), a random permutation of the positives in batches of
``batch_size`` (the last incomplete batch is dropped, as the official
``PermIterator``), and per step:

1. **Target-link removal** (``--maskinput``, ``target_link_removal=True``): the
   adjacency is the training graph minus the batch's positives, symmetrised
   (:class:`graphkit.nn.common_neighbor_pooling.TargetLinkRemoval`); it feeds
   the MPNN and the common-neighbour sets of both the positive and the
   negative batch.
2. ``h = encoder(x, adj)``, loss :math:`-\log\sigma(s^+) - \log\sigma(-s^-)`,
   one Adam step with separate learning rates for the encoder (``gnn_lr``) and
   the predictor (``predictor_lr``).

Evaluation: validation pairs on the training graph; test pairs on
``LinkSplit.graph_for('test')`` (ogbl-collab: training + validation edges).
Model selection is the epoch with the best validation metric (strictly
better, as the official code); its test metric is reported. The official code
scores the test set every epoch and keeps the one at the best validation
epoch; we keep the best state and score the test set once — the same number.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from graphkit import metrics
from graphkit.datasets.splits import LinkSplit
from graphkit.nn.common_neighbor_pooling import TargetLinkRemoval, symmetric_csr
from graphkit.ops.negative_sampling import sample_negatives
from graphkit.train.early_stopping import EarlyStopping
from graphkit.train.link_prediction import split_metric
from graphkit.train.result import RunResult
from graphkit.train.timing import Timer

__all__ = ["train_ncn", "evaluate_ncn", "split_adjacencies"]


def split_adjacencies(split: LinkSplit, device) -> dict:
    """Symmetric CSR adjacencies of the training graph and the test-time graph of ``split``."""
    train = symmetric_csr(split.edge_index.to(device), split.num_nodes, check=False)
    test_ei = split.graph_for("test")
    test = train if test_ei is split.edge_index else symmetric_csr(test_ei.to(device), split.num_nodes, check=False)
    return {"valid": train, "test": test, "train": train}


@torch.no_grad()
def evaluate_ncn(model: nn.Module, split: LinkSplit, stage: str, metric: str, *, adjacency=None,
                 device: torch.device | str = "cpu") -> float:
    """``metric`` of ``model`` (an :class:`~graphkit.models.ncn.NCN`) on ``stage``'s pairs.

    Scoring is chunked by common-neighbour work (``model.predictor.max_cn_entries``),
    so memory does not grow with the number of evaluation pairs.
    """
    device = torch.device(device)
    model.eval()
    adj = adjacency if adjacency is not None else split_adjacencies(split, device)[stage]
    x = None if split.x is None else split.x.to(device)
    h = model.encode(x, adj)
    pos, neg = (p.to(device) for p in split.pairs(stage))
    return split_metric(split, metric, model.score(h, adj, pos), model.score(h, adj, neg))


def train_ncn(
    model: nn.Module,
    split: LinkSplit,
    *,
    epochs: int = 100,
    batch_size: int = 1152,
    gnn_lr: float = 0.0043,
    predictor_lr: float = 0.0024,
    target_link_removal: bool = True,
    metric: str = "hits@100",
    eval_every: int = 1,
    grad_clip: float | None = None,
    drop_last: bool = True,
    seed: int = 0,
    device: torch.device | str = "cpu",
    progress: bool = False,
) -> RunResult:
    """Train an :class:`~graphkit.models.ncn.NCN` / ``NCNC`` with the official procedure.

    Args:
        model: ``NCN`` or ``NCNC`` (anything with ``encoder``, ``predictor``, ``encode``, ``score``).
        split: the :class:`~graphkit.datasets.LinkSplit`.
        epochs: training epochs (the official code has no early stopping).
        batch_size: training positives per step (``--batch_size``).
        gnn_lr, predictor_lr: Adam learning rates (``--gnnlr``, ``--prelr``);
            ``gnn_lr=0`` freezes the encoder (the official NCNC-on-ddi recipe).
        target_link_removal: remove the batch's positives from the graph (``--maskinput``).
        metric: validation/test metric (e.g. ``'hits@100'``, ``'hits@20'``, ``'mrr'``).
        eval_every: validate every this many epochs (and after the last).
        grad_clip: clip the gradient norm (citation2's recipe), ``None``: off.
        drop_last: drop the last incomplete batch (official behaviour).
        seed: seeds the negatives and the batch order (dropout uses torch's
            global RNG, seeded by the caller, e.g. ``seed_everything``).
    """
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if eval_every < 1:
        raise ValueError(f"eval_every must be >= 1, got {eval_every}")
    if not (hasattr(model, "encoder") and hasattr(model, "predictor")):
        raise TypeError(f"train_ncn needs an NCN/NCNC model (encoder + predictor), got {type(model).__name__}")
    metrics.link_metric(metric, torch.ones(1), torch.zeros(1))  # fail fast on a bad metric name
    device = torch.device(device)
    model = model.to(device)
    gen = torch.Generator().manual_seed(seed)
    x = None if split.x is None else split.x.to(device)
    train_pos = split.train_pos.to(device)
    num_train = train_pos.size(1)
    if num_train == 0:
        raise ValueError("the split has no training positives")
    tlr = TargetLinkRemoval(train_pos, split.num_nodes)
    adjs = split_adjacencies(split, device)
    groups = [{"params": list(model.encoder.parameters()), "lr": gnn_lr},
              {"params": list(model.predictor.parameters()), "lr": predictor_lr}]
    opt = torch.optim.Adam(groups)
    stopper = EarlyStopping(None, mode="max")
    timer = Timer(device)
    history = []
    bar = tqdm(range(epochs), desc=type(model).__name__, disable=not progress, leave=False, mininterval=0.5)
    for epoch in bar:
        with timer.epoch():
            model.train()
            neg_all = sample_negatives(split.num_nodes, num_train, exclude=split.train_pos, generator=gen).to(device)
            order = torch.randperm(num_train, generator=gen).to(device)
            steps = num_train // batch_size if drop_last and num_train >= batch_size else -(-num_train // batch_size)
            total, seen = 0.0, 0
            for s in range(steps):
                perm = order[s * batch_size:(s + 1) * batch_size]
                opt.zero_grad()
                adj = tlr.without(perm) if target_link_removal else adjs["train"]
                h = model.encoder(x, adj)
                pos_out = model.predictor(h, adj, train_pos[:, perm])
                neg_out = model.predictor(h, adj, neg_all[:, perm[perm < neg_all.size(1)]])
                loss = -F.logsigmoid(pos_out).mean() - F.logsigmoid(-neg_out).mean()
                loss.backward()
                if grad_clip is not None:
                    nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
                opt.step()
                total += loss.item() * perm.numel()
                seen += perm.numel()
            loss_epoch = total / max(seen, 1)
        if (epoch + 1) % eval_every and epoch + 1 != epochs:
            continue
        val = evaluate_ncn(model, split, "valid", metric, adjacency=adjs["valid"], device=device)
        history.append({"epoch": epoch, "loss": loss_epoch, f"valid_{metric}": val})
        bar.set_postfix(loss=f"{loss_epoch:.4f}", val=f"{val:.4f}")
        stopper.step(val, model, epoch)
    stopper.restore(model)
    with timer.inference():
        test = evaluate_ncn(model, split, "test", metric, adjacency=adjs["test"], device=device)
    return RunResult({f"valid_{metric}": stopper.best, f"test_{metric}": test}, timer.summary(),
                     stopper.best_epoch, len(history), history=history)
