"""Data sets loaded offline from raw files, plus synthetic generators.

``load(name, root=None, **options)`` returns ready-to-use objects with their
standard splits; ``names()`` lists what is registered. Importing this package
registers every loader below.
"""

from graphkit.datasets import (  # noqa: F401  (each module registers its data sets)
    attacked,
    blogcatalog,
    citation_full,
    cpf,
    digits,
    hetero_synthetic,
    heterogeneous,
    hypergraphs,
    npz_graphs,
    ogb,
    planetoid,
    synthetic,
)
from graphkit.datasets.convert import from_networkx
from graphkit.datasets.hypergraphs import graph_to_hypergraph
from graphkit.datasets.registry import cache_dir, data_root, load, names, register, spec
from graphkit.datasets.splits import LinkSplit, random_link_split
from graphkit.datasets.synthetic import contextual_sbm, powerlaw_graph

__all__ = [
    "load", "names", "register", "spec", "data_root", "cache_dir", "LinkSplit", "random_link_split",
    "contextual_sbm", "powerlaw_graph", "graph_to_hypergraph", "from_networkx",
]
