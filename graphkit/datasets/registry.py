"""The data-set registry: ``load(name, root=None, **options)`` and ``names()``.

A loader is registered with :func:`register` and receives the resolved raw
root plus the user's options. Root resolution: explicit ``root``, else
``$GRAPHKIT_DATA``, else ``~/.cache/graphkit``. Processed caches never go next
to the raw files (the raw root may be read-only): they go under
:func:`cache_dir`.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    loader: Callable[..., Any]
    task: str  # 'node', 'link', 'multilabel', 'hetero', 'hyper', 'graph'
    description: str
    synthetic: bool = False


_REGISTRY: dict[str, DatasetSpec] = {}


def register(name: str, *, task: str, description: str, synthetic: bool = False):
    """Decorator: register ``fn(root: Path, **options)`` under ``name``."""

    def wrap(fn):
        if name in _REGISTRY:
            raise ValueError(f"data set {name!r} is registered twice")
        _REGISTRY[name] = DatasetSpec(name, fn, task, description, synthetic)
        return fn

    return wrap


def names(task: str | None = None) -> list[str]:
    """Sorted names of the registered data sets, optionally of one task."""
    return sorted(n for n, s in _REGISTRY.items() if task is None or s.task == task)


def spec(name: str) -> DatasetSpec:
    """The registry entry for ``name``; unknown names raise with the valid list."""
    if not isinstance(name, str):
        raise TypeError(f"the data-set name must be a str such as 'cora' or 'csbm', got {name!r}; "
                        f"valid names: {', '.join(names())}")
    key = name.lower()
    if key not in _REGISTRY:
        close = difflib.get_close_matches(key, _REGISTRY, n=3)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise ValueError(f"unknown data set {name!r}.{hint} Valid names: {', '.join(names())}")
    return _REGISTRY[key]


def data_root(root: str | os.PathLike | None = None) -> Path:
    """Explicit ``root``, else ``$GRAPHKIT_DATA``, else ``~/.cache/graphkit``."""
    if root is not None:
        if not isinstance(root, (str, os.PathLike)):
            raise TypeError(f"root must be a path (str or os.PathLike) to the raw-data folder, got "
                            f"{type(root).__name__}")
        path = Path(root).expanduser()
        if path.exists() and not path.is_dir():
            raise ValueError(f"root={str(root)!r} is a file, not a directory; pass the folder that holds the "
                             f"data sets' raw files")
        return path
    env = os.environ.get("GRAPHKIT_DATA")
    if env:
        path = Path(env).expanduser()
        if path.exists() and not path.is_dir():
            raise ValueError(f"GRAPHKIT_DATA={env!r} is a file, not a directory; set it to the folder that holds "
                             f"the data sets' raw files")
        return path
    return Path.home() / ".cache" / "graphkit"


def cache_dir() -> Path:
    """Directory for processed caches: ``$GRAPHKIT_CACHE`` or ``~/.cache/graphkit/processed``.

    Created when missing. Raises ``ValueError`` naming the variable when the path
    (or a folder above it) is a regular file. Whether it is writable is found out
    when a cache is written (:func:`graphkit.datasets._io.cached` then warns and
    loads without caching).
    """
    env = os.environ.get("GRAPHKIT_CACHE")
    path = Path(env).expanduser() if env else Path.home() / ".cache" / "graphkit" / "processed"
    where = f"GRAPHKIT_CACHE={env!r}" if env else f"the default cache folder {str(path)!r}"
    for folder in (path, *path.parents):
        if folder.exists():
            if not folder.is_dir():
                raise ValueError(f"{where}: {str(folder)!r} is a file, not a directory; set GRAPHKIT_CACHE to a "
                                 f"writable directory for processed caches")
            break
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        pass  # read-only: cached() warns and builds without the cache
    return path


def load(name: str, root: str | os.PathLike | None = None, **options):
    """Load data set ``name`` with its standard split.

    Args:
        name: a registered name (see :func:`names`).
        root: raw-data root; defaults to ``$GRAPHKIT_DATA`` or ``~/.cache/graphkit``.
        **options: loader options such as ``split=``, ``seed=``, sizes for
            synthetic graphs. Unknown options raise ``TypeError``.
    """
    entry = spec(name)
    return entry.loader(data_root(root), **options)
