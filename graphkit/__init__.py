"""graphkit: faithful, fast, tested implementations of graph-learning papers on PyG."""

__version__ = "0.1.0"
