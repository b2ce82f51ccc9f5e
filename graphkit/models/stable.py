r"""STABLE (Li et al., KDD 2022): unsupervised structure refinement for graphs under adversarial attack.

"Reliable Representations Make A Stronger Defender: Unsupervised Structure Refinement for Robust GNN",
https://arxiv.org/abs/2207.00012; official code https://github.com/likuanppd/STABLE.

The procedure, :func:`fit_stable`, runs the paper's pipeline on an (attacked) graph
:math:`A` with features :math:`X`:

1. **Jaccard pre-pruning** (only to train the embeddings): drop the edges whose
   ends' non-zero feature sets have Jaccard similarity below ``jaccard_threshold``
   (:func:`graphkit.ops.refine.jaccard_prune`, on the edges only), giving
   :math:`A_{pre}` and the removed set :math:`A_{del}`.
2. **Contrastive embedding** (a DGI variant): a one-layer GCN encoder
   :math:`Z = \mathrm{PReLU}(\hat A X W + b)` with
   :math:`\hat A = D^{-1/2}(A_{pre} + \beta I)D^{-1/2}`. Two views, each
   :math:`A_{pre}` plus a random ``recover_percent`` share of :math:`A_{del}` re-added
   (self-loop weight :math:`\beta + 1`, as the official ``normalize_adj2``), give
   summaries :math:`s_v = \sigma(\mathrm{mean}_i\, \mathrm{PReLU}(\hat A_v X W + b)_i)`.
   Positives are :math:`Z`, negatives the encoder on row-shuffled :math:`X`; the loss
   is binary cross-entropy on :math:`z_i^\top M s_1 + z_i^\top M s_2 + 2c` (the two
   views' bilinear logits summed). Adam, early stopping on the loss.
3. **Refinement of the attacked** :math:`A` (not of :math:`A_{pre}`): remove the edges
   with :math:`\cos(z_i, z_j) \le` ``cosine_threshold``, then link every node to its
   ``k`` most similar nodes among those of degree > ``degree_threshold``
   (:func:`graphkit.ops.refine.cosine_topk`, in chunks of rows: memory
   :math:`O(Nk + \text{chunk}\cdot N)`, never a dense :math:`N \times N`).
4. **"Advanced GCN"** on the refined graph, **fed** :math:`Z`: two pygcn-style layers
   with :math:`\tilde D^{\alpha}(A+I)\tilde D^{\alpha}`, rows renormalised unless
   :math:`\alpha = -\tfrac12` (:func:`graphkit.ops.refine.advanced_gcn_norm`), trained
   ``classifier_runs`` times with seeds ``seed, seed + 1, ...`` (the paper reports the
   mean over 10 such runs on one refined graph).

Where graphkit departs from the official code (``legacy=True`` restores the graph rule):

- **Symmetric top-k.** The official code sets ``A[i, topk(i)] = 1`` row by row, so
  the added edges are directed, and the top-k includes ``i`` itself (similarity 1),
  which is then removed (usually ``k - 1`` new neighbours). graphkit adds
  ``k`` *other* nodes and both directions of each new edge, so the refined graph is
  undirected like its input. Non-candidates (degree ≤ ``degree_threshold``) are
  never chosen; the official code gives them similarity 0, which outranks negative
  similarities.
- **Seeds.** The official code seeds from the clock; here everything is seeded.
- **Kept state** of the contrastive encoder: the state right after the optimiser
  step of the lowest-loss epoch (the official code keeps the state before that
  step: one Adam step at lr 1e-3 apart). The classifier keeps a state whenever its
  validation loss or validation accuracy improves (the official rule), with the
  validation loss of the evaluation pass (the official code takes it from the
  training pass, with dropout).
- **Memory.** No dense :math:`N \times N` anywhere (the official code holds several:
  the adjacency, the views, the full cosine-similarity matrix); features are
  multiplied sparsely when they are sparse; the contrastive loss is one autograd
  function that keeps only :math:`XW` and a bit mask per view and recomputes the
  rest in its backward pass (under 3 GB for 200k nodes, a 512-d embedding).

Build, fit, predict::

    >>> from graphkit import STABLE, STABLEConfig, fit_stable, datasets
    >>> data = datasets.load("csbm", num_nodes=300, seed=0)
    >>> config = STABLEConfig(embedding_channels=32, epochs=5, classifier_runs=2, embedding_epochs=20)
    >>> model = STABLE.from_config(config, data)
    >>> result = fit_stable(model, data, config, progress=False)
    >>> pred = model(result.embedding, result.edge_index).argmax(-1)
    >>> result.edge_index.shape[0], result.embedding.shape, sorted(result.metrics)[:2]
    (2, torch.Size([300, 32]), ['test_accuracy', 'test_accuracy_std'])
"""

from __future__ import annotations

import logging
import math
import statistics
import warnings
from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from graphkit.models.procedure import graph_info, procedure
from graphkit.nn.model import Model, reinitialize
from graphkit.ops.csr import CSR, from_coo
from graphkit.ops.normalize import sym_norm
from graphkit.ops.refine import (
    add_edges,
    advanced_gcn_norm,
    coalesce_edges,
    cosine_prune,
    cosine_topk,
    is_one_hot_identity,
    jaccard_prune,
)
from graphkit.ops.spmm import spmm
from graphkit.threads import work_of
from graphkit.train.config import Config, Preset, config_error
from graphkit.train.loop import Selection, run_epochs
from graphkit.train.node_classification import check_node_data
from graphkit.train.result import FitResult
from graphkit.train.timing import Timer

__all__ = ["STABLE", "AdvancedGCN", "STABLEConfig", "fit_stable"]

log = logging.getLogger(__name__)

_ROW_CHUNK = 16384  # rows per chunk in the contrastive loss's PReLU readouts


# --------------------------------------------------------------------------- the contrastive loss


def _prelu_score(p: Tensor, a: Tensor, u: Tensor) -> Tensor:
    """``PReLU(p) @ u`` ([N, d] -> [N]) by row chunks (no [N, d] temporary)."""
    out = p.new_empty(p.size(0))
    for lo in range(0, p.size(0), _ROW_CHUNK):
        chunk = p[lo:lo + _ROW_CHUNK]
        out[lo:lo + _ROW_CHUNK] = torch.where(chunk > 0, chunk, a * chunk) @ u
    return out


def _score_grad_(p: Tensor, a: Tensor, u: Tensor, grad: Tensor, du: Tensor, da: Tensor) -> Tensor:
    """Backward of :func:`_prelu_score` for ``grad [N]``: accumulate ``du`` / ``da``, turn ``p`` into dL/dp in place."""
    for lo in range(0, p.size(0), _ROW_CHUNK):
        chunk, g = p[lo:lo + _ROW_CHUNK], grad[lo:lo + _ROW_CHUNK]
        positive = chunk > 0
        du += torch.where(positive, chunk, a * chunk).T @ g
        da += ((chunk.clamp(max=0) @ u) * g).sum()
        outer = g[:, None] * u[None, :]
        chunk.copy_(torch.where(positive, outer, a * outer))
    return p


class _ContrastiveLoss(torch.autograd.Function):
    r"""STABLE's DGI objective from :math:`XW`, saving only :math:`XW` and one bool mask per view.

    Forward, with :math:`P = \hat A\, XW + b` (positives), :math:`\tilde P = \hat A\, (XW)_{\pi} + b`
    (row-shuffled negatives) and :math:`P_v = \hat A_v XW + b` (views):
    :math:`s_v = \sigma(\mathrm{mean}_i\, \mathrm{PReLU}(P_v)_i)`, :math:`u = M (s_1 + s_2)`, logits
    :math:`\mathrm{PReLU}(P) u + 2c` and :math:`\mathrm{PReLU}(\tilde P) u + 2c`, binary cross-entropy
    against ones and zeros. The backward pass recomputes :math:`P` and :math:`\tilde P` one at a
    time instead of keeping them: at 200k nodes x 512 that is 0.8 GB less at the peak.
    """

    @staticmethod
    def forward(ctx, xw, b, a, weight, c, adj, adj_t, views, views_t, perm):
        n = xw.size(0)
        summaries, masks, neg_means = [], [], []
        for view in views:
            p = spmm(view, xw).add_(b)
            pos_sum, neg_sum = p.new_zeros(p.size(1)), p.new_zeros(p.size(1))
            for lo in range(0, n, _ROW_CHUNK):
                chunk = p[lo:lo + _ROW_CHUNK]
                pos_sum += chunk.clamp(min=0).sum(dim=0)
                neg_sum += chunk.clamp(max=0).sum(dim=0)
            masks.append(p > 0)
            del p
            neg_means.append(neg_sum / max(n, 1))
            summaries.append(torch.sigmoid(pos_sum / max(n, 1) + a * neg_means[-1]))
        total = summaries[0] + summaries[1]
        u = weight @ total
        logits = torch.cat([_prelu_score(spmm(adj, xw).add_(b), a, u),
                            _prelu_score(spmm(adj, xw.index_select(0, perm)).add_(b), a, u)]) + 2 * c
        labels = torch.cat([xw.new_ones(n), xw.new_zeros(n)])
        ctx.save_for_backward(xw, b, a, weight, logits, total, perm, *summaries, *masks, *neg_means)
        ctx.graphs = (adj, adj_t, views_t)
        return F.binary_cross_entropy_with_logits(logits, labels)

    @staticmethod
    def backward(ctx, grad):
        xw, b, a, weight, logits, total, perm, *rest = ctx.saved_tensors
        summaries, masks, neg_means = rest[0:2], rest[2:4], rest[4:6]
        adj, adj_t, views_t = ctx.graphs
        n = xw.size(0)
        labels = torch.cat([xw.new_ones(n), xw.new_zeros(n)])
        dlogits = (torch.sigmoid(logits) - labels) * (grad / logits.numel())
        u = weight @ total
        du, da = torch.zeros_like(u), torch.zeros((), dtype=xw.dtype, device=xw.device)
        dp = _score_grad_(spmm(adj, xw).add_(b), a, u, dlogits[:n], du, da)
        db = dp.sum(dim=0)
        dxw = spmm(adj_t, dp)
        del dp
        dp = _score_grad_(spmm(adj, xw.index_select(0, perm)).add_(b), a, u, dlogits[n:], du, da)
        db += dp.sum(dim=0)
        dxw.index_add_(0, perm, spmm(adj_t, dp))
        del dp
        dweight = torch.outer(du, total)
        dtotal = weight.T @ du
        for s, mask, neg_mean, view_t in zip(summaries, masks, neg_means, views_t, strict=True):
            dm = dtotal * s * (1 - s) / max(n, 1)
            da += (neg_mean * dm).sum() * max(n, 1)
            dp = torch.where(mask, dm, a * dm)
            db += dp.sum(dim=0)
            dxw += spmm(view_t, dp)
            del dp
        dc = 2 * dlogits.sum()
        return dxw, db, da.reshape(a.shape), dweight, dc.reshape(()), None, None, None, None, None


# --------------------------------------------------------------------------- model


class AdvancedGCN(Model):
    r"""STABLE's classifier: a two-layer GCN on a given propagation matrix (pygcn layers).

    .. math::
        H = \mathrm{dropout}(\mathrm{ReLU}(\hat A X W_1 + b_1)),\qquad
        \mathrm{out} = \hat A H W_2 + b_2

    with :math:`\hat A` from :func:`graphkit.ops.refine.advanced_gcn_norm`. Weights and
    biases start uniform in :math:`\pm 1/\sqrt{\text{out}}` (pygcn's and the official
    code's ``GraphConvolution``); no dropout on the input.

    Args:
        in_channels, hidden_channels, out_channels: layer sizes.
        dropout: between the layers. (default: ``0.5``)

    Shapes: ``x [N, F]``, ``adj`` a ``[N, N]`` :class:`~graphkit.ops.CSR` → ``[N, C]``.

    Example:
        >>> from graphkit.ops.refine import advanced_gcn_norm
        >>> adj = advanced_gcn_norm(torch.tensor([[0, 1], [1, 0]]), 0.3, 2)
        >>> AdvancedGCN(4, 8, 3)(torch.randn(2, 4), adj).shape
        torch.Size([2, 3])
    """

    def __init__(self, in_channels: int, hidden_channels: int, out_channels: int, *, dropout: float = 0.5):
        super().__init__()
        if min(in_channels, hidden_channels, out_channels) < 1:
            raise ValueError(f"AdvancedGCN: channel sizes must be positive, got in={in_channels}, "
                             f"hidden={hidden_channels}, out={out_channels}")
        if not 0 <= dropout < 1:
            raise ValueError(f"AdvancedGCN: dropout must be in [0, 1), got {dropout}")
        self.in_channels, self.hidden_channels, self.out_channels = in_channels, hidden_channels, out_channels
        self.dropout = dropout
        self.weight1 = nn.Parameter(torch.empty(in_channels, hidden_channels))
        self.bias1 = nn.Parameter(torch.empty(hidden_channels))
        self.weight2 = nn.Parameter(torch.empty(hidden_channels, out_channels))
        self.bias2 = nn.Parameter(torch.empty(out_channels))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for weight, bias in ((self.weight1, self.bias1), (self.weight2, self.bias2)):
            bound = 1.0 / math.sqrt(weight.size(1))
            nn.init.uniform_(weight, -bound, bound)
            nn.init.uniform_(bias, -bound, bound)

    def forward(self, x: Tensor, adj: CSR) -> Tensor:
        h = spmm(adj, x @ self.weight1) + self.bias1
        h = F.dropout(F.relu(h), self.dropout, self.training)
        return spmm(adj, h @ self.weight2) + self.bias2

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.hidden_channels}, {self.out_channels}, dropout={self.dropout}"


def _plus_identity(edge_index: Tensor, num_nodes: int, weight: float) -> CSR:
    """:math:`D^{-1/2}(A + w I)D^{-1/2}` (the loop weight adds to any stored loop)."""
    loops = torch.arange(num_nodes, device=edge_index.device)
    value = torch.cat([torch.ones(edge_index.size(1), device=edge_index.device),
                       torch.full((num_nodes,), float(weight), device=edge_index.device)])
    csr = from_coo(torch.cat([edge_index[0], loops]), torch.cat([edge_index[1], loops]), value, num_nodes, num_nodes)
    return sym_norm(csr, add_self_loops=False)


class STABLE(Model):
    r"""STABLE: a contrastive GCN encoder (DGI variant) and the "advanced GCN" classifier fed its embedding.

    Li et al., "Reliable Representations Make A Stronger Defender: Unsupervised
    Structure Refinement for Robust GNN", KDD 2022, https://arxiv.org/abs/2207.00012.
    The module holds the parts; :func:`fit_stable` runs the pipeline (see the module
    docstring) and returns the refined graph and the embedding.

    .. math::
        Z = \mathrm{PReLU}\big(D^{-1/2}(A + \beta I)D^{-1/2} X W + b\big), \qquad
        D(z, s) = z^\top M s + c, \qquad
        \hat y = \mathrm{AdvancedGCN}_\alpha(Z, A_{\text{refined}})

    Args:
        in_channels: feature width ``F``.
        out_channels: classes ``C``.
        embedding_channels: width of :math:`Z`. (default: ``512``)
        hidden_channels: the classifier's hidden width. (default: ``16``)
        dropout: the classifier's dropout. (default: ``0.5``)
        alpha: the classifier's degree exponent :math:`\alpha`. (default: ``-0.5``, GCN)
        beta: the encoder's self-loop weight :math:`\beta`. (default: ``2.0``)

    Shapes:
        - :meth:`embed`: ``x [N, F]``, ``edge_index [2, E]`` → ``[N, embedding_channels]``
        - :meth:`forward`: ``z [N, embedding_channels]``, ``edge_index [2, E]`` → ``[N, C]``

    Example:
        >>> model = STABLE(4, 3, embedding_channels=8)
        >>> edge_index = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])
        >>> z = model.embed(torch.rand(3, 4), edge_index)
        >>> model(z, edge_index).shape
        torch.Size([3, 3])
    """

    def __init__(self, in_channels: int, out_channels: int, *, embedding_channels: int = 512,
                 hidden_channels: int = 16, dropout: float = 0.5, alpha: float = -0.5, beta: float = 2.0):
        super().__init__()
        if min(in_channels, out_channels, embedding_channels) < 1:
            raise ValueError(f"STABLE: channel sizes must be positive, got in={in_channels}, out={out_channels}, "
                             f"embedding={embedding_channels}")
        if not math.isfinite(alpha) or not math.isfinite(beta) or beta < 0:
            raise ValueError(f"STABLE: alpha must be finite and beta >= 0, got alpha={alpha}, beta={beta}")
        self.in_channels, self.out_channels, self.embedding_channels = in_channels, out_channels, embedding_channels
        self.alpha, self.beta = float(alpha), float(beta)
        self.encoder = nn.Linear(in_channels, embedding_channels, bias=False)
        self.encoder_bias = nn.Parameter(torch.empty(embedding_channels))
        self.activation = nn.PReLU()
        self.discriminator = nn.Bilinear(embedding_channels, embedding_channels, 1)
        self._reset_encoder()
        self.classifier = AdvancedGCN(embedding_channels, hidden_channels, out_channels, dropout=dropout)

    @classmethod
    def from_config(cls, config: STABLEConfig, data) -> STABLE:
        """The model ``config`` describes, sized for ``data`` (a ``Data`` or :class:`GraphInfo`)."""
        info = graph_info(data)
        if info.num_features < 1:
            raise ValueError("STABLE needs node features; for a graph without them use one-hot node ids "
                             "(data.x = torch.eye(N)), as DeepRobust does for PolBlogs")
        if info.num_classes < 1:
            raise ValueError("STABLE needs labels data.y to size its classifier")
        return cls(info.num_features, info.num_classes, embedding_channels=config.embedding_channels,
                   hidden_channels=config.hidden_channels, dropout=config.dropout, alpha=config.alpha,
                   beta=config.beta)

    def _reset_encoder(self) -> None:
        # the official GCN_DGI / Discriminator initialisation: Xavier weights, zero biases, PReLU slope 0.25
        nn.init.xavier_uniform_(self.encoder.weight)
        nn.init.zeros_(self.encoder_bias)
        self.activation.reset_parameters()
        nn.init.xavier_uniform_(self.discriminator.weight)
        nn.init.zeros_(self.discriminator.bias)

    def reset_parameters(self) -> None:
        self._reset_encoder()
        self.classifier.reset_parameters()

    def encoder_parameters(self) -> list[nn.Parameter]:
        """The contrastive part's parameters (encoder, its bias, PReLU, discriminator)."""
        return [self.encoder.weight, self.encoder_bias, self.activation.weight,
                self.discriminator.weight, self.discriminator.bias]

    def _project(self, x: Tensor) -> Tensor:
        if x.layout == torch.sparse_csr:
            return torch.sparse.mm(x, self.encoder.weight.T)
        return self.encoder(x)

    def _encode(self, xw: Tensor, adj: CSR) -> Tensor:
        return self.activation(spmm(adj, xw) + self.encoder_bias)

    def embed(self, x: Tensor, edge_index: Tensor) -> Tensor:
        r""":math:`Z = \mathrm{PReLU}(D^{-1/2}(A + \beta I)D^{-1/2} X W + b)` on the graph ``edge_index``."""
        return self._encode(self._project(x), _plus_identity(edge_index, x.size(0), self.beta))

    def forward(self, z: Tensor, edge_index: Tensor) -> Tensor:
        """Class logits of the classifier on embedding ``z`` and (refined) graph ``edge_index``."""
        return self.classifier(z, advanced_gcn_norm(edge_index, self.alpha, z.size(0)))

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, embedding_channels={self.embedding_channels}, "
                f"alpha={self.alpha}, beta={self.beta}")


# --------------------------------------------------------------------------- config


@dataclass(frozen=True)
class STABLEConfig(Config):
    """STABLE's hyperparameters (the official ``main.py``) and per-rate presets (the official README).

    Args:
        jaccard_threshold: pre-pruning threshold ``jt`` (drop ``J < jt``; ``0`` keeps all). (default: ``0.03``)
        cosine_threshold: refinement threshold ``cos`` (drop ``cos(z_i, z_j) <= cos``). (default: ``0.1``)
        k: neighbours added per node. (default: ``3``)
        alpha: the classifier's degree exponent. (default: ``0.3``)
        beta: the encoder's self-loop weight. (default: ``2.0``)
        recover_percent: share of the Jaccard-removed edges re-added in each view. (default: ``0.2``)
        degree_threshold: only nodes of degree > this (after cosine pruning) may be
            chosen as new neighbours (the official ``--threshold``). (default: ``1``)
        legacy: the official asymmetric top-k rows that include the node itself, and
            similarity 0 for non-candidates (see the module docstring). (default: ``False``)
        embedding_channels, embedding_lr, embedding_weight_decay, embedding_epochs,
        embedding_patience: the contrastive encoder (official: 512, Adam 1e-3, no
            weight decay, up to 10,000 epochs, patience 20 on the loss).
        hidden_channels, dropout, lr, weight_decay, epochs: the classifier
            (official: 16, 0.5, Adam 0.01, 5e-4, 200 epochs).
        classifier_runs: classifier trainings on the refined graph, seeds
            ``seed, seed + 1, ...``; metrics are their mean. (default: ``10``)
        chunk_size: rows per chunk of the top-k scan (default: ``None``, 32M similarities per chunk).
        runs: see :class:`~graphkit.train.config.Config`. (default: ``1``)

    Presets: ``STABLEConfig.paper("prognn-cora", attack="meta", ptb_rate=0.2)`` (keys
    ``"prognn-<name>"`` for the clean graph and ``"prognn-<name>/meta/<rate>"``,
    ``"prognn-<name>/nettack/<n>"``), picked by the runner from ``--data`` options.

    Example:
        >>> STABLEConfig.paper("prognn-cora", attack="meta", ptb_rate=0.2).cosine_threshold
        0.25
        >>> STABLEConfig.from_dict({"jt": 0.01, "cos": 0.2}).jaccard_threshold
        0.01
    """

    jaccard_threshold: float = 0.03
    cosine_threshold: float = 0.1
    k: int = 3
    alpha: float = 0.3
    beta: float = 2.0
    recover_percent: float = 0.2
    degree_threshold: int = 1
    legacy: bool = False
    embedding_channels: int = 512
    embedding_lr: float = 1e-3
    embedding_weight_decay: float = 0.0
    embedding_epochs: int = 10_000
    embedding_patience: int | None = 20
    hidden_channels: int = 16
    dropout: float = 0.5
    lr: float = 0.01
    weight_decay: float = 5e-4
    epochs: int = 200
    classifier_runs: int = 10
    chunk_size: int | None = None

    source: ClassVar[str] = ("official code likuanppd/STABLE (main.py command-line defaults: jt 0.03, cos 0.1, k 3, "
                             "alpha 0.3, beta 2; robcon.py: DGI 512-d, lr 1e-3, patience 20, recover_percent 0.2; "
                             "classifier 16 hidden, dropout 0.5, lr 0.01, weight decay 5e-4, 200 epochs, 10 runs)")
    aliases: ClassVar[dict] = {"jt": "jaccard_threshold", "cos": "cosine_threshold", "threshold": "degree_threshold",
                               "n_hidden": "hidden_channels", "nb_epochs": "embedding_epochs"}
    presets: ClassVar[dict[str, Preset]] = {}  # filled below from the README tables

    def check(self) -> None:
        cls = self.__class__
        if not 0 <= self.jaccard_threshold <= 1:
            raise config_error(cls, f"jaccard_threshold must be in [0, 1], got {self.jaccard_threshold}")
        if not -1 <= self.cosine_threshold <= 1:
            raise config_error(cls, f"cosine_threshold must be in [-1, 1], got {self.cosine_threshold}")
        if self.k < 0:
            raise config_error(cls, f"k must be >= 0 (neighbours added per node), got {self.k}")
        if not 0 <= self.recover_percent <= 1:
            raise config_error(cls, f"recover_percent must be in [0, 1], got {self.recover_percent}")
        if self.beta < 0 or not math.isfinite(self.beta) or not math.isfinite(self.alpha):
            raise config_error(cls, f"alpha must be finite and beta >= 0, got alpha={self.alpha}, beta={self.beta}")
        if self.degree_threshold < 0:
            raise config_error(cls, f"degree_threshold must be >= 0, got {self.degree_threshold}")
        for key in ("embedding_channels", "embedding_epochs", "hidden_channels", "epochs", "classifier_runs"):
            if getattr(self, key) < 1:
                raise config_error(cls, f"{key} must be >= 1, got {getattr(self, key)}")
        for key in ("embedding_lr", "lr"):
            if not getattr(self, key) > 0:
                raise config_error(cls, f"{key} must be > 0, got {getattr(self, key)}")
        if not 0 <= self.dropout < 1:
            raise config_error(cls, f"dropout must be in [0, 1), got {self.dropout}")
        if self.embedding_patience is not None and self.embedding_patience < 1:
            raise config_error(cls, f"embedding_patience must be >= 1 or null, got {self.embedding_patience}")
        if self.chunk_size is not None and self.chunk_size < 1:
            raise config_error(cls, f"chunk_size must be >= 1 or null, got {self.chunk_size}")

    @classmethod
    def preset_name(cls, dataset: str, data_options=None) -> str:
        """``"prognn-cora"`` (clean), ``"prognn-cora/meta/0.2"``, ``"prognn-cora/nettack/3"`` from the load options.

        A Metattack ``ptb_rate`` outside ``[0, 1]`` raises; other data sets map to their name.
        """
        options = dict(data_options or {})
        attack, rate = options.get("attack"), options.get("ptb_rate")
        if not str(dataset).startswith("prognn-") or attack in (None, "clean"):
            return dataset
        if isinstance(rate, bool) or not isinstance(rate, (int, float)):
            raise config_error(cls, f"attack={attack!r} needs a numeric ptb_rate, got {rate!r}")
        if attack == "meta":
            if not 0 <= rate <= 1:
                raise config_error(cls, f"ptb_rate must be in [0, 1] for attack='meta' (a share of the edges), "
                                        f"got {rate}")
            return dataset if rate == 0 else f"{dataset}/meta/{float(rate):g}"
        if attack == "nettack":
            if rate < 0 or rate != int(rate):
                raise config_error(cls, f"ptb_rate for attack='nettack' is perturbations per target node, a "
                                        f"non-negative integer; got {rate}")
            return f"{dataset}/nettack/{int(rate)}"
        return f"{dataset}/{attack}/{rate:g}"


_README = "official README (likuanppd/STABLE), tuned against Metattack"
# ptb_rate -> (alpha, k, jt, cos) for Cora and CiteSeer (beta 2); (alpha, beta, k) for PolBlogs (jt 0, cos 0.1)
_TABLES = {
    "cora": {0.0: (-0.5, 1, 0.0, 0.1), 0.05: (-0.3, 5, 0.03, 0.1), 0.1: (0.3, 7, 0.03, 0.1),
             0.15: (0.6, 7, 0.03, 0.2), 0.2: (0.6, 7, 0.03, 0.25)},
    "citeseer": {0.0: (-0.5, 3, 0.0, 0.1), 0.05: (-0.3, 3, 0.02, 0.1), 0.1: (-0.1, 5, 0.02, 0.1),
                 0.15: (-0.1, 5, 0.04, 0.1), 0.2: (0.1, 5, 0.03, 0.1)},
    "polblogs": {0.0: (-0.5, 2.0, 0), 0.05: (0.3, 1.0, 3), 0.1: (0.5, 1.0, 3), 0.15: (2.0, 2.0, 3), 0.2: (2.0, 2.0, 3)},
}


def _readme_presets() -> dict[str, Preset]:
    out = {}
    for name, table in _TABLES.items():
        for rate, row in table.items():
            if name == "polblogs":
                alpha, beta, k = row
                values = dict(alpha=alpha, beta=beta, k=k, jaccard_threshold=0.0, cosine_threshold=0.1)
            else:
                alpha, k, jt, cos = row
                values = dict(alpha=alpha, beta=2.0, k=k, jaccard_threshold=jt, cosine_threshold=cos)
            column = f"{round(rate * 100)} %"
            command = (f"python main.py --dataset {name} --ptb_rate {rate:g} --alpha {values['alpha']:g} "
                       f"--beta {values['beta']:g} --k {values['k']}"
                       + (f" --jt {values['jaccard_threshold']:g}" if name != "polblogs" else "")
                       + f" --cos {values['cosine_threshold']:g}")
            key = f"prognn-{name}" if rate == 0 else f"prognn-{name}/meta/{rate:g}"
            out[key] = Preset(source=f"{_README}, {name} table, {column} column ({command})", **values)
        out[f"prognn-{name}/meta/0.25"] = Preset(
            source=f"{_README}: the tables stop at 20 %; 25 % uses the {name} 20 % column", **out[f"prognn-{name}/meta/0.2"])
        for n in range(1, 6):
            out[f"prognn-{name}/nettack/{n}"] = Preset(
                source=f"no published setting for Nettack ({_README}); graphkit uses the {name} 5 % Metattack column "
                       f"(Nettack's 1-5 flips per target change 1.6-7.3 % of Cora's edges)",
                **out[f"prognn-{name}/meta/0.05"])
    return out


STABLEConfig.presets = _readme_presets()


# --------------------------------------------------------------------------- procedure


class _LossOrAccuracy:
    """Validation hook: counts the epochs where the validation loss or accuracy improved (official rule).

    With ``Selection('max')`` the loop keeps the state of every such epoch, i.e. the last one.
    """

    def __init__(self, model: AdvancedGCN, z: Tensor, adj: CSR, y: Tensor, mask: Tensor):
        self.model, self.z, self.adj, self.y, self.mask = model, z, adj, y, mask
        self.best_loss, self.best_acc, self.improvements = math.inf, -math.inf, 0

    def __call__(self) -> float:
        logits = self.model(self.z, self.adj)[self.mask]
        loss = float(F.cross_entropy(logits, self.y[self.mask]))
        acc = float((logits.argmax(-1) == self.y[self.mask]).float().mean())
        improved = False
        if loss < self.best_loss:
            self.best_loss, improved = loss, True
        if acc > self.best_acc:
            self.best_acc, improved = acc, True
        self.improvements += improved
        return float(self.improvements)


def _undirected_keys(edge_index: Tensor, num_nodes: int) -> Tensor:
    lo, hi = torch.minimum(edge_index[0], edge_index[1]), torch.maximum(edge_index[0], edge_index[1])
    keys = torch.unique(lo * max(num_nodes, 1) + hi)
    return keys[keys // max(num_nodes, 1) != keys % max(num_nodes, 1)]


def _view(kept: Tensor, deleted_keys: Tensor, share: float, num_nodes: int, beta: float) -> CSR:
    """A_pre plus a random ``share`` of the deleted undirected edges (both directions), self-loops beta + 1."""
    count = int(deleted_keys.numel() * share)
    pick = deleted_keys[torch.randperm(deleted_keys.numel())[:count].to(deleted_keys.device)]
    lo, hi = pick // max(num_nodes, 1), pick % max(num_nodes, 1)
    view = torch.cat([kept, torch.stack([lo, hi]), torch.stack([hi, lo])], dim=1)
    return _plus_identity(view, num_nodes, beta + 1.0)


def _features(x: Tensor) -> Tensor:
    """``x`` as a sparse CSR tensor when under a quarter of it is non-zero (the encoder's product is sparse)."""
    if x.numel() and float((x != 0).float().mean()) < 0.25:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
            return x.to_sparse_csr()
    return x


def _accuracy(logits: Tensor, y: Tensor) -> float:
    return float((logits.argmax(-1) == y).float().mean()) if y.numel() else float("nan")


def _stable_work(data) -> int | None:
    """The thread policy's size of a STABLE input: dense features (it densifies them) and the N x N similarity."""
    return (work_of(data, dense_features=True) or 0) + data.num_nodes ** 2


@procedure(STABLE, STABLEConfig, work=_stable_work)
def fit_stable(model: STABLE, data, config: STABLEConfig, *, seed: int, device: torch.device,
               progress: bool | None, warm_start: bool) -> FitResult:
    """Refine ``data``'s graph with STABLE and train the classifier on it (see the module docstring).

    Args:
        model: a :class:`STABLE`, trained in place (the classifier ends with the last repeat's state).
        data: a PyG ``Data`` with ``x``, ``edge_index`` (undirected, both directions), ``y`` and the
            three masks; ``target_mask`` (Nettack's targets) adds ``target_accuracy``.
        config: a :class:`STABLEConfig` (or a dict of its keys).
        seed, device, progress: see :mod:`graphkit.models.procedure`. Classifier repeat ``r``
            draws its initial parameters and dropout from seed ``seed + r``.
        warm_start: keep the encoder's current parameters as the start of contrastive
            training (the classifier repeats always start from their seeds).

    Returns:
        :class:`~graphkit.train.result.FitResult`: ``metrics`` ``valid_accuracy``,
        ``test_accuracy`` (means over the repeats), ``test_accuracy_std`` (``ddof=1``), and
        ``target_accuracy`` / ``target_accuracy_std`` with a ``target_mask``; ``outputs``:
        ``edge_index`` (the refined graph, usable by any model), ``embedding`` (:math:`Z`),
        ``pruned_edge_index`` (the Jaccard-pruned graph the encoder trained on),
        ``refinement`` (edge counts), ``test_accuracies`` (per repeat). ``best_epoch`` /
        ``epochs_run`` / ``history`` are the encoder's; ``time`` has ``refinement_s``
        (Jaccard + embedding + cosine pruning + top-k) and its parts.

    Example:
        >>> from graphkit import datasets
        >>> data = datasets.load("csbm", num_nodes=200, seed=1)
        >>> config = STABLEConfig(embedding_channels=16, embedding_epochs=10, epochs=3, classifier_runs=1, k=2)
        >>> result = fit_stable(STABLE.from_config(config, data), data, config, progress=False)
        >>> result.refinement["edges_added"] >= 0, result.embedding.shape
        (True, torch.Size([200, 16]))
    """
    if getattr(data, "x", None) is None:
        raise ValueError("STABLE needs node features data.x; for a graph without them use one-hot node ids "
                         "(data.x = torch.eye(N)), as DeepRobust does for PolBlogs")
    check_node_data(data)
    if data.y.dim() != 1:
        raise ValueError("STABLE classifies single-label nodes: data.y must be [N] class ids")
    n = data.num_nodes
    model.to(device)
    x, y, edge_index = data.x.to(device), data.y.to(device), data.edge_index.to(device)
    if x.layout != torch.strided:
        log.info("fit_stable densifies the sparse features: its refinement reads them as dense rows (Jaccard, the "
                 "contrastive views' projection) and holds an N x N cosine-similarity matrix, far above N x F")
        x = x.to_dense()
    masks = {s: getattr(data, f"{s}_mask").to(device) for s in ("train", "val", "test")}
    target = getattr(data, "target_mask", None)
    if target is not None:
        masks["target"] = target.to(device)
    timer, encoder_timer = Timer(device), Timer(device)
    refinement: dict = {}

    with timer.stage("refinement"):
        # 1. Jaccard pre-pruning, on the edges only
        with timer.stage("jaccard"):
            jt = config.jaccard_threshold
            if jt > 0 and is_one_hot_identity(x):
                reason = ("features are one-hot node ids (no attributes, e.g. PolBlogs): every edge has Jaccard "
                          "similarity 0, so Jaccard pre-pruning is skipped (the official code forces jt = 0)")
                log.warning("STABLE: %s", reason)
                refinement["jaccard_skipped"] = reason
                jt = 0.0
            keep = jaccard_prune(x, edge_index, jt)
            pruned = edge_index[:, keep]
            deleted = _undirected_keys(edge_index[:, ~keep], n)
            refinement["jaccard_removed"] = int(deleted.numel())

        # 2. contrastive embedding
        with timer.stage("embedding"):
            if not warm_start:
                reinitialize(model)
            features = _features(x)
            adj = _plus_identity(pruned, n, config.beta)
            views = [_view(pruned, deleted, config.recover_percent, n, config.beta) for _ in range(2)]
            optimizer = torch.optim.Adam(model.encoder_parameters(), lr=config.embedding_lr,
                                         weight_decay=config.embedding_weight_decay)
            last = [math.inf]

            adj_t, views_t = adj.transpose(), [view.transpose() for view in views]

            def contrastive_loss(batch, epoch):
                perm = torch.randperm(n, device=device)
                loss = _ContrastiveLoss.apply(model._project(features), model.encoder_bias, model.activation.weight,
                                              model.discriminator.weight[0], model.discriminator.bias[0], adj, adj_t,
                                              views, views_t, perm)
                last[0] = loss.item()
                return loss

            trajectory = run_epochs(model, optimizer, epochs=config.embedding_epochs, loss=contrastive_loss,
                                    validate=lambda: last[0], timer=encoder_timer, progress=progress,
                                    selection=Selection("min", patience=config.embedding_patience),
                                    desc="STABLE encoder", value_name="loss_before_step")
            with torch.no_grad():
                z = model._encode(model._project(features), adj)

        # 3. refine the attacked graph with the embedding
        with timer.stage("refine"):
            keep = cosine_prune(z, edge_index, config.cosine_threshold)
            refined = edge_index[:, keep]
            refinement["cosine_removed"] = int(_undirected_keys(edge_index[:, ~keep], n).numel())
            before = refined.size(1)
            if config.k > 0:
                candidates = torch.bincount(refined[0], minlength=n) > config.degree_threshold
                index, score = cosine_topk(z, config.k, candidates=candidates, include_self=config.legacy,
                                           excluded_value=0.0 if config.legacy else -math.inf,
                                           chunk_size=config.chunk_size)
                rows = torch.arange(n, device=device).repeat_interleave(config.k)
                cols, valid = index.reshape(-1), score.reshape(-1).isfinite()
                refined = add_edges(refined, rows[valid], cols[valid], n, symmetric=not config.legacy)
            else:
                refined = coalesce_edges(refined[0], refined[1], n)
            refinement["edges_added"] = int(refined.size(1) - before)
            refinement["num_edges"] = int(refined.size(1))

    # 4. the classifier on Z and the refined graph, classifier_runs seeds
    adj_refined = advanced_gcn_norm(refined, model.alpha, n)
    scores: dict[str, list[float]] = {s: [] for s in masks}
    best_epochs = []
    classifier, train = model.classifier, masks["train"]

    def classifier_loss(batch, epoch):
        return F.cross_entropy(classifier(z, adj_refined)[train], y[train])

    for r in range(config.classifier_runs):
        torch.manual_seed(seed + r)
        reinitialize(classifier)
        optimizer = torch.optim.Adam(classifier.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        tracker = _LossOrAccuracy(classifier, z, adj_refined, y, masks["val"])
        run = run_epochs(classifier, optimizer, epochs=config.epochs, timer=timer, progress=progress,
                         desc=f"STABLE classifier {r + 1}/{config.classifier_runs}",
                         loss=classifier_loss,
                         validate=tracker, selection=Selection("max"), value_name="valid_improvements")
        best_epochs.append(run.best_epoch)
        with torch.no_grad(), timer.inference():
            logits = classifier(z, adj_refined)
        for stage, mask in masks.items():
            scores[stage].append(_accuracy(logits[mask], y[mask]))

    metrics = {"valid_accuracy": statistics.fmean(scores["val"]), "test_accuracy": statistics.fmean(scores["test"]),
               "test_accuracy_std": statistics.stdev(scores["test"]) if len(scores["test"]) > 1 else 0.0}
    if "target" in scores:
        metrics["target_accuracy"] = statistics.fmean(scores["target"])
        metrics["target_accuracy_std"] = statistics.stdev(scores["target"]) if len(scores["target"]) > 1 else 0.0
    time = timer.summary()
    encoder_time = encoder_timer.summary()
    time["embedding_epoch_s"] = encoder_time["epoch_s"]
    outputs = {"edge_index": refined, "embedding": z, "pruned_edge_index": pruned, "refinement": refinement,
               "test_accuracies": scores["test"], "classifier_best_epochs": best_epochs}
    if "target" in scores:
        outputs["target_accuracies"] = scores["target"]
    return FitResult(metrics, time, trajectory.best_epoch, trajectory.epochs_run, history=trajectory.history,
                     outputs=outputs)
