"""Pure tensor functions: CSR, scatter/segment reductions, sparse products,
adjacency normalisation, K-hop propagation and common-neighbour sets.

Every op documents its math and complexity and is tested against a dense
reference, with and without the optional accelerators.
"""

from graphkit.ops.csr import CSR, as_csr, from_coo

__all__ = ["CSR", "as_csr", "from_coo"]
