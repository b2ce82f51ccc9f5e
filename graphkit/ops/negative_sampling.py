r"""Seeded uniform negative sampling of node pairs.

Draws pairs :math:`(u, v)` uniformly from :math:`[0, N)^2`, rejects those that
are stored in a given adjacency (and, optionally, self-pairs), and redraws the
rejected ones for a few rounds. Membership is tested on sorted int64 keys
:math:`uN + v` with ``searchsorted``, so nothing dense is built.

Complexity: :math:`O(E \log E)` once to sort the edge keys, then
:math:`O(M \log E)` per round for ``M`` candidate pairs; memory
:math:`O(E + M)`. On sparse graphs nearly every draw is accepted at once.
"""

from __future__ import annotations

import torch
from torch import Tensor

from graphkit._validation import check_num_nodes


def edge_keys(edge_index: Tensor, num_nodes: int) -> Tensor:
    """Sorted unique int64 keys ``row * num_nodes + col`` of the stored pairs."""
    return torch.unique(edge_index[0] * num_nodes + edge_index[1])


def contains(sorted_keys: Tensor, keys: Tensor) -> Tensor:
    """Boolean mask: which ``keys`` occur in the sorted key array."""
    if sorted_keys.numel() == 0:
        return torch.zeros_like(keys, dtype=torch.bool)
    pos = torch.searchsorted(sorted_keys, keys).clamp_(max=sorted_keys.numel() - 1)
    return sorted_keys[pos] == keys


def sample_negatives(
    num_nodes: int,
    num_samples: int,
    *,
    exclude: Tensor | None = None,
    generator: torch.Generator | None = None,
    allow_self_loops: bool = False,
    undirected: bool = True,
    max_rounds: int = 10,
    device: torch.device | str | None = None,
) -> Tensor:
    """Sample ``num_samples`` node pairs that are not edges.

    Args:
        num_nodes: number of nodes ``N``.
        num_samples: number of pairs to return.
        exclude: ``[2, E]`` pairs that must not be returned (the graph's edges).
            With ``undirected=True`` both orientations of each pair are excluded.
        generator: the ``torch.Generator`` to draw from (a fresh unseeded one is
            never used: pass one for reproducibility; ``None`` uses a generator
            seeded with 0).
        allow_self_loops: whether ``(u, u)`` pairs may be returned.
        undirected: treat ``exclude`` as undirected.
        max_rounds: redraw rounds for rejected pairs. Pairs still rejected after
            the last round are dropped, so a near-complete graph may return fewer
            than ``num_samples`` pairs.

    Returns:
        ``[2, M]`` int64 with ``M <= num_samples`` (``M == num_samples`` unless the
        graph is nearly complete).
    """
    num_nodes = check_num_nodes(num_nodes)
    if num_samples < 0:
        raise ValueError(f"num_samples must be non-negative, got {num_samples}")
    if num_nodes == 0 or num_samples == 0:
        return torch.empty(2, 0, dtype=torch.long, device=device)
    if generator is None:
        generator = torch.Generator().manual_seed(0)
    if exclude is not None:
        device = exclude.device if device is None else device
        if undirected:
            exclude = torch.cat([exclude, exclude.flip(0)], dim=1)
        forbidden = edge_keys(exclude.cpu(), num_nodes)
    else:
        forbidden = torch.empty(0, dtype=torch.long)

    accepted = torch.empty(0, dtype=torch.long)
    need = num_samples
    for _ in range(max_rounds):
        # draw a little extra so one round usually suffices
        draw = int(need * 1.1) + 16
        keys = torch.randint(0, num_nodes * num_nodes, (draw,), generator=generator)
        ok = ~contains(forbidden, keys)
        if not allow_self_loops:
            ok &= keys // num_nodes != keys % num_nodes
        accepted = torch.cat([accepted, keys[ok][:need]])
        need = num_samples - accepted.numel()
        if need == 0:
            break
    pairs = torch.stack([accepted // num_nodes, accepted % num_nodes])
    return pairs.to(device) if device is not None else pairs
