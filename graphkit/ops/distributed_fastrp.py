r"""FastRP over several processes: the rows of :math:`S` and of the iterates partitioned across ranks.

The same embedding as :func:`graphkit.ops.fastrp.fastrp_embedding` (see there for
the math), computed by ``p`` ranks of a ``torch.distributed`` process group
(:mod:`graphkit.distributed`; ``torchrun``), each holding a contiguous block of
rows (:func:`graphkit.distributed.shard_range`: sizes differ by at most one):

* rank ``r`` holds its rows of :math:`A` (a ``[n_r, n]`` CSR, :func:`row_block`
  cuts it from a whole graph), hence its rows of :math:`S = D^{-1} A` (the
  degrees are row sums: local) and of :math:`V_0 = [L R / \sqrt{d_b} | X W / \sqrt{d_f}]`
  (every rank draws the same :math:`R` and :math:`W` from the seed, :math:`O(n d / s)`,
  and keeps its rows);
* each power :math:`N_k = S N_{k-1}`: an **all-gather** of the ``p`` row blocks of
  :math:`N_{k-1}` into one ``[n, d]`` operand, then the local SpMM
  :math:`S_r N_{k-1}` gives the rank's rows of :math:`N_k`;
* the row normalisation :math:`\nu` and the weighted sum are row-wise: local;
* the column standardisation's sums :math:`\sum (x - c)`, :math:`\sum (x - c)^2`
  and the count are all-reduced (:math:`c`: rank 0's first row, broadcast, the
  single-process shift of :class:`~graphkit.ops.column_stats.ColumnStats`).

**All-gather, not a halo exchange.** A halo exchange would send each rank only
the rows of :math:`N_{k-1}` its columns touch (memory :math:`O(m/p + n d / p)`
plus the halo), but it needs a partition with small boundaries (METIS-like) to
pay off: with the contiguous / random row blocks used here, a scale-free graph's
rank touches most of the other rows after one hop (a power-law graph with
average degree 10 and :math:`p = 8` has most nodes in some rank's halo), so the
halo is close to the all-gather, and its index bookkeeping is per-pair
``all_to_all`` traffic. The all-gather is one collective per power, regular
(NCCL / gloo's ring), and keeps memory at :math:`O(m/p + n d)` per rank: one
gathered ``[n, d]`` operand plus :math:`O(n d / p)` local buffers. A partitioner
and a halo exchange are the next step where :math:`n d` itself does not fit one
device (``benchmarks/results/scale.md`` gives the sizes).

Communication per power: each rank receives :math:`\frac{p-1}{p} n d` values
(all-gather), :math:`q` times; plus :math:`2 d` float64 and one count for the
column statistics, and :math:`d` values for the shift.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.distributed as dist
from torch import Tensor

from graphkit import distributed
from graphkit.ops.column_stats import ColumnStats
from graphkit.ops.csr import CSR, sparse_csr_tensor
from graphkit.ops.random_projection import resolve_sparsity, sparse_random_projection
from graphkit.ops.scatter import segment

__all__ = ["distributed_fastrp_embedding", "gather_rows", "row_block"]


def row_block(adj: CSR, *, rank: int | None = None, world: int | None = None) -> CSR:
    """Rank ``rank``'s contiguous block of rows of a square ``adj`` (:func:`graphkit.distributed.shard_range`),
    as a ``[n_r, n]`` CSR with its own row pointer."""
    start, stop = distributed.shard_range(adj.num_rows, rank_=rank, world=world)
    e0, e1 = int(adj.rowptr[start]), int(adj.rowptr[stop])
    value = None if adj.value is None else adj.value[e0:e1]
    return CSR(adj.rowptr[start:stop + 1] - e0, adj.col[e0:e1], value, stop - start, adj.num_cols)


def gather_rows(block: Tensor, num_rows: int) -> Tensor:
    """The ``[num_rows, d]`` matrix whose row blocks (:func:`graphkit.distributed.shard_range` order) the ranks
    hold, on every rank: one all-gather of blocks padded to the largest block (``block`` without a group)."""
    if not distributed.is_distributed():
        return block
    p = distributed.world_size()
    largest = -(-num_rows // p)
    padded = block.new_zeros((largest,) + tuple(block.shape[1:]))
    padded[: block.size(0)] = block
    out = block.new_empty((p * largest,) + tuple(block.shape[1:]))
    distributed._count("all_gather", out)
    dist.all_gather_into_tensor(out, padded)
    if num_rows % p == 0:
        return out
    sizes = [b - a for a, b in (distributed.shard_range(num_rows, rank_=r) for r in range(p))]
    return torch.cat([out[r * largest: r * largest + size] for r, size in enumerate(sizes)])


def _row_normalized(mat: Tensor, weight: float, normalize: bool) -> Tensor:
    if not normalize:
        return mat * weight
    norm = torch.linalg.vector_norm(mat, dim=1, keepdim=True)
    return mat * torch.where(norm > 0, weight / norm, torch.zeros((), dtype=mat.dtype, device=mat.device))


def distributed_fastrp_embedding(
    block: CSR,
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
    seed: int | torch.Generator = 0,
    dtype: torch.dtype = torch.float32,
    gather: bool = False,
) -> Tensor:
    r"""This rank's rows of the FastRP embedding (all rows with ``gather``), computed across the process group.

    Every rank calls it with its own block of rows of :math:`A` and the same other
    arguments. The arguments are those of :func:`graphkit.ops.fastrp.fastrp_embedding`
    (no ``reorder``: the blocks are the node order), except:

    Args:
        block: this rank's rows of :math:`A`, a ``[n_r, n]`` :class:`~graphkit.ops.csr.CSR`
            (:func:`row_block`); the rows are :func:`graphkit.distributed.shard_range`'s
            block of ``range(n)``.
        x: this rank's rows of the node features ``[n_r, F]`` when ``feature_dim > 0``.
        gather: return the whole ``[n, d]`` embedding on every rank (one more all-gather).

    Returns:
        ``[n_r, dim]`` (or ``[n, dim]``) on ``block``'s device; without a process group,
        the single-process embedding of ``block`` (then the whole square graph).

    Example:
        >>> import torch
        >>> from graphkit.ops.csr import as_csr
        >>> from graphkit.ops.fastrp import fastrp_embedding
        >>> adj = as_csr(torch.tensor([[0, 1, 1, 2, 2, 3, 3, 4, 1, 4], [1, 0, 2, 1, 3, 2, 4, 3, 4, 1]]), 5)
        >>> emb = distributed_fastrp_embedding(adj, 8, (1.0, 1.0), s=1, seed=0)  # one process: the whole graph
        >>> bool(torch.allclose(emb, fastrp_embedding(adj, 8, (1.0, 1.0), s=1, seed=0), atol=1e-5))
        True
    """
    if not isinstance(block, CSR):
        raise TypeError(f"block must be a graphkit CSR (row_block(as_csr(edge_index, n))), got {type(block).__name__}")
    n = block.num_cols
    start, stop = distributed.shard_range(n)
    if block.num_rows != stop - start:
        raise ValueError(f"rank {distributed.rank()} of {distributed.world_size()} holds rows [{start}, {stop}) of "
                         f"the {n} nodes, but block has {block.num_rows} rows; cut it with row_block(adj)")
    if not 0 <= feature_dim <= dim:
        raise ValueError(f"feature_dim must be in [0, dim={dim}], got {feature_dim}")
    if (x is None) != (feature_dim == 0):
        raise ValueError("pass node features x exactly when feature_dim > 0")
    weights = tuple(float(w) for w in iteration_weights)
    if not weights:
        raise ValueError("iteration_weights is empty; give one weight per power of S")
    device = block.col.device
    rowptr, col = block.rowptr, block.col
    weight = None if block.value is None else block.value.double()
    local = block.num_rows
    deg = rowptr.diff().double() if weight is None else segment(weight, rowptr)
    positive = deg > 0
    inv_deg = torch.where(positive, 1.0 / torch.where(positive, deg, 1.0), 0.0)
    scaling = torch.where(positive, torch.where(positive, deg, 1.0).pow(normalization_strength), 1.0)
    s_value = torch.repeat_interleave(inv_deg.to(dtype), rowptr.diff(), output_size=col.numel())
    if weight is not None:
        s_value = s_value * weight.to(dtype)
    S = sparse_csr_tensor(rowptr, col.to(torch.int32), s_value, (local, n), int32=True)

    # ---- this rank's rows of V_0 (the same R and W on every rank, drawn in fastrp_embedding's order)
    d_base = dim - feature_dim
    gen = seed if isinstance(seed, torch.Generator) else torch.Generator().manual_seed(seed)
    R = sparse_random_projection(n, d_base, seed=gen, s=resolve_sparsity(s, n), dtype=dtype)
    crow = R.crow_indices()
    e0, e1 = int(crow[start]), int(crow[stop])
    r_rows = CSR(crow[start:stop + 1] - e0, R.col_indices()[e0:e1], None, local, d_base).row()
    v0 = torch.zeros((local, dim), dtype=dtype, device=device)
    r_val = R.values()[e0:e1].to(device) * (scaling.to(dtype)[r_rows.to(device)] / math.sqrt(max(d_base, 1)))
    v0[r_rows.to(device), R.col_indices()[e0:e1].to(device)] = r_val
    if feature_dim > 0:
        W = sparse_random_projection(x.size(1), feature_dim, seed=gen, s=resolve_sparsity(s, x.size(1)),
                                     dtype=dtype, layout=torch.strided).to(device)
        v0[:, d_base:] = (x.to(device=device, dtype=dtype) @ W).div_(math.sqrt(feature_dim))
    del R

    # ---- powers: all-gather the previous iterate, multiply the local rows
    acc = _row_normalized(v0, self_influence, normalize_rows) if self_influence != 0 else torch.zeros_like(v0)
    prev = v0
    for w in weights:
        operand = gather_rows(prev, n)
        cur = torch.sparse.mm(S, operand)
        del operand
        if w != 0:
            acc += _row_normalized(cur, w, normalize_rows)
        prev = cur
    del prev

    # ---- column standardisation with the statistics of all rows
    if standardize:
        stats = ColumnStats()
        shift = acc[0].clone() if distributed.rank() == 0 and local else torch.zeros(dim, dtype=dtype, device=device)
        if distributed.is_distributed():
            dist.broadcast(shift, 0)
        stats.shift = shift
        stats.s1 = torch.zeros(dim, dtype=torch.float64, device=device)
        stats.s2 = torch.zeros_like(stats.s1)
        if local:
            stats.update(acc)
        if distributed.is_distributed():
            sums = torch.cat([stats.s1, stats.s2, torch.tensor([float(stats.count)], dtype=torch.float64,
                                                                 device=device)])
            dist.all_reduce(sums)
            stats.s1, stats.s2, stats.count = sums[:dim], sums[dim:2 * dim], int(round(float(sums[-1])))
        scale, shift = stats.affine(dtype)
        acc = torch.addcmul(shift, acc, scale)
    return gather_rows(acc, n) if gather else acc
