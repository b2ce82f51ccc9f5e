r"""Layer-wise batched inference: a message-passing model's eval forward on every node, in chunks of nodes.

The full-graph forward of an :math:`L`-layer GNN keeps, per layer, a message per edge and the autograd
graph; on a large graph that, not training, sets the peak memory of mini-batch training (validation and
test run on all nodes). Sampling a neighbourhood per target node instead would change the numbers and
repeat work: an :math:`L`-hop neighbourhood grows with the fan-out to the power :math:`L`. The classic
remedy (GraphSAGE's and PyG's ``inference``, Hamilton et al. 2017, Appendix A) is to run the model
**layer by layer**: layer :math:`\ell`'s output is computed for *all* nodes, one chunk of target nodes at a
time, each chunk aggregating its **full** in-neighbourhood from layer :math:`\ell - 1`'s stored
``[N, h]`` output; then the next layer reads that output. The result is the full-graph forward in eval mode
(no sampling, no dropout), up to the float summation order.

Two pieces, neither knows a model:

- :func:`in_neighbor_blocks` cuts the nodes ``0..N-1`` into consecutive chunks of ``chunk_size`` targets and
  slices each chunk's in-neighbourhood out of the in-adjacency CSR: an :class:`InferenceBlock` with the
  chunk's source nodes (targets first, then their other in-neighbours, each once), the chunk's edges in
  local ids and the sources' global in-degrees (what a degree-normalised layer such as GCN needs).
- :func:`layerwise_inference` runs a list of :class:`InferenceLayer` — each an optional row-wise
  ``transform`` (applied to every node, ``chunk_size`` rows at a time: a linear map that comes before the
  aggregation, GCN's :math:`HW`) followed by an optional ``aggregate(h_source, block)`` that returns the
  chunk's ``[B, h']`` output — under ``torch.no_grad``. A model provides its layers
  (:meth:`graphkit.models.baselines.GCN.inference_layers` and the other baselines).

Complexity per layer: :math:`O(E \log(E/\#\text{chunks}))` for the blocks (one ``torch.unique`` over each
chunk's in-edges) plus the layer's own arithmetic, the same as the full forward's. Memory: the input and
output of the layer, :math:`O(N (h_{\ell-1} + h_\ell))`, plus one chunk's
:math:`O(S_b h_{\ell-1} + E_b h_\ell)` for its :math:`S_b` sources and :math:`E_b` in-edges — not the full
graph's :math:`O(E h)` messages, and no autograd graph. The loop is over chunks
(:math:`\lceil N / \text{chunk\_size} \rceil` per layer), never over nodes or edges.

Example (one mean-aggregation layer, equal to the dense computation)::

    >>> import torch
    >>> edge_index = torch.tensor([[0, 1, 2, 2], [1, 2, 0, 1]])  # 0->1, 1->2, 2->0, 2->1
    >>> x = torch.tensor([[1.0], [2.0], [4.0]])
    >>> def mean_of_in_neighbours(h_source, block):
    ...     src, dst = block.edge_index
    ...     total = torch.zeros(block.batch_size, h_source.size(1)).index_add_(0, dst, h_source[src])
    ...     return total / block.in_degree[: block.batch_size].clamp(min=1).unsqueeze(1)
    >>> layerwise_inference([InferenceLayer(aggregate=mean_of_in_neighbours)], x, edge_index, chunk_size=2)
    tensor([[4.0000],
            [2.5000],
            [2.0000]])
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple

import torch
from torch import Tensor

from graphkit._validation import check_edge_index, check_int
from graphkit.ops.csr import CSR, from_coo
from graphkit.ops.rows import select_rows

__all__ = ["InferenceBlock", "InferenceLayer", "in_neighbor_blocks", "layerwise_inference"]


class InferenceBlock(NamedTuple):
    """One chunk of target nodes with its full in-neighbourhood.

    Attributes:
        start, end: the targets are the nodes ``start, ..., end - 1`` (``batch_size = end - start`` of them).
        source: ``[S]`` global ids of the nodes the chunk reads: the ``batch_size`` targets first (so
            ``source[:batch_size] == arange(start, end)``), then every other in-neighbour of a target, once.
        edge_index: ``[2, E_b]`` every stored edge into a target, in local ids: row 0 indexes ``source``,
            row 1 the targets (``[0, batch_size)``). Duplicate edges are kept, as in the full graph.
        in_degree: ``[S]`` the global in-degree (stored in-edges, duplicates counted) of each source node.
    """

    start: int
    end: int
    source: Tensor
    edge_index: Tensor
    in_degree: Tensor

    @property
    def batch_size(self) -> int:
        return self.end - self.start


class InferenceLayer(NamedTuple):
    """One layer of :func:`layerwise_inference`: ``transform`` (row-wise, all nodes) then ``aggregate`` (per chunk).

    Attributes:
        aggregate: ``(h_source [S, h], block) -> [B, h']``, the layer's output for the block's targets from
            the rows of its sources (``h_source = h[block.source]``, targets first). ``None``: the layer is
            the row-wise ``transform`` alone.
        transform: a row-wise map ``[n, h] -> [n, h']`` applied to every node before aggregating (computed
            once per node rather than once per block that reads it), e.g. the linear map of a GCN layer.
            ``None``: the identity.
    """

    aggregate: Callable[[Tensor, InferenceBlock], Tensor] | None = None
    transform: Callable[[Tensor], Tensor] | None = None


def _row_range(x: Tensor, start: int, end: int) -> Tensor:
    if x.layout == torch.sparse_csr:
        return select_rows(x, torch.arange(start, end, device=x.device))  # the first layer may read CSR
    return x[start:end]


def _in_adjacency(edge_index: Tensor | CSR, num_nodes: int) -> CSR:
    if isinstance(edge_index, CSR):
        if edge_index.num_rows != num_nodes or edge_index.num_cols != num_nodes:
            raise ValueError(f"the in-adjacency CSR must be [{num_nodes}, {num_nodes}] (one row per node), got "
                             f"[{edge_index.num_rows}, {edge_index.num_cols}]")
        return edge_index
    check_edge_index(edge_index, num_nodes, name="edge_index")
    return from_coo(edge_index[1], edge_index[0], None, num_nodes, num_nodes)  # row v: the nodes sending to v


def in_neighbor_blocks(adj: CSR, chunk_size: int, *, nodes: tuple[int, int] | None = None
                       ) -> Iterator[InferenceBlock]:
    """The nodes ``0..N-1`` in consecutive chunks of ``chunk_size`` targets, each with its full in-neighbourhood.

    Args:
        adj: the in-adjacency, ``[N, N]``: row ``v`` lists the nodes with an edge into ``v`` (the CSR of
            ``edge_index.flip(0)``, as :func:`layerwise_inference` builds it).
        chunk_size: targets per block (the last block may be smaller).
        nodes: ``(first, stop)``: only the targets ``first, ..., stop - 1`` (a rank's row range).
            (default: all nodes)

    Yields:
        :class:`InferenceBlock` per chunk, in node order. Complexity per block: :math:`O(E_b \\log E_b)` for its
        :math:`E_b` in-edges (one ``torch.unique``), no loop over nodes.
    """
    check_int("chunk_size", chunk_size, minimum=1)
    rowptr, col, n = adj.rowptr, adj.col, adj.num_rows
    first, stop = (0, n) if nodes is None else nodes
    if not 0 <= first <= stop <= n:
        raise ValueError(f"nodes must be a range (first, stop) with 0 <= first <= stop <= {n}, got {nodes}")
    degree = rowptr.diff()
    for start in range(first, stop, chunk_size):
        end = min(start + chunk_size, stop)
        size = end - start
        lo, hi = int(rowptr[start]), int(rowptr[end])
        neighbour = col[lo:hi]
        dst = torch.repeat_interleave(torch.arange(size, device=col.device), degree[start:end],
                                      output_size=hi - lo)
        inside = (neighbour >= start) & (neighbour < end)
        outside, inverse = torch.unique(neighbour[~inside], return_inverse=True)
        src = torch.empty_like(neighbour)
        src[inside] = neighbour[inside] - start
        src[~inside] = inverse + size
        source = torch.cat([torch.arange(start, end, device=col.device), outside])
        yield InferenceBlock(start, end, source, torch.stack([src, dst]), degree[source])


@torch.no_grad()
def layerwise_inference(layers: Sequence[InferenceLayer], x: Tensor, edge_index: Tensor | CSR, *,
                        chunk_size: int = 1024, shard: bool = False) -> Tensor:
    r"""The output of ``layers`` on every node, layer by layer, ``chunk_size`` target nodes at a time.

    For each layer in order: ``h = transform(h)`` row-wise (``chunk_size`` rows at a time), then for every
    :class:`InferenceBlock` of :func:`in_neighbor_blocks` the chunk's rows of the layer's output are
    ``aggregate(h[block.source], block)``; the ``[N, h']`` output is the next layer's input. Autograd-free.

    Args:
        layers: the model's layers (:class:`InferenceLayer`), e.g. ``model.inference_layers()``.
        x: ``[N, F]`` node features, dense or ``torch.sparse_csr`` (then the first layer's ``transform``,
            or its ``aggregate``, receives CSR rows).
        edge_index: ``[2, E]`` edges ``source -> target`` (PyG's flow), or the in-adjacency
            :class:`~graphkit.ops.csr.CSR` (row ``v``: the nodes sending to ``v``) built once by the caller.
        chunk_size: target nodes per block and rows per ``transform`` call. Memory per block:
            :math:`O(S_b h + E_b h')` for its sources and in-edges. (default: ``1024``)
        shard: under a process group (:mod:`graphkit.distributed`), every rank computes its contiguous
            range of rows (:func:`graphkit.distributed.shard_range`) of each transform and layer and the
            ranks all-gather them (:func:`graphkit.ops.distributed_fastrp.gather_rows`), so each rank does
            :math:`1/p` of the work and ends with the whole output. Every rank must call it (a collective).
            Without a group it changes nothing. (default: ``False``)

    Returns:
        ``[N, h_L]``: the last layer's output for every node.

    Complexity: see the module docstring — the full forward's arithmetic, :math:`O(N h)` memory between
    layers instead of :math:`O(E h)` messages.
    """
    if not layers:
        raise ValueError("layerwise_inference needs at least one layer")
    n = x.size(0)
    check_int("chunk_size", chunk_size, minimum=1)
    if n == 0:
        raise ValueError("layerwise_inference needs at least one node (x has no rows)")
    from graphkit import distributed
    from graphkit.ops.distributed_fastrp import gather_rows

    sharded = shard and distributed.is_distributed()
    first, stop = distributed.shard_range(n) if sharded else (0, n)
    if first == stop:
        raise ValueError(f"shard=True needs at least one node per rank: {n} nodes, {distributed.world_size()} ranks")
    adj = None
    h = x
    for index, layer in enumerate(layers):
        if layer.aggregate is None and layer.transform is None:
            raise ValueError(f"layer {index} has neither a transform nor an aggregate")
        if layer.transform is not None:
            h = _chunked_rows(layer.transform, h, chunk_size, first, stop)
            if sharded:
                h = gather_rows(h, n)
        if layer.aggregate is None:
            continue
        if adj is None:
            adj = _in_adjacency(edge_index, n)
        out = None
        for block in in_neighbor_blocks(adj, chunk_size, nodes=(first, stop)):
            part = layer.aggregate(select_rows(h, block.source), block)
            if out is None:
                out = part.new_empty((stop - first, *part.shape[1:]))
            out[block.start - first:block.end - first] = part
        h = gather_rows(out, n) if sharded else out
    return h


def _chunked_rows(fn: Callable[[Tensor], Tensor], h: Tensor, chunk_size: int, first: int, stop: int) -> Tensor:
    """``fn`` of the rows ``first..stop-1`` of ``h``, ``chunk_size`` rows at a time."""
    out = None
    for start in range(first, stop, chunk_size):
        end = min(start + chunk_size, stop)
        part = fn(_row_range(h, start, end))
        if out is None:
            out = part.new_empty((stop - first, *part.shape[1:]))
        out[start - first:end - first] = part
    return out
