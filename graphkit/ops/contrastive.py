r"""Contrastive losses with weighted negatives and prototypes (MEOW / AdaMEOW, PCL).

**Weighted InfoNCE** (:func:`weighted_info_nce`). With anchors :math:`a_i` and targets :math:`b_j`
(rows L2-normalised by the caller), :math:`s_{ij} = a_i^\top b_j` and temperature :math:`\tau > 0`:

.. math::
    \mathcal L = -\frac1N \sum_i \log
      \frac{e^{s_{ii}/\tau}}{\sum_j w_{ij}\, e^{s_{ij}/\tau}}

:math:`w_{ij} \ge 0`. All ones is the usual InfoNCE (positive in the denominator). MEOW's
:func:`co_cluster_weights` give :math:`w_{ii} = 0` (the positive leaves the denominator) and
down-weight likely false negatives; AdaMEOW learns :math:`w_{ij} \in (0, 1)`, positive included.
The weights are a dense ``[N, N]`` tensor or a function of a block of rows, so that they are
never materialised whole: with ``chunk_size`` the loss is computed ``chunk_size`` rows at a time
under activation checkpointing, and memory is :math:`O(\text{chunk} \cdot N)` (plus whatever the
weight function needs per block), never :math:`O(N^2)`. The log-denominator is evaluated as
:math:`m_i + \log \sum_j w_{ij} e^{s_{ij}/\tau - m_i}` with :math:`m_i = \max_j s_{ij}/\tau`, the same
value as the official ``exp`` / ``sum`` without overflow.

**ProtoNCE** (:func:`proto_nce`, Li et al., *Prototypical Contrastive Learning*, ICLR 2021): for
clusterings :math:`m = 1..K` with normalised prototypes :math:`c^m_k`, assignments :math:`k_m(i)`
and concentrations :math:`\phi^m_k`,

.. math::
    \mathcal L_p = -\frac1K \sum_m \frac1N \sum_i \log
      \frac{e^{z_i^\top c^m_{k_m(i)} / \phi^m_{k_m(i)}}}{\sum_k e^{z_i^\top c^m_k / \phi^m_k}}.

MEOW's official code divides by the *mean* over prototypes times :math:`N` instead of the sum,
which adds the constant :math:`\log(N / K_m)` and changes no gradient.

**Concentration** (:func:`cluster_concentration`, PCL's :math:`\phi`): with :math:`d_i` the
distance of member :math:`i` to its centroid and :math:`n_k` the cluster size,

.. math::
    \phi_k = \frac{\sum_{i \in k} d_i}{n_k \log(n_k + \alpha)},

clusters with at most one member take the largest :math:`\phi`, the values are clipped to their
10th–90th percentiles and rescaled to mean :math:`\tau`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import Tensor
from torch.utils.checkpoint import checkpoint

from graphkit._validation import check_int, check_real

__all__ = ["weighted_info_nce", "co_cluster_weights", "pair_mlp_weights", "proto_nce", "cluster_concentration"]

Weight = Tensor | Callable[[Tensor], Tensor] | None


def _check_tau(tau) -> float:
    value = check_real("tau", tau)
    if not value > 0:
        raise ValueError(f"tau (the temperature) must be > 0, got {tau!r}; MEOW uses 0.4-1.0")
    return value


def _block_loss(anchor: Tensor, other: Tensor, rows: Tensor, tau: float, weight: Weight) -> Tensor:
    """Sum over ``rows`` of the per-anchor losses."""
    logits = anchor @ other.t() / tau  # [c, N]
    positive = logits.gather(1, rows.view(-1, 1)).view(-1)
    if weight is None:
        log_den = torch.logsumexp(logits, 1)
    else:
        w = weight(rows) if callable(weight) else weight.index_select(0, rows)
        if w.shape != logits.shape:
            raise ValueError(f"the weights of rows {int(rows[0])}..{int(rows[-1])} have shape {list(w.shape)}, "
                             f"expected {list(logits.shape)}")
        top = logits.detach().amax(1, keepdim=True)
        log_den = torch.log((w * torch.exp(logits - top)).sum(1)) + top.view(-1)
    return (log_den - positive).sum()


def weighted_info_nce(anchor: Tensor, other: Tensor, tau: float, weight: Weight = None, *,
                      chunk_size: int | None = None) -> Tensor:
    r"""The weighted InfoNCE loss of the module doc (mean over anchors).

    Args:
        anchor: ``[N, d]`` anchors :math:`a_i` (normalise them first for cosine similarities).
        other: ``[N, d]`` targets :math:`b_j`; row :math:`i` is anchor :math:`i`'s positive.
        tau: temperature, ``> 0``.
        weight: ``None`` (all ones), a ``[N, N]`` tensor, or ``weight(rows) -> [len(rows), N]``
            for a block of anchor rows (differentiable: AdaMEOW's learned weights).
        chunk_size: rows per block, computed under activation checkpointing (memory
            :math:`O(\text{chunk} \cdot N)`); ``None`` or ``>= N``: one block, no checkpointing.

    Raises:
        ValueError: ``tau <= 0``, shapes that disagree, weights of the wrong shape.

    Example:
        >>> a = torch.nn.functional.normalize(torch.randn(6, 4), dim=1)
        >>> full = weighted_info_nce(a, a, 0.5)
        >>> torch.allclose(full, weighted_info_nce(a, a, 0.5, torch.ones(6, 6), chunk_size=4))
        True
    """
    tau = _check_tau(tau)
    if anchor.dim() != 2 or other.dim() != 2 or anchor.shape != other.shape:
        raise ValueError(f"anchor and other must both be [N, d] of the same shape, got {list(anchor.shape)} "
                         f"and {list(other.shape)}")
    n = anchor.size(0)
    if n == 0:
        raise ValueError("weighted_info_nce needs at least one anchor")
    if isinstance(weight, Tensor) and weight.shape != (n, n):
        raise ValueError(f"weight must be [N, N] = [{n}, {n}], got {list(weight.shape)}")
    rows_all = torch.arange(n, device=anchor.device)
    if chunk_size is None or chunk_size >= n:
        return _block_loss(anchor, other, rows_all, tau, weight) / n
    chunk_size = check_int("chunk_size", chunk_size, minimum=1)
    total = anchor.new_zeros(())
    for start in range(0, n, chunk_size):
        rows = rows_all[start:start + chunk_size]
        block = checkpoint(_block_loss, anchor.index_select(0, rows), other, rows, tau, weight,
                           use_reentrant=False)
        total = total + block
    return total / n


def co_cluster_weights(assignments: Tensor) -> Callable[[Tensor], Tensor]:
    r"""MEOW's hard negative weights :math:`w_{ij} = K - \#\{m : k_m(i) = k_m(j)\}` as a row-block function.

    Args:
        assignments: ``[K, N]`` cluster ids of ``K`` clusterings.

    Returns:
        ``weight(rows) -> [len(rows), N]`` float weights in ``{0, ..., K}`` (:math:`w_{ii} = 0`).

    Example:
        >>> w = co_cluster_weights(torch.tensor([[0, 0, 1], [0, 1, 1]]))
        >>> w(torch.arange(3)).tolist()
        [[0.0, 1.0, 2.0], [1.0, 0.0, 1.0], [2.0, 1.0, 0.0]]
    """
    if assignments.dim() != 2:
        raise ValueError(f"assignments must be [K, N] cluster ids, got shape {list(assignments.shape)}")
    k = assignments.size(0)

    def weight(rows: Tensor) -> Tensor:
        same = (assignments[:, rows].unsqueeze(2) == assignments.unsqueeze(1)).sum(0)
        return (k - same).to(torch.get_default_dtype())

    return weight


class _PairMLPWeights(torch.autograd.Function):
    """``sigmoid(tanh(a_i + b_j) @ v + c)`` ``[c, N]`` whose ``[c, N, h]`` hidden layer is never saved."""

    @staticmethod
    def forward(ctx, a: Tensor, b: Tensor, v: Tensor, c: Tensor) -> Tensor:
        hidden = torch.tanh(a.unsqueeze(1) + b.unsqueeze(0))
        w = torch.sigmoid(torch.matmul(hidden, v) + c)
        ctx.save_for_backward(a, b, v, w)
        return w

    @staticmethod
    def backward(ctx, grad: Tensor):
        a, b, v, w = ctx.saved_tensors
        hidden = torch.tanh(a.unsqueeze(1) + b.unsqueeze(0))  # recomputed: one [c, N, h] block
        gs = grad * w * (1 - w)  # [c, N]
        gv = torch.einsum("cn,cnh->h", gs, hidden)
        gc = gs.sum().reshape(1)
        hidden.mul_(hidden).neg_().add_(1).mul_(gs.unsqueeze(-1)).mul_(v)  # d/d(pre-activation), in place
        return hidden.sum(1), hidden.sum(0), gv, gc


def pair_mlp_weights(a: Tensor, b: Tensor, v: Tensor, c: Tensor) -> Tensor:
    r""":math:`w_{ij} = \sigma(v^\top \tanh(a_i + b_j) + c)` for a block of rows ``a [r, h]`` and all ``b [N, h]``.

    AdaMEOW's negative weights :math:`\sigma(\mathrm{MLP}(z^f_i + z^c_j))` with the first layer split,
    :math:`a_i = W_1 z^f_i + b_1`, :math:`b_j = W_1 z^c_j` (``Linear(p, h)`` → ``tanh`` →
    ``Linear(h, 1)`` → ``sigmoid``). The ``[r, N, h]`` hidden layer is recomputed in the backward
    instead of being saved: memory :math:`O(r N h)` transient, :math:`O(r N)` kept.

    Args:
        a: ``[r, h]``; b: ``[N, h]``; v: ``[h]`` (the second layer's weight); c: ``[1]`` (its bias).

    Example:
        >>> a, b = torch.zeros(2, 3), torch.zeros(4, 3)
        >>> pair_mlp_weights(a, b, torch.ones(3), torch.zeros(1)).tolist()
        [[0.5, 0.5, 0.5, 0.5], [0.5, 0.5, 0.5, 0.5]]
    """
    if a.dim() != 2 or b.dim() != 2 or a.size(1) != b.size(1) or v.shape != (a.size(1),) or c.numel() != 1:
        raise ValueError(f"pair_mlp_weights needs a [r, h], b [N, h], v [h], c [1]; got {list(a.shape)}, "
                         f"{list(b.shape)}, {list(v.shape)}, {list(c.shape)}")
    return _PairMLPWeights.apply(a, b, v, c.reshape(1))


def proto_nce(z: Tensor, prototypes: Sequence[Tensor], assignments: Sequence[Tensor],
              concentrations: Sequence[Tensor]) -> Tensor:
    r"""ProtoNCE over ``K`` clusterings (module doc), mean over clusterings and nodes.

    Args:
        z: ``[N, d]`` embeddings (normalised).
        prototypes: ``K`` tensors ``[k_m, d]`` (normalised centroids).
        assignments: ``K`` tensors ``[N]`` of cluster ids.
        concentrations: ``K`` tensors ``[k_m]`` of :math:`\phi` (> 0).

    Example:
        >>> z = torch.nn.functional.normalize(torch.randn(5, 3), dim=1)
        >>> float(proto_nce(z, [z[:2]], [torch.tensor([0, 1, 0, 1, 0])], [torch.ones(2)])) > 0
        True
    """
    if not (len(prototypes) == len(assignments) == len(concentrations)) or len(prototypes) == 0:
        raise ValueError("prototypes, assignments and concentrations need one entry per clustering (at least one)")
    total = z.new_zeros(())
    for proto, labels, phi in zip(prototypes, assignments, concentrations, strict=True):
        if bool((phi <= 0).any()):
            raise ValueError("concentrations must be > 0")
        logits = (z @ proto.t()) / phi.view(1, -1)
        total = total + torch.nn.functional.cross_entropy(logits, labels)
    return total / len(prototypes)


def cluster_concentration(distances: Tensor, assignments: Tensor, num_clusters: int, tau: float, *,
                          alpha: float = 10.0, clip: tuple[float, float] = (0.1, 0.9)) -> Tensor:
    r"""PCL's concentration :math:`\phi_k` per cluster (module doc), rescaled to mean ``tau``.

    Args:
        distances: ``[N]`` distance of each node to its centroid (not squared).
        assignments: ``[N]`` cluster ids in ``[0, num_clusters)``.
        num_clusters: :math:`k`.
        tau: the mean of the result (``> 0``).
        alpha: smoothing :math:`\alpha` (PCL 10; MEOW's code 5).
        clip: quantiles the values are clipped to (PCL and MEOW: 10th and 90th percentile).

    Example:
        >>> phi = cluster_concentration(torch.tensor([1., 1., 2., 2.]), torch.tensor([0, 0, 1, 1]), 2, 0.5)
        >>> [round(v, 4) for v in phi.tolist()]
        [0.3667, 0.6333]
    """
    tau = _check_tau(tau)
    num_clusters = check_int("num_clusters", num_clusters, minimum=1)
    d = distances.to(torch.float64)
    counts = torch.bincount(assignments, minlength=num_clusters).to(torch.float64)
    sums = torch.zeros(num_clusters, dtype=torch.float64, device=d.device).index_add_(0, assignments, d)
    phi = sums / (counts.clamp_min(1) * torch.log(counts + alpha))
    single = counts <= 1
    if bool(single.all()):
        phi = torch.ones_like(phi)
    elif bool(single.any()):
        phi = torch.where(single, phi[~single].max(), phi)
    lo, hi = torch.quantile(phi, torch.tensor(clip, dtype=torch.float64, device=phi.device))
    phi = phi.clamp(lo, hi)
    mean = phi.mean()
    phi = torch.full_like(phi, tau) if not bool(mean > 0) else tau * phi / mean
    return phi.to(distances.dtype)
