r"""Row operations on node-feature matrices that are dense or ``torch.sparse_csr`` (bag-of-words input).

- :func:`l2_normalize_rows`: :math:`x_v / (\lVert x_v \rVert_2 + \epsilon)`, the layer normalisation of
  forward-forward networks (Hinton 2022; ForwardGNN's ``LayerNormalization``, :math:`\epsilon = 10^{-8}`);
- :func:`concat_columns`: ``[A | B]`` column-wise, sparse when ``A`` is; :func:`concat_rows`: ``[A; B]``;
- :func:`normalize_row_sums`: :math:`x_v / \max(\sum_f x_{vf}, 1)` (PyG's ``NormalizeFeatures``, as
  :func:`graphkit.ops.normalize.normalize_features`), for CSR input too;
- :func:`to_sparse_rows`: a dense matrix as ``torch.sparse_csr`` (built by :class:`graphkit.ops.csr.CSR`);
- :func:`dropout_features`: dropout on a feature matrix, on the stored values only when it is CSR;
- :func:`select_rows`: ``x[index]`` for CSR input too (torch has no CSR ``index_select``);
- :func:`mse_to_features`: ``F.mse_loss(pred, x)`` against a dense or CSR target without densifying it.

A sparse CSR result feeds PyG's linear layers (``F.linear`` takes CSR input, forward and backward), so a
layer whose first operation is linear (GCN, GAT) runs on the 1–2 % of non-zero entries of a
bag-of-words matrix instead of all of them: the same numbers up to floating-point rounding.

Complexity: :math:`O(\mathrm{nnz})` time and memory for every function (``concat_columns`` stores every
entry of the dense block ``B``; ``select_rows`` is :math:`O(k + \mathrm{nnz}_{\mathrm{selected}})` for
:math:`k` rows; ``mse_to_features`` is :math:`O(N F)` for the dense prediction it reads).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from graphkit.ops.csr import CSR, sparse_csr_tensor
from graphkit.ops.normalize import normalize_features

__all__ = ["EPS", "concat_columns", "concat_rows", "dropout_features", "entry_rows", "l2_normalize_rows",
           "mse_to_features", "normalize_row_sums", "select_rows", "to_sparse_rows"]

#: added to the row norm (ForwardGNN's ``LayerNormalization``): an all-zero row stays zero.
EPS = 1e-8


def _csr_parts(x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    return x.crow_indices(), x.col_indices(), x.values()


def entry_rows(crow: Tensor) -> Tensor:
    """The row of every stored entry of a CSR matrix with row pointers ``crow`` (``[nnz]``, int64)."""
    counts = crow.diff()
    return torch.repeat_interleave(torch.arange(counts.numel(), device=crow.device), counts,
                                   output_size=int(crow[-1]))


def to_sparse_rows(x: Tensor) -> Tensor:
    """Dense ``[N, F]`` ``x`` as a ``torch.sparse_csr`` tensor with the same entries (zeros dropped).

    Example:
        >>> to_sparse_rows(torch.tensor([[0.0, 2.0], [1.0, 0.0]])).to_dense()
        tensor([[0., 2.],
                [1., 0.]])
    """
    if x.dim() != 2 or x.layout != torch.strided:
        raise ValueError(f"x must be a dense [N, F] tensor, got {tuple(x.shape)} ({x.layout})")
    rows, cols = x.nonzero(as_tuple=True)
    rowptr = torch.zeros(x.size(0) + 1, dtype=torch.long, device=x.device)
    torch.cumsum(torch.bincount(rows, minlength=x.size(0)), 0, out=rowptr[1:])
    return CSR(rowptr, cols, x[rows, cols], x.size(0), x.size(1)).to_torch_sparse(x.dtype)


def l2_normalize_rows(x: Tensor, eps: float = EPS) -> Tensor:
    r"""Every row divided by its L2 norm plus ``eps``: :math:`x_v / (\lVert x_v\rVert_2 + \epsilon)`.

    Dense input gives dense output (differentiable); ``torch.sparse_csr`` input gives a CSR tensor with
    the same pattern (for inputs that need no gradient).

    Example:
        >>> l2_normalize_rows(torch.tensor([[3.0, 4.0], [0.0, 0.0]]))
        tensor([[0.6000, 0.8000],
                [0.0000, 0.0000]])
    """
    if x.layout == torch.sparse_csr:
        crow, col, val = _csr_parts(x)
        norm = torch.zeros(x.size(0), dtype=val.dtype, device=val.device)
        rows = entry_rows(crow)
        norm.index_add_(0, rows, val * val)
        scaled = val / (norm.sqrt()[rows] + eps)
        return CSR(crow, col, scaled, x.size(0), x.size(1)).to_torch_sparse(val.dtype)
    return x / (torch.linalg.vector_norm(x, dim=1, keepdim=True) + eps)


def concat_columns(a: Tensor, b: Tensor) -> Tensor:
    """``[a | b]``: the columns of ``b`` after those of ``a`` (same rows).

    Dense ``a`` gives ``torch.cat([a, b], 1)``; ``torch.sparse_csr`` ``a`` gives a CSR tensor holding
    ``a``'s entries and every entry of the dense ``b`` (zeros included, so the pattern does not depend
    on ``b``'s values).

    Example:
        >>> a = to_sparse_rows(torch.tensor([[0.0, 2.0], [1.0, 0.0]]))
        >>> concat_columns(a, torch.tensor([[5.0], [6.0]])).to_dense()
        tensor([[0., 2., 5.],
                [1., 0., 6.]])
    """
    if a.size(0) != b.size(0):
        raise ValueError(f"row counts differ: {a.size(0)} and {b.size(0)}")
    if a.layout != torch.sparse_csr:
        return torch.cat([a, b], dim=1)
    if b.layout != torch.strided:
        raise ValueError("concat_columns: the second block must be dense")
    crow, col, val = _csr_parts(a)
    n, f, d = a.size(0), a.size(1), b.size(1)
    counts = crow.diff()
    new_crow = torch.zeros(n + 1, dtype=torch.long, device=a.device)
    torch.cumsum(counts + d, 0, out=new_crow[1:])
    rows = entry_rows(crow)
    pos_a = new_crow[:-1][rows] + (torch.arange(col.numel(), device=a.device) - crow[:-1][rows])
    pos_b = (new_crow[:-1] + counts).unsqueeze(1) + torch.arange(d, device=a.device)
    total = int(new_crow[-1])
    new_col = torch.empty(total, dtype=torch.long, device=a.device)
    new_val = torch.empty(total, dtype=val.dtype, device=a.device)
    new_col[pos_a], new_val[pos_a] = col.long(), val
    new_col[pos_b.reshape(-1)] = (f + torch.arange(d, device=a.device)).repeat(n)
    new_val[pos_b.reshape(-1)] = b.to(val.dtype).reshape(-1)
    return CSR(new_crow, new_col, new_val, n, f + d).to_torch_sparse(val.dtype)


def normalize_row_sums(x: Tensor) -> Tensor:
    r"""Rows divided by their sums, :math:`x_v / \max(\sum_f x_{vf}, 1)`: dense or CSR in, the same layout out.

    Example:
        >>> normalize_row_sums(to_sparse_rows(torch.tensor([[1.0, 3.0], [0.0, 0.5]]))).to_dense()
        tensor([[0.2500, 0.7500],
                [0.0000, 0.5000]])
    """
    if x.layout != torch.sparse_csr:
        return normalize_features(x)
    crow, col, val = _csr_parts(x)
    rows = entry_rows(crow)
    sums = torch.zeros(x.size(0), dtype=val.dtype, device=val.device).index_add_(0, rows, val)
    return CSR(crow, col, val / sums.clamp(min=1)[rows], x.size(0), x.size(1)).to_torch_sparse(val.dtype)


def concat_rows(a: Tensor, b: Tensor) -> Tensor:
    """``[a; b]``: the rows of ``b`` after those of ``a`` (same columns); CSR when ``a`` is (``b`` may be dense).

    Example:
        >>> concat_rows(to_sparse_rows(torch.tensor([[0.0, 2.0]])), torch.tensor([[5.0, 0.0]])).to_dense()
        tensor([[0., 2.],
                [5., 0.]])
    """
    if a.size(1) != b.size(1):
        raise ValueError(f"column counts differ: {a.size(1)} and {b.size(1)}")
    if a.layout != torch.sparse_csr:
        return torch.cat([a, b.to_dense() if b.layout != torch.strided else b], dim=0)
    if b.layout != torch.sparse_csr:
        b = to_sparse_rows(b)
    crow_a, col_a, val_a = _csr_parts(a)
    crow_b, col_b, val_b = _csr_parts(b)
    crow = torch.cat([crow_a.long(), crow_b[1:].long() + crow_a[-1]])
    return CSR(crow, torch.cat([col_a.long(), col_b.long()]), torch.cat([val_a, val_b.to(val_a.dtype)]),
               a.size(0) + b.size(0), a.size(1)).to_torch_sparse(val_a.dtype)


def dropout_features(x: Tensor, p: float, training: bool = True) -> Tensor:
    r"""Dropout on a feature matrix that is dense or ``torch.sparse_csr``; the same layout comes back.

    Dense ``x``: ``F.dropout(x, p, training)``. CSR ``x``: ``F.dropout`` on the stored values only, same
    pattern. Dropping a zero leaves a zero, so this is dense dropout's distribution: every entry is kept
    with probability :math:`1 - p` and then scaled by :math:`1 / (1 - p)`, zeros stay zero (the
    random stream differs: one draw per stored value instead of one per entry). A CSR result feeds a
    linear layer as a sparse product (``F.linear`` takes CSR input, forward and backward), so input
    dropout plus the first linear map cost :math:`O(\mathrm{nnz} \cdot d)` instead of :math:`O(N F d)`.

    Args:
        x: ``[N, F]`` dense or ``torch.sparse_csr`` features.
        p: drop probability in ``[0, 1)``.
        training: apply dropout (``False``: ``x`` is returned as it is).

    Example:
        >>> x = to_sparse_rows(torch.tensor([[0.0, 2.0], [1.0, 0.0]]))
        >>> dropout_features(x, 0.5, training=False) is x, dropout_features(x, 0.5).layout
        (True, torch.sparse_csr)
    """
    if not isinstance(x, Tensor):
        raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
    if not 0 <= p < 1:
        raise ValueError(f"dropout p must be in [0, 1), got {p}")
    if not training or p == 0:
        return x
    if x.layout == torch.sparse_csr:
        crow, col, val = _csr_parts(x)
        return sparse_csr_tensor(crow, col, F.dropout(val, p, True), x.shape)
    if x.layout != torch.strided:
        raise TypeError(f"dropout_features takes a dense or torch.sparse_csr tensor, got layout {x.layout}")
    return F.dropout(x, p, True)


def select_rows(x: Tensor, index: Tensor) -> Tensor:
    r"""``x[index]`` for a dense or ``torch.sparse_csr`` ``x`` (``index``: int64 ids or a bool mask over the rows).

    torch has no ``index_select`` for CSR; here the selected rows' entries are gathered in one
    vectorised pass (:math:`O(k + \mathrm{nnz}_{\mathrm{selected}})`), keeping each row's column order.

    Example:
        >>> x = to_sparse_rows(torch.tensor([[0.0, 2.0], [1.0, 0.0], [3.0, 4.0]]))
        >>> select_rows(x, torch.tensor([2, 0])).to_dense()
        tensor([[3., 4.],
                [0., 2.]])
    """
    if not isinstance(index, Tensor):
        raise TypeError(f"index must be a tensor of row ids or a bool mask, got {type(index).__name__}")
    if x.layout != torch.sparse_csr:
        return x[index]
    if index.dtype == torch.bool:
        if index.shape != (x.size(0),):
            raise ValueError(f"a bool mask needs {x.size(0)} entries (one per row), got {tuple(index.shape)}")
        index = index.nonzero().view(-1)
    index = index.to(device=x.device, dtype=torch.long).view(-1)
    if index.numel() and (int(index.min()) < -x.size(0) or int(index.max()) >= x.size(0)):
        raise IndexError(f"row ids must be in [-{x.size(0)}, {x.size(0)}), got {int(index.min())}..{int(index.max())}")
    index = index % max(x.size(0), 1)
    crow, col, val = _csr_parts(x)
    crow = crow.long()
    starts, counts = crow[index], crow[index + 1] - crow[index]
    new_crow = torch.zeros(index.numel() + 1, dtype=torch.long, device=x.device)
    torch.cumsum(counts, 0, out=new_crow[1:])
    rows = entry_rows(new_crow)
    pos = starts[rows] + torch.arange(rows.numel(), device=x.device) - new_crow[:-1][rows]
    return sparse_csr_tensor(new_crow, col.long()[pos], val[pos], (index.numel(), x.size(1)))


def mse_to_features(pred: Tensor, x: Tensor) -> Tensor:
    r"""``F.mse_loss(pred, x)`` (mean over all :math:`N F` entries) for a dense or ``torch.sparse_csr`` target ``x``.

    For CSR ``x`` the target is never densified:
    :math:`\sum_{vf} (p_{vf} - x_{vf})^2 = \sum_{vf} p_{vf}^2 - \sum_{(v,f) \in S} p_{vf}^2
    + \sum_{(v,f) \in S} (p_{vf} - x_{vf})^2` over the stored entries :math:`S` (differentiable in ``pred``).

    Example:
        >>> x = torch.tensor([[0.0, 2.0], [1.0, 0.0]])
        >>> p = torch.ones(2, 2)
        >>> bool(torch.isclose(mse_to_features(p, to_sparse_rows(x)), torch.nn.functional.mse_loss(p, x)))
        True
    """
    if pred.shape != x.shape:
        raise ValueError(f"pred has shape {tuple(pred.shape)} but the target x {tuple(x.shape)}")
    if x.layout != torch.sparse_csr:
        return F.mse_loss(pred, x)
    crow, col, val = _csr_parts(x)
    at = pred[entry_rows(crow), col.long()]
    total = pred.pow(2).sum() - at.pow(2).sum() + (at - val.to(pred.dtype)).pow(2).sum()
    return total / max(pred.numel(), 1)
