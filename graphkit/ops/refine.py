r"""Graph-structure refinement kernels: feature similarity on the edges, pruning, top-k cosine neighbours.

The non-learned steps of STABLE (Li et al., KDD 2022, https://arxiv.org/abs/2207.00012)
and of GCN-Jaccard (Wu et al., IJCAI 2019, https://arxiv.org/abs/1903.01610):

- :func:`jaccard_similarity` / :func:`cosine_similarity_on_edges`: one score per
  **stored edge** :math:`(i, j)`, computed on the edges only — never on all pairs —
  in chunks of edges, :math:`O(E \cdot F)` time and :math:`O(N \cdot F + \text{chunk} \cdot F)`
  memory.

  .. math::
      J_{ij} = \frac{|\mathrm{nz}(x_i) \cap \mathrm{nz}(x_j)|}{|\mathrm{nz}(x_i) \cup \mathrm{nz}(x_j)|},
      \qquad
      \cos_{ij} = \frac{x_i^\top x_j}{\lVert x_i \rVert\, \lVert x_j \rVert + \epsilon}

  where :math:`\mathrm{nz}(x)` is the set of non-zero features (the binary view of
  bag-of-words features, as DeepRobust's ``dropedge_jaccard``).
- :func:`jaccard_prune` keeps an edge when :math:`J_{ij} \ge t` (DeepRobust and STABLE
  drop :math:`J < t`); :func:`cosine_prune` keeps it when :math:`\cos_{ij} > t`
  (STABLE drops :math:`\cos \le t`). Both return a keep mask over the stored
  edges, so a symmetric graph stays symmetric.
- :func:`cosine_topk` finds each node's ``k`` most cosine-similar candidates by
  scanning the rows in chunks: memory :math:`O(N k + \text{chunk} \cdot N)`, never a
  dense :math:`N \times N` matrix; time :math:`O(N^2 d)` (one GEMM per chunk).
- :func:`add_edges` merges new edges into a graph (symmetrically by default).
- :func:`advanced_gcn_norm`: STABLE's propagation matrix
  :math:`\tilde D^{\alpha} (A + I) \tilde D^{\alpha}`, rows renormalised to sum to 1
  unless :math:`\alpha = -\tfrac12`.
- :func:`is_one_hot_identity`: features that only name the node (PolBlogs' identity
  rows) carry no similarity, so Jaccard pruning is skipped on them.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from graphkit._validation import check_bool, check_edge_index, check_features, check_int, check_real
from graphkit.ops.csr import CSR, from_coo
from graphkit.ops.normalize import degree_power_norm, row_norm

__all__ = ["jaccard_similarity", "cosine_similarity_on_edges", "jaccard_prune", "cosine_prune", "cosine_topk",
           "add_edges", "advanced_gcn_norm", "is_one_hot_identity", "coalesce_edges"]

_EDGE_CHUNK_ELEMENTS = 1 << 24  # gathered feature entries per edge chunk (16M: 16 MB of bools, 64 MB of floats)
_TOPK_CHUNK_ELEMENTS = 1 << 25  # similarity entries per row chunk (32M floats: 128 MB)


def _check_graph(x: Tensor, edge_index: Tensor) -> int:
    check_features(x, name="x")
    n = x.size(0)
    check_edge_index(edge_index, n, name="edge_index", nodes_from="x")
    return n


def _edge_chunks(num_edges: int, width: int, chunk_size: int | None):
    if chunk_size is None:
        chunk_size = max(1, _EDGE_CHUNK_ELEMENTS // max(width, 1))
    check_int("chunk_size", chunk_size, minimum=1)
    for start in range(0, num_edges, chunk_size):
        yield start, min(start + chunk_size, num_edges)


def jaccard_similarity(x: Tensor, edge_index: Tensor, *, chunk_size: int | None = None) -> Tensor:
    r"""Jaccard similarity of the non-zero feature sets of the two ends of every stored edge.

    Args:
        x: ``[N, F]`` floating features (only their non-zero pattern is used).
        edge_index: ``[2, E]`` int64 edges.
        chunk_size: edges per chunk (default: as many as keep ``chunk · F`` at 16M).

    Returns:
        ``[E]`` float32 in ``[0, 1]``. An edge whose two ends both have no non-zero
        feature has an empty union; its similarity is reported as ``0`` and
        :func:`jaccard_prune` keeps it (there is no evidence against it).

    Complexity: :math:`O(E \cdot F)` time, :math:`O(N F / 8 + \text{chunk} \cdot F)` memory
    (one bool copy of ``x``).

    Example:
        >>> x = torch.tensor([[1., 1., 0.], [1., 0., 0.], [0., 0., 1.]])
        >>> jaccard_similarity(x, torch.tensor([[0, 0], [1, 2]]))
        tensor([0.5000, 0.0000])
    """
    _check_graph(x, edge_index)
    nz = x != 0
    count = nz.sum(dim=1)
    out = torch.empty(edge_index.size(1), dtype=torch.float32, device=x.device)
    row, col = edge_index
    for lo, hi in _edge_chunks(edge_index.size(1), x.size(1), chunk_size):
        r, c = row[lo:hi], col[lo:hi]
        inter = (nz.index_select(0, r) & nz.index_select(0, c)).sum(dim=1)
        union = count[r] + count[c] - inter
        out[lo:hi] = torch.where(union > 0, inter.float() / union.clamp(min=1).float(), torch.zeros((), device=x.device))
    return out


def cosine_similarity_on_edges(x: Tensor, edge_index: Tensor, *, eps: float = 1e-8,
                               chunk_size: int | None = None) -> Tensor:
    r"""Cosine similarity :math:`x_i^\top x_j / (\lVert x_i\rVert \lVert x_j\rVert + \epsilon)` of every stored edge.

    ``eps`` (default ``1e-8``, STABLE's ``dropedge_cosine``) keeps zero rows at ``0``.
    Computed in the dtype of ``x``; ``[E]`` output. :math:`O(E \cdot F)` time,
    :math:`O(N + \text{chunk} \cdot F)` extra memory.

    Example:
        >>> x = torch.tensor([[1., 0.], [1., 1.], [0., 0.]])
        >>> cosine_similarity_on_edges(x, torch.tensor([[0, 0], [1, 2]]))
        tensor([0.7071, 0.0000])
    """
    _check_graph(x, edge_index)
    check_real("eps", eps, low=0.0)
    norm = x.norm(dim=1)
    out = torch.empty(edge_index.size(1), dtype=x.dtype, device=x.device)
    row, col = edge_index
    for lo, hi in _edge_chunks(edge_index.size(1), x.size(1), chunk_size):
        r, c = row[lo:hi], col[lo:hi]
        dot = (x.index_select(0, r) * x.index_select(0, c)).sum(dim=1)
        out[lo:hi] = dot / (norm[r] * norm[c] + eps)
    return out


def jaccard_prune(x: Tensor, edge_index: Tensor, threshold: float, *, chunk_size: int | None = None) -> Tensor:
    r"""Keep mask ``[E]``: the stored edges with Jaccard similarity ``>= threshold``.

    DeepRobust's ``GCNJaccard`` and STABLE's pre-pruning drop an edge when
    :math:`J_{ij} < t`; ``threshold = 0`` keeps every edge. Edges between two nodes
    without any non-zero feature are kept (see :func:`jaccard_similarity`). The
    rule is symmetric, so an undirected graph stays undirected.

    Example:
        >>> x = torch.tensor([[1., 1., 0.], [1., 0., 0.], [0., 0., 1.]])
        >>> jaccard_prune(x, torch.tensor([[0, 0], [1, 2]]), 0.1)
        tensor([ True, False])
    """
    threshold = check_real("threshold", threshold, low=0.0, high=1.0)
    if threshold == 0:
        _check_graph(x, edge_index)
        return torch.ones(edge_index.size(1), dtype=torch.bool, device=edge_index.device)
    sim = jaccard_similarity(x, edge_index, chunk_size=chunk_size)
    nz = (x != 0).any(dim=1)
    empty = ~(nz[edge_index[0]] | nz[edge_index[1]])
    return (sim >= threshold) | empty


def cosine_prune(x: Tensor, edge_index: Tensor, threshold: float, *, eps: float = 1e-8,
                 chunk_size: int | None = None) -> Tensor:
    r"""Keep mask ``[E]``: the stored edges with cosine similarity ``> threshold`` (STABLE drops ``cos <= t``).

    Example:
        >>> x = torch.tensor([[1., 0.], [1., 1.], [0., 1.]])
        >>> cosine_prune(x, torch.tensor([[0, 0, 1], [1, 2, 2]]), 0.1)
        tensor([ True, False,  True])
    """
    threshold = check_real("threshold", threshold, low=-1.0, high=1.0)
    return cosine_similarity_on_edges(x, edge_index, eps=eps, chunk_size=chunk_size) > threshold


def cosine_topk(x: Tensor, k: int, *, candidates: Tensor | None = None, include_self: bool = False,
                excluded_value: float = -math.inf, chunk_size: int | None = None) -> tuple[Tensor, Tensor]:
    r"""Each node's ``k`` most cosine-similar candidate nodes, by chunks of rows.

    For a chunk of rows :math:`R`, the similarities :math:`S_R = \hat X_R \hat X^\top`
    (rows of :math:`\hat X` scaled to unit length; zero rows stay zero, as
    scikit-learn's ``cosine_similarity``) are computed, columns that are not
    ``candidates`` are set to ``excluded_value``, the diagonal too unless
    ``include_self``, and the ``k`` largest entries of each row are kept. Only
    ``chunk × N`` similarities exist at a time.

    Args:
        x: ``[N, d]`` floating embeddings.
        k: neighbours per node (``>= 0``).
        candidates: ``[N]`` bool, the nodes that may be chosen (default: all).
        include_self: let a node choose itself (STABLE's official code does; ``False``
            picks ``k`` other nodes).
        excluded_value: the score given to non-candidates (default ``-inf``: never
            chosen while a candidate is left; STABLE's official code uses ``0``).
        chunk_size: rows per chunk (default: as many as keep ``chunk · N`` at 32M).

    Returns:
        ``(index, score)``, both ``[N, k]``: candidate ids by decreasing similarity,
        and their scores. Where fewer than ``k`` entries are finite (too few
        candidates), the rest hold ``-inf`` scores; drop them with ``score.isfinite()``.

    Complexity: :math:`O(N^2 d)` time, :math:`O(N k + N d + \text{chunk} \cdot N)` memory.

    Raises:
        ValueError: ``k`` larger than the number of nodes.

    Example:
        >>> x = torch.tensor([[1., 0.], [0.9, 0.1], [0., 1.], [0.1, 0.9]])
        >>> cosine_topk(x, 1)[0].view(-1)
        tensor([1, 0, 3, 2])
    """
    check_features(x, name="x")
    n = x.size(0)
    k = check_int("k", k, minimum=0)
    check_bool("include_self", include_self)
    if k > n:
        raise ValueError(f"k={k} exceeds the number of nodes ({n}); choose k <= {n}")
    if candidates is not None and (candidates.dtype != torch.bool or candidates.shape != (n,)):
        raise ValueError(f"candidates must be a bool tensor of shape [{n}]")
    if chunk_size is None:
        chunk_size = max(1, _TOPK_CHUNK_ELEMENTS // max(n, 1))
    chunk_size = check_int("chunk_size", chunk_size, minimum=1)
    index = torch.empty(n, k, dtype=torch.long, device=x.device)
    score = torch.empty(n, k, dtype=x.dtype, device=x.device)
    if k == 0 or n == 0:
        return index, score
    norm = x.norm(dim=1, keepdim=True)
    unit = x / torch.where(norm > 0, norm, torch.ones_like(norm))
    excluded = None if candidates is None else ~candidates
    for lo in range(0, n, chunk_size):
        hi = min(lo + chunk_size, n)
        sim = unit[lo:hi] @ unit.T
        if excluded is not None:
            sim.masked_fill_(excluded, excluded_value)
        if not include_self:
            rows = torch.arange(hi - lo, device=x.device)
            sim[rows, rows + lo] = -math.inf
        top = sim.topk(k, dim=1)
        score[lo:hi], index[lo:hi] = top.values, top.indices
    return index, score


def coalesce_edges(row: Tensor, col: Tensor, num_nodes: int) -> Tensor:
    """``[2, E']`` unique edges sorted by ``(row, col)``. :math:`O(E \\log E)`."""
    n = max(num_nodes, 1)
    key = torch.unique(row * n + col)
    return torch.stack([key // n, key % n])


def add_edges(edge_index: Tensor, row: Tensor, col: Tensor, num_nodes: int, *, symmetric: bool = True,
              self_loops: bool = False) -> Tensor:
    r"""``edge_index`` with the edges ``(row[e], col[e])`` added: unique, sorted by ``(row, col)``.

    Args:
        edge_index: ``[2, E]`` the graph.
        row, col: ``[M]`` the new edges.
        num_nodes: number of nodes.
        symmetric: add ``(col, row)`` too (default ``True``).
        self_loops: keep new edges with ``row == col`` (default ``False``: they are
            dropped, as STABLE sets :math:`A_{ii} = 0` after adding). Self-loops already
            in ``edge_index`` are kept.

    Example:
        >>> add_edges(torch.tensor([[0, 1], [1, 0]]), torch.tensor([2, 1]), torch.tensor([0, 1]), 3)
        tensor([[0, 0, 1, 2],
                [1, 2, 0, 0]])
    """
    check_edge_index(edge_index, num_nodes)
    if not self_loops:
        keep = row != col
        row, col = row[keep], col[keep]
    rows, cols = [edge_index[0], row], [edge_index[1], col]
    if symmetric:
        rows.append(col)
        cols.append(row)
    return coalesce_edges(torch.cat(rows), torch.cat(cols), num_nodes)


def advanced_gcn_norm(edge_index: Tensor, alpha: float, num_nodes: int) -> CSR:
    r"""STABLE's "advanced GCN" propagation matrix as a CSR.

    .. math::
        \tilde A = A + I_{\text{missing}},\qquad \tilde d_i = \sum_j \tilde a_{ij},\qquad
        \hat a_{ij} = \tilde d_i^{\,\alpha}\, \tilde a_{ij}\, \tilde d_j^{\,\alpha},

    then each row divided by its sum unless :math:`\alpha = -\tfrac12` (the official
    ``adj_new_norm``). Neighbour :math:`j`'s weight in row :math:`i` is then
    proportional to :math:`\tilde d_j^{\alpha}`: :math:`\alpha > 0` trusts high-degree
    neighbours more, which is why STABLE raises :math:`\alpha` with the perturbation
    rate. :math:`\alpha = -\tfrac12` is GCN's symmetric normalisation. Degrees are row
    sums (out-degrees for a directed ``edge_index``, as the official dense code).

    Example:
        >>> advanced_gcn_norm(torch.tensor([[0, 1], [1, 0]]), 0.5, 2).to_dense()
        tensor([[0.5000, 0.5000],
                [0.5000, 0.5000]])
    """
    alpha = check_real("alpha", alpha)
    check_edge_index(edge_index, num_nodes)
    n = max(num_nodes, 1)
    # duplicate entries would add up; the refined graphs are coalesced, user graphs may not be
    key = torch.unique(edge_index[0] * n + edge_index[1])
    csr = from_coo(key // n, key % n, None, num_nodes, num_nodes)
    out = degree_power_norm(csr, alpha, add_self_loops=True)
    return out if alpha == -0.5 else row_norm(out)


def is_one_hot_identity(x: Tensor) -> bool:
    """Whether every row of ``x`` has exactly one non-zero entry and no two rows share its column.

    Such features (DeepRobust's PolBlogs: identity rows, because the graph has no
    attributes) only name the node: every edge has Jaccard similarity 0.

    Example:
        >>> is_one_hot_identity(torch.eye(3)), is_one_hot_identity(torch.ones(3, 2))
        (True, False)
    """
    check_features(x, name="x")
    if x.size(0) == 0:
        return False
    nz = x != 0
    return bool((nz.sum(dim=1) == 1).all()) and bool((nz.sum(dim=0) <= 1).all())
