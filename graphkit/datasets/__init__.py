"""Data sets loaded offline from raw files, plus synthetic generators.

``load(name, root=None, **options)`` returns ready-to-use objects with their
standard splits; ``names()`` lists what is registered.
"""

from graphkit.datasets import synthetic  # noqa: F401  (registers csbm, powerlaw)
from graphkit.datasets.registry import cache_dir, data_root, load, names, register, spec
from graphkit.datasets.splits import LinkSplit, random_link_split
from graphkit.datasets.synthetic import contextual_sbm, powerlaw_graph

__all__ = [
    "load", "names", "register", "spec", "data_root", "cache_dir", "LinkSplit", "random_link_split",
    "contextual_sbm", "powerlaw_graph",
]
