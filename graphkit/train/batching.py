"""Mini-batches over index ranges and batched scoring of large query sets."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import torch
from torch import Tensor


def iter_batches(
    num_items: int,
    batch_size: int,
    *,
    shuffle: bool = False,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
) -> Iterator[Tensor]:
    """Yield index tensors that cover ``range(num_items)`` in chunks of ``batch_size``.

    With ``shuffle=True`` the order is a permutation drawn from ``generator``.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if num_items == 0:
        return
    if shuffle:
        order = torch.randperm(num_items, generator=generator).to(device)
    else:
        order = torch.arange(num_items, device=device)
    yield from order.split(batch_size)


@torch.no_grad()
def batched_scores(
    score_fn: Callable[[Tensor], Tensor], edge_label_index: Tensor, batch_size: int = 65536
) -> Tensor:
    """Score query pairs ``[2, B]`` in chunks and concatenate the ``[B]`` results.

    Memory is bounded by one chunk's intermediate tensors, whatever ``B`` is.
    """
    if edge_label_index.dim() != 2 or edge_label_index.size(0) != 2:
        raise ValueError(f"edge_label_index must have shape [2, B], got {list(edge_label_index.shape)}")
    if edge_label_index.size(1) == 0:
        return torch.empty(0, device=edge_label_index.device)
    chunks = [score_fn(edge_label_index[:, idx]).reshape(-1) for idx in
              iter_batches(edge_label_index.size(1), batch_size, device=edge_label_index.device)]
    return torch.cat(chunks)
