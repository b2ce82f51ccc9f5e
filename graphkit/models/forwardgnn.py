r"""ForwardGNN: "Forward Learning of Graph Neural Networks" (Park et al., ICLR 2024, https://arxiv.org/abs/2403.11004).

A GNN trained **without back-propagation through the stack**: every layer has its own optimiser and a
local objective on its detached input, so no gradient crosses layers and training memory stays flat in
depth (:mod:`graphkit.train.layerwise`). Every block is
``L2-row-normalise → conv (GCN / SAGE-mean / GAT with 4 concatenated heads, PyG) → ReLU``. The five
node-classification variants of the official code (facebookresearch/forwardgnn,
``src/forward_learning/nodeclass``), selected by ``variant``:

``sf`` (single forward, ``GNN_SingleForward``)
    :math:`C` virtual class nodes with random :math:`\mathcal N(0, 1)` features; each *training* node is
    joined to the node of its class in both directions (validation and test nodes get no such edge, so no
    label leaks). Layer :math:`\ell` is trained greedily with cross-entropy on
    :math:`\langle h^{\ell}_v, h^{\ell}_{VN_c}\rangle / \tau` over the training nodes; the prediction is
    :math:`\arg\max_c \sum_\ell \mathrm{softmax}_c(\langle h^\ell_v, h^\ell_{VN_c}\rangle/\tau)`.
``ff-la`` (forward-forward, label appending, ``GNN_LA``)
    The one-hot label is appended to a training node's features (:math:`1/C` for the others). Goodness
    :math:`g = \sum_f h_f^2 - \theta`; loss :math:`\mathrm{BCE}(g^+, 1) + \mathrm{mean}_k\,\mathrm{BCE}(g^-_k, 0)`
    on the training nodes, negative :math:`k` appending a wrong class (drawn once per node; all
    :math:`C - 1` by default). Inference runs :math:`C` passes, the evaluated nodes carrying candidate
    :math:`c`, and takes :math:`\arg\max_c \sum_\ell g_\ell`.
``ff-vn`` (forward-forward, virtual nodes, ``GNN_VNLA``)
    As ``ff-la`` with the virtual class nodes as the label carrier: negatives wire each training node to
    a wrong class node; inference rewires the evaluated nodes to each class node in turn.
``sf-top-to-loss`` (``GNN_Top2Loss_SingleForward``)
    All layers update at every time step; layer :math:`\ell`'s loss uses the mean of its output and the
    previous step's L2-normalised (detached) outputs of every higher layer; gradients clipped per layer.
    Prediction: one bottom-up pass, the same mean per layer, summed softmax.
``sf-top-to-input`` (``GNN_Top2Input_SingleForward``)
    Layer :math:`\ell`'s input is :math:`[\mathrm{norm}(H^{\ell-1}) \,\|\, \mathrm{norm}(H^{\ell+1})]` with
    :math:`H^{\ell+1}` from the previous step; the top layer's top-down input is the label (one-hot for
    training nodes, uniform for the others, one-hot for the class nodes). With ``alternating_update``
    even layers update first, then odd layers from their fresh outputs. Prediction unrolls
    ``unroll_steps`` steps from a bottom-up pass and sums the softmax of every layer at steps
    ``>= unroll_skip`` (official: 10 steps, steps 2..9).

Where graphkit differs from the official code (numbers may move slightly; no paper figure depends on it):
the official SF-Top-To-Loss bottom-up pass (which starts the states and makes the predictions) skips the
L2 normalisation that its training applies, feeding the first layer raw features and every next layer
raw outputs; graphkit normalises every block input, in training and inference alike, as the block
definition says. ``legacy_bottom_up=True`` reproduces the official pass. FF goodness at inference is the
official ``mean(h²) − θ`` up to the factor of the (equal) layer widths, so the predicted class is the same.
The greedy variants (SF, FF-LA, FF-VN) and SF-Top-To-Input follow the official computation step for step:
started from the same weights and features on a tiny graph, the trained weights agree to 1e-6.

Build, fit, predict::

    >>> from graphkit import datasets
    >>> data = datasets.load("csbm", num_nodes=300, seed=0)
    >>> config = ForwardGNNConfig(num_layers=2, hidden_channels=16, epochs=4)
    >>> model = ForwardGNN.from_config(config, data)
    >>> result = fit_forwardgnn(model, data, config, progress=False)
    >>> result.model is model, sorted(result.metrics)[-3:]
    (True, ['layer2_valid_accuracy', 'test_accuracy', 'valid_accuracy'])
    >>> pred = model(result.features, data.edge_index, data.y, result.train_mask).argmax(-1)
    >>> tuple(pred.shape)
    (300,)
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import ClassVar, Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.data import Data
from torch_geometric.nn import GATConv, GCNConv, SAGEConv

from graphkit import metrics
from graphkit.datasets.kfold import OFFICIAL_SEED, with_kfold_split
from graphkit.models.procedure import graph_info, procedure
from graphkit.nn.model import Model, reinitialize
from graphkit.ops.csr import from_coo
from graphkit.ops.rows import (
    concat_columns,
    concat_rows,
    l2_normalize_rows,
    normalize_row_sums,
    to_sparse_rows,
)
from graphkit.ops.virtual_nodes import label_matrix, with_class_nodes
from graphkit.train.config import Config, Preset, config_error
from graphkit.train.layerwise import layer_groups, train_greedy, train_time_steps
from graphkit.train.loop import Selection, Trajectory
from graphkit.train.node_classification import check_node_data
from graphkit.train.result import FitResult
from graphkit.train.timing import Timer

log = logging.getLogger(__name__)

__all__ = ["BACKBONES", "VARIANTS", "ForwardBlock", "ForwardGNN", "ForwardGNNConfig", "fit_forwardgnn",
           "wrong_classes"]

VARIANTS = ("sf", "ff-la", "ff-vn", "sf-top-to-loss", "sf-top-to-input")
BACKBONES = ("gcn", "sage", "gat")
GREEDY = ("sf", "ff-la", "ff-vn")
VIRTUAL_NODES = ("sf", "ff-vn", "sf-top-to-loss", "sf-top-to-input")


class ForwardBlock(nn.Module):
    r"""One ForwardGNN block: ``L2-row-normalise → conv → ReLU``.

    With ``top`` (SF-Top-To-Input) the conv's input is :math:`[\mathrm{norm}(x) \,\|\, \mathrm{norm}(top)]`,
    each part normalised on its own. ``x`` may be a ``torch.sparse_csr`` tensor (bag-of-words input) for
    the GCN and GAT backbones, whose first operation is linear. ``normalize=False`` skips the
    normalisation (the official SF-Top-To-Loss bottom-up pass, ``legacy_bottom_up``).

    Args:
        backbone: ``'gcn'`` (PyG ``GCNConv``), ``'sage'`` (``SAGEConv``, mean aggregation) or ``'gat'``
            (``GATConv`` with ``heads`` heads of ``out_channels // heads`` channels, concatenated).
        in_channels, out_channels: sizes (``in_channels`` counts the top-down part too).
        heads: GAT heads. (default: ``4``)

    Example:
        >>> block = ForwardBlock("gat", 6, 8)
        >>> block(torch.randn(4, 6), torch.tensor([[0, 1], [1, 0]])).shape
        torch.Size([4, 8])
    """

    def __init__(self, backbone: str, in_channels: int, out_channels: int, *, heads: int = 4):
        super().__init__()
        if backbone == "gcn":
            self.conv = GCNConv(in_channels, out_channels)
        elif backbone == "sage":
            self.conv = SAGEConv(in_channels, out_channels, aggr="mean")
        elif backbone == "gat":
            if out_channels % heads:
                raise ValueError(f"GAT concatenates {heads} heads: out_channels={out_channels} must be divisible "
                                 f"by heads={heads}")
            self.conv = GATConv(in_channels, out_channels // heads, heads=heads)
        else:
            raise ValueError(f"unknown backbone {backbone!r}; valid: {', '.join(map(repr, BACKBONES))}")
        self.backbone, self.in_channels, self.out_channels = backbone, in_channels, out_channels

    def reset_parameters(self) -> None:
        self.conv.reset_parameters()

    def forward(self, x: Tensor, adj: Tensor, top: Tensor | None = None, *, normalize: bool = True) -> Tensor:
        h = l2_normalize_rows(x) if normalize else x
        if top is not None:
            h = concat_columns(h, l2_normalize_rows(top))
        if adj.layout == torch.strided:
            return F.relu(self.conv(h, adj))
        with torch.sparse.check_sparse_tensor_invariants(False):  # PyG builds CSR tensors inside; opt out explicitly
            return F.relu(self.conv(h, adj))

    def extra_repr(self) -> str:
        return f"{self.backbone!r}, {self.in_channels}, {self.out_channels}"


class ForwardGNN(Model):
    r"""ForwardGNN (Park et al., ICLR 2024, https://arxiv.org/abs/2403.11004): a stack of
    :class:`ForwardBlock` s trained layer-locally by :func:`fit_forwardgnn` (variants: module doc).

    Scores of node :math:`v` for class :math:`c` (the prediction is their argmax):

    .. math::
        \text{SF}:\ \sum_{\ell} \mathrm{softmax}_c\bigl(\langle h^\ell_v, h^\ell_{N+c}\rangle / \tau\bigr)
        \qquad \text{FF}:\ \sum_\ell \bigl(\lVert h^\ell_v[c] \rVert_2^2 - \theta\bigr)

    where :math:`h^\ell_{N+c}` is the virtual node of class :math:`c` and :math:`h^\ell_v[c]` the
    output of the pass in which :math:`v` carries candidate label :math:`c`.

    Args:
        in_channels: :math:`F`, input features.
        hidden_channels: width of every layer (official ``--num-hidden``: 128).
        num_classes: :math:`C`.
        num_layers: blocks, ``>= 1``. (default: ``4``)
        variant: one of :data:`VARIANTS`. (default: ``'sf'``)
        backbone: one of :data:`BACKBONES`. (default: ``'gcn'``)
        heads: GAT heads (concatenated). (default: ``4``)
        temperature: :math:`\tau` of the SF logits. (default: ``1.0``)
        theta: :math:`\theta` of the FF goodness. (default: ``2.0``)
        alternating_update: SF-Top-To-Input's update order in inference (and training): even layers,
            then odd layers; ``None`` uses it for that variant only. (default: ``None``)
        unroll_steps, unroll_skip: SF-Top-To-Input inference: steps unrolled from the bottom-up pass,
            and steps skipped before probabilities are summed. (defaults: ``10``, ``2``)
        legacy_bottom_up: SF-Top-To-Loss: the official bottom-up pass without the L2 normalisation
            (module doc). (default: ``False``)

    The virtual class nodes' features are a frozen buffer ``virtual_x [C, F]`` drawn :math:`\mathcal
    N(0, 1)` at construction (the official frozen ``nn.Embedding``).

    Shapes:
        - x: :math:`[N, F]` (dense)
        - edge_index: :math:`[2, E]`
        - y: :math:`[N]` labels; only the rows of ``known_mask`` are read
        - known_mask: :math:`[N]` bool, the nodes whose label the graph carries (the training nodes;
          FF variants at test time: training and validation nodes)
        - query_mask: :math:`[N]` bool, the nodes given each candidate label (FF variants; default:
          every other node)
        - output: :math:`[N, C]` scores (meaningful on the query rows)

    Example:
        >>> model = ForwardGNN(5, 8, 3, num_layers=2)
        >>> edge_index = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])
        >>> y, known = torch.tensor([0, 1, 2, 0]), torch.tensor([True, True, True, False])
        >>> model(torch.rand(4, 5), edge_index, y, known).shape
        torch.Size([4, 3])
    """

    def __init__(self, in_channels: int, hidden_channels: int, num_classes: int, *, num_layers: int = 4,
                 variant: str = "sf", backbone: str = "gcn", heads: int = 4, temperature: float = 1.0,
                 theta: float = 2.0, alternating_update: bool | None = None, unroll_steps: int = 10,
                 unroll_skip: int = 2, legacy_bottom_up: bool = False):
        super().__init__()
        name = type(self).__name__
        if variant not in VARIANTS:
            raise ValueError(f"{name}: unknown variant {variant!r}; valid: {', '.join(map(repr, VARIANTS))}")
        if backbone not in BACKBONES:
            raise ValueError(f"{name}: unknown backbone {backbone!r}; valid: {', '.join(map(repr, BACKBONES))}")
        for key, value, low in (("in_channels", in_channels, 1), ("hidden_channels", hidden_channels, 1),
                                ("num_classes", num_classes, 2), ("num_layers", num_layers, 1),
                                ("heads", heads, 1), ("unroll_steps", unroll_steps, 1), ("unroll_skip", unroll_skip, 0)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"{name}: {key} must be an int >= {low}, got {value!r}")
        if unroll_skip >= unroll_steps:
            raise ValueError(f"{name}: unroll_skip={unroll_skip} must be below unroll_steps={unroll_steps}")
        if not temperature > 0:
            raise ValueError(f"{name}: temperature must be > 0, got {temperature}")
        self.in_channels, self.hidden_channels, self.num_classes = in_channels, hidden_channels, num_classes
        self.num_layers, self.variant, self.backbone, self.heads = num_layers, variant, backbone, heads
        self.temperature, self.theta = float(temperature), float(theta)
        self.alternating_update = variant == "sf-top-to-input" if alternating_update is None else bool(alternating_update)
        self.unroll_steps, self.unroll_skip = unroll_steps, unroll_skip
        self.legacy_bottom_up = bool(legacy_bottom_up)
        sizes = []
        for index in range(num_layers):
            size = in_channels if index == 0 else hidden_channels
            if variant == "ff-la" and index == 0:
                size += num_classes
            if variant == "sf-top-to-input":
                size += num_classes if index == num_layers - 1 else hidden_channels
            sizes.append(size)
        self.layers = nn.ModuleList(ForwardBlock(backbone, size, hidden_channels, heads=heads) for size in sizes)
        if variant in VIRTUAL_NODES:
            self.register_buffer("virtual_x", torch.randn(num_classes, in_channels))
        else:
            self.virtual_x = None

    @classmethod
    def from_config(cls, config: ForwardGNNConfig, data) -> ForwardGNN:
        """The model ``config`` describes, sized for ``data`` (a ``Data`` or :class:`GraphInfo`)."""
        info = graph_info(data)
        if info.num_features < 1:
            raise ValueError(f"{cls.__name__} needs node features; this data set has none")
        if info.multilabel or info.num_classes < 2:
            raise ValueError(f"{cls.__name__} needs single-label targets data.y [N] with at least 2 classes")
        alternating = None if config.alternating_update == "auto" else config.alternating_update
        return cls(info.num_features, config.hidden_channels, info.num_classes, num_layers=config.num_layers,
                   variant=config.variant, backbone=config.backbone, heads=config.heads,
                   temperature=config.temperature, theta=config.theta, alternating_update=alternating,
                   unroll_steps=config.unroll_steps, unroll_skip=config.unroll_skip,
                   legacy_bottom_up=config.legacy_bottom_up)

    def reset_parameters(self) -> None:
        for layer in self.layers:
            layer.reset_parameters()
        if self.virtual_x is not None:
            self.virtual_x.normal_()

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.hidden_channels}, {self.num_classes}, num_layers={self.num_layers}, "
                f"variant={self.variant!r}, backbone={self.backbone!r}")

    # ------------------------------------------------------------------ pieces shared with fit_forwardgnn

    def with_virtual_nodes(self, x: Tensor) -> Tensor:
        """``[x; virtual_x]``: the features of the graph with the class nodes appended (rows ``N..N+C-1``);
        a ``torch.sparse_csr`` ``x`` gives a CSR tensor."""
        return concat_rows(x, self.virtual_x.to(x.dtype))

    def class_logits(self, h: Tensor, num_nodes: int, rows: Tensor | None = None) -> Tensor:
        r""":math:`\langle h_v, h_{N+c}\rangle / \tau` for the real nodes (or ``rows`` of them): ``[*, C]``."""
        real = h[:num_nodes] if rows is None else h[:num_nodes][rows]
        logits = real @ h[num_nodes:].t()
        return logits if self.temperature == 1.0 else logits / self.temperature

    def goodness(self, h: Tensor) -> Tensor:
        r""":math:`\sum_f h_f^2 - \theta` per row."""
        return h.pow(2).sum(dim=1) - self.theta

    def top_to_loss_mix(self, out: Tensor, above: list[Tensor]) -> Tensor:
        """SF-Top-To-Loss: the mean of a layer's output and the L2-normalised outputs of the layers above."""
        if not above:
            return out
        return torch.stack([out] + [l2_normalize_rows(a) for a in above]).mean(dim=0)

    def label_state(self, labels: Tensor) -> Tensor:
        """SF-Top-To-Input's top-down input: one-hot rows for ``labels >= 0``, uniform rows else, one-hot class nodes."""
        eye = torch.eye(self.num_classes, device=labels.device)
        return torch.cat([label_matrix(labels, self.num_classes), eye], dim=0)

    def bottom_up(self, x: Tensor, adj: Tensor, label_state: Tensor | None = None) -> list[Tensor]:
        """Outputs of every layer in one pass (SF-Top-To-Input: top-down inputs zero)."""
        states, h = [], x
        legacy = self.legacy_bottom_up and self.variant == "sf-top-to-loss"
        for index, layer in enumerate(self.layers):
            top = None
            if self.variant == "sf-top-to-input":
                width = self.num_classes if index == self.num_layers - 1 else self.hidden_channels
                top = torch.zeros(h.size(0), width, device=self.virtual_x.device)
            h = layer(h, adj, top, normalize=not legacy)
            states.append(h)
        return states

    def top_to_loss_outputs(self, x: Tensor, adj: Tensor) -> list[Tensor]:
        """SF-Top-To-Loss inference: each layer's output from its bottom-up input (the states of the layers above
        come from the same pass). Equal to :meth:`bottom_up` unless ``legacy_bottom_up``, where the official code
        applies each layer to the normalised state of the raw pass."""
        states = self.bottom_up(x, adj)
        if not self.legacy_bottom_up:
            return states
        return [layer(x if index == 0 else states[index - 1], adj) for index, layer in enumerate(self.layers)]

    def top_to_input_layer(self, index: int, x: Tensor, adj: Tensor, label_state: Tensor,
                           read: Callable[[int], Tensor]) -> Tensor:
        """SF-Top-To-Input layer ``index`` from the states ``read(k)`` of layers ``index ± 1``."""
        below = x if index == 0 else read(index - 1)
        above = label_state if index == self.num_layers - 1 else read(index + 1)
        return self.layers[index](below, adj, top=above)

    def unrolled_probs(self, x: Tensor, adj: Tensor, label_state: Tensor, num_nodes: int,
                       rows: Tensor | None = None) -> Tensor:
        """SF-Top-To-Input inference: the summed softmax of every layer at unrolled steps ``>= unroll_skip``."""
        states = self.bottom_up(x, adj)
        total = 0
        for step in range(self.unroll_steps):
            fresh: dict[int, Tensor] = {}

            def read(k: int, fresh=fresh, states=states) -> Tensor:
                return fresh[k] if self.alternating_update and k in fresh else states[k]

            for group in layer_groups(self.num_layers, self.alternating_update):
                for index in group:
                    fresh[index] = self.top_to_input_layer(index, x, adj, label_state, read)
                    if step >= self.unroll_skip:
                        total = total + self.class_logits(fresh[index], num_nodes, rows).softmax(dim=1)
            states = [fresh[k] for k in range(self.num_layers)]
        return total

    # ------------------------------------------------------------------ inference

    def forward(self, x: Tensor, edge_index: Tensor, y: Tensor, known_mask: Tensor,
                query_mask: Tensor | None = None) -> Tensor:
        n = x.size(0)
        if y.shape != (n,) or known_mask.shape != (n,) or known_mask.dtype != torch.bool:
            raise ValueError(f"y and known_mask must be [N={n}] (known_mask bool), got {tuple(y.shape)} and "
                             f"{tuple(known_mask.shape)} {known_mask.dtype}")
        query = ~known_mask if query_mask is None else query_mask
        known_labels = torch.where(known_mask, y, torch.full_like(y, -1))
        if x.layout == torch.sparse_csr and self.backbone == "sage":
            x = x.to_dense()  # SAGE aggregates the raw features first: no sparse path
        if self.variant in ("ff-la", "ff-vn"):
            scores = []
            for c in range(self.num_classes):
                labels = torch.where(query & ~known_mask, torch.full_like(y, c), known_labels)
                if self.variant == "ff-la":
                    h = concat_columns(x, label_matrix(labels, self.num_classes, x.dtype))
                    adj = edge_index
                else:
                    h, adj = self.with_virtual_nodes(x), with_class_nodes(edge_index, labels, self.num_classes)
                total = 0
                for layer in self.layers:
                    h = layer(h, adj)
                    total = total + self.goodness(h[:n])
                scores.append(total)
            return torch.stack(scores, dim=1)
        h = self.with_virtual_nodes(x)
        adj = with_class_nodes(edge_index, known_labels, self.num_classes)
        if self.variant == "sf-top-to-input":
            return self.unrolled_probs(h, adj, self.label_state(known_labels), n)
        if self.variant == "sf":  # one layer's output alive at a time
            total = 0
            for layer in self.layers:
                h = layer(h, adj)
                total = total + self.class_logits(h, n).softmax(dim=1)
            return total
        states, outs = self.bottom_up(h, adj), self.top_to_loss_outputs(h, adj)
        return sum(self.class_logits(self.top_to_loss_mix(out, states[index + 1:]), n).softmax(dim=1)
                   for index, out in enumerate(outs))


# --------------------------------------------------------------------------- config


_SOURCE = ("official code facebookresearch/forwardgnn (exp/nodeclass/*.sh, train_forward.py defaults): hidden 128, "
           "Adam lr 1e-3 and weight decay 5e-4 per layer, 1000 epochs per layer (time steps for the top-down "
           "variants), validation every 2 epochs, patience 100 validation calls, tau 1, theta 2, all negatives, "
           "NormalizeFeatures")
_KFOLD = Preset(source=_SOURCE + "; the 5-fold 64/16/20 split of datasplit.py (KFold random_state=101), run i on "
                                 "split i, 5 runs", folds=5, runs=5)


@dataclass(frozen=True)
class ForwardGNNConfig(Config):
    """Everything :class:`ForwardGNN` and :func:`fit_forwardgnn` need; defaults are the official settings.

    Args:
        variant: ``'sf'``, ``'ff-la'``, ``'ff-vn'``, ``'sf-top-to-loss'`` or ``'sf-top-to-input'``
            (:mod:`graphkit.models.forwardgnn`). (default: ``'sf'``)
        backbone: ``'gcn'``, ``'sage'`` or ``'gat'``. (default: ``'gcn'``)
        num_layers, hidden_channels, heads: the stack. (defaults: ``4``, ``128``, ``4``)
        lr, weight_decay: each layer's Adam. (defaults: ``1e-3``, ``5e-4``)
        epochs: per layer for the greedy variants, time steps for the top-down ones. (default: ``1000``)
        eval_every: validate every this many epochs. (default: ``2``)
        patience: validations without improvement before a layer (greedy) or the stack (time steps) stops;
            ``None`` never stops early. The best state is kept either way. (default: ``100``)
        temperature: :math:`\\tau` of the SF logits. (default: ``1.0``)
        theta: :math:`\\theta` of the FF goodness. (default: ``2.0``)
        num_negatives: wrong classes per training node for the FF variants, ``None`` = all :math:`C - 1`
            (the official ``--num-negs 100``); larger values are capped at :math:`C - 1`. (default: ``None``)
        grad_clip: per-layer gradient-norm clip; ``'auto'`` is the official choice (1.0 for
            ``sf-top-to-loss``, none for the others), a number applies to every variant. (default: ``'auto'``)
        alternating_update: the time-step variants' update order (even layers, then odd ones); ``'auto'``
            is the official choice (on for ``sf-top-to-input``, whose script passes the flag; off for
            ``sf-top-to-loss``, whose code ignores it). (default: ``'auto'``)
        unroll_steps, unroll_skip: SF-Top-To-Input inference. (defaults: ``10``, ``2``)
        legacy_bottom_up: SF-Top-To-Loss with the official bottom-up pass, which skips the L2
            normalisation (:mod:`graphkit.models.forwardgnn`). (default: ``False``)
        normalize_features: PyG's ``NormalizeFeatures`` first. (default: ``True``)
        sparse_input: feed bag-of-words input (under 10 % non-zero) to the first GCN / GAT layer as a
            ``torch.sparse_csr`` tensor: same numbers up to rounding, faster. (default: ``True``)
        folds: ``None`` uses the data's masks; ``k`` draws the official k-fold split
            (:func:`graphkit.datasets.kfold.kfold_split`), fold ``seed mod k``, so run ``i`` of the runner
            (seed ``i``) tests on fold ``i``. (default: ``None``; ``5`` in the ``cora-ml`` /
            ``amazon-photo`` presets)
        val_fraction, split_seed: the fold split's validation share and ``KFold`` seed. (defaults:
            ``0.2``, ``101``)
        runs: seeded runs the paper averages. (default: ``5``)

    Official argument names are accepted as aliases (``num_hidden``, ``ff_theta``, ``num_negs``,
    ``val_every``, ``grad_max_norm``, ``test_time_steps``, ``gnn``).

    Example:
        >>> ForwardGNNConfig.paper("cora-ml").folds, ForwardGNNConfig().replace(variant="ff-la").theta
        (5, 2.0)
    """

    variant: Literal["sf", "ff-la", "ff-vn", "sf-top-to-loss", "sf-top-to-input"] = "sf"
    backbone: Literal["gcn", "sage", "gat"] = "gcn"
    num_layers: int = 4
    hidden_channels: int = 128
    heads: int = 4
    lr: float = 1e-3
    weight_decay: float = 5e-4
    epochs: int = 1000
    eval_every: int = 2
    patience: int | None = 100
    temperature: float = 1.0
    theta: float = 2.0
    num_negatives: int | None = None
    grad_clip: float | Literal["auto"] | None = "auto"
    alternating_update: bool | Literal["auto"] = "auto"
    unroll_steps: int = 10
    unroll_skip: int = 2
    legacy_bottom_up: bool = False
    normalize_features: bool = True
    sparse_input: bool = True
    folds: int | None = None
    val_fraction: float = 0.2
    split_seed: int = OFFICIAL_SEED
    runs: int = 5

    source: ClassVar[str] = _SOURCE
    aliases: ClassVar[dict] = {"num_hidden": "hidden_channels", "ff_theta": "theta", "num_negs": "num_negatives",
                               "val_every": "eval_every", "grad_max_norm": "grad_clip",
                               "test_time_steps": "unroll_steps", "gnn": ("backbone", lambda v: str(v).lower())}
    presets: ClassVar[dict[str, Preset]] = {"cora-ml": _KFOLD, "amazon-photo": _KFOLD}

    def check(self) -> None:
        for key, low in (("num_layers", 1), ("hidden_channels", 1), ("heads", 1), ("epochs", 1), ("eval_every", 1),
                         ("unroll_steps", 1), ("unroll_skip", 0)):
            if getattr(self, key) < low:
                raise config_error(self.__class__, f"{key} must be >= {low}, got {getattr(self, key)}")
        if self.backbone == "gat" and self.hidden_channels % self.heads:
            raise config_error(self.__class__, f"GAT concatenates heads: hidden_channels={self.hidden_channels} must "
                                               f"be divisible by heads={self.heads}")
        for key in ("lr", "temperature"):
            if not getattr(self, key) > 0:
                raise config_error(self.__class__, f"{key} must be > 0, got {getattr(self, key)}")
        if self.weight_decay < 0:
            raise config_error(self.__class__, f"weight_decay must be >= 0, got {self.weight_decay}")
        if self.patience is not None and self.patience < 1:
            raise config_error(self.__class__, f"patience must be >= 1 or null, got {self.patience}")
        if self.num_negatives is not None and self.num_negatives < 1:
            raise config_error(self.__class__, f"num_negatives must be >= 1 or null (all), got {self.num_negatives}")
        if isinstance(self.grad_clip, float) and not self.grad_clip > 0:
            raise config_error(self.__class__, f"grad_clip must be > 0, 'auto' or null, got {self.grad_clip}")
        if self.unroll_skip >= self.unroll_steps:
            raise config_error(self.__class__, f"unroll_skip={self.unroll_skip} must be below "
                                               f"unroll_steps={self.unroll_steps}")
        if self.alternating_update is True and self.variant in GREEDY:
            raise config_error(self.__class__, f"alternating_update applies to the time-step variants "
                                               f"('sf-top-to-loss', 'sf-top-to-input'), not {self.variant!r}; "
                                               "leave it 'auto'")
        if self.folds is not None and self.folds < 2:
            raise config_error(self.__class__, f"folds must be >= 2 or null (the data's masks), got {self.folds}")
        if not 0 < self.val_fraction < 1:
            raise config_error(self.__class__, f"val_fraction must be in (0, 1), got {self.val_fraction}")

    def resolved_grad_clip(self) -> float | None:
        """``grad_clip`` with ``'auto'`` resolved for ``variant``."""
        if self.grad_clip == "auto":
            return 1.0 if self.variant == "sf-top-to-loss" else None
        return self.grad_clip


# --------------------------------------------------------------------------- procedure


def wrong_classes(y: Tensor, num_classes: int, *, generator: torch.Generator | None = None) -> Tensor:
    """``[N, C - 1]``: every class but ``y[v]`` in a random order per node (FF negatives; drawn once).

    Example:
        >>> neg = wrong_classes(torch.tensor([0, 2]), 3, generator=torch.Generator().manual_seed(0))
        >>> sorted(neg[0].tolist()), sorted(neg[1].tolist())
        ([1, 2], [0, 1])
    """
    keys = torch.rand(y.size(0), num_classes, generator=generator).to(y.device)
    keys[torch.arange(y.size(0), device=y.device), y.clamp(min=0)] = 2.0  # the true class sorts last
    return keys.argsort(dim=1)[:, : num_classes - 1]


@dataclass
class _Run:
    """What the variant trainers share: the prepared tensors, masks and settings of one fit."""

    model: ForwardGNN
    config: ForwardGNNConfig
    x: Tensor  # normalised features [N, F]: torch.sparse_csr when sparse, else dense
    edge_index: Tensor
    y: Tensor
    train: Tensor
    val: Tensor
    test: Tensor
    sparse: bool
    timer: Timer
    progress: bool | None
    seed: int

    @property
    def n(self) -> int:
        return self.x.size(0)

    def adjacency(self, edge_index: Tensor, num_nodes: int) -> Tensor:
        """The graph as PyG's transposed sparse adjacency (faster products, same sums); edge_index when it has self-loops."""
        if bool((edge_index[0] == edge_index[1]).any()):
            return edge_index  # PyG treats existing self-loops differently on the two paths: keep the exact one
        return from_coo(edge_index[1], edge_index[0], None, num_nodes, num_nodes).to_torch_sparse(self.x.dtype)

    def first_input(self, x: Tensor) -> Tensor:
        return to_sparse_rows(x) if self.sparse and x.layout == torch.strided else x

    def labels(self, known: Tensor, query: Tensor | None = None, c: int | Tensor | None = None) -> Tensor:
        """``y`` on ``known`` nodes, ``c`` on ``query`` nodes, ``-1`` elsewhere."""
        out = torch.where(known, self.y, torch.full_like(self.y, -1))
        if query is not None:
            out = torch.where(query, torch.as_tensor(c, device=self.y.device).expand_as(out), out)
        return out

    def optimizer(self, params) -> torch.optim.Optimizer:
        return torch.optim.Adam(params, lr=self.config.lr, weight_decay=self.config.weight_decay)

    def selection(self) -> Selection:
        return Selection("max", patience=self.config.patience)  # strict improvements, as the official stopper



def _greedy(run: _Run, inputs: dict, *, loss, split_scores, advance_train) -> tuple[list[Trajectory], dict]:
    """Greedy training shared by the SF and FF variants (:func:`graphkit.train.layerwise.train_greedy`).

    ``split_scores(j, inputs, split) -> (scores [n_split, C], next input of that split)`` evaluates layer
    ``j`` on the ``'val'`` or ``'test'`` nodes, and ``advance_train(j, inputs)`` gives the next training
    inputs. The prediction after layer ``j`` is the argmax of the scores summed over layers ``0..j``
    (earlier layers' sums are kept, so a validation runs one layer); its validation accuracy selects
    layer ``j``'s state, and the test accuracy of every prefix is recorded (``layer<k>_test_accuracy``,
    what the official scripts save per prefix of their 4-layer runs).
    """
    targets = {"val": run.y[run.val], "test": run.y[run.test]}
    summed: dict[str, Tensor | int] = {"val": 0, "test": 0}
    scores: dict[str, float] = {}

    def validate(j, inp):
        return metrics.accuracy(summed["val"] + split_scores(j, inp, "val")[0], targets["val"])

    def advance(j, inp):
        out = {**inp, **advance_train(j, inp)}
        for split, name in (("val", "valid"), ("test", "test")):
            layer, out[split] = split_scores(j, inp, split)
            summed[split] = summed[split] + layer
            scores[f"layer{j + 1}_{name}_accuracy"] = metrics.accuracy(summed[split], targets[split])
        return out

    trajectories = train_greedy(
        run.model.layers, inputs, loss=loss, validate=validate, advance=advance, optimizer=run.optimizer,
        epochs=run.config.epochs, selection=run.selection(), eval_every=run.config.eval_every,
        grad_clip=run.config.resolved_grad_clip(), timer=run.timer, progress=run.progress,
        desc="ForwardGNN layer", value_name="valid_accuracy")
    last = run.model.num_layers
    scores["valid_accuracy"] = scores[f"layer{last}_valid_accuracy"]
    scores["test_accuracy"] = scores[f"layer{last}_test_accuracy"]
    return trajectories, scores


def _fit_sf(run: _Run):
    """SF: one virtual-node graph (training nodes wired), per-layer cross-entropy, summed softmax."""
    model, n = run.model, run.n
    adj = run.adjacency(with_class_nodes(run.edge_index, run.labels(run.train), model.num_classes),
                        n + model.num_classes)
    y_train, rows = run.y[run.train], {"val": run.val, "test": run.test}

    def loss(j, inp):
        return F.cross_entropy(model.class_logits(model.layers[j](inp["h"], adj), n, run.train), y_train)

    def split_scores(j, inp, split):  # the same graph for every split: no evaluated node is wired
        return model.class_logits(model.layers[j](inp["h"], adj), n, rows[split]).softmax(dim=1), None

    return _greedy(run, {"h": run.first_input(model.with_virtual_nodes(run.x))}, loss=loss,
                   split_scores=split_scores, advance_train=lambda j, inp: {"h": model.layers[j](inp["h"], adj)})


def _bce_terms(model: ForwardGNN, positive: Callable[[], Tensor], negatives: Iterator[Callable[[], Tensor]],
               num_negatives: int) -> Iterator[Tensor]:
    """The FF loss as terms back-propagated one at a time (one graph alive at once):
    ``BCE(g+, 1)``, then ``BCE(g-_k, 0) / K`` for each negative."""
    g = model.goodness(positive())
    yield F.binary_cross_entropy_with_logits(g, torch.ones_like(g))
    for negative in negatives:
        g = model.goodness(negative())
        yield F.binary_cross_entropy_with_logits(g, torch.zeros_like(g)) / num_negatives


def _fit_ff(run: _Run):
    """FF-LA / FF-VN: goodness loss against wrong-label negatives, C-pass inference."""
    model, n, num_classes = run.model, run.n, run.model.num_classes
    k = min(run.config.num_negatives or num_classes - 1, num_classes - 1)
    wrong = wrong_classes(run.y, num_classes, generator=torch.Generator().manual_seed(run.seed))
    train, trainval = run.train, run.train | run.val
    positive = run.labels(train)
    negative = [torch.where(train, wrong[:, i], torch.full_like(run.y, -1)) for i in range(k)]
    evaluated = {"val": [run.labels(train, run.val, c) for c in range(num_classes)],  # val: train nodes known
                 "test": [run.labels(trainval, run.test, c) for c in range(num_classes)]}  # test: train + val
    rows = {"val": run.val, "test": run.test}

    if model.variant == "ff-la":
        # a label vector [N] (int64) stands for layer 0's input [x | labels], built when used
        x_first, adj = run.first_input(run.x), run.adjacency(run.edge_index, n)

        def forward(j, state, graph=None):
            if state.dtype == torch.long:
                state = concat_columns(x_first, label_matrix(state, num_classes, run.x.dtype))
            return model.layers[j](state, adj)

        inputs = {"pos": positive, "neg": negative, **evaluated}
        graphs = {"val": [None] * num_classes, "test": [None] * num_classes}

        def negatives(j, inp):
            return ((lambda s=s: forward(j, s)[train]) for s in inp["neg"])

        def advance_train(j, inp):
            return {"pos": forward(j, inp["pos"]), "neg": [forward(j, s) for s in inp["neg"]]}
    else:
        def graph_for(labels):
            return run.adjacency(with_class_nodes(run.edge_index, labels, num_classes), n + num_classes)

        graphs = {"pos": graph_for(positive), "neg": [graph_for(lab) for lab in negative],
                  "val": [graph_for(lab) for lab in evaluated["val"]],
                  "test": [graph_for(lab) for lab in evaluated["test"]]}
        h0 = run.first_input(model.with_virtual_nodes(run.x))
        # every graph starts from the same features; as the official code, the negatives read the
        # positive graph's states at every layer (they differ only in their class-node edges)
        inputs = {"pos": h0, "val": [h0] * num_classes, "test": [h0] * num_classes}

        def forward(j, state, graph):
            return model.layers[j](state, graph)

        def negatives(j, inp):
            return ((lambda g=g: forward(j, inp["pos"], g)[:n][train]) for g in graphs["neg"])

        def advance_train(j, inp):
            return {"pos": model.layers[j](inp["pos"], graphs["pos"])}

    def loss(j, inp):
        return _bce_terms(model, lambda: forward(j, inp["pos"], graphs.get("pos"))[:n][train], negatives(j, inp), k)

    def split_scores(j, inp, split):
        outs = [forward(j, inp[split][c], graphs[split][c]) for c in range(num_classes)]
        return torch.stack([model.goodness(h[:n][rows[split]]) for h in outs], dim=1), outs

    return _greedy(run, inputs, loss=loss, split_scores=split_scores, advance_train=advance_train)


def _fit_time_steps(run: _Run):
    """SF-Top-To-Loss / SF-Top-To-Input: every layer updates at every time step (top-down signals)."""
    model, n, num_layers = run.model, run.n, run.model.num_layers
    adj = run.adjacency(with_class_nodes(run.edge_index, run.labels(run.train), model.num_classes),
                        n + model.num_classes)
    x0 = run.first_input(model.with_virtual_nodes(run.x))
    y_train = run.y[run.train]
    label_state = model.label_state(run.labels(run.train)) if model.variant == "sf-top-to-input" else None
    with torch.no_grad():
        states = model.bottom_up(x0, adj)

    def local_loss(j: int, read: Callable[[int], Tensor]) -> tuple[Tensor, Tensor]:
        if model.variant == "sf-top-to-input":
            out = model.top_to_input_layer(j, x0, adj, label_state, read)
            emb = out
        else:
            out = model.layers[j](x0 if j == 0 else read(j - 1), adj)
            emb = model.top_to_loss_mix(out, [read(k) for k in range(j + 1, num_layers)])
        return F.cross_entropy(model.class_logits(emb, n, run.train), y_train), out

    def probs(rows: Tensor) -> Tensor:
        if model.variant == "sf-top-to-input":
            return model.unrolled_probs(x0, adj, label_state, n, rows)
        states, outs = model.bottom_up(x0, adj), model.top_to_loss_outputs(x0, adj)
        return sum(model.class_logits(model.top_to_loss_mix(out, states[j + 1:]), n, rows).softmax(dim=1)
                   for j, out in enumerate(outs))

    trajectory = train_time_steps(
        model, model.layers, states, local_loss=local_loss,
        validate=lambda: metrics.accuracy(probs(run.val), run.y[run.val]), optimizer=run.optimizer,
        epochs=run.config.epochs, alternating=model.alternating_update, selection=run.selection(),
        eval_every=run.config.eval_every, grad_clip=run.config.resolved_grad_clip(), timer=run.timer,
        progress=run.progress, desc=f"ForwardGNN {model.variant}", value_name="valid_accuracy")
    with torch.no_grad(), run.timer.inference():
        scores = {"valid_accuracy": metrics.accuracy(probs(run.val), run.y[run.val]),
                  "test_accuracy": metrics.accuracy(probs(run.test), run.y[run.test])}
    return [trajectory], scores


def _check_labels(model: ForwardGNN, data: Data) -> None:
    if data.y.dim() != 1 or data.y.is_floating_point():
        raise ValueError("ForwardGNN is for single-label node classification: data.y must be [N] integer class ids")
    used = data.train_mask | data.val_mask | data.test_mask
    labels = data.y[used]
    if labels.numel() and int(labels.min()) < 0:
        raise ValueError("every node in train_mask / val_mask / test_mask needs a label >= 0 (found a negative one)")
    seen = int(data.y.max()) + 1
    if seen > model.num_classes:
        raise ValueError(f"the graph has labels up to {seen - 1} ({seen} classes) but the ForwardGNN was built for "
                         f"{model.num_classes} classes (one virtual node / label slot per class); build it with "
                         "ForwardGNN.from_config(config, data)")
    if data.x.size(1) != model.in_channels:
        raise ValueError(f"data.x has {data.x.size(1)} features but the ForwardGNN expects {model.in_channels}; "
                         "build it with ForwardGNN.from_config(config, data)")


@procedure(ForwardGNN, ForwardGNNConfig)
def fit_forwardgnn(model: ForwardGNN, data: Data, config: ForwardGNNConfig, *, seed: int, device: torch.device,
                   progress: bool | None, warm_start: bool) -> FitResult:
    """Train a :class:`ForwardGNN` layer-locally, in place, with the official protocol.

    1. With ``config.folds`` (the ``cora-ml`` / ``amazon-photo`` presets: 5) the split is fold
       ``seed mod folds`` of the official k-fold protocol (:func:`graphkit.datasets.kfold.kfold_split`),
       so the runner's run ``i`` (seed ``i``) uses split ``i``; else the data's masks.
    2. ``NormalizeFeatures`` (``normalize_features``); bag-of-words input goes to the first GCN / GAT
       layer as a sparse tensor (``sparse_input``), and graphs as PyG's sparse adjacency (same sums).
    3. The variant's training (module doc): greedy for ``sf`` / ``ff-la`` / ``ff-vn``
       (:func:`graphkit.train.layerwise.train_greedy`: each layer up to ``epochs`` epochs, validated every
       ``eval_every`` on the prediction of the layers so far, stopped after ``patience`` validations
       without a strictly better accuracy, its best state kept), time steps for the top-down variants
       (:func:`graphkit.train.layerwise.train_time_steps`: ``epochs`` steps, the stack's best state kept).
       Each layer has its own Adam (``lr``, ``weight_decay``); inputs are detached.
    4. Report the validation and test accuracy of the kept states (FF variants evaluate test nodes with
       the training and validation labels known, as the official code).

    The architecture is the model's: ``config``'s architecture fields only matter to
    :meth:`ForwardGNN.from_config`.

    Args:
        model: a :class:`ForwardGNN` sized for ``data``, trained in place.
        data: a PyG ``Data`` with ``x``, ``y [N]``, ``edge_index`` and (unless ``folds``) the three masks.
        config: a :class:`ForwardGNNConfig` (or a dict of its keys).
        seed, device, progress, warm_start: see :mod:`graphkit.models.procedure` (the seed also picks the
            fold and draws the FF negatives).

    Returns:
        :class:`~graphkit.train.result.FitResult` with ``valid_accuracy`` / ``test_accuracy`` and, for the
        greedy variants, ``layer<k>_valid_accuracy`` / ``layer<k>_test_accuracy`` of every prefix of
        ``k`` layers; ``best_epoch`` and ``epochs_run`` of the last layer (greedy) or of the time steps;
        ``history`` rows with ``layer``; ``outputs``: ``features`` (the normalised input, a
        ``torch.sparse_csr`` tensor with ``sparse_input``; predict with
        ``model(result.features, data.edge_index, data.y, result.train_mask)``), the split
        ``train_mask`` / ``val_mask`` / ``test_mask``, and per layer ``best_epochs`` / ``epochs_per_layer``.

    Example:
        >>> from graphkit import datasets
        >>> data = datasets.load("csbm", num_nodes=200, seed=0)
        >>> config = ForwardGNNConfig(variant="ff-la", num_layers=2, hidden_channels=8, epochs=3, folds=5)
        >>> result = fit_forwardgnn(ForwardGNN.from_config(config, data), data, config, seed=1, progress=False)
        >>> int(result.test_mask.sum()), result.epochs_per_layer
        (40, [3, 3])
    """
    if config.folds is not None:
        data = with_kfold_split(data, seed % config.folds, num_folds=config.folds,
                                val_fraction=config.val_fraction, seed=config.split_seed)
    check_node_data(data)
    _check_labels(model, data)
    if data.x.layout == torch.sparse_csr:  # loaded sparse (datasets.load(..., sparse_features=True))
        sparse = config.sparse_input and model.backbone != "sage"  # the SAGE backbone densifies (forward)
        if not sparse:
            log.info("fit_forwardgnn densifies the sparse features: %s", "the SAGE backbone aggregates the raw "
                     "features first" if model.backbone == "sage" else "sparse_input=False asks for dense input")
        x = data.x if sparse else data.x.to_dense()
    else:
        sparse = (config.sparse_input and model.backbone != "sage" and data.x.numel() > 0
                  and int(torch.count_nonzero(data.x)) < 0.1 * data.x.numel())
        x = to_sparse_rows(data.x) if sparse else data.x  # bag-of-words: never a dense copy of the features
    x = normalize_row_sums(x) if config.normalize_features else x
    if not warm_start:
        reinitialize(model)
    model.to(device)
    x = x.to(device)
    run = _Run(model, config, x, data.edge_index.to(device), data.y.to(device),
               *(getattr(data, f"{s}_mask").to(device) for s in ("train", "val", "test")),
               sparse=sparse, timer=Timer(device), progress=progress, seed=seed)
    trainer = _fit_sf if model.variant == "sf" else _fit_ff if model.variant in GREEDY else _fit_time_steps
    trajectories, scores = trainer(run)
    if model.variant in GREEDY:  # the scores came from the training loop; time one full prediction
        known = run.train if model.variant == "sf" else run.train | run.val
        with torch.no_grad(), run.timer.inference():
            model(x, run.edge_index, run.y, known)
    history = [{"layer": index, **row} for index, t in enumerate(trajectories) for row in t.history]
    if model.variant not in GREEDY:
        history = [{k: v for k, v in row.items() if k != "layer"} for row in history]
    last = trajectories[-1]
    return FitResult(scores, run.timer.summary(), last.best_epoch, last.epochs_run, history=history,
                     outputs={"features": x, "train_mask": run.train, "val_mask": run.val, "test_mask": run.test,
                              "best_epochs": [t.best_epoch for t in trajectories],
                              "epochs_per_layer": [t.epochs_run for t in trajectories]})
