r"""MEOW and AdaMEOW: heterogeneous graph contrastive learning with meta-path contexts and weighted negatives.

Yu, Ge, Li & Zhou, *Heterogeneous Graph Contrastive Learning with Meta-path Contexts and Weighted
Negative Samples*, SDM 2023 (MEOW, https://arxiv.org/abs/2212.13847), and *... Adaptively Weighted
Negative Samples*, TKDE 2024 (AdaMEOW); official code: https://github.com/jianxiangyu/MEOW.

Build, fit, embed (both methods, any heterogeneous data set in the HeCo/MEOW layout)::

    >>> from graphkit import MEOW, MEOWConfig, fit_meow, datasets
    >>> data = datasets.load("hetero-csbm", num_nodes=300, seed=0)
    >>> config = MEOWConfig(num_clusters=(10, 20), epochs=3, eval_repeats=5, cluster_repeats=2)
    >>> model = MEOW.from_config(config, data)
    >>> result = fit_meow(model, data, config, progress=False)
    >>> emb = model.embed(result.views)                    # also result.embedding
    >>> tuple(emb.shape), "test_macro_f1_20" in result.metrics, "nmi" in result.metrics
    ((300, 64), True, True)

The method, as the official code runs it
----------------------------------------

*Preprocessing* (:func:`meta_path_views`, once per fit). For each meta-path :math:`\mathcal P`
the path-count matrix :math:`M_{\mathcal P}` and the reachability chain :math:`R_1, \dots, R_{L-1}`
are sparse products of the relation incidences (:mod:`graphkit.ops.metapath`; the counts equal
MEOW's ``<mp>.npz`` files, so the HeCo and MEOW layouts give the same graph). Each row keeps its
``nei_max`` highest-PathSim entries (:func:`graphkit.ops.pathsim.pathsim_topk`), normalised
:math:`\hat A_{\mathcal P} = D^{-1/2} A_{\mathcal P} D^{-1/2}` with the path counts as weights. A
masked copy drops ``adj_mask`` of the off-diagonal entries, unweighted, plus self-loops, normalised
the same way; ``feat_mask`` of the non-zero target features are zeroed
(:mod:`graphkit.ops.masking`). Non-negative features are row-normalised. The masks are drawn once
from the fit's seed.

*Encoders*. Type projection :math:`h_t = \mathrm{ELU}(\mathrm{Dropout}(W_t x_t + b_t))`. Fine view
of :math:`\mathcal P`: :math:`h_{\mathcal P} = \mathrm{ELU}(h_{tar} + \sum_l \mathrm{Dropout}(W_{\mathcal P,l}\,
\bar R_l h_{t_l}))` with :math:`\bar R_l` the row-normalised context matrix (mean over the context
nodes), and the same with the masked target features. A shared 2-layer GCN
(:math:`\mathrm{PReLU}(\hat A\, \mathrm{Dropout}(H W_1))`, then :math:`\hat A\, \mathrm{Dropout}(\cdot W_2)`,
then a standardisation over the whole ``[N, d]`` output — the official ``LayerNorm(Z.size())``)
encodes the :math:`2|\mathcal P|` fine views on :math:`\hat A_{\mathcal P}` / the masked
:math:`\hat A_{\mathcal P}`; their L2-normalised outputs are fused by semantic attention
:math:`\beta_p = \mathrm{softmax}_p(q^\top \operatorname{mean}_i \tanh(W z_{p,i} + b))` into the
embedding :math:`z`. Coarse view: the same GCN on :math:`h_{tar}` over :math:`\bar A = \frac1{|\mathcal P|}
\sum_{\mathcal P} \hat A_{\mathcal P}`. Projection: shared ``Linear`` → ``tanh`` → L2 normalisation.

*MEOW loss*. The coarse view is the anchor. :math:`K` k-means clusterings (``num_clusters``) of
the projected fine embeddings, recomputed every epoch, give the negative weights
:math:`w_{ij} = K - \#\{m: i, j \text{ co-clustered}\}` (:math:`w_{ii} = 0`); the loss is the
weighted InfoNCE plus ``lam_proto`` times ProtoNCE of the coarse embeddings against the clusters'
normalised centroids with PCL's concentration (:mod:`graphkit.ops.contrastive`).

*AdaMEOW loss*. The fine view is the anchor; no clustering; learned weights
:math:`w_{ij} = \sigma(\mathrm{MLP}(z^f_i + z^c_j))` (``Linear(p, 16)`` → ``tanh`` → ``Linear(16, 1)``),
the positive kept in the denominator. The official code materialises the ``[N, N, d]`` input of the
MLP (4 GB on ACM); here :math:`W_1(z^f_i + z^c_j) = W_1 z^f_i + W_1 z^c_j` is split and the loss is
computed in row blocks under checkpointing: memory :math:`O(\text{chunk} \cdot N \cdot 16)`.

Selection and evaluation
------------------------

The embedding evaluated is :math:`z` (the fused fine view, before the projection), computed in
eval mode (no dropout) from the selected state. **Model selection never reads test labels**:
``select='loss'`` keeps the state with the lowest training loss and stops after ``patience``
epochs without a new lowest (MEOW's official early stopping; the official code keeps the *last*
state and reads its embedding from a training-mode forward, with dropout); ``select='probe'``
scores the logistic-regression probe on the **validation** nodes every ``eval_every`` epochs from
``start_eval`` on and keeps the best (mean of validation Macro-F1, Micro-F1 and AUC over the label
rates). ``embedding='last_train'`` evaluates instead what the official MEOW evaluates (its
``get_embeds()``): :math:`z` from the forward of the *last* training epoch, in training mode (dropout
on), with the parameters before that epoch's update — no selection at all, so no test labels either;
every fit also returns it as ``result.last_train_embedding``. AdaMEOW's official ``main.py`` scores
the *test* split every 100 epochs after ``start_eval`` (and stops reporting below an AUC limit): its
reported figures are selected on test. The final scores are :func:`graphkit.train.probe.linear_probe` (50 repeats of an Adam-trained
logistic regression, 200 iterations, Ma-F1 / Mi-F1 / AUC at the best validation iteration) for
each label rate and :func:`graphkit.train.probe.probe_clustering` (k-means NMI / ARI, 10 repeats).

Deliberate differences from the official code (see ``benchmarks/results/meow.md`` for figures):

* k-means in torch, not faiss on GPU. By default it clusters as the official code does: every epoch
  afresh, from ``k`` random points per restart, with the same seeds each epoch. On IMDB both matter:
  k-means++ seeding (``kmeans_seeding='k-means++'``) or a warm start from the previous epoch's
  centroids (``kmeans_warm_start=True``, 20x cheaper) let the training loss stall within 15 epochs and
  leave an embedding at chance (Ma-F1 34 %, AUC 50 %). On ACM the official clustering trains 529
  epochs instead of 141 and scores lower on the validation probe (Ma-F1 87.81 / 88.01 / 88.77 against
  90.30 / 87.93 / 90.80), so ``MEOWConfig.paper('acm')`` keeps the warm-started k-means++
  (``benchmarks/results/meow.md``). The concentration :math:`\phi` uses Euclidean distances to the
  centroids as PCL (the official code takes square roots of faiss inner products).
* The official normalisation of the row-pruned (asymmetric) :math:`A` computes
  :math:`D^{-1/2} A^\top D^{-1/2}` with row-sum degrees (``adj.dot(D).transpose().dot(D)``): a node
  aggregates over the nodes that chose it. graphkit aggregates over the node's own top-``nei_max``
  neighbours; ``legacy=True`` applies that transposed operator (a diagnostic switch: on ACM it scores
  far below both the default and the official run, see ``benchmarks/results/meow.md``).
* AMiner: the official code reads 64-dimensional metapath2vec paper/author/reference features that
  are not in the public copies (over GitHub's size limit), one paper matrix per meta-path, each with
  its own projection, and runs the coarse view on the mean of the projected paper features.
  ``datasets.load('aminer', layout='meow')`` reads those files when present and the models then follow
  the official AMiner path (:func:`metapath_features`); without them graphkit uses HeCo's one-hot
  features, so the type projection of a featureless type is a learned embedding.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from graphkit.models.procedure import procedure
from graphkit.nn.model import Model, reinitialize
from graphkit.ops.contrastive import (
    cluster_concentration,
    co_cluster_weights,
    pair_mlp_weights,
    proto_nce,
    weighted_info_nce,
)
from graphkit.ops.csr import CSR, from_coo
from graphkit.ops.kmeans import BACKENDS, SEEDINGS, kmeans
from graphkit.ops.masking import mask_edges, mask_features
from graphkit.ops.metapath import FixedOperator, incidence, mean_context, reachability_chain
from graphkit.ops.normalize import sym_norm
from graphkit.ops.pathsim import pathsim_topk
from graphkit.train.config import Config, Preset, config_error
from graphkit.train.loop import Selection, run_epochs
from graphkit.train.probe import linear_probe, probe_clustering
from graphkit.train.result import FitResult
from graphkit.train.timing import Timer

__all__ = ["MEOW", "AdaMEOW", "MEOWConfig", "AdaMEOWConfig", "MetaPathViews", "meta_path_views", "metapath_features",
           "resolve_metapaths", "evaluate_embedding_probe", "fit_meow", "fit_adameow"]

_BLOCK_ELEMENTS = 1 << 24  # elements of one [chunk, N] row block of the InfoNCE (64 MB of float32)
_PAIR_BLOCK_ELEMENTS = 1 << 22  # elements of one [chunk, N, h] block of AdaMEOW's weight MLP (16 MB)


# --------------------------------------------------------------------------------------------------
# meta-paths of a HeteroData
# --------------------------------------------------------------------------------------------------


def _target_type(data) -> str:
    target = getattr(data, "target_node_type", None)
    if target is None:
        metapaths = getattr(data, "metapaths", None)
        if not metapaths:
            raise ValueError("cannot tell the target node type: set data.target_node_type (e.g. 'paper')")
        target = metapaths[0][0]
    if target not in data.node_types:
        raise ValueError(f"target node type {target!r} is not in the graph; node types: {data.node_types}")
    return target


def _relation(data, src: str, dst: str, name: str) -> tuple[str, str, str]:
    """The edge type ``src -> dst`` of a plain relation (not a stored meta-path)."""
    metapath_names = {mp for (_, mp, _) in getattr(data, "metapaths", []) or []}
    found = [et for et in data.edge_types if et[0] == src and et[2] == dst and et[1] not in metapath_names]
    if not found:
        relations = sorted(f"{a}->{b}" for a, r, b in data.edge_types if r not in metapath_names)
        raise ValueError(f"meta-path {name!r} needs a relation {src} -> {dst}, which the graph does not have; "
                         f"relations: {', '.join(relations)}")
    preferred = [et for et in found if et[1] == "to"]
    return (preferred or found)[0]


def resolve_metapaths(data, names: Sequence[str] | None = None) -> tuple[str, list[tuple[str, tuple[str, ...]]]]:
    """``(target type, [(name, node-type chain), ...])`` of the meta-paths ``names`` of a ``HeteroData``.

    A meta-path is named by the first letters of its node types (``'apcpa'``: author, paper,
    conference, paper, author), as in HeCo and MEOW; ``names=None`` takes ``data.metapaths``.
    Each consecutive pair of types must be joined by a relation of the graph.

    Raises:
        ValueError: a letter that names no node type (or two), a path that does not start and end
            at the target type, a missing relation.

    Example:
        >>> from graphkit import datasets
        >>> resolve_metapaths(datasets.load("hetero-csbm", num_nodes=300))
        ('paper', [('pap', ('paper', 'author', 'paper')), ('psp', ('paper', 'subject', 'paper'))])
    """
    target = _target_type(data)
    if names is None:
        stored = getattr(data, "metapaths", None)
        if not stored:
            raise ValueError("the graph lists no meta-paths (data.metapaths); name them, e.g. metapaths=('pap',)")
        names = [mp for (_, mp, _) in stored]
    by_letter: dict[str, list[str]] = {}
    for t in data.node_types:
        by_letter.setdefault(t[0].lower(), []).append(t)
    out = []
    for name in names:
        if not isinstance(name, str) or len(name) < 3:
            raise ValueError(f"a meta-path is a string of at least 3 type letters (e.g. 'pap'), got {name!r}")
        chain = []
        for letter in name.lower():
            types = by_letter.get(letter, [])
            if len(types) != 1:
                what = "no node type" if not types else f"several node types ({', '.join(types)})"
                raise ValueError(f"meta-path {name!r}: letter {letter!r} names {what}; node types: "
                                 f"{', '.join(data.node_types)}")
            chain.append(types[0])
        if chain[0] != target or chain[-1] != target:
            raise ValueError(f"meta-path {name!r} must start and end at the target type {target!r}")
        for a, b in zip(chain[:-1], chain[1:], strict=True):
            _relation(data, a, b, name)
        out.append((name.lower(), tuple(chain)))
    if not out:
        raise ValueError("no meta-path given")
    return target, out


# --------------------------------------------------------------------------------------------------
# views: what the forward reads
# --------------------------------------------------------------------------------------------------


@dataclass
class MetaPathViews:
    """The graphs and features a MEOW/AdaMEOW forward reads (built by :func:`meta_path_views`).

    Attributes:
        target: the target node type; ``node_types``: the types used, target first.
        x: features per node type (dense or sparse COO, row-normalised when non-negative).
        x_masked: the target features with ``feat_mask`` of their non-zeros zeroed.
        adjacency: per meta-path, the normalised top-``nei_max`` PathSim graph.
        masked_adjacency: per meta-path, the normalised edge-masked copy.
        coarse: the mean of ``adjacency``.
        contexts: per meta-path, the row-normalised context matrices :math:`\\bar R_1..\\bar R_{L-1}`.
        (Each a :class:`graphkit.ops.metapath.FixedOperator`; ``.csr`` is the matrix.)
        context_types: per meta-path, the node type of each context.
        x_paths, x_paths_masked: per meta-path target features and their masked copies, when the data
            carries them (``data[target].x_<mp>``, MEOW's AMiner input; :func:`metapath_features`); then
            ``x`` holds no target entry and ``x_masked`` is ``None``. Empty otherwise.
    """

    target: str
    node_types: tuple[str, ...]
    x: dict[str, Tensor]
    x_masked: Tensor | None
    adjacency: list[FixedOperator]
    masked_adjacency: list[FixedOperator]
    coarse: FixedOperator
    contexts: list[list[FixedOperator]]
    context_types: list[tuple[str, ...]]
    x_paths: tuple[Tensor, ...] = ()
    x_paths_masked: tuple[Tensor, ...] = ()

    @property
    def num_nodes(self) -> int:
        return self.coarse.shape[0]

    def to(self, device) -> MetaPathViews:
        return MetaPathViews(self.target, self.node_types, {t: v.to(device) for t, v in self.x.items()},
                             None if self.x_masked is None else self.x_masked.to(device),
                             [a.to(device) for a in self.adjacency], [a.to(device) for a in self.masked_adjacency],
                             self.coarse.to(device), [[c.to(device) for c in cs] for cs in self.contexts],
                             self.context_types, tuple(x.to(device) for x in self.x_paths),
                             tuple(x.to(device) for x in self.x_paths_masked))


def _per_path(values: tuple, count: int, key: str) -> tuple:
    if len(values) == 1:
        return values * count
    if len(values) != count:
        raise ValueError(f"{key} has {len(values)} entries but there are {count} meta-paths; give one value "
                         f"(for all) or one per meta-path")
    return values


def _row_normalize(x: Tensor) -> Tensor:
    """Rows divided by their sums when every value is non-negative (MEOW's ``preprocess_features``)."""
    if x.layout == torch.sparse_coo:
        x = x.coalesce()
        value = x.values().float()
        if value.numel() and bool((value < 0).any()):
            return x.float()
        rowsum = torch.zeros(x.size(0), device=value.device).index_add_(0, x.indices()[0], value)
        inv = torch.where(rowsum > 0, 1 / rowsum.clamp_min(1e-30), torch.zeros_like(rowsum))
        return torch.sparse_coo_tensor(x.indices(), value * inv[x.indices()[0]], x.shape, is_coalesced=True,
                                       check_invariants=False)
    x = x.float()
    if x.numel() and bool((x < 0).any()):
        return x
    rowsum = x.sum(1, keepdim=True)
    return torch.where(rowsum > 0, x / rowsum.clamp_min(1e-30), x)


def _normalize(edge_index: Tensor, weight: Tensor | None, n: int, *, add_self_loops: bool, legacy: bool) -> CSR:
    csr = sym_norm(edge_index, n, weight, add_self_loops=add_self_loops)
    return csr.transpose() if legacy else csr


def metapath_features(data, config: MEOWConfig | AdaMEOWConfig) -> list[Tensor] | None:
    """The target's features per meta-path, ``data[target].x_<mp>`` in the order of ``config.metapaths``,
    or ``None`` when the model should read the shared ``data[target].x``.

    The official MEOW reads AMiner this way: one 64-d metapath2vec paper embedding per meta-path, each
    with its own projection, and the coarse view on their mean (``datasets.load('aminer', layout='meow')``
    provides them when the files are present). ``config.metapath_features``: ``None`` uses them when every
    meta-path has one, ``True`` requires them, ``False`` ignores them.
    """
    target, paths = resolve_metapaths(data, config.metapaths)
    if config.metapath_features is False:
        return None
    found = [getattr(data[target], f"x_{name}", None) for name, _ in paths]
    if all(isinstance(x, Tensor) for x in found):
        if len({int(x.size(0)) for x in found} | {int(data[target].num_nodes)}) != 1 or \
                any(x.dim() != 2 for x in found):
            raise ValueError(f"the per-meta-path features {[f'x_{name}' for name, _ in paths]} must each be "
                             f"[{data[target].num_nodes}, d]")
        return found
    if config.metapath_features:
        missing = [f"data[{target!r}].x_{name}" for (name, _), x in zip(paths, found, strict=True) if x is None]
        raise ValueError(f"metapath_features=True but the graph lacks {', '.join(missing)}")
    return None


def meta_path_views(data, config: MEOWConfig | AdaMEOWConfig, *, seed: int = 0) -> MetaPathViews:
    """Preprocess a ``HeteroData`` for MEOW / AdaMEOW (the module doc's *Preprocessing*).

    Args:
        data: a heterogeneous graph in the HeCo/MEOW layout (``datasets.load('acm')``, ...).
        config: the method's config (``metapaths``, ``nei_max``, ``adj_mask``, ``feat_mask``,
            ``normalize_features``, ``legacy``).
        seed: seed of the feature and edge masks.
    """
    target, paths = resolve_metapaths(data, config.metapaths)
    count = len(paths)
    nei_max = _per_path(config.nei_max, count, "nei_max")
    adj_mask = _per_path(config.adj_mask, count, "adj_mask")
    gen = torch.Generator().manual_seed(int(seed))
    types = [target] + [t for _, chain in paths for t in chain[1:-1]]
    node_types = tuple(dict.fromkeys(types))

    def prepare(feats: Tensor) -> Tensor:
        return _row_normalize(feats) if config.normalize_features else feats.float()

    per_path = metapath_features(data, config)
    x = {}
    for t in node_types:
        if per_path is not None and t == target:
            continue
        feats = getattr(data[t], "x", None)
        if feats is None:
            raise ValueError(f"node type {t!r} has no features (data[{t!r}].x); load the data set with "
                             f"featureless='identity' for one-hot features")
        x[t] = prepare(feats)
    n = data[target].num_nodes
    if per_path is None:
        x_paths, x_masked, x_paths_masked = (), mask_features(x[target], config.feat_mask, generator=gen), ()
    else:
        x_paths, x_masked = tuple(prepare(f) for f in per_path), None
        x_paths_masked = tuple(mask_features(f, config.feat_mask, generator=gen) for f in x_paths)
    adjacency, masked, contexts, context_types = [], [], [], []
    for (name, chain), k, rate in zip(paths, nei_max, adj_mask, strict=True):
        incidences = []
        for a, b in zip(chain[:-1], chain[1:], strict=True):
            et = _relation(data, a, b, name)
            incidences.append(incidence(data[et].edge_index, data[a].num_nodes, data[b].num_nodes))
        chain_mats = reachability_chain(incidences)
        counts = chain_mats[-1]
        contexts.append([FixedOperator(mean_context(r)) for r in chain_mats[:-1]])
        context_types.append(tuple(chain[1:-1]))
        index, value = pathsim_topk(counts.to_edge_index(), counts.value, n, k)
        adjacency.append(_normalize(index, value.float(), n, add_self_loops=False, legacy=config.legacy))
        kept = mask_edges(index, rate, generator=gen)
        masked.append(_normalize(kept, None, n, add_self_loops=True, legacy=config.legacy))
    rows = torch.cat([a.row() for a in adjacency])
    cols = torch.cat([a.col for a in adjacency])
    vals = torch.cat([a.value for a in adjacency]) / count
    coarse = FixedOperator(from_coo(rows, cols, vals, n, n))
    return MetaPathViews(target, node_types, x, x_masked, [FixedOperator(a) for a in adjacency],
                         [FixedOperator(a) for a in masked], coarse, contexts, context_types, x_paths, x_paths_masked)


# --------------------------------------------------------------------------------------------------
# layers
# --------------------------------------------------------------------------------------------------


def _linear(x: Tensor, layer: nn.Linear) -> Tensor:
    if x.layout == torch.sparse_coo:
        out = torch.sparse.mm(x, layer.weight.t())
        return out if layer.bias is None else out + layer.bias
    return layer(x)


class _GraphConv(nn.Module):
    """MEOW's ``GraphConv``: ``PReLU(A_hat Dropout(X W))`` (no activation with ``activate=False``), no bias."""

    def __init__(self, in_channels: int, out_channels: int, dropout: float, activate: bool = True):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(in_channels, out_channels))
        self.act = nn.PReLU() if activate else None  # the official second layer holds an unused PReLU
        self.dropout = nn.Dropout(dropout)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.weight.size(1))
        nn.init.uniform_(self.weight, -bound, bound)
        if self.act is not None:
            self.act.reset_parameters()

    def forward(self, x: Tensor, adj: FixedOperator) -> Tensor:
        out = adj(self.dropout(x @ self.weight))
        return out if self.act is None else self.act(out)


class _Encoder(nn.Module):
    """Two :class:`_GraphConv` layers, then standardisation over the whole output (``LayerNorm(Z.size())``)."""

    def __init__(self, in_channels: int, hidden_channels: int, out_channels: int, dropout: float):
        super().__init__()
        self.conv1 = _GraphConv(in_channels, hidden_channels, dropout)
        self.conv2 = _GraphConv(hidden_channels, out_channels, dropout, activate=False)

    def reset_parameters(self) -> None:
        self.conv1.reset_parameters()
        self.conv2.reset_parameters()

    def forward(self, x: Tensor, adj: FixedOperator) -> Tensor:
        z = self.conv2(self.conv1(x, adj), adj)
        return (z - z.mean()) / torch.sqrt(z.var(unbiased=False) + 1e-5)


class _SemanticAttention(nn.Module):
    r""":math:`\beta_p = \mathrm{softmax}_p(q^\top \operatorname{mean}_i \tanh(W z_{p,i} + b))`, :math:`z = \sum_p \beta_p z_p`."""

    def __init__(self, channels: int, dropout: float):
        super().__init__()
        self.fc = nn.Linear(channels, channels)
        self.att = nn.Parameter(torch.empty(1, channels))
        self.dropout = nn.Dropout(dropout)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.fc.reset_parameters()
        nn.init.xavier_normal_(self.fc.weight, gain=1.414)
        nn.init.xavier_normal_(self.att, gain=1.414)

    def forward(self, embeds: list[Tensor]) -> tuple[Tensor, Tensor]:
        q = self.dropout(self.att)
        scores = torch.stack([(q @ torch.tanh(self.fc(z)).mean(0).view(-1, 1)).view(()) for z in embeds])
        beta = torch.softmax(scores, 0)
        return sum(b * z for b, z in zip(beta, embeds, strict=True)), beta


# --------------------------------------------------------------------------------------------------
# models
# --------------------------------------------------------------------------------------------------


class _MetaPathContrast(Model):
    """What MEOW and AdaMEOW share: type projections, context aggregation, GCN encoder, attention, projection."""

    def __init__(self, in_channels: Mapping[str, int], metapaths: Sequence[Sequence[str]], hidden_channels: int = 64,
                 out_channels: int = 64, *, proj_channels: int = 64, dropout: float = 0.2,
                 path_channels: Sequence[int] | None = None):
        super().__init__()
        in_channels = dict(in_channels)
        if not in_channels or any(int(c) < 1 for c in in_channels.values()):
            raise ValueError(f"{type(self).__name__}: in_channels must map each node type to a positive feature "
                             f"size, got {in_channels}")
        if min(hidden_channels, out_channels, proj_channels) < 1:
            raise ValueError(f"{type(self).__name__}: channel sizes must be positive")
        if not 0 <= dropout < 1:
            raise ValueError(f"{type(self).__name__}: dropout must be in [0, 1), got {dropout}")
        paths = [tuple(p) for p in metapaths]
        if not paths:
            raise ValueError(f"{type(self).__name__}: give at least one meta-path (a node-type chain)")
        target = next(iter(in_channels))
        for p in paths:
            if len(p) < 3 or p[0] != target or p[-1] != target:
                raise ValueError(f"{type(self).__name__}: meta-path {p} must start and end at the target type "
                                 f"{target!r} (the first key of in_channels) and have at least 3 types")
            missing = [t for t in p if t not in in_channels]
            if missing:
                raise ValueError(f"{type(self).__name__}: meta-path {p} visits {missing}, which in_channels lacks")
        if path_channels is not None:
            path_channels = tuple(int(c) for c in path_channels)
            if len(path_channels) != len(paths) or min(path_channels) < 1:
                raise ValueError(f"{type(self).__name__}: path_channels needs one positive feature size per "
                                 f"meta-path ({len(paths)}), got {path_channels}")
        self.in_channels, self.metapaths, self.target = in_channels, paths, target
        self.hidden_channels, self.out_channels, self.proj_channels = hidden_channels, out_channels, proj_channels
        self.dropout_rate, self.path_channels = dropout, path_channels
        # with per-meta-path target features, each has its own projection (the official AMiner model)
        self.type_proj = nn.ModuleDict({t: nn.Linear(c, hidden_channels) for t, c in in_channels.items()
                                        if path_channels is None or t != target})
        self.path_proj = None if path_channels is None else \
            nn.ModuleList(nn.Linear(c, hidden_channels) for c in path_channels)
        self.context = nn.ModuleList(
            nn.ModuleList(nn.Linear(hidden_channels, hidden_channels, bias=False) for _ in p[1:-1]) for p in paths)
        self.encoder = _Encoder(hidden_channels, out_channels, out_channels, dropout)
        self.attention = _SemanticAttention(out_channels, dropout)
        self.project = nn.Linear(out_channels, proj_channels)
        self.dropout = nn.Dropout(dropout)

    @classmethod
    def from_config(cls, config, data):
        """The model ``config`` describes, sized for the ``HeteroData`` ``data``."""
        target, paths = resolve_metapaths(data, config.metapaths)
        types = list(dict.fromkeys([target] + [t for _, chain in paths for t in chain[1:-1]]))
        per_path = metapath_features(data, config)
        path_channels = None if per_path is None else [int(x.size(1)) for x in per_path]
        in_channels = {}
        for t in types:
            if path_channels is not None and t == target:  # only names the target; each path is projected
                in_channels[t] = sum(path_channels)
                continue
            x = getattr(data[t], "x", None)
            if x is None:
                raise ValueError(f"node type {t!r} has no features (data[{t!r}].x); load the data set with "
                                 f"featureless='identity' for one-hot features")
            in_channels[t] = int(x.size(1))
        return cls(in_channels, [chain for _, chain in paths], config.hidden_channels, config.out_channels,
                   proj_channels=config.proj_channels, dropout=config.dropout, path_channels=path_channels,
                   **cls._extra_args(config))

    @classmethod
    def _extra_args(cls, config) -> dict:
        return {}

    def reset_parameters(self) -> None:
        for layer in [*self.type_proj.values(), *(self.path_proj or [])]:
            layer.reset_parameters()
        for layers in self.context:
            for layer in layers:
                layer.reset_parameters()
        self.encoder.reset_parameters()
        self.attention.reset_parameters()
        self.project.reset_parameters()

    def extra_repr(self) -> str:
        paths = ", ".join("".join(t[0] for t in p) for p in self.metapaths)
        out = (f"in_channels={self.in_channels}, metapaths=[{paths}], hidden_channels={self.hidden_channels}, "
               f"out_channels={self.out_channels}, proj_channels={self.proj_channels}, dropout={self.dropout_rate}")
        return out if self.path_channels is None else out + f", path_channels={self.path_channels}"

    def _check_views(self, views: MetaPathViews) -> None:
        if views.target != self.target or len(views.adjacency) != len(self.metapaths) or \
                [tuple(c) for c in views.context_types] != [p[1:-1] for p in self.metapaths]:
            raise ValueError(f"{type(self).__name__}: the views were built for other meta-paths than the model's "
                             f"({[''.join(t[0] for t in p) for p in self.metapaths]}); build both from one config")
        if bool(views.x_paths) != (self.path_proj is not None):
            have = "per-meta-path" if views.x_paths else "shared"
            raise ValueError(f"{type(self).__name__}: the views hold {have} target features but the model was built "
                             f"for the other kind; build both from one config and data set")

    def _type(self, x: Tensor, t: str) -> Tensor:
        return self._project(x, self.type_proj[t])

    def _project(self, x: Tensor, layer: nn.Linear) -> Tensor:
        return F.elu(self.dropout(_linear(x, layer)))

    def views_forward(self, views: MetaPathViews) -> tuple[Tensor, Tensor, Tensor]:
        """``(z_coarse, z_fine, z)``: the projected, normalised coarse and fine embeddings and the embedding ``z``."""
        self._check_views(views)
        h = {t: self._type(x, t) for t, x in views.x.items()}
        if self.path_proj is None:  # one target projection shared by every meta-path
            count = len(self.metapaths)
            h_tar = [h[views.target]] * count
            h_mask = [self._type(views.x_masked, views.target)] * count
            h_coarse = h_tar[0]
        else:  # the official AMiner model: a projection per meta-path, the coarse view on their mean
            h_tar = [self._project(x, layer) for x, layer in zip(views.x_paths, self.path_proj, strict=True)]
            h_mask = [self._project(x, layer) for x, layer in zip(views.x_paths_masked, self.path_proj, strict=True)]
            h_coarse = torch.stack(h_tar).mean(0)
        fine = []
        for p, (contexts, types) in enumerate(zip(views.contexts, views.context_types, strict=True)):
            means = [r(h[t]) for r, t in zip(contexts, types, strict=True)]
            for base, adj in ((h_tar[p], views.adjacency[p]), (h_mask[p], views.masked_adjacency[p])):
                ctx = sum(self.dropout(layer(m)) for layer, m in zip(self.context[p], means, strict=True))
                fine.append(F.normalize(self.encoder(F.elu(base + ctx), adj), dim=1))
        z, _ = self.attention(fine)
        z_coarse = self.encoder(h_coarse, views.coarse)
        return (F.normalize(torch.tanh(self.project(z_coarse)), dim=1),
                F.normalize(torch.tanh(self.project(z)), dim=1), z)

    @torch.no_grad()
    def embed(self, views: MetaPathViews) -> Tensor:
        """The embedding :math:`z` ``[N, out_channels]`` of the target nodes (eval mode, no gradient)."""
        was_training = self.training
        self.eval()
        try:
            return self.views_forward(views)[2]
        finally:
            self.train(was_training)

    def forward(self, views: MetaPathViews) -> Tensor:
        """The embedding :math:`z` (with gradient, in the module's current mode)."""
        return self.views_forward(views)[2]


class MEOW(_MetaPathContrast):
    r"""MEOW (Yu et al., SDM 2023): meta-path contexts, coarse/fine views, clustering-weighted negatives.

    See the module docstring (:mod:`graphkit.models.meow`) for the math. The model holds the
    architecture; :func:`fit_meow` trains it (k-means, weighted InfoNCE, ProtoNCE).

    Args:
        in_channels: feature size per node type, the target type first, e.g.
            ``{'paper': 1902, 'author': 1902, 'subject': 60}``.
        metapaths: node-type chains, e.g. ``[('paper', 'author', 'paper'), ('paper', 'subject', 'paper')]``.
        hidden_channels: type projection and context size. (default: ``64``)
        out_channels: embedding size. (default: ``64``)
        proj_channels: projection size of the contrastive head. (default: ``64``)
        dropout: every dropout (features, contexts, GCN, attention). (default: ``0.2``)
        path_channels: one target feature size per meta-path when the target has a feature matrix per
            meta-path (:func:`metapath_features`, the official AMiner model): each gets its own projection
            and ``in_channels[target]`` only names the target. (default: ``None``, one shared projection)

    Shapes: ``model.embed(views)`` → ``[N_target, out_channels]``.

    Example:
        >>> m = MEOW({"paper": 8, "author": 4}, [("paper", "author", "paper")], 16, 8)
        >>> m
        MEOW(in_channels={'paper': 8, 'author': 4}, metapaths=[pap], hidden_channels=16, out_channels=8, proj_channels=64, dropout=0.2)
    """

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"


class AdaMEOW(_MetaPathContrast):
    r"""AdaMEOW (Yu et al., TKDE 2024): MEOW's views with learned negative weights :math:`\sigma(\mathrm{MLP}(z^f_i + z^c_j))`.

    Args as :class:`MEOW`, plus ``weight_hidden``: hidden size of the weight MLP. (default: ``16``)
    :meth:`loss` computes the weighted InfoNCE in row blocks (memory :math:`O(\text{chunk}\cdot N)`).

    Shapes: ``model.embed(views)`` → ``[N_target, out_channels]``.

    Example:
        >>> m = AdaMEOW({"paper": 8, "author": 4}, [("paper", "author", "paper")], 16, 8, proj_channels=16)
        >>> m.weight_in, m.weight_out
        (Linear(in_features=16, out_features=16, bias=True), Linear(in_features=16, out_features=1, bias=True))
    """

    def __init__(self, in_channels: Mapping[str, int], metapaths: Sequence[Sequence[str]], hidden_channels: int = 64,
                 out_channels: int = 64, *, proj_channels: int = 64, dropout: float = 0.2,
                 path_channels: Sequence[int] | None = None, weight_hidden: int = 16):
        super().__init__(in_channels, metapaths, hidden_channels, out_channels, proj_channels=proj_channels,
                         dropout=dropout, path_channels=path_channels)
        if weight_hidden < 1:
            raise ValueError(f"AdaMEOW: weight_hidden must be >= 1, got {weight_hidden}")
        self.weight_hidden = weight_hidden
        self.weight_in = nn.Linear(proj_channels, weight_hidden)
        self.weight_out = nn.Linear(weight_hidden, 1)

    @classmethod
    def _extra_args(cls, config) -> dict:
        return {"weight_hidden": config.weight_hidden}

    def reset_parameters(self) -> None:
        super().reset_parameters()
        self.weight_in.reset_parameters()
        self.weight_out.reset_parameters()

    def extra_repr(self) -> str:
        return super().extra_repr() + f", weight_hidden={self.weight_hidden}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"

    def pair_weights(self, z_anchor: Tensor, z_other: Tensor):
        r"""``weight(rows) -> [len(rows), N]``: :math:`\sigma(\mathrm{MLP}(z^a_i + z^o_j))` for a block of anchor rows."""
        a = self.weight_in(z_anchor)  # W1 z_i + b1
        b = F.linear(z_other, self.weight_in.weight)  # W1 z_j

        v, c = self.weight_out.weight.view(-1), self.weight_out.bias

        def weight(rows: Tensor) -> Tensor:  # [c, N]; the [c, N, h] hidden layer is never kept
            return pair_mlp_weights(a.index_select(0, rows), b, v, c)

        return weight

    def loss(self, views: MetaPathViews, tau: float, *, chunk_size: int | None = None) -> Tensor:
        """AdaMEOW's training loss: fine view as anchor, learned weights, positive in the denominator."""
        return self._loss_and_embedding(views, tau, chunk_size=chunk_size)[0]

    def _loss_and_embedding(self, views: MetaPathViews, tau: float, *, chunk_size: int | None) -> tuple[Tensor, Tensor]:
        z_coarse, z_fine, z = self.views_forward(views)
        n = z_fine.size(0)
        if chunk_size is None:
            chunk_size = max(1, _PAIR_BLOCK_ELEMENTS // max(n * self.weight_hidden, 1))
        loss = weighted_info_nce(z_fine, z_coarse, tau, self.pair_weights(z_fine, z_coarse), chunk_size=chunk_size)
        return loss, z


# --------------------------------------------------------------------------------------------------
# configs
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _MetaPathConfig(Config):
    metapaths: tuple[str, ...] | None = None
    hidden_channels: int = 64
    out_channels: int = 64
    proj_channels: int = 64
    dropout: float = 0.2
    lr: float = 7e-4
    weight_decay: float = 0.0
    epochs: int = 10000
    patience: int | None = 30
    tau: float = 0.4
    feat_mask: float = 0.3
    adj_mask: tuple[float, ...] = (0.2,)
    nei_max: tuple[int, ...] = (100,)
    normalize_features: bool = True
    metapath_features: bool | None = None
    legacy: bool = False
    select: Literal["loss", "probe"] = "loss"
    embedding: Literal["selected", "last_train"] = "selected"
    eval_every: int = 100
    start_eval: int = 0
    chunk_size: int | None = None
    label_rates: tuple[int, ...] = (20, 40, 60)
    eval_lr: float = 0.01
    eval_weight_decay: float = 0.0
    eval_repeats: int = 50
    eval_iterations: int = 200
    cluster_repeats: int = 10

    aliases: ClassVar[dict] = {"hidden_dim": "hidden_channels", "embed_dim": "out_channels", "l2_coef": "weight_decay",
                               "nb_epochs": "epochs", "eva_lr": "eval_lr", "eva_wd": "eval_weight_decay",
                               "ratio": "label_rates"}

    def check(self) -> None:
        positive = ("hidden_channels", "out_channels", "proj_channels", "epochs", "eval_every", "eval_repeats",
                    "eval_iterations", "cluster_repeats")
        for key in positive:
            if getattr(self, key) < 1:
                raise config_error(self.__class__, f"{key} must be >= 1, got {getattr(self, key)}")
        if not 0 <= self.dropout < 1:
            raise config_error(self.__class__, f"dropout must be in [0, 1), got {self.dropout}")
        if not self.tau > 0:
            raise config_error(self.__class__, f"tau (the temperature) must be > 0, got {self.tau}")
        if not self.lr > 0 or self.weight_decay < 0 or not self.eval_lr > 0 or self.eval_weight_decay < 0:
            raise config_error(self.__class__, "lr / eval_lr must be > 0 and the weight decays >= 0")
        if not 0 <= self.feat_mask <= 1 or not self.adj_mask or any(not 0 <= r <= 1 for r in self.adj_mask):
            raise config_error(self.__class__, "feat_mask and every adj_mask must be in [0, 1]")
        if not self.nei_max or any(k < 1 for k in self.nei_max):
            raise config_error(self.__class__, f"nei_max must be >= 1 per meta-path, got {self.nei_max}")
        if self.patience is not None and self.patience < 1:
            raise config_error(self.__class__, f"patience must be >= 1 or null, got {self.patience}")
        if self.start_eval < 0 or (self.chunk_size is not None and self.chunk_size < 1):
            raise config_error(self.__class__, "start_eval must be >= 0 and chunk_size >= 1 or null")
        if not self.label_rates or any(r < 1 for r in self.label_rates):
            raise config_error(self.__class__, f"label_rates must be positive, got {self.label_rates}")


_MEOW_SOURCE = "official code jianxiangyu/MEOW, code_meow/utils/params.py"
_ADA_SOURCE = "official code jianxiangyu/MEOW, code_adameow/utils/params.py"


@dataclass(frozen=True)
class MEOWConfig(_MetaPathConfig):
    """MEOW's hyperparameters (model, training, clustering and evaluation).

    Args:
        metapaths: meta-path names (``None``: the data set's ``data.metapaths``).
        hidden_channels, out_channels, proj_channels, dropout: the architecture (:class:`MEOW`).
        lr, weight_decay: Adam. epochs: the budget. patience: epochs without a lower training loss
            before stopping (``select='loss'``).
        tau: temperature of both losses. feat_mask, adj_mask: masking rates (``adj_mask`` one value or
            one per meta-path). nei_max: PathSim neighbours kept per node (one value or one per meta-path).
        num_clusters: k of each k-means clustering (``K`` clusterings). lam_proto: ProtoNCE weight.
        kmeans_restarts, kmeans_iters: k-means restarts and Lloyd iterations (faiss's ``nredo`` /
            ``niter``). kmeans_seeding: initial centroids of each restart, ``'random'`` (``k`` distinct
            points, as the official faiss clustering; default) or ``'k-means++'`` (module doc).
            kmeans_warm_start: start each epoch's clustering from the previous centroids
            (the first epoch runs the restarts). kmeans_backend: ``'torch'``, ``'faiss'`` or ``'auto'``.
        concentration_alpha: :math:`\\alpha` of PCL's concentration (MEOW's code: 5).
        normalize_features: row-normalise non-negative features. legacy: the transposed normalisation
            the official ``normalize_adj`` computes on the pruned graphs (module doc; diagnostic only).
        metapath_features: read one target feature matrix per meta-path, ``data[target].x_<mp>`` (MEOW's
            AMiner input; :func:`metapath_features`): ``None`` when present, ``True`` required, ``False`` never.
        select: ``'loss'`` (lowest training loss, the official criterion) or ``'probe'`` (validation
            score of the probe every ``eval_every`` epochs from ``start_eval``). Never test.
        embedding: the embedding evaluated and returned: ``'selected'`` (eval mode, the state ``select``
            keeps) or ``'last_train'`` (the official ``get_embeds()``: the last training epoch's forward,
            dropout on, parameters before its update; the model is still left in the selected state).
        chunk_size: anchor rows per block of the InfoNCE (``None``: a 64 MB ``[chunk, N]`` block; AdaMEOW:
            a 16 MB ``[chunk, N, 16]`` block of the weight MLP).
        label_rates, eval_lr, eval_weight_decay, eval_repeats, eval_iterations, cluster_repeats: the
            evaluation protocol (:mod:`graphkit.train.probe`).

    Example:
        >>> MEOWConfig.paper("acm").num_clusters, MEOWConfig.paper("aminer").lam_proto
        ((100, 300), 0.1)
    """

    num_clusters: tuple[int, ...] = (100, 300)
    lam_proto: float = 1.0
    kmeans_restarts: int = 5
    kmeans_iters: int = 20
    kmeans_seeding: Literal["random", "k-means++"] = "random"
    kmeans_warm_start: bool = False
    kmeans_backend: Literal["torch", "faiss", "auto"] = "torch"
    concentration_alpha: float = 5.0

    source: ClassVar[str] = (_MEOW_SOURCE + " (acm defaults; adj_mask / nei_max as one value for any number of "
                                            "meta-paths)")
    aliases: ClassVar[dict] = {**_MetaPathConfig.aliases, "num_cluster": "num_clusters"}
    presets: ClassVar[dict[str, Preset]] = {
        # ACM's clustering is chosen on validation (benchmarks/results/meow.md): warm-started k-means++
        "acm": Preset(_MEOW_SOURCE + "; k-means warm-started from k-means++ seeds, chosen on the validation probe",
                      metapaths=("pap", "psp"), lr=7e-4, weight_decay=0.0, tau=0.4, dropout=0.2, feat_mask=0.3,
                      adj_mask=(0.3, 0.2), nei_max=(110, 700), num_clusters=(100, 300), lam_proto=1.0, patience=30,
                      eval_lr=0.03, eval_weight_decay=0.0, kmeans_seeding="k-means++", kmeans_warm_start=True),
        "dblp": Preset(_MEOW_SOURCE + "; dblp",
                       metapaths=("apa", "apcpa", "aptpa"), lr=6e-4, weight_decay=0.0, tau=0.9, dropout=0.2,
                       feat_mask=0.2, adj_mask=(0.2, 0.5, 0.6), nei_max=(25, 200, 40), num_clusters=(200, 700),
                       lam_proto=1.0, patience=35, eval_lr=0.01, eval_weight_decay=0.0),
        "aminer": Preset(_MEOW_SOURCE + "; aminer",
                         metapaths=("pap", "prp"), lr=7e-4, weight_decay=0.0, tau=0.9, dropout=0.2, feat_mask=0.2,
                         adj_mask=(0.7, 0.4), nei_max=(5, 21), num_clusters=(500, 1200), lam_proto=0.1, patience=25,
                         eval_lr=0.1, eval_weight_decay=8e-4),
        "imdb": Preset(_MEOW_SOURCE + "; imdb",
                       metapaths=("mam", "mdm", "mkm"), lr=1e-4, weight_decay=1e-3, tau=0.9, dropout=0.2,
                       feat_mask=0.3, adj_mask=(0.1, 0.1, 0.1), nei_max=(70, 10, 70), num_clusters=(500, 700),
                       lam_proto=1.0, patience=15, eval_lr=0.01, eval_weight_decay=0.0),
    }

    def check(self) -> None:
        super().check()
        if not self.num_clusters or any(k < 1 for k in self.num_clusters):
            raise config_error(self.__class__, f"num_clusters must be >= 1 each, got {self.num_clusters}")
        if self.lam_proto < 0 or self.kmeans_restarts < 1 or self.kmeans_iters < 1 or self.concentration_alpha <= 0:
            raise config_error(self.__class__, "lam_proto must be >= 0, kmeans_restarts / kmeans_iters >= 1 and "
                                               "concentration_alpha > 0")
        assert set(BACKENDS) == {"torch", "faiss", "auto"}
        if self.kmeans_seeding not in SEEDINGS:
            raise config_error(self.__class__, f"kmeans_seeding must be one of {list(SEEDINGS)}, "
                                               f"got {self.kmeans_seeding!r}")


@dataclass(frozen=True)
class AdaMEOWConfig(_MetaPathConfig):
    """AdaMEOW's hyperparameters: :class:`MEOWConfig`'s without clustering, plus ``weight_hidden``.

    Defaults are the official ACM settings; the official runs use no early stopping (``patience``
    null) and evaluate every 100 epochs after ``start_eval`` — here on the validation split
    (``select='probe'``).

    Example:
        >>> AdaMEOWConfig.paper("aminer").proj_channels, AdaMEOWConfig.paper("acm").epochs
        (16, 1200)
    """

    lr: float = 5e-5
    weight_decay: float = 1e-5
    dropout: float = 0.3
    tau: float = 1.0
    epochs: int = 1200
    patience: int | None = None
    nei_max: tuple[int, ...] = (690,)
    select: Literal["loss", "probe"] = "probe"
    start_eval: int = 410
    eval_lr: float = 0.03
    weight_hidden: int = 16

    source: ClassVar[str] = _ADA_SOURCE + " (acm defaults)"
    presets: ClassVar[dict[str, Preset]] = {
        "acm": Preset(_ADA_SOURCE + "; acm",
                      metapaths=("pap", "psp"), lr=5e-5, weight_decay=1e-5, tau=1.0, dropout=0.3, feat_mask=0.3,
                      adj_mask=(0.2,), nei_max=(690, 690), epochs=1200, start_eval=410, eval_lr=0.03,
                      eval_weight_decay=0.0),
        "dblp": Preset(_ADA_SOURCE + "; dblp",
                       metapaths=("apa", "apcpa", "aptpa"), lr=1e-4, weight_decay=1e-3, tau=0.9, dropout=0.2,
                       feat_mask=0.1, adj_mask=(0.3,), nei_max=(25, 200, 40), epochs=1500, start_eval=810,
                       eval_lr=0.01, eval_weight_decay=0.0),
        "aminer": Preset(_ADA_SOURCE + "; aminer",
                         metapaths=("pap", "prp"), lr=1e-4, weight_decay=1e-4, tau=0.9, dropout=0.0, feat_mask=0.0,
                         adj_mask=(0.0,), nei_max=(8, 31), epochs=3000, start_eval=2510, proj_channels=16,
                         eval_lr=0.3, eval_weight_decay=1e-3),
        "imdb": Preset(_ADA_SOURCE + "; imdb",
                       metapaths=("mam", "mdm", "mkm"), lr=5e-4, weight_decay=5e-4, tau=0.9, dropout=0.1,
                       feat_mask=0.3, adj_mask=(0.1,), nei_max=(70, 10, 70), epochs=1000, start_eval=10,
                       eval_lr=0.01, eval_weight_decay=0.0),
    }

    def check(self) -> None:
        super().check()
        if self.weight_hidden < 1:
            raise config_error(self.__class__, f"weight_hidden must be >= 1, got {self.weight_hidden}")


# --------------------------------------------------------------------------------------------------
# evaluation and procedures
# --------------------------------------------------------------------------------------------------


def _splits(data, target: str, label_rates: Sequence[int]) -> tuple[Tensor, dict[int, tuple[Tensor, Tensor, Tensor]]]:
    store = data[target]
    y = getattr(store, "y", None)
    if y is None:
        raise ValueError(f"the target type {target!r} has no labels (data[{target!r}].y): the evaluation probe "
                         f"needs class labels; embed with model.embed(views) without evaluation instead")
    splits = {}
    for r in label_rates:
        keys = [f"{part}_mask_{r}" for part in ("train", "val", "test")]
        missing = [k for k in keys if getattr(store, k, None) is None]
        if missing:
            raise ValueError(f"the target type {target!r} has no {', '.join(missing)}: label rate {r} needs "
                             f"train/val/test masks (data[{target!r}].train_mask_{r}, ...); set label_rates to the "
                             f"rates the data set has")
        splits[r] = tuple(getattr(store, k) for k in keys)
    return y, splits


def evaluate_embedding_probe(embedding: Tensor, data, config, *, seed: int = 0,
                             clustering: bool = True) -> dict[str, float]:
    """The evaluation protocol on the target nodes: the probe per label rate, then k-means NMI / ARI.

    Returns ``test_macro_f1_<r>``, ``test_micro_f1_<r>``, ``test_auc_<r>`` (and ``_std``,
    ``valid_*``) for each rate ``r`` of ``config.label_rates``, plus ``nmi`` and ``ari``.

    Raises:
        ValueError: the target type has no labels or no masks for a label rate.
    """
    target = _target_type(data)
    y, splits = _splits(data, target, config.label_rates)
    out = {}
    for r, (train, valid, test) in splits.items():
        scores = linear_probe(embedding, y, train, valid, test, repeats=config.eval_repeats,
                              iterations=config.eval_iterations, lr=config.eval_lr,
                              weight_decay=config.eval_weight_decay, seed=seed)
        for key, value in scores.items():
            out[f"{key}_{r}"] = value
    if clustering:
        out.update(probe_clustering(embedding, y, repeats=config.cluster_repeats, seed=seed))
    return out


def _validation_score(model, views, data, config, seed) -> float:
    scores = evaluate_embedding_probe(model.embed(views), data, config, seed=seed, clustering=False)
    values = [scores[f"valid_{m}_{r}"] for r in config.label_rates for m in ("macro_f1", "micro_f1", "auc")]
    values = [v for v in values if not math.isnan(v)]
    return sum(values) / max(len(values), 1)


def _train(model, data, config, views, *, seed, device, progress, timer, loss_fn) -> tuple:
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    state = {"loss": math.inf, "epoch": 0}

    def loss(batch, epoch):
        state["epoch"] = epoch
        value = loss_fn(epoch)
        state["loss"] = float(value.detach())
        return value

    if config.select == "loss":
        selection, every = Selection("min", patience=config.patience), 1

        def validate():
            return state["loss"]
    else:
        selection, every = Selection("max", patience=config.patience), config.eval_every

        def validate():
            if state["epoch"] < config.start_eval:
                return -math.inf
            return _validation_score(model, views, data, config, seed)

    return run_epochs(model, optimizer, epochs=config.epochs, loss=loss, validate=validate, selection=selection,
                      eval_every=every, timer=timer, progress=progress, desc=type(model).__name__,
                      value_name="train_loss" if config.select == "loss" else "valid_probe")


def _finish(model, data, config, views, trajectory, timer, seed, last_train: Tensor,
            extra_time=None) -> FitResult:
    if config.embedding == "last_train":
        embedding = last_train
    else:
        with timer.inference():
            embedding = model.embed(views)
    with timer.stage("evaluation"):
        metrics = evaluate_embedding_probe(embedding, data, config, seed=seed)
    time = timer.summary()
    time.update(extra_time or {})
    return FitResult(metrics, time, trajectory.best_epoch, trajectory.epochs_run, history=trajectory.history,
                     outputs={"embedding": embedding, "last_train_embedding": last_train, "views": views})


def _prepare(model, data, config, seed, device, warm_start, timer) -> MetaPathViews:
    with timer.stage("precompute"):
        views = meta_path_views(data, config, seed=seed)
    model._check_views(views)
    if not warm_start:
        reinitialize(model)
    model.to(device)
    return views.to(device)


@procedure(MEOW, MEOWConfig)
def fit_meow(model: MEOW, data, config: MEOWConfig, *, seed: int, device: torch.device, progress: bool | None,
             warm_start: bool) -> FitResult:
    """Train a :class:`MEOW` (weighted InfoNCE + ProtoNCE, k-means every epoch), then evaluate its embedding.

    Selection: by the training loss (``select='loss'``, default; the official early stopping) or by
    the probe's **validation** score (``select='probe'``); never by test. The reported metrics are
    those of the selected state, or of the last training forward with ``embedding='last_train'``
    (module doc). ``time`` adds ``kmeans_s`` (median per epoch, all
    clusterings).

    Args:
        model: a :class:`MEOW`, trained in place.
        data: a heterogeneous graph (``datasets.load('acm')``, ``'aminer'``, ``'imdb'``, ``'dblp'``,
            ``'hetero-csbm'``).
        config: a :class:`MEOWConfig` (or a dict of its keys).
        seed, device, progress, warm_start: see :mod:`graphkit.models.procedure`.

    Returns:
        :class:`~graphkit.train.result.FitResult`: ``test_macro_f1_20`` / ``test_micro_f1_20`` /
        ``test_auc_20`` (and ``_40``, ``_60``, ``valid_*``, ``_std``), ``nmi``, ``ari``; outputs
        ``embedding`` (the one evaluated), ``last_train_embedding`` and ``views``.

    Example:
        >>> from graphkit import datasets
        >>> data = datasets.load("hetero-csbm", num_nodes=300, seed=0)
        >>> config = MEOWConfig(num_clusters=(10,), epochs=2, eval_repeats=2, cluster_repeats=1, label_rates=(20,))
        >>> result = fit_meow(MEOW.from_config(config, data), data, config, progress=False)
        >>> result.epochs_run, result.embedding.shape
        (2, torch.Size([300, 64]))
    """
    timer = Timer(device)
    views = _prepare(model, data, config, seed, device, warm_start, timer)
    n = views.num_nodes
    too_many = [k for k in config.num_clusters if k > n]
    if too_many:
        raise ValueError(f"num_clusters {too_many} exceed the {n} target nodes; k-means needs k <= {n}")
    centroids: dict[int, Tensor] = {}
    last: dict[str, Tensor] = {}
    kmeans_times: list[float] = []
    chunk = config.chunk_size or max(1, _BLOCK_ELEMENTS // max(n * (len(config.num_clusters) + 2), 1))

    def loss_fn(epoch: int) -> Tensor:
        z_coarse, z_fine, z = model.views_forward(views)
        last["z"] = z.detach()
        start = timer.stages.get("kmeans", 0.0)
        with timer.stage("kmeans"):
            results = []
            for m, k in enumerate(config.num_clusters):
                warm = centroids.get(m) if config.kmeans_warm_start else None
                res = kmeans(z_fine.detach(), k, n_init=config.kmeans_restarts, max_iter=config.kmeans_iters,
                             seed=seed * 1000 + m, backend=config.kmeans_backend, init=warm,
                             seeding=config.kmeans_seeding)
                centroids[m] = res.centroids
                results.append(res)
        kmeans_times.append(timer.stages["kmeans"] - start)
        labels = torch.stack([r.labels for r in results])
        loss = weighted_info_nce(z_coarse, z_fine, config.tau, co_cluster_weights(labels), chunk_size=chunk)
        if config.lam_proto > 0:
            phis = [cluster_concentration(r.distances.sqrt(), r.labels, k, config.tau, alpha=config.concentration_alpha)
                    for r, k in zip(results, config.num_clusters, strict=True)]
            protos = [F.normalize(r.centroids, dim=1) for r in results]
            loss = loss + config.lam_proto * proto_nce(z_coarse, protos, [r.labels for r in results], phis)
        return loss

    trajectory = _train(model, data, config, views, seed=seed, device=device, progress=progress, timer=timer,
                        loss_fn=loss_fn)
    extra = {"kmeans_s": statistics.median(kmeans_times) if kmeans_times else 0.0}
    return _finish(model, data, config, views, trajectory, timer, seed, last["z"], extra)


@procedure(AdaMEOW, AdaMEOWConfig)
def fit_adameow(model: AdaMEOW, data, config: AdaMEOWConfig, *, seed: int, device: torch.device,
                progress: bool | None, warm_start: bool) -> FitResult:
    """Train an :class:`AdaMEOW` (learned negative weights, row-chunked), then evaluate its embedding.

    Selection: by default (``select='probe'``) the probe's **validation** score every ``eval_every``
    epochs from ``start_eval`` on (the official code scores the *test* split there); ``select='loss'``
    keeps the lowest training loss. Returns what :func:`fit_meow` returns.

    Example:
        >>> from graphkit import datasets
        >>> data = datasets.load("hetero-csbm", num_nodes=300, seed=0)
        >>> config = AdaMEOWConfig(epochs=2, eval_repeats=2, cluster_repeats=1, label_rates=(20,), start_eval=0,
        ...                        eval_every=1)
        >>> result = fit_adameow(AdaMEOW.from_config(config, data), data, config, progress=False)
        >>> result.best_epoch in (0, 1), sorted(result.metrics)[:2]
        (True, ['ari', 'nmi'])
    """
    timer = Timer(device)
    views = _prepare(model, data, config, seed, device, warm_start, timer)

    last: dict[str, Tensor] = {}

    def loss_fn(epoch: int) -> Tensor:
        loss, z = model._loss_and_embedding(views, config.tau, chunk_size=config.chunk_size)
        last["z"] = z.detach()
        return loss

    trajectory = _train(model, data, config, views, seed=seed, device=device, progress=progress, timer=timer,
                        loss_fn=loss_fn)
    return _finish(model, data, config, views, trajectory, timer, seed, last["z"])
