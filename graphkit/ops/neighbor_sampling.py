r"""Neighbour sampling on a CSR graph, vectorised: GraphSAGE-style mini-batch subgraphs in pure torch.

For seed nodes :math:`B_0` and fan-outs :math:`k_1, \dots, k_L`, hop :math:`\ell`
draws, for every node :math:`v` of the frontier :math:`B_{\ell-1}`, up to
:math:`k_\ell` of its in-neighbours :math:`\mathcal N(v)` (the row of ``v`` in the
CSR) **without replacement**, uniformly among the :math:`\binom{|\mathcal N(v)|}{k_\ell}`
subsets (all of them when :math:`|\mathcal N(v)| \le k_\ell`); the new nodes form
the next frontier. The result is PyG ``NeighborLoader``'s: the sampled node ids,
seeds first, and the sampled edges ``neighbour -> node`` in local ids.

How it runs without a Python loop over nodes: per hop, one uniform key per
candidate entry (every entry of the frontier's rows), a sort by key followed by
a stable sort by row (so each row's entries are in random order), and the first
:math:`\min(k, \deg)` of each row kept — a uniformly random subset of each row
(the first :math:`k` of a uniformly random permutation). New nodes are found
with an ``[n]`` id map (``-1`` = not yet in the subgraph) and ``torch.unique``.

Complexity per hop: :math:`O(E_\ell \log E_\ell)` for the :math:`E_\ell` entries of
the frontier's rows (the sort), :math:`O(n)` for the id map (allocated once per
call). A hub's whole row is keyed even when only :math:`k` entries are kept;
``torch_sparse`` / ``pyg-lib`` (C++) draw :math:`k` positions per row instead
(Floyd / reservoir), which is why they win on graphs with large degrees
(``benchmarks/neighbor_sampling.py`` measures both).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import torch
from torch import Tensor

from graphkit.ops.csr import CSR

__all__ = ["SampledSubgraph", "sample_neighbors", "sample_subgraph"]


class SampledSubgraph(NamedTuple):
    """A mini-batch subgraph: ``node`` (global ids, the ``batch_size`` seeds first), ``edge_index``
    ``[2, E]`` (local ids, ``neighbour -> node``, PyG's flow), ``edge`` (the CSR entry of each edge)."""

    node: Tensor
    edge_index: Tensor
    edge: Tensor
    batch_size: int


def sample_neighbors(rowptr: Tensor, nodes: Tensor, fan_out: int, *,
                     generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
    """Up to ``fan_out`` CSR entries of each row in ``nodes``, without replacement, uniformly.

    Args:
        rowptr: ``[n + 1]`` CSR row pointer.
        nodes: ``[b]`` rows to sample from (may repeat).
        fan_out: entries per row (``< 0``: all of them).
        generator: the source of the keys (on ``rowptr``'s device).

    Returns:
        ``(entry, owner)``: the sampled entries (positions in ``col``) and the index
        into ``nodes`` of the row each came from, grouped by row in ``nodes``' order.
    """
    start = rowptr[nodes]
    deg = rowptr[nodes + 1] - start
    total = int(deg.sum())
    owner = torch.repeat_interleave(torch.arange(nodes.numel(), device=nodes.device), deg, output_size=total)
    offset = torch.zeros(nodes.numel() + 1, dtype=torch.long, device=nodes.device)
    torch.cumsum(deg, 0, out=offset[1:])
    position = torch.arange(total, device=nodes.device) - offset[owner]  # rank of the entry within its row
    if fan_out < 0:
        return start[owner] + position, owner
    full = deg <= fan_out
    if bool(full.all()):
        return start[owner] + position, owner
    # rows with more than fan_out entries: a random order within each row, keep its first fan_out
    keys = torch.rand(total, generator=generator, device=nodes.device)
    order = torch.argsort(keys)
    order = order[torch.sort(owner[order], stable=True).indices]
    shuffled = position[order]  # row by row, that row's positions in a random order
    keep = (position < fan_out) | full[owner]
    return start[owner[keep]] + shuffled[keep], owner[keep]


def sample_subgraph(adj: CSR, seeds: Tensor, fan_out: Sequence[int], *,
                    generator: torch.Generator | None = None) -> SampledSubgraph:
    """The ``len(fan_out)``-hop neighbour-sampled subgraph around ``seeds`` (see the module docstring).

    Args:
        adj: the graph as a :class:`~graphkit.ops.csr.CSR` whose row ``v`` lists the
            nodes that send messages to ``v`` (``as_csr(edge_index.flip(0))`` of a
            PyG ``edge_index``; the same for an undirected graph).
        seeds: ``[b]`` distinct seed nodes.
        fan_out: neighbours per node and hop, from the seeds outwards (``-1``: all).
        generator: the random source.

    Returns:
        :class:`SampledSubgraph` (``node[:b] == seeds``).

    Example:
        >>> import torch
        >>> from graphkit.ops.csr import as_csr
        >>> star = as_csr(torch.tensor([[0, 0, 0, 0], [1, 2, 3, 4]]), 5)  # row 0 lists 1..4
        >>> sub = sample_subgraph(star, torch.tensor([0]), [2], generator=torch.Generator().manual_seed(0))
        >>> sub.node.numel(), sub.edge_index.size(1), int(sub.edge_index[1].unique())
        (3, 2, 0)
    """
    device = adj.rowptr.device
    seeds = seeds.to(device=device, dtype=torch.long)
    local = torch.full((adj.num_rows,), -1, dtype=torch.long, device=device)
    local[seeds] = torch.arange(seeds.numel(), device=device)
    nodes, frontier = [seeds], seeds
    count = seeds.numel()
    rows, cols, entries = [], [], []
    for k in fan_out:
        if frontier.numel() == 0:
            break
        entry, owner = sample_neighbors(adj.rowptr, frontier, int(k), generator=generator)
        neighbour = adj.col[entry]
        new = torch.unique(neighbour[local[neighbour] < 0])
        local[new] = torch.arange(count, count + new.numel(), device=device)
        count += new.numel()
        nodes.append(new)
        rows.append(local[neighbour])
        cols.append(local[frontier[owner]])
        entries.append(entry)
        frontier = new
    if not rows:
        empty = torch.empty(0, dtype=torch.long, device=device)
        return SampledSubgraph(seeds, torch.empty(2, 0, dtype=torch.long, device=device), empty, seeds.numel())
    edge_index = torch.stack([torch.cat(rows), torch.cat(cols)])
    return SampledSubgraph(torch.cat(nodes), edge_index, torch.cat(entries), seeds.numel())
