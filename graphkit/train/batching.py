"""Mini-batches over index ranges and batched scoring of large query sets."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import torch
from torch import Tensor

__all__ = ["iter_batches", "batched_scores"]


def iter_batches(
    num_items: int,
    batch_size: int,
    *,
    shuffle: bool = False,
    drop_last: bool = False,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
) -> Iterator[Tensor]:
    """Yield index tensors that cover ``range(num_items)`` in chunks of ``batch_size``.

    Args:
        num_items: the range to cover; ``0`` yields nothing (and draws nothing).
        batch_size: indices per chunk (``>= 1``); the last chunk may be shorter.
        shuffle: a permutation drawn from ``generator`` instead of ``0, 1, ...``
            (drawn on the CPU, then moved to ``device``).
        drop_last: drop the last incomplete chunk, unless it is the only one
            (NCN's official ``PermIterator``).
        generator: the generator of the permutation.
        device: where the index tensors live.
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if num_items == 0:
        return
    if shuffle:
        order = torch.randperm(num_items, generator=generator).to(device)
    else:
        order = torch.arange(num_items, device=device)
    chunks = order.split(batch_size)
    if drop_last and len(chunks) > 1 and chunks[-1].numel() < batch_size:
        chunks = chunks[:-1]
    yield from chunks


@torch.no_grad()
def batched_scores(
    score_fn: Callable[[Tensor], Tensor], edge_label_index: Tensor, batch_size: int | None = 65536
) -> Tensor:
    """Score query pairs ``[2, B]`` in chunks and concatenate the ``[B]`` results.

    Memory is bounded by one chunk's intermediate tensors, whatever ``B`` is.
    ``batch_size=None`` scores all pairs in one call (for models that bound
    their own memory, e.g. NCN's common-neighbour work budget).
    """
    if edge_label_index.dim() != 2 or edge_label_index.size(0) != 2:
        raise ValueError(f"edge_label_index must have shape [2, B], got {list(edge_label_index.shape)}")
    if edge_label_index.size(1) == 0:
        return torch.empty(0, device=edge_label_index.device)
    if batch_size is None:
        return score_fn(edge_label_index).reshape(-1)
    chunks = [score_fn(edge_label_index[:, idx]).reshape(-1) for idx in
              iter_batches(edge_label_index.size(1), batch_size, device=edge_label_index.device)]
    return torch.cat(chunks)
