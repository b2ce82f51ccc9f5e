r"""Adjacency normalisation: GCN's symmetric :math:`\tilde D^{-1/2} \tilde A \tilde D^{-1/2}`,
the random-walk :math:`D^{-1} A` and the general :math:`D^{\alpha} A D^{\alpha}`.

Each function returns a :class:`graphkit.ops.CSR` whose ``value`` holds the
normalised weights (floating ``dtype``, default ``float32``), ready for
:func:`graphkit.ops.spmm` or :func:`graphkit.ops.propagate_hops`.

Conventions:

- :math:`D` is the diagonal matrix of *weighted row sums*,
  :math:`d_i = \sum_j a_{ij}` (the weighted out-degree in the convention of
  :mod:`graphkit.ops.csr`; for undirected graphs, which store both directions, it
  is the usual degree). Duplicate entries add up.
- Self-loops (``add_self_loops=True``): a weight-``1`` loop is added only to nodes
  that do not already have one; existing loops keep their weights (and, unlike
  PyG's ``add_remaining_self_loops``, duplicate loops are kept and add up rather
  than being collapsed to one).
- Degree 0 (isolated nodes, or rows whose weights sum to 0) gives zero entries:
  :math:`0^{p}` is taken as 0 for every power, so there is never NaN or inf, in
  the output or in gradients w.r.t. ``edge_weight``. Negative weighted degrees
  are rejected (their fractional powers are undefined).

All three are differentiable w.r.t. ``edge_weight``.

:func:`normalize_features` is the feature-side counterpart: rows of a feature
matrix divided by their sums (PyG's ``NormalizeFeatures``).
"""

from __future__ import annotations

import math
import numbers

import torch
from torch import Tensor

from graphkit._validation import check_features
from graphkit.ops.csr import CSR, as_csr, check_square, from_coo

__all__ = ["add_remaining_self_loops", "degree_power_norm", "normalize_features", "row_norm", "sym_norm"]


def _check_dtype(dtype) -> torch.dtype:
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating-point torch.dtype (e.g. torch.float), got {dtype!r}")
    return dtype


def _with_remaining_self_loops(csr: CSR, value: Tensor, fill_value: float) -> tuple[CSR, Tensor]:
    """Add a loop of weight ``fill_value`` to every node without one, keeping the CSR sorted.

    When the columns of every row are sorted (what :func:`graphkit.ops.csr.from_coo`
    builds), each loop is inserted at its place in O(E) without a sort: an entry moves
    by the number of loops inserted before it. Otherwise the entries are re-sorted.
    Both give the same result as a stable (row, col) sort of the entries plus the loops.
    On a 1M-node, 20M-entry power-law graph: 2.5 s against 3.4-4.6 s for the sort (2 loaded cores).
    """
    row = csr.row()
    col = csr.col
    on_diagonal = row == col
    missing = torch.ones(csr.num_rows, dtype=torch.bool, device=row.device)
    missing[row[on_diagonal]] = False
    num_missing = int(missing.sum())
    if num_missing == 0:
        return csr, value
    same_row = row[1:] == row[:-1]
    if bool((same_row & (col[1:] < col[:-1])).any()):  # unsorted rows: sort entries and loops together
        loops = missing.nonzero().view(-1)
        out = from_coo(torch.cat([row, loops]), torch.cat([col, loops]),
                       torch.cat([value, torch.full((num_missing,), fill_value, dtype=value.dtype,
                                                    device=value.device)]),
                       csr.num_rows, csr.num_cols)
        return out, out.value
    inserted = missing.long()
    before_row = torch.cumsum(inserted, 0) - inserted  # loops inserted in rows < r
    new_rowptr = csr.rowptr.clone()
    new_rowptr[:-1] += before_row
    new_rowptr[-1] += num_missing
    # an entry moves past the loops of earlier rows, and past its own row's loop if it sits right of it
    position = torch.arange(csr.nnz, device=row.device) + before_row[row]
    position += (missing[row] & (col > row)).long()
    left_of_diagonal = torch.zeros(csr.num_rows, dtype=torch.long, device=row.device)
    left_of_diagonal.index_add_(0, row, (col < row).long())
    loops = missing.nonzero().view(-1)
    loop_position = new_rowptr[loops] + left_of_diagonal[loops]
    new_col = torch.empty(csr.nnz + num_missing, dtype=col.dtype, device=col.device)
    new_value = torch.empty(csr.nnz + num_missing, dtype=value.dtype, device=value.device)
    new_col[position] = col
    new_value[position] = value
    new_col[loop_position] = loops.to(col.dtype)
    new_value[loop_position] = fill_value
    out = CSR(new_rowptr, new_col, new_value, csr.num_rows, csr.num_cols)
    return out, new_value


def _prepare(adj, num_nodes, edge_weight, add_self_loops: bool, dtype) -> tuple[CSR, Tensor]:
    dtype = _check_dtype(dtype)
    if not isinstance(add_self_loops, bool):
        raise TypeError(f"add_self_loops must be a bool, got {add_self_loops!r}")
    csr = as_csr(adj, num_nodes, edge_weight)
    check_square(csr, num_nodes)
    if csr.value is None:
        value = torch.ones(csr.nnz, dtype=dtype, device=csr.col.device)
    else:
        value = csr.value.to(dtype)
    if add_self_loops:
        csr, value = _with_remaining_self_loops(csr, value, 1.0)
    return csr, value


def _degree(csr: CSR, value: Tensor) -> Tensor:
    deg = torch.zeros(csr.num_rows, dtype=value.dtype, device=value.device)
    deg = deg.index_add_(0, csr.row(), value)
    if deg.numel() > 0 and bool((deg < 0).any()):
        bad = int((deg < 0).sum())
        raise ValueError(
            f"{bad} node(s) have a negative weighted degree; degree normalisation needs "
            f"non-negative row sums (check the signs of edge_weight)"
        )
    return deg


def _safe_pow(deg: Tensor, power: float) -> Tensor:
    """``deg ** power`` with ``0 ** power := 0``; the inner ``where`` keeps gradients finite."""
    positive = deg > 0
    safe = torch.where(positive, deg, torch.ones_like(deg))
    return torch.where(positive, safe.pow(power), torch.zeros_like(deg))


def add_remaining_self_loops(
    adj,
    num_nodes: int | None = None,
    edge_weight: Tensor | None = None,
    *,
    fill_value: float = 1.0,
    dtype: torch.dtype = torch.float,
) -> CSR:
    r""":math:`A + \operatorname{diag}(f \cdot \mathbb 1[a_{ii}\ \text{not stored}])`: add a
    loop of weight ``fill_value`` to every node that has none.

    Existing self-loops (and their weights, duplicates included) are kept as they
    are. Other entries are unchanged.

    Args:
        adj: anything :func:`graphkit.ops.csr.as_csr` accepts; must be square.
        num_nodes: number of nodes for ``edge_index`` input (default ``max id + 1``).
        edge_weight: ``[E]`` weights for ``edge_index`` input (default all ones).
        fill_value: weight of the added loops (default ``1.0``).
        dtype: floating dtype of the returned values (default ``torch.float``).

    Shapes:
        - adj: :math:`[N, N]` with :math:`E` entries
        - output: CSR :math:`[N, N]` with :math:`E + (\text{nodes without a loop})` entries

    Complexity:
        :math:`O((E + N) \log (E + N))` time (one sort), :math:`O(E + N)` memory.
    """
    if isinstance(fill_value, bool) or not isinstance(fill_value, numbers.Real) or not math.isfinite(fill_value):
        raise ValueError(f"fill_value must be a finite number, got {fill_value!r}")
    dtype = _check_dtype(dtype)
    csr = as_csr(adj, num_nodes, edge_weight)
    check_square(csr, num_nodes)
    value = torch.ones(csr.nnz, dtype=dtype, device=csr.col.device) if csr.value is None else csr.value.to(dtype)
    csr, value = _with_remaining_self_loops(csr, value, float(fill_value))
    return csr.with_value(value)


def degree_power_norm(
    adj,
    alpha: float,
    num_nodes: int | None = None,
    edge_weight: Tensor | None = None,
    *,
    add_self_loops: bool = True,
    dtype: torch.dtype = torch.float,
) -> CSR:
    r"""Two-sided degree scaling :math:`\tilde D^{\alpha} \tilde A \tilde D^{\alpha}`.

    .. math::
        \hat a_{ij} = \tilde d_i^{\,\alpha}\, \tilde a_{ij}\, \tilde d_j^{\,\alpha},
        \qquad \tilde A = A + I_{\text{missing}},\quad \tilde d_i = \sum_j \tilde a_{ij}

    where :math:`I_{\text{missing}}` adds a weight-1 loop only to nodes without one
    (see the module notes); with ``add_self_loops=False``, :math:`\tilde A = A`.
    ``alpha = -0.5`` is :func:`sym_norm`; ``alpha = 0`` returns :math:`\tilde A`
    itself (on nodes of non-zero degree). :math:`0^{\alpha}` is taken as 0.

    Args:
        adj: anything :func:`graphkit.ops.csr.as_csr` accepts; must be square.
        alpha: the degree exponent (a finite real).
        num_nodes: number of nodes for ``edge_index`` input (default ``max id + 1``).
        edge_weight: ``[E]`` weights for ``edge_index`` input (default all ones).
        add_self_loops: add the missing self-loops first (default ``True``).
        dtype: floating dtype of the values and degrees (default ``torch.float``).

    Shapes:
        - adj: :math:`[N, N]` with :math:`E` entries
        - output: CSR :math:`[N, N]`, :math:`E` entries plus the added loops

    Complexity:
        :math:`O(N + E)` time and memory, plus one :math:`O((N + E) \log (N + E))`
        sort when loops are added (or when ``adj`` is COO).
    """
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not math.isfinite(alpha):
        raise ValueError(f"alpha must be a finite real number, got {alpha!r}")
    csr, value = _prepare(adj, num_nodes, edge_weight, add_self_loops, dtype)
    scale = _safe_pow(_degree(csr, value), float(alpha))
    value = scale.index_select(0, csr.row()) * value * scale.index_select(0, csr.col)
    return csr.with_value(value)


def sym_norm(
    adj,
    num_nodes: int | None = None,
    edge_weight: Tensor | None = None,
    *,
    add_self_loops: bool = True,
    dtype: torch.dtype = torch.float,
) -> CSR:
    r"""GCN normalisation :math:`\tilde D^{-1/2} \tilde A \tilde D^{-1/2}` (Kipf & Welling, 2017).

    .. math::
        \hat a_{ij} = \frac{\tilde a_{ij}}{\sqrt{\tilde d_i \tilde d_j}},
        \qquad \tilde A = A + I_{\text{missing}},\quad \tilde d_i = \sum_j \tilde a_{ij}

    :math:`I_{\text{missing}}` adds a weight-1 self-loop only to nodes that do not
    already have one (like PyG's ``add_remaining_self_loops``, but duplicate loops
    are kept). For a symmetric :math:`\tilde A` the result is symmetric with
    spectrum in :math:`[-1, 1]`. Isolated nodes (possible only with
    ``add_self_loops=False``) get no entries, never NaN.

    Args:
        adj: anything :func:`graphkit.ops.csr.as_csr` accepts; must be square.
        num_nodes: number of nodes for ``edge_index`` input (default ``max id + 1``).
        edge_weight: ``[E]`` weights for ``edge_index`` input (default all ones).
        add_self_loops: add the missing self-loops first (default ``True``).
        dtype: floating dtype of the values and degrees (default ``torch.float``).

    Shapes:
        - adj: :math:`[N, N]` with :math:`E` entries
        - output: CSR :math:`[N, N]`, :math:`E` entries plus the added loops

    Complexity:
        :math:`O(N + E)` time and memory, plus one :math:`O((N + E) \log (N + E))`
        sort when loops are added (or when ``adj`` is COO).
    """
    return degree_power_norm(
        adj, -0.5, num_nodes, edge_weight, add_self_loops=add_self_loops, dtype=dtype
    )


def row_norm(
    adj,
    num_nodes: int | None = None,
    edge_weight: Tensor | None = None,
    *,
    add_self_loops: bool = False,
    dtype: torch.dtype = torch.float,
) -> CSR:
    r"""Random-walk (transition) normalisation :math:`D^{-1} A`.

    .. math::
        \hat a_{ij} = \frac{a_{ij}}{d_i}, \qquad d_i = \sum_j a_{ij}

    Every row with a non-zero degree sums to 1; rows of degree 0 (isolated nodes)
    stay empty / zero, never NaN. With ``add_self_loops=True`` the missing
    weight-1 loops are added first (:math:`\tilde D^{-1} \tilde A`).

    Args:
        adj: anything :func:`graphkit.ops.csr.as_csr` accepts; must be square.
        num_nodes: number of nodes for ``edge_index`` input (default ``max id + 1``).
        edge_weight: ``[E]`` weights for ``edge_index`` input (default all ones).
        add_self_loops: add the missing self-loops first (default ``False``).
        dtype: floating dtype of the values and degrees (default ``torch.float``).

    Shapes:
        - adj: :math:`[N, N]` with :math:`E` entries
        - output: CSR :math:`[N, N]`, :math:`E` entries (plus any added loops)

    Complexity:
        :math:`O(N + E)` time and memory, plus one sort when loops are added or
        ``adj`` is COO.
    """
    csr, value = _prepare(adj, num_nodes, edge_weight, add_self_loops, dtype)
    inv = _safe_pow(_degree(csr, value), -1.0)
    return csr.with_value(inv.index_select(0, csr.row()) * value)


def normalize_features(x: Tensor) -> Tensor:
    r"""Feature rows divided by their sums: :math:`x_v / \max(\sum_f x_{vf}, 1)`.

    PyG's ``NormalizeFeatures`` (the preprocessing of DAGNN's official code and
    most Planetoid baselines): a bag-of-words row becomes a distribution over
    its words. Rows summing to less than 1 — all-zero rows in particular — are
    left unscaled, so there is never NaN or inf.

    Args:
        x: ``[N, F]`` floating features (non-negative for the result to be a distribution).

    Shapes:
        x and output: :math:`[N, F]`.

    Complexity:
        :math:`O(N F)` time, one new ``[N, F]`` tensor.

    Example::

        >>> import torch
        >>> normalize_features(torch.tensor([[1.0, 3.0], [0.0, 0.0]]))
        tensor([[0.2500, 0.7500],
                [0.0000, 0.0000]])
    """
    if not isinstance(x, Tensor) or x.dim() != 2:
        raise ValueError(f"x must be a [N, F] tensor, got {getattr(x, 'shape', type(x).__name__)}")
    if not x.is_floating_point():
        raise TypeError(f"x must be floating point, got {x.dtype}; convert it with x.float()")
    check_features(x)  # finite: a NaN would spread over its whole row
    return x / x.sum(dim=1, keepdim=True).clamp(min=1)
