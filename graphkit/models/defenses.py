r"""Classic structure defences against adversarial attacks, on the one API: GCN-Jaccard and GCN-SVD.

Both are graphkit's :class:`~graphkit.GCN` (PyG's ``GCNConv`` layers) on a cleaned
adjacency, with DeepRobust's settings (``deeprobust.graph.defense``, the library the
Pro-GNN and STABLE papers take their baselines from): 2 layers, 16 hidden, dropout
0.5, Adam lr 0.01, weight decay 5e-4, 200 epochs without early stopping, the
state with the best validation accuracy kept, 10 seeds. Trained the same way as
``gcn`` (:func:`~graphkit.fit_node_classifier`), so the three differ only in the graph.

- **GCN-Jaccard** (Wu et al., IJCAI 2019, "Adversarial Examples on Graph Data: Deep
  Insights into Attack and Defense", https://arxiv.org/abs/1903.01610): drop the edges
  whose ends have Jaccard similarity ``< threshold`` on their binary features
  (cosine ``<= threshold`` with ``binary_feature=False``), then train a GCN;
  :func:`graphkit.ops.refine.jaccard_prune` computes it on the edges only.
- **GCN-SVD** (Entezari et al., WSDM 2020, "All You Need Is Low (Rank)",
  https://dl.acm.org/doi/10.1145/3336191.3371789): replace the adjacency by its
  rank-``rank`` truncated SVD :math:`L = U_k\Sigma_k V_k^\top` and run the GCN on
  :math:`D^{-1/2}(L + I)D^{-1/2}`, kept in factors
  (:func:`graphkit.ops.low_rank.low_rank_adjacency`): :math:`O(Nk)` memory where
  DeepRobust forms the dense :math:`N \times N` matrix.

Build, fit, predict::

    >>> from graphkit import GCNJaccard, GCNJaccardConfig, fit_gcn_jaccard, datasets
    >>> data = datasets.load("csbm", num_nodes=300, seed=0)
    >>> config = GCNJaccardConfig(epochs=5, binary_feature=False, threshold=0.0)
    >>> model = GCNJaccard.from_config(config, data)
    >>> result = fit_gcn_jaccard(model, data, config, progress=False)
    >>> pred = model(data.x, result.edge_index).argmax(-1)
    >>> int(result.edge_index.size(1)) <= int(data.edge_index.size(1))
    True
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import Tensor

from graphkit.models.baselines import GCN, NodeClassifierConfig, fit_node_classifier
from graphkit.models.procedure import procedure
from graphkit.nn.model import reinitialize
from graphkit.ops.low_rank import LowRankAdjacency, low_rank_adjacency, low_rank_propagate
from graphkit.ops.refine import cosine_prune, is_one_hot_identity, jaccard_prune
from graphkit.threads import work_of
from graphkit.train.config import Preset, config_error
from graphkit.train.loop import Selection, run_epochs
from graphkit.train.node_classification import (
    check_node_data,
    full_batch_loss,
    node_scores,
    with_per_class_split,
)
from graphkit.train.result import FitResult
from graphkit.train.timing import Timer

__all__ = ["GCNJaccard", "GCNJaccardConfig", "fit_gcn_jaccard", "GCNSVD", "GCNSVDConfig", "fit_gcn_svd"]

log = logging.getLogger(__name__)

_DEEPROBUST = ("DeepRobust (deeprobust.graph.defense.GCN defaults: 16 hidden, dropout 0.5, lr 0.01, weight decay "
               "5e-4, 200 epochs, no early stopping)")
_PROGNN = ("prognn-cora", "prognn-citeseer", "prognn-cora-ml", "prognn-polblogs", "prognn-pubmed")


class GCNJaccard(GCN):
    """GCN trained on the Jaccard-pruned graph (Wu et al., IJCAI 2019, https://arxiv.org/abs/1903.01610).

    The architecture is :class:`~graphkit.GCN`'s (same arguments, same forward);
    :func:`fit_gcn_jaccard` prunes the graph and trains it. Predict on the pruned
    graph it returns (``result.edge_index``).

    Example:
        >>> GCNJaccard(4, 16, 3)(torch.randn(5, 4), torch.tensor([[0, 1], [1, 0]])).shape
        torch.Size([5, 3])
    """


class GCNSVD(GCN):
    r"""GCN on the rank-k truncated SVD of the adjacency (Entezari et al., WSDM 2020).

    .. math::
        H^{(l+1)} = \sigma\big(D^{-1/2}(U_k\Sigma_k V_k^\top + I)D^{-1/2} H^{(l)} W^{(l)} + b^{(l)}\big)

    The layers are :class:`~graphkit.GCN`'s (same arguments and initial
    parameters), propagating with a :class:`~graphkit.ops.low_rank.LowRankAdjacency`
    instead of ``edge_index``: :math:`O(NkF)` per layer, no :math:`N \times N` matrix.

    Shapes: ``x [N, F]``, ``adj`` a rank-``k`` :class:`LowRankAdjacency` of ``N`` nodes → ``[N, C]``.

    Example:
        >>> from graphkit.ops.low_rank import low_rank_adjacency
        >>> adj = low_rank_adjacency(torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]]), 3, 2)
        >>> GCNSVD(4, 16, 3)(torch.randn(3, 4), adj).shape
        torch.Size([3, 3])
    """

    def forward(self, x: Tensor, adj: LowRankAdjacency) -> Tensor:
        if not isinstance(adj, LowRankAdjacency):
            raise TypeError("GCNSVD propagates with a LowRankAdjacency (graphkit.ops.low_rank.low_rank_adjacency), "
                            f"got {type(adj).__name__}; train it with graphkit.fit_gcn_svd and predict with "
                            "model(data.x, result.adjacency)")
        net = self.net
        h = x
        for i, conv in enumerate(net.convs):
            h = low_rank_propagate(adj, conv.lin(h)) + conv.bias
            if i < net.num_layers - 1:
                h = net.dropout(net.act(h))
        return h


@dataclass(frozen=True)
class GCNJaccardConfig(NodeClassifierConfig):
    """GCN-Jaccard: :class:`~graphkit.models.baselines.NodeClassifierConfig` with DeepRobust's settings + the threshold.

    Args:
        threshold: drop edges with Jaccard similarity ``< threshold`` (cosine
            ``<= threshold`` when ``binary_feature=False``). (default: ``0.01``)
        binary_feature: Jaccard on the non-zero pattern (``True``) or cosine on the
            values (``False``), as DeepRobust's ``binary_feature``. (default: ``True``)
        others: see :class:`~graphkit.models.baselines.NodeClassifierConfig`; the
            defaults are DeepRobust's (16 hidden, no early stopping, 10 runs).

    Example:
        >>> GCNJaccardConfig.paper("prognn-cora").threshold
        0.01
    """

    hidden_channels: int = 16
    patience: int | None = None
    runs: int = 10
    threshold: float = 0.01
    binary_feature: bool = True

    source: ClassVar[str] = (f"{_DEEPROBUST}; GCNJaccard.fit threshold 0.01, binary_feature True "
                             "(deeprobust.graph.defense.GCNJaccard, examples/graph/test_gcn_jaccard.py)")
    presets: ClassVar[dict[str, Preset]] = {name: Preset() for name in _PROGNN}

    def check(self) -> None:
        super().check()
        low = 0.0 if self.binary_feature else -1.0
        if not low <= self.threshold <= 1:
            raise config_error(self.__class__, f"threshold must be in [{low:g}, 1], got {self.threshold}")


@dataclass(frozen=True)
class GCNSVDConfig(NodeClassifierConfig):
    """GCN-SVD: :class:`~graphkit.models.baselines.NodeClassifierConfig` with DeepRobust's settings + the rank.

    Args:
        rank: singular triplets kept, ``k``. (default: ``50``, ``GCNSVD.fit``'s default;
            the Pro-GNN presets use ``15``, DeepRobust's ``test_gcn_svd.py`` on those graphs)
        others: see :class:`~graphkit.models.baselines.NodeClassifierConfig`; the
            defaults are DeepRobust's (16 hidden, no early stopping, 10 runs).

    Example:
        >>> GCNSVDConfig.paper("prognn-cora").rank, GCNSVDConfig().rank
        (15, 50)
    """

    hidden_channels: int = 16
    patience: int | None = None
    runs: int = 10
    rank: int = 50

    source: ClassVar[str] = f"{_DEEPROBUST}; GCNSVD.fit k=50 (deeprobust.graph.defense.GCNSVD)"
    presets: ClassVar[dict[str, Preset]] = {
        name: Preset(source=f"{_DEEPROBUST}; k=15 as DeepRobust's examples/graph/test_gcn_svd.py runs on the "
                            "Pro-GNN pre-attacked graphs", rank=15) for name in _PROGNN}

    def check(self) -> None:
        super().check()
        if self.rank < 1:
            raise config_error(self.__class__, f"rank must be >= 1, got {self.rank}")


@procedure(GCNJaccard, GCNJaccardConfig, work=functools.partial(work_of, dense_features=True))  # densifies x
def fit_gcn_jaccard(model: GCNJaccard, data, config: GCNJaccardConfig, *, seed: int, device: torch.device,
                    progress: bool | None, warm_start: bool) -> FitResult:
    """Prune the edges of dissimilar nodes, then train the GCN on the rest (:func:`~graphkit.fit_node_classifier`).

    Features that are one-hot node ids (PolBlogs) carry no similarity: pruning is
    skipped with a logged reason (the model is then a plain GCN).

    Args:
        model: a :class:`GCNJaccard`, trained in place.
        data: a PyG ``Data`` with ``x``, ``edge_index``, ``y`` and the three masks.
        config: a :class:`GCNJaccardConfig` (or a dict of its keys).
        seed, device, progress, warm_start: see :mod:`graphkit.models.procedure`; the
            same seed as ``gcn`` gives the same initial parameters.

    Returns:
        :class:`~graphkit.train.result.FitResult` with ``valid_accuracy`` / ``test_accuracy``;
        ``outputs``: ``edge_index`` (the pruned graph), ``removed`` (edges removed, stored entries).

    Example:
        >>> from graphkit import datasets
        >>> data = datasets.load("csbm", num_nodes=200, seed=0)
        >>> result = fit_gcn_jaccard(GCNJaccard(32, 16, 4), data, {"epochs": 3, "binary_feature": False,
        ...                          "threshold": 0.2}, progress=False)
        >>> result.removed > 0
        True
    """
    check_node_data(data)
    timer = Timer(device)
    with timer.stage("jaccard"):
        x, edge_index = data.x.to(device), data.edge_index.to(device)
        if x.layout != torch.strided:
            log.info("fit_gcn_jaccard densifies the sparse features: the Jaccard pruning (graphkit.ops.jaccard) "
                     "and the one-hot check read dense feature rows")
            x = x.to_dense()
        if config.binary_feature and config.threshold > 0 and is_one_hot_identity(x):
            log.warning("GCN-Jaccard: features are one-hot node ids (no attributes, e.g. PolBlogs): every edge has "
                        "Jaccard similarity 0, so pruning is skipped and the model is a plain GCN")
            keep = torch.ones(edge_index.size(1), dtype=torch.bool, device=device)
        elif config.binary_feature:
            keep = jaccard_prune(x, edge_index, config.threshold)
        else:
            keep = cosine_prune(x, edge_index, config.threshold)
        pruned = edge_index[:, keep]
    cleaned = data.clone()
    cleaned.edge_index = pruned.to(data.edge_index.device)
    result = fit_node_classifier(model, cleaned, config, seed=seed, device=device, progress=progress,
                                 warm_start=warm_start)
    result.time["jaccard_s"] = timer.stages["jaccard"]
    result.outputs.update(edge_index=pruned, removed=int((~keep).sum()))
    return result


@procedure(GCNSVD, GCNSVDConfig)
def fit_gcn_svd(model: GCNSVD, data, config: GCNSVDConfig, *, seed: int, device: torch.device,
                progress: bool | None, warm_start: bool) -> FitResult:
    """Replace the adjacency by its rank-``rank`` truncated SVD and train the GCN on it (full batch).

    The same training as :func:`~graphkit.fit_node_classifier` (Adam, cross-entropy
    on the training nodes, the state with the best validation accuracy kept).

    Args:
        model: a :class:`GCNSVD`, trained in place.
        data: a PyG ``Data`` with ``x``, ``edge_index``, ``y`` and the three masks.
        config: a :class:`GCNSVDConfig` (or a dict of its keys).
        seed, device, progress, warm_start: see :mod:`graphkit.models.procedure`. The
            SVD's start vector is drawn from ``seed``.

    Returns:
        :class:`~graphkit.train.result.FitResult` with ``valid_accuracy`` / ``test_accuracy``;
        ``outputs``: ``adjacency`` (the :class:`LowRankAdjacency` to predict with).

    Example:
        >>> from graphkit import datasets
        >>> data = datasets.load("csbm", num_nodes=200, seed=0)
        >>> result = fit_gcn_svd(GCNSVD(32, 16, 4), data, {"epochs": 3, "rank": 10}, progress=False)
        >>> result.adjacency.rank, sorted(result.metrics)
        (10, ['test_accuracy', 'valid_accuracy'])
    """
    data = with_per_class_split(data, config.train_per_class, config.val_per_class, seed=seed)
    check_node_data(data)
    if data.y.dim() != 1:
        raise ValueError("GCN-SVD classifies single-label nodes: data.y must be [N] class ids")
    if config.rank > data.num_nodes:
        raise ValueError(f"rank={config.rank} exceeds the number of nodes ({data.num_nodes}); lower rank")
    timer = Timer(device)
    with timer.stage("svd"):
        adj = low_rank_adjacency(data.edge_index, data.num_nodes, config.rank, seed=seed).to(device)
    if not warm_start:
        reinitialize(model)
    model.to(device)
    x, y = data.x.to(device), data.y.to(device)
    train, val, test = (getattr(data, f"{s}_mask").to(device) for s in ("train", "val", "test"))
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    trajectory = run_epochs(
        model, optimizer, epochs=config.epochs, timer=timer, progress=progress, desc="GCN-SVD",
        loss=full_batch_loss(model, x, adj, y, train),  # sharded over the training nodes under torchrun
        validate=lambda: node_scores(model(x, adj)[val], y[val])["accuracy"],
        selection=Selection("max", patience=config.patience), value_name="valid_accuracy")
    with torch.no_grad(), timer.inference():
        logits = model(x, adj)
    scores = {f"{key}_{name}": value for stage, key in ((val, "valid"), (test, "test"))
              for name, value in node_scores(logits[stage], y[stage]).items()}
    return FitResult(scores, timer.summary(), trajectory.best_epoch, trajectory.epochs_run,
                     history=trajectory.history, outputs={"adjacency": adj})
