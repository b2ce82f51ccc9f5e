"""Weakly connected components and the largest one: the one implementation every method and loader uses.

Complexity: one pass of SciPy's union-find/BFS on CPU, :math:`O(N + E)` time and
memory; labels come back on the adjacency's device.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch
from scipy.sparse.csgraph import connected_components as _scipy_components
from torch import Tensor

from graphkit.ops.csr import CSR
from graphkit.ops.spmm import resolve_adjacency

__all__ = ["connected_components", "largest_component"]


def _scipy_matrix(adj, num_nodes: int | None) -> tuple[sp.spmatrix, torch.device]:
    if sp.issparse(adj):
        if adj.shape[0] != adj.shape[1]:
            raise ValueError(f"the adjacency must be square, got shape {adj.shape}")
        return adj, torch.device("cpu")
    csr = adj if isinstance(adj, CSR) else resolve_adjacency(adj, None, num_nodes, None)
    n = csr.num_rows
    mat = sp.csr_matrix((np.ones(csr.nnz, dtype=np.int8), csr.col.cpu().numpy(), csr.rowptr.cpu().numpy()),
                        shape=(n, n))
    return mat, csr.col.device


def connected_components(adj, num_nodes: int | None = None) -> tuple[int, Tensor]:
    """Weakly connected components: ``(num_components, labels [N] int64)``.

    ``adj`` is anything :func:`graphkit.ops.as_csr` takes, or a SciPy sparse
    matrix. Components are numbered in order of their smallest node id (node 0
    is in component 0), so the numbering is deterministic.
    """
    mat, device = _scipy_matrix(adj, num_nodes)
    n = mat.shape[0]
    if n == 0:
        return 0, torch.zeros(0, dtype=torch.long, device=device)
    count, labels = _scipy_components(mat, directed=True, connection="weak")
    labels = torch.from_numpy(labels.astype(np.int64))
    # renumber by first occurrence so the numbering is documented, not SciPy's
    first = torch.full((count,), n, dtype=torch.long).scatter_reduce_(0, labels, torch.arange(n), reduce="amin")
    rank = torch.empty(count, dtype=torch.long)
    rank[torch.argsort(first)] = torch.arange(count)
    return int(count), rank[labels].to(device)


def largest_component(adj, num_nodes: int | None = None) -> Tensor:
    """Bool mask ``[N]`` of the largest weakly connected component (ties: the one holding the smallest id)."""
    count, labels = connected_components(adj, num_nodes)
    if count == 0:
        return torch.zeros(0, dtype=torch.bool, device=labels.device)
    return labels == int(torch.bincount(labels, minlength=count).argmax())
