"""graphkit: faithful, fast, tested implementations of graph-learning papers on PyG."""

__version__ = "0.1.0"

from graphkit import datasets, metrics, ops  # noqa: E402

__all__ = ["__version__", "datasets", "metrics", "ops"]
