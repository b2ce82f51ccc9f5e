"""Citation graphs as GLNN, VQGraph and CPF read them: the gnn-benchmark npz files (Shchur et al., 2018).

``cpf-cora`` and ``cpf-citeseer`` are the data sets of the GLNN / VQGraph tables
(their ``cora`` and ``citeseer``). CPF (Yang et al., WWW'21), GLNN and VQGraph
ship the gnn-benchmark files unchanged — VQGraph's ``data/citeseer.npz`` and
``data/cora.npz`` are byte for byte ``shchur/gnn-benchmark``'s ``data/npz/``
files — and read them from::

    gnn-benchmark/npz/{cora,citeseer}.npz

Each holds the adjacency and the attributes as CSR parts (``adj_data``,
``adj_indices``, ``adj_indptr``, ``adj_shape``; ``attr_*``), ``labels`` and, not
used here, ``node_names`` / ``class_names``; no pickle is needed.

The graph is built as CPF's ``SparseGraph.standardize()`` does: the adjacency
is symmetrised, made binary and its diagonal dropped, and only the **largest
connected component** is kept, its nodes in ascending order of their raw
index (``lcc=False`` keeps every node). Features are the stored attributes
(binary in both files), labels are int64.

**CiteSeer differs from Planetoid's** (``citeseer``, 3,327 nodes): 3,312 nodes,
2,110 in the largest component, which is what the GLNN / VQGraph CiteSeer
figures are measured on. Cora's component is the same 2,485-node graph in both
sources.

Split: GLNN's per-class random split, ``train_per_class=20`` and
``val_per_class=30`` nodes of every class, every other node in test, seeded
by ``seed`` (:func:`~graphkit.datasets.node_splits.per_class_split`; GLNN draws
its own with numpy, so the node sets differ from the official code's for the same seed).

Counts are checked against :data:`PUBLISHED` (``SOURCES.md``); a mismatch raises ``ValueError``.
"""

from __future__ import annotations

from pathlib import Path

import scipy.sparse as sp
import torch
from torch import Tensor
from torch_geometric.data import Data

from graphkit.datasets._io import cached, check_counts, require
from graphkit.datasets.citation_full import read_citation_npz
from graphkit.datasets.node_splits import csr_parts, dense_from_parts, per_class_split
from graphkit.datasets.npz_graphs import GraphCounts
from graphkit.datasets.registry import register
from graphkit.ops.components import largest_component

__all__ = ["FILES", "PUBLISHED", "load_cpf_graph", "read_gnn_benchmark_npz"]

#: Public source of the files (not downloaded automatically: fetch them from here).
URL = "https://github.com/shchur/gnn-benchmark/raw/master/data/npz"
#: Registered name → file name under ``gnn-benchmark/npz/``.
FILES = {"cpf-cora": "cora.npz", "cpf-citeseer": "citeseer.npz"}
_CACHE_VERSION = 1

#: ``(all nodes, largest component)`` counts; ``num_edges`` counts directed edges (both directions).
PUBLISHED: dict[str, tuple[GraphCounts, GraphCounts]] = {
    "cpf-cora": (GraphCounts(2708, 10556, 1433, 7), GraphCounts(2485, 10138, 1433, 7)),
    "cpf-citeseer": (GraphCounts(3312, 9072, 3703, 6), GraphCounts(2110, 7336, 3703, 6)),
}


def read_gnn_benchmark_npz(path: str | Path, *, lcc: bool = True) -> dict[str, Tensor]:
    """Read one gnn-benchmark npz into tensors, standardised as CPF does (see the module docstring).

    The file is read by :func:`graphkit.datasets.citation_full.read_citation_npz` (PyG's
    ``read_npz``: symmetrised, no self-loops, binary attributes — the CPF files are binary
    already); ``lcc`` then keeps the largest connected component, nodes in ascending order.

    Returns a dict with the CSR parts of the features (``x_*``, see
    :func:`~graphkit.datasets.node_splits.csr_parts`), ``edge_index [2, E]`` (both
    directions, sorted by ``(row, col)``) and ``y [N]``. No count check happens here.

    Raises:
        ValueError: the file is corrupt, truncated or has the wrong schema.
    """
    parts = read_citation_npz(path)
    if not lcc:
        return parts
    x, y, edge_index = dense_from_parts(parts), parts["y"], parts["edge_index"]
    nodes = largest_component(edge_index, y.numel())
    new_id = torch.cumsum(nodes.long(), 0) - 1
    edge_index = new_id[edge_index[:, nodes[edge_index[0]]]]
    return {**csr_parts(sp.csr_matrix(x[nodes].numpy())), "edge_index": edge_index, "y": y[nodes]}


def load_cpf_graph(root: str | Path, name: str, *, seed: int = 0, train_per_class: int = 20,
                   val_per_class: int = 30, lcc: bool = True, expected: GraphCounts | None | bool = None) -> Data:
    """Load ``name`` (a key of :data:`FILES`) from ``root/gnn-benchmark/npz/`` with GLNN's seeded split.

    Args:
        root: data root holding ``gnn-benchmark/npz/``.
        name: ``'cpf-cora'`` or ``'cpf-citeseer'``.
        seed: seeds the split.
        train_per_class, val_per_class: per-class sizes; every other node is a test node.
        lcc: keep only the largest connected component, as CPF / GLNN / VQGraph. (default: ``True``)
        expected: the counts to check; ``None`` uses :data:`PUBLISHED`, ``False``
            skips the check (for miniature files in tests).

    Returns:
        ``Data(x [N, F] float32, edge_index [2, E] int64, y [N] int64, train_mask, val_mask, test_mask)``.
    """
    if name not in FILES:
        raise ValueError(f"unknown gnn-benchmark graph {name!r}; valid: {', '.join(FILES)}")
    path = Path(root) / "gnn-benchmark" / "npz" / FILES[name]
    require([path], dataset=name,
            how=f"Get {FILES[name]} from {URL}/{FILES[name]} (shchur/gnn-benchmark; CPF, GLNN and VQGraph ship "
                f"the same file) and put it in {path.parent}.")
    parts = cached(f"{name}-{'lcc' if lcc else 'all'}", [path], lambda: read_gnn_benchmark_npz(path, lcc=lcc),
                   options={"lcc": lcc}, version=_CACHE_VERSION)
    x = dense_from_parts(parts)
    y = parts["y"]
    data = Data(x=x, edge_index=parts["edge_index"], y=y, num_nodes=x.size(0))
    if expected is not False:
        got = GraphCounts(x.size(0), data.edge_index.size(1), x.size(1), int(y.max()) + 1 if y.numel() else 0)
        published = PUBLISHED[name][1 if lcc else 0]
        check_counts(name, got, published if expected is None or expected is True else expected,
                     source="the raw file")
    data.train_mask, data.val_mask, data.test_mask = per_class_split(
        y, train_per_class, val_per_class=val_per_class, seed=seed)
    return data


def _register(name: str, title: str) -> None:
    c = PUBLISHED[name][1]

    def loader(root: Path, *, seed: int = 0, train_per_class: int = 20, val_per_class: int = 30,
               lcc: bool = True) -> Data:
        return load_cpf_graph(root, name, seed=seed, train_per_class=train_per_class,
                              val_per_class=val_per_class, lcc=lcc)

    loader.__name__ = loader.__qualname__ = "load_" + name.replace("-", "_")
    description = (f"{title}: largest component {c.num_nodes} nodes, {c.num_edges} directed edges, "
                   f"{c.num_features} binary features, {c.num_classes} classes; seeded 20/30/rest per-class split")
    loader.__doc__ = description + ". See :func:`load_cpf_graph`."
    register(name, task="node", description=description)(loader)


_register("cpf-cora", "Cora as GLNN / VQGraph / CPF read it (gnn-benchmark npz)")
_register("cpf-citeseer", "CiteSeer as GLNN / VQGraph / CPF read it (gnn-benchmark npz)")
