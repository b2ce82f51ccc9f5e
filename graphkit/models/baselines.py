r"""The baselines every paper compares against: MLP, GCN, GraphSAGE and GAT (PyG's models), and their procedure.

All four share one signature, ``model(x, edge_index) -> logits [N, C]``, so
one procedure, :func:`fit_node_classifier`, trains them all. The MLP ignores
``edge_index`` (it may be ``None``). ``x`` may be a ``torch.sparse_csr`` tensor
(``datasets.load(name, sparse_features=True)``): the first layer is linear, so it
runs as a sparse × dense product (GraphSAGE transforms before it aggregates,
:mod:`graphkit.nn.sage_conv`), with the dense path's numbers up to float rounding.

Build, fit, predict::

    >>> import torch
    >>> from graphkit import GCN, GCNConfig, fit_node_classifier, datasets
    >>> data = datasets.load("csbm", num_nodes=300, seed=0)
    >>> config = GCNConfig.for_dataset("csbm").replace(epochs=5)
    >>> model = GCN.from_config(config, data)
    >>> result = fit_node_classifier(model, data, config, progress=False)
    >>> pred = model(data.x, data.edge_index).argmax(-1)
    >>> sorted(result.metrics)
    ['test_accuracy', 'valid_accuracy']
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import ClassVar

import torch
from torch import Tensor, nn
from torch_geometric.nn.models import GAT as PygGAT
from torch_geometric.nn.models import GCN as PygGCN
from torch_geometric.nn.models import MLP as PygMLP
from torch_geometric.utils import add_self_loops, remove_self_loops

from graphkit._validation import check_edge_index, check_features, param_dtype
from graphkit.datasets.digits import SPLIT_PRESET as _DIGITS_SPLIT
from graphkit.datasets.digits import SPLIT_SOURCE as _DIGITS_SOURCE
from graphkit.datasets.kfold import OFFICIAL_SEED, with_kfold_split
from graphkit.models.procedure import graph_info, procedure
from graphkit.nn.model import Model, reinitialize
from graphkit.nn.sage_conv import GraphSAGE as PygSAGE  # PyG's GraphSAGE that also takes CSR x
from graphkit.ops.rows import normalize_row_sums, select_rows
from graphkit.train.batched_inference import InferenceBlock, InferenceLayer, layerwise_inference
from graphkit.train.config import Config, Preset, config_error
from graphkit.train.loop import Selection, run_epochs
from graphkit.train.node_classification import (
    SAMPLERS,
    check_node_inputs,
    full_batch_loss,
    neighbor_sampled_training,
    node_scores,
    with_per_class_split,
)
from graphkit.train.result import FitResult
from graphkit.train.timing import Timer

__all__ = ["MLP", "GCN", "SAGE", "GAT", "NodeClassifierConfig", "MLPConfig", "GCNConfig", "SAGEConfig",
           "GATConfig", "fit_node_classifier", "node_embedding"]


class _Baseline(Model):
    def __init__(self, in_channels: int, hidden_channels: int, out_channels: int, *,
                 num_layers: int = 2, dropout: float = 0.5):
        super().__init__()
        if min(in_channels, hidden_channels, out_channels) < 1:
            raise ValueError(
                f"{type(self).__name__}: channel sizes must be positive, got "
                f"in={in_channels}, hidden={hidden_channels}, out={out_channels}"
            )
        if num_layers < 1:
            raise ValueError(f"{type(self).__name__}: num_layers must be >= 1, got {num_layers}")
        if not 0 <= dropout < 1:
            raise ValueError(f"{type(self).__name__}: dropout must be in [0, 1), got {dropout}")
        self.in_channels, self.hidden_channels, self.out_channels = in_channels, hidden_channels, out_channels
        self.num_layers, self.dropout = num_layers, dropout

    @classmethod
    def from_config(cls, config: NodeClassifierConfig, data) -> _Baseline:
        """The model ``config`` describes, sized for ``data`` (a ``Data`` or :class:`GraphInfo`)."""
        info = graph_info(data)
        if info.num_features < 1:
            raise ValueError(f"{cls.__name__} needs node features; this data set has none")
        if info.num_classes < 1:
            raise ValueError(f"{cls.__name__} needs labels data.y to size its output")
        return cls(info.num_features, config.hidden_channels, info.num_classes, num_layers=config.num_layers,
                   dropout=config.dropout, **cls._config_kwargs(config))

    @classmethod
    def _config_kwargs(cls, config: NodeClassifierConfig) -> dict:
        """Constructor arguments of this class that only its own config has."""
        return {}

    def reset_parameters(self) -> None:
        self.net.reset_parameters()

    def _check(self, x: Tensor, edge_index: Tensor | None) -> None:
        """``x [N, in_channels]`` finite in the model's dtype; ``edge_index`` ids in ``[0, N)`` (when given)."""
        check_features(x, name="x", num_features=self.in_channels, dtype=param_dtype(self), owner=type(self).__name__,
                       allow_sparse=True)
        if edge_index is not None:
            check_edge_index(edge_index, x.size(0), nodes_from="x")

    def inference_layers(self) -> list[InferenceLayer]:
        """The layers of the eval-mode forward for :func:`~graphkit.train.batched_inference.layerwise_inference`."""
        return [InferenceLayer(aggregate=partial(self._conv_layer, i)) for i in range(self.num_layers)]

    def inference_graph(self, edge_index: Tensor | None, num_nodes: int) -> Tensor | None:
        """The edges the :meth:`inference_layers` aggregate over (the forward's graph; GCN / SAGE adapt it)."""
        return edge_index

    @torch.no_grad()
    def inference(self, x: Tensor, edge_index: Tensor | None = None, *, chunk_size: int = 1024,
                  shard: bool = False) -> Tensor:
        """``model(x, edge_index)`` in eval mode, computed layer by layer in chunks of ``chunk_size`` target nodes.

        :func:`graphkit.train.batched_inference.layerwise_inference` over :meth:`inference_layers`: each layer's
        output for all nodes, a chunk of targets at a time, each chunk aggregating its full in-neighbourhood
        from the previous layer's stored ``[N, h]`` output. Equal to the full-graph forward in eval mode up to
        the float summation order, autograd-free, with memory :math:`O(N h)` plus one chunk's neighbourhood
        instead of the full graph's per-edge messages. Dropout is off whatever the module's mode (the mode is
        left as it was). ``shard``: under ``torchrun`` each rank computes its range of rows of every layer and
        the ranks all-gather them (every rank must call it). Shapes as ``forward``.
        """
        self._check(x, edge_index)
        was_training = self.training
        self.eval()
        try:
            return layerwise_inference(self.inference_layers(), x, self.inference_graph(edge_index, x.size(0)),
                                       chunk_size=chunk_size, shard=shard)
        finally:
            self.train(was_training)

    def _between_layers(self, i: int, h: Tensor) -> Tensor:
        """What PyG's ``BasicGNN`` applies after conv ``i`` in eval mode (norm and activation; no dropout)."""
        net = self.net
        if i == net.num_layers - 1:
            return h
        if net.act is not None and net.act_first:
            h = net.act(h)
        h = net.norms[i](h)
        if net.act is not None and not net.act_first:
            h = net.act(h)
        return h

    def _conv_layer(self, i: int, h_source: Tensor, block: InferenceBlock) -> Tensor:
        """Conv ``i`` on the block as a bipartite graph (sources -> targets): exact for SAGE / GAT."""
        size = (h_source.size(0), block.batch_size)
        targets = (h_source[: block.batch_size] if h_source.layout == torch.strided  # CSR x: no slicing in torch
                   else select_rows(h_source, torch.arange(block.batch_size, device=h_source.device)))
        out = self.net.convs[i]((h_source, targets), block.edge_index, size=size)
        return self._between_layers(i, out)

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.hidden_channels}, {self.out_channels}, "
                f"num_layers={self.num_layers}, dropout={self.dropout}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"


class MLP(_Baseline):
    """Multi-layer perceptron on node features alone (ReLU, dropout, no norm).

    Args:
        in_channels, hidden_channels, out_channels: layer sizes.
        num_layers: linear layers. (default: ``2``)
        dropout: before every linear layer but the first. (default: ``0.5``)

    Shapes: ``x [N, F]`` (``edge_index`` ignored) → ``[N, C]``.

    Example:
        >>> MLP(4, 8, 3)(torch.randn(5, 4)).shape
        torch.Size([5, 3])
    """

    def __init__(self, in_channels, hidden_channels, out_channels, *, num_layers=2, dropout=0.5):
        super().__init__(in_channels, hidden_channels, out_channels, num_layers=num_layers, dropout=dropout)
        self.net = PygMLP(in_channels=in_channels, hidden_channels=hidden_channels,
                          out_channels=out_channels, num_layers=num_layers, dropout=dropout, norm=None)

    def forward(self, x: Tensor, edge_index: Tensor | None = None) -> Tensor:
        self._check(x, None)
        return self.net(x)

    def inference_layers(self) -> list[InferenceLayer]:
        """One row-wise layer (the whole MLP): :meth:`inference` is the forward in chunks of rows."""
        return [InferenceLayer(transform=self.net)]

    def inference_graph(self, edge_index: Tensor | None, num_nodes: int) -> None:
        return None


class GCN(_Baseline):
    """GCN (Kipf & Welling, 2017, https://arxiv.org/abs/1609.02907) via PyG's ``GCNConv``.

    :math:`H' = \\hat D^{-1/2}(A+I)\\hat D^{-1/2} H W`, ReLU and dropout between layers.
    Args as :class:`MLP`. Shapes: ``x [N, F]``, ``edge_index [2, E]`` → ``[N, C]``.

    Example:
        >>> GCN(4, 8, 3)(torch.randn(5, 4), torch.tensor([[0, 1], [1, 0]])).shape
        torch.Size([5, 3])
    """

    def __init__(self, in_channels, hidden_channels, out_channels, *, num_layers=2, dropout=0.5):
        super().__init__(in_channels, hidden_channels, out_channels, num_layers=num_layers, dropout=dropout)
        self.net = PygGCN(in_channels, hidden_channels, num_layers, out_channels, dropout=dropout)

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:
        self._check(x, edge_index)
        return self.net(x, edge_index)

    def inference_layers(self) -> list[InferenceLayer]:
        """Per layer: ``H W`` row-wise, then the normalised sum over each target's in-neighbours and itself."""
        return [InferenceLayer(transform=conv.lin, aggregate=partial(self._gcn_layer, i))
                for i, conv in enumerate(self.net.convs)]

    def subgraph_forward(self, x: Tensor, edge_index: Tensor, in_degree: Tensor) -> Tensor:
        r"""The forward on a sampled subgraph, normalised with the **full graph's** degrees (mini-batch training).

        ``GCNConv`` on a sampled subgraph would normalise with the subgraph's degrees: a node at the sampling
        frontier, whose in-edges were not drawn, counts as degree 1 and its messages weigh up to
        :math:`\sqrt{d+1}` times more than in the full graph, so training and evaluation differ. Here layer
        :math:`\ell` is :math:`h'_v = \frac{(HW)_v}{d_v + 1} + \frac{d_v}{k_v} \sum_{u \to v \text{ sampled}}
        \frac{(HW)_u}{\sqrt{(d_u + 1)(d_v + 1)}} + b` with the full in-degrees :math:`d` (self-loops not
        counted) and :math:`k_v` of the :math:`d_v` in-edges of ``v`` sampled: an unbiased estimate of the full
        layer, equal to it where every in-edge is sampled (then :math:`k_v = d_v`). Dropout, activation and
        parameters as ``forward``.

        Args:
            x: ``[n, F]`` features of the subgraph's nodes (dense or ``torch.sparse_csr``).
            edge_index: ``[2, E_s]`` sampled edges in local ids, ``source -> target``.
            in_degree: ``[n]`` the full graph's in-degree of each subgraph node, self-loops not counted.

        Returns:
            ``[n, C]``; rows of nodes without sampled in-edges (the frontier) are not estimates of anything.
        """
        self._check(x, edge_index)
        if in_degree.shape != (x.size(0),):
            raise ValueError(f"in_degree must hold one entry per subgraph node ({x.size(0)}), got "
                             f"{list(in_degree.shape)}")
        src, dst = edge_index[:, edge_index[0] != edge_index[1]]
        sampled = torch.bincount(dst, minlength=x.size(0))
        dtype = param_dtype(self)
        norm = (in_degree + 1).to(dtype).rsqrt()
        weight = (norm[src] * norm[dst] * in_degree[dst].to(dtype) / sampled[dst].clamp(min=1)).unsqueeze(1)
        h = x
        for i, conv in enumerate(self.net.convs):
            hw = conv.lin(h)
            h = (hw * norm.square().unsqueeze(1)).index_add(0, dst, hw[src] * weight)
            if conv.bias is not None:
                h = h + conv.bias
            if i < self.num_layers - 1:
                h = self.net.dropout(self._between_layers(i, h))
        return h

    def inference_graph(self, edge_index: Tensor, num_nodes: int) -> Tensor:
        """Without self-loops: ``GCNConv`` replaces them by one unit loop per node (added in ``_gcn_layer``)."""
        return remove_self_loops(edge_index)[0]

    def _gcn_layer(self, i: int, hw: Tensor, block: InferenceBlock) -> Tensor:
        """``GCNConv`` for the block's targets: :math:`\\sum_{u \\in N(v) \\cup v} (d_u d_v)^{-1/2} (HW)_u + b`,
        with the global degrees :math:`d = ` in-degree + 1 (``gcn_norm`` with ``add_remaining_self_loops``)."""
        conv, b = self.net.convs[i], block.batch_size
        norm = (block.in_degree + 1).to(hw.dtype).rsqrt()
        src, dst = block.edge_index
        out = hw[:b] * norm[:b].square().unsqueeze(1)
        out = out.index_add(0, dst, hw[src] * (norm[src] * norm[dst]).unsqueeze(1))
        if conv.bias is not None:
            out = out + conv.bias
        return self._between_layers(i, out)


class SAGE(_Baseline):
    """GraphSAGE (Hamilton et al., 2017, https://arxiv.org/abs/1706.02216).

    ``aggr='mean'`` (default) is PyG's GraphSAGE: ``W_1 x_v + W_2 mean_{u in N(v)} x_u``.
    ``aggr='gcn'`` is the paper's GCN-style variant that DGL's ``SAGEConv(..., 'gcn')``
    implements and GLNN uses for its teacher: one weight on the mean over
    ``N(v) ∪ {v}``, ``W (x_v + sum_{u in N(v)} x_u) / (d_v + 1)``.
    Other args as :class:`MLP`. Shapes: ``x [N, F]``, ``edge_index [2, E]`` → ``[N, C]``.

    Example:
        >>> SAGE(4, 8, 3, aggr="gcn")(torch.randn(5, 4), torch.tensor([[0, 1], [1, 0]])).shape
        torch.Size([5, 3])
    """

    def __init__(self, in_channels, hidden_channels, out_channels, *, num_layers=2, dropout=0.5,
                 aggr: str = "mean"):
        super().__init__(in_channels, hidden_channels, out_channels, num_layers=num_layers, dropout=dropout)
        if aggr not in ("mean", "gcn"):
            raise ValueError(f"SAGE: aggr must be 'mean' or 'gcn', got {aggr!r}")
        self.aggr = aggr
        self.net = PygSAGE(in_channels, hidden_channels, num_layers, out_channels, dropout=dropout,
                           root_weight=aggr == "mean")

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:
        self._check(x, edge_index)
        if self.aggr == "gcn":
            edge_index, _ = add_self_loops(edge_index, num_nodes=x.size(0))
        return self.net(x, edge_index)

    def inference_graph(self, edge_index: Tensor, num_nodes: int) -> Tensor:
        """With a self-loop per node for ``aggr='gcn'``, as ``forward``."""
        if self.aggr == "gcn":
            return add_self_loops(edge_index, num_nodes=num_nodes)[0]
        return edge_index

    def extra_repr(self) -> str:
        return super().extra_repr() + f", aggr={self.aggr!r}"


class GAT(_Baseline):
    """GAT (Veličković et al., 2018, https://arxiv.org/abs/1710.10903) via PyG's ``GAT`` model.

    Hidden layers concatenate ``heads`` attention heads of ``hidden_channels // heads`` channels; the
    output layer averages ``heads`` heads of ``out_channels`` (PyG's ``GAT(..., heads=heads)``, ForwardGNN's
    back-propagation baseline). ``dropout`` applies to the features between layers and, as in PyG, to the
    attention coefficients. Other args as :class:`MLP`. Shapes: ``x [N, F]``, ``edge_index [2, E]`` → ``[N, C]``.

    Args:
        heads: attention heads per layer; ``hidden_channels`` must be divisible by it. (default: ``4``)

    Example:
        >>> GAT(4, 8, 3, heads=4)(torch.randn(5, 4), torch.tensor([[0, 1], [1, 0]])).shape
        torch.Size([5, 3])
    """

    def __init__(self, in_channels, hidden_channels, out_channels, *, num_layers=2, dropout=0.5, heads: int = 4):
        super().__init__(in_channels, hidden_channels, out_channels, num_layers=num_layers, dropout=dropout)
        if isinstance(heads, bool) or not isinstance(heads, int) or heads < 1:
            raise ValueError(f"GAT: heads must be an int >= 1, got {heads!r}")
        if num_layers > 1 and hidden_channels % heads:
            raise ValueError(f"GAT: hidden_channels={hidden_channels} must be divisible by heads={heads} "
                             "(the hidden layers concatenate the heads)")
        self.heads = heads
        self.net = PygGAT(in_channels, hidden_channels, num_layers, out_channels, dropout=dropout, heads=heads)

    @classmethod
    def _config_kwargs(cls, config: NodeClassifierConfig) -> dict:
        return {"heads": config.heads} if "heads" in type(config).keys() else {}

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:
        self._check(x, edge_index)
        return self.net(x, edge_index)

    def extra_repr(self) -> str:
        return super().extra_repr() + f", heads={self.heads}"


def node_embedding(num_nodes: int, dim: int) -> nn.Embedding:
    """Learnable features for feature-less graphs (Xavier-initialised)."""
    emb = nn.Embedding(num_nodes, dim)
    torch.nn.init.xavier_uniform_(emb.weight)
    return emb


# --------------------------------------------------------------------------- config and procedure


@dataclass(frozen=True)
class NodeClassifierConfig(Config):
    """Full-batch node classification with Adam, selected on validation.

    Args:
        hidden_channels, num_layers, dropout: the architecture (see :class:`MLP`).
        lr, weight_decay: Adam. (defaults: ``0.01``, ``5e-4``)
        epochs: the epoch budget. (default: ``200``)
        patience: validations without a better validation score before stopping; ``None``
            runs every epoch (the best state is kept either way). (default: ``100``)
        eval_every: validate every this many epochs (ForwardGNN's protocol: 2). (default: ``1``)
        train_per_class, val_per_class: draw a seeded split with this many training /
            validation nodes per class (the rest is test) instead of the data's masks.
            (default: ``None``: the data's own masks)
        folds: draw ForwardGNN's k-fold split instead (:func:`graphkit.datasets.kfold.kfold_split`),
            fold ``seed mod folds``: run ``i`` of the runner tests on fold ``i``. (default: ``None``)
        val_fraction, split_seed: that split's validation share and ``KFold`` seed. (defaults:
            ``0.2``, ``101``)
        normalize_features: row-normalise the features first (PyG's ``NormalizeFeatures``).
            (default: ``False``)
        batch_size: seed nodes per mini-batch of neighbour-sampled training (GCN / SAGE / GAT;
            needs ``fan_out``); validation and test then run layer by layer in chunks of ``batch_size``
            nodes (:meth:`GCN.inference`: the full-graph eval forward's numbers without its per-edge
            messages, so they do not set the peak memory). (default: ``None``: full batch)
        fan_out: sampled in-neighbours per node and hop, from the seeds outwards, e.g. ``(10, 10)``
            (``-1``: all). (default: ``None``)
        sampler: ``'torch'`` (:mod:`graphkit.ops.neighbor_sampling`, vectorised, uniform) or
            ``'torch_sparse'`` (PyG ``NeighborLoader``'s C++ sampler without pyg-lib; CPU only, not
            uniform in torch-sparse 0.6). (default: ``'torch'``)
        runs: see :class:`~graphkit.train.config.Config`.

    Example:
        >>> NodeClassifierConfig(epochs=50).replace(lr=0.05).lr
        0.05
    """

    hidden_channels: int = 64
    num_layers: int = 2
    dropout: float = 0.5
    lr: float = 0.01
    weight_decay: float = 5e-4
    epochs: int = 200
    patience: int | None = 100
    eval_every: int = 1
    train_per_class: int | None = None
    val_per_class: int | None = None
    folds: int | None = None
    val_fraction: float = 0.2
    split_seed: int = OFFICIAL_SEED
    normalize_features: bool = False
    batch_size: int | None = None
    fan_out: tuple[int, ...] | None = None
    sampler: str = "torch"
    runs: int = 3

    def check(self) -> None:
        for key in ("hidden_channels", "num_layers", "epochs", "eval_every"):
            if getattr(self, key) < 1:
                raise config_error(self.__class__, f"{key} must be >= 1, got {getattr(self, key)}")
        if self.folds is not None and self.folds < 2:
            raise config_error(self.__class__, f"folds must be >= 2 or null (the data's masks), got {self.folds}")
        if self.folds is not None and self.train_per_class is not None:
            raise config_error(self.__class__, "choose one split: folds or train_per_class / val_per_class")
        if not 0 < self.val_fraction < 1:
            raise config_error(self.__class__, f"val_fraction must be in (0, 1), got {self.val_fraction}")
        if not 0 <= self.dropout < 1:
            raise config_error(self.__class__, f"dropout must be in [0, 1), got {self.dropout}")
        if self.patience is not None and self.patience < 1:
            raise config_error(self.__class__, f"patience must be >= 1 or null, got {self.patience}")
        if (self.batch_size is None) != (self.fan_out is None):
            raise config_error(self.__class__, "mini-batch training needs both batch_size and fan_out (e.g. "
                                               "batch_size=1024, fan_out=[10, 10]); set neither for full batch")
        if self.batch_size is not None and self.batch_size < 1:
            raise config_error(self.__class__, f"batch_size must be >= 1 or null, got {self.batch_size}")
        if self.fan_out is not None and (not self.fan_out or any(k == 0 or k < -1 for k in self.fan_out)):
            raise config_error(self.__class__, f"fan_out must list one count >= 1 (or -1: all) per hop, got "
                                               f"{list(self.fan_out)}")
        if self.sampler not in SAMPLERS:
            raise config_error(self.__class__, f"sampler must be one of {SAMPLERS}, got {self.sampler!r}")


_FORWARDGNN_BP = Preset(
    source="ForwardGNN's back-propagation baseline (facebookresearch/forwardgnn, exp/nodeclass/nodeclass-bp.sh, "
           "train_backprop.py): PyG model, hidden 128, dropout 0, Adam lr 1e-3 and weight decay 5e-4, 1000 epochs, "
           "validation every 2 epochs, patience 100 validations, NormalizeFeatures, the 5-fold 64/16/20 split "
           "(KFold random_state=101), run i on split i, 5 runs; --set num_layers=1..4",
    hidden_channels=128, dropout=0.0, lr=1e-3, weight_decay=5e-4, epochs=1000, patience=100, eval_every=2,
    normalize_features=True, folds=5, runs=5)
_HYPER_MLP = Preset(source="LightHGNN's MLP row (iMoonLab/LightHGNN MyMLPs, the student's architecture): hidden 128, "
                           "200 epochs, best-validation checkpoint, 20 train / 100 val per class, 5 seeds",
                    hidden_channels=128, patience=None, train_per_class=20, val_per_class=100, runs=5)


@dataclass(frozen=True)
class MLPConfig(NodeClassifierConfig):
    """:class:`NodeClassifierConfig` with the MLP's presets (LightHGNN's MLP row on hypergraphs).

    Example:
        >>> MLPConfig.paper("cocitation-cora").train_per_class
        20
    """

    source: ClassVar[str] = ("the usual MLP baseline of the GCN/GLNN papers: 2 layers, dropout 0.5, lr 0.01, "
                             "weight decay 5e-4")
    presets: ClassVar[dict[str, Preset]] = {"cocitation-cora": _HYPER_MLP, "cocitation-pubmed": _HYPER_MLP,
                                            "cocitation-citeseer": _HYPER_MLP, "coauthorship-cora": _HYPER_MLP,
                                            "coauthorship-dblp": _HYPER_MLP,
                                            "digits-knn": Preset(source=_DIGITS_SOURCE, **_DIGITS_SPLIT)}


@dataclass(frozen=True)
class GCNConfig(NodeClassifierConfig):
    """:class:`NodeClassifierConfig` with GCN's presets (Kipf & Welling's Cora setting).

    Example:
        >>> GCNConfig.paper("cora").hidden_channels
        16
    """

    source: ClassVar[str] = ("Kipf & Welling 2017 (arXiv 1609.02907), Sec. 5.2: 2 layers, 16 hidden (64 for the "
                             "synthetic default), dropout 0.5, lr 0.01, weight decay 5e-4, 200 epochs")
    presets: ClassVar[dict[str, Preset]] = {
        "csbm": Preset(source="a small synthetic default, not from the paper", epochs=100, patience=30),
        "cora": Preset(hidden_channels=16, runs=10),
        **{name: Preset(source="DeepRobust's GCN on the Pro-GNN graphs (deeprobust.graph.defense.GCN defaults: "
                               "16 hidden, dropout 0.5, lr 0.01, weight decay 5e-4, 200 epochs, no early stopping; "
                               "10 seeds)", hidden_channels=16, patience=None, runs=10)
           for name in ("prognn-cora", "prognn-citeseer", "prognn-cora-ml", "prognn-polblogs", "prognn-pubmed")},
        "cora-ml": _FORWARDGNN_BP,
        "amazon-photo": _FORWARDGNN_BP,
        "digits-knn": Preset(source=_DIGITS_SOURCE, **_DIGITS_SPLIT),
    }


@dataclass(frozen=True)
class SAGEConfig(NodeClassifierConfig):
    """:class:`NodeClassifierConfig` for GraphSAGE (PyG examples' settings; no per-data-set presets).

    Example:
        >>> SAGEConfig().dropout
        0.5
    """

    source: ClassVar[str] = ("Hamilton et al. 2017 (arXiv 1706.02216) mean aggregator, full batch; PyG examples' "
                             "settings: 2 layers, dropout 0.5, lr 0.01, weight decay 5e-4")
    presets: ClassVar[dict[str, Preset]] = {"cora-ml": _FORWARDGNN_BP, "amazon-photo": _FORWARDGNN_BP}


@dataclass(frozen=True)
class GATConfig(NodeClassifierConfig):
    """:class:`NodeClassifierConfig` for GAT, plus ``heads`` (ForwardGNN's baseline presets).

    Args:
        heads: attention heads per layer, concatenated in the hidden layers. (default: ``4``)

    Example:
        >>> GATConfig.paper("cora-ml").heads, GATConfig.paper("cora-ml").folds
        (4, 5)
    """

    heads: int = 4

    source: ClassVar[str] = ("Veličković et al. 2018 (arXiv 1710.10903) via PyG's GAT model, full batch; defaults "
                             "as the other baselines (2 layers, dropout 0.5, lr 0.01, weight decay 5e-4), 4 heads "
                             "as ForwardGNN")
    presets: ClassVar[dict[str, Preset]] = {"cora-ml": _FORWARDGNN_BP, "amazon-photo": _FORWARDGNN_BP}

    def check(self) -> None:
        super().check()
        if self.heads < 1:
            raise config_error(self.__class__, f"heads must be >= 1, got {self.heads}")
        if self.num_layers > 1 and self.hidden_channels % self.heads:
            raise config_error(self.__class__, f"hidden_channels={self.hidden_channels} must be divisible by "
                                               f"heads={self.heads}")


@procedure((MLP, GCN, SAGE, GAT), {GAT: GATConfig, _Baseline: NodeClassifierConfig})
def fit_node_classifier(model: _Baseline, data, config: NodeClassifierConfig, *, seed: int, device: torch.device,
                        progress: bool | None, warm_start: bool) -> FitResult:
    """Train an :class:`MLP`, :class:`GCN`, :class:`SAGE` or :class:`GAT` full batch; select on validation.

    Adam on cross-entropy (binary cross-entropy for multi-label ``y [N, L]``) over
    the training nodes; the state with the best validation accuracy (micro-F1 for
    multi-label) is kept, and its validation and test scores are reported. The
    MLP needs no graph, so it also runs on hypergraph data sets (LightHGNN's MLP row).
    With ``folds`` (the ``cora-ml`` / ``amazon-photo`` presets, ForwardGNN's back-propagation
    baseline) the split is fold ``seed mod folds`` of the official k-fold protocol and the
    features are row-normalised (``normalize_features``); validation every ``eval_every`` epochs.
    With ``batch_size`` and ``fan_out`` a GCN / SAGE / GAT trains on neighbour-sampled
    mini-batches instead (:func:`~graphkit.train.node_classification.neighbor_sampled_training`);
    under ``torchrun`` every rank trains on its shard of the training nodes (of each batch).
    A GCN's sampled forward uses the full graph's degree normalisation
    (:meth:`GCN.subgraph_forward`), as its evaluation does.
    Validation and test then use layer-wise batched inference (``model.inference``,
    :mod:`graphkit.train.batched_inference`), equal to the full-graph forward in eval mode
    up to float rounding (under ``torchrun`` each rank computes its range of rows and the
    ranks all-gather them); the full-batch path is unchanged.

    Args:
        model: an :class:`MLP`, :class:`GCN`, :class:`SAGE` or :class:`GAT`, trained in place.
        data: a PyG ``Data`` with ``x``, ``y`` (class ids ``[N]`` or 0/1 ``[N, L]``),
            ``train_mask``, ``val_mask``, ``test_mask`` and (GCN/SAGE) ``edge_index``;
            or a networkx graph with those node attributes. The data's own masks are
            used unless the config sets ``train_per_class`` / ``val_per_class`` (then a
            seeded per-class split is drawn among the labelled nodes: ``-1`` means
            *unlabelled* there). Every node in a mask must be labelled.
        config: a :class:`NodeClassifierConfig` (:class:`GATConfig` for a GAT; or a dict of its keys).
        seed, device, progress, warm_start: see :mod:`graphkit.models.procedure`.

    Returns:
        :class:`~graphkit.train.result.FitResult` with ``valid_accuracy`` /
        ``test_accuracy`` (``_micro_f1`` / ``_macro_f1`` for multi-label); with ``folds``,
        ``outputs`` holds the split used (``train_mask`` / ``val_mask`` / ``test_mask``).

    Example:
        >>> from graphkit import MLP, datasets
        >>> data = datasets.load("csbm", num_nodes=300, seed=0)
        >>> result = fit_node_classifier(MLP(data.num_features, 16, 4), data, {"epochs": 3}, progress=False)
        >>> result.epochs_run, sorted(result.metrics)
        (3, ['test_accuracy', 'valid_accuracy'])
    """
    drawn = config.train_per_class is not None or config.folds is not None
    check_node_inputs(data, num_features=model.in_channels, num_classes=model.out_channels, owner=type(model).__name__,
                      needs_graph=not isinstance(model, MLP), needs_masks=not drawn,
                      split_hint="set train_per_class and val_per_class in the config")
    data = with_per_class_split(data, config.train_per_class, config.val_per_class, seed=seed)
    if config.folds is not None:
        data = with_kfold_split(data, seed % config.folds, num_folds=config.folds, val_fraction=config.val_fraction,
                                seed=config.split_seed)
    if not warm_start:
        reinitialize(model)
    model.to(device)
    x = normalize_row_sums(data.x) if config.normalize_features else data.x  # dense or torch.sparse_csr, as given
    x, y = x.to(device), data.y.to(device)
    edge_index = None if isinstance(model, MLP) else data.edge_index.to(device)
    train, val, test = (getattr(data, f"{s}_mask").to(device) for s in ("train", "val", "test"))
    select = "micro_f1" if y.dim() == 2 else "accuracy"
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    timer = Timer(device)
    batches, loss = None, full_batch_loss(model, x, edge_index, y, train)
    if config.batch_size is not None:
        if isinstance(model, MLP):
            raise ValueError("batch_size / fan_out sample neighbourhoods: they are for GCN, SAGE and GAT, not the MLP")
        batches, loss = neighbor_sampled_training(model, x, edge_index, y, train, batch_size=config.batch_size,
                                                  fan_out=config.fan_out, sampler=config.sampler,
                                                  generator=torch.Generator().manual_seed(seed))

    def predict() -> Tensor:  # eval-mode logits of every node
        if config.batch_size is None:
            return model(x, edge_index)
        return model.inference(x, edge_index, chunk_size=config.batch_size, shard=True)  # torchrun: rows split

    trajectory = run_epochs(
        model, optimizer, epochs=config.epochs, timer=timer, progress=progress, desc=type(model).__name__,
        batches=batches, loss=loss,
        validate=lambda: node_scores(predict()[val], y[val])[select],
        selection=Selection("max", patience=config.patience), eval_every=config.eval_every,
        value_name=f"valid_{select}")
    with torch.no_grad(), timer.inference():
        logits = predict()
    scores = {f"{key}_{name}": value for stage, key in ((val, "valid"), (test, "test"))
              for name, value in node_scores(logits[stage], y[stage]).items()}
    outputs = {f"{s}_mask": getattr(data, f"{s}_mask") for s in ("train", "val", "test")} if config.folds else {}
    return FitResult(scores, timer.summary(), trajectory.best_epoch, trajectory.epochs_run,
                     history=trajectory.history, outputs=outputs)
