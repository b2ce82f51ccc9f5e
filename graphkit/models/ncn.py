r"""NCN and NCNC: Neural Common Neighbor (with Completion) for link prediction, and their procedure.

Wang, Yang & Zhang, *Neural Common Neighbor with Completion for Link
Prediction*, ICLR 2024, https://arxiv.org/abs/2302.00890. Official code:
https://github.com/GraphPKU/NeuralCommonNeighbor (``model.py``,
``NeighborOverlap.py``); this module re-implements it in pure torch on
:mod:`graphkit.ops.common_neighbors` (torch-sparse optional, never required).

An MPNN encoder gives node embeddings :math:`H` once per step; a predictor
scores query pairs :math:`(i, j)`. **NCN** (predictor ``'ncn'``, official ``cn1``):

.. math::
    s(i, j) = \mathrm{lin}\big(\beta\,\mathrm{xcnlin}\big(\textstyle\sum_{u \in N(i) \cap N(j)} h'_u\big)
              + \mathrm{xijlin}(h_i \odot h_j)\big), \qquad h' = h + \mathrm{xlin}(h)

with a learnable scalar :math:`\beta` (init 1) and :math:`h' = h` unless
``use_xlin``. The paper writes an MLP of the *concatenation*
:math:`[h_i \odot h_j \,\|\, \sum_{CN} h_u]`; the code *adds* the two branches as
above, and we follow the code. **NCNC** (predictor ``'ncnc'``, official
``incn1cn1``) completes the common neighbours with the NCN-predicted
probability of each one-sided neighbour being a missing common neighbour:

.. math::
    \textstyle\sum_{u \in CN} h'_u + \sum_{k \in N(i) \setminus N(j)} \hat p(j,k)\,h'_k
    + \sum_{k \in N(j) \setminus N(i)} \hat p(i,k)\,h'_k,
    \qquad \hat p = \frac{\alpha\,p_t\,p_0}{p_t\,p_0 + 1 - p_0},\;
    p_0 = \sigma(\mathrm{scale}\,(\mathrm{logit} - \mathrm{offset}))

where the logit comes from the same module at ``depth - 1`` under
``torch.no_grad`` (depth 1: NCN), evaluated in memory-bounded chunks
(``split_size`` pairs, or a common-neighbour work budget ``max_cn_entries``).
Predictor ``'hadamard'`` (official ``cn0``) is the GAE-style baseline
``lin(xijlin(h_i ⊙ h_j))`` through the same interface.

The procedure, :func:`fit_ncn`, is the official one (``NeighborOverlap.py``):
per step the batch's positive edges are removed from the input graph
(target-link removal, :class:`~graphkit.ops.target_link_removal.TargetLinkRemoval`),
Adam with separate learning rates for the encoder and the predictor, the last
incomplete batch dropped, optional gradient clipping, and the state with the
best validation metric kept.

Names: graphkit uses readable names; the official ones are accepted as aliases
everywhere (configs, ``--set`` overrides, string values) and normalised:

====================== ================================= ===============================================
official flag / value  graphkit                          meaning
====================== ================================= ===============================================
``--predictor cn1``    ``predictor='ncn'``               NCN
``--predictor incn1cn1`` ``predictor='ncnc'``            NCNC (the :class:`NCNC` model)
``--predictor cn0``    ``predictor='hadamard'``          MLP of :math:`h_i \odot h_j`, no common neighbours
``--model sage``       ``encoder='gcn_mean'``            PyG ``GCNConv`` with mean aggregation, no normalisation,
                                                         no self-loops (not GraphSAGE: no root weight)
``--model puregcn``    ``encoder='puregcn'``             one Linear, then parameter-free GCN propagation
                                                         (also ``puresum``, ``puremean``, ``gcn``, ``none``)
``--tailact``          ``final_linear=False``            xcnlin / xijlin end in ReLU instead of a Linear
``--twolayerlin``      ``output_layers=3``               Linear layers of the output MLP ``lin`` (default 2)
``--hiddim``           ``hidden_channels``
``--mplayers``         ``num_layers``
``--xdp``              ``input_dropout``                 on the raw features
``--tdp``              ``tail_dropout``                  after the last pure convolution
``--gnndp``            ``gnn_dropout``
``--gnnedp``           ``gnn_edge_dropout``              adjacency dropout in the encoder
``--predp``            ``predictor_dropout``
``--preedp``           ``predictor_edge_dropout``        adjacency dropout in the predictor
``--ln`` / ``--lnnn``  ``ln`` / ``predictor_ln``         LayerNorm in encoder / predictor
``--jk`` / ``--res``   ``jk`` / ``res``
``--use_xlin``         ``use_xlin``
``--beta``             ``beta``
``--cndeg``            ``cn_deg``
``--gnnlr`` ``--prelr`` ``gnn_lr``, ``predictor_lr``
``--maskinput``        ``target_link_removal``
``--probscale``        ``scale``                         NCNC calibration
``--proboffset``       ``offset``
``--pt`` ``--alpha``   ``pt``, ``alpha``
``--learnpt``          ``learn_pt``
``--depth``            ``depth``
``--splitsize``        ``split_size``
``--trndeg``/``--tstdeg`` ``train_res_deg``/``test_res_deg``
``--testbs``           (``max_cn_entries``)              scoring chunks bounded by work, not pair count
====================== ================================= ===============================================

Faithful to the official code, including its quirks (documented, kept because
they define the published numbers): the completion's inner NCN call receives
the already transformed :math:`h'` (so :math:`h'` is transformed again inside),
predictor edge dropout is re-drawn at each depth, the CN sets of the predictor
are all-ones (edge-dropout scaling does not reach them; only sub-sampling
reweights do), and the 1-layer JK weight is a learnable scalar drawn from
``randn``. Deviations: sub-sampling (``cn_deg``, ``train_res_deg``,
``test_res_deg``) is without replacement; the ``learn_pt`` MLP's output is
flattened per entry (the official broadcast would build an ``nnz x nnz``
matrix); feature-less graphs get an ``N``-row (not ``N + 1``) orthogonally
initialised embedding.

Build, fit, score::

    >>> from graphkit import NCNC, NCNCConfig, fit_ncn, datasets
    >>> data = datasets.load("csbm", num_nodes=300, seed=0)
    >>> config = NCNCConfig.for_dataset("csbm").replace(epochs=2, hidden_channels=32)
    >>> model = NCNC.from_config(config, data)
    >>> result = fit_ncn(model, data, config, progress=False)
    >>> sorted(result.metrics)
    ['test_hits@100', 'valid_hits@100']
    >>> split = result.split  # the random 70/10/20 edge split the procedure drew
    >>> model(split.x, split.edge_index, split.test_pos).shape
    torch.Size([300])
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import Tensor, nn
from torch_geometric.nn import GCNConv

from graphkit._validation import (
    check_dropout,
    check_edge_index,
    check_features,
    check_int,
    check_real,
    param_dtype,
)
from graphkit.datasets.splits import LinkSplit
from graphkit.models.procedure import graph_info, procedure
from graphkit.nn.model import Model, reinitialize
from graphkit.ops.common_neighbors import aggregate, common_neighbors, cost_chunks
from graphkit.ops.csr import CSR, sparse_csr_tensor, symmetric_csr
from graphkit.ops.csr_sampling import drop_entries, subsample_rows
from graphkit.ops.rows import dropout_features
from graphkit.ops.spmm import spmm
from graphkit.ops.target_link_removal import TargetLinkRemoval
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

__all__ = ["NCN", "NCNC", "NCNConfig", "NCNCConfig", "fit_ncn", "NCNEncoder", "HadamardPredictor",
           "NCNPredictor", "NCNCPredictor", "ENCODERS", "PREDICTORS", "OFFICIAL_NAMES", "split_adjacencies"]

#: Encoder names (``'gcn_mean'`` is the official ``'sage'``).
ENCODERS = ("puregcn", "puresum", "puremean", "gcn", "gcn_mean", "none")
#: Predictor names (official: ``'cn1'``, ``'incn1cn1'``, ``'cn0'``).
PREDICTORS = ("ncn", "ncnc", "hadamard")
#: Official string values and the readable names they normalise to.
OFFICIAL_NAMES = {"sage": "gcn_mean", "cn1": "ncn", "incn1cn1": "ncnc", "cn0": "hadamard"}


def _name(value: str, valid: tuple[str, ...], what: str) -> str:
    """``value`` normalised to its readable name; unknown names raise with the valid list."""
    name = OFFICIAL_NAMES.get(value, value) if isinstance(value, str) else value
    if name not in valid:
        official = [k for k, v in OFFICIAL_NAMES.items() if v in valid]
        raise ValueError(f"unknown {what} {value!r}; valid: {', '.join(valid)} "
                         f"(official aliases: {', '.join(official)})")
    return name


def _ln(dim: int, on: bool) -> nn.Module:
    return nn.LayerNorm(dim) if on else nn.Identity()


def _reset(module: nn.Module) -> None:
    for m in module.modules():
        if m is not module and hasattr(m, "reset_parameters"):
            m.reset_parameters()


# ------------------------------------------------------------------------------------------ encoder


class _PureConv(nn.Module):
    """Parameter-free propagation: ``gcn`` (D̂^{-½}(A+I)D̂^{-½}), ``sum`` or ``mean``."""

    def __init__(self, aggr: str):
        super().__init__()
        self.aggr = aggr

    def forward(self, x: Tensor, adj: CSR) -> Tensor:
        if self.aggr == "sum":
            return spmm(adj, x)
        if self.aggr == "mean":
            return spmm(adj, x, reduce="mean")
        norm = torch.rsqrt(1.0 + adj.weighted_degree(x.dtype)).unsqueeze(-1)
        x = norm * x
        return norm * (spmm(adj, x) + x)

    def extra_repr(self) -> str:
        return f"aggr={self.aggr}"


class _PygConv(nn.Module):
    """PyG ``GCNConv`` on a CSR adjacency; ``gcn_mean``: mean aggregation, no normalisation, no self-loops."""

    def __init__(self, in_channels: int, out_channels: int, kind: str):
        super().__init__()
        if kind == "gcn":
            self.conv = GCNConv(in_channels, out_channels)
        else:
            self.conv = GCNConv(in_channels, out_channels, aggr="mean", normalize=False, add_self_loops=False)

    def reset_parameters(self) -> None:
        self.conv.reset_parameters()

    def forward(self, x: Tensor, adj: CSR) -> Tensor:
        # CSR row i lists the neighbours of i; PyG aggregates messages source -> target
        edge_index = torch.stack([adj.col, adj.row()])
        return self.conv(x, edge_index, adj.value)


class NCNEncoder(nn.Module):
    r"""The official NCN MPNN (``model.GCN``): input block, ``num_layers`` convolutions, residual / JK.

    Args:
        in_channels: node feature size; ``0`` for a feature-less graph (then
            ``num_nodes`` rows of an orthogonally initialised embedding).
        hidden_channels: embedding size.
        conv: ``'puregcn'`` (one input Linear, then parameter-free GCN
            propagation :math:`\hat D^{-1/2}(A+I)\hat D^{-1/2}`), ``'puresum'``
            (:math:`A`), ``'puremean'`` (:math:`D^{-1}A`), ``'gcn'`` (PyG
            ``GCNConv`` + LN + dropout + ReLU), ``'gcn_mean'`` (official
            ``'sage'``, also accepted: ``GCNConv`` with mean aggregation, no
            normalisation and no self-loops — a mean-aggregating GCN layer, not
            GraphSAGE) or ``'none'`` (input block only). (default: ``'puregcn'``)
        num_layers: number of convolutions. (default: ``1``)
        dropout: ``gnndp``: after the input Linear / embedding and in conv blocks. (default: ``0.0``)
        input_dropout: ``xdp``: on the raw features. (default: ``0.0``)
        tail_dropout: ``tdp``: after the last pure convolution. (default: ``0.0``)
        edge_dropout: ``gnnedp``: adjacency dropout (kept entries scaled ``1/(1-p)``). (default: ``0.0``)
        ln: LayerNorm in the conv blocks (non-pure convs). (default: ``False``)
        res: residual connection when shapes match. (default: ``False``)
        jk: learnable (un-normalised) weighted sum over the layers' outputs. (default: ``False``)
        num_nodes: rows of the embedding for feature-less graphs. (default: ``None``)

    Shapes: ``x [N, F]`` (or ``None`` / ignored with an embedding), ``adj`` CSR ``[N, N]`` → ``[N, hidden]``.
    """

    def __init__(self, in_channels: int, hidden_channels: int, *, conv: str = "puregcn", num_layers: int = 1,
                 dropout: float = 0.0, input_dropout: float = 0.0, tail_dropout: float = 0.0,
                 edge_dropout: float = 0.0, ln: bool = False, res: bool = False, jk: bool = False,
                 num_nodes: int | None = None):
        super().__init__()
        conv = _name(conv, ENCODERS, "NCN encoder")
        check_int("hidden_channels", hidden_channels, minimum=1)
        check_int("in_channels", in_channels, minimum=0)
        check_int("num_layers", num_layers, minimum=0)
        if in_channels == 0 and not num_nodes:
            raise ValueError("a feature-less graph (in_channels=0) needs num_nodes for the node embedding")
        for name, p in (("dropout", dropout), ("input_dropout", input_dropout), ("tail_dropout", tail_dropout),
                        ("edge_dropout", edge_dropout)):
            check_dropout(name, p)
        if conv == "none":
            num_layers = 0
        self.conv_name, self.num_layers = conv, num_layers
        self.in_channels, self.hidden_channels = in_channels, hidden_channels
        self.edge_dropout, self.res = edge_dropout, res
        self.jk = jk and num_layers > 0
        if in_channels == 0:
            self.embedding = nn.Embedding(num_nodes, hidden_channels)
            self.xemb = nn.Dropout(dropout)
            in_channels = hidden_channels
        else:
            self.embedding = None
            layers = [nn.Dropout(input_dropout)]
            if conv.startswith("pure") or num_layers == 0:
                layers += [nn.Linear(in_channels, hidden_channels), nn.Dropout(dropout)]
            self.xemb = nn.Sequential(*layers)
        self._sparse_x: tuple | None = None
        self.jkparams = nn.Parameter(torch.empty(num_layers)) if self.jk else None
        self.convs, self.lins = nn.ModuleList(), nn.ModuleList()
        if num_layers > 0:
            if conv.startswith("pure"):
                aggr = conv[len("pure"):]
                for i in range(num_layers):
                    self.convs.append(_PureConv(aggr))
                    self.lins.append(nn.Dropout(tail_dropout) if i == num_layers - 1 else nn.Identity())
            else:
                dims = [in_channels] + [hidden_channels] * num_layers
                for i in range(num_layers):
                    self.convs.append(_PygConv(dims[i], dims[i + 1], conv))
                    last = i == num_layers - 1
                    self.lins.append(nn.Identity() if last and num_layers > 1 else
                                     nn.Sequential(_ln(hidden_channels, ln), nn.Dropout(dropout), nn.ReLU()))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset(self)
        if self.embedding is not None:
            nn.init.orthogonal_(self.embedding.weight)
        if self.jkparams is not None:
            with torch.no_grad():
                self.jkparams.normal_()

    def _input(self, x: Tensor) -> Tensor:
        """``xemb(x)``; sparse bag-of-words features take an exact sparse path.

        Dropout leaves zeros at zero, so ``Linear(dropout(x))`` only needs the
        non-zeros: they are dropped and rescaled, then multiplied into the
        weight (``torch.sparse.mm``). Same distribution as the dense path, a
        fraction of the cost when ``x`` is mostly zeros (Planetoid: ~1%).
        A ``torch.sparse_csr`` ``x`` takes that path as it is
        (:func:`graphkit.ops.rows.dropout_features`); for the PyG encoders it stays
        CSR into ``GCNConv``, whose first operation is its linear map.
        """
        lin = self.xemb[1] if len(self.xemb) == 3 else None
        if x.layout == torch.sparse_csr:  # loaded sparse (datasets.load(..., sparse_features=True))
            x = dropout_features(x, self.xemb[0].p, self.training)  # xdp on the stored values
            if lin is None:  # the 'gcn' / 'gcn_mean' encoders: GCNConv's linear map takes the CSR x
                return x
            return self.xemb[2](torch.sparse.mm(x, lin.weight.t()) + lin.bias)
        if lin is None or x.dim() != 2 or not x.is_floating_point() or x.numel() < 1 << 16:
            return self.xemb(x)
        key = (x.data_ptr(), tuple(x.shape), x._version, x.device)
        if self._sparse_x is None or self._sparse_x[0] != key:
            nz = x.nonzero().t()  # row-major, so already CSR order
            sparse = nz.size(1) <= 0.1 * x.numel()
            crow = torch.zeros(x.size(0) + 1, dtype=torch.long, device=x.device)
            torch.cumsum(torch.bincount(nz[0], minlength=x.size(0)), 0, out=crow[1:])
            self._sparse_x = (key, sparse, (crow, nz[1]), x[nz[0], nz[1]] if sparse else None)
        _, sparse, (crow, col), vals = self._sparse_x
        if not sparse:
            return self.xemb(x)
        return self._input(sparse_csr_tensor(crow, col, vals, x.shape))  # the CSR path above

    def forward(self, x: Tensor | None, adj: CSR) -> Tensor:
        if self.embedding is not None:
            x = self.xemb(self.embedding.weight)
        else:
            if x is None:
                raise ValueError("this encoder was built for node features but x is None")
            x = self._input(x)
        outs = []
        for conv, lin in zip(self.convs, self.lins, strict=True):
            a = drop_entries(adj, self.edge_dropout) if self.training else adj
            x1 = lin(conv(x, a))
            x = x1 + x if self.res and x1.shape[-1] == x.shape[-1] else x1
            if self.jk:
                outs.append(x)
        if self.jk:
            x = (torch.stack(outs) * self.jkparams.view(-1, 1, 1)).sum(0)
        return x

    def extra_repr(self) -> str:
        return (f"conv={self.conv_name}, in_channels={self.in_channels}, hidden_channels={self.hidden_channels}, "
                f"num_layers={self.num_layers}, res={self.res}, jk={self.jk}, embedding={self.embedding is not None}")


# ---------------------------------------------------------------------------------------- predictors


class HadamardPredictor(nn.Module):
    r"""GAE-style baseline (predictor ``'hadamard'``, official ``cn0``): :math:`\mathrm{lin}(\mathrm{xijlin}(h_i \odot h_j))`.

    Same MLPs and arguments as :class:`NCNPredictor` without the
    common-neighbour branch (``use_xlin`` / ``beta`` / ``cn_deg`` are accepted and unused).

    Shapes: ``h [N, F]``, ``adj`` CSR, ``edge_label_index [2, B]`` → ``[B]`` logits.
    """

    kind = "hadamard"
    official = "cn0"

    def __init__(self, hidden_channels: int, *, dropout: float = 0.0, edge_dropout: float = 0.0,
                 ln: bool = False, use_xlin: bool = False, final_linear: bool = True, output_layers: int = 2,
                 beta: float = 1.0, cn_deg: int = -1, max_cn_entries: int = 1 << 22):
        super().__init__()
        h = check_int("hidden_channels", hidden_channels, minimum=1)
        check_dropout("dropout", dropout)
        check_dropout("edge_dropout", edge_dropout)
        check_int("output_layers", output_layers, minimum=1)
        self.hidden_channels, self.dropout_p, self.edge_dropout = h, dropout, edge_dropout
        self.use_xlin, self.final_linear, self.output_layers, self.ln = use_xlin, final_linear, output_layers, ln
        self.cn_deg, self.max_cn_entries = cn_deg, max_cn_entries
        self.beta = nn.Parameter(torch.full((1,), float(beta)))
        self._beta_init = float(beta)
        d = dropout
        self.xlin = nn.Sequential(nn.Linear(h, h), nn.Dropout(d), nn.ReLU(), nn.Linear(h, h), _ln(h, ln),
                                  nn.Dropout(d), nn.ReLU()) if use_xlin else None
        self.xcnlin = nn.Sequential(nn.Linear(h, h), nn.Dropout(d), nn.ReLU(), nn.Linear(h, h), _ln(h, ln),
                                    nn.Dropout(d), nn.ReLU(), nn.Linear(h, h) if final_linear else nn.Identity())
        self.xijlin = nn.Sequential(nn.Linear(h, h), _ln(h, ln), nn.Dropout(d), nn.ReLU(),
                                    nn.Linear(h, h) if final_linear else nn.Identity())
        hidden = [m for _ in range(output_layers - 1) for m in (nn.Linear(h, h), _ln(h, ln), nn.Dropout(d), nn.ReLU())]
        self.lin = nn.Sequential(*hidden, nn.Linear(h, 1))

    def reset_parameters(self) -> None:
        _reset(self)
        with torch.no_grad():
            self.beta.fill_(self._beta_init)

    # the per-depth forward; returns [B] logits
    def _forward(self, x: Tensor, adj: CSR, tar: Tensor, depth: int) -> Tensor:
        return self.lin(self.xijlin(x[tar[0]] * x[tar[1]])).squeeze(-1)

    def _check(self, x: Tensor, adj: CSR, edge_label_index: Tensor) -> None:
        if not isinstance(adj, CSR):
            raise TypeError(f"adj must be a graphkit CSR (use NCN.adjacency(edge_index)), got {type(adj).__name__}")
        if x.dim() != 2 or x.size(0) != adj.num_rows:
            raise ValueError(f"h must have shape [N={adj.num_rows}, F], got {list(x.shape)}")
        if x.size(1) != self.hidden_channels:
            raise ValueError(f"h has {x.size(1)} features but the predictor expects {self.hidden_channels}")
        check_edge_index(edge_label_index, adj.num_rows, name="edge_label_index")

    def forward(self, x: Tensor, adj: CSR, edge_label_index: Tensor) -> Tensor:
        """Logits ``[B]`` of the query pairs; an empty batch gives an empty tensor."""
        self._check(x, adj, edge_label_index)
        if edge_label_index.size(1) == 0:
            return x.new_zeros(0)
        return self._forward(x, adj, edge_label_index, getattr(self, "depth", 0))

    def extra_repr(self) -> str:
        return (f"kind={self.kind}, hidden_channels={self.hidden_channels}, dropout={self.dropout_p}, "
                f"edge_dropout={self.edge_dropout}, ln={self.ln}, use_xlin={self.use_xlin}, "
                f"final_linear={self.final_linear}, output_layers={self.output_layers}, cn_deg={self.cn_deg}")


class NCNPredictor(HadamardPredictor):
    r"""NCN (predictor ``'ncn'``, official ``cn1``, ``CNLinkPredictor``): see the module docstring.

    Args:
        hidden_channels: embedding size of ``h`` (and of every MLP).
        dropout: ``predp``. (default: ``0.0``)
        edge_dropout: ``preedp``: drops entries of the adjacency the CN sets come from. (default: ``0.0``)
        ln: ``lnnn`` (LayerNorm in the MLPs). (default: ``False``)
        use_xlin: ``h' = h + xlin(h)`` on the common neighbours. (default: ``False``)
        final_linear: xcnlin and xijlin end in a Linear layer; ``False`` is the
            official ``--tailact`` (they end in ReLU). (default: ``True``)
        output_layers: Linear layers of the output MLP ``lin``; ``3`` is the
            official ``--twolayerlin``. (default: ``2``)
        beta: initial value of the learnable CN weight. (default: ``1.0``)
        cn_deg: sample at most this many common neighbours per pair (``-1``: all). (default: ``-1``)
        max_cn_entries: work budget (gathered neighbour entries) per chunk of
            completion pairs (NCNC) when ``split_size`` is not given. (default: ``2**22``)

    Shapes: ``h [N, F]``, ``adj`` CSR ``[N, N]``, ``edge_label_index [2, B]`` → ``[B]`` logits.
    """

    kind = "ncn"
    official = "cn1"

    def _transform(self, x: Tensor) -> Tensor:
        return x if self.xlin is None else x + self.xlin(x)

    @staticmethod
    def _members(sets: CSR) -> tuple[Tensor, CSR]:
        r"""The member nodes of ``sets`` (sorted ids, ``[M]``) and ``sets`` with its columns renumbered to them.

        ``torch.unique`` without its sort (ids are ``< num_cols``): a presence
        mask and a cumulative sum, :math:`O(N + \mathrm{nnz})`.
        """
        used = torch.zeros(sets.num_cols, dtype=torch.bool, device=sets.col.device)
        used[sets.col] = True
        nodes = used.nonzero().squeeze(1)
        col = (torch.cumsum(used, 0) - 1).index_select(0, sets.col)
        return nodes, CSR(sets.rowptr, col, sets.value, sets.num_rows, nodes.numel())

    def _pool(self, x: Tensor, sets: CSR) -> Tensor:
        r"""``Σ_{u in set} w_u (x_u + xlin(x_u))`` with xlin evaluated only on the member rows.

        Same value as transforming all ``N`` rows first (the official code), and
        the same distribution under dropout (row-wise i.i.d. masks), at the cost
        of the members instead of ``N``.
        """
        if self.xlin is None or sets.nnz == 0:
            return aggregate(sets, x) if self.xlin is None else x.new_zeros(sets.num_rows, x.size(1))
        nodes, local = self._members(sets)
        return aggregate(local, self._transform(x.index_select(0, nodes)))

    def _cn_sets(self, adj: CSR, tar: Tensor) -> CSR:
        """The (sub-sampled) common-neighbour sets of the pairs ``tar``, ``[B, N]``."""
        return subsample_rows(common_neighbors(adj.with_value(None), tar).common, self.cn_deg)

    def _cn_features(self, x: Tensor, adj: CSR, tar: Tensor, depth: int) -> Tensor:
        return self._pool(x, self._cn_sets(adj, tar))

    def _cn_branch(self, x: Tensor, adj: CSR, tar: Tensor, depth: int) -> Tensor | tuple[Tensor, Tensor, Tensor]:
        """``xcnlin`` of the pairs' common-neighbour features: ``[B, hidden]``, or out of training mode
        ``(shared [1, hidden], rows [R], values [R, hidden])``: the rows ``rows`` hold ``values``, every
        other row ``shared`` (:meth:`_cn_branch_eval`)."""
        if self.training:
            return self.xcnlin(self._cn_features(x, adj, tar, depth))
        return self._cn_branch_eval(x, self._cn_sets(adj, tar))

    def _cn_branch_eval(self, x: Tensor, sets: CSR) -> tuple[Tensor, Tensor, Tensor]:
        r"""``xcnlin(Σ_{u in set} w_u x'_u)`` out of training mode, with the work the pairs share done once.

        The same function as ``xcnlin(_pool(x, sets))`` (equal to float rounding;
        without dropout ``xcnlin`` is deterministic), returned as ``(xcnlin(0), rows,
        values)`` (row ``b`` is ``values[k]`` if ``rows[k] = b``, else ``xcnlin(0)``) and computed as:

        - rows with an empty set pool to zero, so they share one evaluation of
          ``xcnlin(0)``; only the ``R`` non-empty rows run the MLP (NCNC's
          completion pairs on Cora: about 1 in 10 has a common neighbour);
        - the first Linear commutes with the sum,
          :math:`W(\sum_u w_u x'_u) + b = \sum_u w_u (W x'_u) + b`, so when the
          set members are fewer than the non-empty rows (``M < R``) it is applied
          to the ``M`` members before pooling.

        Complexity: :math:`O(\min(M, R) F^2 + \mathrm{nnz} F + R F^2 + B F)`
        instead of :math:`O(B F^2)` per Linear layer of ``xcnlin``.
        """
        zero = self.xcnlin(x.new_zeros(1, x.size(1)))
        rows = (sets.rowptr.diff() > 0).nonzero().squeeze(1)
        if rows.numel() == 0:
            return zero, rows, x.new_zeros(0, x.size(1))
        # the non-empty rows only: their entries are the same, in the same order
        dense = CSR(torch.cat([sets.rowptr[:1], sets.rowptr.index_select(0, rows + 1)]), sets.col, sets.value,
                    rows.numel(), sets.num_cols)
        nodes, local = self._members(dense)
        feats = self._transform(x.index_select(0, nodes))
        first = self.xcnlin[0]
        if nodes.numel() < rows.numel():
            hidden = aggregate(local, feats @ first.weight.t()) + first.bias
            hidden = self.xcnlin[1:](hidden)
        else:
            hidden = self.xcnlin(aggregate(local, feats))
        return zero, rows, hidden

    def _forward(self, x: Tensor, adj: CSR, tar: Tensor, depth: int) -> Tensor:
        if self.training:
            adj = drop_entries(adj, self.edge_dropout)
        xij = x.index_select(0, tar[0]) * x.index_select(0, tar[1])  # before xlin, as the official code
        xcn = self._cn_branch(x, adj, tar, depth)
        if isinstance(xcn, Tensor):
            return self.lin(xcn * self.beta + self.xijlin(xij)).squeeze(-1)
        # xcnlin(xcn) * beta + xijlin(xij), with xcnlin(xcn) shared by every row outside `rows`
        shared, rows, values = xcn
        xij = self.xijlin(xij)
        out = xij + shared * self.beta  # a fresh tensor: writing into it keeps autograd intact
        out.index_copy_(0, rows, values * self.beta + xij.index_select(0, rows))
        return self.lin(out).squeeze(-1)


class NCNCPredictor(NCNPredictor):
    r"""NCNC (predictor ``'ncnc'``, official ``incn1cn1``, ``IncompleteCN1Predictor``): NCN with completion.

    Args (besides :class:`NCNPredictor`'s):
        alpha, scale, offset, pt: calibration ``p̂ = α·pt·p0/(pt·p0 + 1 − p0)``,
            ``p0 = σ(scale·(logit − offset))`` (``--alpha``, ``--probscale``,
            ``--proboffset``, ``--pt``). (defaults: ``1.0``, ``5.0``, ``3.0``, ``0.5``
            as the official flags)
        learn_pt: replace ``pt`` by ``σ(MLP(h_i ⊙ h_j))`` (``--learnpt``). (default: ``False``)
        depth: completion depth; 1 is NCNC, 2 NCNC2 (recursive), 0 is NCN. (default: ``1``)
        split_size: completion pairs per no-grad NCN call (``--splitsize``);
            ``None``/``-1``: chunks bounded by ``max_cn_entries`` instead. (default: ``None``)
        train_res_deg, test_res_deg: sample at most this many one-sided
            neighbours per pair in training / evaluation (``--trndeg`` /
            ``--tstdeg``; ``-1``: all). (defaults: ``-1``)

    Shapes: as :class:`NCNPredictor`.
    """

    kind = "ncnc"
    official = "incn1cn1"

    def __init__(self, hidden_channels: int, *, alpha: float = 1.0, scale: float = 5.0, offset: float = 3.0,
                 pt: float = 0.5, learn_pt: bool = False, depth: int = 1, split_size: int | None = None,
                 train_res_deg: int = -1, test_res_deg: int = -1, **kwargs):
        super().__init__(hidden_channels, **kwargs)
        check_int("depth", depth, minimum=0)
        check_real("pt", pt, low=0.0, high=1.0)
        self.depth, self.learn_pt = int(depth), learn_pt
        self.split_size = None if split_size is None or split_size <= 0 else int(split_size)
        self.train_res_deg, self.test_res_deg = train_res_deg, test_res_deg
        self.register_buffer("alpha", torch.tensor([float(alpha)]))
        self.register_buffer("pt", torch.tensor([float(pt)]))
        self.register_buffer("scale", torch.tensor([float(scale)]))
        self.register_buffer("offset", torch.tensor([float(offset)]))
        h = hidden_channels
        self.ptlin = nn.Sequential(nn.Linear(h, h), nn.ReLU(), nn.Linear(h, 1), nn.Sigmoid()) if learn_pt else None

    def calibrate(self, logit: Tensor, pt: Tensor | None = None) -> Tensor:
        """``p̂ = α·pt·p0 / (pt·p0 + 1 − p0)`` with ``p0 = σ(scale·(logit − offset))``."""
        pt = self.pt if pt is None else pt
        p0 = torch.sigmoid(self.scale * (logit - self.offset))
        return self.alpha * pt * p0 / (pt * p0 + 1 - p0)

    @torch.no_grad()
    def _completion_logits(self, x: Tensor, adj: CSR, pairs: Tensor, depth: int) -> Tensor:
        out = torch.empty(pairs.size(1), dtype=x.dtype, device=x.device)
        if pairs.size(1) == 0:
            return out
        if self.split_size is not None:
            chunks = torch.arange(pairs.size(1), device=pairs.device).split(self.split_size)
        else:
            chunks = cost_chunks(pairs, adj.degree(), self.max_cn_entries)
        for idx in chunks:
            out[idx] = self._forward(x, adj, pairs[:, idx], depth).reshape(-1)
        return out

    def _cn_branch(self, x: Tensor, adj: CSR, tar: Tensor, depth: int) -> Tensor:
        if depth < 1:  # NCN: the completion pairs' own common neighbours
            return super()._cn_branch(x, adj, tar, depth)
        return self.xcnlin(self._cn_features(x, adj, tar, depth))

    def _cn_features(self, x: Tensor, adj: CSR, tar: Tensor, depth: int) -> Tensor:
        if depth < 1:
            return super()._cn_features(x, adj, tar, depth)
        sets = common_neighbors(adj.with_value(None), tar, return_differences=True)
        res_deg = self.train_res_deg if self.training else self.test_res_deg
        pt = self.ptlin(x[tar[0]] * x[tar[1]]).reshape(-1) if self.ptlin is not None else None
        # official: the completion's inner call receives the transformed x' = x + xlin(x) of all nodes
        x = self._transform(x)
        xcn = aggregate(subsample_rows(sets.common, self.cn_deg), x)
        # only_i = N(i)\N(j): k is a missing common neighbour if (j, k) is a link, and vice versa
        for diff, other in ((sets.only_i, tar[1]), (sets.only_j, tar[0])):
            diff = subsample_rows(diff, res_deg)
            if diff.nnz == 0:
                continue
            rows = diff.row()
            logit = self._completion_logits(x, adj, torch.stack([other.index_select(0, rows), diff.col]), depth - 1)
            prob = self.calibrate(logit, None if pt is None else pt.index_select(0, rows))
            if diff.value is not None:
                prob = prob * diff.value
            xcn = xcn + aggregate(diff.with_value(prob), x)
        return xcn

    def extra_repr(self) -> str:
        return (super().extra_repr() + f", depth={self.depth}, alpha={float(self.alpha)}, scale={float(self.scale)}, "
                f"offset={float(self.offset)}, pt={float(self.pt)}, learn_pt={self.learn_pt}, "
                f"split_size={self.split_size}, train_res_deg={self.train_res_deg}, test_res_deg={self.test_res_deg}")


_PREDICTOR_CLASSES = {"hadamard": HadamardPredictor, "ncn": NCNPredictor, "ncnc": NCNCPredictor}
#: The keywords NCNC adds to NCN (its completion).
_COMPLETION_KEYS = ("alpha", "scale", "offset", "pt", "learn_pt", "depth", "split_size", "train_res_deg",
                    "test_res_deg")


# -------------------------------------------------------------------------------------- full models


class NCN(Model):
    r"""NCN link predictor (Wang et al., ICLR 2024, https://arxiv.org/abs/2302.00890).

    :class:`NCNEncoder` gives :math:`H`; :class:`NCNPredictor` scores
    :math:`s(i,j) = \mathrm{lin}(\beta\,\mathrm{xcnlin}(\sum_{u \in N(i)\cap N(j)} h'_u)
    + \mathrm{xijlin}(h_i \odot h_j))` (see the module docstring for the math and
    the official-name table). Trained by :func:`fit_ncn`.

    Args:
        in_channels: node feature size (``0``: feature-less, needs ``num_nodes``).
        hidden_channels: embedding / MLP size (``--hiddim``). (default: ``256``)
        encoder: ``'puregcn'``, ``'puresum'``, ``'puremean'``, ``'gcn'``,
            ``'gcn_mean'`` (official ``'sage'``: a mean-aggregating ``GCNConv``,
            not GraphSAGE) or ``'none'`` (``--model``). (default: ``'puregcn'``)
        num_layers: message-passing layers (``--mplayers``). (default: ``1``)
        gnn_dropout, input_dropout, tail_dropout, gnn_edge_dropout: the official
            ``--gnndp``, ``--xdp``, ``--tdp``, ``--gnnedp``. (defaults: ``0.0``)
        ln, res, jk: encoder LayerNorm, residual, jumping knowledge. (defaults: ``False``)
        predictor: ``'ncn'`` (official ``'cn1'``) or ``'hadamard'`` (official
            ``'cn0'``: the GAE-style MLP of :math:`h_i \odot h_j`). (default: ``'ncn'``)
        predictor_dropout, predictor_edge_dropout: ``--predp``, ``--preedp``. (defaults: ``0.0``)
        predictor_ln: ``--lnnn``. (default: ``False``)
        use_xlin: ``h' = h + xlin(h)`` on the common neighbours. (default: ``False``)
        final_linear: xcnlin / xijlin end in a Linear (``False`` = official ``--tailact``). (default: ``True``)
        output_layers: Linear layers of the output MLP (``3`` = official ``--twolayerlin``). (default: ``2``)
        beta: initial CN weight (``--beta``). (default: ``1.0``)
        cn_deg: common neighbours sampled per pair, ``-1`` all (``--cndeg``). (default: ``-1``)
        max_cn_entries: common-neighbour work budget per scoring chunk (gathered
            neighbour entries); bounds evaluation memory. (default: ``2**22``)
        check_symmetric: refuse a non-symmetric ``edge_index`` in :meth:`adjacency`. (default: ``True``)
        num_nodes: number of nodes (required without features). (default: ``None``)

    Shapes:
        - encode: ``x [N, F]`` (or ``None``), ``edge_index [2, E]`` or CSR → ``[N, hidden]``
        - score: ``h [N, hidden]``, ``edge_index``, ``edge_label_index [2, B]`` → ``[B]`` logits
        - forward: ``x``, ``edge_index``, ``edge_label_index [2, B]`` → ``[B]`` logits

    Example::

        >>> import torch
        >>> from graphkit import NCN
        >>> edge_index = torch.tensor([[0, 1, 1, 2, 2, 0, 2, 3], [1, 0, 2, 1, 0, 2, 3, 2]])
        >>> model = NCN(8, 16, predictor="cn1").eval()  # the official name is accepted
        >>> model.predictor.kind
        'ncn'
        >>> model(torch.randn(4, 8), edge_index, torch.tensor([[0, 1], [3, 3]])).shape
        torch.Size([2])
    """

    _predictors: ClassVar[tuple[str, ...]] = ("ncn", "hadamard")
    _model_keys: ClassVar[tuple[str, ...]] = (
        "encoder", "num_layers", "gnn_dropout", "input_dropout", "tail_dropout", "gnn_edge_dropout", "ln", "res",
        "jk", "predictor", "predictor_dropout", "predictor_edge_dropout", "predictor_ln", "use_xlin",
        "final_linear", "output_layers", "beta", "cn_deg", "max_cn_entries")

    def __init__(self, in_channels: int, hidden_channels: int = 256, *, encoder: str = "puregcn",
                 num_layers: int = 1, gnn_dropout: float = 0.0, input_dropout: float = 0.0,
                 tail_dropout: float = 0.0, gnn_edge_dropout: float = 0.0, ln: bool = False, res: bool = False,
                 jk: bool = False, predictor: str = "ncn", predictor_dropout: float = 0.0,
                 predictor_edge_dropout: float = 0.0, predictor_ln: bool = False, use_xlin: bool = False,
                 final_linear: bool = True, output_layers: int = 2, beta: float = 1.0, cn_deg: int = -1,
                 max_cn_entries: int = 1 << 22, check_symmetric: bool = True, num_nodes: int | None = None,
                 **completion):
        super().__init__()
        predictor = _name(predictor, PREDICTORS, "predictor")
        if predictor not in self._predictors:
            fix = "use NCNC" if predictor == "ncnc" else "use NCN"
            raise ValueError(f"{type(self).__name__} takes predictor {' or '.join(map(repr, self._predictors))}, "
                             f"got {predictor!r}; {fix}")
        unknown = [key for key in completion if key not in _COMPLETION_KEYS]
        if unknown:
            import difflib

            known = {name for cls in type(self).__mro__ if issubclass(cls, NCN)
                     for name in inspect.signature(cls.__init__).parameters}
            valid = sorted(known - {"self", "kwargs", "completion"} |
                           (set(_COMPLETION_KEYS) if predictor == "ncnc" else set()))
            close = difflib.get_close_matches(unknown[0], valid, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise TypeError(f"{type(self).__name__}() got an unexpected keyword argument {unknown[0]!r}{hint}; "
                            f"valid keywords: {', '.join(valid)}")
        if completion and predictor != "ncnc":
            raise TypeError(f"unexpected arguments for predictor {predictor!r}: {', '.join(completion)} "
                            "(completion options need NCNC)")
        self.num_nodes, self.check_symmetric = num_nodes, check_symmetric
        self.encoder = NCNEncoder(in_channels, hidden_channels, conv=encoder, num_layers=num_layers,
                                  dropout=gnn_dropout, input_dropout=input_dropout, tail_dropout=tail_dropout,
                                  edge_dropout=gnn_edge_dropout, ln=ln, res=res, jk=jk, num_nodes=num_nodes)
        self.predictor = _PREDICTOR_CLASSES[predictor](
            hidden_channels, dropout=predictor_dropout, edge_dropout=predictor_edge_dropout, ln=predictor_ln,
            use_xlin=use_xlin, final_linear=final_linear, output_layers=output_layers, beta=beta, cn_deg=cn_deg,
            max_cn_entries=max_cn_entries, **completion)
        self._cache: tuple | None = None

    @classmethod
    def from_config(cls, config: NCNConfig, data) -> NCN:
        """The model ``config`` describes, sized for ``data`` (a ``Data``, a ``LinkSplit`` or a ``GraphInfo``).

        ``config`` is an :class:`NCNConfig` (:class:`NCNCConfig` for :class:`NCNC`),
        a dict of its keys, or ``None`` (the defaults).
        """
        config = cls._config_class().coerce(config)
        info = graph_info(data)
        kwargs = {key: getattr(config, key) for key in cls._model_keys}
        return cls(info.num_features, config.hidden_channels, num_nodes=info.num_nodes, **kwargs)

    @classmethod
    def _config_class(cls) -> type[Config]:
        return NCNConfig

    def reset_parameters(self) -> None:
        self.encoder.reset_parameters()
        self.predictor.reset_parameters()

    def adjacency(self, edge_index, num_nodes: int | None = None) -> CSR:
        """The deduplicated symmetric CSR the model runs on (cached for a repeated ``edge_index``)."""
        if isinstance(edge_index, CSR):
            return edge_index
        n = num_nodes or self.num_nodes
        if n is None:
            n = check_edge_index(edge_index)
        key = (edge_index.data_ptr(), tuple(edge_index.shape), edge_index._version, edge_index.device, n)
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        csr = symmetric_csr(edge_index, n, check=self.check_symmetric)
        self._cache = (key, csr)
        return csr

    def _check_graph(self, edge_index, num_nodes: int, rows_of: str) -> None:
        """``edge_index`` (a ``[2, E]`` tensor or a CSR) must fit ``num_nodes`` = the rows of ``rows_of``."""
        if isinstance(edge_index, CSR):
            if edge_index.num_rows != num_nodes:
                raise ValueError(f"the adjacency has {edge_index.num_rows} nodes but {rows_of} has {num_nodes} rows; "
                                 f"{rows_of} needs one row per node of the graph")
        elif isinstance(edge_index, Tensor):
            check_edge_index(edge_index, num_nodes, nodes_from=rows_of)
        else:
            raise TypeError(f"edge_index must be a [2, E] tensor or a graphkit CSR, got {type(edge_index).__name__}")

    def encode(self, x: Tensor | None, edge_index) -> Tensor:
        """Node embeddings ``[N, hidden]`` over ``edge_index`` (``[2, E]``, both directions, or a CSR)."""
        if self.encoder.embedding is None:
            if x is None:
                raise ValueError(f"this {type(self).__name__} was built for node features "
                                 f"(in_channels={self.encoder.in_channels}) but x is None")
            check_features(x, name="x", num_features=self.encoder.in_channels, dtype=param_dtype(self),
                           owner=type(self).__name__, allow_sparse=True)
            self._check_graph(edge_index, x.size(0), "x")
            n = x.size(0)
        else:
            n = None
            if isinstance(edge_index, Tensor):
                check_edge_index(edge_index, self.encoder.embedding.num_embeddings,
                                 nodes_from="the node embedding (num_nodes)")
        return self.encoder(x, self.adjacency(edge_index, n))

    def score(self, h: Tensor, edge_index, edge_label_index: Tensor) -> Tensor:
        """Logits ``[B]``. Out of training mode the pairs are scored in chunks of bounded CN work."""
        check_features(h, name="h", num_features=self.predictor.hidden_channels, dtype=param_dtype(self),
                       owner=f"{type(self).__name__}'s predictor")
        self._check_graph(edge_index, h.size(0), "h")
        check_edge_index(edge_label_index, h.size(0), name="edge_label_index", nodes_from="h")
        adj = self.adjacency(edge_index, h.size(0))
        if self.training or edge_label_index.size(1) == 0:
            return self.predictor(h, adj, edge_label_index)
        check_edge_index(edge_label_index, adj.num_rows, name="edge_label_index")
        chunks = cost_chunks(edge_label_index, adj.degree(), self.predictor.max_cn_entries)
        return torch.cat([self.predictor(h, adj, edge_label_index[:, idx]) for idx in chunks])

    def forward(self, x: Tensor | None, edge_index, edge_label_index: Tensor) -> Tensor:
        """Logits ``[B]`` of the query pairs ``edge_label_index`` (apply ``sigmoid`` for probabilities)."""
        return self.score(self.encode(x, edge_index), edge_index, edge_label_index)

    def extra_repr(self) -> str:
        return (f"encoder=NCNEncoder({self.encoder.extra_repr()}), "
                f"predictor={type(self.predictor).__name__}({self.predictor.extra_repr()})")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"


class NCNC(NCN):
    r"""NCNC: NCN with common-neighbour completion (Wang et al., ICLR 2024, https://arxiv.org/abs/2302.00890).

    :class:`NCNEncoder` + :class:`NCNCPredictor`: the common-neighbour sum is
    completed by the one-sided neighbours :math:`k`, weighted by the calibrated
    NCN probability :math:`\hat p` that :math:`k` is a missing common neighbour
    (module docstring). Trained by :func:`fit_ncn`.

    Args:
        in_channels, hidden_channels, and every keyword of :class:`NCN` (``predictor``
            must be ``'ncnc'``, official ``'incn1cn1'``, the default).
        alpha: ``--alpha``. (default: ``1.0``)
        scale: ``--probscale``. (default: ``5.0``)
        offset: ``--proboffset``. (default: ``3.0``)
        pt: ``--pt``, prior that a one-sided neighbour is a missing common one. (default: ``0.5``)
        learn_pt: ``--learnpt``. (default: ``False``)
        depth: completion depth (``1``: NCNC, ``2``: NCNC2, ``0``: NCN). (default: ``1``)
        split_size: ``--splitsize`` (``None``: chunks of ``max_cn_entries`` work). (default: ``None``)
        train_res_deg, test_res_deg: ``--trndeg`` / ``--tstdeg`` (``-1``: all). (defaults: ``-1``)

    Shapes: as :class:`NCN`.

    Example::

        >>> import torch
        >>> from graphkit import NCNC
        >>> edge_index = torch.tensor([[0, 1, 1, 2, 2, 0, 2, 3], [1, 0, 2, 1, 0, 2, 3, 2]])
        >>> model = NCNC(8, 16, pt=0.75, scale=4.3, offset=2.8).eval()
        >>> model(torch.randn(4, 8), edge_index, torch.tensor([[0, 1], [3, 3]])).shape
        torch.Size([2])
    """

    _predictors: ClassVar[tuple[str, ...]] = ("ncnc",)
    _model_keys: ClassVar[tuple[str, ...]] = NCN._model_keys + (
        "alpha", "scale", "offset", "pt", "learn_pt", "depth", "split_size", "train_res_deg", "test_res_deg")

    def __init__(self, in_channels: int, hidden_channels: int = 256, *, predictor: str = "ncnc",
                 alpha: float = 1.0, scale: float = 5.0, offset: float = 3.0, pt: float = 0.5,
                 learn_pt: bool = False, depth: int = 1, split_size: int | None = None, train_res_deg: int = -1,
                 test_res_deg: int = -1, **kwargs):
        super().__init__(in_channels, hidden_channels, predictor=predictor, alpha=alpha, scale=scale, offset=offset,
                         pt=pt, learn_pt=learn_pt, depth=depth, split_size=split_size, train_res_deg=train_res_deg,
                         test_res_deg=test_res_deg, **kwargs)

    @classmethod
    def _config_class(cls) -> type[Config]:
        return NCNCConfig


# ----------------------------------------------------------------------------------------- configs

_SOURCE = ("Wang et al. ICLR 2024 (arXiv 2302.00890); hyperparameters from the README commands of "
           "GraphPKU/NeuralCommonNeighbor (NeighborOverlap.py / NeighborOverlapCitation2.py; the official flag "
           "names are accepted as aliases, see graphkit.models.ncn). Planetoid: random 70/10/20 split redrawn per "
           "run seeded by the run index, HR@100; OGB: the data set's split and metric (collab HR@50 with "
           "validation edges as test-time input, ppa HR@100, ddi HR@20, citation2 MRR). Model selection: best "
           "validation epoch.")
_README = "GraphPKU/NeuralCommonNeighbor README, the {model} command for {dataset} ({script})"


def _readme(model: str, dataset: str, script: str = "NeighborOverlap.py") -> str:
    return _README.format(model=model, dataset=dataset, script=script)


# official flag names (and this module's former keys) -> fields; tailact / twolayerlin change meaning
_ALIASES = {
    "xdp": "input_dropout", "tdp": "tail_dropout", "gnndp": "gnn_dropout", "gnnedp": "gnn_edge_dropout",
    "predp": "predictor_dropout", "preedp": "predictor_edge_dropout", "lnnn": "predictor_ln",
    "hiddim": "hidden_channels", "mplayers": "num_layers", "model": "encoder", "gnnlr": "gnn_lr",
    "prelr": "predictor_lr", "maskinput": "target_link_removal", "cndeg": "cn_deg",
    "tailact": ("final_linear", lambda v: not v if isinstance(v, bool) else v),
    "twolayerlin": ("output_layers", lambda v: (3 if v else 2) if isinstance(v, bool) else v),
}


@dataclass(frozen=True)
class NCNConfig(Config):
    """NCN and its official procedure (:func:`fit_ncn`).

    Defaults are the official README command for Cora (and the defaults of
    every data set without a preset); presets hold the other README commands.
    Official flag names (``xdp``, ``gnnlr``, ``tailact``, ``twolayerlin``, ...)
    are accepted as keys and string values (``'cn1'``, ``'sage'``) are
    normalised to graphkit's names (module docstring table).

    Args:
        predictor: ``'ncn'`` or ``'hadamard'`` (official ``'cn1'`` / ``'cn0'``). (default: ``'ncn'``)
        encoder: see :class:`NCN` (``'gcn_mean'`` is the official ``'sage'``). (default: ``'puregcn'``)
        hidden_channels: (default: ``256``)
        num_layers: (default: ``1``)
        input_dropout, tail_dropout, gnn_dropout, gnn_edge_dropout: (defaults: ``0.7``, ``0.3``, ``0.05``, ``0.0``)
        predictor_dropout, predictor_edge_dropout: (defaults: ``0.05``, ``0.4``)
        ln, predictor_ln, jk, res, use_xlin: (defaults: ``True``, ``True``, ``True``, ``False``, ``True``)
        final_linear: ``False`` is the official ``--tailact``. (default: ``False``)
        output_layers: ``3`` is the official ``--twolayerlin``. (default: ``2``)
        beta, cn_deg: (defaults: ``1.0``, ``-1``)
        max_cn_entries: scoring work budget (see :class:`NCN`). (default: ``4194304``)
        gnn_lr, predictor_lr: Adam learning rates of the encoder and the predictor
            (``gnn_lr=0`` freezes the encoder). (defaults: ``0.0043``, ``0.0024``)
        batch_size: training positives per step. (default: ``1152``)
        epochs: training epochs (the official code has no early stopping). (default: ``100``)
        target_link_removal: remove the batch's positives from the input graph
            (``--maskinput``). (default: ``True``)
        drop_last: drop the last incomplete batch (official ``PermIterator``). (default: ``True``)
        grad_clip: clip the gradient norm to this value (citation2's recipe); ``None``: off. (default: ``None``)
        metric: the validation / test metric; ``None``: the split's own
            (``LinkSplit.extra['metric']``: OGB), else ``'hits@100'``. (default: ``None``)
        val_ratio, test_ratio: the random edge split of a node data set, redrawn
            per seed (a ``LinkSplit`` keeps its own). (defaults: ``0.1``, ``0.2``)
        eval_every: validate every this many epochs and after the last. (default: ``1``)
        max_steps_per_epoch: a benchmarking knob: train at most this many steps per
            epoch (``benchmarks/ncn_speed.py`` times ogbl-ddi this way); ``None``:
            full epochs, as the method. (default: ``None``)
        runs: seeded runs the paper averages. (default: ``10``)

    Example::

        >>> from graphkit import NCNConfig
        >>> config = NCNConfig.paper("ogbl-ddi")  # the README command; metric None: ddi's own hits@20
        >>> config.encoder, config.hidden_channels, config.output_layers, config.metric
        ('puresum', 224, 3, None)
        >>> official = NCNConfig.from_dict({"tailact": True, "model": "sage", "predictor": "cn1", "gnnlr": 0.01})
        >>> official.final_linear, official.encoder, official.predictor, official.gnn_lr
        (False, 'gcn_mean', 'ncn', 0.01)
    """

    predictor: str = "ncn"
    encoder: str = "puregcn"
    hidden_channels: int = 256
    num_layers: int = 1
    input_dropout: float = 0.7
    tail_dropout: float = 0.3
    gnn_dropout: float = 0.05
    gnn_edge_dropout: float = 0.0
    predictor_dropout: float = 0.05
    predictor_edge_dropout: float = 0.4
    ln: bool = True
    predictor_ln: bool = True
    jk: bool = True
    res: bool = False
    use_xlin: bool = True
    final_linear: bool = False
    output_layers: int = 2
    beta: float = 1.0
    cn_deg: int = -1
    max_cn_entries: int = 4194304
    gnn_lr: float = 0.0043
    predictor_lr: float = 0.0024
    batch_size: int = 1152
    epochs: int = 100
    target_link_removal: bool = True
    drop_last: bool = True
    grad_clip: float | None = None
    metric: str | None = None
    val_ratio: float = 0.1
    test_ratio: float = 0.2
    eval_every: int = 1
    max_steps_per_epoch: int | None = None
    runs: int = 10

    _predictors: ClassVar[tuple[str, ...]] = ("ncn", "hadamard")
    source: ClassVar[str] = "NCN (predictor 'ncn', official cn1), " + _SOURCE
    aliases: ClassVar[dict] = _ALIASES
    presets: ClassVar[dict[str, Preset]] = {
        "cora": Preset(source=_readme("NCN", "Cora")),
        "citeseer": Preset(source=_readme("NCN", "Citeseer"),
                           input_dropout=0.4, tail_dropout=0.0, gnn_dropout=0.75, predictor_dropout=0.55,
                           predictor_edge_dropout=0.0, gnn_lr=0.0085, predictor_lr=0.0078, batch_size=384,
                           output_layers=3),
        "pubmed": Preset(source=_readme("NCN", "Pubmed"),
                         input_dropout=0.3, tail_dropout=0.0, gnn_dropout=0.1, predictor_dropout=0.05,
                         predictor_edge_dropout=0.0, gnn_lr=0.0097, predictor_lr=0.002, batch_size=2048),
        "ogbl-collab": Preset(source=_readme("NCN", "ogbl-collab"),
                              encoder="gcn", hidden_channels=64, num_layers=1, input_dropout=0.25, tail_dropout=0.05,
                              gnn_dropout=0.1, gnn_edge_dropout=0.25, predictor_dropout=0.3,
                              predictor_edge_dropout=0.0, jk=False, res=True, gnn_lr=0.0082, predictor_lr=0.0037,
                              batch_size=65536, runs=10),
        "ogbl-ppa": Preset(source=_readme("NCN", "ogbl-ppa"),
                           encoder="gcn", hidden_channels=64, num_layers=3, input_dropout=0.0, tail_dropout=0.0,
                           gnn_dropout=0.0, gnn_edge_dropout=0.1, predictor_dropout=0.1, predictor_edge_dropout=0.0,
                           jk=False, res=True, use_xlin=False, gnn_lr=0.0013, predictor_lr=0.0013, batch_size=16384,
                           epochs=25),
        "ogbl-citation2": Preset(source=_readme("NCN", "ogbl-citation2", "NeighborOverlapCitation2.py"),
                                 encoder="puregcn", hidden_channels=64, num_layers=3, input_dropout=0.0,
                                 tail_dropout=0.3, gnn_dropout=0.2, predictor_dropout=0.2, predictor_edge_dropout=0.0,
                                 jk=False, res=True, gnn_lr=0.0088, predictor_lr=0.0058, batch_size=32768, epochs=20,
                                 target_link_removal=False, grad_clip=1.0),
        "ogbl-ddi": Preset(source=_readme("NCN", "ogbl-ddi"),
                           encoder="puresum", hidden_channels=224, num_layers=1, input_dropout=0.05,
                           tail_dropout=0.0, gnn_dropout=0.4, predictor_dropout=0.6, predictor_edge_dropout=0.0,
                           jk=False, res=True, output_layers=3, final_linear=True, gnn_lr=0.0021,
                           predictor_lr=0.0018, batch_size=24576, epochs=100),
    }

    def check(self) -> None:
        cls = self.__class__
        for key, valid, what in (("predictor", PREDICTORS, "predictor"), ("encoder", ENCODERS, "NCN encoder")):
            try:
                object.__setattr__(self, key, _name(getattr(self, key), valid, what))  # official -> readable
            except ValueError as exc:
                raise config_error(cls, str(exc)) from None
        if self.predictor not in self._predictors:
            right = "NCNCConfig (the NCNC model)" if self.predictor == "ncnc" else "NCNConfig (the NCN model)"
            raise config_error(cls, f"predictor={self.predictor!r} needs {right}; this config takes "
                                    f"{' or '.join(map(repr, self._predictors))}")
        for key in ("hidden_channels", "batch_size", "epochs", "eval_every", "output_layers"):
            if getattr(self, key) < 1:
                raise config_error(cls, f"{key} must be >= 1, got {getattr(self, key)}")
        if self.num_layers < 0:
            raise config_error(cls, f"num_layers must be >= 0, got {self.num_layers}")
        for key in ("input_dropout", "tail_dropout", "gnn_dropout", "gnn_edge_dropout", "predictor_dropout",
                    "predictor_edge_dropout"):
            if not 0 <= getattr(self, key) < 1:
                raise config_error(cls, f"{key} must be in [0, 1), got {getattr(self, key)}")
        for key in ("gnn_lr", "predictor_lr"):
            if getattr(self, key) < 0:
                raise config_error(cls, f"{key} must be >= 0, got {getattr(self, key)}")
        for key in ("grad_clip", "max_steps_per_epoch"):
            if getattr(self, key) is not None and getattr(self, key) <= 0:
                raise config_error(cls, f"{key} must be > 0 or null, got {getattr(self, key)}")
        check_link_config(self)


@dataclass(frozen=True)
class NCNCConfig(NCNConfig):
    """NCNC and its official procedure (:func:`fit_ncn`): :class:`NCNConfig`'s keys plus the completion.

    Args (besides :class:`NCNConfig`'s; defaults are the README command for Cora):
        predictor: ``'ncnc'`` (official ``'incn1cn1'``). (default: ``'ncnc'``)
        alpha, scale, offset, pt: calibration (``--alpha``, ``--probscale``,
            ``--proboffset``, ``--pt``). (defaults: ``1.0``, ``4.3``, ``2.8``, ``0.75``)
        learn_pt: ``--learnpt``. (default: ``False``)
        depth: completion depth. (default: ``1``)
        split_size: ``--splitsize``; ``None``: chunks of ``max_cn_entries`` work. (default: ``None``)
        train_res_deg, test_res_deg: ``--trndeg`` / ``--tstdeg`` (``-1``: all). (defaults: ``-1``)

    Deviations from the README recipes: ogbl-ddi NCNC there loads a trained NCN
    (``--loadmod``) and trains 2 epochs with ``gnnlr 0``; ogbl-citation2 NCNC there
    runs on frozen NCN embeddings (``--model none --load gemb/...``). The presets
    train NCNC end to end from scratch with the NCN recipe's encoder instead (set
    ``gnn_lr`` / ``epochs`` to follow the README).

    Example::

        >>> from graphkit import NCNCConfig
        >>> config = NCNCConfig.paper("citeseer")
        >>> config.scale, config.offset, config.pt, config.alpha
        (6.5, 4.4, 0.75, 0.4)
        >>> NCNCConfig.from_dict({"probscale": 2.0, "predictor": "incn1cn1"}).scale
        2.0
    """

    predictor: str = "ncnc"
    alpha: float = 1.0
    scale: float = 4.3
    offset: float = 2.8
    pt: float = 0.75
    learn_pt: bool = False
    depth: int = 1
    split_size: int | None = None
    train_res_deg: int = -1
    test_res_deg: int = -1

    _predictors: ClassVar[tuple[str, ...]] = ("ncnc",)
    source: ClassVar[str] = (
        "NCNC (predictor 'ncnc', official incn1cn1), " + _SOURCE + " Deviations from the README recipes: "
        "ogbl-ddi NCNC there loads a trained NCN (--loadmod) and trains 2 epochs with gnnlr 0; ogbl-citation2 NCNC "
        "there runs on frozen NCN embeddings (--model none --load gemb/...). graphkit trains NCNC end to end from "
        "scratch with the NCN recipe's encoder instead (set gnn_lr/epochs to follow the README).")
    aliases: ClassVar[dict] = _ALIASES | {"probscale": "scale", "proboffset": "offset", "splitsize": "split_size",
                                          "trndeg": "train_res_deg", "tstdeg": "test_res_deg", "learnpt": "learn_pt"}
    presets: ClassVar[dict[str, Preset]] = {
        "cora": Preset(source=_readme("NCNC", "Cora")),
        "citeseer": Preset(source=_readme("NCNC", "Citeseer"),
                           input_dropout=0.4, tail_dropout=0.0, gnn_dropout=0.75, predictor_dropout=0.55,
                           predictor_edge_dropout=0.0, gnn_lr=0.0085, predictor_lr=0.0078, batch_size=384,
                           output_layers=3, scale=6.5, offset=4.4, pt=0.75, alpha=0.4),
        "pubmed": Preset(source=_readme("NCNC", "Pubmed"),
                         input_dropout=0.3, tail_dropout=0.0, gnn_dropout=0.1, predictor_dropout=0.05,
                         predictor_edge_dropout=0.0, gnn_lr=0.0097, predictor_lr=0.002, batch_size=2048,
                         scale=5.3, offset=0.5, pt=0.5, alpha=0.3),
        "ogbl-collab": Preset(source=_readme("NCNC", "ogbl-collab"),
                              encoder="gcn", hidden_channels=64, num_layers=1, input_dropout=0.25, tail_dropout=0.05,
                              gnn_dropout=0.1, gnn_edge_dropout=0.25, predictor_dropout=0.3,
                              predictor_edge_dropout=0.0, jk=False, res=True, gnn_lr=0.0082, predictor_lr=0.0037,
                              batch_size=65536, runs=10, scale=2.5, offset=6.0, pt=0.1, alpha=1.05),
        "ogbl-ppa": Preset(source=_readme("NCNC", "ogbl-ppa"),
                           encoder="gcn", hidden_channels=64, num_layers=3, input_dropout=0.0, tail_dropout=0.0,
                           gnn_dropout=0.0, gnn_edge_dropout=0.1, predictor_dropout=0.1, predictor_edge_dropout=0.0,
                           jk=False, res=True, use_xlin=False, gnn_lr=0.0013, predictor_lr=0.0013, batch_size=16384,
                           epochs=25, scale=4.0, offset=8.5, pt=0.1, alpha=0.9, split_size=131072),
        "ogbl-citation2": Preset(source=_readme("NCNC", "ogbl-citation2", "NeighborOverlapCitation2.py") +
                                 "; NCNC on frozen NCN embeddings there, trained end to end here",
                                 encoder="puregcn", hidden_channels=64, num_layers=3, input_dropout=0.0,
                                 tail_dropout=0.3, gnn_dropout=0.2, predictor_dropout=0.2, predictor_edge_dropout=0.0,
                                 jk=False, res=True, gnn_lr=0.0088, predictor_lr=0.001, batch_size=24576, epochs=20,
                                 target_link_removal=False, grad_clip=1.0, scale=1.4, offset=-0.3, pt=0.25,
                                 alpha=1.0, train_res_deg=96, test_res_deg=96),
        "ogbl-ddi": Preset(source=_readme("NCNC", "ogbl-ddi") + "; from a trained NCN with gnnlr 0 there, "
                                                                "trained end to end here",
                           encoder="puresum", hidden_channels=224, num_layers=1, input_dropout=0.05,
                           tail_dropout=0.0, gnn_dropout=0.4, predictor_dropout=0.6, predictor_edge_dropout=0.0,
                           jk=False, res=True, output_layers=3, final_linear=True, gnn_lr=0.0021,
                           predictor_lr=0.0025, batch_size=24576, epochs=100, scale=10.0, offset=3.0, pt=0.1,
                           alpha=0.5, split_size=262144),
    }

    def check(self) -> None:
        super().check()
        if not 0 <= self.pt <= 1:
            raise config_error(self.__class__, f"pt must be in [0, 1], got {self.pt}")
        if self.depth < 0:
            raise config_error(self.__class__, f"depth must be >= 0, got {self.depth}")


# --------------------------------------------------------------------------------------- procedure


def split_adjacencies(split: LinkSplit, device) -> dict[str, CSR]:
    """Symmetric CSR adjacencies of ``split``'s training graph (``'train'``, ``'valid'``) and test-time graph."""
    train = symmetric_csr(split.edge_index.to(device), split.num_nodes, check=False)
    test_ei = split.graph_for("test")
    test = train if test_ei is split.edge_index else symmetric_csr(test_ei.to(device), split.num_nodes, check=False)
    return {"valid": train, "test": test, "train": train}


@procedure((NCN, NCNC), {NCNC: NCNCConfig, NCN: NCNConfig})
def fit_ncn(model: NCN, data, config: NCNConfig, *, seed: int, device: torch.device, progress: bool | None,
            warm_start: bool) -> FitResult:
    r"""Train an :class:`NCN` or :class:`NCNC` with the official procedure (``NeighborOverlap.py``).

    Per epoch, from a generator seeded by ``seed``: one uniform negative per
    training positive (pairs that are not training edges) and a random order of
    the positives, in batches of ``batch_size`` (the last incomplete one dropped,
    ``drop_last``). Per step :math:`t` with positives :math:`P_t` and negatives :math:`Q_t`:

    1. **Target-link removal** (``target_link_removal``, official ``--maskinput``):
       the input graph is :math:`A^{(t)} = \mathrm{sym}(A_{\mathrm{train}} \setminus P_t)`
       (:class:`~graphkit.ops.target_link_removal.TargetLinkRemoval`); it feeds
       the encoder and the common-neighbour sets of both :math:`P_t` and :math:`Q_t`.
    2. :math:`H = \mathrm{enc}(X, A^{(t)})`, loss
       :math:`-\frac{1}{|P_t|}\sum_{P_t}\log\sigma(s) - \frac{1}{|Q_t|}\sum_{Q_t}\log\sigma(-s)`,
       gradient clipping (``grad_clip``), one Adam step with the learning rate
       ``gnn_lr`` for the encoder and ``predictor_lr`` for the predictor.

    Validation every ``eval_every`` epochs on the training graph; the state with
    the best validation metric (strictly better, as the official code) is kept
    and its test metric reported, scored on ``LinkSplit.graph_for('test')``
    (ogbl-collab: training + validation edges). The official code scores the
    test set every epoch and keeps the one at the best validation epoch; keeping
    the best state and scoring the test set once gives the same number.

    Args:
        model: an :class:`NCN` or :class:`NCNC`, trained in place.
        data: a :class:`~graphkit.datasets.LinkSplit` (OGB), or a node data set
            (PyG ``Data``): then a random ``val_ratio`` / ``test_ratio`` edge split
            seeded by ``seed`` is drawn first (NCN's Planetoid protocol).
        config: an :class:`NCNConfig` (an :class:`NCNCConfig` for :class:`NCNC`), a
            dict of its keys (official names accepted), or ``None``: the defaults
            (the README command for Cora).
        seed: seeds the split, the initial parameters (unless ``warm_start``), the
            negatives, the batch order and dropout. (default: ``0``)
        device: ``None`` trains where the model is; ``'cpu'``, ``'cuda'``, ``'auto'``. (default: ``None``)
        progress: a progress bar; ``None``: on a terminal only. (default: ``None``)
        warm_start: keep the model's current parameters. (default: ``False``)

    Returns:
        :class:`~graphkit.train.result.FitResult` with ``valid_<metric>`` and
        ``test_<metric>`` (``metric``: the config's, else the split's own, else
        ``hits@100``), ``time`` (``epoch_s``, ``eval_s``, ``inference_s``: the
        final test pass), ``peak_memory_mb``, the selected epoch, the history, and
        ``result.split`` (the ``LinkSplit`` used).

    Example::

        >>> from graphkit import NCN, NCNConfig, fit_ncn, datasets
        >>> data = datasets.load("csbm", num_nodes=300, seed=0)
        >>> config = NCNConfig(epochs=2, hidden_channels=32)
        >>> model = NCN.from_config(config, data)
        >>> result = fit_ncn(model, data, config, progress=False)
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
    train_pos = split.train_pos.to(device)
    removal = TargetLinkRemoval(train_pos, split.num_nodes) if config.target_link_removal else None
    adjs = split_adjacencies(split, device)
    optimizer = torch.optim.Adam([{"params": list(model.encoder.parameters()), "lr": config.gnn_lr},
                                  {"params": list(model.predictor.parameters()), "lr": config.predictor_lr}])
    timer = Timer(device)

    def loss(batch, epoch):
        index, pos, neg = batch
        adj = removal.without(index) if removal is not None else adjs["train"]
        h = model.encoder(x, adj)
        pos, neg, scale = shard_pairs(pos, neg)  # under torchrun: this rank's part, its loss factor
        if pos.size(1) == 0:  # a batch smaller than the number of ranks
            return h.sum() * 0.0
        out = link_loss(model.predictor(h, adj, pos), model.predictor(h, adj, neg))
        return out if scale == 1.0 else out * scale

    def evaluate(stage: str) -> float:
        return evaluate_link(model, split, stage, metric, batch_size=None, device=device, graph=adjs[stage])

    trajectory = run_epochs(
        model, optimizer, epochs=config.epochs, timer=timer, progress=progress, desc=type(model).__name__,
        batches=lambda epoch: link_batches(train_pos, split.num_nodes, config.batch_size, generator=gen,
                                           exclude=split.train_pos, drop_last=config.drop_last,
                                           max_steps=config.max_steps_per_epoch, device=device),
        loss=loss, validate=lambda: evaluate("valid"), eval_every=config.eval_every, grad_clip=config.grad_clip,
        selection=Selection("max"), value_name=f"valid_{metric}")
    with timer.inference():
        test = evaluate("test")
    return FitResult({f"valid_{metric}": trajectory.best_value, f"test_{metric}": test}, timer.summary(),
                     trajectory.best_epoch, trajectory.epochs_run, history=trajectory.history,
                     outputs={"split": split})
