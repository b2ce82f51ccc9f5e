r"""What link-prediction procedures share: the split, the metric, the per-epoch batches, the loss, evaluation.

Model interface (every link model in graphkit: :class:`~graphkit.models.gae.GAE`,
:class:`~graphkit.models.ncn.NCN`, :class:`~graphkit.models.ncn.NCNC`):

- ``model.encode(x, edge_index) -> h`` over the message-passing graph;
- ``model.score(h, edge_index, edge_label_index) -> logits [B]``.

The procedures (``fit_link_predictor`` in :mod:`graphkit.models.gae`,
``fit_ncn`` in :mod:`graphkit.models.ncn`) run on
:func:`graphkit.train.loop.run_epochs` with these pieces:

- :func:`link_split`: a ``LinkSplit`` as given, or a node data set's seeded
  random split (NCN's Planetoid protocol: 70/10/20, redrawn per seed);
- :func:`resolve_metric`: the configured metric, else the split's own (OGB),
  else ``'hits@100'``;
- :func:`link_batches`: per epoch, one uniform negative per training positive
  (pairs that are not training edges) and a shuffled order of the positives,
  both from one seeded generator, then the mini-batches;
- :func:`link_loss`: :math:`-\frac{1}{B}\sum\log\sigma(s^+) - \frac{1}{B}\sum\log\sigma(-s^-)`;
- :func:`evaluate_link`: encode once over the stage's graph
  (``LinkSplit.graph_for``: ogbl-collab adds validation edges at test time) and
  score the stage's pairs in chunks; :func:`split_metric` groups per-positive
  negatives (MRR) first.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.data import Data

from graphkit import distributed, metrics
from graphkit.datasets.splits import LinkSplit, random_link_split
from graphkit.ops.negative_sampling import sample_negatives
from graphkit.train.batching import batched_scores, iter_batches
from graphkit.train.config import config_error

__all__ = ["DEFAULT_METRIC", "check_link_config", "link_split", "resolve_metric", "link_batches", "link_loss", "shard_pairs",
           "split_metric",
           "evaluate_link"]

#: The metric of node data sets (NCN's Planetoid protocol) and of splits that name none.
DEFAULT_METRIC = "hits@100"


def link_split(data: Data | LinkSplit, *, val_ratio: float, test_ratio: float, seed: int) -> LinkSplit:
    """``data`` itself when it is a :class:`LinkSplit`, else its random edge split seeded by ``seed``.

    A node data set (a PyG ``Data`` with an undirected ``edge_index``) gets
    :func:`graphkit.datasets.splits.random_link_split` with ``val_ratio`` /
    ``test_ratio`` of the undirected edges.
    """
    if isinstance(data, LinkSplit):
        return _check_split(data, "the LinkSplit")
    if not isinstance(data, Data):
        raise TypeError(f"link prediction needs a LinkSplit or a PyG Data with edge_index, got "
                        f"{type(data).__name__}; load one with graphkit.datasets.load(name)")
    if getattr(data, "edge_index", None) is None:
        raise ValueError("link prediction needs a graph: data.edge_index is missing")
    split = random_link_split(data, val_ratio=val_ratio, test_ratio=test_ratio, seed=seed)
    return _check_split(split, f"the random split (val_ratio={val_ratio}, test_ratio={test_ratio}) of "
                               f"{split.train_pos.size(1) + split.valid_pos.size(1) + split.test_pos.size(1)} "
                               f"undirected edges")


def _check_split(split: LinkSplit, what: str) -> LinkSplit:
    """Every stage the procedures use has pairs: training positives, validation and test positives and negatives."""
    for name in ("train_pos", "valid_pos", "valid_neg", "test_pos", "test_neg"):
        if getattr(split, name).size(1) == 0:
            raise ValueError(f"{what} has no {name.replace('_', ' ').replace('pos', 'positives').replace('neg', 'negatives')}"
                             f" ({name} is empty): the graph has too few edges for this split; raise val_ratio / "
                             f"test_ratio in the config or use a larger graph")
    return split


def check_link_config(config) -> None:
    """Range checks of the keys every link config shares: ``metric`` (a known name or ``None``),
    ``val_ratio`` and ``test_ratio``; raises a one-line ``ValueError`` naming the config class."""
    if config.metric is not None:
        try:
            metrics.parse_link_metric(config.metric)
        except ValueError as exc:
            raise config_error(config.__class__, f"metric={config.metric!r}: {exc}") from None
    ratios = config.val_ratio, config.test_ratio
    if not (0 <= ratios[0] < 1 and 0 <= ratios[1] < 1 and sum(ratios) < 1):
        raise config_error(config.__class__, f"val_ratio and test_ratio must be in [0, 1) with a sum below 1, "
                                             f"got {ratios[0]}, {ratios[1]}")


def resolve_metric(split: LinkSplit, metric: str | None) -> str:
    """``metric`` when given, else the split's own (``split.extra['metric']``, OGB), else ``'hits@100'``.

    Raises ``ValueError`` for a name :func:`graphkit.metrics.link_metric` does not know, and
    warns (:class:`graphkit.metrics.MeaninglessMetricWarning`) when ``hits@K`` meets a stage
    with at most ``K`` negatives (per positive): its value would say nothing.
    """
    name = metric or split.extra.get("metric") or DEFAULT_METRIC
    kind, k = metrics.parse_link_metric(name)  # fail fast on a bad metric name
    if kind == "hits":
        for stage in ("valid", "test"):
            pos, neg = split.pairs(stage)
            pool = split.neg_per_positive or neg.size(1)
            if pos.size(1) and pool <= k:
                metrics.warn_meaningless_hits(k, pool, f"the {stage} split has {pool}: set metric='hits@N' with "
                                                       f"N < {pool} in the config, or use a larger graph")
                break
    return name


def link_batches(train_pos: Tensor, num_nodes: int, batch_size: int, *, generator: torch.Generator,
                 exclude: Tensor | None = None, drop_last: bool = False, max_steps: int | None = None,
                 device: torch.device | str | None = None) -> Iterator[tuple[Tensor, Tensor, Tensor]]:
    """One epoch of link mini-batches: ``(index, positives [2, b], negatives [2, b'])`` per step.

    Draws, in this order, from ``generator``: ``P`` uniform negatives (pairs not
    in ``exclude``, both orientations excluded) and a permutation of the ``P``
    positives; step ``s`` takes the positives ``index = order[s*B:(s+1)*B]`` and
    the negatives at the same positions (``b' < b`` only if fewer than ``P``
    negatives could be drawn on a near-complete graph).

    Args:
        train_pos: ``[2, P]`` training positives on ``device``.
        num_nodes: ``N``.
        batch_size: positives per step ``B``.
        generator: the seeded CPU generator of negatives and order.
        exclude: pairs the negatives avoid (default: ``train_pos``).
        drop_last: drop the last incomplete batch unless it is the only one.
        max_steps: stop after this many steps (a benchmarking knob; ``None``: all).
        device: where the batches live.
    """
    num = train_pos.size(1)
    exclude = train_pos if exclude is None else exclude
    negatives = sample_negatives(num_nodes, num, exclude=exclude, generator=generator).to(device)
    for step, index in enumerate(iter_batches(num, batch_size, shuffle=True, drop_last=drop_last,
                                              generator=generator, device=device)):
        if max_steps is not None and step >= max_steps:
            return
        yield index, train_pos[:, index], negatives[:, index[index < negatives.size(1)]]


def link_loss(pos_out: Tensor, neg_out: Tensor) -> Tensor:
    r""":math:`-\mathrm{mean}\log\sigma(s^+) - \mathrm{mean}\log\sigma(-s^-)` of positive and negative logits."""
    return -F.logsigmoid(pos_out).mean() - F.logsigmoid(-neg_out).mean()


def shard_pairs(pos: Tensor, neg: Tensor) -> tuple[Tensor, Tensor, float]:
    """This rank's part of a batch's positives ``[2, b]`` and negatives ``[2, b']`` and its loss factor.

    Under a process group (:mod:`graphkit.distributed`) every rank draws the same
    global batch and keeps its contiguous part; :func:`link_loss` of the parts times
    the factor ``p * b_r / b`` averages over the ranks to the full batch's loss
    gradient. With one process: ``(pos, neg, 1.0)``.
    """
    if not distributed.is_distributed():
        return pos, neg, 1.0
    local = distributed.shard(pos, dim=1)
    return local, distributed.shard(neg, dim=1), distributed.share(local.size(1), pos.size(1))


def split_metric(split: LinkSplit, metric: str, pos_scores: Tensor, neg_scores: Tensor) -> float:
    """``metric`` of a stage's scores; per-positive negatives (``split.neg_per_positive``, e.g. MRR on
    ogbl-citation2) are grouped by their positive first."""
    if split.neg_per_positive is not None:
        neg_scores = neg_scores.view(pos_scores.numel(), split.neg_per_positive)
    return metrics.link_metric(metric, pos_scores, neg_scores)


@torch.no_grad()
def evaluate_link(model: nn.Module, split: LinkSplit, stage: str, metric: str, *,
                  batch_size: int | None = 65536, device: torch.device | str = "cpu", graph=None) -> float:
    """``metric`` (e.g. ``'hits@100'``, ``'mrr'``) of ``model`` on ``stage``'s pairs, in eval mode.

    Args:
        model: a link model (``encode`` / ``score``).
        split: the :class:`LinkSplit`.
        stage: ``'valid'`` or ``'test'``.
        metric: as :func:`graphkit.metrics.link_metric` accepts.
        batch_size: pairs per scoring call; ``None``: one call (the model bounds its own memory).
        device: where to score.
        graph: the message-passing graph to use instead of ``split.graph_for(stage)``
            (e.g. a prebuilt adjacency on ``device``).
    """
    device = torch.device(device)
    model.eval()
    graph = split.graph_for(stage).to(device) if graph is None else graph
    x = None if split.x is None else split.x.to(device)
    h = model.encode(x, graph)
    pos, neg = (p.to(device) for p in split.pairs(stage))

    def score(pairs):
        return model.score(h, graph, pairs)

    return split_metric(split, metric, batched_scores(score, pos, batch_size), batched_scores(score, neg, batch_size))
