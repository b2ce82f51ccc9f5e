r"""k-means in torch: seeded k-means++ or random initialisation, Lloyd iterations, restarts (CPU and CUDA).

Lloyd's algorithm minimises the inertia :math:`\sum_i \lVert x_i - c_{k(i)} \rVert^2`. Each of
``n_init`` restarts starts from k-means++ seeds (``seeding='k-means++'``, Arthur & Vassilvitskii
2007: the first centre uniformly, each next one with probability proportional to :math:`D(x)^2`, the
squared distance to the nearest chosen centre) or from ``k`` distinct points drawn uniformly
(``seeding='random'``, faiss's initialisation), then alternates assignment and centroid update for at most
``max_iter`` iterations or until no assignment changes. The restart with the lowest inertia wins
(ties: the first). All restarts run at once as one batch: the assignment step is one batched
GEMM :math:`[N, d] \times [d, R k]`, the update one ``index_add_``. A cluster that empties is re-seeded with
the point farthest from its centroid (as scikit-learn does), so every cluster keeps a member.
``init=`` warm-starts from given centroids (one run, no seeding): MEOW re-clusters every epoch,
and the previous epoch's centroids are a good start for embeddings that move little.

Randomness comes from a ``torch.Generator`` on the data's device seeded with ``seed``: the same
seed gives the same clustering on the same device. MEOW's official code clusters with faiss
(``faiss.Clustering``, ``niter=20``, ``nredo=5``, random initial centroids); ``backend='faiss'``
runs faiss's k-means (always seeded randomly) when the ``faiss`` package is installed (CPU), ``'auto'``
uses it when present; faiss is never required, and the tests check both reach the same inertia.

Complexity: :math:`O(R \cdot \text{iters} \cdot N k d)` time (the product), :math:`O(R N k)`
memory for the distance block, plus :math:`O(R k N)` for the k-means++ seeding
(:math:`k` sequential steps) or :math:`O(R N \log N)` for the random one.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import torch
from torch import Tensor

from graphkit._validation import check_features, check_int

__all__ = ["KMeansResult", "kmeans", "faiss_available"]

BACKENDS = ("torch", "faiss", "auto")
SEEDINGS = ("k-means++", "random")


def faiss_available() -> bool:
    """Whether the optional ``faiss`` package imports (read at call time)."""
    return _faiss() is not None


def _faiss():
    try:
        return importlib.import_module("faiss")
    except ImportError:
        return None


@dataclass
class KMeansResult:
    """``labels [N]`` (int64), ``centroids [k, d]``, ``distances [N]`` (squared, to the own centroid),
    ``inertia`` (their sum) and ``iterations`` (Lloyd steps run, all restarts in step)."""

    labels: Tensor
    centroids: Tensor
    distances: Tensor
    inertia: float
    iterations: int


def _assign(x: Tensor, xx: Tensor, centers: Tensor) -> tuple[Tensor, Tensor]:
    r"""``(squared distance [R, N], label [R, N])`` of each point to its nearest centre of ``centers [R, k, d]``.

    One GEMM ``[N, d] x [d, R k]`` plus a row minimum: :math:`\lVert x\rVert^2` is constant per
    point, so it is added to the minimum only.
    """
    restarts, k, d = centers.shape
    flat = centers.reshape(restarts * k, d)
    cc = (flat * flat).sum(1)
    scores = torch.addmm(cc, x, flat.t(), alpha=-2)  # ||c||^2 - 2 x.c   [N, R k]
    best, labels = scores.view(-1, restarts, k).min(2)  # [N, R]
    return (best + xx.view(-1, 1)).clamp_min_(0).t(), labels.t()


def _plus_plus(x: Tensor, xx: Tensor, k: int, restarts: int, gen: torch.Generator) -> Tensor:
    n = x.size(0)
    idx = torch.randint(n, (restarts,), generator=gen, device=x.device)
    centers = x.new_empty(restarts, k, x.size(1))
    centers[:, 0] = x[idx]
    best = _assign(x, xx, centers[:, :1])[0]  # [R, N]
    for j in range(1, k):
        total = best.sum(1, keepdim=True)
        probs = torch.where(total > 0, best, torch.ones_like(best))
        idx = torch.multinomial(probs, 1, generator=gen).view(-1)
        centers[:, j] = x[idx]
        # x @ c.T ([N, d] x [d, R]): the transposed product [R, d] x [d, N] takes a slow BLAS path
        new = (xx.view(1, -1) - 2 * (x @ centers[:, j].t()).t() + (centers[:, j] ** 2).sum(1, keepdim=True))
        torch.minimum(best, new.clamp_min_(0), out=best)
    return centers


def _random_points(x: Tensor, k: int, restarts: int, gen: torch.Generator) -> Tensor:
    """``[R, k, d]``: ``k`` distinct rows of ``x`` per restart, uniformly (faiss's initial centroids)."""
    keys = torch.rand(restarts, x.size(0), generator=gen, device=x.device)
    return x[keys.argsort(1)[:, :k]]


def _lloyd(x: Tensor, xx: Tensor, centers: Tensor, max_iter: int) -> tuple[Tensor, int]:
    restarts, k, d = centers.shape
    n = x.size(0)
    offsets = (torch.arange(restarts, device=x.device) * k).view(-1, 1)
    x_rep = x.repeat(restarts, 1) if restarts > 1 else x
    labels = None
    iterations = 0
    for _ in range(max_iter):
        min_d, new = _assign(x, xx, centers)
        if labels is not None and torch.equal(new, labels):
            break
        labels = new
        iterations += 1
        flat = (labels + offsets).reshape(-1)
        counts = torch.bincount(flat, minlength=restarts * k).view(restarts, k)
        sums = x.new_zeros(restarts * k, d).index_add_(0, flat, x_rep).view(restarts, k, d)
        centers = sums / counts.clamp_min(1).unsqueeze(-1).to(x.dtype)
        empty = counts == 0
        if bool(empty.any()):  # re-seed empty clusters with the farthest points (rare)
            for r in empty.any(1).nonzero().view(-1).tolist():
                slots = empty[r].nonzero().view(-1)
                far = torch.topk(min_d[r], min(slots.numel(), n)).indices
                centers[r, slots[:far.numel()]] = x[far]
    return centers, iterations


def _kmeans_faiss(x: Tensor, k: int, n_init: int, max_iter: int, seed: int):
    faiss = _faiss()
    if faiss is None:
        raise ImportError("backend='faiss' needs the faiss package (pip install faiss-cpu); "
                          "backend='torch' needs nothing")
    import numpy as np

    data = np.ascontiguousarray(x.detach().cpu().float().numpy())
    clus = faiss.Clustering(data.shape[1], k)
    clus.niter, clus.nredo, clus.seed, clus.verbose = max_iter, n_init, seed, False
    clus.max_points_per_centroid = max(data.shape[0], 1)  # no sub-sampling
    clus.min_points_per_centroid = 1
    index = faiss.IndexFlatL2(data.shape[1])
    clus.train(data, index)
    centroids = torch.from_numpy(faiss.vector_to_array(clus.centroids).reshape(k, -1).copy())
    dist, labels = index.search(data, 1)
    return (centroids.to(x.device, x.dtype), torch.from_numpy(labels.reshape(-1)).long().to(x.device),
            torch.from_numpy(dist.reshape(-1)).to(x.device, x.dtype), max_iter)


def kmeans(x: Tensor, k: int, *, n_init: int = 5, max_iter: int = 20, seed: int = 0,
           backend: str = "torch", init: Tensor | None = None, seeding: str = "k-means++") -> KMeansResult:
    r"""Cluster the rows of ``x`` into ``k`` clusters (see the module doc).

    Args:
        x: ``[N, d]`` floating points (any device).
        k: number of clusters, ``1 <= k <= N``.
        n_init: restarts (best inertia wins). (default: ``5``, MEOW's ``nredo``)
        max_iter: most Lloyd iterations per restart. (default: ``20``, MEOW's ``niter``)
        seed: seed of the k-means++ draws. (default: ``0``)
        backend: ``'torch'`` (default), ``'faiss'`` (needs the faiss package) or ``'auto'``
            (faiss when installed and ``x`` is on the CPU, else torch).
        init: ``[k, d]`` initial centroids (a warm start, e.g. the previous epoch's): one run of
            Lloyd's iterations from them, no seeding and no restarts (torch backend).
        seeding: initial centroids of each restart: ``'k-means++'`` (default) or ``'random'`` (``k``
            distinct points, uniformly, as faiss; torch backend, faiss always seeds randomly).

    Returns:
        :class:`KMeansResult`.

    Raises:
        ValueError: ``k`` larger than the number of points, bad sizes, NaN/inf points.

    Example:
        >>> x = torch.cat([torch.randn(20, 2), torch.randn(20, 2) + 10])
        >>> res = kmeans(x, 2, seed=0)
        >>> sorted(torch.bincount(res.labels).tolist())
        [20, 20]
    """
    check_features(x, name="x")
    n = x.size(0)
    k = check_int("k", k, minimum=1)
    if k > n:
        raise ValueError(f"k={k} clusters is larger than the number of points ({n}); use k <= {n}")
    n_init = check_int("n_init", n_init, minimum=1)
    max_iter = check_int("max_iter", max_iter, minimum=1)
    seed = check_int("seed", seed, minimum=0)
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {list(BACKENDS)}, got {backend!r}")
    if seeding not in SEEDINGS:
        raise ValueError(f"seeding must be one of {list(SEEDINGS)}, got {seeding!r}")
    if init is None and (backend == "faiss" or (backend == "auto" and x.device.type == "cpu" and faiss_available())):
        centroids, labels, dist, iters = _kmeans_faiss(x, k, n_init, max_iter, seed)
        return KMeansResult(labels, centroids, dist, float(dist.double().sum()), iters)
    x = x.detach()
    if not x.is_floating_point() or x.dtype == torch.float16:
        x = x.float()
    xx = (x * x).sum(1)
    if init is not None:
        if init.shape != (k, x.size(1)):
            raise ValueError(f"init must be [k, d] = [{k}, {x.size(1)}], got {list(init.shape)}")
        centers = init.detach().to(x.device, x.dtype).unsqueeze(0)
    else:
        gen = torch.Generator(device=x.device).manual_seed(seed)
        centers = (_plus_plus(x, xx, k, n_init, gen) if seeding == "k-means++"
                   else _random_points(x, k, n_init, gen))
    centers, iterations = _lloyd(x, xx, centers, max_iter)
    min_d, labels = _assign(x, xx, centers)  # final assignment to the final centroids
    inertia = min_d.double().sum(1)
    best = int(torch.argmin(inertia))
    return KMeansResult(labels[best], centers[best], min_d[best], float(inertia[best]), iterations)
