r"""K-hop feature propagation :math:`[X, AX, A^2X, \ldots, A^KX]`.

The operator :math:`A` is used exactly as given: normalise it first (e.g.
``propagate_hops(sym_norm(edge_index, n), x, K)`` for SGC / DAGNN / DGMLP style
propagation with :math:`\tilde D^{-1/2} \tilde A \tilde D^{-1/2}`). The
adjacency is converted to CSR once and every hop is one :func:`graphkit.ops.spmm`.

:class:`HopPropagator` is the same propagation for a *fixed* operator that is
differentiated through many times (DAGNN trains through ``K`` hops every
epoch): it holds :math:`A` and :math:`A^\top` as ``torch.sparse_csr`` tensors,
built once, so each hop's backward is one product.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch import Tensor

from graphkit._validation import check_int
from graphkit.ops.csr import CSR
from graphkit.ops.spmm import _spmm, check_dense_operand, resolve_adjacency

__all__ = ["HopPropagator", "iter_hops", "propagate_hops"]


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
    num_hops = check_int("num_hops", num_hops, minimum=0)
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


class _SpmmWithTranspose(torch.autograd.Function):
    """``A @ h`` whose backward is ``A^T @ g`` with ``A^T`` given (torch transposes and re-sorts ``A`` every call)."""

    @staticmethod
    def forward(ctx, a: Tensor, a_t: Tensor, h: Tensor) -> Tensor:
        ctx.a_t = a_t
        return torch.sparse.mm(a, h)

    @staticmethod
    def backward(ctx, grad: Tensor):
        return None, None, torch.sparse.mm(ctx.a_t, grad)


class HopPropagator:
    r"""A fixed (non-learned) square operator :math:`A` for repeated differentiable propagation.

    .. math::
        H^{(0)} = H, \qquad H^{(k)} = A\, H^{(k-1)}, \qquad
        \frac{\partial L}{\partial H^{(k-1)}} = A^\top \frac{\partial L}{\partial H^{(k)}}

    :math:`A` and :math:`A^\top` are built once as ``torch.sparse_csr`` tensors
    (:meth:`graphkit.ops.CSR.to_torch_sparse`), so each hop's backward is one
    sparse product instead of torch's transpose-and-sort plus a product; on Cora
    this makes DAGNN's 10-hop backward several times faster. The hops equal
    :func:`iter_hops` (values and gradients w.r.t. ``h``); the operator's values
    get no gradient (use :func:`iter_hops` for a learned adjacency).

    Args:
        adj: the operator as a :class:`graphkit.ops.CSR`, used as given (normalise
            it first, e.g. ``HopPropagator(sym_norm(edge_index, n))``). Its values
            must not require gradients.

    Shapes:
        - adj: :math:`[N, N]`; ``h`` and every hop: :math:`[N, C]`

    Complexity:
        :math:`O(E)` extra memory for :math:`A^\top` (one stable sort at
        construction); each hop :math:`O((E + N) C)` forward and backward.

    Example::

        >>> import torch
        >>> from graphkit.ops import sym_norm
        >>> from graphkit.ops.propagate import HopPropagator
        >>> adj = HopPropagator(sym_norm(torch.tensor([[0, 1], [1, 0]]), 3))
        >>> [tuple(h.shape) for h in adj.hops(torch.ones(3, 2), 2)]
        [(3, 2), (3, 2), (3, 2)]
    """

    def __init__(self, adj: CSR):
        if not isinstance(adj, CSR):
            raise TypeError(f"adj must be a graphkit.ops.CSR (e.g. sym_norm(edge_index, num_nodes)), "
                            f"got {type(adj).__name__}")
        if adj.num_rows != adj.num_cols:
            raise ValueError(f"propagation needs a square adjacency, got shape [{adj.num_rows}, {adj.num_cols}]")
        if adj.value is not None and adj.value.requires_grad:
            raise ValueError("HopPropagator is for a fixed adjacency; use graphkit.ops.iter_hops for learned weights")
        self.csr = adj
        self.num_nodes = adj.num_rows
        self._a = adj.to_torch_sparse()
        self._a_t = adj.transpose().to_torch_sparse()

    @property
    def device(self) -> torch.device:
        return self._a.device

    def to(self, device) -> HopPropagator:
        """The same operator on ``device`` (its transpose rebuilt there)."""
        return HopPropagator(self.csr.to(device))

    def hops(self, h: Tensor, num_hops: int) -> Iterator[Tensor]:
        r"""Yield :math:`H, AH, \ldots, A^K H` (the first item is ``h`` itself); arguments checked at the call."""
        num_hops = check_int("num_hops", num_hops, minimum=0)
        check_dense_operand(self.csr, h, name="h")
        if h.device != self._a.device:
            raise ValueError(f"h is on {h.device} but the adjacency is on {self._a.device}; "
                             f"move one of them (HopPropagator.to(device))")
        a, a_t = self._a.to(h.dtype), self._a_t.to(h.dtype)

        def hops() -> Iterator[Tensor]:
            out = h
            yield out
            for _ in range(num_hops):
                out = _SpmmWithTranspose.apply(a, a_t, out)
                yield out

        return hops()

    def __repr__(self) -> str:
        return f"HopPropagator(num_nodes={self.num_nodes}, nnz={self.csr.nnz}, device={self.device})"
