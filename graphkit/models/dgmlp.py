r"""DGMLP: "Evaluating Deep Graph Neural Networks" (Zhang et al., 2021, https://arxiv.org/abs/2108.00955).

What the released code (PKU-DAIR/DGMLP ``src/train.py``) computes:

.. math::
    \tilde X = \sum_{k=0}^{K} \operatorname{diag}(w_{\cdot k})\, \hat A^k X,\qquad
    w_v = \operatorname{softmax}_k\Bigl(\cos(x_v, x^{(k)}_v)\,\bigl(1 - \cos(x^\infty_v, x^{(k)}_v)\bigr)\Bigr)

    \mathrm{logits} = \mathrm{Lin}(\mathrm{Drop}(\tilde X))

with :math:`x^\infty` the per-component stationary state (see
:mod:`graphkit.ops.hop_weighting`, which computes :math:`\tilde X` vectorised and
streaming the hops). The weighting has no parameters, so it is precomputed once.

``num_layers > 1`` gives the deeper transformation the paper recommends
(initial residual + identity skip). That is *not* in the released DGMLP code;
it follows the successor AIR code's ``FeedForwardNetII`` middle layers,
:math:`h \leftarrow \mathrm{Drop}(\mathrm{ReLU}(\mathrm{BN}((h + h_0) W) + h))`,
with :math:`h_0 = \mathrm{Drop}(\mathrm{ReLU}(\mathrm{Lin}_{in}(\mathrm{Drop}(\tilde X))))`
and a final linear layer.

The method's procedure, :func:`fit_dgmlp`, precomputes :math:`\tilde X` from the
raw features, then trains the head full batch with Adam and reports the test
accuracy at the best validation accuracy, as the official code;
:class:`DGMLPConfig` holds the official settings (``run.sh``).

Build, fit, predict::

    >>> from graphkit import datasets
    >>> from graphkit.models.dgmlp import DGMLP, DGMLPConfig, fit_dgmlp
    >>> data = datasets.load("csbm", num_nodes=300, seed=0)
    >>> config = DGMLPConfig.for_dataset("csbm").replace(epochs=5)
    >>> model = DGMLP.from_config(config, data)
    >>> result = fit_dgmlp(model, data, config, progress=False)
    >>> result.model is model, sorted(result.metrics)
    (True, ['test_accuracy', 'valid_accuracy'])
    >>> pred = model.head(result.x_tilde).argmax(-1)     # or model(data.x, data.edge_index), recomputing X~
    >>> tuple(pred.shape)
    (300,)
"""

from __future__ import annotations

import functools
import logging
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
from graphkit.models.procedure import graph_info, procedure
from graphkit.nn.model import Model, reinitialize
from graphkit.ops.hop_weighting import node_adaptive_hop_weighting
from graphkit.ops.rows import dropout_features
from graphkit.threads import work_of
from graphkit.train.config import Config, Preset, config_error
from graphkit.train.loop import Selection, run_epochs
from graphkit.train.node_classification import check_node_inputs
from graphkit.train.result import FitResult
from graphkit.train.timing import Timer

log = logging.getLogger(__name__)

__all__ = ["DGMLP", "DGMLPConfig", "fit_dgmlp"]


class DGMLP(Model):
    r"""DGMLP, "Evaluating Deep Graph Neural Networks" (Zhang et al., 2021, https://arxiv.org/abs/2108.00955).

    Parameter-free node-adaptive hop weighting, precomputed once, then a head:

    .. math::
        \tilde X = \sum_{k=0}^{K} \operatorname{diag}(w_{\cdot k})\, \hat A^k X,\qquad
        w_v = \operatorname{softmax}_k\Bigl(\cos(x_v, x^{(k)}_v)\,
        \bigl(1 - \cos(x^\infty_v, x^{(k)}_v)\bigr)\Bigr)

        \mathrm{logits} = \mathrm{Lin}(\mathrm{Drop}(\tilde X)) \quad (\texttt{num\_layers} = 1)

    :math:`\hat A = \tilde D^{-1/2}(A + I)\tilde D^{-1/2}` and :math:`x^\infty` is
    the per-component stationary state. :math:`\tilde X` has no parameters
    (:meth:`precompute`, :func:`graphkit.ops.hop_weighting.node_adaptive_hop_weighting`);
    the learned part is the head (:meth:`head`). ``num_layers > 1`` is the
    AIR-style deep head (see the module docstring), not in the released code.

    Args:
        in_channels: :math:`F`.
        out_channels: :math:`C`.
        num_hops: :math:`K \geq 0` (official: 20 on Cora and PubMed, 15 on CiteSeer). (default: ``20``)
        dropout: dropout on the input of each linear layer (official: 0.2 / 0.1 / 0.5). (default: ``0.2``)
        hidden_channels: hidden size, needed for ``num_layers > 1``. (default: ``None``)
        num_layers: 1 is the released DGMLP (a single linear layer); ``L > 1`` is
            the AIR-style deep head with ``L - 2`` residual middle layers. (default: ``1``)
        cached: precompute :math:`\tilde X` at the first call and reuse it
            (transductive use, like PyG's ``cached=True``). (default: ``False``)

    Shapes:
        - x: :math:`[N, F]`, edge_index: :math:`[2, E]` (or ``x_tilde=`` :math:`[N, F]`),
          output: :math:`[N, C]` logits

    Example::

        >>> import torch
        >>> model = DGMLP(16, 3, num_hops=4)
        >>> edge_index = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])
        >>> tuple(model(torch.randn(5, 16), edge_index).shape)
        (5, 3)
    """

    def __init__(self, in_channels: int, out_channels: int, num_hops: int = 20, *, dropout: float = 0.2,
                 hidden_channels: int | None = None, num_layers: int = 1, cached: bool = False):
        super().__init__()
        self.in_channels = check_int("in_channels", in_channels, minimum=1)
        self.out_channels = check_int("out_channels", out_channels, minimum=1)
        self.num_layers = check_int("num_layers", num_layers, minimum=1)
        if num_layers > 1:
            if hidden_channels is None:
                raise ValueError(f"num_layers={num_layers} needs hidden_channels (the width of the deep head)")
            check_int("hidden_channels", hidden_channels, minimum=1)
        self.num_hops = check_int("num_hops", num_hops, minimum=0)
        self.dropout = check_dropout("dropout", dropout)
        self.cached = check_bool("cached", cached)
        self.hidden_channels = hidden_channels if num_layers > 1 else None
        if num_layers == 1:
            self.lin = nn.Linear(in_channels, out_channels)
        else:
            self.lin_in = nn.Linear(in_channels, hidden_channels)
            self.mids = nn.ModuleList(nn.Linear(hidden_channels, hidden_channels) for _ in range(num_layers - 2))
            self.norms = nn.ModuleList(nn.BatchNorm1d(hidden_channels) for _ in range(num_layers - 2))
            self.lin_out = nn.Linear(hidden_channels, out_channels)
        self._cached_x: Tensor | None = None

    @classmethod
    def from_config(cls, config: DGMLPConfig, data) -> DGMLP:
        """The model ``config`` describes, sized for ``data`` (a ``Data`` or :class:`~graphkit.models.procedure.GraphInfo`)."""
        info = graph_info(data)
        if info.num_features < 1:
            raise ValueError("DGMLP needs node features data.x; this data set has none")
        if info.num_classes < 1 or info.multilabel:
            raise ValueError("DGMLP needs single-label targets data.y of shape [N] to size its output")
        return cls(info.num_features, info.num_classes, config.num_hops, dropout=config.dropout,
                   hidden_channels=config.hidden_channels, num_layers=config.num_layers)

    def reset_parameters(self) -> None:
        for module in self.modules():
            if module is not self and hasattr(module, "reset_parameters"):
                module.reset_parameters()
        self._cached_x = None

    def precompute(self, x: Tensor, edge_index, *, num_nodes: int | None = None) -> Tensor:
        r""":math:`\tilde X` (see :func:`graphkit.ops.hop_weighting.node_adaptive_hop_weighting`)."""
        self._check_x(x)
        if isinstance(edge_index, Tensor):
            check_edge_index(edge_index, x.size(0) if num_nodes is None else num_nodes,
                             nodes_from="x" if num_nodes is None else None)
        return node_adaptive_hop_weighting(edge_index, x, self.num_hops, num_nodes=num_nodes)

    def _check_x(self, x: Tensor, name: str = "x", allow_sparse: bool = False) -> None:
        check_features(x, name=name, num_features=self.in_channels, dtype=param_dtype(self), owner="DGMLP",
                       allow_sparse=allow_sparse)

    def head(self, x_tilde: Tensor) -> Tensor:
        r"""The transformation applied to the precomputed :math:`\tilde X`, ``[B, F] -> [B, C]`` (row-wise).

        ``x_tilde`` may be a ``torch.sparse_csr`` tensor (e.g. :math:`\tilde X = X` with ``num_hops=0`` on
        bag-of-words input): dropout on its stored values and a sparse × dense first product
        (:func:`graphkit.ops.rows.dropout_features`), the dense path's distribution.
        """
        self._check_x(x_tilde, "x_tilde", allow_sparse=True)
        h = dropout_features(x_tilde, self.dropout, self.training)
        if self.num_layers == 1:
            return self.lin(h)
        h0 = h = F.dropout(F.relu(self.lin_in(h)), self.dropout, self.training)
        for lin, norm in zip(self.mids, self.norms, strict=True):
            h = F.dropout(F.relu(norm(lin(h + h0)) + h), self.dropout, self.training)
        return self.lin_out(h)

    def forward(self, x: Tensor, edge_index=None, *, x_tilde: Tensor | None = None) -> Tensor:
        if x_tilde is None:
            if self.cached and self._cached_x is not None:
                self._check_x(x)
                if self._cached_x.size(0) != x.size(0):
                    raise ValueError(f"the cached features have {self._cached_x.size(0)} rows but x has "
                                     f"{x.size(0)}; call reset_parameters() or use cached=False")
                x_tilde = self._cached_x
            else:
                if edge_index is None:
                    raise ValueError("DGMLP needs edge_index (or the precomputed x_tilde=)")
                with torch.no_grad():
                    x_tilde = self.precompute(x, edge_index, num_nodes=x.size(0))
                if self.cached:
                    self._cached_x = x_tilde
        return self.head(x_tilde)

    def extra_repr(self) -> str:
        deep = f", hidden_channels={self.hidden_channels}" if self.num_layers > 1 else ""
        return (f"{self.in_channels}, {self.out_channels}, num_hops={self.num_hops}, dropout={self.dropout}, "
                f"num_layers={self.num_layers}{deep}")


# --------------------------------------------------------------------------- config and procedure


@dataclass(frozen=True)
class DGMLPConfig(Config):
    """DGMLP's architecture and its released-code procedure (:func:`fit_dgmlp`).

    The defaults are the released code's Cora settings (``src/run.sh``);
    :meth:`paper` gives each data set's row.

    Args:
        num_hops: :math:`K`. (default: ``20``)
        dropout: dropout on the input of each linear layer. (default: ``0.2``)
        num_layers: 1 is the released DGMLP; more is the AIR-style deep head. (default: ``1``)
        hidden_channels: the deep head's width (needed for ``num_layers > 1``). (default: ``None``)
        lr, weight_decay: Adam. (defaults: ``0.2``, ``5e-3``)
        epochs: the epoch budget. (default: ``200``)
        patience: epochs without a better validation accuracy before stopping;
            ``None`` runs every epoch, as the released code. (default: ``None``)
        runs: seeded runs averaged (the released code runs one seed, 42; we run
            seeds 0..9). (default: ``10``)

    Example:
        >>> DGMLPConfig.paper("citeseer").num_hops
        15
    """

    num_hops: int = 20
    dropout: float = 0.2
    num_layers: int = 1
    hidden_channels: int | None = None
    lr: float = 0.2
    weight_decay: float = 5e-3
    epochs: int = 200
    patience: int | None = None
    runs: int = 10

    source: ClassVar[str] = (
        "DGMLP released code PKU-DAIR/DGMLP (src/train.py, src/run.sh): raw features, 200 epochs, Adam, single "
        "linear layer after dropout, test accuracy at best validation accuracy, public Planetoid split; "
        "per-data-set hops/dropout/lr/wd from run.sh (official runs one seed, 42; we run seeds 0..9).")
    presets: ClassVar[dict[str, Preset]] = {
        "csbm": Preset(source="a small synthetic default, not from the paper", num_hops=10, epochs=100, lr=0.05,
                       runs=3),
        "cora": Preset(num_hops=20, dropout=0.2, lr=0.2, weight_decay=5e-3),
        "citeseer": Preset(num_hops=15, dropout=0.1, lr=0.1, weight_decay=5e-2),
        "pubmed": Preset(num_hops=20, dropout=0.5, lr=0.2, weight_decay=5e-5),
    }

    def check(self) -> None:
        for key, low in (("num_hops", 0), ("num_layers", 1), ("epochs", 1)):
            if getattr(self, key) < low:
                raise config_error(self.__class__, f"{key} must be >= {low}, got {getattr(self, key)}")
        if self.num_layers > 1 and (self.hidden_channels is None or self.hidden_channels < 1):
            raise config_error(self.__class__, f"num_layers={self.num_layers} needs hidden_channels >= 1, "
                                               f"got {self.hidden_channels}")
        if not 0 <= self.dropout < 1:
            raise config_error(self.__class__, f"dropout must be in [0, 1), got {self.dropout}")
        if not self.lr > 0:
            raise config_error(self.__class__, f"lr must be > 0, got {self.lr}")
        if self.weight_decay < 0:
            raise config_error(self.__class__, f"weight_decay must be >= 0, got {self.weight_decay}")
        if self.patience is not None and self.patience < 1:
            raise config_error(self.__class__, f"patience must be >= 1 or null, got {self.patience}")


@procedure(DGMLP, DGMLPConfig, work=functools.partial(work_of, dense_features=True))  # densifies x
def fit_dgmlp(model: DGMLP, data: Data, config: DGMLPConfig, *, seed: int, device: torch.device,
              progress: bool | None, warm_start: bool) -> FitResult:
    r"""Train a :class:`DGMLP` with the released PKU-DAIR/DGMLP procedure, in place.

    1. Precompute :math:`\tilde X` once from the raw features (timed as
       ``time["precompute_s"]``; :meth:`DGMLP.precompute`).
    2. Full-batch Adam (``lr``, ``weight_decay``) on the cross-entropy of the
       training nodes for ``epochs`` epochs (``patience`` may stop earlier),
       evaluating the validation accuracy after every epoch
       (:func:`graphkit.train.loop.run_epochs`).
    3. Keep the state of the best validation accuracy (the first such epoch) and
       report its validation and test accuracy, as the official code.

    The head is row-wise (dropout and linear layers act on each node alone;
    BatchNorm, in the deep head, sees the training rows as its batch), so each
    epoch runs it on the training rows only and evaluates it on the validation
    rows only: the loss and the selection are those of the official full-matrix
    loop, but dropout draws ``|train| x F`` instead of ``N x F`` random numbers
    (on Cora 140 rows instead of 2,708: an epoch drops from ~75 ms to a few ms
    on 2 cores). Under ``torchrun`` each rank runs the head on its part of the
    training rows (:func:`graphkit.distributed.shard_nodes`, loss scaled by
    :func:`graphkit.distributed.share`), so the epoch's work is split; as with
    ``DistributedDataParallel``, dropout masks and the deep head's BatchNorm
    statistics are then drawn per rank.

    The architecture is the model's: ``config``'s architecture fields only matter
    to :meth:`DGMLP.from_config`.

    Args:
        model: a :class:`DGMLP` sized for ``data``, trained in place.
        data: a PyG ``Data`` with ``x``, ``y [N]``, ``edge_index`` and the three masks.
        config: a :class:`DGMLPConfig` (or a dict of its keys).
        seed, device, progress, warm_start: see :mod:`graphkit.models.procedure`.

    Returns:
        :class:`~graphkit.train.result.FitResult` with ``metrics``
        ``valid_accuracy`` / ``test_accuracy``, ``time`` with ``precompute_s``,
        ``best_epoch`` (0-based), ``history`` (``epoch``, ``loss``,
        ``valid_accuracy``) and ``outputs``: ``x_tilde`` (:math:`\tilde X`,
        ``[N, F]``; predict with ``model.head(result.x_tilde)``) and the split
        used, ``train_mask`` / ``val_mask`` / ``test_mask``.

    Example::

        >>> from graphkit import datasets
        >>> data = datasets.load("csbm", num_nodes=300, seed=0)
        >>> config = DGMLPConfig.for_dataset("csbm").replace(epochs=20)
        >>> result = fit_dgmlp(DGMLP.from_config(config, data), data, config, seed=0, progress=False)
        >>> result.epochs_run, tuple(result.x_tilde.shape), "precompute_s" in result.time
        (20, (300, 32), True)
    """
    check_node_inputs(data, num_features=model.in_channels, num_classes=model.out_channels, owner="DGMLP",
                      multilabel=False)
    if not warm_start:
        reinitialize(model)
    model.to(device)
    timer = Timer(device)
    x = data.x
    if x.layout != torch.strided:
        log.info("fit_dgmlp densifies the sparse features: the hops A^k X fill in (Coauthor CS: 0.9 % non-zero, "
                 "A X 6.7 %, A^2 X 28 %), so X~ = sum_k diag(w_k) A^k X is dense anyway")
        x = x.to_dense()
    with timer.stage("precompute"), torch.no_grad():
        x_tilde = model.precompute(x.to(device), data.edge_index.to(device), num_nodes=data.num_nodes)
    y = data.y.to(device)
    masks = {s: getattr(data, f"{s}_mask").to(device) for s in ("train", "val", "test")}
    rows = {s: mask.nonzero().view(-1) for s, mask in masks.items()}
    # under torchrun each rank runs the row-wise head on its part of the training rows only
    local, share = distributed.shard_nodes(rows["train"])  # (the rows, 1.0) with one process
    x_train, y_train = x_tilde[local], y[local]
    x_val, y_val = x_tilde[rows["val"]], y[rows["val"]]
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)

    def loss(batch, epoch: int) -> Tensor:
        if local.numel() == 0:  # fewer training nodes than ranks: this rank contributes nothing
            return sum(p.sum() for p in model.parameters()) * 0.0
        value = F.cross_entropy(model.head(x_train), y_train)
        return value if share == 1.0 else value * share

    trajectory = run_epochs(
        model, optimizer, epochs=config.epochs, timer=timer, progress=progress, desc="DGMLP",
        loss=loss,
        validate=lambda: metrics.accuracy(model.head(x_val), y_val),
        selection=Selection("max", patience=config.patience), value_name="valid_accuracy")
    with torch.no_grad(), timer.inference():
        logits = model.head(x_tilde)
    scores = {f"{key}_accuracy": metrics.accuracy(logits[rows[stage]], y[rows[stage]])
              for stage, key in (("val", "valid"), ("test", "test"))}
    return FitResult(scores, timer.summary(), trajectory.best_epoch, trajectory.epochs_run,
                     history=trajectory.history,
                     outputs={"x_tilde": x_tilde, "train_mask": masks["train"], "val_mask": masks["val"],
                              "test_mask": masks["test"]})
