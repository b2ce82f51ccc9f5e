r"""Feature and edge masking: the corrupted copies of graph-contrastive views (MEOW's masked fine view).

* :func:`mask_features` sets :math:`\lfloor r \cdot \mathrm{nnz} \rfloor` randomly chosen *non-zero*
  entries of a feature matrix to zero (MEOW's ``mask_feature``: ``random.sample`` of the non-zero
  positions), keeping the layout (dense or sparse COO) and the other values.
* :func:`mask_edges` removes the self-loops of an edge list and then drops
  :math:`\lfloor r \cdot E \rfloor` of the remaining stored entries uniformly at random (each
  stored direction on its own, as MEOW's ``mask_edges`` shuffles the off-diagonal entries), keeping
  the others in their original order. MEOW then adds self-loops and normalises the kept, now
  unweighted, graph (``sym_norm``).

Both draw from an explicit ``torch.Generator`` (CPU); the same generator state gives the same
mask on every device. Complexity: one random permutation of the non-zeros (edges), :math:`O(\mathrm{nnz})`.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from graphkit._validation import check_real

__all__ = ["mask_features", "mask_edges"]


def _rate(rate) -> float:
    return check_real("rate", rate, low=0.0, high=1.0)


def _choose(count: int, rate: float, generator: torch.Generator | None) -> Tensor:
    """``floor(rate * count)`` distinct positions in ``[0, count)`` (CPU int64)."""
    drop = math.floor(rate * count + 1e-9)
    return torch.randperm(count, generator=generator)[:drop]


def mask_features(x: Tensor, rate: float, *, generator: torch.Generator | None = None) -> Tensor:
    """``x`` with ``floor(rate * nnz)`` random non-zero entries set to 0 (see the module doc).

    Args:
        x: ``[N, F]`` dense or sparse COO features.
        rate: share of the non-zero entries to zero, in ``[0, 1]``.
        generator: CPU generator of the draw (default: torch's global one).

    Returns:
        A new tensor of the same layout, shape and dtype.

    Example:
        >>> x = torch.tensor([[1., 0., 2.], [0., 3., 4.]])
        >>> out = mask_features(x, 0.5, generator=torch.Generator().manual_seed(0))
        >>> int((out != 0).sum()), bool(((out == x) | (out == 0)).all())
        (2, True)
    """
    rate = _rate(rate)
    if x.layout == torch.sparse_coo:
        x = x.coalesce()
        value = x.values().clone()
        nonzero = (value != 0).nonzero().view(-1)
        chosen = nonzero[_choose(nonzero.numel(), rate, generator).to(value.device)]
        value[chosen] = 0
        return torch.sparse_coo_tensor(x.indices(), value, x.shape, is_coalesced=True,
                                       check_invariants=False)
    if x.layout != torch.strided:
        raise TypeError(f"x must be a dense or sparse COO tensor, got layout {x.layout}")
    out = x.clone()
    flat = out.view(-1)
    nonzero = (flat != 0).nonzero().view(-1)
    flat[nonzero[_choose(nonzero.numel(), rate, generator).to(x.device)]] = 0
    return out


def mask_edges(edge_index: Tensor, rate: float, *, generator: torch.Generator | None = None) -> Tensor:
    """The stored entries of ``edge_index`` without self-loops, minus ``floor(rate * E')`` random ones.

    Args:
        edge_index: ``[2, E]`` int64.
        rate: share of the off-diagonal entries to drop, in ``[0, 1]``.
        generator: CPU generator of the draw (default: torch's global one).

    Returns:
        ``[2, E'' ]`` the kept off-diagonal entries, in their original order.

    Example:
        >>> ei = torch.tensor([[0, 0, 1, 1, 2], [0, 1, 0, 2, 1]])
        >>> mask_edges(ei, 0.5, generator=torch.Generator().manual_seed(0)).size(1)
        2
    """
    rate = _rate(rate)
    if edge_index.dim() != 2 or edge_index.size(0) != 2:
        raise ValueError(f"edge_index must have shape [2, E], got {list(edge_index.shape)}")
    off = edge_index[:, edge_index[0] != edge_index[1]]
    keep = torch.ones(off.size(1), dtype=torch.bool)
    keep[_choose(off.size(1), rate, generator)] = False
    return off[:, keep.to(off.device)]
