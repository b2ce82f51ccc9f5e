"""Data sets loaded offline from raw files, plus synthetic generators.

``load(name, root=None, **options)`` returns ready-to-use objects with their
standard splits; ``names()`` lists what is registered.
"""

from graphkit.datasets.registry import cache_dir, data_root, load, names, register, spec

__all__ = ["load", "names", "register", "spec", "data_root", "cache_dir"]
