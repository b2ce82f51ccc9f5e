r"""DAGNN: "Towards Deeper Graph Neural Networks" (Liu, Gao & Ji, KDD 2020, https://arxiv.org/abs/2007.09296).

The model, :class:`DAGNN`, decouples the transformation from the propagation:

.. math::
    Z = \mathrm{Lin}_2\bigl(\mathrm{Drop}(\mathrm{ReLU}(\mathrm{Lin}_1(\mathrm{Drop}(X))))\bigr),\quad
    H^{(0)} = Z,\quad H^{(k)} = \hat A H^{(k-1)},\quad
    \hat A = \tilde D^{-1/2}(A + I)\tilde D^{-1/2}

    s_{vk} = \sigma(h^{(k)}_v w + b),\qquad
    \mathrm{out}_v = \sum_{k=0}^{K} s_{vk}\, h^{(k)}_v

as the official code (divelab/DeeperGNN ``dagnn.py``) computes it: the bias of
the retainment projection is kept and the scores are not normalised. The
logits are returned (the official ``log_softmax`` + NLL equals cross-entropy).
The propagation is the fixed operator :class:`graphkit.ops.propagate.HopPropagator`
and the adjustment :class:`graphkit.nn.adaptive_hops.AdaptiveHopAdjustment`.

The method's procedure, :func:`fit_dagnn`, is the official ``train_eval.py``
protocol (see its docstring), and :class:`DAGNNConfig` holds the official
per-data-set settings (``run.sh``).

Build, fit, predict::

    >>> from graphkit import datasets
    >>> from graphkit.models.dagnn import DAGNN, DAGNNConfig, fit_dagnn
    >>> data = datasets.load("csbm", num_nodes=300, seed=0)
    >>> config = DAGNNConfig.for_dataset("csbm").replace(epochs=5)
    >>> model = DAGNN.from_config(config, data)
    >>> result = fit_dagnn(model, data, config, progress=False)
    >>> result.model is model, sorted(result.metrics)
    (True, ['test_accuracy', 'valid_accuracy'])
    >>> pred = model(result.features, data.edge_index).argmax(-1)
    >>> tuple(pred.shape)
    (300,)
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.data import Data

from graphkit import distributed, metrics
from graphkit._validation import (
    check_bool,
    check_dropout,
    check_edge_index,
    check_features,
    check_int,
    param_dtype,
)
from graphkit.datasets.node_splits import per_class_split
from graphkit.models.procedure import graph_info, procedure
from graphkit.nn.adaptive_hops import AdaptiveHopAdjustment
from graphkit.nn.model import Model, reinitialize
from graphkit.ops import components
from graphkit.ops.csr import CSR
from graphkit.ops.normalize import sym_norm
from graphkit.ops.propagate import HopPropagator, iter_hops
from graphkit.ops.rows import dropout_features, normalize_row_sums, to_sparse_rows
from graphkit.train.config import Config, Preset, config_error
from graphkit.train.loop import Selection, run_epochs
from graphkit.train.node_classification import check_node_inputs, sharded_cross_entropy
from graphkit.train.result import FitResult
from graphkit.train.timing import Timer

__all__ = ["DAGNN", "DAGNNConfig", "fit_dagnn", "official_early_stop", "random_split_for_seed"]


class DAGNN(Model):
    r"""DAGNN, "Towards Deeper Graph Neural Networks" (Liu, Gao & Ji, KDD 2020, https://arxiv.org/abs/2007.09296).

    An MLP, then :math:`K` hops of parameter-free propagation, then an adaptive
    per-node, per-hop combination:

    .. math::
        Z = \mathrm{Lin}_2\bigl(\mathrm{Drop}(\mathrm{ReLU}(\mathrm{BN}(\mathrm{Lin}_1(\mathrm{Drop}(X)))))\bigr)
        \in \mathbb R^{N \times C}

        H^{(0)} = Z,\qquad H^{(k)} = \hat A H^{(k-1)}\ (k = 1..K),\qquad
        \hat A = \tilde D^{-1/2}(A + I)\tilde D^{-1/2}

        s_{vk} = \sigma\bigl(h^{(k)}_v w + b\bigr),\qquad
        \mathrm{out}_v = \sum_{k=0}^{K} s_{vk}\, h^{(k)}_v

    The transformation has all the parameters; the propagation has none (it is
    :class:`graphkit.ops.propagate.HopPropagator`, one sparse product per hop
    with a transposed backward built once); the adjustment learns only
    :math:`w \in \mathbb R^C` and :math:`b`
    (:class:`graphkit.nn.adaptive_hops.AdaptiveHopAdjustment`). As the official
    code, the bias :math:`b` is kept, the scores are not normalised over hops,
    and :math:`\mathrm{BN}` is only in the ogbn-arxiv variant (:meth:`ogbn_arxiv`).

    Args:
        in_channels: :math:`F`, input feature size.
        hidden_channels: hidden size of the transformation MLP (paper: 64; ogbn-arxiv: 256).
        out_channels: :math:`C`, number of classes.
        num_hops: :math:`K \geq 0` propagation steps (paper: 10 on Cora/CiteSeer,
            20 on PubMed, 5 on Coauthor/Amazon, 16 on ogbn-arxiv). (default: ``10``)
        dropout: dropout before each linear layer (paper: 0.5 or 0.8). (default: ``0.5``)
        input_dropout: apply dropout to the input features (the ogbn-arxiv variant
            has none). (default: ``True``)
        batch_norm: BatchNorm after the first linear layer (the ogbn-arxiv variant).
            (default: ``False``)
        cached: normalise the adjacency at the first call and reuse it
            (transductive use, like PyG's ``GCNConv(cached=True)``). (default: ``False``)

    Shapes:
        - x: :math:`[N, F]`, dense or ``torch.sparse_csr`` (bag-of-words input:
          sparse input dropout and a sparse product, same math)
        - edge_index: :math:`[2, E]`, or instead ``adj=``: a normalised
          :class:`graphkit.ops.CSR` or a :class:`~graphkit.ops.propagate.HopPropagator`
        - output: :math:`[N, C]` logits; with ``return_scores=True`` also the
          scores :math:`[N, K + 1]`

    Example::

        >>> import torch
        >>> model = DAGNN(16, 8, 3, num_hops=4)
        >>> edge_index = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])
        >>> logits, scores = model(torch.randn(5, 16), edge_index, return_scores=True)
        >>> tuple(logits.shape), tuple(scores.shape)
        ((5, 3), (5, 5))
    """

    def __init__(self, in_channels: int, hidden_channels: int, out_channels: int, num_hops: int = 10, *,
                 dropout: float = 0.5, input_dropout: bool = True, batch_norm: bool = False,
                 cached: bool = False):
        super().__init__()
        self.in_channels = check_int("in_channels", in_channels, minimum=1)
        self.hidden_channels = check_int("hidden_channels", hidden_channels, minimum=1)
        self.out_channels = check_int("out_channels", out_channels, minimum=1)
        self.num_hops = check_int("num_hops", num_hops, minimum=0)
        self.dropout = check_dropout("dropout", dropout)
        self.input_dropout = check_bool("input_dropout", input_dropout)
        self.cached = check_bool("cached", cached)
        self.lin1 = nn.Linear(in_channels, hidden_channels)
        self.bn = nn.BatchNorm1d(hidden_channels) if check_bool("batch_norm", batch_norm) else None
        self.lin2 = nn.Linear(hidden_channels, out_channels)
        self.adjust = AdaptiveHopAdjustment(out_channels, bias=True)
        self._cached_adj: HopPropagator | None = None

    @classmethod
    def from_config(cls, config: DAGNNConfig, data) -> DAGNN:
        """The model ``config`` describes, sized for ``data`` (a ``Data`` or :class:`~graphkit.models.procedure.GraphInfo`)."""
        info = graph_info(data)
        if info.num_features < 1:
            raise ValueError("DAGNN needs node features data.x; this data set has none")
        if info.num_classes < 1 or info.multilabel:
            raise ValueError("DAGNN needs single-label targets data.y of shape [N] to size its output")
        return cls(info.num_features, config.hidden_channels, info.num_classes, config.num_hops,
                   dropout=config.dropout, input_dropout=config.input_dropout, batch_norm=config.batch_norm)

    @classmethod
    def ogbn_arxiv(cls, in_channels: int = 128, out_channels: int = 40, **kwargs) -> DAGNN:
        """The official ogbn-arxiv variant (``main_ogbnarxiv.py``): hidden 256, K 16, dropout 0.2, BatchNorm, no input dropout.

        ``kwargs`` override any of these.
        """
        opts = dict(hidden_channels=256, num_hops=16, dropout=0.2, input_dropout=False, batch_norm=True) | kwargs
        hidden, hops = opts.pop("hidden_channels"), opts.pop("num_hops")
        return cls(in_channels, hidden, out_channels, hops, **opts)

    def reset_parameters(self) -> None:
        self.lin1.reset_parameters()
        self.lin2.reset_parameters()
        if self.bn is not None:
            self.bn.reset_parameters()
        self.adjust.reset_parameters()
        self._cached_adj = None

    def normalized_adjacency(self, edge_index, num_nodes: int) -> HopPropagator:
        r""":math:`\tilde D^{-1/2}(A + I)\tilde D^{-1/2}` as a :class:`HopPropagator` (cached when ``cached=True``)."""
        if self.cached and self._cached_adj is not None:
            if self._cached_adj.num_nodes != num_nodes:
                raise ValueError(
                    f"the cached adjacency has {self._cached_adj.num_nodes} nodes but x has {num_nodes} rows; "
                    f"call reset_parameters() or use cached=False for a new graph")
            return self._cached_adj
        adj = HopPropagator(sym_norm(edge_index, num_nodes))
        if self.cached:
            self._cached_adj = adj
        return adj

    def transform(self, x: Tensor) -> Tensor:
        """The MLP :math:`Z` (before propagation).

        ``x`` may be dense or a ``torch.sparse_csr`` tensor. For sparse input the
        input dropout is drawn on the stored entries only (dropping a zero leaves
        a zero, so the distribution is the same as dense dropout) and ``Lin_1`` is
        a sparse product: on Cora's 1.3 %-dense bag of words about 12x faster.
        """
        check_features(x, name="x", num_features=self.in_channels, dtype=param_dtype(self), owner="DAGNN",
                       allow_sparse=True)
        if self.input_dropout:  # on the stored values only for CSR input (graphkit.ops.rows.dropout_features)
            x = dropout_features(x, self.dropout, self.training)
        if x.layout == torch.sparse_csr:
            x = torch.sparse.mm(x, self.lin1.weight.t()) + self.lin1.bias
        else:
            x = self.lin1(x)
        if self.bn is not None:
            x = self.bn(x)
        x = F.dropout(F.relu(x), self.dropout, self.training)
        return self.lin2(x)

    def forward(self, x: Tensor, edge_index: Tensor | None = None, *, adj: CSR | HopPropagator | None = None,
                return_scores: bool = False):
        z = self.transform(x)
        if adj is None:
            if edge_index is None:
                raise ValueError("DAGNN needs edge_index (or a normalised adjacency adj=)")
            check_edge_index(edge_index, x.size(0), nodes_from="x")
            adj = self.normalized_adjacency(edge_index, x.size(0))
        elif isinstance(adj, (CSR, HopPropagator)):
            size = adj.num_nodes if isinstance(adj, HopPropagator) else adj.num_rows
            if size != x.size(0):
                raise ValueError(f"adj has {size} nodes but x has {x.size(0)} rows; x needs one row per node")
        else:
            raise TypeError(f"adj must be a graphkit CSR or a HopPropagator, got {type(adj).__name__}; "
                            f"pass edge_index instead")
        hops = adj.hops(z, self.num_hops) if isinstance(adj, HopPropagator) else iter_hops(adj, z, self.num_hops)
        return self.adjust(hops, return_scores=return_scores)

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.hidden_channels}, {self.out_channels}, num_hops={self.num_hops}, "
                f"dropout={self.dropout}, input_dropout={self.input_dropout}, "
                f"batch_norm={self.bn is not None}")


# --------------------------------------------------------------------------- config


_SOURCE = ("DAGNN official code divelab/DeeperGNN (dagnn.py argparse + run.sh, train_eval.py): hidden 64, lr 0.01, "
           "Adam, 1000 epochs, official early stopping window 100 from epoch 500, row-normalised features, test "
           "accuracy at lowest validation loss; per-data-set wd/K/dropout from run.sh (Amazon Computers: 3000 "
           "epochs, window 300). Random 20/30/rest splits for Coauthor/Amazon, Amazon inside the largest "
           "connected component (official LCC indexing bug fixed).")


@dataclass(frozen=True)
class DAGNNConfig(Config):
    """DAGNN's architecture and its official training procedure (:func:`fit_dagnn`).

    The defaults are the official ``dagnn.py`` / ``train_eval.py`` settings (Cora's
    row of ``run.sh``); :meth:`paper` gives each data set's official row.

    Args:
        hidden_channels: hidden size of the MLP. (default: ``64``)
        num_hops: :math:`K`, propagation steps (official ``--K``). (default: ``10``)
        dropout: dropout before each linear layer. (default: ``0.8``)
        input_dropout: dropout on the input features too. (default: ``True``)
        batch_norm: BatchNorm after the first linear layer (ogbn-arxiv variant). (default: ``False``)
        lr, weight_decay: Adam. (defaults: ``0.01``, ``5e-3``)
        epochs: the epoch budget. (default: ``1000``)
        early_stopping: the official rule's window: from epoch ``epochs // 2`` on
            (1-based epochs, as the official loop), stop when the validation loss
            exceeds the mean of the previous ``early_stopping`` ones; ``0`` never
            stops early. (default: ``100``)
        normalize_features: row-normalise the features first (PyG's
            ``NormalizeFeatures``, as the official code). (default: ``True``)
        sparse_input: feed features that are under 10 % non-zero as a
            ``torch.sparse_csr`` tensor (same math, faster). (default: ``True``)
        random_splits: draw a split per seed, ``train_per_class`` / ``val_per_class``
            per class and the rest as test, instead of the data's masks (Coauthor,
            Amazon). (default: ``False``)
        train_per_class, val_per_class: the random split's sizes. (defaults: ``20``, ``30``)
        largest_component: draw the random split among the nodes of the largest
            connected component only (Amazon); needs ``random_splits``. (default: ``False``)
        runs: seeded runs the paper averages. (default: ``10``)

    Official names accepted as aliases: ``K`` (``num_hops``), ``hidden`` (``hidden_channels``).

    Example:
        >>> DAGNNConfig.paper("cora").num_hops, DAGNNConfig.paper("amazon-computers").epochs
        (10, 3000)
    """

    hidden_channels: int = 64
    num_hops: int = 10
    dropout: float = 0.8
    input_dropout: bool = True
    batch_norm: bool = False
    lr: float = 0.01
    weight_decay: float = 5e-3
    epochs: int = 1000
    early_stopping: int = 100
    normalize_features: bool = True
    sparse_input: bool = True
    random_splits: bool = False
    train_per_class: int = 20
    val_per_class: int = 30
    largest_component: bool = False
    runs: int = 10

    source: ClassVar[str] = _SOURCE
    aliases: ClassVar[dict] = {"K": "num_hops", "hidden": "hidden_channels"}
    presets: ClassVar[dict[str, Preset]] = {
        "csbm": Preset(source="a small synthetic default, not from the paper", epochs=100, early_stopping=0,
                       num_hops=5, dropout=0.5, runs=3, normalize_features=False),
        "cora": Preset(weight_decay=5e-3, num_hops=10, dropout=0.8),
        "citeseer": Preset(weight_decay=2e-2, num_hops=10, dropout=0.5),
        "pubmed": Preset(weight_decay=5e-3, num_hops=20, dropout=0.8),
        "coauthor-cs": Preset(weight_decay=0.0, num_hops=5, dropout=0.8, random_splits=True),
        "coauthor-physics": Preset(weight_decay=0.0, num_hops=5, dropout=0.8, random_splits=True),
        "amazon-computers": Preset(weight_decay=5e-5, num_hops=5, dropout=0.5, epochs=3000, early_stopping=300,
                                   random_splits=True, largest_component=True),
        "amazon-photo": Preset(weight_decay=5e-4, num_hops=5, dropout=0.5, random_splits=True,
                               largest_component=True),
    }

    def check(self) -> None:
        for key, low in (("hidden_channels", 1), ("num_hops", 0), ("epochs", 1), ("early_stopping", 0),
                         ("train_per_class", 1), ("val_per_class", 1)):
            if getattr(self, key) < low:
                raise config_error(self.__class__, f"{key} must be >= {low}, got {getattr(self, key)}")
        if not 0 <= self.dropout < 1:
            raise config_error(self.__class__, f"dropout must be in [0, 1), got {self.dropout}")
        if not self.lr > 0:
            raise config_error(self.__class__, f"lr must be > 0, got {self.lr}")
        if self.weight_decay < 0:
            raise config_error(self.__class__, f"weight_decay must be >= 0, got {self.weight_decay}")
        if self.largest_component and not self.random_splits:
            raise config_error(self.__class__, "largest_component restricts the random splits; "
                                               "set random_splits=True as well (or largest_component=False)")


# --------------------------------------------------------------------------- the official procedure


def random_split_for_seed(data: Data, seed: int, *, train_per_class: int = 20, val_per_class: int = 30,
                          largest_component: bool = False) -> Data:
    """A copy of ``data`` with a seeded ``train_per_class`` / ``val_per_class`` / rest split per class.

    With ``largest_component`` the three masks only select nodes of the largest
    weakly connected component (:func:`graphkit.ops.components.largest_component`;
    the graph itself is kept whole); positions in the component are mapped back
    to node ids (the official code uses the positions as ids).
    """
    data = data.clone()
    n = data.num_nodes
    if largest_component:
        nodes = components.largest_component(data.edge_index, n).nonzero().view(-1)
    else:
        nodes = torch.arange(n)
    masks = per_class_split(data.y[nodes], train_per_class, val_per_class=val_per_class, seed=seed)
    for name, sub in zip(("train_mask", "val_mask", "test_mask"), masks, strict=True):
        full = torch.zeros(n, dtype=torch.bool)
        full[nodes[sub]] = True
        setattr(data, name, full)
    return data


def official_early_stop(val_losses: list[float], epoch: int, epochs: int, window: int) -> bool:
    """DeeperGNN ``train_eval.py``'s rule at 1-based ``epoch``: stop when the last loss exceeds the mean of the previous ``window``.

    Only from ``epoch > epochs // 2`` on; ``window <= 0`` never stops. ``val_losses``
    holds every validation loss so far, the current one last.
    """
    if window <= 0 or epoch <= epochs // 2 or len(val_losses) < 2:
        return False
    previous = val_losses[-(window + 1):-1]
    return val_losses[-1] > statistics.fmean(previous)


@procedure(DAGNN, DAGNNConfig)
def fit_dagnn(model: DAGNN, data: Data, config: DAGNNConfig, *, seed: int, device: torch.device,
              progress: bool | None, warm_start: bool) -> FitResult:
    """Train a :class:`DAGNN` with the official DeeperGNN ``train_eval.py`` procedure, in place.

    1. With ``config.random_splits``, draw a split from ``seed``
       (:func:`random_split_for_seed`: ``train_per_class`` / ``val_per_class`` per
       class, the rest as test; inside the largest connected component with
       ``largest_component``). Otherwise use the data's masks (Planetoid's public split).
    2. Row-normalise the features (``normalize_features``); bag-of-words input
       (under 10 % non-zero) is fed as a ``torch.sparse_csr`` tensor (``sparse_input``).
    3. Full-batch Adam (``lr``, ``weight_decay``) on the cross-entropy of the
       training nodes, for up to ``epochs`` epochs, evaluating the validation
       loss after every epoch (:func:`graphkit.train.loop.run_epochs`). Under
       ``torchrun`` every rank runs the same full-graph forward and takes the loss over
       its part of the training nodes, scaled by :func:`graphkit.distributed.share`
       (:func:`graphkit.distributed.shard_nodes`): the averaged gradient is the
       one-process gradient up to the float summation order.
    4. Keep the state of the **lowest validation loss**, and stop by the official
       rule (:func:`official_early_stop`): from 1-based epoch ``epochs // 2 + 1``
       on, stop as soon as the validation loss exceeds the mean of the previous
       ``early_stopping`` ones.
    5. Report the validation and test accuracy of the kept state.

    Where the paper restricts the splits to the largest connected component
    (Amazon), they are drawn among *its nodes*, fixing the official code's use of
    positions inside the component as node ids (so the Amazon splits are
    LCC-restricted and class-balanced as intended; numbers may differ from the
    official ones for that reason).

    The architecture is the model's: ``config``'s architecture fields only matter
    to :meth:`DAGNN.from_config`.

    Args:
        model: a :class:`DAGNN` sized for ``data``, trained in place.
        data: a PyG ``Data`` with ``x``, ``y [N]``, ``edge_index`` and (unless
            ``random_splits``) ``train_mask`` / ``val_mask`` / ``test_mask``, every node of
            which is labelled; with ``random_splits`` the split is drawn among the labelled
            nodes (``-1`` means *unlabelled*).
        config: a :class:`DAGNNConfig` (or a dict of its keys).
        seed, device, progress, warm_start: see :mod:`graphkit.models.procedure`.

    Returns:
        :class:`~graphkit.train.result.FitResult` with ``metrics``
        ``valid_accuracy`` / ``test_accuracy``, ``time`` with ``eval_s`` (median
        validation pass), ``best_epoch`` (0-based epoch of the lowest validation
        loss), ``history`` (``epoch``, ``loss``, ``valid_loss``) and ``outputs``:
        ``features`` (the input the model was trained on: row-normalised, and a
        ``torch.sparse_csr`` tensor for bag-of-words input; predict with
        ``model(result.features, data.edge_index)``) and the split used,
        ``train_mask`` / ``val_mask`` / ``test_mask``.

    Example::

        >>> from graphkit import datasets
        >>> data = datasets.load("csbm", num_nodes=300, seed=0)
        >>> config = DAGNNConfig.for_dataset("csbm").replace(epochs=60, early_stopping=10)
        >>> result = fit_dagnn(DAGNN.from_config(config, data), data, config, seed=0, progress=False)
        >>> result.epochs_run <= 60, [h["epoch"] for h in result.history][:3], "eval_s" in result.time
        (True, [0, 1, 2], True)
    """
    check_node_inputs(data, num_features=model.in_channels, num_classes=model.out_channels, owner="DAGNN",
                      needs_masks=not config.random_splits, multilabel=False,
                      split_hint="set random_splits=True (with train_per_class / val_per_class) in the config")
    if config.random_splits:
        try:
            data = random_split_for_seed(data, seed, train_per_class=config.train_per_class,
                                         val_per_class=config.val_per_class,
                                         largest_component=config.largest_component)
        except ValueError as exc:
            where = " in the largest connected component" if config.largest_component else ""
            raise ValueError(f"cannot draw the random split{where} (train_per_class={config.train_per_class}, "
                             f"val_per_class={config.val_per_class}): {exc}. Lower train_per_class / val_per_class"
                             f"{', set largest_component=False' if where else ''} or set random_splits=False to "
                             f"use the data's masks") from None
    x = normalize_row_sums(data.x) if config.normalize_features else data.x  # dense or CSR, as given
    x, y = x.to(device), data.y.to(device)
    if x.layout != torch.strided:  # loaded sparse (e.g. datasets.load(..., sparse_features=True))
        x = x if config.sparse_input else x.to_dense()
    elif config.sparse_input and x.numel() > 0 and int(torch.count_nonzero(x)) < 0.1 * x.numel():
        x = to_sparse_rows(x)  # bag-of-words features: sparse input dropout + product (same math)
    train, val, test = (getattr(data, f"{s}_mask").to(device) for s in ("train", "val", "test"))
    if not warm_start:
        reinitialize(model)
    model.to(device)
    adj = HopPropagator(sym_norm(data.edge_index.to(device), data.num_nodes))
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    timer = Timer(device)

    def official_stop(val_losses: list[float], epoch: int) -> bool:
        return official_early_stop(val_losses, epoch + 1, config.epochs, config.early_stopping)  # 1-based

    local, share = distributed.shard_nodes(train)  # (train, 1.0) with one process

    trajectory = run_epochs(
        model, optimizer, epochs=config.epochs, timer=timer, progress=progress, desc="DAGNN",
        loss=lambda batch, epoch: sharded_cross_entropy(model(x, adj=adj), y, local, share),
        validate=lambda: F.cross_entropy(model(x, adj=adj)[val], y[val]).item(),
        selection=Selection("min", stop_rule=official_stop), value_name="valid_loss")
    with torch.no_grad(), timer.inference():
        logits = model(x, adj=adj)
    scores = {"valid_accuracy": metrics.accuracy(logits[val], y[val]),
              "test_accuracy": metrics.accuracy(logits[test], y[test])}
    return FitResult(scores, timer.summary(), trajectory.best_epoch, trajectory.epochs_run,
                     history=trajectory.history,
                     outputs={"features": x, "train_mask": train, "val_mask": val, "test_mask": test})
