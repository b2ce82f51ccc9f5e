"""Planetoid citation graphs: ``cora``, ``citeseer``, ``pubmed`` (Yang et al., ICML 2016).

Raw layout under the data root (the same as PyG's)::

    Planetoid/{Cora,CiteSeer,PubMed}/raw/ind.<name>.{x,tx,allx,y,ty,ally,graph,test.index}

The ``ind.*`` files are Python-2 pickles (scipy CSR features, numpy one-hot
labels, a ``defaultdict`` adjacency list); ``test.index`` is text. They are read
with graphkit's restricted unpickler (:func:`~graphkit.datasets._io.safe_pickle_load`),
which admits only numpy/scipy/builtin globals — stricter than PyG, which calls
plain ``pickle.load``.

The processing reproduces PyG's ``read_planetoid_data`` tensor for tensor
(tested against ``torch_geometric.datasets.Planetoid`` on the same files):

* nodes ``0 .. allx_rows - 1`` take the rows of ``allx``/``ally``; test node
  ``test.index[i]`` takes row ``i`` of ``tx``/``ty``. Nodes in
  ``[allx_rows, N)`` that are not in ``test.index`` (CiteSeer's 15 isolated
  nodes) get zero features and label 0, and are in no mask. ``N`` is
  ``test.index.max() + 1``;
* ``y`` is the arg-max of the one-hot label rows (the first class for an all-zero row);
* ``edge_index`` holds the adjacency-list entries exactly as listed (the
  published files list both directions, so the graph is undirected), with
  self-loops and duplicate entries removed and **no self-loops added**, sorted
  by ``(col, row)`` — PyG's ``coalesce(..., sort_by_row=False)`` order;
* the public split: train = the ``y.shape[0]`` first nodes, val = the next 500,
  test = ``test.index``.

Splits (``split=``): ``'public'`` (default); ``'full'`` (PyG: every node not in
the public val/test masks is a training node); ``'random'``
(``num_train_per_class`` per class, then ``num_val`` and ``num_test`` drawn from
the rest, seeded by ``seed``; see :func:`~graphkit.datasets.node_splits.per_class_split`).

Counts are checked against the published ones (:data:`PUBLISHED`); a mismatch
raises ``ValueError``. Files are never downloaded unless ``download=True``.
"""

from __future__ import annotations

import itertools
import os
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor
from torch_geometric.data import Data

from graphkit.datasets._io import cached, check_counts, require, safe_pickle_load
from graphkit.datasets.node_splits import csr_parts, dense_from_parts, per_class_split
from graphkit.datasets.registry import register

__all__ = ["PUBLISHED", "PlanetoidCounts", "load_planetoid", "read_planetoid", "raw_paths"]

#: Where ``download=True`` fetches the raw files from (the folder PyG downloads from too).
URL = "https://github.com/kimiyoung/planetoid/raw/master/data"
RAW_SUFFIXES = ("x", "tx", "allx", "y", "ty", "ally", "graph", "test.index")
_DIRS = {"cora": "Cora", "citeseer": "CiteSeer", "pubmed": "PubMed"}
_CACHE_VERSION = 1


@dataclass(frozen=True)
class PlanetoidCounts:
    """Published sizes of a Planetoid graph (``num_edges`` counts directed edges)."""

    num_nodes: int
    num_edges: int
    num_features: int
    num_classes: int
    num_train: int
    num_val: int
    num_test: int


#: PyG's documented statistics, reproduced by :func:`read_planetoid` on the original files.
PUBLISHED: dict[str, PlanetoidCounts] = {
    "cora": PlanetoidCounts(2708, 10556, 1433, 7, 140, 500, 1000),
    "citeseer": PlanetoidCounts(3327, 9104, 3703, 6, 120, 500, 1000),
    "pubmed": PlanetoidCounts(19717, 88648, 500, 3, 60, 500, 1000),
}


def raw_paths(root: str | Path, name: str) -> list[Path]:
    """The eight raw files of ``name`` under the data root, in ``RAW_SUFFIXES`` order."""
    name = name.lower()
    raw_dir = Path(root) / "Planetoid" / _DIRS[name] / "raw"
    return [raw_dir / f"ind.{name}.{suffix}" for suffix in RAW_SUFFIXES]


# --------------------------------------------------------------------------- reading


def _matrix(obj, path: Path, *, sparse_ok: bool) -> sp.csr_matrix | np.ndarray:
    if sparse_ok and sp.issparse(obj):
        if obj.ndim != 2:
            raise ValueError(f"{path}: expected a 2-D matrix, got shape {obj.shape}")
        return sp.csr_matrix(obj)
    if isinstance(obj, np.ndarray) and obj.ndim == 2 and obj.dtype != object:
        return obj
    kind = "a scipy sparse matrix or a 2-D numpy array" if sparse_ok else "a 2-D numpy array"
    raise ValueError(f"{path}: expected {kind}, got {type(obj).__name__} "
                     f"{getattr(obj, 'shape', '')}; the file may be corrupt")


def _read_test_index(path: Path) -> np.ndarray:
    try:
        tokens = path.read_text().split()
        index = np.array([int(t) for t in tokens], dtype=np.int64)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: expected one integer node id per line ({exc}); "
                         f"the file may be truncated or corrupt") from exc
    if index.size == 0:
        raise ValueError(f"{path}: no test node ids; the file may be truncated")
    return index


def _edge_index_from_dict(graph, num_nodes: int, path: Path) -> Tensor:
    """Adjacency list → ``[2, E]``: self-loops and repeats removed, sorted by ``(col, row)``."""
    if not isinstance(graph, dict):
        raise ValueError(f"{path}: expected a dict of adjacency lists, got {type(graph).__name__}")
    try:
        keys = np.fromiter(graph.keys(), dtype=np.int64, count=len(graph))
        lens = np.fromiter((len(v) for v in graph.values()), dtype=np.int64, count=len(graph))
        cols = np.fromiter(itertools.chain.from_iterable(graph.values()), dtype=np.int64,
                           count=int(lens.sum()))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{path}: adjacency lists must map node ids to lists of node ids ({exc})") from exc
    rows = np.repeat(keys, lens)
    if rows.size and (min(rows.min(), cols.min()) < 0 or max(rows.max(), cols.max()) >= num_nodes):
        raise ValueError(f"{path}: node ids must be in [0, {num_nodes}) (the number of nodes given by "
                         f"allx and test.index), got range [{min(rows.min(), cols.min())}, "
                         f"{max(rows.max(), cols.max())}]")
    keep = rows != cols
    key = np.unique(cols[keep] * num_nodes + rows[keep])
    return torch.from_numpy(np.stack([key % num_nodes, key // num_nodes]))


def read_planetoid(raw_dir: str | Path, prefix: str) -> dict[str, Tensor]:
    """Read ``raw_dir/ind.<prefix>.*`` into tensors, exactly as PyG's ``read_planetoid_data``.

    No count check happens here (see :func:`load_planetoid`). Returns a dict with
    ``x_crow, x_col, x_val, x_shape`` (CSR parts of the ``[N, F]`` features),
    ``y [N]``, ``num_classes`` (the label width), ``edge_index [2, E]``, ``train_index``,
    ``val_index``, ``test_index``.

    Raises:
        ValueError: a file is corrupt, truncated or inconsistent with the others.
    """
    raw_dir = Path(raw_dir)
    paths = {s: raw_dir / f"ind.{prefix.lower()}.{s}" for s in RAW_SUFFIXES}
    mats = {}
    for s in ("x", "tx", "allx", "y", "ty", "ally"):
        mats[s] = _matrix(safe_pickle_load(paths[s]), paths[s], sparse_ok=s in ("x", "tx", "allx"))
    graph = safe_pickle_load(paths["graph"])
    test_index = _read_test_index(paths["test.index"])

    for a, b in (("x", "y"), ("tx", "ty"), ("allx", "ally")):
        if mats[a].shape[0] != mats[b].shape[0]:
            raise ValueError(f"{paths[a]} has {mats[a].shape[0]} rows but {paths[b]} has "
                             f"{mats[b].shape[0]}; one of the files is corrupt")
    for group in (("x", "tx", "allx"), ("y", "ty", "ally")):
        widths = {s: mats[s].shape[1] for s in group}
        if len(set(widths.values())) != 1:
            raise ValueError(f"{raw_dir}: column counts differ between {widths}; a file is corrupt")
    if test_index.size != mats["tx"].shape[0]:
        raise ValueError(f"{paths['test.index']} lists {test_index.size} nodes but {paths['tx']} has "
                         f"{mats['tx'].shape[0]} rows; the file may be truncated")
    num_allx = mats["allx"].shape[0]
    if test_index.min() < num_allx or np.unique(test_index).size != test_index.size:
        raise ValueError(f"{paths['test.index']}: test ids must be distinct and >= {num_allx} "
                         f"(the rows of allx)")
    num_nodes = int(test_index.max()) + 1

    # features: allx rows first, tx row i at node test_index[i], zeros elsewhere
    stacked = sp.vstack([sp.csr_matrix(mats["allx"]), sp.csr_matrix(mats["tx"])], format="coo")
    to_node = np.concatenate([np.arange(num_allx, dtype=np.int64), test_index])
    x = sp.csr_matrix((stacked.data.astype(np.float32), (to_node[stacked.row], stacked.col)),
                      shape=(num_nodes, stacked.shape[1]))

    onehot = np.zeros((num_nodes, mats["ally"].shape[1]), dtype=np.float32)
    onehot[:num_allx] = mats["ally"]
    onehot[test_index] = mats["ty"]
    y = torch.from_numpy(onehot).max(dim=1)[1]

    num_train = mats["y"].shape[0]
    if num_train + 500 > num_nodes:
        raise ValueError(f"{raw_dir}: {num_train} training + 500 validation nodes exceed the {num_nodes} nodes")
    return {
        **csr_parts(x),
        "y": y,
        "num_classes": onehot.shape[1],
        "edge_index": _edge_index_from_dict(graph, num_nodes, paths["graph"]),
        "train_index": torch.arange(num_train),
        "val_index": torch.arange(num_train, num_train + 500),
        "test_index": torch.from_numpy(test_index),
    }


# --------------------------------------------------------------------------- download


def _fetch(url: str, dest: Path) -> None:
    """Download ``url`` to ``dest`` atomically (a partial download never looks complete)."""
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.part")  # private to this process
    with urllib.request.urlopen(url, timeout=60) as response, tmp.open("wb") as fh:
        while chunk := response.read(1 << 20):
            fh.write(chunk)
    tmp.replace(dest)


def _download(name: str, paths: list[Path]) -> None:
    missing = [p for p in paths if not p.is_file()]
    if not missing:
        return
    raw_dir = missing[0].parent
    try:
        raw_dir.mkdir(parents=True, exist_ok=True)
        for path in missing:
            _fetch(f"{URL}/{path.name}", path)
    except PermissionError as exc:
        raise PermissionError(
            f"data set {name!r}: cannot write the downloaded files into {raw_dir} ({exc}). "
            f"Pass a writable root= (or GRAPHKIT_DATA), or download {URL}/ind.{name}.* there yourself."
        ) from exc
    except OSError as exc:  # urllib's URLError / HTTPError / timeouts are OSErrors
        raise OSError(
            f"data set {name!r}: downloading {URL}/ind.{name}.* into {raw_dir} failed ({exc}). "
            f"Check the connection, or put the files there yourself."
        ) from exc


# --------------------------------------------------------------------------- loading


def _check_counts(name: str, data: Data, num_classes: int, expected: PlanetoidCounts) -> None:
    got = PlanetoidCounts(
        num_nodes=data.num_nodes,
        num_edges=data.edge_index.size(1),
        num_features=data.x.size(1),
        num_classes=num_classes,
        num_train=int(data.train_mask.sum()),
        num_val=int(data.val_mask.sum()),
        num_test=int(data.test_mask.sum()),
    )
    check_counts(name, got, expected)


def load_planetoid(
    root: str | Path,
    name: str,
    *,
    split: str = "public",
    seed: int = 0,
    num_train_per_class: int = 20,
    num_val: int = 500,
    num_test: int = 1000,
    download: bool = False,
    expected: PlanetoidCounts | None | bool = None,
) -> Data:
    """Load Planetoid ``name`` (``'cora'``, ``'citeseer'`` or ``'pubmed'``) from ``root``.

    Args:
        root: data root holding ``Planetoid/<Name>/raw/``.
        name: the data set.
        split: ``'public'``, ``'full'`` or ``'random'``.
        seed: seeds the ``'random'`` split (ignored otherwise).
        num_train_per_class, num_val, num_test: sizes of the ``'random'`` split.
        download: fetch missing raw files from :data:`URL` into ``root`` (which
            must then be writable). Default ``False``: missing files raise
            ``FileNotFoundError`` naming them.
        expected: the counts to check (the public-split sizes); ``None`` uses
            :data:`PUBLISHED`, ``False`` skips the check. For tests on miniature
            files and for derived versions of the files.

    Returns:
        ``Data(x [N, F] float32, edge_index [2, E] int64, y [N] int64, train_mask,
        val_mask, test_mask)``.
    """
    name = name.lower()
    if name not in _DIRS:
        raise ValueError(f"unknown Planetoid data set {name!r}; valid: {', '.join(_DIRS)}")
    if split not in ("public", "full", "random"):
        raise ValueError(f"split must be 'public', 'full' or 'random', got {split!r}")
    paths = raw_paths(root, name)
    if download:
        _download(name, paths)
    require(paths, dataset=name,
            how=f"Get them from {URL}/ind.{name}.* (the kimiyoung/planetoid 'data' folder) and put them "
                f"in {paths[0].parent}, or pass download=True.")
    parts = cached(f"planetoid-{name}", paths, lambda: read_planetoid(paths[0].parent, name),
                   version=_CACHE_VERSION)
    num_nodes = int(parts["x_shape"][0])
    x = dense_from_parts(parts)
    masks = {}
    for key in ("train", "val", "test"):
        masks[key] = torch.zeros(num_nodes, dtype=torch.bool)
        masks[key][parts[f"{key}_index"]] = True
    data = Data(x=x, edge_index=parts["edge_index"], y=parts["y"],
                train_mask=masks["train"], val_mask=masks["val"], test_mask=masks["test"])
    if expected is not False:
        counts = PUBLISHED[name] if expected is None or expected is True else expected
        _check_counts(name, data, int(parts["num_classes"]), counts)
    if split == "full":
        data.train_mask = ~(data.val_mask | data.test_mask)
    elif split == "random":
        data.train_mask, data.val_mask, data.test_mask = per_class_split(
            data.y, num_train_per_class, num_val=num_val, num_test=num_test, seed=seed)
    return data


def _register(name: str, title: str) -> None:
    counts = PUBLISHED[name]

    def loader(root: Path, *, split: str = "public", seed: int = 0, num_train_per_class: int = 20,
               num_val: int = 500, num_test: int = 1000, download: bool = False) -> Data:
        return load_planetoid(root, name, split=split, seed=seed, num_train_per_class=num_train_per_class,
                              num_val=num_val, num_test=num_test, download=download)

    loader.__name__ = loader.__qualname__ = f"load_{name}"
    loader.__doc__ = (f"{title}: {counts.num_nodes} nodes, {counts.num_edges} directed edges, "
                      f"{counts.num_features} features, {counts.num_classes} classes; public split "
                      f"{counts.num_train}/{counts.num_val}/{counts.num_test}. See :func:`load_planetoid`.")
    register(name, task="node", description=loader.__doc__.split(". See")[0])(loader)


_register("cora", "Cora citation graph (Planetoid)")
_register("citeseer", "CiteSeer citation graph (Planetoid)")
_register("pubmed", "PubMed diabetes citation graph (Planetoid)")
