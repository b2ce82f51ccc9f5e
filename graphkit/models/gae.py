r"""GAE: a GNN encoder and an inner-product decoder for link prediction, and the generic link procedure.

Kipf & Welling, *Variational Graph Auto-Encoders* (NIPS 2016 workshop),
https://arxiv.org/abs/1611.07308 (the non-variational GAE). The score of a
query pair is

.. math::
    s(i, j) = \langle h_i, h_j \rangle, \qquad H = \mathrm{GNN}(X, A),

trained with :math:`-\log\sigma(s^+) - \log\sigma(-s^-)` on the training
positives and one uniform negative per positive, redrawn every epoch. It is
the GAE baseline row of NCN's tables (arXiv 2302.00890). Feature-less graphs
get a learnable node embedding as input.

Build, fit, score::

    >>> from graphkit import GAE, GAEConfig, fit_link_predictor, datasets
    >>> data = datasets.load("csbm", num_nodes=300, seed=0)
    >>> config = GAEConfig.for_dataset("csbm").replace(epochs=3, hidden_channels=16)
    >>> model = GAE.from_config(config, data)
    >>> result = fit_link_predictor(model, data, config, progress=False)
    >>> sorted(result.metrics)
    ['test_hits@100', 'valid_hits@100']
    >>> split = result.split  # the random 70/10/20 edge split the procedure drew
    >>> model(split.x, split.edge_index, split.test_pos).shape
    torch.Size([300])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import Tensor

from graphkit._validation import check_dropout, check_edge_index, check_features, check_int, param_dtype
from graphkit.models.baselines import GCN, SAGE, node_embedding
from graphkit.models.procedure import graph_info, procedure
from graphkit.nn.model import Model, reinitialize
from graphkit.train.config import Config, Preset, config_error
from graphkit.train.link_prediction import (
    check_link_config,
    evaluate_link,
    link_batches,
    link_loss,
    link_split,
    resolve_metric,
    shard_pairs,
)
from graphkit.train.loop import Selection, run_epochs
from graphkit.train.result import FitResult
from graphkit.train.timing import Timer

__all__ = ["GAE", "GAEConfig", "fit_link_predictor"]

_ENCODERS = {"gcn": GCN, "sage": SAGE}


class GAE(Model):
    r"""GNN encoder + inner-product decoder (Kipf & Welling 2016, https://arxiv.org/abs/1611.07308).

    :math:`H = \mathrm{GNN}(X, A)` (a :class:`~graphkit.models.baselines.GCN` or
    GraphSAGE-mean :class:`~graphkit.models.baselines.SAGE` whose every layer,
    the last included, is ``hidden_channels`` wide), :math:`s(i, j) = h_i^\top h_j`.

    Args:
        in_channels: node feature size; ``0`` for a feature-less graph, which then
            needs ``num_nodes`` for a learnable (Xavier-initialised) embedding.
        hidden_channels: embedding size (also of every hidden layer).
        num_layers: encoder depth. (default: ``2``)
        dropout: encoder dropout between layers. (default: ``0.0``)
        encoder: ``'gcn'`` (PyG ``GCNConv``) or ``'sage'`` (PyG ``SAGEConv``,
            mean aggregation). (default: ``'gcn'``)
        num_nodes: required when ``in_channels == 0``. (default: ``None``)

    Shapes:
        - encode: ``x [N, F]`` (or ``None`` with an embedding), ``edge_index [2, E]`` → ``[N, hidden]``
        - score: ``h [N, hidden]``, ``edge_index`` (unused), ``edge_label_index [2, B]`` → ``[B]`` logits
        - forward: ``x``, ``edge_index``, ``edge_label_index [2, B]`` → ``[B]`` logits

    Example:
        >>> import torch
        >>> model = GAE(4, 8)
        >>> h = model.encode(torch.randn(5, 4), torch.tensor([[0, 1], [1, 0]]))
        >>> model.score(h, None, torch.tensor([[0, 2], [1, 3]])).shape
        torch.Size([2])
    """

    def __init__(self, in_channels: int, hidden_channels: int, *, num_layers: int = 2,
                 dropout: float = 0.0, encoder: str = "gcn", num_nodes: int | None = None):
        super().__init__()
        if encoder not in _ENCODERS:
            raise ValueError(f"GAE: unknown encoder {encoder!r}; valid: {', '.join(_ENCODERS)}")
        check_int("in_channels", in_channels, minimum=0)
        check_int("hidden_channels", hidden_channels, minimum=1)
        check_dropout("dropout", dropout)
        if in_channels == 0 and not num_nodes:
            raise ValueError("GAE: a feature-less graph (in_channels=0) needs num_nodes for the node embedding")
        self.embedding = node_embedding(num_nodes, hidden_channels) if in_channels == 0 else None
        self.encoder_name = encoder
        self.encoder = _ENCODERS[encoder](in_channels or hidden_channels, hidden_channels, hidden_channels,
                                          num_layers=num_layers, dropout=dropout)

    @classmethod
    def from_config(cls, config: GAEConfig, data) -> GAE:
        """The model ``config`` describes, sized for ``data`` (a ``Data``, a ``LinkSplit`` or a ``GraphInfo``)."""
        config = GAEConfig.coerce(config)
        info = graph_info(data)
        return cls(info.num_features, config.hidden_channels, num_layers=config.num_layers,
                   dropout=config.dropout, encoder=config.encoder, num_nodes=info.num_nodes)

    def reset_parameters(self) -> None:
        self.encoder.reset_parameters()
        if self.embedding is not None:
            torch.nn.init.xavier_uniform_(self.embedding.weight)

    def encode(self, x: Tensor | None, edge_index: Tensor) -> Tensor:
        """Node embeddings ``[N, hidden]``; ``x`` is ignored (may be ``None``) with a node embedding."""
        if self.embedding is not None:
            x = self.embedding.weight
        elif x is None:
            raise ValueError("GAE was built for node features but x is None")
        else:
            check_features(x, name="x", num_features=self.encoder.in_channels, dtype=param_dtype(self), owner="GAE",
                           allow_sparse=True)  # torch.sparse_csr: the baselines' first layer takes it
        check_edge_index(edge_index, x.size(0), nodes_from="x" if self.embedding is None else "the node embedding")
        return self.encoder(x, edge_index)

    def score(self, h: Tensor, edge_index: Tensor | None, edge_label_index: Tensor) -> Tensor:
        """Logits ``[B]``: :math:`h_i^\\top h_j` of the pairs ``edge_label_index``."""
        check_features(h, name="h", num_features=self.encoder.hidden_channels, dtype=param_dtype(self),
                       owner="GAE")
        check_edge_index(edge_label_index, h.size(0), name="edge_label_index", nodes_from="h")
        return (h[edge_label_index[0]] * h[edge_label_index[1]]).sum(dim=-1)

    def forward(self, x: Tensor | None, edge_index: Tensor, edge_label_index: Tensor) -> Tensor:
        return self.score(self.encode(x, edge_index), edge_index, edge_label_index)

    def extra_repr(self) -> str:
        enc = self.encoder
        return (f"encoder={self.encoder_name}, {enc.in_channels}, {enc.hidden_channels}, "
                f"num_layers={enc.num_layers}, embedding={self.embedding is not None}")

    def __repr__(self) -> str:
        return f"GAE({self.extra_repr()})"


# --------------------------------------------------------------------------- config and procedure


@dataclass(frozen=True)
class GAEConfig(Config):
    """GAE and the generic link procedure (:func:`fit_link_predictor`).

    Args:
        hidden_channels, num_layers, dropout, encoder: the model (see :class:`GAE`).
            (defaults: ``64``, ``2``, ``0.0``, ``'gcn'``)
        lr: Adam learning rate. (default: ``0.01``)
        batch_size: training positives per step and pairs per scoring call. (default: ``65536``)
        epochs: the epoch budget. (default: ``100``)
        patience: evaluations without a better validation metric before stopping;
            ``None`` never stops early (the best state is kept either way). (default: ``20``)
        eval_every: validate every this many epochs and after the last. (default: ``1``)
        metric: the validation / test metric (``'hits@K'``, ``'mrr'``, ...); ``None``:
            the split's own (OGB: ``LinkSplit.extra['metric']``), else ``'hits@100'``. (default: ``None``)
        val_ratio, test_ratio: the seeded random edge split of a node data set,
            redrawn per seed (a ``LinkSplit`` keeps its own). (defaults: ``0.1``, ``0.2``: 70/10/20)
        runs: seeded runs the runner averages. (default: ``3``)

    Example::

        >>> from graphkit import GAEConfig
        >>> GAEConfig.for_dataset("cora").replace(encoder="sage").encoder
        'sage'

    Example:
        >>> GAEConfig().replace(hidden_channels=32).hidden_channels
        32
    """

    hidden_channels: int = 64
    num_layers: int = 2
    dropout: float = 0.0
    encoder: str = "gcn"
    lr: float = 0.01
    batch_size: int = 65536
    epochs: int = 100
    patience: int | None = 20
    eval_every: int = 1
    metric: str | None = None
    val_ratio: float = 0.1
    test_ratio: float = 0.2
    runs: int = 3

    source: ClassVar[str] = ("GAE baseline of NCN (arXiv 2302.00890): GCN encoder, dot-product decoder, Planetoid "
                             "70/10/20 random split redrawn per run, HR@100")
    presets: ClassVar[dict[str, Preset]] = {}

    def check(self) -> None:
        for key in ("hidden_channels", "num_layers", "batch_size", "epochs", "eval_every"):
            if getattr(self, key) < 1:
                raise config_error(self.__class__, f"{key} must be >= 1, got {getattr(self, key)}")
        if self.encoder not in _ENCODERS:
            raise config_error(self.__class__, f"encoder={self.encoder!r} is not one of {', '.join(_ENCODERS)}")
        if not 0 <= self.dropout < 1:
            raise config_error(self.__class__, f"dropout must be in [0, 1), got {self.dropout}")
        if self.lr < 0:
            raise config_error(self.__class__, f"lr must be >= 0, got {self.lr}")
        if self.patience is not None and self.patience < 1:
            raise config_error(self.__class__, f"patience must be >= 1 or null, got {self.patience}")
        check_link_config(self)


@procedure(GAE, GAEConfig)
def fit_link_predictor(model: GAE, data, config: GAEConfig, *, seed: int, device: torch.device,
                       progress: bool | None, warm_start: bool) -> FitResult:
    """Train a :class:`GAE` with the generic link loop; select on the validation metric.

    Per epoch: one uniform negative per training positive (pairs that are not
    training edges) and a shuffled order of the positives, both drawn from a
    generator seeded by ``seed``; per batch of ``batch_size`` positives: encode
    the training graph, score the batch's positives and negatives, one Adam step
    on :math:`-\\log\\sigma(s^+) - \\log\\sigma(-s^-)`. Validation every
    ``eval_every`` epochs; the state with the best validation metric (strictly
    better) is kept, early stopping after ``patience`` evaluations without one;
    the test metric is that state's, on ``LinkSplit.graph_for('test')``.
    Under ``torchrun`` every rank encodes the graph and scores its part of each batch's
    positives and negatives (:func:`~graphkit.train.link_prediction.shard_pairs`).

    Args:
        model: a :class:`GAE`, trained in place.
        data: a :class:`~graphkit.datasets.LinkSplit` (e.g. an OGB data set), or a
            node data set (PyG ``Data``): then a random ``val_ratio`` / ``test_ratio``
            edge split seeded by ``seed`` is drawn first.
        config: a :class:`GAEConfig` (or a dict of its keys; ``None``: the defaults).
        seed, device, progress, warm_start: see :mod:`graphkit.models.procedure`.

    Returns:
        :class:`~graphkit.train.result.FitResult` with ``valid_<metric>`` and
        ``test_<metric>``, the times, and ``result.split`` (the ``LinkSplit`` used).

    Example::

        >>> from graphkit import GAE, GAEConfig, fit_link_predictor, datasets
        >>> data = datasets.load("csbm", num_nodes=300, seed=0)
        >>> config = GAEConfig(hidden_channels=16, epochs=2)
        >>> model = GAE.from_config(config, data)
        >>> result = fit_link_predictor(model, data, config, progress=False)
        >>> result.model is model, result.epochs_run
        (True, 2)
    """
    split = link_split(data, val_ratio=config.val_ratio, test_ratio=config.test_ratio, seed=seed)
    metric = resolve_metric(split, config.metric)
    if split.train_pos.size(1) == 0:
        raise ValueError("the split has no training positives")
    if not warm_start:
        reinitialize(model)
    model.to(device)
    gen = torch.Generator().manual_seed(seed)
    x = None if split.x is None else split.x.to(device)
    graph = split.edge_index.to(device)
    train_pos = split.train_pos.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    timer = Timer(device)

    def loss(batch, epoch):
        _, pos, neg = batch
        h = model.encode(x, graph)
        pos, neg, scale = shard_pairs(pos, neg)  # under torchrun: this rank's part, its loss factor
        if pos.size(1) == 0:  # a batch smaller than the number of ranks
            return h.sum() * 0.0
        out = link_loss(model.score(h, graph, pos), model.score(h, graph, neg))
        return out if scale == 1.0 else out * scale

    trajectory = run_epochs(
        model, optimizer, epochs=config.epochs, timer=timer, progress=progress, desc=type(model).__name__,
        batches=lambda epoch: link_batches(train_pos, split.num_nodes, config.batch_size, generator=gen,
                                           exclude=split.train_pos, device=device),
        loss=loss, eval_every=config.eval_every, value_name=f"valid_{metric}",
        validate=lambda: evaluate_link(model, split, "valid", metric, batch_size=config.batch_size, device=device),
        selection=Selection("max", patience=config.patience))
    with timer.inference():
        test = evaluate_link(model, split, "test", metric, batch_size=config.batch_size, device=device)
    return FitResult({f"valid_{metric}": trajectory.best_value, f"test_{metric}": test}, timer.summary(),
                     trajectory.best_epoch, trajectory.epochs_run, history=trajectory.history,
                     outputs={"split": split})
