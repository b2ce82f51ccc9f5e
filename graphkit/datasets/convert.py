"""Graphs from other libraries: networkx in, a PyG ``Data`` out (with the edge weights as ``edge_weight``).

:func:`from_networkx` is what every procedure and :class:`~graphkit.FastRP` call
on a networkx graph, so ``fit_x(model, nx_graph, config)`` and
``FastRP().fit(nx_graph)`` work directly. networkx is optional: it is only
imported when a networkx graph is passed in.
"""

from __future__ import annotations

import numpy as np
import torch
from torch_geometric.data import Data

__all__ = ["from_networkx", "is_networkx"]

_NODE_KEYS = ("x", "y", "train_mask", "val_mask", "test_mask")


def is_networkx(graph) -> bool:
    """Whether ``graph`` is a networkx graph (``Graph``, ``DiGraph``, ``MultiGraph``, ...), without importing networkx."""
    return any(cls.__module__.split(".")[0] == "networkx" and cls.__name__ == "Graph" for cls in type(graph).__mro__)


def from_networkx(graph, *, weight: str | None = "weight", node_attrs: tuple[str, ...] = _NODE_KEYS) -> Data:
    """A PyG ``Data`` of a networkx graph: ``edge_index``, ``edge_weight``, ``num_nodes`` and node attributes.

    Nodes are numbered in ``graph.nodes`` order (the mapping is ``data.node_ids``,
    a list of the original node names). An undirected graph stores both
    directions of every edge (a self-loop once); a directed graph keeps its
    direction; a multigraph keeps its parallel edges.

    Args:
        graph: a networkx ``Graph``, ``DiGraph``, ``MultiGraph`` or ``MultiDiGraph``.
        weight: the edge attribute read as ``data.edge_weight`` (edges without it weigh
            1); ``None`` reads no weights. PyG's ``torch_geometric.utils.from_networkx``
            keeps such an attribute as ``data.weight``, which graphkit's methods
            would not read; this function puts it where they do. (default: ``'weight'``)
        node_attrs: node attributes copied when *every* node has them: ``x``
            (features, in torch's default dtype), ``y`` (labels) and the masks (bool). (default: those five)

    Returns:
        ``Data(edge_index [2, E], edge_weight [E] or None, num_nodes, x, y, masks, node_ids)``.

    Example:
        >>> import networkx as nx
        >>> g = nx.Graph()
        >>> g.add_edge("a", "b", weight=2.0)
        >>> g.add_node("c")
        >>> data = from_networkx(g)
        >>> data.edge_index.tolist(), data.edge_weight.tolist(), data.num_nodes
        ([[0, 1], [1, 0]], [2.0, 2.0], 3)
    """
    if not is_networkx(graph):
        raise TypeError(f"graph must be a networkx graph, got {type(graph).__name__}")
    nodes = list(graph.nodes)
    index = {node: i for i, node in enumerate(nodes)}
    edges = list(graph.edges(data=weight, default=1.0)) if weight is not None else \
        [(u, v, 1.0) for u, v in graph.edges()]
    src = [index[u] for u, _, _ in edges]
    dst = [index[v] for _, v, _ in edges]
    values = [w for _, _, w in edges]
    if weight is not None:
        bad = [w for w in values if isinstance(w, bool) or not isinstance(w, (int, float, np.number))]
        if bad:
            raise TypeError(f"edge attribute {weight!r} must hold numbers, got {bad[0]!r}; pass weight=None to "
                            f"ignore it or another attribute name")
    row = torch.tensor(src, dtype=torch.long)
    col = torch.tensor(dst, dtype=torch.long)
    w = torch.tensor(values, dtype=torch.float32)
    if not graph.is_directed():
        back = row != col  # a self-loop is stored once
        row, col, w = torch.cat([row, col[back]]), torch.cat([col, row[back]]), torch.cat([w, w[back]])
    edge_index = torch.stack([row, col]) if row.numel() else torch.empty(2, 0, dtype=torch.long)
    data = Data(edge_index=edge_index, num_nodes=len(nodes))
    if weight is not None and any(weight in attrs for *_, attrs in graph.edges(data=True)):
        data.edge_weight = w
    for key in node_attrs:
        if nodes and all(key in graph.nodes[node] for node in nodes):
            value = torch.as_tensor(np.asarray([np.asarray(graph.nodes[node][key]) for node in nodes]))
            if key == "x":
                value = value.to(torch.get_default_dtype())
            elif key.endswith("_mask"):
                value = value.bool()
            setattr(data, key, value)
    data.node_ids = nodes
    return data
