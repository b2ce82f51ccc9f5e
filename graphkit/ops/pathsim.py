r"""PathSim top-k pruning of a meta-path count matrix (Sun et al., VLDB 2011; MEOW's preprocessing).

For a meta-path :math:`\mathcal P` with path-count matrix :math:`M` (:math:`M_{ij}` = number of
path instances from :math:`i` to :math:`j`, e.g. :math:`M = R R^\top` for a symmetric path with
half-path incidence :math:`R`), PathSim is

.. math::
    s_{ij} = \frac{2 M_{ij}}{M_{ii} + M_{jj}}

and :func:`pathsim_topk` keeps, in every row :math:`i`, the ``k`` stored entries with the largest
:math:`s_{ij}` (all of them when the row has at most ``k``), with their counts :math:`M_{ij}` as
values. The diagonal entry scores :math:`s_{ii} = 1`, the largest possible value for a count
matrix (:math:`M_{ij} \le \sqrt{M_{ii} M_{jj}} \le (M_{ii} + M_{jj})/2`); ties are broken in
favour of the diagonal, then of the smaller column id, so a node always keeps itself and the
result is deterministic. The result
is row-wise and therefore not symmetric.

MEOW's official code (``pathsim`` in ``module/preprocess.py``) builds the dense :math:`N \times N`
score matrix and arg-sorts every row (ties in arbitrary order); here only the stored entries are
scored, row block by row block.

Complexity: :math:`O(E \log E)` time for the sorts, memory :math:`O(N + \text{chunk})` beyond the
input and output, where ``chunk_entries`` bounds the entries sorted at once (whole rows at a time).
"""

from __future__ import annotations

import torch
from torch import Tensor

from graphkit._validation import check_edge_index, check_edge_weight, check_int, check_num_nodes

__all__ = ["pathsim_scores", "pathsim_topk"]

_CHUNK_ENTRIES = 1 << 24


def _coalesced(edge_index: Tensor, edge_weight: Tensor | None, num_nodes: int) -> tuple[Tensor, Tensor]:
    """Entries sorted by (row, col), duplicates summed; float64 values."""
    value = (torch.ones(edge_index.size(1), dtype=torch.float64, device=edge_index.device)
             if edge_weight is None else edge_weight.to(torch.float64))
    if edge_index.size(1) == 0:
        return edge_index, value
    coo = torch.sparse_coo_tensor(edge_index, value, (num_nodes, num_nodes), check_invariants=False).coalesce()
    return coo.indices(), coo.values()


def pathsim_scores(edge_index: Tensor, edge_weight: Tensor | None, num_nodes: int) -> tuple[Tensor, Tensor, Tensor]:
    """``(edge_index, counts, scores)``: the coalesced entries of :math:`M` and their PathSim :math:`s_{ij}`.

    Args:
        edge_index: ``[2, E]`` stored pairs :math:`(i, j)` of the count matrix.
        edge_weight: ``[E]`` path counts :math:`M_{ij}` (``None``: all ones, a boolean meta-path).
        num_nodes: :math:`N`.

    Raises:
        ValueError: negative counts, or a stored pair whose :math:`M_{ii} + M_{jj}` is 0 (a count
            matrix always stores the diagonal of every node that has a path).
    """
    num_nodes = check_num_nodes(num_nodes)
    check_edge_index(edge_index, num_nodes)
    check_edge_weight(edge_weight, edge_index.size(1))
    index, value = _coalesced(edge_index, edge_weight, num_nodes)
    if value.numel() and bool((value < 0).any()):
        raise ValueError("meta-path counts (edge_weight) must be non-negative")
    row, col = index
    diag = torch.zeros(num_nodes, dtype=torch.float64, device=index.device)
    loop = row == col
    diag[row[loop]] = value[loop]
    denom = diag[row] + diag[col]
    bad = (denom <= 0) & (value > 0)
    if bool(bad.any()):
        i = int(row[bad][0])
        raise ValueError(f"PathSim needs the diagonal counts M_ii: pair ({i}, {int(col[bad][0])}) has a path but "
                         f"M_ii + M_jj = 0; pass the full count matrix (e.g. R @ R.T), diagonal included")
    score = torch.where(value > 0, 2 * value / denom.clamp_min(1e-300), torch.zeros_like(value))
    return index, value, score


def pathsim_topk(edge_index: Tensor, edge_weight: Tensor | None, num_nodes: int, k: int, *,
                 chunk_entries: int = _CHUNK_ENTRIES) -> tuple[Tensor, Tensor]:
    r"""Keep each row's ``k`` highest-PathSim entries of a meta-path count matrix (see the module doc).

    Args:
        edge_index: ``[2, E]`` stored pairs of :math:`M` (duplicates are summed).
        edge_weight: ``[E]`` path counts (``None``: all ones).
        num_nodes: :math:`N`.
        k: entries kept per row (``>= 1``; a row with at most ``k`` entries keeps them all, so
            ``k >= N`` keeps everything).
        chunk_entries: most entries sorted at once (whole rows; a row longer than this is one block).

    Returns:
        ``(edge_index [2, E'], counts [E'])`` sorted by ``(row, col)``, float64 counts.

    Example:
        >>> ei = torch.tensor([[0, 0, 0, 1, 1, 2, 2], [0, 1, 2, 0, 1, 0, 2]])
        >>> w = torch.tensor([4., 1., 2., 1., 1., 2., 2.])
        >>> index, counts = pathsim_topk(ei, w, 3, 2)
        >>> index.tolist(), counts.tolist()
        ([[0, 0, 1, 1, 2, 2], [0, 2, 0, 1, 0, 2]], [4.0, 2.0, 1.0, 1.0, 2.0, 2.0])
    """
    k = check_int("k", k, minimum=1)
    chunk_entries = check_int("chunk_entries", chunk_entries, minimum=1)
    index, value, score = pathsim_scores(edge_index, edge_weight, num_nodes)
    row = index[0]
    device = index.device
    rowptr = torch.zeros(num_nodes + 1, dtype=torch.long, device=device)
    torch.cumsum(torch.bincount(row, minlength=num_nodes), 0, out=rowptr[1:])
    keep_parts = []
    start_row = 0
    ptr = rowptr.tolist() if num_nodes else [0]
    while start_row < num_nodes:
        # the largest block of whole rows with at most chunk_entries entries (at least one row)
        stop_row = int(torch.searchsorted(rowptr, ptr[start_row] + chunk_entries, right=True)) - 1
        stop_row = min(max(stop_row, start_row + 1), num_nodes)
        lo, hi = ptr[start_row], ptr[stop_row]
        if hi > lo:
            r, s = row[lo:hi], score[lo:hi]
            # entries are (row, col)-sorted: stable sorts by "off the diagonal", -score, then row give
            # (row asc, score desc, diagonal first, col asc)
            off_diag = (r != index[1, lo:hi]).to(torch.int8)
            order = torch.sort(off_diag, stable=True).indices
            order = order[torch.sort(-s[order], stable=True).indices]
            order = order[torch.sort(r[order], stable=True).indices]
            rank = torch.arange(hi - lo, device=device) - (rowptr[r[order]] - lo)
            keep_parts.append(order[rank < k].sort().values + lo)
        start_row = stop_row
    keep = torch.cat(keep_parts) if keep_parts else torch.zeros(0, dtype=torch.long, device=device)
    return index[:, keep], value[keep]
