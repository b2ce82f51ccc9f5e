r"""Very sparse random projections (Li, Hastie & Church, KDD 2006; Achlioptas, 2003).

A matrix :math:`R \in \mathbb R^{n \times d}` with i.i.d. entries

.. math::
    r_{ij} = \sqrt{s} \cdot
    \begin{cases}
        +1 & \text{with probability } \frac{1}{2s} \\
        \phantom{+}0 & \text{with probability } 1 - \frac{1}{s} \\
        -1 & \text{with probability } \frac{1}{2s}
    \end{cases}
    \qquad \mathbb E[r_{ij}] = 0, \quad \mathbb E[r_{ij}^2] = 1 .

``s = 1`` gives dense Rademacher signs, ``s = 3`` Achlioptas' database-friendly
projection (Neo4j GDS hard-codes it), ``s = sqrt(n)`` Li et al.'s *very* sparse
projection, which is what scikit-learn's ``SparseRandomProjection`` uses by
default (``density='auto'`` :math:`= 1/\sqrt{n}`) and therefore what the FastRP
reference code uses. scikit-learn additionally divides by :math:`\sqrt d` so that
:math:`\mathbb E\lVert x R\rVert^2 = \lVert x\rVert^2`; this module returns the
unit-variance matrix above and leaves any global scale to the caller.

Sampling is exact. For sparse matrices (:math:`1/s \le 1/8`) it costs
:math:`O(n d / s)`, not :math:`O(n d)`: the cells of ``R`` are visited in
row-major order and the gaps between consecutive non-zero cells of an i.i.d.
Bernoulli(:math:`1/s`) sequence are i.i.d. geometric, so the non-zero positions
are drawn directly as cumulative sums of geometric gaps (inverse transform of
float64 uniforms), then one fair sign per non-zero. For denser matrices one
float32 uniform per cell is cheaper (:math:`u < 1/(2s)` gives :math:`+`,
:math:`u < 1/s` gives :math:`-`), drawn in row-major chunks of :math:`2^{22}`
cells. All draws come from a CPU ``torch.Generator`` in a fixed order, so a seed
gives the same matrix on every device and every run; the result is moved to
``device`` afterwards.
"""

from __future__ import annotations

import math
import numbers

import torch
from torch import Tensor

from graphkit._validation import check_int
from graphkit.ops.csr import sparse_csr_tensor

__all__ = ["sparse_random_projection", "resolve_sparsity"]

_LAYOUTS = (torch.sparse_csr, torch.strided)


def resolve_sparsity(s, num_rows: int) -> float:
    r"""The sparsity parameter :math:`s \geq 1` as a float.

    ``s='sqrt'`` means :math:`s = \sqrt{\text{num\_rows}}` (Li et al.; scikit-learn's
    ``density='auto'``), at least 1. A number must be finite and ``>= 1``
    (the non-zero probability :math:`1/s` cannot exceed 1).
    """
    if isinstance(s, str):
        if s != "sqrt":
            raise ValueError(f"s must be 'sqrt' or a number >= 1, got {s!r}")
        return max(1.0, math.sqrt(num_rows))
    if isinstance(s, bool) or not isinstance(s, numbers.Real) or not math.isfinite(s):
        raise TypeError(f"s must be 'sqrt' or a finite number >= 1, got {s!r}")
    if s < 1:
        raise ValueError(
            f"s must be >= 1 (entries are non-zero with probability 1/s), got {s}; "
            f"use s=1 for dense random signs, s=3 as in Neo4j GDS or s='sqrt' as in the FastRP paper"
        )
    return float(s)


def _generator(seed) -> torch.Generator:
    if isinstance(seed, torch.Generator):
        if seed.device.type != "cpu":
            raise ValueError(
                f"seed must be an int or a CPU torch.Generator (draws are made on the CPU so that a "
                f"seed gives the same matrix on every device), got a generator on {seed.device}"
            )
        return seed
    return torch.Generator().manual_seed(check_int("seed", seed, minimum=0, maximum=2**63 - 1))


_DENSE_DRAW_P = 0.125  # above this non-zero probability one uniform per cell is cheaper
_CELL_CHUNK = 1 << 22


def _cellwise(total: int, p: float, gen: torch.Generator) -> tuple[Tensor, Tensor]:
    """Positions and signs (+1/-1, int8) from one uniform per cell, in chunks."""
    positions, signs = [], []
    for start in range(0, total, _CELL_CHUNK):
        u = torch.rand(min(_CELL_CHUNK, total - start), generator=gen)
        pos = torch.nonzero(u < p).view(-1)
        sign = torch.where(u[pos] < 0.5 * p, 1, -1).to(torch.int8)
        positions.append(pos.add_(start))
        signs.append(sign)
    if not positions:
        return torch.empty(0, dtype=torch.long), torch.empty(0, dtype=torch.int8)
    return torch.cat(positions), torch.cat(signs)


def _nonzero_positions(total: int, p: float, gen: torch.Generator) -> Tensor:
    """Sorted positions in ``[0, total)`` of an i.i.d. Bernoulli(``p``) sequence (int64)."""
    if total == 0:
        return torch.empty(0, dtype=torch.long)
    log_q = math.log1p(-p)  # < 0
    mean = total * p
    chunks = []
    start = 0  # the next gap is measured from position start - 1
    while True:
        # a batch that reaches the end with overwhelming probability; the loop handles the rest
        draws = int(mean - start * p + 8.0 * math.sqrt(max(mean, 1.0)) + 64)
        u = torch.rand(draws, dtype=torch.float64, generator=gen)
        # gap = 1 + floor(log(U) / log(1 - p)) with U in (0, 1]: geometric on {1, 2, ...}
        gaps = torch.log1p(-u).div_(log_q).floor_().add_(1.0).long()
        pos = torch.cumsum(gaps, 0).add_(start - 1)
        if int(pos[-1]) >= total:
            chunks.append(pos[: int(torch.searchsorted(pos, total))])
            break
        chunks.append(pos)
        start = int(pos[-1]) + 1
    return torch.cat(chunks)


def sparse_random_projection(
    num_rows: int,
    dim: int,
    *,
    seed: int | torch.Generator,
    s: float | str = "sqrt",
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
    layout: torch.layout = torch.sparse_csr,
) -> Tensor:
    r"""Draw a very sparse random projection matrix :math:`R` (see the module docstring).

    Args:
        num_rows: :math:`n`, the number of rows (for FastRP, nodes).
        dim: :math:`d`, the number of columns (the projection dimension).
        seed: an int, or a CPU ``torch.Generator`` that is advanced by the draws.
        s: sparsity :math:`s \geq 1`, or ``'sqrt'`` for :math:`\sqrt n` (default).
        dtype: floating dtype of the values (default ``torch.float32``).
        device: where the result lives (drawn on the CPU, then moved).
        layout: ``torch.sparse_csr`` (default; int64 indices, columns sorted
            within rows) or ``torch.strided`` for a dense tensor.

    Returns:
        ``R`` of shape ``[num_rows, dim]`` with values in :math:`\{+\sqrt s, -\sqrt s\}`
        at the stored / non-zero entries.

    Shapes:
        - output: :math:`[n, d]`, about :math:`n d / s` stored entries

    Complexity:
        :math:`O(n d / s + n)` time and memory for the CSR result when
        :math:`s \geq 8` (about :math:`n d / s` float64 uniforms, one int64
        position and one sign per non-zero), :math:`O(n d)` time for denser
        matrices (one uniform per cell, :math:`O(n d / s)` memory beyond one
        :math:`2^{22}`-cell chunk); the dense layout adds the :math:`O(n d)` output.

    Example:
        >>> r = sparse_random_projection(1000, 64, seed=0, s=3.0, layout=torch.strided)
        >>> r.shape, bool(((r == 0) | (r.abs() == 3 ** 0.5)).all())
        (torch.Size([1000, 64]), True)
    """
    num_rows = check_int("num_rows", num_rows, minimum=0)
    dim = check_int("dim", dim, minimum=0)
    s = resolve_sparsity(s, num_rows)
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating-point torch.dtype, got {dtype!r}")
    if layout not in _LAYOUTS:
        raise ValueError(f"layout must be torch.sparse_csr or torch.strided, got {layout!r}")
    gen = _generator(seed)

    p = 1.0 / s
    if p > _DENSE_DRAW_P:
        pos, sign = _cellwise(num_rows * dim, p, gen)
        value = sign.to(dtype).mul_(math.sqrt(s))
    else:
        pos = _nonzero_positions(num_rows * dim, p, gen)
        sign = torch.randint(0, 2, (pos.numel(),), generator=gen, dtype=torch.int8)
        value = sign.to(dtype).mul_(2.0).sub_(1.0).mul_(math.sqrt(s))
    device = torch.device("cpu") if device is None else torch.device(device)
    if layout == torch.strided:
        out = torch.zeros(num_rows * dim, dtype=dtype)
        out[pos] = value
        return out.view(num_rows, dim).to(device)
    row = torch.div(pos, max(dim, 1), rounding_mode="floor")
    col = pos - row * dim
    crow = torch.zeros(num_rows + 1, dtype=torch.long)
    torch.cumsum(torch.bincount(row, minlength=num_rows), 0, out=crow[1:])
    return sparse_csr_tensor(crow.to(device), col.to(device), value.to(device), (num_rows, dim))
