r"""NCN and NCNC: Neural Common Neighbor (with Completion) for link prediction.

Wang, Yang & Zhang, *Neural Common Neighbor with Completion for Link
Prediction*, ICLR 2024, https://arxiv.org/abs/2302.00890. Official code:
https://github.com/GraphPKU/NeuralCommonNeighbor (``model.py``); this module
re-implements it in pure torch on :mod:`graphkit.ops.common_neighbors`.

An MPNN encoder gives node embeddings :math:`H` once per step; a predictor
scores query pairs :math:`(i, j)`. **NCN** (official ``cn1``):

.. math::
    s(i, j) = \mathrm{lin}\big(\beta\,\mathrm{xcnlin}\big(\textstyle\sum_{u \in N(i) \cap N(j)} h'_u\big)
              + \mathrm{xijlin}(h_i \odot h_j)\big), \qquad h' = h + \mathrm{xlin}(h)

with a learnable scalar :math:`\beta` (init 1) and :math:`h' = h` unless
``use_xlin``. The paper writes an MLP of the *concatenation*
:math:`[h_i \odot h_j \,\|\, \sum_{CN} h_u]`; the code *adds* the two branches as
above, and we follow the code. **NCNC** (official ``incn1cn1``) completes the
common neighbours with the NCN-predicted probability of each one-sided
neighbour being a missing common neighbour:

.. math::
    \textstyle\sum_{u \in CN} h'_u + \sum_{k \in N(i) \setminus N(j)} \hat p(j,k)\,h'_k
    + \sum_{k \in N(j) \setminus N(i)} \hat p(i,k)\,h'_k,
    \qquad \hat p = \frac{\alpha\,p_t\,p_0}{p_t\,p_0 + 1 - p_0},\;
    p_0 = \sigma(\mathrm{scale}\,(\mathrm{logit} - \mathrm{offset}))

where the logit comes from the same module at ``depth - 1`` under
``torch.no_grad`` (depth 1: NCN), evaluated in memory-bounded chunks
(``split_size`` pairs, or a common-neighbour work budget ``max_cn_entries``).
``cn0`` is the GAE-style baseline ``lin(xijlin(h_i ⊙ h_j))`` through the same
interface.

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

Every link model in graphkit exposes ``encode(x, edge_index) -> h`` and
``score(h, edge_index, edge_label_index) -> logits [B]``; :class:`NCN` and
:class:`NCNC` do, so the generic loop works, but the method's own procedure
(:func:`graphkit.train.ncn_training.train_ncn`: target-link removal, separate
GNN / predictor learning rates) is what reproduces the paper.
"""

from __future__ import annotations

import warnings

import torch
from torch import Tensor, nn
from torch_geometric.nn import GCNConv

from graphkit._validation import check_edge_index
from graphkit.nn.common_neighbor_pooling import (
    cost_chunks,
    drop_entries,
    subsample_rows,
    symmetric_csr,
)
from graphkit.ops.common_neighbors import aggregate, common_neighbors
from graphkit.ops.csr import CSR
from graphkit.ops.spmm import spmm

__all__ = ["NCNEncoder", "CN0Predictor", "NCNPredictor", "NCNCPredictor", "NCN", "NCNC", "ENCODERS", "PREDICTORS"]

ENCODERS = ("puregcn", "puresum", "puremean", "gcn", "sage", "none")
PREDICTORS = ("cn0", "cn1", "incn1cn1")


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
    """PyG ``GCNConv`` on a CSR adjacency (``sage``: mean aggregation, no normalisation, as the official code)."""

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
            propagation), ``'puresum'``, ``'puremean'``, ``'gcn'`` (PyG GCNConv +
            LN + dropout + ReLU), ``'sage'`` (the official ``sage``: GCNConv with
            mean aggregation, no normalisation) or ``'none'`` (input block only).
        num_layers: number of convolutions. (default: ``1``)
        dropout: ``gnndp``: after the input Linear / embedding and in conv blocks.
        input_dropout: ``xdp``: on the raw features.
        tail_dropout: ``tdp``: after the last pure convolution.
        edge_dropout: ``gnnedp``: adjacency dropout (kept entries scaled ``1/(1-p)``).
        ln: LayerNorm in the conv blocks (non-pure convs).
        res: residual connection when shapes match.
        jk: learnable (un-normalised) weighted sum over the layers' outputs.
        num_nodes: rows of the embedding for feature-less graphs.

    Shapes: ``x [N, F]`` (or ``None`` / ignored with an embedding), ``adj`` CSR ``[N, N]`` → ``[N, hidden]``.
    """

    def __init__(self, in_channels: int, hidden_channels: int, *, conv: str = "puregcn", num_layers: int = 1,
                 dropout: float = 0.0, input_dropout: float = 0.0, tail_dropout: float = 0.0,
                 edge_dropout: float = 0.0, ln: bool = False, res: bool = False, jk: bool = False,
                 num_nodes: int | None = None):
        super().__init__()
        if conv not in ENCODERS:
            raise ValueError(f"unknown NCN encoder {conv!r}; valid: {', '.join(ENCODERS)}")
        if hidden_channels < 1:
            raise ValueError(f"hidden_channels must be >= 1, got {hidden_channels}")
        if in_channels < 0 or num_layers < 0:
            raise ValueError(f"in_channels and num_layers must be >= 0, got {in_channels}, {num_layers}")
        if in_channels == 0 and not num_nodes:
            raise ValueError("a feature-less graph (in_channels=0) needs num_nodes for the node embedding")
        for name, p in (("dropout", dropout), ("input_dropout", input_dropout), ("tail_dropout", tail_dropout),
                        ("edge_dropout", edge_dropout)):
            if not 0 <= p < 1:
                raise ValueError(f"{name} must be in [0, 1), got {p}")
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
        """
        lin = self.xemb[1] if len(self.xemb) == 3 else None
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
        vals = self.xemb[0](vals)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta state")
            xs = torch.sparse_csr_tensor(crow, col, vals, x.shape, check_invariants=False)
            out = torch.sparse.mm(xs, lin.weight.t())
        return self.xemb[2](out + lin.bias)

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


class CN0Predictor(nn.Module):
    r"""GAE-style baseline (official ``cn0``): :math:`\mathrm{lin}(\mathrm{xijlin}(h_i \odot h_j))`.

    Same MLPs and arguments as :class:`NCNPredictor` without the
    common-neighbour branch (``use_xlin`` / ``beta`` / ``cn_deg`` are accepted and unused).

    Shapes: ``h [N, F]``, ``adj`` CSR, ``edge_label_index [2, B]`` → ``[B]`` logits.
    """

    kind = "cn0"

    def __init__(self, hidden_channels: int, *, dropout: float = 0.0, edge_dropout: float = 0.0,
                 ln: bool = False, use_xlin: bool = False, tailact: bool = False, twolayerlin: bool = False,
                 beta: float = 1.0, cn_deg: int = -1, max_cn_entries: int = 1 << 22):
        super().__init__()
        h = hidden_channels
        if h < 1:
            raise ValueError(f"hidden_channels must be >= 1, got {h}")
        for name, p in (("dropout", dropout), ("edge_dropout", edge_dropout)):
            if not 0 <= p < 1:
                raise ValueError(f"{name} must be in [0, 1), got {p}")
        self.hidden_channels, self.dropout_p, self.edge_dropout = h, dropout, edge_dropout
        self.use_xlin, self.tailact, self.twolayerlin, self.ln = use_xlin, tailact, twolayerlin, ln
        self.cn_deg, self.max_cn_entries = cn_deg, max_cn_entries
        self.beta = nn.Parameter(torch.full((1,), float(beta)))
        self._beta_init = float(beta)
        d = dropout
        self.xlin = nn.Sequential(nn.Linear(h, h), nn.Dropout(d), nn.ReLU(), nn.Linear(h, h), _ln(h, ln),
                                  nn.Dropout(d), nn.ReLU()) if use_xlin else None
        self.xcnlin = nn.Sequential(nn.Linear(h, h), nn.Dropout(d), nn.ReLU(), nn.Linear(h, h), _ln(h, ln),
                                    nn.Dropout(d), nn.ReLU(), nn.Identity() if tailact else nn.Linear(h, h))
        self.xijlin = nn.Sequential(nn.Linear(h, h), _ln(h, ln), nn.Dropout(d), nn.ReLU(),
                                    nn.Identity() if tailact else nn.Linear(h, h))
        two = [nn.Linear(h, h), _ln(h, ln), nn.Dropout(d), nn.ReLU()] if twolayerlin else []
        self.lin = nn.Sequential(nn.Linear(h, h), _ln(h, ln), nn.Dropout(d), nn.ReLU(), *two, nn.Linear(h, 1))

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
                f"tailact={self.tailact}, twolayerlin={self.twolayerlin}, cn_deg={self.cn_deg}")


class NCNPredictor(CN0Predictor):
    r"""NCN (official ``cn1``, ``CNLinkPredictor``): see the module docstring.

    Args:
        hidden_channels: embedding size of ``h`` (and of every MLP).
        dropout: ``predp``. edge_dropout: ``preedp`` (drops CN-graph entries).
        ln: ``lnnn`` (LayerNorm in the MLPs). use_xlin: ``h' = h + xlin(h)``.
        tailact: drop the final Linear of xcnlin / xijlin. twolayerlin: 3-layer lin.
        beta: initial value of the learnable CN weight.
        cn_deg: sample at most this many common neighbours per pair (``-1``: all).
        max_cn_entries: work budget (gathered neighbour entries) per chunk of
            completion pairs (NCNC) when ``split_size`` is not given.
    """

    kind = "cn1"

    def _transform(self, x: Tensor) -> Tensor:
        return x if self.xlin is None else x + self.xlin(x)

    def _pool(self, x: Tensor, sets: CSR) -> Tensor:
        r"""``Σ_{u in set} w_u (x_u + xlin(x_u))`` with xlin evaluated only on the member rows.

        Same value as transforming all ``N`` rows first (the official code), and
        the same distribution under dropout (row-wise i.i.d. masks), at the cost
        of the members instead of ``N``.
        """
        if self.xlin is None or sets.nnz == 0:
            return aggregate(sets, x) if self.xlin is None else x.new_zeros(sets.num_rows, x.size(1))
        # the member nodes and their new ids: torch.unique without its sort (ids are < N)
        used = torch.zeros(x.size(0), dtype=torch.bool, device=x.device)
        used[sets.col] = True
        rows = used.nonzero().squeeze(1)
        col = (torch.cumsum(used, 0) - 1).index_select(0, sets.col)
        xs = self._transform(x.index_select(0, rows))
        return aggregate(CSR(sets.rowptr, col, sets.value, sets.num_rows, rows.numel()), xs)

    def _cn_features(self, x: Tensor, adj: CSR, tar: Tensor, depth: int) -> Tensor:
        sets = common_neighbors(adj.with_value(None), tar)
        return self._pool(x, subsample_rows(sets.common, self.cn_deg))

    def _forward(self, x: Tensor, adj: CSR, tar: Tensor, depth: int) -> Tensor:
        if self.training:
            adj = drop_entries(adj, self.edge_dropout)
        xij = x[tar[0]] * x[tar[1]]  # before xlin, as the official code
        xcn = self._cn_features(x, adj, tar, depth)
        return self.lin(self.xcnlin(xcn) * self.beta + self.xijlin(xij)).squeeze(-1)


class NCNCPredictor(NCNPredictor):
    r"""NCNC (official ``incn1cn1``, ``IncompleteCN1Predictor``): NCN with common-neighbour completion.

    Args (besides :class:`NCNPredictor`'s):
        alpha, scale, offset, pt: calibration ``p̂ = α·pt·p0/(pt·p0 + 1 − p0)``,
            ``p0 = σ(scale·(logit − offset))`` (``--alpha``, ``--probscale``,
            ``--proboffset``, ``--pt``). (defaults: 1, 5, 3, 0.5 as the official flags)
        learn_pt: replace ``pt`` by ``σ(MLP(h_i ⊙ h_j))`` (``--learnpt``).
        depth: completion depth; 1 is NCNC, 2 NCNC2 (recursive). (default: ``1``)
        split_size: completion pairs per no-grad NCN call (``--splitsize``);
            ``None``/``-1``: chunks bounded by ``max_cn_entries`` instead.
        train_res_deg, test_res_deg: sample at most this many one-sided
            neighbours per pair in training / evaluation (``--trndeg`` /
            ``--tstdeg``; ``-1``: all).
    """

    kind = "incn1cn1"

    def __init__(self, hidden_channels: int, *, alpha: float = 1.0, scale: float = 5.0, offset: float = 3.0,
                 pt: float = 0.5, learn_pt: bool = False, depth: int = 1, split_size: int | None = None,
                 train_res_deg: int = -1, test_res_deg: int = -1, **kwargs):
        super().__init__(hidden_channels, **kwargs)
        if depth < 0:
            raise ValueError(f"depth must be >= 0, got {depth}")
        if not 0 <= pt <= 1:
            raise ValueError(f"pt must be in [0, 1], got {pt}")
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


_PREDICTOR_CLASSES = {"cn0": CN0Predictor, "cn1": NCNPredictor, "incn1cn1": NCNCPredictor}


# -------------------------------------------------------------------------------------- full models


class NCN(nn.Module):
    r"""NCN link predictor: :class:`NCNEncoder` + :class:`NCNPredictor` in one object.

    Args:
        in_channels: node feature size (``0``: feature-less, needs ``num_nodes``).
        hidden_channels: embedding / MLP size. (default: ``256``)
        encoder: ``'puregcn'`` (default), ``'puresum'``, ``'puremean'``, ``'gcn'``, ``'sage'``, ``'none'``.
        num_layers: message-passing layers. (default: ``1``)
        gnn_dropout, input_dropout, tail_dropout, gnn_edge_dropout: the official
            ``gnndp``, ``xdp``, ``tdp``, ``gnnedp``.
        ln, res, jk: encoder LayerNorm, residual, jumping knowledge.
        predictor: ``'cn1'`` (NCN, default) or ``'cn0'`` (GAE-style MLP baseline).
        predictor_dropout, predictor_edge_dropout: ``predp``, ``preedp``.
        predictor_ln: ``lnnn``. use_xlin, tailact, twolayerlin, beta, cn_deg: see :class:`NCNPredictor`.
        max_cn_entries: common-neighbour work budget per scoring chunk
            (gathered neighbour entries); bounds evaluation memory.
        check_symmetric: refuse a non-symmetric ``edge_index`` in :meth:`adjacency`.
        num_nodes: number of nodes (required without features).

    Shapes:
        - encode: ``x [N, F]`` (or ``None``), ``edge_index [2, E]`` or CSR → ``[N, hidden]``
        - score: ``h``, ``edge_index``, ``edge_label_index [2, B]`` → ``[B]`` logits
    """

    predictor_default = "cn1"

    def __init__(self, in_channels: int, hidden_channels: int = 256, *, encoder: str = "puregcn",
                 num_layers: int = 1, gnn_dropout: float = 0.0, input_dropout: float = 0.0,
                 tail_dropout: float = 0.0, gnn_edge_dropout: float = 0.0, ln: bool = False, res: bool = False,
                 jk: bool = False, predictor: str | None = None, predictor_dropout: float = 0.0,
                 predictor_edge_dropout: float = 0.0, predictor_ln: bool = False, use_xlin: bool = False,
                 tailact: bool = False, twolayerlin: bool = False, beta: float = 1.0, cn_deg: int = -1,
                 max_cn_entries: int = 1 << 22, check_symmetric: bool = True, num_nodes: int | None = None,
                 **predictor_kwargs):
        super().__init__()
        predictor = predictor or self.predictor_default
        if predictor not in _PREDICTOR_CLASSES:
            raise ValueError(f"unknown predictor {predictor!r}; valid: {', '.join(PREDICTORS)}")
        if predictor != "incn1cn1" and predictor_kwargs:
            raise TypeError(f"unexpected arguments for predictor {predictor!r}: {', '.join(predictor_kwargs)} "
                            "(completion options need NCNC)")
        self.num_nodes, self.check_symmetric = num_nodes, check_symmetric
        self.encoder = NCNEncoder(in_channels, hidden_channels, conv=encoder, num_layers=num_layers,
                                  dropout=gnn_dropout, input_dropout=input_dropout, tail_dropout=tail_dropout,
                                  edge_dropout=gnn_edge_dropout, ln=ln, res=res, jk=jk, num_nodes=num_nodes)
        self.predictor = _PREDICTOR_CLASSES[predictor](
            hidden_channels, dropout=predictor_dropout, edge_dropout=predictor_edge_dropout, ln=predictor_ln,
            use_xlin=use_xlin, tailact=tailact, twolayerlin=twolayerlin, beta=beta, cn_deg=cn_deg,
            max_cn_entries=max_cn_entries, **predictor_kwargs)
        self._cache: tuple | None = None

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

    def encode(self, x: Tensor | None, edge_index) -> Tensor:
        n = x.size(0) if x is not None and self.encoder.embedding is None else None
        return self.encoder(x, self.adjacency(edge_index, n))

    def score(self, h: Tensor, edge_index, edge_label_index: Tensor) -> Tensor:
        """Logits ``[B]``. Out of training mode the pairs are scored in chunks of bounded CN work."""
        adj = self.adjacency(edge_index, h.size(0))
        if self.training or edge_label_index.size(1) == 0:
            return self.predictor(h, adj, edge_label_index)
        check_edge_index(edge_label_index, adj.num_rows, name="edge_label_index")
        chunks = cost_chunks(edge_label_index, adj.degree(), self.predictor.max_cn_entries)
        return torch.cat([self.predictor(h, adj, edge_label_index[:, idx]) for idx in chunks])

    def forward(self, x: Tensor | None, edge_index, edge_label_index: Tensor) -> Tensor:
        return self.score(self.encode(x, edge_index), edge_index, edge_label_index)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(encoder=NCNEncoder({self.encoder.extra_repr()}), "
                f"predictor={type(self.predictor).__name__}({self.predictor.extra_repr()}))")


class NCNC(NCN):
    r"""NCNC: :class:`NCNEncoder` + :class:`NCNCPredictor` (common-neighbour completion).

    Takes :class:`NCN`'s arguments plus ``alpha``, ``scale``, ``offset``,
    ``pt``, ``learn_pt``, ``depth``, ``split_size``, ``train_res_deg``,
    ``test_res_deg`` (see :class:`NCNCPredictor`).
    """

    predictor_default = "incn1cn1"

    def __init__(self, in_channels: int, hidden_channels: int = 256, **kwargs):
        kwargs.setdefault("predictor", "incn1cn1")
        if kwargs["predictor"] != "incn1cn1":
            raise ValueError("NCNC uses the 'incn1cn1' predictor; use NCN for 'cn1' / 'cn0'")
        super().__init__(in_channels, hidden_channels, **kwargs)


# ------------------------------------------------------------------------------- registry / runner

_MODEL_KEYS = ("hidden_channels", "encoder", "num_layers", "gnn_dropout", "input_dropout", "tail_dropout",
               "gnn_edge_dropout", "ln", "res", "jk", "predictor", "predictor_dropout", "predictor_edge_dropout",
               "predictor_ln", "use_xlin", "tailact", "twolayerlin", "beta", "cn_deg", "max_cn_entries")
_NCNC_KEYS = ("alpha", "scale", "offset", "pt", "learn_pt", "depth", "split_size", "train_res_deg", "test_res_deg")


def build_from_config(cls, num_nodes: int, num_features: int, cfg: dict) -> NCN:
    """An ``NCN`` / ``NCNC`` from a runner config (keys as the constructor's arguments)."""
    keys = _MODEL_KEYS + (_NCNC_KEYS if cls is NCNC else ())
    kwargs = {k: cfg[k] for k in keys if k in cfg}
    return cls(num_features, num_nodes=num_nodes, **kwargs)


def _fit(cls):
    def fit(data, cfg: dict, *, seed: int, device, progress: bool):
        from graphkit.datasets.splits import LinkSplit, random_link_split
        from graphkit.train.ncn_training import train_ncn

        # node data sets get NCN's Planetoid protocol: a random 70/10/20 split redrawn per run, seeded by it
        split = data if isinstance(data, LinkSplit) else random_link_split(
            data, val_ratio=cfg.get("val_ratio", 0.1), test_ratio=cfg.get("test_ratio", 0.2), seed=seed)
        model = build_from_config(cls, split.num_nodes, split.num_features, cfg)
        return train_ncn(model, split, epochs=cfg["epochs"], batch_size=cfg["batch_size"], gnn_lr=cfg["gnn_lr"],
                         predictor_lr=cfg["predictor_lr"], target_link_removal=cfg.get("target_link_removal", True),
                         metric=cfg.get("metric", "hits@100"), eval_every=cfg.get("eval_every", 1),
                         grad_clip=cfg.get("grad_clip"), seed=seed, device=device, progress=progress)

    return fit


def _register() -> None:
    from graphkit.models.registry import GraphInfo, model_names, register_model

    if "ncn" in model_names():
        return
    for name, cls, desc in (("ncn", NCN, "NCN, Wang et al. ICLR 2024 (official procedure: target-link removal)"),
                            ("ncnc", NCNC, "NCNC: NCN with common-neighbour completion, Wang et al. ICLR 2024")):
        def build(info: GraphInfo, cfg: dict, cls=cls) -> nn.Module:
            return build_from_config(cls, info.num_nodes, info.num_features, cfg)

        register_model(name, task="link", description=desc, fit=_fit(cls))(build)


_register()
