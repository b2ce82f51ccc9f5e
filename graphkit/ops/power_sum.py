r"""The weighted sum of row-normalised matrix powers, streamed: FastRP's merge step.

For a square sparse matrix :math:`S \in \mathbb R^{n \times n}` (FastRP's
transition matrix :math:`D^{-1} A`), initial vectors
:math:`V_0 \in \mathbb R^{n \times d}` and weights
:math:`\alpha_1, \dots, \alpha_q`:

.. math::
    N_k = S^k V_0 \;(k = 1..q), \qquad
    E = \operatorname{scale}\Bigl(\alpha_0\, \nu(V_0) + \sum_{k=1}^{q} \alpha_k\, \nu(N_k)\Bigr)

* :math:`\nu` is the row-wise L2 normalisation ``normalize=True`` (rows of norm 0
  stay 0) or the identity;
* ``scale`` is column standardisation (``standardize=True``): zero mean, unit
  population standard deviation, constant columns only centred
  (:class:`graphkit.ops.column_stats.ColumnStats`), or the identity;
* with ``inverse`` (an inverse node permutation, ``inverse[old] = new``) the rows
  are returned in the original order: ``out[i] = E[inverse[i]]``. This is how a
  caller that computed in a relabelled order (:mod:`graphkit.ops.node_order`) gets
  its input order back without an extra pass.

How it is streamed (what makes it :math:`O(n d)` memory instead of :math:`O(q n d)`):
powers :math:`1 .. q-1` are held whole (each is the operand of the next product), at
most two at a time; a power's term is added when its buffer is no longer needed as an
operand, and the first power buffer that carries a term becomes the sum (scaled
lazily). The last power is computed block of rows by block of rows
(``_CHUNK_CELLS`` cells, 16 MB in float32) and folded into the sum together with every
pending term, the sparse terms and the column statistics while the block is in cache;
it is never stored whole. A sparse ``V_0`` (a very sparse random projection) makes
:math:`N_1 = S V_0` a sparse x sparse product; its term is then added sparsely, and
:math:`N_1` is densified once as the operand of :math:`N_2`.

Dense products run through :func:`graphkit.ops.csr_kernel.sparse_dense_mm` into
preallocated buffers reused across powers: on the CPU a small compiled gather kernel
with software prefetch, 2.8-2.9x faster than torch's MKL CSR path per product at 1M
nodes / 20M entries / 128 columns (``benchmarks/results/fastrp.md``). Where it takes the
row width (64, 128, 256), each block of the last power is one
:func:`graphkit.ops.csr_kernel.sparse_dense_merge` call: the product, the three row
norms and the weighted sum in one pass over each row, no block temporary. On CUDA,
when the kernel is off (``GRAPHKIT_CSR_KERNEL=0``) or cannot be built, the products
are ``torch.addmm(..., out=buffer)`` on the ``torch.sparse_csr`` ``S`` (int32 indices
take torch's MKL path on CPU without a conversion per call) and the merge is torch's.
CPU buffers are allocated through NumPy (:func:`empty_buffer`), which asks Linux for
transparent huge pages; the random row gathers of :math:`S X` then miss the TLB less
often.

Complexity: :math:`O(q \cdot \mathrm{nnz}(S) \cdot d)` time (the first power
:math:`O(\mathrm{nnz}(S) \cdot \mathrm{nnz}(V_0) / n)` when ``V_0`` is sparse),
:math:`O(n d)` memory: two dense ``[n, d]`` buffers when ``V_0`` is sparse and
:math:`q \le 4`, three otherwise, one 16 MB block, and one more ``[n, d]`` buffer for
the reordered output when ``inverse`` is given (by then the powers are freed). The
time is bound by the random row gathers of the dense products, each moving
:math:`\mathrm{nnz}(S) \cdot d` elements: for 20M entries x 128 float32 columns about
0.75-1.1 s per product with the kernel on 2 busy cores, 2.6-2.8 s through MKL.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from graphkit.ops.column_stats import ColumnStats
from graphkit.ops.csr import CSR
from graphkit.ops.csr_kernel import sparse_dense_merge, sparse_dense_mm
from graphkit.ops.scatter import segment

__all__ = ["normalized_power_sum", "empty_buffer"]

# private switches, read at call time (tests and the scale benchmark's ablation flip them)
_NUMPY_BUFFERS = True  # allocate CPU buffers through NumPy (transparent huge pages)
_CHUNK_CELLS = 1 << 22  # cells per row block of the last power: 4M (16 MB in fp32)
_MERGE = True  # the last power's block merged in the compiled kernel where it can (csr_kernel)

_NUMPY_DTYPES = {torch.float32: np.float32, torch.float64: np.float64}


def empty_buffer(rows: int, cols: int, dtype: torch.dtype, device: torch.device | str, *,
                 zero: bool = False) -> Tensor:
    """A ``[rows, cols]`` work buffer; on the CPU allocated through NumPy.

    NumPy's allocator asks Linux for transparent huge pages (``madvise``) and
    ``np.zeros`` is a lazily zeroed ``calloc``; torch's allocator does neither
    (unless ``THP_MEM_ALLOC_ENABLE=1`` is set before torch starts). The buffer
    starts on a 64-byte boundary (NumPy's allocation is 16-byte aligned), so that a
    gathered row of 128 float32 spans 8 cache lines, not 9. Elsewhere, and
    for dtypes NumPy does not share, ``torch.empty`` / ``torch.zeros``.
    """
    device = torch.device(device)
    if device.type == "cpu" and _NUMPY_BUFFERS and dtype in _NUMPY_DTYPES:
        make = np.zeros if zero else np.empty
        # start on a 64-byte cache line (malloc gives 16): with d * itemsize a multiple of 64
        # every row then spans d * itemsize / 64 lines, not one more, when S X gathers it
        itemsize = np.dtype(_NUMPY_DTYPES[dtype]).itemsize
        raw = make(rows * cols + 64 // itemsize, dtype=_NUMPY_DTYPES[dtype])
        skip = (-raw.ctypes.data % 64) // itemsize
        return torch.from_numpy(raw[skip:skip + rows * cols].reshape(rows, cols))
    make = torch.zeros if zero else torch.empty
    return make((rows, cols), dtype=dtype, device=device)


def _row_scale(mat: Tensor, weight: float, normalize: bool) -> Tensor | float:
    """``weight / ||row||`` as an ``[rows, 1]`` tensor (0 for zero rows), or the plain weight."""
    if not normalize:
        return weight
    norm = torch.linalg.vector_norm(mat, dim=1, keepdim=True)
    return torch.where(norm > 0, weight / norm, torch.zeros((), dtype=mat.dtype, device=mat.device))


def _add_scaled(acc: Tensor, mat: Tensor, weight: float, normalize: bool) -> None:
    """``acc += weight * nu(mat)``."""
    scale = _row_scale(mat, weight, normalize)
    if isinstance(scale, Tensor):
        acc.addcmul_(mat, scale)
    else:
        acc.add_(mat, alpha=scale)


def _set_scaled(out: Tensor, mat: Tensor, weight: float, normalize: bool) -> None:
    """``out = weight * nu(mat)``; ``out`` may be ``mat`` itself."""
    torch.mul(mat, _row_scale(mat, weight, normalize), out=out)


class _SparseTerm:
    """A term ``weight * nu(M)`` of a sparse CSR ``M [n, d]``, added block of rows by block of rows."""

    def __init__(self, mat: Tensor, weight: float, normalize: bool):
        self.crow = mat.crow_indices().long()
        col = mat.col_indices().long()
        rows = CSR(self.crow, col, None, self.crow.numel() - 1, 0).row()
        # flat position row * d + col of every entry, computed once: each row block adds its slice
        self.flat = rows * mat.size(1) + col
        value = mat.values()
        self.raw = value
        if normalize:
            norm = segment(value * value, self.crow).sqrt_()
            scale = torch.where(norm > 0, weight / norm, torch.zeros_like(norm))
            self.value = value * scale[rows]
        else:
            self.value = value * weight
        self.weight = weight

    def add_rows(self, out: Tensor, r0: int, r1: int) -> None:
        """``out += term[r0:r1]`` for a row block ``out`` of the sum."""
        if self.weight == 0:
            return
        e0, e1 = int(self.crow[r0]), int(self.crow[r1])
        if e1 == e0:
            return
        out.view(-1).index_add_(0, self.flat[e0:e1] - r0 * out.size(1), self.value[e0:e1])

    def densify_into(self, out: Tensor) -> None:
        """``out[:] = M`` (raw values); ``out`` must already be zero."""
        out.view(-1)[self.flat] = self.raw


def _check(S: Tensor, v0: Tensor, weights: tuple[float, ...], inverse: Tensor | None) -> None:
    if not isinstance(S, Tensor) or S.layout != torch.sparse_csr or S.dim() != 2 or S.size(0) != S.size(1):
        raise TypeError(f"S must be a square torch.sparse_csr tensor, got "
                        f"{getattr(S, 'layout', type(S).__name__)} of shape {list(getattr(S, 'shape', []))}")
    if not isinstance(v0, Tensor) or v0.layout not in (torch.strided, torch.sparse_csr) or v0.dim() != 2:
        raise TypeError("v0 must be a 2-D dense or torch.sparse_csr tensor [n, d]")
    if v0.size(0) != S.size(0):
        raise ValueError(f"v0 has {v0.size(0)} rows but S is {S.size(0)} x {S.size(1)}")
    dtype = v0.dtype if v0.layout == torch.strided else v0.values().dtype
    if S.values().dtype != dtype or not dtype.is_floating_point:
        raise TypeError(f"S and v0 must share one floating dtype, got {S.values().dtype} and {dtype}")
    if len(weights) == 0:
        raise ValueError("weights is empty; give one weight per power of S, e.g. (0, 0, 1, 1)")
    if inverse is not None and (inverse.dim() != 1 or inverse.numel() != S.size(0)):
        raise ValueError(f"inverse must be a permutation of the {S.size(0)} rows, got shape {list(inverse.shape)}")


def normalized_power_sum(
    S: Tensor,
    v0: Tensor,
    weights: tuple[float, ...],
    *,
    self_influence: float = 0.0,
    normalize: bool = True,
    standardize: bool = False,
    inverse: Tensor | None = None,
) -> Tensor:
    r""":math:`\operatorname{scale}(\alpha_0 \nu(V_0) + \sum_k \alpha_k \nu(S^k V_0))`, streamed.

    See the module docstring for the math, the streaming and the cost.

    Args:
        S: square ``torch.sparse_csr`` matrix :math:`[n, n]` (int32 indices for the
            MKL path on CPU).
        v0: the initial vectors :math:`V_0 [n, d]`, dense or ``torch.sparse_csr``
            (very sparse: :math:`N_1` is then a sparse x sparse product).
        weights: :math:`\alpha_1 .. \alpha_q`, one per power (at least one).
        self_influence: :math:`\alpha_0`, the weight of :math:`\nu(V_0)` (default 0).
        normalize: L2-normalise the rows of each power before weighting (default ``True``).
        standardize: standardise the columns of the sum (default ``False``).
        inverse: ``[n]`` int tensor with ``inverse[i]`` the row of node ``i`` in
            ``S`` / ``v0``; the output is then in the original node order
            (default ``None``: the order of ``S``).

    Returns:
        ``[n, d]`` dense tensor in the dtype and on the device of ``v0``. Its
        memory is a fresh buffer (NumPy-backed on the CPU); ``S`` and ``v0`` are
        not modified.

    Shapes:
        - S: :math:`[n, n]`, v0: :math:`[n, d]`, output: :math:`[n, d]`

    Example:
        >>> import torch
        >>> S = torch.tensor([[0.0, 1.0], [0.5, 0.5]]).to_sparse_csr()
        >>> v0 = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
        >>> normalized_power_sum(S, v0, (1.0,), normalize=False)
        tensor([[0.0000, 2.0000],
                [0.5000, 1.0000]])
    """
    weights = tuple(float(w) for w in weights)
    _check(S, v0, weights, inverse)
    sparse_v0 = v0.layout == torch.sparse_csr
    n, dim = v0.shape
    dtype = v0.values().dtype if sparse_v0 else v0.dtype
    device = v0.device
    q = len(weights)
    sparse_terms: list[_SparseTerm] = []
    dense_self = v0 if self_influence != 0 and not sparse_v0 else None
    if self_influence != 0 and sparse_v0:
        sparse_terms.append(_SparseTerm(v0, self_influence, normalize))
    spare: list[Tensor] = []

    def buffer() -> Tensor:
        return spare.pop() if spare else empty_buffer(n, dim, dtype, device)

    # ---- N_1 = S V_0: sparse x sparse when V_0 is sparse (its term stays sparse)
    prev: Tensor | None
    if sparse_v0:
        first = _SparseTerm(torch.sparse.mm(S, v0), weights[0], normalize)
        sparse_terms.append(first)
        prev, prev_w = None, 0.0
        if q > 1:
            prev = empty_buffer(n, dim, dtype, device, zero=True)
            first.densify_into(prev)
    else:
        prev = buffer()
        sparse_dense_mm(S, v0, prev)
        prev_w = weights[0]

    # ---- N_k = S N_{k-1}, k = 2 .. q-1, held whole
    acc: Tensor | None = None
    acc_w: float | None = None  # not None: acc still holds a raw power, its term is acc_w * nu(acc)
    for k in range(2, q):
        cur = buffer()
        sparse_dense_mm(S, prev, cur)
        if prev_w == 0:
            spare.append(prev)
        elif acc is None:
            acc, acc_w = prev, prev_w
        else:
            if acc_w is not None:
                _set_scaled(acc, acc, acc_w, normalize)
                acc_w = None
            _add_scaled(acc, prev, prev_w, normalize)
            spare.append(prev)
        prev, prev_w = cur, weights[k - 1]
    if q == 1 and prev is not None:  # dense N_1 is the only power: it becomes the sum
        acc, acc_w, prev = prev, prev_w, None
    fresh = acc is None
    if fresh:
        acc = buffer()
    spare.clear()

    # ---- the last power N_q = S N_{q-1} and everything else, one block of rows at a time
    rows = max(1, _CHUNK_CELLS // max(dim, 1))
    tmp = torch.empty((min(rows, n), dim), dtype=dtype, device=device) if q > 1 else None
    stats = ColumnStats() if standardize else None
    out_mode = 0 if fresh else (1 if acc_w is None else 2)  # the sum's own rows: ignored / kept / acc_w nu(.)
    for r0 in range(0, n, rows):
        r1 = min(n, r0 + rows)
        out = acc[r0:r1]
        # the compiled kernel does the product, the three norms and the weighted sum in one pass over each row
        merged = q > 1 and _MERGE and sparse_dense_merge(
            S, prev, out, (r0, r1), out_mode=out_mode, out_weight=acc_w or 0.0, self_weight=prev_w,
            weight=weights[-1], normalize=normalize)
        if not merged:
            if fresh:
                out.zero_()
            elif acc_w is not None:
                _set_scaled(out, out, acc_w, normalize)
            if q > 1:
                if prev_w != 0:
                    _add_scaled(out, prev[r0:r1], prev_w, normalize)
                y = sparse_dense_mm(S, prev, tmp[: r1 - r0], rows=(r0, r1))
                if weights[-1] != 0:
                    _add_scaled(out, y, weights[-1], normalize)
        for term in sparse_terms:
            term.add_rows(out, r0, r1)
        if dense_self is not None:
            _add_scaled(out, dense_self[r0:r1], self_influence, normalize)
        if stats is not None:
            stats.update(out)
    del prev, tmp, dense_self, sparse_terms

    # ---- standardise and return to the input's node order
    if stats is None and inverse is None:
        return acc
    if stats is not None:
        scale, shift = stats.affine(dtype)
    if inverse is None:
        for r0 in range(0, n, rows):
            block = acc[r0:r0 + rows]
            torch.addcmul(shift, block, scale, out=block)
        return acc
    result = empty_buffer(n, dim, dtype, device)
    inverse = inverse.to(device=device, dtype=torch.long)
    for r0 in range(0, n, rows):
        block = result[r0:r0 + rows]
        torch.index_select(acc, 0, inverse[r0:r0 + rows], out=block)
        if stats is not None:
            torch.addcmul(shift, block, scale, out=block)
    return result
