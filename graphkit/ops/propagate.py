r"""K-hop feature propagation :math:`[X, AX, A^2X, \ldots, A^KX]`.

The operator :math:`A` is used exactly as given: normalise it first (e.g.
``propagate_hops(sym_norm(edge_index, n), x, K)`` for SGC / DAGNN / DGMLP style
propagation with :math:`\tilde D^{-1/2} \tilde A \tilde D^{-1/2}`). The
adjacency is converted to CSR once and every hop is one :func:`graphkit.ops.spmm`.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator

from torch import Tensor

from graphkit.ops.spmm import _spmm, check_dense_operand, resolve_adjacency


def _check_num_hops(num_hops) -> int:
    if isinstance(num_hops, bool) or not isinstance(num_hops, numbers.Integral):
        raise TypeError(f"num_hops must be a non-negative int, got {type(num_hops).__name__} {num_hops!r}")
    if num_hops < 0:
        raise ValueError(f"num_hops must be a non-negative int, got {num_hops}")
    return int(num_hops)


def iter_hops(
    adj,
    x: Tensor,
    num_hops: int,
    *,
    edge_weight: Tensor | None = None,
    num_nodes: int | None = None,
) -> Iterator[Tensor]:
    r"""Yield :math:`X, AX, A^2X, \ldots, A^KX` one hop at a time.

    .. math::
        H^{(0)} = X, \qquad H^{(k)} = A\, H^{(k-1)} \quad (k = 1, \ldots, K)

    The first item is ``x`` itself (not a copy). Arguments are validated and the
    adjacency converted to CSR when ``iter_hops`` is called, not lazily at the
    first ``next()``. Differentiable w.r.t. ``x`` and the adjacency values.

    Args:
        adj: anything :func:`graphkit.ops.csr.as_csr` accepts; square, used as given.
        x: floating-point node features, one row per node.
        num_hops: :math:`K \geq 0`; ``K + 1`` tensors are yielded.
        edge_weight: ``[E]`` weights for ``edge_index`` input (default all ones).
        num_nodes: number of nodes (default ``x.size(0)`` for ``edge_index`` input).

    Shapes:
        - adj: :math:`[N, N]` with :math:`E` entries
        - x and every yielded tensor: :math:`[N, *]`

    Complexity:
        :math:`O(K (E + N) F)` time; :math:`O(N F)` memory beyond the hops the
        caller keeps (one hop is alive at a time, plus the spmm work space).
    """
    num_hops = _check_num_hops(num_hops)
    csr = resolve_adjacency(adj, x, num_nodes, edge_weight)
    check_dense_operand(csr, x)
    if csr.num_rows != csr.num_cols:
        raise ValueError(
            f"propagation needs a square adjacency, got shape [{csr.num_rows}, {csr.num_cols}]"
        )

    def hops() -> Iterator[Tensor]:
        h = x
        yield h
        for _ in range(num_hops):
            h = _spmm(csr, h, "sum")
            yield h

    return hops()


def propagate_hops(
    adj,
    x: Tensor,
    num_hops: int,
    *,
    edge_weight: Tensor | None = None,
    num_nodes: int | None = None,
) -> list[Tensor]:
    r"""All hops :math:`[X, AX, A^2X, \ldots, A^KX]` as a list of ``K + 1`` tensors.

    ``list(iter_hops(adj, x, num_hops, ...))``; see :func:`iter_hops` for the
    arguments. Use :func:`iter_hops` when only a running combination of the hops
    is needed.

    Args:
        adj: anything :func:`graphkit.ops.csr.as_csr` accepts; square, used as given.
        x: floating-point node features, one row per node.
        num_hops: :math:`K \geq 0`.
        edge_weight: ``[E]`` weights for ``edge_index`` input (default all ones).
        num_nodes: number of nodes (default ``x.size(0)`` for ``edge_index`` input).

    Shapes:
        - x: :math:`[N, *]`
        - output: list of ``K + 1`` tensors :math:`[N, *]`

    Complexity:
        :math:`O(K (E + N) F)` time, :math:`O(K N F)` memory for the result.
    """
    return list(iter_hops(adj, x, num_hops, edge_weight=edge_weight, num_nodes=num_nodes))
