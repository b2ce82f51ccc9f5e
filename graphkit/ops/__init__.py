"""Pure tensor functions: CSR, scatter/segment reductions, sparse products, adjacency normalisation,
K-hop propagation, common-neighbour sets, CSR sampling, target-link removal, connected components,
random projection, FastRP's power sum and k-nearest neighbours of feature vectors (kNN graph / hypergraph).

Every op documents its math and complexity and is tested against a dense
reference, with and without the optional accelerators.
"""

from graphkit.ops.common_neighbors import CommonNeighbors, aggregate, common_neighbors, cost_chunks
from graphkit.ops.components import connected_components, largest_component
from graphkit.ops.csr import CSR, as_csr, from_coo, select_entries, symmetric_csr
from graphkit.ops.csr_sampling import drop_entries, subsample_rows
from graphkit.ops.fastrp import fastrp_embedding
from graphkit.ops.nearest_neighbors import knn, knn_graph, knn_hypergraph
from graphkit.ops.normalize import (
    add_remaining_self_loops,
    degree_power_norm,
    normalize_features,
    row_norm,
    sym_norm,
)
from graphkit.ops.power_sum import normalized_power_sum
from graphkit.ops.propagate import HopPropagator, iter_hops, propagate_hops
from graphkit.ops.random_projection import sparse_random_projection
from graphkit.ops.scatter import REDUCTIONS, scatter, scatter_softmax, segment
from graphkit.ops.spmm import spmm
from graphkit.ops.target_link_removal import TargetLinkRemoval

__all__ = [
    "CSR", "as_csr", "from_coo", "select_entries", "symmetric_csr", "CommonNeighbors", "common_neighbors",
    "aggregate", "cost_chunks", "drop_entries", "subsample_rows", "TargetLinkRemoval",
    "connected_components", "largest_component", "REDUCTIONS", "scatter", "scatter_softmax", "segment", "spmm",
    "sym_norm", "row_norm", "degree_power_norm", "add_remaining_self_loops", "normalize_features",
    "propagate_hops", "iter_hops", "HopPropagator", "sparse_random_projection", "normalized_power_sum",
    "fastrp_embedding", "knn", "knn_graph", "knn_hypergraph",
]
