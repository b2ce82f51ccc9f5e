r"""Node relabelling of a CSR adjacency: an order, and the row permutation that applies it.

A node order is a permutation ``perm`` (new position → old node id). Relabelling
an adjacency :math:`A` with it gives :math:`P A P^\top` with
:math:`P_{r,\,\mathrm{perm}[r]} = 1`: row ``r`` of the new matrix is row
``perm[r]`` of the old one (:func:`permute_rows`), and every column id ``j`` becomes
``inverse[j]`` with ``inverse[perm[r]] = r``.

Orders (:func:`node_order`):

* ``'degree'``: decreasing degree (stable, so ties keep their id order). Puts the
  rows of hub nodes, the most gathered ones in :math:`A X`, next to each other.
* ``'rcm'``: reverse Cuthill–McKee (``scipy.sparse.csgraph``), the classic
  bandwidth-reducing order.

Rows keep the order of their entries, so a product summed row by row is bit-identical
in any node order.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

__all__ = ["NODE_ORDERS", "node_order", "permute_rows"]

NODE_ORDERS = ("none", "degree", "rcm")


def node_order(method: str | None, rowptr: Tensor, col: Tensor, degree: Tensor) -> Tensor | None:
    r"""The new-to-old node permutation for ``method``, or ``None`` to keep the input order.

    Args:
        method: ``None`` or ``'none'`` (keep the order), ``'degree'`` or ``'rcm'``.
        rowptr: ``[n + 1]`` int64 row pointer of the square adjacency.
        col: ``[nnz]`` column ids (int32 or int64).
        degree: ``[n]`` node degrees (any real dtype; weighted degrees allowed),
            the sort key of ``'degree'``.

    Returns:
        ``perm [n]`` int64 on ``degree``'s device, ``perm[r]`` the old id of the
        node placed at ``r``; ``None`` for the input order or ``n <= 1``.

    Complexity:
        ``'degree'``: one stable sort, :math:`O(n \log n)`. ``'rcm'``: a breadth-first
        search per component on the CPU (scipy), :math:`O(n + \mathrm{nnz})` time
        plus sorting neighbours by degree, :math:`O(n + \mathrm{nnz})` memory.

    Example:
        >>> import torch
        >>> rowptr, col = torch.tensor([0, 1, 4, 5, 6]), torch.tensor([1, 0, 2, 3, 1, 1])
        >>> node_order("degree", rowptr, col, rowptr.diff())
        tensor([1, 0, 2, 3])
    """
    n = rowptr.numel() - 1
    if method not in NODE_ORDERS and method is not None:
        raise ValueError(f"method must be one of {', '.join(map(repr, NODE_ORDERS))} or None, got {method!r}")
    if method in (None, "none") or n <= 1:
        return None
    if method == "degree":
        return torch.sort(degree, descending=True, stable=True).indices
    from scipy.sparse.csgraph import reverse_cuthill_mckee

    pattern = sp.csr_matrix(
        (np.ones(col.numel(), dtype=np.int8), col.cpu().numpy(), rowptr.cpu().numpy()), shape=(n, n)
    )
    order = reverse_cuthill_mckee(pattern, symmetric_mode=False).astype(np.int64)
    return torch.from_numpy(order).to(degree.device)


def permute_rows(rowptr: Tensor, perm: Tensor) -> tuple[Tensor, Tensor]:
    r"""Row permutation of a CSR: the new row pointer and, for each new entry, its old position.

    Row ``r`` of the result is row ``perm[r]`` of the input; entries keep their
    order within each row. Gather any per-entry array with the index
    (``col[index]``, ``value[index]``) to get the permuted matrix; ``perm`` may also
    select a subset of rows, or repeat rows.

    Args:
        rowptr: ``[n + 1]`` int64 row pointer.
        perm: ``[r]`` int64 old row ids in their new order.

    Returns:
        ``(new_rowptr [r + 1], index [nnz'])``, both int64 on ``rowptr``'s device.

    Complexity:
        :math:`O(n + \mathrm{nnz})` time and memory (one cumulative sum and one
        ``repeat_interleave``).

    Example:
        >>> import torch
        >>> rowptr = torch.tensor([0, 1, 4])  # row 0: 1 entry, row 1: 3 entries
        >>> permute_rows(rowptr, torch.tensor([1, 0]))
        (tensor([0, 3, 4]), tensor([1, 2, 3, 0]))
    """
    counts = rowptr.diff()[perm]
    new_rowptr = torch.zeros(perm.numel() + 1, dtype=rowptr.dtype, device=rowptr.device)
    torch.cumsum(counts, 0, out=new_rowptr[1:])
    nnz = int(new_rowptr[-1])
    # entry e of new row r sits at old position rowptr[perm[r]] + (e - new_rowptr[r])
    delta = rowptr[:-1][perm] - new_rowptr[:-1]
    index = torch.repeat_interleave(delta, counts, output_size=nnz)
    index += torch.arange(nnz, device=rowptr.device)
    return new_rowptr, index
