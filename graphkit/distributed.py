r"""Data-parallel training on ``torch.distributed``: the process group, sharding, gradient averaging.

graphkit writes no engine of its own: ``torchrun`` starts the processes and
``torch.distributed`` carries the collectives (gloo on the CPU, NCCL on CUDA,
chosen by :func:`init`). Launch any script or the runner as::

    torchrun --nproc-per-node 2 -m graphkit.runner --model ncn --dataset cora

What each piece does under a process group of ``p > 1`` ranks (with one process,
or no group, every function here is the identity / a no-op, so single-process
code paths and numbers are untouched):

- :func:`init` reads torchrun's ``RANK`` / ``WORLD_SIZE`` / ``LOCAL_RANK`` /
  ``MASTER_ADDR`` / ``MASTER_PORT`` and initialises the default group (``nccl``
  when the device is CUDA, else ``gloo``), or adopts a group the caller already
  initialised. The procedures call it (:func:`graphkit.models.procedure.procedure`),
  so ``fit_*`` under torchrun needs no extra line.
- :func:`shard` gives each rank its part of a batch's index (seed nodes,
  positive edges): contiguous parts whose sizes differ by at most one (the first
  ``B mod p`` ranks hold one more). **The remainder** is not dropped and no
  sample is repeated: each rank multiplies its mean loss by :func:`share`
  :math:`= p\, b_r / B`, so that the average over ranks of the gradients is
  exactly the gradient of the full batch's mean loss,
  :math:`\frac1p \sum_r \frac{p}{B} \sum_{i \in r} \nabla \ell_i = \frac1B \sum_i \nabla \ell_i`.
  Every rank draws the same global batch (same seed, same generator stream),
  then keeps its part; a method whose batch also changes the graph (NCN's
  target-link removal) removes the *global* batch's edges on every rank.
- :func:`all_reduce_gradients` averages the gradients over the ranks after the
  backward pass and before the step (flattened into buckets of ``bucket_mb``,
  one ``all_reduce`` per bucket), which is what ``DistributedDataParallel``'s
  reducer does. Parameters that received no gradient on any rank keep
  ``grad = None`` (the optimiser skips them as with one process); a parameter
  used on some ranks only counts as zero on the others.
- :func:`broadcast_module` copies rank 0's parameters and buffers to the other
  ranks (DDP does this when it wraps a module; seeded procedures build the same
  parameters on every rank anyway).

**Why not the ``DistributedDataParallel`` wrapper itself.** DDP's reducer is
armed in ``DistributedDataParallel.forward`` (``prepare_for_backward``) and its
buffers are synchronised there. graphkit's procedures do not call the model's
``forward`` during training: their loss closures call its parts
(``model.encoder``, ``model.predictor``, a teacher and a student), so a DDP
wrapper would see no forward at all — its hooks would either raise ("Expected to
have finished reduction in the prior iteration") or leave the gradients
un-averaged. Wrapping each part separately would need a DDP per submodule and
``find_unused_parameters`` for parts some batches skip. Averaging the gradients
in the one epoch loop (:func:`graphkit.train.loop.run_epochs`) after ``backward``
does the same arithmetic as DDP (sum, divide by ``p``, bucketed) for every
procedure at once, whatever it calls. What DDP adds and this does not: it
overlaps the bucket all-reduces with the backward pass; here they run after it
(one communication phase per step, the same volume: :math:`2 \frac{p-1}{p}` times
the gradient bytes for a ring all-reduce).

Everything the loop decides (early stopping, the kept state) is taken on the
same values on every rank: the validation value of rank 0 is broadcast
(:func:`broadcast_value`), so ranks cannot diverge even where a kernel is not
bitwise deterministic, and parameters stay identical because every rank applies
the same averaged gradient.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterable

import torch
import torch.distributed as dist
from torch import Tensor, nn

__all__ = ["all_reduce_gradients", "all_reduce_sum", "barrier", "broadcast_module", "broadcast_value",
           "device_for", "init", "is_distributed", "is_main", "launched_by_torchrun", "local_rank", "rank",
           "shard", "shard_nodes", "shard_range", "share", "shutdown", "traffic", "world_size"]

_ENV = ("RANK", "WORLD_SIZE")
_BUCKET_MB = 25  # DDP's default bucket_cap_mb
# payload bytes of the collectives issued through this module (and graphkit.ops.distributed_fastrp), per kind
_TRAFFIC: dict[str, int] = {"all_reduce": 0, "all_gather": 0, "broadcast": 0}


def traffic(reset: bool = False) -> dict[str, int]:
    """Payload bytes of the collectives graphkit issued in this process, by kind (``reset``: zero them after).

    The payload is the tensor each rank contributes (all-reduce, broadcast) or
    receives in full (all-gather). On the wire a ring all-reduce moves
    :math:`2 \frac{p-1}{p}` times its payload per rank, a ring all-gather
    :math:`\frac{p-1}{p}` times its output; ``benchmarks/results/scale.md`` uses these.
    """
    out = dict(_TRAFFIC)
    if reset:
        for key in _TRAFFIC:
            _TRAFFIC[key] = 0
    return out


def _count(kind: str, tensor: Tensor) -> None:
    _TRAFFIC[kind] += tensor.numel() * tensor.element_size()


def launched_by_torchrun() -> bool:
    """Whether torchrun (or another launcher using its variables) started this process: ``RANK`` and
    ``WORLD_SIZE`` are set."""
    return all(key in os.environ for key in _ENV)


def is_distributed() -> bool:
    """A default process group of more than one rank is initialised."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def rank() -> int:
    """This process's rank (0 without a group)."""
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def world_size() -> int:
    """The number of ranks (1 without a group)."""
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def local_rank() -> int:
    """The rank on this machine (torchrun's ``LOCAL_RANK``; else the rank)."""
    return int(os.environ.get("LOCAL_RANK", rank()))


def is_main() -> bool:
    """Rank 0 (or no group): the process that writes files, prints and shows progress."""
    return rank() == 0


def device_for(device: torch.device | str) -> torch.device:
    """``device`` with a CUDA device pinned to this process's local rank under a group (``cuda`` ->
    ``cuda:LOCAL_RANK``); anything else unchanged."""
    device = torch.device(device)
    if device.type == "cuda" and device.index is None and is_distributed():
        return torch.device("cuda", local_rank() % max(torch.cuda.device_count(), 1))
    return device


def init(device: torch.device | str | None = None, *, backend: str | None = None,
         timeout_s: float = 1800.0) -> bool:
    """Initialise the default process group when launched by torchrun; return whether one (of > 1 ranks) is up.

    An existing group is adopted as is. Without torchrun's variables, or with
    ``WORLD_SIZE=1``, nothing happens and ``False`` is returned.

    Args:
        device: where this process computes; CUDA selects NCCL and pins the
            process to ``cuda:LOCAL_RANK`` (``None``: CUDA if available).
        backend: ``'gloo'`` or ``'nccl'`` to override the choice.
        timeout_s: the collectives' timeout.
    """
    if not dist.is_available():
        return False
    if dist.is_initialized():
        return dist.get_world_size() > 1
    if not launched_by_torchrun() or int(os.environ["WORLD_SIZE"]) <= 1:
        return False
    cuda = torch.cuda.is_available() if device is None else torch.device(device).type == "cuda"
    if backend is None:
        backend = "nccl" if cuda else "gloo"
    if cuda:
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", os.environ["RANK"])) % torch.cuda.device_count())
    dist.init_process_group(backend, timeout=datetime.timedelta(seconds=timeout_s))
    return dist.get_world_size() > 1


def shutdown() -> None:
    """Destroy the default process group if one is initialised (the runner's last step under torchrun)."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def shard_range(total: int, *, rank_: int | None = None, world: int | None = None) -> tuple[int, int]:
    """``[start, stop)`` of this rank's contiguous part of ``range(total)``; the first ``total mod p``
    ranks hold one more item (``torch.tensor_split``'s rule)."""
    r = rank() if rank_ is None else rank_
    p = world_size() if world is None else world
    base, extra = divmod(total, p)
    start = r * base + min(r, extra)
    return start, start + base + (1 if r < extra else 0)


def shard(index: Tensor, *, dim: int = -1, rank_: int | None = None, world: int | None = None) -> Tensor:
    """This rank's contiguous part of ``index`` along ``dim`` (see the module docstring); ``index`` itself
    with one process. Pair with :func:`share` to scale the rank's mean loss."""
    p = world_size() if world is None else world
    if p == 1:
        return index
    start, stop = shard_range(index.size(dim), rank_=rank_, world=p)
    return index.narrow(dim, start, stop - start)


def share(local: int, total: int) -> float:
    """``p * local / total``: the factor of a rank's mean loss over ``local`` of the batch's ``total`` items
    that makes the average of the ranks' gradients the full batch's (1.0 with one process)."""
    p = world_size()
    return 1.0 if p == 1 else p * local / max(total, 1)


def shard_nodes(nodes: Tensor) -> tuple[Tensor, float]:
    """This rank's part of a node set and its loss factor: ``(shard(ids), share(b_r, B))``.

    ``nodes``: a bool mask ``[N]`` or ``[B]`` node ids. With one process ``(nodes, 1.0)``, the
    input itself (a mask stays a mask, so single-process indexing and numbers are unchanged);
    under a group the ids of the mask's nodes, cut by :func:`shard`. The pattern of every
    full-batch node loss under ``torchrun``: every rank runs the same forward, takes the mean
    loss over its part and multiplies it by the factor, so the averaged gradient is the
    one-process gradient up to the float summation order. A rank whose part is empty
    (fewer nodes than ranks) contributes zero.
    """
    if not is_distributed():
        return nodes, 1.0
    ids = nodes.nonzero().view(-1) if nodes.dtype == torch.bool else nodes
    local = shard(ids)
    return local, share(local.numel(), ids.numel())


def barrier() -> None:
    """Wait for every rank (no-op without a group)."""
    if is_distributed():
        dist.barrier()


def _params(params: Iterable[Tensor] | nn.Module | torch.optim.Optimizer) -> list[Tensor]:
    if isinstance(params, nn.Module):
        return list(params.parameters())
    if isinstance(params, torch.optim.Optimizer):
        return [p for group in params.param_groups for p in group["params"]]
    return list(params)


@torch.no_grad()
def all_reduce_gradients(params: Iterable[Tensor] | nn.Module | torch.optim.Optimizer, *,
                         bucket_mb: float = _BUCKET_MB) -> None:
    """Average ``.grad`` over the ranks, in flattened buckets of at most ``bucket_mb`` (see the module docstring).

    ``params``: tensors, a module or an optimiser (its parameter groups, in
    order: the same order on every rank). No-op without a group.
    """
    if not is_distributed():
        return
    params = [p for p in _params(params) if p.requires_grad]
    if not params:
        return
    for p in params:
        if p.grad is not None and p.grad.is_sparse:
            raise NotImplementedError("sparse gradients cannot be averaged across ranks yet; use dense embeddings")
    # which parameters have a gradient on any rank (one small collective): keep None where none has
    device = params[0].device
    has = torch.tensor([p.grad is not None for p in params], dtype=torch.int32, device=device)
    dist.all_reduce(has)
    used = [p for p, h in zip(params, has.tolist(), strict=True) if h]
    for p in used:
        if p.grad is None:
            p.grad = torch.zeros_like(p)
    p_ = world_size()
    cap = max(1, int(bucket_mb * 2**20))
    buckets: dict[tuple, list[list[Tensor]]] = {}
    sizes: dict[tuple, int] = {}
    for p in used:
        key = (p.grad.dtype, p.grad.device)
        nbytes = p.grad.numel() * p.grad.element_size()
        if key not in buckets or sizes[key] + nbytes > cap:
            buckets.setdefault(key, []).append([])
            sizes[key] = 0
        buckets[key][-1].append(p.grad)
        sizes[key] += nbytes
    for groups in buckets.values():
        for grads in groups:
            flat = torch.cat([g.reshape(-1) for g in grads])
            _count("all_reduce", flat)
            dist.all_reduce(flat)
            flat.div_(p_)
            offset = 0
            for g in grads:
                g.copy_(flat[offset:offset + g.numel()].view_as(g))
                offset += g.numel()


@torch.no_grad()
def broadcast_module(module: nn.Module, src: int = 0) -> None:
    """Copy rank ``src``'s parameters and buffers into every rank's ``module`` (no-op without a group)."""
    if not is_distributed():
        return
    for tensor in list(module.parameters()) + list(module.buffers()):
        _count("broadcast", tensor)
        dist.broadcast(tensor.data, src)


def broadcast_value(value: float, src: int = 0, *, device: torch.device | str = "cpu") -> float:
    """Rank ``src``'s ``value`` on every rank (the value itself without a group)."""
    if not is_distributed():
        return value
    t = torch.tensor([value], dtype=torch.float64, device=device)
    dist.broadcast(t, src)
    return float(t.item())


def all_reduce_sum(value: float, *, device: torch.device | str = "cpu") -> float:
    """The sum of ``value`` over the ranks (the value itself without a group)."""
    if not is_distributed():
        return value
    t = torch.tensor([value], dtype=torch.float64, device=device)
    dist.all_reduce(t)
    return float(t.item())
