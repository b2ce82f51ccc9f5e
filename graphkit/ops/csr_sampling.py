r"""Random sub-sampling of CSR entries: edge dropout and per-row caps with reweighting.

Both are the stochastic parts of NCN / NCNC (Wang et al., *Neural Common
Neighbor with Completion for Link Prediction*, ICLR 2024,
https://arxiv.org/abs/2302.00890), written as pure functions of a
:class:`~graphkit.ops.csr.CSR`:

- :func:`drop_entries` — edge dropout (the official ``DropAdj``): each stored
  entry is kept with probability :math:`1 - p`, kept values are scaled by
  :math:`1 / (1 - p)`, so :math:`E[\tilde A] = A`.
- :func:`subsample_rows` — at most ``k`` entries per row, reweighted by
  :math:`\mathrm{rowcount} / k` (the official ``sparsesample_reweight``), so
  :math:`E[\sum_u \tilde w_{bu} x_u] = \sum_u w_{bu} x_u`. We sample *without*
  replacement, the official code *with* replacement; both are unbiased for the
  row sum.

Complexity: :func:`drop_entries` is :math:`O(\mathrm{nnz})`;
:func:`subsample_rows` is :math:`O(\mathrm{nnz} \log \mathrm{nnz})` (one sort
of the entries by row and a random key). Neither loops over rows in Python.
"""

from __future__ import annotations

import torch

from graphkit._validation import check_dropout, check_int
from graphkit.ops.csr import CSR, select_entries

__all__ = ["drop_entries", "subsample_rows"]


def drop_entries(csr: CSR, p: float, *, generator: torch.Generator | None = None) -> CSR:
    """Edge dropout: keep each stored entry with probability ``1 - p``; scale kept values by ``1/(1-p)``.

    Args:
        csr: the ``[R, C]`` matrix (``value`` ``None`` means all ones).
        p: the drop probability, in ``[0, 1)``. ``p < 1e-6`` returns ``csr``
            itself (as the official ``DropAdj``).
        generator: where the random numbers come from (default: torch's global generator).

    Returns:
        A :class:`CSR` of the same shape holding a subset of the entries, in
        their order, with values ``value / (1 - p)``. The result is generally not
        symmetric: each direction of an undirected edge is dropped on its own, as
        in the official code.
    """
    check_dropout("edge dropout p", p)
    if p < 1e-6 or csr.nnz == 0:
        return csr
    keep = torch.rand(csr.nnz, generator=generator, device=csr.col.device) > p
    if csr.value is None:
        value = torch.full((int(keep.sum()),), 1.0 / (1.0 - p), device=csr.col.device)
    else:
        value = csr.value[keep] / (1.0 - p)
    return select_entries(csr, keep, value)


def subsample_rows(sets: CSR, k: int, *, generator: torch.Generator | None = None) -> CSR:
    r"""Keep at most ``k`` random entries per row; rows with more get the weight ``rowcount / k``.

    Args:
        sets: ``[B, N]`` row sets, e.g. ``common_neighbors(...).common``.
        k: the cap; ``k <= 0`` returns ``sets`` itself.
        generator: where the random numbers come from (default: torch's global generator).

    Returns:
        A :class:`CSR` of the same shape. Rows with at most ``k`` entries keep
        all of them with weight ``1`` (times their old value); longer rows keep
        ``k`` entries drawn without replacement, each weighted
        :math:`\mathrm{rowcount} / k` (times its old value), so every row's
        expected weighted sum is unchanged.
    """
    k = check_int("k", k)
    if k <= 0 or sets.nnz == 0:
        return sets
    count = sets.degree()
    if int(count.max()) <= k:
        return sets
    row = sets.row()
    dev = sets.col.device
    rand = torch.rand(sets.nnz, generator=generator, device=dev)
    # order entries by (row, random key): row-major sort of row + rand in [0, 1)
    order = torch.argsort(row.to(torch.float64) + rand.to(torch.float64))
    rank = torch.empty_like(order)
    rank[order] = torch.arange(sets.nnz, device=dev)
    rank -= sets.rowptr[:-1].index_select(0, row)
    keep = rank < k
    weight = torch.where(count > k, count.to(torch.float) / k, torch.ones_like(count, dtype=torch.float))
    value = weight.index_select(0, row)
    if sets.value is not None:
        value = value * sets.value
    return select_entries(sets, keep, value[keep])
