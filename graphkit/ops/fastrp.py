r"""FastRP's embedding of a graph: a degree-scaled very sparse random projection, propagated.

Chen et al., *Fast and Accurate Network Embeddings via Very Sparse Random Projection*,
CIKM 2019 (https://arxiv.org/abs/1908.11512). This is the non-learned operator behind
:class:`graphkit.FastRP` (which checks parameters, reads graphs and offers the
scikit-learn interface); see :mod:`graphkit.models.fastrp` for the conventions and how
the numbers match the reference code.

With :math:`A` the (weighted) adjacency (row ``i`` = out-edges of ``i``),
:math:`d_i = \sum_j a_{ij}` the weighted out-degree and :math:`d_b = d - d_f`:

.. math::
    S = D^{-1} A, \qquad L = \operatorname{diag}(d_j^{\,\beta}), \qquad
    V_0 = \bigl[\, L R / \sqrt{d_b} \;\big|\; X W / \sqrt{d_f} \,\bigr]

.. math::
    E = \operatorname{scale}\Bigl(\alpha_0 \,\nu(V_0) + \sum_{k=1}^{q} \alpha_k\, \nu(S^k V_0)\Bigr)

* :math:`R [n, d_b]` and :math:`W [F, d_f]` are very sparse random projections
  (:func:`graphkit.ops.random_projection.sparse_random_projection`, in that order from
  one CPU generator seeded with ``seed``; :math:`R` in the input node order). Degree-0
  nodes get :math:`L_{jj} = 1` and a zero row of :math:`S`, so never NaN.
* the sum, the row normalisation :math:`\nu` and the column standardisation are
  :func:`graphkit.ops.power_sum.normalized_power_sum`.
* ``reorder`` computes in a relabelled node order (:mod:`graphkit.ops.node_order`)
  and returns rows in the input order; the output does not depend on it up to the
  summation order of the column statistics.

The first power is a sparse x sparse product when :math:`V_0` has at most one
non-zero per ``1 / _SPARSE_FIRST_POWER_DENSITY`` cells (``s >= 32``) and no feature
columns; otherwise :math:`V_0` is dense.

Complexity: :math:`O(q\, m\, d)` time for :math:`m` stored edges (the first power
:math:`O(m d / s)` when sparse), :math:`O(m + n d)` memory (two or three
:math:`n \times d` buffers, see :mod:`graphkit.ops.power_sum`); nothing
:math:`n \times n` is ever built.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor

from graphkit.ops.csr import CSR, sparse_csr_tensor
from graphkit.ops.node_order import node_order, permute_rows
from graphkit.ops.power_sum import empty_buffer, normalized_power_sum
from graphkit.ops.random_projection import resolve_sparsity, sparse_random_projection
from graphkit.ops.rows import select_rows
from graphkit.ops.scatter import segment

__all__ = ["fastrp_embedding"]

# private switch, read at call time (the scale benchmark's ablation flips it)
_SPARSE_FIRST_POWER_DENSITY = 1.0 / 32  # sparse x sparse first power when 1/s <= this


def fastrp_embedding(
    adj: CSR,
    dim: int,
    iteration_weights: Sequence[float],
    *,
    normalization_strength: float = 0.0,
    s: float | str = "sqrt",
    normalize_rows: bool = True,
    self_influence: float = 0.0,
    x: Tensor | None = None,
    feature_dim: int = 0,
    standardize: bool = True,
    reorder: str | None = None,
    seed: int | torch.Generator = 0,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
) -> Tensor:
    r"""FastRP embeddings :math:`E [n, d]` of the square adjacency ``adj`` (see the module docstring).

    Args:
        adj: square :class:`~graphkit.ops.csr.CSR` :math:`A`; ``value`` holds finite,
            non-negative edge weights or is ``None`` (every stored entry weighs 1;
            duplicates add up, self-loops are ordinary entries).
        dim: :math:`d`, the embedding dimension.
        iteration_weights: :math:`\alpha_1 .. \alpha_q`, one per power of :math:`S`.
        normalization_strength: :math:`\beta` (default 0).
        s: projection sparsity, ``'sqrt'`` (:math:`\sqrt n`; for :math:`W`,
            :math:`\sqrt F`) or a number :math:`\ge 1` (default ``'sqrt'``).
        normalize_rows: :math:`\nu` = row L2 normalisation (default ``True``).
        self_influence: :math:`\alpha_0` (default 0).
        x: node features :math:`[n, F]`, needed when ``feature_dim > 0``.
        feature_dim: :math:`d_f`, the last columns of :math:`V_0` projected from ``x``
            (default 0).
        standardize: column standardisation at the end (default ``True``).
        reorder: ``None`` / ``'none'``, ``'degree'`` or ``'rcm'``: the internal node
            order of the products (default ``None``).
        seed: an int or a CPU ``torch.Generator`` for :math:`R` (then :math:`W`).
        dtype: ``torch.float32`` (default) or ``torch.float64``.
        device: where to compute (default: ``adj``'s device).

    Returns:
        ``[n, dim]`` tensor in ``dtype`` on ``device``, rows in the input node order.

    Shapes:
        - adj: :math:`[n, n]` with :math:`m` stored entries; x: :math:`[n, F]`
        - output: :math:`[n, d]`

    Example:
        >>> import torch
        >>> from graphkit.ops.csr import as_csr
        >>> ring = torch.tensor([[0, 1, 2, 3, 1, 2, 3, 0], [1, 2, 3, 0, 0, 1, 2, 3]])
        >>> emb = fastrp_embedding(as_csr(ring, 4), 8, (1.0, 1.0), s=1, seed=0)
        >>> tuple(emb.shape), bool(torch.isfinite(emb).all())
        ((4, 8), True)
    """
    if not isinstance(adj, CSR):
        raise TypeError(f"adj must be a graphkit CSR (graphkit.ops.as_csr(edge_index, num_nodes)), got "
                        f"{type(adj).__name__}")
    n = adj.num_rows
    if adj.num_cols != n:
        raise ValueError(f"fastrp_embedding needs a square adjacency, got [{adj.num_rows}, {adj.num_cols}]")
    if not 0 <= feature_dim <= dim:
        raise ValueError(f"feature_dim must be in [0, dim={dim}], got {feature_dim}")
    if (x is None) != (feature_dim == 0):
        raise ValueError("pass node features x exactly when feature_dim > 0")
    device = adj.col.device if device is None else torch.device(device)
    rowptr, col = adj.rowptr.to(device), adj.col.to(device)
    weight = None if adj.value is None else adj.value.to(device).double()
    nnz = col.numel()
    if nnz >= 2**31 or n >= 2**31:
        raise ValueError(f"graphs with >= 2**31 nodes or stored edges are not supported (n={n}, nnz={nnz})")
    deg = rowptr.diff().double() if weight is None else segment(weight, rowptr)
    positive = deg > 0
    inv_deg = torch.where(positive, 1.0 / torch.where(positive, deg, 1.0), 0.0)
    scaling = torch.where(positive, torch.where(positive, deg, 1.0).pow(normalization_strength), 1.0)

    # ---- internal node order and the transition matrix S = D^-1 A in that order (int32 indices)
    perm = node_order(reorder, rowptr, col, deg)
    inv = None
    if perm is not None:
        inv = torch.empty(n, dtype=torch.int32, device=device)
        inv[perm] = torch.arange(n, dtype=torch.int32, device=device)
        new_rowptr, index = permute_rows(rowptr, perm)
        s_col = inv[col[index]]
        s_weight = None if weight is None else weight[index]
        del index
        rowptr_w, inv_deg_w, scaling_w = new_rowptr, inv_deg[perm], scaling[perm]
    else:
        s_col = col.to(torch.int32)
        s_weight = weight
        rowptr_w, inv_deg_w, scaling_w = rowptr, inv_deg, scaling
    counts = rowptr_w.diff()
    s_value = torch.repeat_interleave(inv_deg_w.to(dtype), counts, output_size=nnz)
    if s_weight is not None:
        s_value *= s_weight.to(dtype)
        del s_weight
    S = sparse_csr_tensor(rowptr_w, s_col, s_value, (n, n), int32=True)
    del s_col, s_value

    # ---- V_0 = [L R / sqrt(d_b) | X W / sqrt(d_f)] in the working order
    d_base = dim - feature_dim
    gen = seed if isinstance(seed, torch.Generator) else torch.Generator().manual_seed(seed)
    s_nodes = resolve_sparsity(s, n)
    R = sparse_random_projection(n, d_base, seed=gen, s=s_nodes, dtype=dtype)
    r_crow, r_col, r_val = R.crow_indices(), R.col_indices(), R.values()
    r_crow, r_col, r_val = r_crow.to(device), r_col.to(device), r_val.to(device)
    if perm is not None:
        r_crow, index = permute_rows(r_crow, perm)
        r_col, r_val = r_col[index], r_val[index]
    r_rows = CSR(r_crow, r_col, None, n, d_base).row()
    r_val = r_val * (scaling_w.to(dtype)[r_rows] / math.sqrt(max(d_base, 1)))
    if feature_dim == 0 and 1.0 / s_nodes <= _SPARSE_FIRST_POWER_DENSITY:
        v0 = sparse_csr_tensor(r_crow, r_col, r_val, (n, dim), int32=True)
    else:
        v0 = empty_buffer(n, dim, dtype, device)
        v0.zero_()
        v0.view(-1).index_put_((r_rows * dim + r_col,), r_val)
        if feature_dim > 0:
            W = sparse_random_projection(x.size(1), feature_dim, seed=gen, s=resolve_sparsity(s, x.size(1)),
                                         dtype=dtype, layout=torch.strided).to(device)
            xw = x.to(device=device, dtype=dtype)  # dense or torch.sparse_csr (a sparse x dense product)
            if perm is not None:
                xw = select_rows(xw, perm)
            v0[:, d_base:] = (xw @ W).div_(math.sqrt(feature_dim))
    del R, r_crow, r_col, r_val, r_rows

    return normalized_power_sum(S, v0, tuple(iteration_weights), self_influence=self_influence,
                                normalize=normalize_rows, standardize=standardize, inverse=inv)
