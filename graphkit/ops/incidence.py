r"""Hypergraph incidence products and the symmetric HGNN normalisation.

A hypergraph with ``N`` vertices and ``M`` hyperedges is given, as in PyG, by
``hyperedge_index [2, nnz]`` (row 0 the vertex, row 1 the hyperedge) with an
explicit ``num_hyperedges``. It stands for the incidence matrix
:math:`H \in \{0,1\}^{N \times M}`, ``H[v, e] = 1`` for every column ``(v, e)``;
a repeated column counts as a multiplicity (``H[v, e] = 2``), as a sparse COO
matrix would.

Every product here is a gather + ``index_add_`` over the ``nnz`` incidences:
``O(nnz · F)`` time and memory, never a dense ``N × M`` matrix.

* :func:`vertex_to_edge` — :math:`H^\top X`, optionally divided by the
  hyperedge size (:math:`D_e^{-1} H^\top X`, the mean over members);
* :func:`edge_to_vertex` — :math:`H \,\mathrm{diag}(w)\, Y`;
* :func:`hypergraph_degrees` — :math:`d_v = \sum_e w_e H_{ve}`,
  :math:`\delta_e = \sum_v H_{ve}`;
* :func:`hgnn_propagate` — the HGNN operator
  :math:`D_v^{-1/2} H W D_e^{-1} H^\top D_v^{-1/2} X`.

**Zero degrees.** A vertex in no hyperedge (``d_v = 0``) and an empty
hyperedge (``δ_e = 0``) get the inverse (square-root) degree 0 instead of
``inf``: an isolated vertex propagates to the zero vector, never NaN.
"""

from __future__ import annotations

import torch
from torch import Tensor

from graphkit._validation import check_int

__all__ = ["check_hyperedge_index", "edge_to_vertex", "hgnn_propagate", "hypergraph_degrees", "vertex_to_edge"]


def check_hyperedge_index(hyperedge_index: Tensor, num_nodes: int, num_hyperedges: int | None = None,
                          hyperedge_weight: Tensor | None = None) -> int:
    """Validate ``hyperedge_index [2, nnz]`` (int64, ids in range) and return ``num_hyperedges``.

    ``num_hyperedges`` defaults to ``hyperedge_index[1].max() + 1``; an explicit
    value keeps trailing empty hyperedges.
    """
    if not isinstance(hyperedge_index, Tensor):
        raise TypeError(f"hyperedge_index must be a torch.Tensor of shape [2, nnz], got "
                        f"{type(hyperedge_index).__name__}")
    if hyperedge_index.dtype != torch.long:
        raise TypeError(f"hyperedge_index must have dtype torch.int64, got {hyperedge_index.dtype}; "
                        "convert it with .long()")
    if hyperedge_index.dim() != 2 or hyperedge_index.size(0) != 2:
        raise ValueError(f"hyperedge_index must have shape [2, nnz] (row 0 vertex, row 1 hyperedge), "
                         f"got {list(hyperedge_index.shape)}")
    check_int("num_nodes", num_nodes, minimum=0)
    nnz = hyperedge_index.size(1)
    if num_hyperedges is None:
        num_hyperedges = int(hyperedge_index[1].max()) + 1 if nnz else 0
    check_int("num_hyperedges", num_hyperedges, minimum=0)
    if nnz:
        for row, bound, what in ((0, num_nodes, "vertex"), (1, num_hyperedges, "hyperedge")):
            lo, hi = int(hyperedge_index[row].min()), int(hyperedge_index[row].max())
            if lo < 0 or hi >= bound:
                limit = "num_nodes" if row == 0 else "num_hyperedges"
                raise ValueError(f"hyperedge_index row {row} holds {what} ids in [{lo}, {hi}] but they must be "
                                 f"in [0, {limit}={bound}); pass the right {limit} or remap the ids")
    if hyperedge_weight is not None:
        if not isinstance(hyperedge_weight, Tensor) or hyperedge_weight.dim() != 1:
            raise ValueError(f"hyperedge_weight must be a 1-D tensor of length num_hyperedges={num_hyperedges}")
        if hyperedge_weight.numel() != num_hyperedges:
            raise ValueError(f"hyperedge_weight has {hyperedge_weight.numel()} entries but there are "
                             f"{num_hyperedges} hyperedges")
        if not bool(torch.isfinite(hyperedge_weight).all()) or bool((hyperedge_weight < 0).any()):
            raise ValueError("hyperedge_weight must be finite and non-negative")
    return num_hyperedges


def _inv(deg: Tensor, power: float) -> Tensor:
    out = deg.pow(-power)
    return out.masked_fill(deg <= 0, 0.0)


def hypergraph_degrees(hyperedge_index: Tensor, num_nodes: int, num_hyperedges: int,
                       hyperedge_weight: Tensor | None = None, dtype: torch.dtype = torch.float32
                       ) -> tuple[Tensor, Tensor]:
    r"""``(d_v [N], δ_e [M])``: weighted vertex degree :math:`\sum_e w_e H_{ve}` and hyperedge size."""
    v, e = hyperedge_index
    device = hyperedge_index.device
    w = (torch.ones(num_hyperedges, dtype=dtype, device=device) if hyperedge_weight is None
         else hyperedge_weight.to(dtype))
    dv = torch.zeros(num_nodes, dtype=dtype, device=device).index_add_(0, v, w[e])
    de = torch.zeros(num_hyperedges, dtype=dtype, device=device).index_add_(
        0, e, torch.ones(e.numel(), dtype=dtype, device=device))
    return dv, de


def vertex_to_edge(x: Tensor, hyperedge_index: Tensor, num_hyperedges: int, *, mean: bool = False) -> Tensor:
    r""":math:`H^\top X` ``[M, F]``; with ``mean=True`` :math:`D_e^{-1} H^\top X` (empty hyperedges → 0).

    Example:
        >>> x = torch.tensor([[1.0], [3.0], [5.0]])
        >>> vertex_to_edge(x, torch.tensor([[0, 1, 2], [0, 0, 1]]), 2, mean=True).view(-1).tolist()
        [2.0, 5.0]
    """
    v, e = hyperedge_index
    out = x.new_zeros((num_hyperedges,) + tuple(x.shape[1:])).index_add_(0, e, x[v])
    if mean:
        size = torch.zeros(num_hyperedges, dtype=x.dtype, device=x.device).index_add_(
            0, e, torch.ones(e.numel(), dtype=x.dtype, device=x.device))
        out = out * _inv(size, 1.0).view(-1, *([1] * (x.dim() - 1)))
    return out


def edge_to_vertex(y: Tensor, hyperedge_index: Tensor, num_nodes: int,
                   hyperedge_weight: Tensor | None = None) -> Tensor:
    r""":math:`H\,\mathrm{diag}(w)\,Y` ``[N, F]`` for hyperedge features ``y [M, F]``."""
    v, e = hyperedge_index
    msg = y[e]
    if hyperedge_weight is not None:
        msg = msg * hyperedge_weight.to(y.dtype)[e].view(-1, *([1] * (y.dim() - 1)))
    return y.new_zeros((num_nodes,) + tuple(y.shape[1:])).index_add_(0, v, msg)


def hgnn_propagate(x: Tensor, hyperedge_index: Tensor, num_hyperedges: int | None = None,
                   hyperedge_weight: Tensor | None = None) -> Tensor:
    r"""The HGNN operator :math:`D_v^{-1/2} H W D_e^{-1} H^\top D_v^{-1/2} X` (Feng et al., AAAI'19).

    Args:
        x: ``[N, F]`` vertex features.
        hyperedge_index: ``[2, nnz]`` incidences (row 0 vertex, row 1 hyperedge).
        num_hyperedges: ``M`` (default: ``hyperedge_index[1].max() + 1``).
        hyperedge_weight: ``[M]`` non-negative weights ``w`` (default all 1).
            They enter both :math:`D_v` (:math:`d_v = \sum_e w_e H_{ve}`) and the
            messages (:math:`W`).

    Returns:
        ``[N, F]``. Cost ``O(nnz · F)``.

    Example:
        >>> # one hyperedge {0, 1}: both vertices get the mean of the two, vertex 2 (isolated) gets 0
        >>> hgnn_propagate(torch.tensor([[1.0], [3.0], [7.0]]), torch.tensor([[0, 1], [0, 0]]), 1).view(-1).tolist()
        [2.0, 2.0, 0.0]
    """
    num_nodes = x.size(0)
    num_hyperedges = check_hyperedge_index(hyperedge_index, num_nodes, num_hyperedges, hyperedge_weight)
    dv, de = hypergraph_degrees(hyperedge_index, num_nodes, num_hyperedges, hyperedge_weight, dtype=x.dtype)
    dv_is = _inv(dv, 0.5).view(-1, *([1] * (x.dim() - 1)))
    edge = vertex_to_edge(x * dv_is, hyperedge_index, num_hyperedges)
    edge = edge * _inv(de, 1.0).view(-1, *([1] * (x.dim() - 1)))
    return edge_to_vertex(edge, hyperedge_index, num_nodes, hyperedge_weight) * dv_is
