r"""k-nearest neighbours of feature vectors, the kNN graph and the kNN hypergraph, in bounded memory.

For points :math:`x_1, \dots, x_N \in \mathbb{R}^d` (rows of ``x``) the distance is

* ``metric='cosine'``: :math:`d(i, j) = 1 - \frac{x_i \cdot x_j}{\|x_i\|\,\|x_j\|}` (a zero row has cosine 0
  with everything, distance 1);
* ``metric='euclidean'``: :math:`d(i, j) = \|x_i - x_j\|_2` (``torch.cdist``).

:func:`knn` returns, for every query row, the ``k`` points of smallest distance
(itself excluded unless ``loop=True``). The distances are computed in row
chunks of at most ``max_elements`` entries (``cdist`` or one matrix product per
chunk, then ``topk``), so the full :math:`N \times N` matrix never exists:
:math:`O(N^2 d)` time, :math:`O(N k + \text{max\_elements})` memory beyond the
input. With the default chunk budget (:math:`2^{25}` distances, 128 MiB in
float32) 100,000 256-d points with ``k = 10`` stay well under 1 GB
(``benchmarks/results/vision.md``).

:func:`knn_graph` turns the neighbours into ``edge_index [2, N k]``
(``symmetric=True``: the union with the reversed edges, duplicates removed);
:func:`knn_hypergraph` makes each point and its ``k`` neighbours one hyperedge
(the construction of the HGNN paper, Feng et al. AAAI 2019, and DHG's
``from_feature_kNN``).

**torch-cluster.** When ``torch_cluster`` is installed and loads,
:func:`knn_graph` (and so :func:`knn_hypergraph`) calls its ``knn_graph`` for
Euclidean points of at most :data:`TORCH_CLUSTER_MAX_DIM` (8) coordinates: its
CPU search is a KD-tree, 10× faster than the chunked scan on 5,000 points in 3
dimensions (38× on 20,000) and 1.6× in 8, but 1.6× slower in 16 and 8–15× in
64–256 dimensions, and it has no cosine on CPU (``benchmarks/results/vision.md``).
The output is tested equal to the pure-torch path, which is used otherwise. The
flag :data:`WITH_TORCH_CLUSTER` is read at call time (tests switch it off).
Euclidean distances in at most 16 dimensions are computed from the coordinate
differences (exact ties stay ties), in more dimensions from one matrix product.

**Ties** between equally distant points are broken by ``topk``; the set of
neighbours is then not unique, and the two paths may pick different members
of a tie.
"""

from __future__ import annotations

import torch
from torch import Tensor

from graphkit import _compat
from graphkit._validation import check_bool, check_features, check_int

__all__ = ["METRICS", "WITH_TORCH_CLUSTER", "knn", "knn_graph", "knn_hypergraph"]

METRICS = ("cosine", "euclidean")
#: rows × columns of one distance chunk (2**25 float32 values = 128 MiB)
DEFAULT_MAX_ELEMENTS = 2 ** 25
#: Euclidean distances of points with at most this many coordinates are computed from the differences
EXACT_MAX_DIM = 16
#: torch-cluster's knn_graph (a KD-tree on CPU) is used for Euclidean points with at most this many coordinates
TORCH_CLUSTER_MAX_DIM = 8

# torch-cluster is an optional accelerator of knn_graph; detected once, read at call time
torch_cluster = _compat._probe("torch_cluster")
WITH_TORCH_CLUSTER: bool = torch_cluster is not None


def _check_points(x, name: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape [N, d] (one row per point), got "
                        f"{type(x).__name__}")
    if x.dim() != 2:
        raise ValueError(f"{name} must have shape [N, d] (one row per point, e.g. pooled image embeddings), got "
                         f"{list(x.shape)}; flatten or pool each item to one vector first")
    if x.size(0) == 0:
        raise ValueError(f"{name} is empty (0 points): a kNN graph needs at least 2 points")
    check_features(x, name=name)
    return x


def _check_k(k, available: int, loop: bool) -> int:
    k = check_int("k", k, minimum=1)
    if k > available:
        who = "points" if loop else "other points (self excluded, loop=False)"
        raise ValueError(f"k={k} neighbours asked but there are only {available} {who}; k must be smaller than "
                         f"the number of points")
    return k


def _metric(metric: str) -> str:
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
    return metric


def knn(x: Tensor, k: int, *, query: Tensor | None = None, metric: str = "cosine", loop: bool = False,
        max_elements: int = DEFAULT_MAX_ELEMENTS) -> tuple[Tensor, Tensor]:
    """The ``k`` nearest rows of ``x`` for every row of ``query`` (default: ``x`` itself), in row chunks.

    Args:
        x: ``[N, d]`` points (floating point, finite).
        k: neighbours per query, ``1 <= k < N`` (``k <= N`` with ``loop=True`` or a separate ``query``).
        query: ``[Q, d]`` query points; ``None`` queries ``x`` against itself.
        metric: ``'cosine'`` or ``'euclidean'``. (default: ``'cosine'``)
        loop: with ``query=None``, whether a point may be its own neighbour. (default: ``False``)
        max_elements: distances computed at once (a chunk has ``max(1, max_elements // N)`` query
            rows). (default: ``2**25``)

    Returns:
        ``(index [Q, k] int64, distance [Q, k])``, each row ordered by increasing distance.

    Raises:
        TypeError / ValueError: ``x`` is not a 2-D floating tensor, is empty or holds NaN/inf;
            ``k`` is not an int in range; ``query`` has another width; an unknown metric.

    Example:
        >>> x = torch.tensor([[0.0], [1.0], [3.0], [7.0]])
        >>> index, dist = knn(x, 2, metric="euclidean")
        >>> index.tolist(), dist[0].tolist()
        ([[1, 2], [0, 2], [1, 0], [2, 1]], [1.0, 3.0])
    """
    x = _check_points(x, "x")
    metric = _metric(metric)
    loop = check_bool("loop", loop)
    max_elements = check_int("max_elements", max_elements, minimum=1)
    n = x.size(0)
    if query is None:
        k = _check_k(k, n if loop else n - 1, loop)
        q, exclude_self = x, not loop
    else:
        q = _check_points(query, "query")
        if q.size(1) != x.size(1):
            raise ValueError(f"query has {q.size(1)} features but x has {x.size(1)}; both need the same width")
        if q.device != x.device or q.dtype != x.dtype:
            raise ValueError(f"query ({q.dtype}, {q.device}) and x ({x.dtype}, {x.device}) must share dtype and device")
        k = _check_k(k, n, True)
        exclude_self = False
    if metric == "cosine":
        x_ = torch.nn.functional.normalize(x, dim=1)
        q_ = x_ if query is None else torch.nn.functional.normalize(q, dim=1)
    else:
        x_, q_ = x, q
    # few dimensions: exact differences (the |a|² + |b|² - 2ab form rounds near-ties apart); many: one matmul
    mode = "donot_use_mm_for_euclid_dist" if x.size(1) <= EXACT_MAX_DIM else "use_mm_for_euclid_dist"
    rows = max(1, max_elements // n)
    index = torch.empty(q.size(0), k, dtype=torch.long, device=x.device)
    dist = torch.empty(q.size(0), k, dtype=x.dtype, device=x.device)
    for start in range(0, q.size(0), rows):
        chunk = q_[start:start + rows]
        if metric == "cosine":
            d = torch.mm(chunk, x_.t()).neg_().add_(1.0)
        else:
            d = torch.cdist(chunk, x_, compute_mode=mode)
        if exclude_self:
            r = torch.arange(chunk.size(0), device=x.device)
            d[r, r + start] = float("inf")
        value, idx = torch.topk(d, k, dim=1, largest=False, sorted=True)
        index[start:start + chunk.size(0)] = idx
        dist[start:start + chunk.size(0)] = value
        del d
    return index, dist


def _sort_edges(edge_index: Tensor, num_nodes: int) -> Tensor:
    """Unique edges sorted by target (row 1), then source."""
    key = torch.unique(edge_index[1] * num_nodes + edge_index[0])
    return torch.stack([key % num_nodes, key // num_nodes])


def _use_torch_cluster(x: Tensor, metric: str) -> bool:
    """torch-cluster's KD-tree wins in few dimensions only (Euclidean; measured in benchmarks/results/vision.md)."""
    return WITH_TORCH_CLUSTER and metric == "euclidean" and x.size(1) <= TORCH_CLUSTER_MAX_DIM


def knn_graph(x: Tensor, k: int, *, metric: str = "cosine", symmetric: bool = False, loop: bool = False,
              flow: str = "source_to_target", max_elements: int = DEFAULT_MAX_ELEMENTS) -> Tensor:
    """The kNN graph of the rows of ``x``: an edge between every point and each of its ``k`` nearest points.

    Args:
        x: ``[N, d]`` points (e.g. pooled image embeddings).
        k: neighbours per point, ``1 <= k < N``.
        metric: ``'cosine'`` or ``'euclidean'`` (see :func:`knn`). (default: ``'cosine'``)
        symmetric: add the reverse of every edge (duplicates removed), so the graph is
            undirected and every point has degree ``>= k``. (default: ``False``)
        loop: allow self-loops (a point is then its own nearest neighbour). (default: ``False``)
        flow: ``'source_to_target'`` (PyG's default: ``edge_index[0]`` holds the neighbour,
            ``edge_index[1]`` the point it is a neighbour of, so messages flow from the
            neighbours) or ``'target_to_source'``. (default: ``'source_to_target'``)
        max_elements: see :func:`knn`.

    Returns:
        ``edge_index [2, E]`` int64 with ``E = N k`` (``symmetric``: between ``N k`` and ``2 N k``),
        sorted by the point whose neighbours they are (row 1; row 0 for ``'target_to_source'``),
        then by the neighbour.

    Raises:
        ValueError: ``k >= N`` (without ``loop``), an empty ``x``, a non-2-D ``x``, NaN/inf.

    Example:
        >>> x = torch.tensor([[0.0], [1.0], [3.0], [7.0]])
        >>> knn_graph(x, 1, metric="euclidean").tolist()
        [[1, 0, 1, 2], [0, 1, 2, 3]]
        >>> knn_graph(x, 1, metric="euclidean", symmetric=True).tolist()
        [[1, 0, 2, 1, 3, 2], [0, 1, 1, 2, 2, 3]]
    """
    if flow not in ("source_to_target", "target_to_source"):
        raise ValueError(f"flow must be 'source_to_target' or 'target_to_source', got {flow!r}")
    symmetric = check_bool("symmetric", symmetric)
    x = _check_points(x, "x")
    metric = _metric(metric)
    n = x.size(0)
    loop = check_bool("loop", loop)
    k = _check_k(k, n if loop else n - 1, loop)
    if _use_torch_cluster(x, metric):
        # torch_cluster: row 0 neighbour, row 1 centre for flow='source_to_target'
        edge_index = torch_cluster.knn_graph(x, k, loop=loop, flow="source_to_target", cosine=metric == "cosine")
    else:
        index, _ = knn(x, k, metric=metric, loop=loop, max_elements=max_elements)
        edge_index = torch.stack([index.reshape(-1), torch.arange(n, device=x.device).repeat_interleave(k)])
    if symmetric:
        edge_index = torch.cat([edge_index, edge_index.flip(0)], dim=1)
    edge_index = _sort_edges(edge_index, n)
    return edge_index.flip(0) if flow == "target_to_source" else edge_index


def knn_hypergraph(x: Tensor, k: int, *, metric: str = "cosine",
                   max_elements: int = DEFAULT_MAX_ELEMENTS) -> tuple[Tensor, int]:
    """The kNN hypergraph: hyperedge ``j`` holds point ``j`` and its ``k`` nearest points (``k + 1`` members).

    The construction of HGNN's feature hypergraphs (Feng et al., AAAI 2019,
    https://arxiv.org/abs/1809.09401) and DHG's ``Hypergraph.from_feature_kNN``;
    both count the centre among their ``k`` (HGNN's ``k_neig``), so their
    ``k`` is this function's ``k + 1``. Identical hyperedges (mutual
    neighbourhoods) are kept, one per centre.

    Args:
        x: ``[N, d]`` points.
        k: neighbours per hyperedge besides its centre, ``1 <= k < N``.
        metric, max_elements: see :func:`knn`.

    Returns:
        ``(hyperedge_index [2, N (k + 1)], num_hyperedges = N)`` in PyG's convention
        (row 0 the vertex, row 1 the hyperedge), sorted by hyperedge, then vertex.

    Example:
        >>> x = torch.tensor([[0.0], [1.0], [3.0], [7.0]])
        >>> hyperedge_index, m = knn_hypergraph(x, 1, metric="euclidean")
        >>> hyperedge_index.tolist(), m
        ([[0, 1, 0, 1, 1, 2, 2, 3], [0, 0, 1, 1, 2, 2, 3, 3]], 4)
    """
    edge_index = knn_graph(x, k, metric=metric, max_elements=max_elements)
    n = x.size(0)
    centres = torch.arange(n, device=x.device)
    members = torch.cat([edge_index, torch.stack([centres, centres])], dim=1)
    return _sort_edges(members, n), n
