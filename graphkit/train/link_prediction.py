"""Link prediction: mini-batches of training positives, uniform negatives, OGB metrics.

Model interface (see :mod:`graphkit.models.gae`):

- ``model.encode(x, edge_index) -> h`` over the message-passing graph;
- ``model.score(h, edge_index, edge_label_index) -> logits [B]``.

Each epoch draws one uniform negative per training positive (pairs that are
not training edges, from a seeded generator), shuffles, and minimises
:math:`-\\log\\sigma(s^+) - \\log\\sigma(-s^-)`. Evaluation encodes once over
the stage's graph (``LinkSplit.graph_for``: ogbl-collab adds validation edges
at test time) and scores the pairs in chunks. The test metric is that of the
epoch with the best validation metric.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from tqdm.auto import tqdm

from graphkit import metrics
from graphkit.datasets.splits import LinkSplit
from graphkit.ops.negative_sampling import sample_negatives
from graphkit.train.batching import batched_scores, iter_batches
from graphkit.train.early_stopping import EarlyStopping
from graphkit.train.result import RunResult
from graphkit.train.timing import Timer


def split_metric(split: LinkSplit, metric: str, pos_scores: Tensor, neg_scores: Tensor) -> float:
    """``metric`` of a stage's scores; per-positive negatives (``split.neg_per_positive``, e.g. MRR on
    ogbl-citation2) are grouped by their positive first."""
    if split.neg_per_positive is not None:
        neg_scores = neg_scores.view(pos_scores.numel(), split.neg_per_positive)
    return metrics.link_metric(metric, pos_scores, neg_scores)


@torch.no_grad()
def evaluate_link(model: nn.Module, split: LinkSplit, stage: str, metric: str, *,
                  batch_size: int = 65536, device: torch.device | str = "cpu") -> float:
    """``metric`` (e.g. ``'hits@100'``, ``'mrr'``) of ``model`` on ``stage``'s pairs."""
    device = torch.device(device)
    model.eval()
    graph = split.graph_for(stage).to(device)
    x = None if split.x is None else split.x.to(device)
    h = model.encode(x, graph)
    pos, neg = (p.to(device) for p in split.pairs(stage))

    def score(pairs):
        return model.score(h, graph, pairs)

    return split_metric(split, metric, batched_scores(score, pos, batch_size), batched_scores(score, neg, batch_size))


def train_link_predictor(
    model: nn.Module,
    split: LinkSplit,
    *,
    epochs: int = 100,
    lr: float = 0.01,
    batch_size: int = 65536,
    metric: str = "hits@100",
    patience: int | None = None,
    eval_every: int = 1,
    seed: int = 0,
    device: torch.device | str = "cpu",
    progress: bool = False,
) -> RunResult:
    """Train ``model`` on ``split.train_pos``; select on the validation ``metric``.

    Args:
        model: a link model with ``encode`` and ``score``.
        split: the :class:`~graphkit.datasets.LinkSplit`.
        epochs: maximum number of epochs.
        lr: Adam learning rate.
        batch_size: training positives per step (and scoring chunk size).
        metric: validation/test metric name, as :func:`graphkit.metrics.link_metric` accepts.
        patience: evaluations without improvement before stopping (``None``: never).
        eval_every: evaluate every this many epochs (and at the last one).
        seed: seeds shuffling and negative sampling.
        device: where to train.
        progress: show a tqdm bar.
    """
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    if eval_every < 1:
        raise ValueError(f"eval_every must be >= 1, got {eval_every}")
    metrics.link_metric(metric, torch.ones(1), torch.zeros(1))  # fail fast on a bad metric name
    device = torch.device(device)
    model = model.to(device)
    gen = torch.Generator().manual_seed(seed)
    x = None if split.x is None else split.x.to(device)
    graph = split.edge_index.to(device)
    train_pos = split.train_pos.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    stopper = EarlyStopping(patience, mode="max")
    timer = Timer(device)
    history = []
    bar = tqdm(range(epochs), desc=type(model).__name__, disable=not progress, leave=False, mininterval=0.5)
    for epoch in bar:
        with timer.epoch():
            model.train()
            neg_all = sample_negatives(split.num_nodes, train_pos.size(1), exclude=split.train_pos,
                                       generator=gen).to(device)
            total = 0.0
            for idx in iter_batches(train_pos.size(1), batch_size, shuffle=True, generator=gen, device=device):
                opt.zero_grad()
                h = model.encode(x, graph)
                pos_out = model.score(h, graph, train_pos[:, idx])
                neg_out = model.score(h, graph, neg_all[:, idx[idx < neg_all.size(1)]])
                loss = -F.logsigmoid(pos_out).mean() - F.logsigmoid(-neg_out).mean()
                loss.backward()
                opt.step()
                total += loss.item() * idx.numel()
            loss_epoch = total / max(train_pos.size(1), 1)
        if (epoch + 1) % eval_every and epoch + 1 != epochs:
            continue
        val = evaluate_link(model, split, "valid", metric, batch_size=batch_size, device=device)
        history.append({"epoch": epoch, "loss": loss_epoch, f"valid_{metric}": val})
        bar.set_postfix(loss=f"{loss_epoch:.4f}", val=f"{val:.4f}")
        if stopper.step(val, model, epoch):
            break
    stopper.restore(model)
    with timer.inference():
        test = evaluate_link(model, split, "test", metric, batch_size=batch_size, device=device)
    return RunResult({f"valid_{metric}": stopper.best, f"test_{metric}": test}, timer.summary(),
                     stopper.best_epoch, len(history), history=history)
