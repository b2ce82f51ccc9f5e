r"""Group reductions: :func:`scatter`, :func:`scatter_softmax` and :func:`segment`.

A *group* is the set of positions ``e`` along ``dim`` that share the same
``index[e]``; :func:`segment` is the special case where every group is a
contiguous run described by CSR offsets ``ptr``. Empty groups reduce to ``0``
for every reduction (never :math:`\pm\infty` or NaN), as in torch-scatter.

With torch-scatter installed (``_compat.WITH_TORCH_SCATTER``, read at call time)
the reductions go through its kernels; otherwise through ``Tensor.index_add_``,
``Tensor.scatter_reduce_(include_self=False)`` and ``torch.segment_reduce``.
Both paths give the same values; gradients of ``max``/``min`` differ only on
ties (torch-scatter sends the gradient to one arg-max, torch splits it evenly).
"""

from __future__ import annotations

import numbers

import torch
from torch import Tensor

from graphkit import _compat

REDUCTIONS: tuple[str, ...] = ("sum", "mean", "max", "min")

_TORCH_REDUCE = {"max": "amax", "min": "amin"}


def check_reduce(reduce: str) -> str:
    """Raise ``ValueError`` naming the valid reductions unless ``reduce`` is one of them."""
    if not isinstance(reduce, str) or reduce not in REDUCTIONS:
        valid = ", ".join(repr(r) for r in REDUCTIONS)
        raise ValueError(f"reduce must be one of {valid}; got {reduce!r}")
    return reduce


def _check_size(value, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{name} must be a non-negative int or None, got {value!r}")
    return int(value)


def _check_index(src: Tensor, index: Tensor, dim: int, dim_size: int | None) -> tuple[int, int]:
    """Validate ``scatter`` arguments; return the normalised ``dim`` and ``dim_size``."""
    if not isinstance(src, Tensor):
        raise TypeError(f"src must be a torch.Tensor, got {type(src).__name__}")
    if not isinstance(index, Tensor):
        raise TypeError(f"index must be a torch.Tensor, got {type(index).__name__}")
    if src.dim() == 0:
        raise ValueError("src must have at least one dimension, got a 0-d tensor")
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral) or not -src.dim() <= dim < src.dim():
        raise ValueError(f"dim must be an int in [{-src.dim()}, {src.dim()}) for src of shape "
                         f"{list(src.shape)}, got {dim!r}")
    dim = int(dim) % src.dim()
    if index.dtype != torch.long:
        raise TypeError(f"index must have dtype torch.int64 (long), got {index.dtype}; convert it with index.long()")
    if index.dim() != 1 or index.numel() != src.size(dim):
        raise ValueError(
            f"index must be 1-D with one entry per slice of src along dim={dim} "
            f"({src.size(dim)}), got shape {list(index.shape)}"
        )
    if index.device != src.device:
        raise ValueError(f"index is on {index.device} but src is on {src.device}; move them to one device")
    dim_size = _check_size(dim_size, "dim_size")
    if index.numel() == 0:
        return dim, 0 if dim_size is None else dim_size
    lo, hi = (int(v) for v in torch.aminmax(index))
    if lo < 0:
        raise ValueError(f"index contains negative group ids (min {lo}); ids must be in [0, dim_size)")
    if dim_size is None:
        return dim, hi + 1
    if hi >= dim_size:
        raise ValueError(
            f"index contains group id {hi} but dim_size is {dim_size}; ids must be in [0, dim_size) "
            f"— pass a larger dim_size or leave it as None"
        )
    return dim, dim_size


def _broadcast_shape(ndim: int, dim: int) -> list[int]:
    return [-1 if d == dim else 1 for d in range(ndim)]


def _scatter(src: Tensor, index: Tensor, dim: int, dim_size: int, reduce: str) -> Tensor:
    """:func:`scatter` without input checks (``dim`` non-negative, ids valid)."""
    if _compat.WITH_TORCH_SCATTER:
        return _compat.torch_scatter.scatter(src, index, dim=dim, dim_size=dim_size, reduce=reduce)
    size = list(src.shape)
    size[dim] = dim_size
    out = src.new_zeros(size)
    if reduce in ("sum", "mean"):
        out = out.index_add_(dim, index, src)
        if reduce == "mean":
            count = torch.bincount(index, minlength=dim_size).clamp_(min=1)
            count = count.view(_broadcast_shape(src.dim(), dim))
            if out.is_floating_point() or out.is_complex():
                out = out / count.to(out.dtype)
            else:
                out = torch.div(out, count, rounding_mode="floor")
        return out
    expanded = index.view(_broadcast_shape(src.dim(), dim)).expand_as(src)
    return out.scatter_reduce_(dim, expanded, src, _TORCH_REDUCE[reduce], include_self=False)


def scatter(
    src: Tensor,
    index: Tensor,
    dim: int = 0,
    dim_size: int | None = None,
    reduce: str = "sum",
) -> Tensor:
    r"""Reduce the slices of ``src`` along ``dim`` that share a group id.

    .. math::
        \mathrm{out}_g = \bigoplus_{e \,:\, \mathrm{index}_e = g} \mathrm{src}_e,
        \qquad \oplus \in \{\textstyle\sum, \mathrm{mean}, \max, \min\}

    where :math:`\mathrm{src}_e` is the slice at position ``e`` along ``dim``.
    Groups that receive no slice are ``0`` for every reduction. ``mean`` of an
    integer tensor rounds down, as in torch-scatter.

    Args:
        src: values to reduce, any shape with at least one dimension.
        index: ``int64`` group id of every slice along ``dim``, 1-D.
        dim: dimension of ``src`` to reduce over (default ``0``; negative allowed).
        dim_size: number of groups (default ``index.max() + 1``, ``0`` when
            ``index`` is empty).
        reduce: ``"sum"`` (default), ``"mean"``, ``"max"`` or ``"min"``.

    Shapes:
        - src: :math:`[\ldots, E, \ldots]` with :math:`E` at ``dim``
        - index: :math:`[E]`
        - output: :math:`[\ldots, G, \ldots]` with :math:`G` = ``dim_size`` at ``dim``

    Complexity:
        :math:`O(|\mathrm{src}|)` time and :math:`O(|\mathrm{out}|)` extra memory
        (``max``/``min`` on the pure path also expand ``index`` as a view, no copy).
        Validation reads ``index`` once (a device sync on GPU).

    Raises:
        ValueError: unknown ``reduce`` (the message lists the valid ones), an
            ``index`` of the wrong length, or group ids outside ``[0, dim_size)``.
        TypeError: non-tensor input or non-``int64`` ``index``.
    """
    check_reduce(reduce)
    dim, dim_size = _check_index(src, index, dim, dim_size)
    return _scatter(src, index, dim, dim_size, reduce)


def _scatter_softmax(src: Tensor, index: Tensor, dim: int, dim_size: int) -> Tensor:
    """:func:`scatter_softmax` without input checks."""
    # the shift cancels in the ratio, so its gradient is zero: compute it without autograd
    group_max = _scatter(src.detach(), index, dim, dim_size, "max")
    # a group whose entries are all -inf would give -inf - -inf = NaN; shift it by 0 instead
    group_max = group_max.masked_fill(group_max == float("-inf"), 0.0)
    exp = (src - group_max.index_select(dim, index)).exp()
    denom = _scatter(exp, index, dim, dim_size, "sum")
    # every group with a finite entry has denom >= 1 (its max gives exp(0)); an all -inf group
    # has denom 0 and exp 0: give it 0 rather than 0 / 0
    denom = denom.masked_fill(denom == 0, 1.0)
    return exp / denom.index_select(dim, index)


def scatter_softmax(
    src: Tensor,
    index: Tensor,
    dim: int = 0,
    dim_size: int | None = None,
) -> Tensor:
    r"""Softmax of ``src`` within each group of ``index`` along ``dim``.

    .. math::
        \mathrm{out}_e = \frac{\exp(\mathrm{src}_e - m_g)}
                              {\sum_{e' : \mathrm{index}_{e'} = g} \exp(\mathrm{src}_{e'} - m_g)},
        \qquad g = \mathrm{index}_e,\; m_g = \max_{e' : \mathrm{index}_{e'} = g} \mathrm{src}_{e'}

    Subtracting the group maximum :math:`m_g` makes it numerically stable (no
    overflow for large logits). Entries of ``-inf`` get weight ``0``; a group whose
    entries are all ``-inf`` gives ``0`` (not NaN). Within every other group the
    outputs sum to 1. Differentiable w.r.t. ``src``.

    Args:
        src: floating-point logits, any shape with at least one dimension.
        index: ``int64`` group id of every slice along ``dim``, 1-D.
        dim: dimension of ``src`` holding the entries to normalise (default ``0``).
        dim_size: number of groups (default ``index.max() + 1``).

    Shapes:
        - src, output: :math:`[\ldots, E, \ldots]` with :math:`E` at ``dim``
        - index: :math:`[E]`

    Complexity:
        :math:`O(|\mathrm{src}|)` time (two group reductions and two gathers),
        :math:`O(|\mathrm{src}|)` extra memory.
    """
    dim, dim_size = _check_index(src, index, dim, dim_size)
    if not src.is_floating_point():
        raise TypeError(f"scatter_softmax needs floating-point src, got {src.dtype}; convert it with src.float()")
    return _scatter_softmax(src, index, dim, dim_size)


def _check_ptr(src: Tensor, ptr: Tensor) -> None:
    if not isinstance(src, Tensor):
        raise TypeError(f"src must be a torch.Tensor, got {type(src).__name__}")
    if not isinstance(ptr, Tensor):
        raise TypeError(f"ptr must be a torch.Tensor, got {type(ptr).__name__}")
    if src.dim() == 0:
        raise ValueError("src must have at least one dimension, got a 0-d tensor")
    if ptr.dtype != torch.long:
        raise TypeError(f"ptr must have dtype torch.int64 (long), got {ptr.dtype}; convert it with ptr.long()")
    if ptr.dim() != 1 or ptr.numel() == 0:
        raise ValueError(f"ptr must be 1-D with G + 1 >= 1 offsets, got shape {list(ptr.shape)}")
    if ptr.device != src.device:
        raise ValueError(f"ptr is on {ptr.device} but src is on {src.device}; move them to one device")
    first, last = (int(v) for v in ptr[[0, -1]])
    if first != 0 or last != src.size(0):
        raise ValueError(
            f"ptr must start at 0 and end at src.size(0)={src.size(0)} so that every row of src "
            f"belongs to one segment; got ptr[0]={first}, ptr[-1]={last}"
        )
    if ptr.numel() > 1 and bool((ptr.diff() < 0).any()):
        raise ValueError("ptr must be non-decreasing (segment offsets in CSR form)")


def _segment(src: Tensor, ptr: Tensor, reduce: str) -> Tensor:
    """:func:`segment` without input checks."""
    if _compat.WITH_TORCH_SCATTER:
        return _compat.torch_scatter.segment_csr(src, ptr, reduce=reduce)
    counts = ptr.diff()
    num_segments = counts.numel()
    if src.is_floating_point() and src.size(0) > 0:
        # torch.segment_reduce is about 1.5x faster than repeat_interleave + scatter on CPU,
        # but is float-only and gives -inf / NaN for empty segments: mask those to 0
        out = torch.segment_reduce(src, reduce, offsets=ptr, axis=0)
        if reduce != "sum":
            empty = (counts == 0).view([-1] + [1] * (src.dim() - 1))
            out = torch.where(empty, torch.zeros((), dtype=out.dtype, device=out.device), out)
        return out
    index = torch.repeat_interleave(
        torch.arange(num_segments, device=src.device), counts, output_size=src.size(0)
    )
    return _scatter(src, index, 0, num_segments, reduce)


def segment(src: Tensor, ptr: Tensor, reduce: str = "sum") -> Tensor:
    r"""Reduce contiguous segments of ``src`` (along dim 0) given CSR offsets ``ptr``.

    .. math::
        \mathrm{out}_g = \bigoplus_{e = \mathrm{ptr}_g}^{\mathrm{ptr}_{g+1} - 1} \mathrm{src}_e,
        \qquad \oplus \in \{\textstyle\sum, \mathrm{mean}, \max, \min\}

    Equal to ``scatter(src, index, 0, G, reduce)`` with
    ``index = repeat_interleave(arange(G), ptr.diff())``, but needs no index and
    uses a segment kernel. Empty segments (``ptr[g] == ptr[g+1]``) are ``0``.

    Args:
        src: values, rows grouped into consecutive segments.
        ptr: ``int64`` offsets, non-decreasing, ``ptr[0] == 0`` and
            ``ptr[-1] == src.size(0)`` (so no row is silently left out).
        reduce: ``"sum"`` (default), ``"mean"``, ``"max"`` or ``"min"``.

    Shapes:
        - src: :math:`[E, *]`
        - ptr: :math:`[G + 1]`
        - output: :math:`[G, *]`

    Complexity:
        :math:`O(|\mathrm{src}| + G)` time, :math:`O(|\mathrm{out}|)` extra memory.
        Validation reads ``ptr`` once (a device sync on GPU).
    """
    check_reduce(reduce)
    _check_ptr(src, ptr)
    return _segment(src, ptr, reduce)
