"""HyperGCN hypergraphs and the graph → hypergraph conversion of LightHGNN.

Data sets (task ``'hyper'``), from the HyperGCN (NeurIPS 2019) pickles::

    HyperGCN/{cocitation,coauthorship}/<name>/{features,hypergraph,labels}.pickle
    HyperGCN/{cocitation,coauthorship}/<name>/splits/{1..10}.pickle

``cocitation-cora``, ``cocitation-citeseer``, ``cocitation-pubmed``,
``coauthorship-cora``, ``coauthorship-dblp``. The pickles hold ``features``
(scipy CSR ``[N, F]``), ``hypergraph`` (a dict: hyperedge key → member node
ids; the key is the citing paper's id for co-citation and the author's name for
co-authorship), ``labels`` (a list of ``N`` class ids) and ``splits/<k>`` (a
dict with ``'train'`` and ``'test'`` node-id lists; HyperGCN has no validation
set). They are read with graphkit's restricted unpickler.

Returned ``Data``:

* ``x [N, F]`` float32 (dense), ``y [N]`` int64, ``num_nodes``;
* ``hyperedge_index [2, nnz]`` int64, PyG's convention: row 0 the node, row 1
  the hyperedge. **Ordering:** hyperedge ``j`` is the ``j``-th key of the
  pickled dict (its insertion order), and ``hyperedge_names[j]`` is ``str`` of
  that key; columns are sorted by hyperedge, then by node. A node listed twice
  in one hyperedge appears once (membership is a set);
* ``num_hyperedges`` (int), ``hyperedge_names`` (list of str);
* ``train_mask``, ``test_mask`` of split ``split`` (1..10, default 1).

Counts are checked against :data:`PUBLISHED` (``ValueError`` on a mismatch).
The pubmed and dblp ``features.pickle`` are not in every copy (they are over
4 MiB): a missing file raises ``FileNotFoundError`` naming it.

:func:`graph_to_hypergraph` turns a graph into the hypergraph LightHGNN trains
on for graph data sets (2-node edge hyperedges plus 1-hop neighbourhoods).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor
from torch_geometric.data import Data

from graphkit._validation import check_edge_index
from graphkit.datasets._io import cached, check_counts, require, safe_pickle_load
from graphkit.datasets.node_splits import csr_parts, dense_from_parts
from graphkit.datasets.registry import register
from graphkit.datasets.splits import undirected_edges

__all__ = ["PUBLISHED", "HypergraphCounts", "graph_to_hypergraph", "load_hypergraph", "read_hypergcn"]

URL = "https://github.com/malllabiisc/HyperGCN/tree/master/data"
#: registered name → (folder, sub-folder) under ``HyperGCN/``.
FOLDERS = {
    "cocitation-cora": ("cocitation", "cora"),
    "cocitation-citeseer": ("cocitation", "citeseer"),
    "cocitation-pubmed": ("cocitation", "pubmed"),
    "coauthorship-cora": ("coauthorship", "cora"),
    "coauthorship-dblp": ("coauthorship", "dblp"),
}
NUM_SPLITS = 10
_CACHE_VERSION = 1


@dataclass(frozen=True)
class HypergraphCounts:
    """Sizes of a HyperGCN data set; ``None`` leaves a field unchecked."""

    num_nodes: int
    num_features: int | None
    num_hyperedges: int
    min_size: int
    max_size: int
    num_classes: int
    num_train: int
    num_test: int


#: Counts of the HyperGCN files (``SOURCES.md``; the same for all 10 splits).
#: DBLP's feature width is not checked: that file was not available to verify it.
PUBLISHED: dict[str, HypergraphCounts] = {
    "cocitation-cora": HypergraphCounts(2708, 1433, 1579, 2, 5, 7, 140, 2568),
    "cocitation-citeseer": HypergraphCounts(3312, 3703, 1079, 2, 26, 6, 138, 3174),
    "cocitation-pubmed": HypergraphCounts(19717, 500, 7963, 2, 171, 3, 78, 19639),
    "coauthorship-cora": HypergraphCounts(2708, 1433, 1072, 2, 43, 7, 140, 2568),
    "coauthorship-dblp": HypergraphCounts(41302, None, 22363, 2, 202, 6, 1740, 39562),
}


def _int_array(values, path: Path, what: str) -> np.ndarray:
    try:
        out = np.asarray(values)
        if out.ndim != 1 or (out.size and not np.issubdtype(out.dtype, np.integer)):
            raise TypeError(f"dtype {out.dtype}, shape {out.shape}")
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{path}: {what} must be a flat list of integers ({exc})") from exc
    return out.astype(np.int64)


def _hyperedges(hypergraph, num_nodes: int, path: Path) -> dict:
    if not isinstance(hypergraph, dict):
        raise ValueError(f"{path}: expected a dict hyperedge → nodes, got {type(hypergraph).__name__}")
    try:
        sizes = np.fromiter((len(v) for v in hypergraph.values()), dtype=np.int64, count=len(hypergraph))
        nodes = np.fromiter(itertools.chain.from_iterable(hypergraph.values()), dtype=np.int64,
                            count=int(sizes.sum()))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{path}: every hyperedge must be a collection of node ids ({exc})") from exc
    num_edges = len(hypergraph)
    if nodes.size and (nodes.min() < 0 or nodes.max() >= num_nodes):
        raise ValueError(f"{path}: node ids must be in [0, {num_nodes}), got range "
                         f"[{nodes.min()}, {nodes.max()}]")
    edges = np.repeat(np.arange(num_edges, dtype=np.int64), sizes)
    key = np.unique(edges * max(num_nodes, 1) + nodes)  # sorted by hyperedge, then node; set semantics
    edges, nodes = key // max(num_nodes, 1), key % max(num_nodes, 1)
    return {
        "hyperedge_index": torch.from_numpy(np.stack([nodes, edges])),
        "num_hyperedges": num_edges,
        "hyperedge_names": [str(k) for k in hypergraph],
    }


def read_hypergcn(folder: str | Path) -> dict:
    """Read ``features``, ``hypergraph`` and ``labels`` of one HyperGCN folder (no split, no count check).

    Raises:
        ValueError: a file is corrupt, truncated or inconsistent with the others.
    """
    folder = Path(folder)
    paths = {k: folder / f"{k}.pickle" for k in ("features", "hypergraph", "labels")}
    features = safe_pickle_load(paths["features"])
    if not (sp.issparse(features) or isinstance(features, np.ndarray)) or features.ndim != 2:
        raise ValueError(f"{paths['features']}: expected a 2-D scipy sparse matrix or numpy array, got "
                         f"{type(features).__name__}")
    labels = _int_array(safe_pickle_load(paths["labels"]), paths["labels"], "labels")
    num_nodes = features.shape[0]
    if labels.size != num_nodes:
        raise ValueError(f"{paths['labels']} has {labels.size} labels but {paths['features']} has "
                         f"{num_nodes} rows; one of the files is corrupt")
    if labels.size and labels.min() < 0:
        raise ValueError(f"{paths['labels']}: labels must be non-negative class ids")
    out = _hyperedges(safe_pickle_load(paths["hypergraph"]), num_nodes, paths["hypergraph"])
    return {**csr_parts(features), "y": torch.from_numpy(labels), **out}


def _read_split(path: Path, num_nodes: int) -> dict[str, Tensor]:
    split = safe_pickle_load(path)
    if not isinstance(split, dict) or not {"train", "test"} <= set(split):
        raise ValueError(f"{path}: expected a dict with 'train' and 'test' node lists")
    out = {}
    for key in ("train", "test"):
        index = _int_array(split[key], path, f"split[{key!r}]")
        if index.size and (index.min() < 0 or index.max() >= num_nodes):
            raise ValueError(f"{path}: {key} node ids must be in [0, {num_nodes})")
        out[key] = torch.from_numpy(index)
    if np.intersect1d(out["train"].numpy(), out["test"].numpy()).size:
        raise ValueError(f"{path}: train and test share nodes; the split file is corrupt")
    return out


def load_hypergraph(root: str | Path, name: str, *, split: int = 1,
                    expected: HypergraphCounts | None | bool = None) -> Data:
    """Load HyperGCN data set ``name`` (a key of :data:`FOLDERS`) with shipped split ``split``.

    Args:
        root: data root holding ``HyperGCN/``.
        name: e.g. ``'cocitation-cora'``.
        split: which of the 10 shipped splits (1..10).
        expected: counts to check; ``None`` uses :data:`PUBLISHED`, ``False``
            skips the check (miniature files in tests).

    Returns:
        ``Data(x, y, hyperedge_index, num_hyperedges, hyperedge_names, num_nodes,
        train_mask, test_mask)`` (see the module docstring for the ordering).
    """
    if name not in FOLDERS:
        raise ValueError(f"unknown HyperGCN data set {name!r}; valid: {', '.join(FOLDERS)}")
    if isinstance(split, bool) or not isinstance(split, int) or not 1 <= split <= NUM_SPLITS:
        raise ValueError(f"split must be an int in 1..{NUM_SPLITS} (the shipped HyperGCN splits), got {split!r}")
    folder = Path(root).joinpath("HyperGCN", *FOLDERS[name])
    base = [folder / f"{k}.pickle" for k in ("features", "hypergraph", "labels")]
    split_path = folder / "splits" / f"{split}.pickle"
    rel = "/".join(FOLDERS[name])
    require([*base, split_path], dataset=name,
            how=f"Get them from {URL}/{rel} (malllabiisc/HyperGCN) and keep the layout under {folder}.")
    parts = cached(f"hypergcn-{name}", base, lambda: read_hypergcn(folder), version=_CACHE_VERSION)
    num_nodes = int(parts["x_shape"][0])
    index = cached(f"hypergcn-{name}-split{split}", [*base, split_path], lambda: _read_split(split_path, num_nodes),
                   version=_CACHE_VERSION)
    masks = {}
    for key in ("train", "test"):
        masks[key] = torch.zeros(num_nodes, dtype=torch.bool)
        masks[key][index[key]] = True
    data = Data(x=dense_from_parts(parts), y=parts["y"], hyperedge_index=parts["hyperedge_index"],
                num_hyperedges=parts["num_hyperedges"], hyperedge_names=parts["hyperedge_names"],
                num_nodes=num_nodes, train_mask=masks["train"], test_mask=masks["test"])
    if expected is not False:
        want = PUBLISHED[name] if expected is None or expected is True else expected
        sizes = torch.bincount(data.hyperedge_index[1], minlength=data.num_hyperedges)
        got = HypergraphCounts(
            num_nodes=num_nodes, num_features=data.x.size(1), num_hyperedges=data.num_hyperedges,
            min_size=int(sizes.min()) if sizes.numel() else 0, max_size=int(sizes.max()) if sizes.numel() else 0,
            num_classes=int(data.y.max()) + 1 if num_nodes else 0,
            num_train=int(index["train"].numel()), num_test=int(index["test"].numel()),
        )
        check_counts(name, got, want, source=f"the files in {folder}")
    return data


def _register(name: str, title: str) -> None:
    c = PUBLISHED[name]

    def loader(root: Path, *, split: int = 1) -> Data:
        return load_hypergraph(root, name, split=split)

    loader.__name__ = loader.__qualname__ = "load_" + name.replace("-", "_")
    feats = f"{c.num_features} features" if c.num_features else "features"
    description = (f"{title} (HyperGCN): {c.num_nodes} nodes, {c.num_hyperedges} hyperedges, {feats}, "
                   f"{c.num_classes} classes; 10 shipped train/test splits")
    loader.__doc__ = description + ". See :func:`load_hypergraph`."
    register(name, task="hyper", description=description)(loader)


_register("cocitation-cora", "Cora co-citation hypergraph")
_register("cocitation-citeseer", "CiteSeer co-citation hypergraph")
_register("cocitation-pubmed", "PubMed co-citation hypergraph")
_register("coauthorship-cora", "Cora co-authorship hypergraph")
_register("coauthorship-dblp", "DBLP co-authorship hypergraph")


# --------------------------------------------------------------------------- graph → hypergraph


def graph_to_hypergraph(edge_index: Tensor, num_nodes: int, *, include_edges: bool = True,
                        include_neighborhoods: bool = True) -> tuple[Tensor, int]:
    r"""The hypergraph LightHGNN builds from a graph: edge hyperedges plus 1-hop neighbourhoods.

    The graph is read as undirected and simple: ``(u, v)`` and ``(v, u)`` are
    one edge, repeated edges count once and self-loops are dropped. Then

    * with ``include_edges``, every edge ``{u, v}`` (``u < v``) is a 2-node
      hyperedge; these come first, numbered in ``(u, v)`` lexicographic order;
    * with ``include_neighborhoods``, every node ``i`` contributes the hyperedge
      :math:`\{i\} \cup \mathcal{N}(i)`, numbered ``offset + i`` (``offset`` = the
      number of edge hyperedges, or 0). An isolated node gives a singleton.

    Identical vertex sets are *not* merged (a degree-1 node's neighbourhood
    equals its edge's hyperedge; both are kept, so every node owns exactly one
    neighbourhood hyperedge). Vectorised: ``O(E log E)``, no Python loop.

    Args:
        edge_index: ``[2, E]`` int64 graph edges.
        num_nodes: number of nodes ``N``.
        include_edges, include_neighborhoods: which hyperedge families to build
            (at least one).

    Returns:
        ``(hyperedge_index [2, nnz], num_hyperedges)``; ``hyperedge_index`` has
        row 0 the node and row 1 the hyperedge, sorted by hyperedge then node.
    """
    num_nodes = check_edge_index(edge_index, num_nodes)
    if not (include_edges or include_neighborhoods):
        raise ValueError("include_edges and include_neighborhoods are both False: the hypergraph would be empty")
    edges = undirected_edges(edge_index.cpu(), num_nodes) if num_nodes else edge_index.new_empty(2, 0)
    parts, offset = [], 0
    if include_edges:
        ids = torch.arange(edges.size(1)).repeat_interleave(2)
        parts.append(torch.stack([edges.t().reshape(-1), ids]))  # (u, v) per edge, u < v
        offset = edges.size(1)
    if include_neighborhoods:
        loops = torch.arange(num_nodes)
        src = torch.cat([edges[0], edges[1], loops])
        dst = torch.cat([edges[1], edges[0], loops])
        key = torch.sort(src * num_nodes + dst).values  # hyperedge (owner) first, then member
        parts.append(torch.stack([key % num_nodes, key // num_nodes + offset]))
        offset += num_nodes
    return torch.cat(parts, dim=1).to(edge_index.device), offset
