"""CitationFull Cora-ML (Bojchevski & Günnemann, ICLR 2018), as PyG's ``CitationFull('Cora_ML')`` builds it.

Registered as ``cora-ml`` (task ``'node'``): 2,995 papers, 16,316 directed edges (8,158 undirected),
2,879 binary bag-of-words features, 7 classes. This is the *full* graph (not the largest connected
component of ``prognn-cora-ml``) used by ForwardGNN (Park et al., ICLR 2024).

Raw file: ``cora_ml.npz`` in the gnn-benchmark schema (``adj_data/adj_indices/adj_indptr/adj_shape``,
``attr_*``, ``labels``; no pickled arrays), looked for at, in this order::

    <root>/CitationFull/cora_ml/raw/cora_ml.npz     (PyG's layout)
    <root>/gnn-meta-attack/cora_ml.npz              (danielzuegner/gnn-meta-attack, data/)

The tensors equal ``torch_geometric.io.read_npz`` (what ``CitationFull`` calls; a test checks it on the
real file): ``x`` is the attribute matrix **binarised** (every stored positive value set to 1; the raw
values are real-valued weights), ``edge_index`` every stored arc without self-loops, both directions,
duplicates merged, sorted by ``(row, col)``, ``y`` the labels as int64. Counts are checked against
:data:`PUBLISHED`. Feature normalisation (``NormalizeFeatures``) is left to the procedure that wants it
(ForwardGNN's configs do it), as PyG applies it as a transform.

Split: ForwardGNN's official protocol, fold ``fold`` (default ``0``) of
:func:`graphkit.datasets.kfold.kfold_split` (5-fold ``KFold(shuffle=True, random_state=101)`` for test,
20 % of the rest for validation: 64 / 16 / 20). The official split files are not shipped; the folds
are regenerated exactly from that rule (see :mod:`graphkit.datasets.kfold`). Procedures whose config
sets ``folds=5`` (the ``cora-ml`` presets) redraw the fold from their seed (seed ``i`` → fold
``i mod 5``), so run ``i`` of the runner uses split ``i`` as the official scripts do.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.sparse as sp
import torch
from torch_geometric.data import Data

from graphkit.datasets._io import cached, check_counts, require, safe_np_load
from graphkit.datasets.kfold import kfold_split
from graphkit.datasets.node_splits import dense_from_parts
from graphkit.datasets.npz_graphs import GraphCounts, graph_parts
from graphkit.datasets.registry import register

__all__ = ["PUBLISHED", "load_cora_ml", "raw_candidates", "read_citation_npz"]

#: PyG's ``CitationFull('Cora_ML')`` statistics.
PUBLISHED = GraphCounts(num_nodes=2995, num_edges=16316, num_features=2879, num_classes=7)
_CACHE_VERSION = 1
_HOW = ("Get cora_ml.npz from https://github.com/danielzuegner/gnn-meta-attack (data/cora_ml.npz) or "
        "https://github.com/abojchevski/graph2gauss (data/cora_ml.npz) and put it in one of those folders.")


def raw_candidates(root: str | Path) -> list[Path]:
    """Where ``cora_ml.npz`` is looked for under ``root``, in order."""
    root = Path(root)
    return [root / "CitationFull" / "cora_ml" / "raw" / "cora_ml.npz", root / "gnn-meta-attack" / "cora_ml.npz"]


def read_citation_npz(path: str | Path) -> dict[str, torch.Tensor]:
    """Read a gnn-benchmark-schema npz into PyG's tensors (binarised ``x`` as CSR parts, ``edge_index``, ``y``).

    Raises:
        ValueError: not such an archive, inconsistent arrays (truncated or corrupt file).
    """
    path = Path(path)
    arrays = safe_np_load(path)
    if not isinstance(arrays, dict):
        raise ValueError(f"{path}: expected an .npz archive, got a single array")
    needed = [f"{p}_{k}" for p in ("adj", "attr") for k in ("data", "indices", "indptr", "shape")] + ["labels"]
    missing = [k for k in needed if k not in arrays]
    if missing:
        raise ValueError(f"{path}: lacks {missing} (keys: {sorted(arrays)}); not a gnn-benchmark npz file")
    try:
        adj, attr = (sp.csr_matrix((arrays[f"{p}_data"], arrays[f"{p}_indices"], arrays[f"{p}_indptr"]),
                                   shape=tuple(int(s) for s in arrays[f"{p}_shape"])) for p in ("adj", "attr"))
        adj.check_format(full_check=True)
        attr.check_format(full_check=True)
    except Exception as exc:
        raise ValueError(f"{path}: inconsistent CSR arrays ({type(exc).__name__}: {exc}); the file may be "
                         "truncated or corrupt") from exc
    labels = np.asarray(arrays["labels"])
    n = adj.shape[0]
    if adj.shape != (n, n) or attr.shape[0] != n or labels.shape != (n,) \
            or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"{path}: adjacency {adj.shape}, attributes {attr.shape} and labels "
                         f"{labels.dtype} {labels.shape} do not match")
    return graph_parts(adj, attr, labels)


def load_cora_ml(root: str | Path, *, fold: int = 0, expected: GraphCounts | None | bool = None) -> Data:
    """Load CitationFull Cora-ML from ``root`` with split ``fold`` of ForwardGNN's protocol (module doc).

    Args:
        root: data root holding one of :func:`raw_candidates`.
        fold: which of the 5 official splits, ``0..4``. (default: ``0``)
        expected: the counts to check; ``None`` uses :data:`PUBLISHED`, ``False`` skips the check
            (miniature files in tests).

    Returns:
        ``Data(x [N, F] float32 (binary), edge_index [2, E] int64, y [N] int64, train_mask, val_mask,
        test_mask)``.
    """
    candidates = raw_candidates(root)
    path = next((p for p in candidates if p.is_file()), candidates[-1])
    require([path], dataset="cora-ml", how=_HOW + f" Looked for: {', '.join(map(str, candidates))}.")
    parts = cached("citationfull-cora-ml", [path], lambda: read_citation_npz(path), version=_CACHE_VERSION)
    x, y = dense_from_parts(parts), parts["y"]
    data = Data(x=x, edge_index=parts["edge_index"], y=y)
    if expected is not False:
        got = GraphCounts(x.size(0), data.edge_index.size(1), x.size(1), int(y.max()) + 1 if y.numel() else 0)
        check_counts("cora-ml", got, PUBLISHED if expected is None or expected is True else expected,
                     source="the raw file")
    data.train_mask, data.val_mask, data.test_mask = kfold_split(data.num_nodes, fold)
    return data


@register("cora-ml", task="node",
          description=f"CitationFull Cora-ML citation graph: {PUBLISHED.num_nodes} nodes, {PUBLISHED.num_edges} "
                      f"directed edges, {PUBLISHED.num_features} binary features, {PUBLISHED.num_classes} classes; "
                      "ForwardGNN's 5-fold 64/16/20 split (fold=0..4)")
def _load(root: Path, *, fold: int = 0) -> Data:
    return load_cora_ml(root, fold=fold)
