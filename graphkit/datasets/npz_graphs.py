"""Amazon and Coauthor co-purchase / co-authorship graphs (Shchur et al., 2018).

``amazon-computers``, ``amazon-photo``, ``coauthor-cs``, ``coauthor-physics``
are read from the re-packaged npz files of EdisonLeeeee/GraphData::

    GraphData/{amazon_cs,amazon_photo,coauthor_cs,coauthor_phy}.npz

Each holds ``adj_matrix`` and ``node_attr`` as *pickled* scipy CSR matrices
(object arrays), ``node_label`` (int32) and ``metadata`` (a dict). The object
arrays go through graphkit's restricted unpickler
(:func:`~graphkit.datasets._io.safe_np_load`), never ``allow_pickle=True``.

The tensors equal PyG's ``Amazon`` / ``Coauthor`` (``torch_geometric.io.read_npz``):

* ``x``: the ``float32`` attribute matrix **binarised** (every positive
  value set to 1, as PyG does; Coauthor's raw attributes are word counts). It is
  returned as a ``torch.sparse_csr`` tensor when under :data:`SPARSE_DENSITY`
  (5 %) of its entries are non-zero — the Coauthor graphs (CS 0.88 %, Physics
  about 0.3 %: 1.2 GB dense, about 10 MB sparse) — and dense otherwise (the
  Amazon graphs, about 35 % non-zero);
  ``sparse_features=False`` always densifies, ``True`` always keeps CSR. Every
  node model takes CSR ``x`` (the first linear layers run as sparse × dense
  products, input dropout on the stored values; DGMLP, STABLE and GCN-Jaccard
  densify it inside their procedures, with a logged reason);
* ``edge_index``: every stored entry of ``adj_matrix`` is an edge; self-loops
  are removed, both directions are added and duplicates merged, sorted by
  ``(row, col)``. The Amazon files store most edges in one direction only
  (Computers: 287,209 stored arcs → 491,722 directed edges), the Coauthor
  files are already symmetric;
* ``y``: ``node_label`` as int64.

Split (there is no public one): the per-class random split of Shchur et al. /
GLNN — ``train_per_class=20`` and ``val_per_class=30`` nodes of every class,
every other node in test, seeded by ``seed``
(:func:`~graphkit.datasets.node_splits.per_class_split`).

Counts are checked against :data:`PUBLISHED` (PyG's statistics); a mismatch
raises ``ValueError``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor
from torch_geometric.data import Data

from graphkit._validation import check_bool
from graphkit.datasets._io import cached, check_counts, require, safe_np_load
from graphkit.datasets.node_splits import csr_parts, dense_from_parts, per_class_split, sparse_from_parts
from graphkit.datasets.registry import register

__all__ = ["FILES", "PUBLISHED", "SPARSE_DENSITY", "GraphCounts", "load_npz_graph", "read_graphdata_npz"]

#: Public source of the files (``download`` is not automatic: fetch them from here).
URL = "https://github.com/EdisonLeeeee/GraphData/raw/master/datasets"
#: Registered name → file name under ``GraphData/``.
FILES = {
    "amazon-computers": "amazon_cs.npz",
    "amazon-photo": "amazon_photo.npz",
    "coauthor-cs": "coauthor_cs.npz",
    "coauthor-physics": "coauthor_phy.npz",
}
_CACHE_VERSION = 1
#: ``x`` stays ``torch.sparse_csr`` by default when fewer than this share of its entries are non-zero.
SPARSE_DENSITY = 0.05


@dataclass(frozen=True)
class GraphCounts:
    """Sizes of a graph; ``num_edges`` counts directed edges (both directions)."""

    num_nodes: int
    num_edges: int
    num_features: int
    num_classes: int


#: PyG's ``Amazon`` / ``Coauthor`` statistics, reproduced from the GraphData files.
PUBLISHED: dict[str, GraphCounts] = {
    "amazon-computers": GraphCounts(13752, 491722, 767, 10),
    "amazon-photo": GraphCounts(7650, 238162, 745, 8),
    "coauthor-cs": GraphCounts(18333, 163788, 6805, 15),
    "coauthor-physics": GraphCounts(34493, 495924, 8415, 5),
}


def _object(arrays: dict, key: str, path: Path):
    if key not in arrays:
        raise ValueError(f"{path}: no array {key!r} (found {sorted(arrays)}); not a GraphData npz file")
    value = arrays[key]
    if isinstance(value, np.ndarray) and value.dtype == object and value.shape == ():
        value = value.item()
    return value


def read_graphdata_npz(path: str | Path) -> dict[str, Tensor]:
    """Read one GraphData npz into tensors, as PyG's ``read_npz`` would build them.

    Returns a dict with the CSR parts of the binarised features (``x_*``, see
    :func:`~graphkit.datasets.node_splits.csr_parts`), ``edge_index [2, E]`` and ``y [N]``.
    No count check happens here.

    Raises:
        ValueError: the file is corrupt, truncated or has the wrong schema.
    """
    path = Path(path)
    arrays = safe_np_load(path)
    if not isinstance(arrays, dict):
        raise ValueError(f"{path}: expected an .npz archive, got a single array")
    adj = _object(arrays, "adj_matrix", path)
    attr = _object(arrays, "node_attr", path)
    labels = _object(arrays, "node_label", path)
    if not sp.issparse(adj) or adj.ndim != 2 or adj.shape[0] != adj.shape[1]:
        raise ValueError(f"{path}: adj_matrix must be a square scipy sparse matrix, got "
                         f"{type(adj).__name__} {getattr(adj, 'shape', '')}")
    num_nodes = adj.shape[0]
    if not (sp.issparse(attr) or isinstance(attr, np.ndarray)) or attr.ndim != 2 or attr.shape[0] != num_nodes:
        raise ValueError(f"{path}: node_attr must be a [{num_nodes}, F] matrix, got "
                         f"{type(attr).__name__} {getattr(attr, 'shape', '')}")
    labels = np.asarray(labels)
    if labels.shape != (num_nodes,) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"{path}: node_label must be {num_nodes} integers, got {labels.dtype} {labels.shape}")

    return graph_parts(adj, attr, labels)


def graph_parts(adj, attr, labels: np.ndarray) -> dict[str, Tensor]:
    """What PyG builds from a gnn-benchmark graph, as cacheable parts: binary features (``x > 0 -> 1``,
    :func:`~graphkit.datasets.node_splits.csr_parts`), the undirected ``edge_index`` without self-loops
    (sorted, unique) and ``y``."""
    x = sp.csr_matrix(attr, dtype=np.float32)
    x.sum_duplicates()
    x.data[x.data > 0] = 1.0  # PyG: x[x > 0] = 1
    num_nodes = adj.shape[0]
    coo = adj.tocoo()
    row, col = coo.row.astype(np.int64), coo.col.astype(np.int64)
    keep = row != col
    row, col = row[keep], col[keep]
    key = np.unique(np.concatenate([row * num_nodes + col, col * num_nodes + row]))
    edge_index = torch.from_numpy(np.stack([key // num_nodes, key % num_nodes]))
    return {**csr_parts(x), "edge_index": edge_index, "y": torch.from_numpy(labels.astype(np.int64))}


def load_npz_graph(
    root: str | Path,
    name: str,
    *,
    seed: int = 0,
    train_per_class: int = 20,
    val_per_class: int = 30,
    expected: GraphCounts | None | bool = None,
    sparse_features: bool | None = None,
) -> Data:
    """Load ``name`` (a key of :data:`FILES`) from ``root/GraphData/`` with its seeded per-class split.

    Args:
        root: data root holding ``GraphData/``.
        name: ``'amazon-computers'``, ``'amazon-photo'``, ``'coauthor-cs'`` or ``'coauthor-physics'``.
        seed: seeds the split.
        train_per_class, val_per_class: per-class sizes; every other node is a test node.
        expected: the counts to check; ``None`` uses :data:`PUBLISHED`, ``False``
            skips the check (for miniature files in tests and derived files).
        sparse_features: ``True`` keeps the bag-of-words features as a ``torch.sparse_csr``
            tensor, ``False`` returns them dense, ``None`` keeps them sparse when fewer than
            :data:`SPARSE_DENSITY` (5 %) of the entries are non-zero (Coauthor CS and Physics,
            0.3–0.9 %; not the Amazon graphs, about 35 %). Every node model takes the CSR ``x``
            (see the module doc). (default: ``None``)

    Returns:
        ``Data(x [N, F] float32 (CSR or dense, see ``sparse_features``), edge_index [2, E] int64,
        y [N] int64, train_mask, val_mask, test_mask)``.
    """
    if name not in FILES:
        raise ValueError(f"unknown npz graph {name!r}; valid: {', '.join(FILES)}")
    path = Path(root) / "GraphData" / FILES[name]
    require([path], dataset=name,
            how=f"Get {FILES[name]} from {URL}/{FILES[name]} (EdisonLeeeee/GraphData) and put it in "
                f"{path.parent}.")
    parts = cached(f"npz-{name}", [path], lambda: read_graphdata_npz(path), version=_CACHE_VERSION)
    if sparse_features is None:
        shape = parts["x_shape"]
        sparse_features = parts["x_val"].numel() < SPARSE_DENSITY * int(shape[0]) * int(shape[1])
    x = sparse_from_parts(parts) if check_bool("sparse_features", sparse_features) else dense_from_parts(parts)
    y = parts["y"]
    data = Data(x=x, edge_index=parts["edge_index"], y=y)
    if expected is not False:
        got = GraphCounts(x.size(0), data.edge_index.size(1), x.size(1),
                          int(y.max()) + 1 if y.numel() else 0)
        check_counts(name, got, PUBLISHED[name] if expected is None or expected is True else expected,
                     source="the raw file")
    data.train_mask, data.val_mask, data.test_mask = per_class_split(
        y, train_per_class, val_per_class=val_per_class, seed=seed)
    return data


def _register(name: str, title: str) -> None:
    c = PUBLISHED[name]

    def loader(root: Path, *, seed: int = 0, train_per_class: int = 20, val_per_class: int = 30,
               sparse_features: bool | None = None) -> Data:
        return load_npz_graph(root, name, seed=seed, train_per_class=train_per_class,
                              val_per_class=val_per_class, sparse_features=sparse_features)

    loader.__name__ = loader.__qualname__ = "load_" + name.replace("-", "_")
    description = (f"{title}: {c.num_nodes} nodes, {c.num_edges} directed edges, {c.num_features} "
                   f"binary features, {c.num_classes} classes; seeded 20/30/rest per-class split")
    loader.__doc__ = description + ". See :func:`load_npz_graph`."
    register(name, task="node", description=description)(loader)


_register("amazon-computers", "Amazon Computers co-purchase graph")
_register("amazon-photo", "Amazon Photo co-purchase graph")
_register("coauthor-cs", "Coauthor CS co-authorship graph")
_register("coauthor-physics", "Coauthor Physics co-authorship graph")
