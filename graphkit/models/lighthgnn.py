r"""HGNN, LightHGNN and LightHGNN⁺: distilling a hypergraph neural network into an MLP.

Feng et al., "LightHGNN: Distilling Hypergraph Neural Networks into MLPs for
100× Faster Inference", ICLR 2024, https://arxiv.org/abs/2402.04296; the
teacher is HGNN (Feng et al., "Hypergraph Neural Networks", AAAI 2019,
https://arxiv.org/abs/1809.09401).

* **Teacher** :class:`HGNN` — two :class:`~graphkit.nn.HGNNConv` layers
  (:math:`X' = D_v^{-1/2} H W D_e^{-1} H^\top D_v^{-1/2} X \Theta`), ReLU and
  dropout between them, trained with CE and selected on validation accuracy.
* **Student** — an MLP (``d → 128 → C``) that never sees the hypergraph,
  trained with :math:`L = \lambda\,\mathrm{CE} + (1-\lambda)\,\mathrm{KL}(p_t \| p_s)`
  over all vertices (default λ = 0, τ = 1, as in the official configs).
  :class:`LightHGNN` holds both parts (``teacher``, ``student``); its forward is the student's.
* :class:`LightHGNNPlus` adds **reliable hyperedge distillation**: the
  teacher's mean prediction entropy per hyperedge is computed on clean
  features and on :math:`\tilde X = X\odot(1+\varepsilon)`,
  :math:`\varepsilon\sim\mathcal N(0, \sigma^2)` (σ = 1);
  :math:`\delta_e = |\Delta \bar H_e|`, reliability
  :math:`\rho_e = 1 - \delta_e / \max_e \delta_e`; every epoch hyperedges are
  drawn with :math:`\mathrm{Bernoulli}(\rho_e)` and the hyperedge-level term
  :math:`L_{HC} = \mathrm{KL}(z^t_e \| z^s_e)`, :math:`z_e = \mathrm{mean}_{v\in e}\,
  \mathrm{softmax}(y_v/\tau)`, is added: :math:`L = \lambda\,\mathrm{CE} +
  (1-\lambda)(L_{KD} + w_{HC} L_{HC})`.

One procedure trains both (:func:`fit_lighthgnn`, LightHGNN⁺ when given a
:class:`LightHGNNPlus`); :func:`fit_hgnn` trains the teacher alone. Build, fit, predict::

    >>> from graphkit import LightHGNN, LightHGNNConfig, fit_lighthgnn, datasets
    >>> data = datasets.load("csbm", num_nodes=300, seed=0)   # a graph: turned into a hypergraph
    >>> config = LightHGNNConfig(epochs=5, train_per_class=10, val_per_class=20)
    >>> model = LightHGNN.from_config(config, data)
    >>> result = fit_lighthgnn(model, data, config, progress=False)
    >>> pred = model(data.x).argmax(-1)                       # features only, no hypergraph
    >>> sorted(result.metrics)
    ['teacher_test_accuracy', 'teacher_valid_accuracy', 'test_accuracy', 'valid_accuracy']

Plain graphs are turned into hypergraphs with
:func:`graphkit.datasets.hypergraphs.graph_to_hypergraph` (edge hyperedges plus
1-hop neighbourhoods), as the official code does for Cora/PubMed/CiteSeer.

**Where this differs from the official code** (iMoonLab/LightHGNN): both KL
terms there call ``F.kl_div(log q, p, log_target=True)`` with probabilities
``p`` as target and divide probabilities by τ, which optimises towards
:math:`q \propto e^{p}`; here KL is computed between log-probabilities.
``legacy=True`` (config key ``legacy``) restores the official form. The
split is LightHGNN's: 20 training and 100 validation vertices per class, the
rest test, redrawn per seed; HyperGCN's shipped train/test split is not used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.data import Data

from graphkit._validation import check_dropout, check_features, check_int
from graphkit.datasets.digits import SPLIT_PRESET as DIGITS_SPLIT
from graphkit.datasets.digits import SPLIT_SOURCE as DIGITS_SOURCE
from graphkit.datasets.hypergraphs import graph_to_hypergraph
from graphkit.datasets.node_splits import per_class_split
from graphkit.models.baselines import MLP
from graphkit.models.procedure import graph_info, procedure
from graphkit.nn.hgnn_conv import HGNNConv
from graphkit.nn.model import Model, reinitialize
from graphkit.nn.teacher_student import TeacherStudent
from graphkit.ops.csr import sparse_csr_tensor
from graphkit.ops.incidence import check_hyperedge_index, vertex_to_edge
from graphkit.ops.rows import entry_rows, select_rows
from graphkit.train.config import Config, Preset, config_error
from graphkit.train.distillation import (
    DistillationConfig,
    distill,
    kl_probs,
    masked_accuracy,
    require_dropout,
    require_positive,
    require_split_sizes,
    train_teacher,
)
from graphkit.train.node_classification import check_node_inputs
from graphkit.train.result import FitResult
from graphkit.train.timing import Timer

__all__ = ["HGNN", "HGNNConfig", "LightHGNN", "LightHGNNConfig", "LightHGNNPlus", "fit_hgnn", "fit_lighthgnn",
           "hyperedge_reliability", "prepare_hypergraph", "restrict_hypergraph"]

HYPERGRAPHS = ("cocitation-cora", "cocitation-pubmed", "cocitation-citeseer", "coauthorship-cora",
               "coauthorship-dblp")


def _sizes(cls: type, data) -> tuple[int, int]:
    info = graph_info(data)
    if info.num_features < 1:
        raise ValueError(f"{cls.__name__} needs vertex features data.x; this data set has none")
    if info.num_classes < 1 or info.multilabel:
        raise ValueError(f"{cls.__name__} needs single-label targets data.y [N] to size its output")
    return info.num_features, info.num_classes


def _check_inputs(model, data, config) -> None:
    """Everything fit_lighthgnn / fit_hgnn need, checked before the split is drawn or a teacher trains."""
    check_node_inputs(data, num_features=model.in_channels, num_classes=model.out_channels,
                      owner=type(model).__name__, needs_graph=False, needs_masks=config.train_per_class is None,
                      multilabel=False, split_hint="set train_per_class and val_per_class in the config")


class HGNN(Model):
    r"""HGNN (Feng et al., AAAI 2019, https://arxiv.org/abs/1809.09401), LightHGNN's teacher.

    ``HGNNConv → ReLU → Dropout → ... → HGNNConv`` with the symmetric operator

    .. math::
        X^{(l+1)} = \sigma\big(D_v^{-1/2} H W D_e^{-1} H^\top D_v^{-1/2} X^{(l)} \Theta^{(l)}\big).

    Args:
        in_channels: vertex feature size ``F``.
        hidden_channels: hidden size (LightHGNN: 32).
        out_channels: number of classes ``C``.
        num_layers: number of :class:`~graphkit.nn.HGNNConv` layers. (default: ``2``)
        dropout: after each hidden activation. (default: ``0.5``)

    Shapes:
        ``forward(x [N, F], hyperedge_index [2, nnz], num_hyperedges, hyperedge_weight [M] | None) -> [N, C]``.

    Example:
        >>> model = HGNN(4, 8, 2)
        >>> model(torch.randn(3, 4), torch.tensor([[0, 1, 2], [0, 0, 0]]), 1).shape
        torch.Size([3, 2])
    """

    def __init__(self, in_channels: int, hidden_channels: int, out_channels: int, *, num_layers: int = 2,
                 dropout: float = 0.5):
        super().__init__()
        check_int("num_layers", num_layers, minimum=1)
        dropout = check_dropout("dropout", dropout)
        sizes = [in_channels] + [hidden_channels] * (num_layers - 1) + [out_channels]
        self.convs = nn.ModuleList(HGNNConv(a, b) for a, b in zip(sizes[:-1], sizes[1:], strict=True))
        self.in_channels, self.hidden_channels, self.out_channels = in_channels, hidden_channels, out_channels
        self.num_layers, self.dropout = num_layers, dropout

    @classmethod
    def from_config(cls, config: HGNNConfig, data) -> HGNN:
        """The HGNN ``config`` describes, sized for ``data`` (a hypergraph or graph ``Data``, or a ``GraphInfo``)."""
        f, c = _sizes(cls, data)
        return cls(f, config.hidden_channels, c, num_layers=config.num_layers, dropout=config.dropout)

    def reset_parameters(self) -> None:
        for conv in self.convs:
            conv.reset_parameters()

    def forward(self, x: Tensor, hyperedge_index: Tensor, num_hyperedges: int | None = None,
                hyperedge_weight: Tensor | None = None) -> Tensor:
        for i, conv in enumerate(self.convs):
            x = conv(x, hyperedge_index, num_hyperedges, hyperedge_weight)
            if i < len(self.convs) - 1:
                x = F.dropout(F.relu(x), self.dropout, self.training)
        return x

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.hidden_channels}, {self.out_channels}, "
                f"num_layers={self.num_layers}, dropout={self.dropout}")


class LightHGNN(TeacherStudent):
    r"""LightHGNN (Feng et al., ICLR 2024, https://arxiv.org/abs/2402.04296): an HGNN teacher and its MLP student.

    The student, an MLP ``F → hidden → C``, is what LightHGNN deploys: ``forward(x)``
    is the student's and needs no hypergraph. The teacher (:class:`HGNN`) is kept
    for comparison and for the soft labels
    :math:`L = \lambda\,\mathrm{CE}(y, s) + (1-\lambda)\,\tau^2\mathrm{KL}(\mathrm{softmax}(t/\tau)\,\|\,
    \mathrm{softmax}(s/\tau))` that :func:`fit_lighthgnn` trains the student with.

    Args:
        in_channels: vertex feature size ``F``.
        out_channels: number of classes ``C``.
        hidden_channels: the student's hidden size. (default: ``128``)
        num_layers: the student's linear layers. (default: ``2``)
        dropout: the student's dropout. (default: ``0.5``)
        teacher_hidden: the HGNN teacher's hidden size. (default: ``32``)
        teacher_dropout: the teacher's dropout. (default: ``0.5``)

    Attributes:
        teacher (HGNN), student (:class:`~graphkit.models.MLP`).

    Shapes:
        ``forward(x [N, F]) -> [N, C]``; ``teacher(x, hyperedge_index, num_hyperedges) -> [N, C]``.

    Example:
        >>> model = LightHGNN(16, 3, hidden_channels=32)
        >>> model(torch.randn(5, 16)).shape
        torch.Size([5, 3])
    """

    def __init__(self, in_channels: int, out_channels: int, *, hidden_channels: int = 128, num_layers: int = 2,
                 dropout: float = 0.5, teacher_hidden: int = 32, teacher_dropout: float = 0.5):
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.teacher = HGNN(in_channels, teacher_hidden, out_channels, dropout=teacher_dropout)
        self.student = MLP(in_channels, hidden_channels, out_channels, num_layers=num_layers, dropout=dropout)

    @classmethod
    def from_config(cls, config: LightHGNNConfig, data) -> LightHGNN:
        """The model ``config`` describes, sized for ``data`` (a hypergraph or graph ``Data``, or a ``GraphInfo``)."""
        f, c = _sizes(cls, data)
        return cls(f, c, hidden_channels=config.hidden_channels, num_layers=config.num_layers,
                   dropout=config.dropout, teacher_hidden=config.teacher_hidden,
                   teacher_dropout=config.teacher_dropout)



class LightHGNNPlus(LightHGNN):
    r"""LightHGNN⁺: :class:`LightHGNN` whose student also learns from reliable hyperedges (same architecture).

    :func:`fit_lighthgnn` adds the hyperedge-level term
    :math:`w_{HC}\,\mathrm{KL}(z^t_e \| z^s_e)` over hyperedges drawn with
    probability :math:`\rho_e` (:func:`hyperedge_reliability`) every epoch; see the
    module docstring. Args, Shapes as :class:`LightHGNN`.

    Example:
        >>> LightHGNNPlus(16, 3)(torch.randn(5, 16)).shape
        torch.Size([5, 3])
    """


# --------------------------------------------------------------------------- configs


_DIGITS = Preset(source=DIGITS_SOURCE, **DIGITS_SPLIT)

_LIGHTHGNN_SOURCE = (
    "LightHGNN official code (iMoonLab/LightHGNN, config defaults): HGNN teacher hidden 32 / dropout 0.5; MLP "
    "student hidden 128; Adam lr 0.01, wd 5e-4, 200 epochs each, best-validation selection; lambda 0 (pure KD), "
    "tau 1; 20/100 per-class split; 5 seeds; production setting 90% of test held out. KL on log-probabilities "
    "(legacy=false; true = the official KL-on-probabilities form). LightHGNN+ (reliable hyperedge sampling, "
    "hyperedge KL; feature noise X(1+eps), eps~N(0,1)): noise_std 1, hc_weight 1")


@dataclass(frozen=True)
class LightHGNNConfig(DistillationConfig):
    """LightHGNN and LightHGNN⁺: the models, the split and the two stages (the official defaults).

    Args:
        teacher_hidden, teacher_dropout: the HGNN teacher. (defaults: ``32``, ``0.5``)
        hidden_channels, num_layers, dropout: the MLP student. (defaults: ``128``, ``2``, ``0.5``)
        train_per_class, val_per_class: LightHGNN's seeded split, the rest is test; labels
            ``-1`` mark unlabelled vertices, never drawn. Both ``None``: the data's own
            ``train_mask`` / ``val_mask`` / ``test_mask``. (defaults: ``20``, ``100``)
        self_loops: ``'isolated'`` (a singleton hyperedge for every vertex in none),
            ``'all'`` or ``'none'`` (see :func:`prepare_hypergraph`). (default: ``'isolated'``)
        noise_std: σ of the feature noise of :func:`hyperedge_reliability` (LightHGNN⁺ only). (default: ``1.0``)
        hc_weight: weight of the hyperedge KL (LightHGNN⁺ only). (default: ``1.0``)
        held_out: the production setting's share of held-out test vertices. (default: ``0.9``)
        setting, epochs, patience, teacher_lr, teacher_weight_decay, student_lr,
            student_weight_decay, lam, temperature, legacy, select_ties: see
            :class:`~graphkit.train.distillation.DistillationConfig` (defaults ``'transductive'``,
            ``200``, ``None``, ``0.01``, ``5e-4``, ``0.01``, ``5e-4``, ``0.0``, ``1.0``, ``False``, ``False``).
        runs: seeds the paper averages. (default: ``5``)

    Example:
        >>> LightHGNNConfig.paper("cocitation-cora").teacher_hidden
        32
    """

    held_out: float = 0.9
    teacher_hidden: int = 32
    teacher_dropout: float = 0.5
    hidden_channels: int = 128
    num_layers: int = 2
    dropout: float = 0.5
    train_per_class: int | None = 20
    val_per_class: int | None = 100
    self_loops: Literal["isolated", "all", "none"] = "isolated"
    noise_std: float = 1.0
    hc_weight: float = 1.0
    runs: int = 5

    source: ClassVar[str] = _LIGHTHGNN_SOURCE
    # the official config is one for every data set: each preset is the defaults
    presets: ClassVar[dict[str, Preset]] = {**{name: Preset() for name in HYPERGRAPHS}, "digits-knn": _DIGITS}

    def check(self) -> None:
        super().check()
        require_positive(self, "teacher_hidden", "hidden_channels", "num_layers")
        require_dropout(self, "teacher_dropout", "dropout")
        require_split_sizes(self)
        if self.noise_std < 0 or self.hc_weight < 0:
            raise config_error(self.__class__, f"noise_std and hc_weight must be >= 0, got {self.noise_std}, "
                                               f"{self.hc_weight}")


@dataclass(frozen=True)
class HGNNConfig(Config):
    """HGNN alone on LightHGNN's split: full-batch Adam, selected on validation accuracy.

    Args:
        hidden_channels, num_layers, dropout: the model (see :class:`HGNN`). (defaults: ``32``, ``2``, ``0.5``)
        lr, weight_decay: Adam. (defaults: ``0.01``, ``5e-4``)
        epochs: the epoch budget. (default: ``200``)
        patience: epochs without a better validation accuracy before stopping;
            ``None`` runs every epoch (the best state is kept). (default: ``None``)
        train_per_class, val_per_class: the seeded split (``-1`` labels: unlabelled, never
            drawn); both ``None``: the data's own masks. (defaults: ``20``, ``100``)
        self_loops: see :class:`LightHGNNConfig`. (default: ``'isolated'``)
        runs: seeds the paper averages. (default: ``5``)

    Example:
        >>> HGNNConfig().hidden_channels
        32
    """

    hidden_channels: int = 32
    num_layers: int = 2
    dropout: float = 0.5
    lr: float = 0.01
    weight_decay: float = 5e-4
    epochs: int = 200
    patience: int | None = None
    train_per_class: int | None = 20
    val_per_class: int | None = 100
    self_loops: Literal["isolated", "all", "none"] = "isolated"
    runs: int = 5

    source: ClassVar[str] = (
        "LightHGNN official code (iMoonLab/LightHGNN trans_train.py, DHG HGNN): 2 HGNNConv layers, hidden 32, "
        "dropout 0.5, Adam lr 0.01, wd 5e-4, 200 epochs, best-validation checkpoint; split 20 train / 100 val per "
        "class; singleton hyperedges for vertices in no hyperedge (graphkit choice, see "
        "lighthgnn.prepare_hypergraph)")
    presets: ClassVar[dict[str, Preset]] = {**{name: Preset() for name in HYPERGRAPHS}, "digits-knn": _DIGITS}

    def check(self) -> None:
        require_positive(self, "hidden_channels", "num_layers", "epochs")
        require_dropout(self, "dropout")
        if self.patience is not None and self.patience < 1:
            raise config_error(self.__class__, f"patience must be >= 1 or null, got {self.patience}")
        if not self.lr > 0 or self.weight_decay < 0:
            raise config_error(self.__class__, f"lr must be > 0 and weight_decay >= 0, got {self.lr}, "
                                               f"{self.weight_decay}")
        require_split_sizes(self)


# --------------------------------------------------------------------------- data


def prepare_hypergraph(data: Data, *, seed: int = 0, train_per_class: int | None = 20,
                       val_per_class: int | None = 100, self_loops: str = "isolated") -> Data:
    """A ``Data(x, y, hyperedge_index, num_hyperedges, train/val/test_mask)`` with LightHGNN's seeded split.

    A graph (``edge_index``, no ``hyperedge_index``) goes through :func:`graph_to_hypergraph`.
    ``self_loops``: ``'isolated'`` appends a singleton hyperedge for every vertex in no
    hyperedge (DHG's convention for graphs; on the HyperGCN co-citation files about half
    of the vertices are in no hyperedge and would otherwise propagate to zero), ``'all'``
    appends one for every vertex, ``'none'`` keeps the hypergraph as given. The split
    draws from its own generator (``seed``; global RNG state is untouched) among the labelled
    vertices: a label ``-1`` marks an unlabelled vertex, in no mask. With
    ``train_per_class=None`` (and ``val_per_class=None``) the data's own ``train_mask`` /
    ``val_mask`` / ``test_mask`` are kept.
    """
    if self_loops not in ("isolated", "all", "none"):
        raise ValueError(f"self_loops must be 'isolated', 'all' or 'none', got {self_loops!r}")
    if getattr(data, "x", None) is None or getattr(data, "y", None) is None:
        raise ValueError("LightHGNN needs vertex features data.x and labels data.y")
    n = data.num_nodes
    check_features(data.x, n, name="data.x", allow_sparse=True)
    if getattr(data, "hyperedge_index", None) is not None:
        hyperedge_index = data.hyperedge_index
        m = check_hyperedge_index(hyperedge_index, n, getattr(data, "num_hyperedges", None))
    elif getattr(data, "edge_index", None) is not None:
        hyperedge_index, m = graph_to_hypergraph(data.edge_index, n)
    else:
        raise ValueError("data has neither hyperedge_index (a hypergraph) nor edge_index (a graph)")
    weight = getattr(data, "hyperedge_weight", None)
    if weight is not None:
        check_hyperedge_index(hyperedge_index, n, m, weight)
    if self_loops != "none":
        covered = torch.zeros(n, dtype=torch.bool, device=hyperedge_index.device)
        covered[hyperedge_index[0]] = True
        loops = torch.arange(n, device=hyperedge_index.device)
        if self_loops == "isolated":
            loops = loops[~covered]
        hyperedge_index = torch.cat([hyperedge_index, torch.stack([loops, m + torch.arange(
            loops.numel(), device=loops.device)])], dim=1)
        if weight is not None:
            weight = torch.cat([weight, weight.new_ones(loops.numel())])
        m += loops.numel()
    if (train_per_class is None) != (val_per_class is None):
        raise ValueError("train_per_class and val_per_class are given together (a drawn split) or both None "
                         "(the data's own masks)")
    if train_per_class is None:
        masks = []
        for name in ("train_mask", "val_mask", "test_mask"):
            mask = getattr(data, name, None)
            if mask is None or not bool(mask.any()):
                raise ValueError(f"data.{name} {'is missing' if mask is None else 'selects no vertex'}: with "
                                 f"train_per_class=None the data's own split is used; set train_per_class and "
                                 f"val_per_class to draw one")
            masks.append(mask)
        train, val, test = masks
    else:
        try:
            train, val, test = per_class_split(data.y, train_per_class, val_per_class=val_per_class, seed=seed)
        except ValueError as exc:
            raise ValueError(f"cannot draw the split (train_per_class={train_per_class}, val_per_class="
                             f"{val_per_class}): {exc}. Lower train_per_class / val_per_class, or set both to "
                             f"null to use the data's own masks") from None
    out = Data(x=data.x, y=data.y, hyperedge_index=hyperedge_index, num_nodes=n, train_mask=train,
               val_mask=val, test_mask=test)
    out.num_hyperedges = m
    if weight is not None:
        out.hyperedge_weight = weight
    return out


def restrict_hypergraph(data: Data, keep: Tensor) -> Data:
    """The sub-hypergraph on vertices ``keep``: vertices relabelled 0..k-1, hyperedges left empty are dropped."""
    keep = keep.to(data.x.device)
    new_id = torch.full((data.num_nodes,), -1, dtype=torch.long, device=keep.device)
    new_id[keep] = torch.arange(int(keep.sum()), device=keep.device)
    v, e = data.hyperedge_index
    inc = keep[v]
    v, e = new_id[v[inc]], e[inc]
    used = torch.unique(e)
    edge_id = torch.full((data.num_hyperedges,), -1, dtype=torch.long, device=keep.device)
    edge_id[used] = torch.arange(used.numel(), device=keep.device)
    out = Data(x=select_rows(data.x, keep), y=data.y[keep], hyperedge_index=torch.stack([v, edge_id[e]]),
               num_nodes=int(keep.sum()), train_mask=data.train_mask[keep], val_mask=data.val_mask[keep],
               test_mask=data.test_mask[keep])
    out.num_hyperedges = int(used.numel())
    if getattr(data, "hyperedge_weight", None) is not None:
        out.hyperedge_weight = data.hyperedge_weight[used]
    return out


def _teacher_forward(teacher: nn.Module, d: Data):
    return teacher(d.x, d.hyperedge_index, d.num_hyperedges, getattr(d, "hyperedge_weight", None))


# --------------------------------------------------------------------------- LightHGNN+


def _entropy(logits: Tensor) -> Tensor:
    logp = F.log_softmax(logits, dim=-1)
    return -(logp.exp() * logp).sum(-1)


@torch.no_grad()
def hyperedge_reliability(teacher: nn.Module, data: Data, *, noise_std: float = 1.0, seed: int = 0) -> Tensor:
    r"""Reliability :math:`\rho_e \in [0, 1]` of each hyperedge from the teacher's entropy change under noise.

    :math:`\delta_e = |\bar H_e(X) - \bar H_e(X\odot(1+\varepsilon))|` with :math:`\bar H_e`
    the mean prediction entropy of ``e``'s vertices and ε ~ N(0, noise_std²)
    (drawn from a generator seeded with ``seed``); :math:`\rho_e = 1 - \delta_e/\max\delta`
    (all ones when no hyperedge changes). Empty hyperedges get ρ = 1 and never contribute.

    Args:
        teacher: ``teacher(x, hyperedge_index, num_hyperedges, hyperedge_weight) -> [N, C]`` (put in eval mode).
        data: a prepared hypergraph (:func:`prepare_hypergraph`).
        noise_std: σ. (default: ``1.0``)
        seed: seed of the noise. (default: ``0``)

    Returns:
        ``[M]`` reliabilities.
    """
    teacher.eval()
    gen = torch.Generator(device="cpu").manual_seed(seed)
    eps = torch.randn(data.x.shape, generator=gen).to(data.x) * noise_std
    noisy = data.clone()
    if data.x.layout == torch.sparse_csr:  # the same draw, read at the stored entries (zeros stay zero)
        crow, col, val = data.x.crow_indices(), data.x.col_indices(), data.x.values()
        noisy.x = sparse_csr_tensor(crow, col, val * (1 + eps[entry_rows(crow), col]), data.x.shape)
    else:
        noisy.x = data.x * (1 + eps)
    h_clean = _entropy(_teacher_forward(teacher, data))
    h_noisy = _entropy(_teacher_forward(teacher, noisy))
    m = data.num_hyperedges
    delta = (vertex_to_edge(h_clean.unsqueeze(1), data.hyperedge_index, m, mean=True)
             - vertex_to_edge(h_noisy.unsqueeze(1), data.hyperedge_index, m, mean=True)).abs().view(-1)
    top = delta.max() if delta.numel() else delta.new_zeros(())
    if float(top) <= 0:
        return torch.ones_like(delta)
    return 1 - delta / top


class _HyperedgeKD:
    r"""Student plug-in: :math:`w\,\mathrm{KL}(z^t_e \| z^s_e)` over hyperedges drawn with probability ρ_e each epoch.

    :math:`z_e = \frac{1}{|e|}\sum_{v \in e} \mathrm{softmax}(o_v/\tau)` (``o`` the teacher's
    or the student's logits); the mean runs over the drawn hyperedges (empty ones never drawn).
    """

    def __init__(self, teacher_logits: Tensor, data: Data, rho: Tensor, *, temperature: float, weight: float,
                 legacy: bool, seed: int):
        self.index, self.m = data.hyperedge_index, data.num_hyperedges
        self.temperature, self.weight, self.legacy = temperature, weight, legacy
        self.z_t = vertex_to_edge(F.softmax(teacher_logits / temperature, -1), self.index, self.m, mean=True)
        size = torch.bincount(self.index[1], minlength=self.m)
        self.rho = rho * (size > 0)
        self.gen = torch.Generator(device="cpu").manual_seed(seed + 7919)

    def __call__(self, out, epoch: int) -> Tensor:
        chosen = torch.bernoulli(self.rho.cpu(), generator=self.gen).bool().to(self.rho.device)
        z_s = vertex_to_edge(F.softmax(out / self.temperature, -1), self.index, self.m, mean=True)
        return self.weight * kl_probs(self.z_t[chosen], z_s[chosen], legacy=self.legacy)


# --------------------------------------------------------------------------- procedures


def _hypergraph(data, config, seed: int) -> Data:
    return prepare_hypergraph(data, seed=seed, train_per_class=config.train_per_class,
                              val_per_class=config.val_per_class, self_loops=config.self_loops)


@procedure(LightHGNN, LightHGNNConfig)
def fit_lighthgnn(model: LightHGNN, data, config: LightHGNNConfig, *, seed: int, device: torch.device,
                  progress: bool | None, warm_start: bool) -> FitResult:
    """Split, train the HGNN teacher, distil it into the MLP student: LightHGNN, or LightHGNN⁺ for a :class:`LightHGNNPlus`.

    Stages (:func:`graphkit.train.distillation.distill`): LightHGNN's seeded split
    (``train_per_class`` / ``val_per_class`` per class, the rest test); the teacher
    (CE, Adam ``teacher_lr`` / ``teacher_weight_decay``) and then the student
    (``λ CE + (1-λ) KD``, plus for LightHGNN⁺ the reliable-hyperedge KL weighted
    ``(1-λ)·hc_weight``), each for ``epochs`` epochs, keeping the state with the
    best validation accuracy. Transductive or inductive (``held_out`` of the test
    vertices hidden) per ``setting``.

    Args:
        model: a :class:`LightHGNN` or :class:`LightHGNNPlus`; both parts are trained in place.
        data: a hypergraph ``Data`` (``x``, ``y``, ``hyperedge_index``, ``num_hyperedges``,
            optional ``hyperedge_weight``) or a graph (``edge_index``, converted). ``y`` holds
            class ids ``< out_channels``; the split is drawn (``train_per_class`` /
            ``val_per_class``) among the labelled vertices: ``-1`` means *unlabelled* there,
            any other negative label is an error. With ``train_per_class=None`` the data's own
            ``train_mask`` / ``val_mask`` / ``test_mask`` are used (every vertex in them
            labelled). Checked before anything trains
            (:func:`~graphkit.train.node_classification.check_node_inputs`).
        config: a :class:`LightHGNNConfig` (or a dict of its keys).
        seed, device, progress, warm_start: see :mod:`graphkit.models.procedure`;
            ``seed`` also draws the split, the held-out vertices and LightHGNN⁺'s noise and hyperedge samples.

    Returns:
        :class:`~graphkit.train.result.FitResult`: the student's ``valid_accuracy`` /
        ``test_accuracy`` and the teacher's (``teacher_*``); inductive:
        ``test_tran_accuracy`` / ``test_ind_accuracy`` / ``test_prod_accuracy``.
        ``outputs``: ``hypergraph`` (the prepared hypergraph with the split), its
        ``train_mask`` / ``val_mask`` / ``test_mask``, ``teacher_logits`` (the soft
        labels), ``teacher_best_epoch``, ``teacher_history``; inductive also
        ``observed``, ``test_tran``, ``test_ind``; LightHGNN⁺ also ``reliability`` (ρ, ``[M]``
        of the training hypergraph).

    Example:
        >>> from graphkit import LightHGNN, LightHGNNConfig, datasets
        >>> data = datasets.load("csbm", num_nodes=600, seed=0)
        >>> config = LightHGNNConfig(epochs=3)
        >>> model = LightHGNN.from_config(config, data)
        >>> result = fit_lighthgnn(model, data, config, progress=False)
        >>> result.model is model, "teacher_test_accuracy" in result.metrics
        (True, True)
    """
    _check_inputs(model, data, config)
    plus = isinstance(model, LightHGNNPlus)
    hyper = _hypergraph(data, config, seed).to(device)
    reliability = {}

    def make_plugins(teacher, d):
        if not plus:
            return []
        rho = reliability["rho"] = hyperedge_reliability(teacher, d, noise_std=config.noise_std, seed=seed)
        with torch.no_grad():
            t_logits = _teacher_forward(teacher, d)
        return [_HyperedgeKD(t_logits, d, rho, temperature=config.temperature,
                             weight=(1 - config.lam) * config.hc_weight, legacy=config.legacy, seed=seed)]

    result = distill(model.teacher, model.student, hyper, config, teacher_forward=_teacher_forward,
                     restrict=restrict_hypergraph, make_plugins=make_plugins, seed=seed, device=device,
                     progress=progress, warm_start=warm_start)
    model.eval()
    result.outputs["hypergraph"] = hyper
    if plus:
        result.outputs["reliability"] = reliability["rho"]
    return result


@procedure(HGNN, HGNNConfig)
def fit_hgnn(model: HGNN, data, config: HGNNConfig, *, seed: int, device: torch.device, progress: bool | None,
             warm_start: bool) -> FitResult:
    """Train an :class:`HGNN` alone on LightHGNN's split; select on validation accuracy.

    The teacher stage of :func:`fit_lighthgnn` (``fit_lighthgnn`` reports the same
    teacher among its metrics): CE on the training vertices, Adam ``lr`` /
    ``weight_decay`` for ``epochs`` epochs, the state of best validation accuracy kept.

    Args:
        model: an :class:`HGNN`, trained in place.
        data: a hypergraph or graph ``Data``, its labels and split as in :func:`fit_lighthgnn`.
        config: an :class:`HGNNConfig` (or a dict of its keys).
        seed, device, progress, warm_start: see :mod:`graphkit.models.procedure`; ``seed`` also draws the split.

    Returns:
        :class:`~graphkit.train.result.FitResult` with ``valid_accuracy`` /
        ``test_accuracy``; ``outputs``: ``hypergraph`` (prepared, with the split),
        ``train_mask`` / ``val_mask`` / ``test_mask``.

    Example:
        >>> from graphkit import HGNN, HGNNConfig, fit_hgnn, datasets
        >>> data = datasets.load("csbm", num_nodes=300, seed=0)
        >>> config = HGNNConfig(epochs=5, train_per_class=10, val_per_class=20)
        >>> result = fit_hgnn(HGNN.from_config(config, data), data, config, progress=False)
        >>> result.model.hidden_channels
        32
    """
    _check_inputs(model, data, config)
    d = _hypergraph(data, config, seed).to(device)
    model.to(device)
    if not warm_start:
        reinitialize(model)
    timer = Timer(device)
    trajectory = train_teacher(model, lambda m: _teacher_forward(m, d), d.y, d.train_mask, d.val_mask,
                               epochs=config.epochs, lr=config.lr, weight_decay=config.weight_decay,
                               patience=config.patience, timer=timer, progress=progress, desc="HGNN")
    with torch.no_grad(), timer.inference():
        logits = _teacher_forward(model, d)
    scores = {"valid_accuracy": masked_accuracy(logits, d.y, d.val_mask),
              "test_accuracy": masked_accuracy(logits, d.y, d.test_mask)}
    outputs = {"hypergraph": d, "train_mask": d.train_mask, "val_mask": d.val_mask, "test_mask": d.test_mask}
    return FitResult(scores, timer.summary(), trajectory.best_epoch, trajectory.epochs_run,
                     history=trajectory.history, outputs=outputs)
