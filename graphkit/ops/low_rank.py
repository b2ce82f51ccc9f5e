r"""Truncated SVD of an adjacency and GCN propagation with the rank-k matrix, never formed as N × N.

GCN-SVD (Entezari et al., WSDM 2020, "All You Need Is Low (Rank)",
https://dl.acm.org/doi/10.1145/3336191.3371789) replaces the adjacency by its
best rank-:math:`k` approximation :math:`L = U_k \Sigma_k V_k^\top` and runs a GCN on
:math:`\hat L = D^{-1/2} (L + I) D^{-1/2}`, :math:`d_i = \sum_j (L + I)_{ij}`.
DeepRobust's ``GCNSVD`` forms :math:`L` as a dense :math:`N \times N` matrix; here it
stays factored:

.. math::
    \hat L H = s \odot \big( U_k \Sigma_k (V_k^\top (s \odot H)) + s \odot H \big),
    \qquad s = d^{-1/2},\quad d = U_k \Sigma_k (V_k^\top \mathbb 1) + \mathbb 1

in :math:`O(N k F)` time and :math:`O(N k)` memory. :math:`L` may have negative
entries; a row whose sum :math:`d_i \le 0` gets :math:`s_i = 0` (DeepRobust's dense
code would produce NaN there).

The SVD is ARPACK's (``scipy.sparse.linalg.svds``, the routine DeepRobust calls)
on the sparse adjacency, in float64, with its start vector drawn from ``seed``.
For :math:`k \ge N - 1` (tests, tiny graphs) a dense SVD gives the exact matrix.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

from graphkit._validation import check_edge_index, check_int

__all__ = ["LowRankAdjacency", "low_rank_adjacency", "low_rank_propagate"]

_DENSE_SVD_NODES = 4096


class LowRankAdjacency(NamedTuple):
    r""":math:`D^{-1/2}(U \Sigma V^\top + I)D^{-1/2}` in factors: ``left = U Σ [N, k]``, ``right = V [N, k]``, ``scale = d^{-1/2} [N]``."""

    left: Tensor
    right: Tensor
    scale: Tensor

    @property
    def rank(self) -> int:
        return self.left.size(1)

    @property
    def num_nodes(self) -> int:
        return self.left.size(0)

    def to(self, device) -> LowRankAdjacency:
        return LowRankAdjacency(*(t.to(device) for t in self))

    def to_dense(self) -> Tensor:
        """The ``[N, N]`` matrix (tests and tiny graphs only)."""
        n = self.num_nodes
        full = self.left @ self.right.T + torch.eye(n, dtype=self.left.dtype, device=self.left.device)
        return self.scale[:, None] * full * self.scale[None, :]


def low_rank_adjacency(edge_index: Tensor, num_nodes: int, rank: int, *, seed: int = 0,
                       dtype: torch.dtype = torch.float) -> LowRankAdjacency:
    r"""The GCN-normalised rank-``rank`` approximation of an (unweighted) adjacency, in factors.

    Args:
        edge_index: ``[2, E]`` edges (duplicates count once).
        num_nodes: number of nodes ``N``.
        rank: ``k``, the number of singular triplets kept, ``1 <= k <= N``.
        seed: seeds ARPACK's start vector. (default: ``0``)
        dtype: dtype of the factors. (default: ``torch.float``)

    Returns:
        :class:`LowRankAdjacency`; propagate with :func:`low_rank_propagate`.

    Complexity: ARPACK on the sparse matrix, :math:`O(N k)` memory for the factors.

    Example:
        >>> ring = torch.tensor([[0, 1, 1, 2, 2, 3, 3, 0], [1, 0, 2, 1, 3, 2, 0, 3]])
        >>> low_rank_adjacency(ring, 4, 2).left.shape
        torch.Size([4, 2])
    """
    num_nodes = check_int("num_nodes", num_nodes, minimum=1)
    check_edge_index(edge_index, num_nodes)
    rank = check_int("rank", rank, minimum=1, maximum=num_nodes)
    seed = check_int("seed", seed, minimum=0)
    row, col = edge_index.cpu().numpy()
    adj = sp.csr_matrix((np.ones(row.size), (row, col)), shape=(num_nodes, num_nodes))
    adj.data[:] = 1.0  # duplicates count once
    if rank >= num_nodes - 1:
        if num_nodes > _DENSE_SVD_NODES:
            raise ValueError(f"rank={rank} needs a full SVD of a {num_nodes}-node graph; choose rank < {num_nodes - 1}")
        u, s, vt = np.linalg.svd(adj.toarray())
        u, s, vt = u[:, :rank], s[:rank], vt[:rank]
    else:
        v0 = np.random.default_rng(seed).uniform(-1, 1, num_nodes)
        u, s, vt = sp.linalg.svds(adj, k=rank, v0=v0)
    left = torch.from_numpy(u * s[None, :])
    right = torch.from_numpy(np.ascontiguousarray(vt.T))
    degree = left @ right.sum(dim=0) + 1.0
    scale = torch.where(degree > 0, degree.clamp(min=1e-300).rsqrt(), torch.zeros_like(degree))
    device = edge_index.device
    return LowRankAdjacency(left.to(device, dtype), right.to(device, dtype), scale.to(device, dtype))


def low_rank_propagate(adj: LowRankAdjacency, h: Tensor) -> Tensor:
    r""":math:`\hat L H` for a :class:`LowRankAdjacency`, in :math:`O(N k F)` (see the module doc).

    Example:
        >>> ring = torch.tensor([[0, 1, 1, 2, 2, 3, 3, 0], [1, 0, 2, 1, 3, 2, 0, 3]])
        >>> torch.allclose(low_rank_propagate(low_rank_adjacency(ring, 4, 4), torch.ones(4, 1)), torch.ones(4, 1))
        True
    """
    if not isinstance(adj, LowRankAdjacency):
        raise TypeError(f"adj must be a LowRankAdjacency (from low_rank_adjacency), got {type(adj).__name__}")
    if h.size(0) != adj.num_nodes:
        raise ValueError(f"h has {h.size(0)} rows but the adjacency has {adj.num_nodes} nodes")
    scaled = adj.scale[:, None] * h
    return adj.scale[:, None] * (adj.left @ (adj.right.T @ scaled) + scaled)
