r"""Meta-path products: reachability chains, path counts and mean context aggregation.

A meta-path :math:`\mathcal P = t_0 \to t_1 \to \dots \to t_L` walks relations between node types.
With :math:`B_l \in \{0, 1, \dots\}^{n_{t_{l-1}} \times n_{t_l}}` the incidence (count) matrix of the
relation :math:`t_{l-1} \to t_l`, the **reachability chain** of :math:`\mathcal P` is the list of
prefix products

.. math::
    R_1 = B_1,\quad R_2 = B_1 B_2,\quad \dots,\quad R_L = B_1 B_2 \cdots B_L,

where :math:`(R_l)_{ij}` counts the path instances from target :math:`i` to the node :math:`j` of
type :math:`t_l`. :math:`R_L` is the meta-path's count matrix :math:`M` (for a symmetric path of
even length, :math:`M = R_{L/2} R_{L/2}^\top`; MEOW's and HeCo's ``<mp>.npz`` files store
:math:`M` and :math:`[M > 0]`). The intermediate :math:`R_1, \dots, R_{L-1}` are MEOW's
*meta-path contexts* (DBLP's APCPA: ``nei_ap``, ``nei_apc``, ``nei_apcp``).

:func:`mean_context` row-normalises a chain matrix, :math:`\bar R = \operatorname{diag}(R\mathbf 1)^{-1} R`
(rows without paths stay empty), so that :math:`\bar R H` is the count-weighted mean of the context
nodes' features — MEOW's ``mm(nei_index, h) / nei_index.sum(1)`` with empty rows giving 0.

All products are sparse (``torch.sparse.mm`` on COO float64 tensors: counts are exact), on the
inputs' device. Complexity: the products cost :math:`O(\sum_i \sum_{j \in R_{l-1}(i)} |B_l(j)|)`
per step, memory the number of non-zeros of each :math:`R_l`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import torch
from torch import Tensor

from graphkit.ops.csr import CSR, from_coo
from graphkit.ops.propagate import _SpmmWithTranspose

__all__ = ["incidence", "reachability_chain", "mean_context", "FixedOperator"]


def incidence(edge_index: Tensor, num_rows: int, num_cols: int, edge_weight: Tensor | None = None) -> CSR:
    """The ``[num_rows, num_cols]`` count matrix of a relation's edge list (duplicates add up), float64 values.

    Example:
        >>> incidence(torch.tensor([[0, 0, 1], [1, 1, 0]]), 2, 2).to_dense().tolist()
        [[0.0, 2.0], [1.0, 0.0]]
    """
    if edge_index.dim() != 2 or edge_index.size(0) != 2:
        raise ValueError(f"edge_index must have shape [2, E], got {list(edge_index.shape)}")
    if edge_index.numel() and (int(edge_index[0].max()) >= num_rows or int(edge_index[1].max()) >= num_cols
                               or int(edge_index.min()) < 0):
        raise ValueError(f"edge_index ids outside [0, {num_rows}) x [0, {num_cols})")
    value = (torch.ones(edge_index.size(1), dtype=torch.float64, device=edge_index.device)
             if edge_weight is None else edge_weight.to(torch.float64))
    if edge_index.size(1):
        coo = torch.sparse_coo_tensor(edge_index, value, (num_rows, num_cols), check_invariants=False).coalesce()
        edge_index, value = coo.indices(), coo.values()
    return from_coo(edge_index[0], edge_index[1], value, num_rows, num_cols)


def _to_coo(csr: CSR) -> Tensor:
    value = torch.ones(csr.nnz, dtype=torch.float64, device=csr.col.device) if csr.value is None \
        else csr.value.to(torch.float64)
    return torch.sparse_coo_tensor(torch.stack([csr.row(), csr.col]), value, (csr.num_rows, csr.num_cols),
                                   is_coalesced=True, check_invariants=False)


def _from_coo(coo: Tensor) -> CSR:
    if coo.layout != torch.sparse_coo:
        coo = coo.to_sparse_coo()
    coo = coo.coalesce()
    index, value = coo.indices(), coo.values()
    nonzero = value != 0
    return from_coo(index[0][nonzero], index[1][nonzero], value[nonzero], coo.size(0), coo.size(1))


def reachability_chain(incidences: Sequence[CSR]) -> list[CSR]:
    r"""Prefix products :math:`R_l = B_1 \cdots B_l` of a meta-path's relation count matrices (module doc).

    Args:
        incidences: :math:`B_1, \dots, B_L`; the columns of :math:`B_l` must match the rows of
            :math:`B_{l+1}`.

    Returns:
        ``[R_1, ..., R_L]`` as CSR matrices with float64 path counts (explicit zeros dropped).

    Example:
        >>> pa = incidence(torch.tensor([[0, 1, 1], [0, 0, 1]]), 2, 2)   # paper -> author
        >>> [r.to_dense().tolist() for r in reachability_chain([pa, pa.transpose()])]
        [[[1.0, 0.0], [1.0, 1.0]], [[1.0, 1.0], [1.0, 2.0]]]
    """
    if len(incidences) == 0:
        raise ValueError("a meta-path needs at least one relation")
    out = []
    current = None
    for step, b in enumerate(incidences):
        if current is not None and current.num_cols != b.num_rows:
            raise ValueError(f"relation {step} has {b.num_rows} rows but the path so far ends on "
                             f"{current.num_cols} nodes; consecutive relations must share their node type")
        if current is None:
            current = b
        else:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
                current = _from_coo(torch.sparse.mm(_to_coo(current), _to_coo(b)))
        if current.value is not None:
            current = current.with_value(current.value.to(torch.float64))
        out.append(current)
    return out


def mean_context(reach: CSR, dtype: torch.dtype = torch.float) -> CSR:
    r""":math:`\operatorname{diag}(R\mathbf 1)^{-1} R`: each row a distribution over its context nodes.

    ``spmm(mean_context(R), H)`` is the count-weighted mean of the context nodes' rows of ``H``;
    rows without any path give 0.

    Example:
        >>> r = incidence(torch.tensor([[0, 0, 0], [0, 1, 1]]), 2, 2)
        >>> mean_context(r).to_dense().tolist()
        [[0.3333333432674408, 0.6666666865348816], [0.0, 0.0]]
    """
    value = torch.ones(reach.nnz, dtype=torch.float64, device=reach.col.device) if reach.value is None \
        else reach.value.to(torch.float64)
    rowsum = reach.weighted_degree(torch.float64)
    inv = torch.where(rowsum > 0, 1.0 / rowsum.clamp_min(1e-300), torch.zeros_like(rowsum))
    return reach.with_value((value * inv.index_select(0, reach.row())).to(dtype))


class FixedOperator:
    r"""A fixed sparse matrix :math:`A` (``[n, m]``, any shape) applied as ``A @ h`` with a cheap backward.

    :math:`A` and :math:`A^\top` are built once as ``torch.sparse_csr`` tensors, so the backward
    w.r.t. ``h`` is one product :math:`A^\top g` instead of torch's transpose-and-sort of :math:`A`
    on every call (what :class:`graphkit.ops.propagate.HopPropagator` does for square operators).
    The values of :math:`A` get no gradient.

    Example:
        >>> op = FixedOperator(incidence(torch.tensor([[0, 1, 1], [0, 0, 2]]), 2, 3))
        >>> op(torch.eye(3)).tolist()
        [[1.0, 0.0, 0.0], [1.0, 0.0, 1.0]]
    """

    def __init__(self, csr: CSR):
        if not isinstance(csr, CSR):
            raise TypeError(f"FixedOperator needs a graphkit.ops.CSR, got {type(csr).__name__}")
        if csr.value is not None and csr.value.requires_grad:
            raise ValueError("FixedOperator is for fixed values; use graphkit.ops.spmm for learned ones")
        self.csr = csr
        self._a = csr.to_torch_sparse()
        self._a_t = csr.transpose().to_torch_sparse()

    @property
    def shape(self) -> tuple[int, int]:
        return self.csr.num_rows, self.csr.num_cols

    @property
    def nnz(self) -> int:
        return self.csr.nnz

    def to(self, device) -> FixedOperator:
        return self if self._a.device == torch.device(device) else FixedOperator(self.csr.to(device))

    def __call__(self, h: Tensor) -> Tensor:
        if h.dim() != 2 or h.size(0) != self.csr.num_cols:
            raise ValueError(f"h must be [{self.csr.num_cols}, F] for a [{self.csr.num_rows}, {self.csr.num_cols}] "
                             f"operator, got {list(h.shape)}")
        return _SpmmWithTranspose.apply(self._a.to(h.dtype), self._a_t.to(h.dtype), h)

    def __repr__(self) -> str:
        return f"FixedOperator(shape={list(self.shape)}, nnz={self.nnz})"
