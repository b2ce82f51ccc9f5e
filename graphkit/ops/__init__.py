"""Pure tensor functions: CSR, scatter/segment reductions, sparse products,
adjacency normalisation, K-hop propagation and common-neighbour sets.

Every op documents its math and complexity and is tested against a dense
reference, with and without the optional accelerators.
"""

from graphkit.ops.common_neighbors import CommonNeighbors, aggregate, common_neighbors
from graphkit.ops.csr import CSR, as_csr, from_coo
from graphkit.ops.normalize import add_remaining_self_loops, degree_power_norm, row_norm, sym_norm
from graphkit.ops.propagate import iter_hops, propagate_hops
from graphkit.ops.scatter import REDUCTIONS, scatter, scatter_softmax, segment
from graphkit.ops.spmm import spmm

__all__ = [
    "CSR", "as_csr", "from_coo", "CommonNeighbors", "common_neighbors", "aggregate",
    "REDUCTIONS", "scatter", "scatter_softmax", "segment", "spmm",
    "sym_norm", "row_norm", "degree_power_norm", "add_remaining_self_loops",
    "propagate_hops", "iter_hops",
]
