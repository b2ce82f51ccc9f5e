r"""LightHGNN and LightHGNN⁺: distilling a hypergraph neural network into an MLP.

Feng et al., "LightHGNN: Distilling Hypergraph Neural Networks into MLPs for
100× Faster Inference", ICLR 2024, https://arxiv.org/abs/2402.04296.

* **Teacher** :class:`HGNN` — two :class:`~graphkit.nn.HGNNConv` layers
  (:math:`X' = D_v^{-1/2} H W D_e^{-1} H^\top D_v^{-1/2} X \Theta`), ReLU and
  dropout between them, trained with CE and selected on validation accuracy.
* **Student** :class:`LightHGNN` — an MLP (``d → 128 → C``) that never sees
  the hypergraph, trained with
  :math:`L = \lambda\,\mathrm{CE} + (1-\lambda)\,\mathrm{KL}(p_t \| p_s)` over all
  vertices (default λ = 0, τ = 1, as in the official configs).
* :class:`LightHGNNPlus` adds **reliable hyperedge distillation**: the
  teacher's mean prediction entropy per hyperedge is computed on clean
  features and on :math:`\tilde X = X\odot(1+\varepsilon)`,
  :math:`\varepsilon\sim\mathcal N(0, \sigma^2)` (σ = 1);
  :math:`\delta_e = |\Delta \bar H_e|`, reliability
  :math:`\rho_e = 1 - \delta_e / \max_e \delta_e`; every epoch hyperedges are
  drawn with :math:`\mathrm{Bernoulli}(\rho_e)` and the hyperedge-level term
  :math:`L_{HC} = \mathrm{KL}(z^t_e \| z^s_e)`, :math:`z_e = \mathrm{mean}_{v\in e}\,
  \mathrm{softmax}(y_v/\tau)`, is added: :math:`L = \lambda\,\mathrm{CE} +
  (1-\lambda)(L_{KD} + L_{HC})`.

Plain graphs are turned into hypergraphs with
:func:`graphkit.datasets.hypergraphs.graph_to_hypergraph` (edge hyperedges plus
1-hop neighbourhoods), as the official code does for Cora/PubMed/CiteSeer.

**Where this differs from the official code** (iMoonLab/LightHGNN): both KL
terms there call ``F.kl_div(log q, p, log_target=True)`` with probabilities
``p`` as target and divide probabilities by τ, which optimises towards
:math:`q \propto e^{p}`; here KL is computed between log-probabilities.
``legacy=True`` (config key ``"legacy"``) restores the official form. The
split is LightHGNN's: 20 training and 100 validation vertices per class, the
rest test, redrawn per seed; HyperGCN's shipped train/test split is not used.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.data import Data

from graphkit._validation import check_features
from graphkit.datasets.hypergraphs import graph_to_hypergraph
from graphkit.datasets.node_splits import per_class_split
from graphkit.models.baselines import MLP
from graphkit.models.registry import register_fit, register_model
from graphkit.nn.hgnn_conv import HGNNConv
from graphkit.ops.incidence import check_hyperedge_index, vertex_to_edge
from graphkit.train.distillation import (
    DistillConfig,
    _acc,
    check_temperature,
    distill,
    kl_probs,
    train_teacher,
)
from graphkit.train.node_classification import train_node_classifier
from graphkit.train.result import RunResult
from graphkit.train.timing import Timer

__all__ = ["HGNN", "LightHGNN", "LightHGNNPlus", "hyperedge_reliability", "prepare_hypergraph",
           "restrict_hypergraph"]


class HGNN(nn.Module):
    r"""The HGNN teacher: ``HGNNConv → ReLU → Dropout → ... → HGNNConv`` (Feng et al., AAAI'19).

    Args:
        in_channels, hidden_channels, out_channels: sizes (LightHGNN: hidden 32).
        num_layers: number of :class:`~graphkit.nn.HGNNConv` layers (default 2).
        dropout: dropout after each hidden activation (default 0.5).

    Shapes:
        ``forward(x [N, F], hyperedge_index [2, nnz], num_hyperedges, hyperedge_weight [M] | None) -> [N, C]``.
    """

    def __init__(self, in_channels: int, hidden_channels: int, out_channels: int, *, num_layers: int = 2,
                 dropout: float = 0.5):
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"HGNN: num_layers must be >= 1, got {num_layers}")
        if not 0 <= dropout < 1:
            raise ValueError(f"HGNN: dropout must be in [0, 1), got {dropout}")
        sizes = [in_channels] + [hidden_channels] * (num_layers - 1) + [out_channels]
        self.convs = nn.ModuleList(HGNNConv(a, b) for a, b in zip(sizes[:-1], sizes[1:], strict=True))
        self.in_channels, self.hidden_channels, self.out_channels = in_channels, hidden_channels, out_channels
        self.num_layers, self.dropout = num_layers, dropout

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


class LightHGNN(nn.Module):
    r"""The LightHGNN student: an MLP ``d → hidden → C`` that needs no hypergraph at inference.

    Train it with :meth:`fit` (HGNN teacher → soft-label distillation). Args as
    :class:`graphkit.models.MLP` (official: hidden 128, 2 layers, dropout 0.5).

    Shapes:
        ``forward(x [N, F]) -> [N, C]``.
    """

    plus = False

    def __init__(self, in_channels: int, hidden_channels: int = 128, out_channels: int = 2, *,
                 num_layers: int = 2, dropout: float = 0.5):
        super().__init__()
        self.mlp = MLP(in_channels, hidden_channels, out_channels, num_layers=num_layers, dropout=dropout)

    def reset_parameters(self) -> None:
        self.mlp.reset_parameters()

    def forward(self, x: Tensor) -> Tensor:
        return self.mlp(x)

    def extra_repr(self) -> str:
        return self.mlp.extra_repr()

    @classmethod
    def fit(cls, data: Data, config: dict | None = None, *, seed: int = 0, device: torch.device | str = "cpu",
            progress: bool = False) -> tuple[LightHGNN, RunResult]:
        """Split (20/100 per class), train the HGNN teacher, distil into a new student; return ``(student, result)``.

        ``data`` is a hypergraph (``hyperedge_index``, ``num_hyperedges``) or a
        graph (``edge_index``, converted). ``config`` keys: see
        ``benchmarks/configs/lighthgnn.json`` and :class:`~graphkit.train.distillation.DistillConfig`.
        """
        result, art = _fit(data, {**DEFAULTS, **(config or {})}, plus=cls.plus, seed=seed, device=device,
                           progress=progress)
        return art["student"], result


class LightHGNNPlus(LightHGNN):
    """LightHGNN⁺: :class:`LightHGNN` plus reliable-hyperedge distillation (see the module docstring)."""

    plus = True


DEFAULTS = {"teacher_hidden": 32, "teacher_dropout": 0.5, "hidden_channels": 128, "num_layers": 2,
            "dropout": 0.5, "teacher_epochs": 200, "student_epochs": 200, "teacher_lr": 0.01, "student_lr": 0.01,
            "teacher_weight_decay": 5e-4, "student_weight_decay": 5e-4, "lam": 0.0, "temperature": 1.0,
            "legacy": False, "train_per_class": 20, "val_per_class": 100, "noise_std": 1.0, "hc_weight": 1.0,
            "self_loops": "isolated"}


# --------------------------------------------------------------------------- data


def prepare_hypergraph(data: Data, *, seed: int = 0, train_per_class: int = 20, val_per_class: int = 100,
                       self_loops: str = "isolated") -> Data:
    """A ``Data(x, y, hyperedge_index, num_hyperedges, train/val/test_mask)`` with LightHGNN's seeded split.

    A graph (``edge_index``, no ``hyperedge_index``) goes through :func:`graph_to_hypergraph`.
    ``self_loops``: ``'isolated'`` appends a singleton hyperedge for every vertex in no
    hyperedge (DHG's convention for graphs; on the HyperGCN co-citation files about half
    of the vertices are in no hyperedge and would otherwise propagate to zero), ``'all'``
    appends one for every vertex, ``'none'`` keeps the hypergraph as given.
    """
    if self_loops not in ("isolated", "all", "none"):
        raise ValueError(f"self_loops must be 'isolated', 'all' or 'none', got {self_loops!r}")
    if getattr(data, "x", None) is None or getattr(data, "y", None) is None:
        raise ValueError("LightHGNN needs vertex features data.x and labels data.y")
    n = data.num_nodes
    check_features(data.x, n, name="data.x")
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
    train, val, test = per_class_split(data.y, train_per_class, val_per_class=val_per_class, seed=seed)
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
    out = Data(x=data.x[keep], y=data.y[keep], hyperedge_index=torch.stack([v, edge_id[e]]),
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
    (seeded); :math:`\rho_e = 1 - \delta_e/\max\delta` (all ones when no
    hyperedge changes). Empty hyperedges get ρ = 1 and never contribute.
    """
    teacher.eval()
    gen = torch.Generator(device="cpu").manual_seed(seed)
    eps = torch.randn(data.x.shape, generator=gen).to(data.x) * noise_std
    noisy = data.clone()
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
    """Plug-in: hyperedge-level KL on reliability-sampled hyperedges, redrawn each epoch."""

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


# --------------------------------------------------------------------------- fit


def _fit(data: Data, cfg: dict, *, plus: bool, seed: int, device, progress: bool):
    dcfg = DistillConfig.from_dict(cfg)
    check_temperature(dcfg.temperature)
    hyper = prepare_hypergraph(data, seed=seed, train_per_class=cfg["train_per_class"],
                               val_per_class=cfg["val_per_class"], self_loops=cfg["self_loops"])
    num_classes = int(hyper.y.max()) + 1
    f = hyper.x.size(1)

    def make_teacher():
        return HGNN(f, cfg["teacher_hidden"], num_classes, dropout=cfg["teacher_dropout"])

    def make_student():
        cls = LightHGNNPlus if plus else LightHGNN
        return cls(f, cfg["hidden_channels"], num_classes, num_layers=cfg["num_layers"], dropout=cfg["dropout"])

    def make_plugins(teacher, d):
        if not plus:
            return []
        rho = hyperedge_reliability(teacher, d, noise_std=cfg["noise_std"], seed=seed)
        with torch.no_grad():
            t_logits = _teacher_forward(teacher, d)
        return [_HyperedgeKD(t_logits, d, rho, temperature=dcfg.temperature,
                             weight=(1 - dcfg.lam) * cfg["hc_weight"], legacy=dcfg.legacy, seed=seed)]

    return distill(hyper, make_teacher=make_teacher, teacher_forward=_teacher_forward, make_student=make_student,
                   restrict=restrict_hypergraph, cfg=dcfg, make_plugins=make_plugins, seed=seed, device=device,
                   progress=progress)


def fit_lighthgnn(data, cfg, *, seed, device, progress):
    """Runner entry for ``lighthgnn``."""
    return _fit(data, {**DEFAULTS, **cfg}, plus=False, seed=seed, device=device, progress=progress)[0]


def fit_lighthgnn_plus(data, cfg, *, seed, device, progress):
    """Runner entry for ``lighthgnn+``."""
    return _fit(data, {**DEFAULTS, **cfg}, plus=True, seed=seed, device=device, progress=progress)[0]


def fit_hgnn(data, cfg, *, seed, device, progress):
    """Runner entry for ``hgnn``: the teacher alone, on LightHGNN's split, selected on validation."""
    cfg = {**DEFAULTS, **cfg}
    device = torch.device(device)
    torch.manual_seed(seed)
    d = prepare_hypergraph(data, seed=seed, train_per_class=cfg["train_per_class"],
                           val_per_class=cfg["val_per_class"], self_loops=cfg["self_loops"]).to(device)
    model = HGNN(d.x.size(1), cfg.get("hidden_channels", cfg["teacher_hidden"]), int(d.y.max()) + 1,
                 dropout=cfg.get("dropout", 0.5)).to(device)
    timer = Timer(device)
    model, history, best = train_teacher(model, lambda m: _teacher_forward(m, d), d.y, d.train_mask, d.val_mask,
                                         epochs=cfg.get("epochs", cfg["teacher_epochs"]), lr=cfg.get("lr", 0.01),
                                         weight_decay=cfg.get("weight_decay", 5e-4), patience=cfg.get("patience"),
                                         progress=progress, timer=timer)
    with torch.no_grad(), timer.inference():
        logits = _teacher_forward(model, d)
    metrics = {"valid_accuracy": _acc(logits, d.y, d.val_mask), "test_accuracy": _acc(logits, d.y, d.test_mask)}
    return RunResult(metrics, timer.summary(), best, len(history), history=history)


def fit_hyper_mlp(data, cfg, *, seed, device, progress):
    """Runner entry for ``mlp`` on hypergraphs: the graph-free baseline on LightHGNN's seeded split.

    The MLP reads vertex features only and trains on the hard labels of the
    ``train_per_class`` vertices (default 20), selected on the ``val_per_class``
    validation vertices (default 100), as LightHGNN's MLP row.
    """
    hyper = prepare_hypergraph(data, seed=seed, train_per_class=cfg.get("train_per_class", 20),
                               val_per_class=cfg.get("val_per_class", 100), self_loops="none")
    plain = Data(x=hyper.x, y=hyper.y, edge_index=torch.empty(2, 0, dtype=torch.long), num_nodes=hyper.num_nodes,
                 train_mask=hyper.train_mask, val_mask=hyper.val_mask, test_mask=hyper.test_mask)
    torch.manual_seed(seed)
    model = MLP(plain.x.size(1), cfg["hidden_channels"], int(plain.y.max()) + 1, num_layers=cfg["num_layers"],
                dropout=cfg["dropout"])
    return train_node_classifier(model, plain, epochs=cfg["epochs"], lr=cfg["lr"],
                                 weight_decay=cfg.get("weight_decay", 0.0), patience=cfg.get("patience"),
                                 device=device, progress=progress)


_ACCEPTS = ("hyper", "node")
register_model("hgnn", task="hyper", fit=fit_hgnn, accepts=_ACCEPTS,
               description="HGNN, Feng et al. AAAI'19: symmetric hypergraph convolution (LightHGNN's teacher)")(None)
register_model("lighthgnn", task="hyper", fit=fit_lighthgnn, accepts=_ACCEPTS,
               description="LightHGNN, Feng et al. ICLR'24: HGNN teacher distilled into an MLP")(None)
register_model("lighthgnn+", task="hyper", fit=fit_lighthgnn_plus, accepts=_ACCEPTS,
               description="LightHGNN+, Feng et al. ICLR'24: + reliable-hyperedge distillation")(None)
register_fit("mlp", "hyper", fit_hyper_mlp)
