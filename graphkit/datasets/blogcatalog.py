"""BlogCatalog social network (Tang & Liu, KDD 2009), multi-label (``blogcatalog``).

Raw file under the data root, as shipped in DeepWalk's ``example_graphs/``::

    BlogCatalog/blogcatalog.mat

A MATLAB v5 file with ``network`` (sparse ``10312 x 10312`` adjacency) and
``group`` (sparse ``10312 x 39`` node-label incidence). ``scipy.io.loadmat``
reads it without any pickle.

Returned ``Data``:

* ``x=None`` (the graph has no node features; DeepWalk / node2vec / FastRP embed it);
* ``edge_index [2, 667966]``: every stored entry of ``network`` is an arc,
  kept as it is (the published matrix is symmetric with no self-loops, so this
  is 333,983 undirected edges, both directions stored), sorted by ``(row, col)``;
* ``edge_weight``: only when the stored values are not all 1 (the published
  file is unweighted, so it is absent);
* ``y [10312, 39]`` int64 0/1 multi-label targets (14,476 node-label pairs; a
  node may have several labels), ``num_nodes``.

There is no standard split: the multi-label protocol trains a one-vs-rest
classifier on a random ``p``% of the nodes. Counts are checked against
:data:`PUBLISHED` (``ValueError`` on a mismatch).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.io
import scipy.sparse as sp
import torch
from torch import Tensor
from torch_geometric.data import Data

from graphkit.datasets._io import cached, check_counts, require
from graphkit.datasets.registry import register

__all__ = ["PUBLISHED", "load_blogcatalog", "read_blogcatalog"]

URL = "https://github.com/phanein/deepwalk/raw/master/example_graphs/blogcatalog.mat"
#: nodes, stored arcs, labels, (node, label) pairs.
PUBLISHED = {"num_nodes": 10312, "num_edges": 667966, "num_labels": 39, "num_label_pairs": 14476}
_CACHE_VERSION = 1


def read_blogcatalog(path: str | Path) -> dict[str, Tensor]:
    """Read ``blogcatalog.mat`` into ``edge_index``, optional ``edge_weight`` and dense ``y``.

    Raises:
        ValueError: the file is not a readable ``.mat`` or lacks ``network`` / ``group``.
    """
    path = Path(path)
    try:
        mat = scipy.io.loadmat(path)
    except Exception as exc:
        raise ValueError(f"{path}: not a readable MATLAB .mat file ({type(exc).__name__}: {exc}); "
                         f"it may be truncated or corrupt — download it again") from exc
    for key in ("network", "group"):
        if key not in mat:
            found = sorted(k for k in mat if not k.startswith("__"))
            raise ValueError(f"{path}: no variable {key!r} (found {found}); not the BlogCatalog file")
    network, group = mat["network"], mat["group"]
    if network.ndim != 2 or network.shape[0] != network.shape[1]:
        raise ValueError(f"{path}: 'network' must be a square matrix, got shape {network.shape}")
    if group.ndim != 2 or group.shape[0] != network.shape[0]:
        raise ValueError(f"{path}: 'group' must have one row per node ({network.shape[0]}), got {group.shape}")
    adj = sp.csr_matrix(network)
    adj.sum_duplicates()  # sorted (row, col), one entry per stored position
    coo = adj.tocoo()
    out = {
        "edge_index": torch.from_numpy(np.stack([coo.row, coo.col]).astype(np.int64)),
        "y": torch.from_numpy((sp.csr_matrix(group) != 0).toarray().astype(np.int64)),
        "num_nodes": int(adj.shape[0]),
    }
    if not np.all(coo.data == 1):
        out["edge_weight"] = torch.from_numpy(coo.data.astype(np.float32))
    return out


def load_blogcatalog(root: str | Path, *, expected: dict | None | bool = None) -> Data:
    """Load BlogCatalog from ``root/BlogCatalog/blogcatalog.mat``.

    Args:
        root: data root.
        expected: counts to check (keys of :data:`PUBLISHED`); ``None`` uses
            :data:`PUBLISHED`, ``False`` skips the check (miniature files in tests).

    Returns:
        ``Data(x=None, edge_index [2, E], y [N, 39] int64, num_nodes)`` plus
        ``edge_weight [E]`` for a weighted file.
    """
    path = Path(root) / "BlogCatalog" / "blogcatalog.mat"
    require([path], dataset="blogcatalog",
            how=f"Get blogcatalog.mat from {URL} (DeepWalk's example_graphs) and put it in {path.parent}.")
    parts = cached("blogcatalog", [path], lambda: read_blogcatalog(path), version=_CACHE_VERSION)
    data = Data(x=None, edge_index=parts["edge_index"], y=parts["y"], num_nodes=parts["num_nodes"])
    if "edge_weight" in parts:
        data.edge_weight = parts["edge_weight"]
    if expected is not False:
        want = PUBLISHED if expected is None or expected is True else expected
        got = {"num_nodes": data.num_nodes, "num_edges": data.edge_index.size(1),
               "num_labels": data.y.size(1), "num_label_pairs": int(data.y.sum())}
        check_counts("blogcatalog", got, want, source=str(path))
    return data


@register("blogcatalog", task="multilabel",
          description="BlogCatalog social graph: 10312 nodes, 667966 arcs, 39 labels (multi-label), no features")
def _load(root: Path) -> Data:
    """BlogCatalog with multi-label targets. See :func:`load_blogcatalog`."""
    return load_blogcatalog(root)
