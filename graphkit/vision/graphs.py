r"""Image → graph builders: a collection of images as a kNN graph and hypergraph, one image as a patch graph.

* :func:`image_graph` — one node per image, its pooled embedding as the
  features: the symmetric kNN graph (``edge_index``, for GCN-style models) and
  the kNN hypergraph (``hyperedge_index``, each image with its ``k`` neighbours,
  for HGNN) in one ``Data`` ("CNN features off the shelf" as node features; the
  HGNN paper's construction on MVCNN/GVCNN features).
* :func:`patch_graph` — one node per cell of a feature map (a backbone tap or a
  neck level), edges from the grid (4- or 8-neighbourhood) plus each cell's ``k``
  nearest cells in feature space, as in Vision GNN (Han et al., NeurIPS 2022,
  https://arxiv.org/abs/2206.00272; ViG uses ``k = 9`` and recomputes the kNN per
  layer, here it is built once from the given map).

The kNN kernels are :mod:`graphkit.ops.nearest_neighbors` (chunked, no :math:`N \times N` matrix).
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch_geometric.data import Data

from graphkit._validation import check_int
from graphkit.ops.nearest_neighbors import knn, knn_graph, knn_hypergraph
from graphkit.vision.spp import check_images

__all__ = ["grid_edges", "image_graph", "patch_graph"]


def image_graph(features: Tensor, k: int = 10, *, y: Tensor | None = None, x: Tensor | None = None,
                metric: str = "cosine", hypergraph: bool = True) -> Data:
    """One node per image: features, the symmetric kNN graph and the kNN hypergraph in one ``Data``.

    Args:
        features: ``[N, D]`` image embeddings (e.g. :meth:`ImageEmbedder.embed`); the graph is built
            on them.
        k: neighbours per image, ``1 <= k < N``. (default: ``10``)
        y: ``[N]`` labels, stored as ``data.y``. (default: ``None``)
        x: ``[N, F]`` node features to store as ``data.x`` when they differ from the
            embeddings the graph is built on (e.g. standardised copies). (default: ``features``)
        metric: ``'cosine'`` or ``'euclidean'``. (default: ``'cosine'``)
        hypergraph: also build ``hyperedge_index`` / ``num_hyperedges``
            (:func:`~graphkit.ops.nearest_neighbors.knn_hypergraph`). (default: ``True``)

    Returns:
        ``Data(x, edge_index, hyperedge_index, num_hyperedges, y, num_nodes)``; ``edge_index`` is
        the kNN graph made symmetric (every node has degree ``>= k``).

    Raises:
        ValueError: ``k >= N``, no images, non-2-D or non-finite features, ``y`` of another length.

    Example:
        >>> data = image_graph(torch.randn(20, 8), k=3, y=torch.arange(20) % 2)
        >>> data.num_nodes, data.num_hyperedges, data.hyperedge_index.size(1)
        (20, 20, 80)
    """
    edge_index = knn_graph(features, k, metric=metric, symmetric=True)
    n = features.size(0)
    if x is None:
        x = features
    elif not isinstance(x, Tensor) or x.dim() != 2 or x.size(0) != n:
        raise ValueError(f"x must be [N, F] with one row per image ({n}), got "
                         f"{list(x.shape) if isinstance(x, Tensor) else type(x).__name__}")
    data = Data(x=x, edge_index=edge_index, num_nodes=n)
    if hypergraph:
        data.hyperedge_index, data.num_hyperedges = knn_hypergraph(features, k, metric=metric)
    if y is not None:
        if not isinstance(y, Tensor) or y.dim() != 1 or y.numel() != n:
            raise ValueError(f"y must be a 1-D tensor with one label per image ({n}), got "
                             f"{list(y.shape) if isinstance(y, Tensor) else type(y).__name__}")
        data.y = y
    return data


def grid_edges(height: int, width: int, *, neighbourhood: int = 8, device=None) -> Tensor:
    """Edges ``[2, E]`` (both directions) between adjacent cells of an ``height × width`` grid, row-major ids.

    ``neighbourhood=4`` links horizontal and vertical neighbours, ``8`` adds the diagonals.

    Example:
        >>> grid_edges(2, 2, neighbourhood=4).tolist()
        [[1, 2, 0, 3, 0, 3, 1, 2], [0, 0, 1, 1, 2, 2, 3, 3]]
    """
    height = check_int("height", height, minimum=1)
    width = check_int("width", width, minimum=1)
    if neighbourhood not in (4, 8):
        raise ValueError(f"neighbourhood must be 4 or 8, got {neighbourhood!r}")
    steps = [(-1, 0), (1, 0), (0, -1), (0, 1)]
    if neighbourhood == 8:
        steps += [(-1, -1), (-1, 1), (1, -1), (1, 1)]
    i, j = torch.meshgrid(torch.arange(height, device=device), torch.arange(width, device=device), indexing="ij")
    i, j = i.reshape(-1), j.reshape(-1)
    src, dst = [], []
    for di, dj in steps:
        ok = (i + di >= 0) & (i + di < height) & (j + dj >= 0) & (j + dj < width)
        src.append((i[ok] + di) * width + j[ok] + dj)
        dst.append(i[ok] * width + j[ok])
    src, dst = torch.cat(src), torch.cat(dst)
    order = torch.argsort(dst * (height * width) + src)
    return torch.stack([src[order], dst[order]])


def patch_graph(feature_map: Tensor, k: int = 9, *, neighbourhood: int | None = 8, metric: str = "cosine") -> Data:
    """One node per cell of a feature map; grid adjacency plus feature kNN within each image (ViG).

    Args:
        feature_map: ``[B, C, H, W]`` (a backbone tap or neck level; one graph per image).
        k: feature-space neighbours per cell (``0``: grid edges only), ``k < H·W``. (default: ``9``, ViG's)
        neighbourhood: ``4`` or ``8`` grid neighbours, ``None`` for no grid edges. (default: ``8``)
        metric: the kNN distance, ``'cosine'`` or ``'euclidean'``. (default: ``'cosine'``)

    Returns:
        ``Data`` with ``x [B·H·W, C]`` (node ``b·H·W + i·W + j`` is cell ``(i, j)`` of image ``b``),
        ``edge_index`` (union of grid and kNN edges, no duplicates, never across images; kNN
        edges point from the neighbour to the cell), ``pos [B·H·W, 2]`` (row, column), ``batch [B·H·W]``
        and ``num_nodes``. Gradients flow from ``x`` back to ``feature_map``.

    Raises:
        ValueError: a non-4-D map, ``k >= H·W``, neither kNN nor grid edges asked for.

    Example:
        >>> g = patch_graph(torch.randn(2, 16, 4, 4), k=3)
        >>> g.num_nodes, g.x.shape, int(g.batch.max())
        (32, torch.Size([32, 16]), 1)
    """
    check_images(feature_map, name="feature_map")
    k = check_int("k", k, minimum=0)
    if neighbourhood is None and k == 0:
        raise ValueError("patch_graph needs grid edges (neighbourhood=4 or 8) or feature kNN (k >= 1)")
    b, c, h, w = feature_map.shape
    cells = h * w
    device = feature_map.device
    if k >= cells:
        raise ValueError(f"k={k} feature neighbours asked but a {h}x{w} map has {cells} cells (k must be < {cells})")
    x = feature_map.flatten(2).transpose(1, 2)  # [B, HW, C]
    parts = []
    if neighbourhood is not None:
        grid = grid_edges(h, w, neighbourhood=neighbourhood, device=device)
        offsets = (torch.arange(b, device=device) * cells).view(-1, 1, 1)
        parts.append((grid.unsqueeze(0) + offsets).transpose(0, 1).reshape(2, -1))
    if k > 0:
        detached = x.detach()
        for img in range(b):  # one kNN per image: cells never link across images
            index, _ = knn(detached[img], k, metric=metric)
            centre = torch.arange(cells, device=device).repeat_interleave(k)
            parts.append(torch.stack([index.reshape(-1), centre]) + img * cells)
    edge_index = torch.cat(parts, dim=1)
    n = b * cells
    key = torch.unique(edge_index[1] * n + edge_index[0])
    edge_index = torch.stack([key % n, key // n])
    i, j = torch.meshgrid(torch.arange(h, device=device), torch.arange(w, device=device), indexing="ij")
    pos = torch.stack([i.reshape(-1), j.reshape(-1)], dim=1).repeat(b, 1)
    batch = torch.arange(b, device=device).repeat_interleave(cells)
    return Data(x=x.reshape(n, c), edge_index=edge_index, pos=pos, batch=batch, num_nodes=n)
