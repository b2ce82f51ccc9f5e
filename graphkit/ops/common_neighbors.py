r"""Common-neighbour sets of query pairs, the basis of NCN / NCNC link prediction.

For a batch of query pairs :math:`(i_b, j_b)`, :math:`b = 0, \dots, B-1`, and an
adjacency :math:`A \in \mathbb{R}^{N \times N}` with neighbour sets
:math:`\mathcal{N}(i) = \{u : A_{iu} \text{ is stored}\}`,
:func:`common_neighbors` returns three ``[B, N]`` sparse row sets

.. math::
    C_b = \mathcal{N}(i_b) \cap \mathcal{N}(j_b), \qquad
    D^{(i)}_b = \mathcal{N}(i_b) \setminus \mathcal{N}(j_b), \qquad
    D^{(j)}_b = \mathcal{N}(j_b) \setminus \mathcal{N}(i_b),

and :func:`aggregate` pools node features over them,
:math:`\sum_{u \in C_b} w_{bu} x_u` — the common-neighbour term of NCN
(Wang et al., *Neural Common Neighbor with Completion for Link Prediction*,
ICLR 2024, https://arxiv.org/abs/2302.00890). NCNC additionally needs the two
differences :math:`D^{(i)}, D^{(j)}`.

Algorithm (pure torch, vectorised, no Python loop over pairs): gather the
neighbour lists of all :math:`i_b` and of all :math:`j_b` out of ``rowptr/col``,
encode each gathered entry as the int64 key :math:`b N + u` (sorted, because
columns are sorted within CSR rows and rows are laid out in order of :math:`b`),
then find the intersection with one ``torch.searchsorted`` of the shorter key
array into the longer. The official NCN code (``utils.adjoverlap``) does the
same on ``torch_sparse.SparseTensor`` row slices with ``row << 32 | col`` keys.

Small dense graphs (ogbl-ddi: 4,267 nodes, mean degree 500) take a second
path: a boolean ``N x N`` membership table of the adjacency (built once per
adjacency and cached while that adjacency lives), so the test
":math:`u \in \mathcal{N}(j_b)`?" is one table lookup per gathered entry of
:math:`i_b`, and :math:`\mathcal{N}(j_b)` need not be gathered at all unless
the differences are asked for.

Complexity: with :math:`S = \sum_b (d_{i_b} + d_{j_b})` the number of gathered
entries, time is :math:`O(S \log S)` (the binary searches) and memory is
:math:`O(S)` (a few int64 arrays of length :math:`S`); there is no dense
:math:`B \times N` intermediate. The table path is :math:`O(S)` time and
:math:`O(S)` memory plus the :math:`N^2`-byte table, used only while the
table fits ``TABLE_MAX_BYTES`` (64 MiB: :math:`N \le 8192`).

:func:`cost_chunks` cuts a batch of query pairs into chunks whose gathered
entries :math:`\sum_b (d_{i_b} + d_{j_b} + 1)` stay under a budget, so scoring
memory is bounded by a knob rather than by a fixed number of pairs.

:func:`aggregate` costs :math:`O(\mathrm{nnz} \cdot F)` time and
:math:`O(B \cdot F)` extra memory (one CSR sparse-dense product); its
backward is the transposed product done block-wise (see
:func:`_transposed_product`), :math:`O(\mathrm{nnz} \log \mathrm{nnz} + \mathrm{nnz} \cdot F)`.
"""

from __future__ import annotations

import math
import weakref
from typing import NamedTuple

import torch
from torch import Tensor

from graphkit import _compat
from graphkit._validation import check_edge_index, check_int
from graphkit.ops.csr import CSR, as_csr, check_square, exclusive_cumsum, sparse_csr_tensor

__all__ = ["CommonNeighbors", "common_neighbors", "aggregate", "cost_chunks", "TABLE_MAX_BYTES"]

#: Largest ``N x N`` boolean membership table ``common_neighbors(method='auto')`` builds (bytes).
TABLE_MAX_BYTES = 1 << 26
# the table pays when the gathered lists are at least this fraction of its size (zeroing it is
# a streaming write, far cheaper per byte than a binary search per gathered entry)
_TABLE_MIN_FILL = 1 / 32


class CommonNeighbors(NamedTuple):
    """Output of :func:`common_neighbors`: three ``[B, N]`` :class:`CSR` row sets.

    Row ``b`` of ``common`` is :math:`\\mathcal{N}(i_b) \\cap \\mathcal{N}(j_b)`,
    of ``only_i`` :math:`\\mathcal{N}(i_b) \\setminus \\mathcal{N}(j_b)` and of
    ``only_j`` :math:`\\mathcal{N}(j_b) \\setminus \\mathcal{N}(i_b)`. The
    differences are ``None`` unless ``return_differences=True``.
    """

    common: CSR
    only_i: CSR | None
    only_j: CSR | None


class _Gathered(NamedTuple):
    """The concatenated neighbour lists of a batch of nodes, one entry per (b, u)."""

    ptr: Tensor  # [B + 1] int64, entries of b are ptr[b]:ptr[b + 1]
    key: Tensor | None  # [S] int64, b * N + u, strictly increasing (None on the table path)
    col: Tensor  # [S] int64, u
    value: Tensor | None  # [S], A[node_b, u] (duplicates summed)


def common_neighbors(
    adj,
    edge_label_index: Tensor,
    *,
    num_nodes: int | None = None,
    edge_weight: Tensor | None = None,
    return_differences: bool = False,
    method: str = "auto",
) -> CommonNeighbors:
    r"""Common neighbours (and optionally the two set differences) of query pairs.

    Args:
        adj: square ``N x N`` adjacency, anything :func:`graphkit.ops.as_csr`
            accepts (``[2, E]`` edge index, ``EdgeIndex``, ``torch.sparse_csr`` /
            ``sparse_coo``, ``torch_sparse.SparseTensor``, :class:`CSR`). Row
            ``i`` lists :math:`\mathcal{N}(i)`; for an undirected graph store
            both directions. A directed adjacency is used as given
            (out-neighbours).
        edge_label_index: ``[2, B]`` int64 query pairs :math:`(i_b, j_b)`, ids in
            ``[0, N)``. Duplicate pairs and ``i == j`` are allowed; each column
            gives its own output row.
        num_nodes: ``N`` for edge-index input (default ``max id + 1``); for other
            inputs it must match the adjacency's size when given.
        edge_weight: optional ``[E]`` values for edge-index input.
        return_differences: also return :math:`\mathcal{N}(i) \setminus \mathcal{N}(j)`
            and :math:`\mathcal{N}(j) \setminus \mathcal{N}(i)` (needed by NCNC).
        method: ``'search'`` (sorted keys, any graph), ``'table'`` (a dense
            ``N x N`` membership table, for small dense graphs such as
            ogbl-ddi; unweighted adjacencies without duplicate entries only) or
            ``'auto'`` (default: the table when it fits in
            ``TABLE_MAX_BYTES`` and costs less than the gathered lists).
            Both give identical outputs.

    Returns:
        :class:`CommonNeighbors` of ``[B, N]`` :class:`CSR` matrices, columns
        sorted within each row.

    Semantics:
        * Sets: :math:`\mathcal{N}(i)` is the set of columns stored in row ``i``;
          a duplicated entry (multi-edge) is one member. A stored self-loop
          ``(i, i)`` puts ``i`` in :math:`\mathcal{N}(i)`; no self-loop is added.
        * ``i == j``: ``common`` is :math:`\mathcal{N}(i)`, differences are empty.
          Isolated nodes give empty rows.
        * Values: when ``adj`` has no values every output ``value`` is ``None``
          (all ones). When it carries values (duplicates are first summed into
          one matrix entry :math:`A_{iu}`, as in ``CSR.to_dense``), a common
          neighbour :math:`u` of row ``b`` carries :math:`A_{i_b u} A_{j_b u}`
          and a difference entry carries :math:`A_{i_b u}` (``only_i``) resp.
          :math:`A_{j_b u}` (``only_j``), so :func:`aggregate` over ``common``
          is :math:`\sum_u A_{iu} A_{ju} x_u` and a reweighted adjacency (edge
          dropout rescaled by :math:`1/(1-p)`, sampling reweights) reaches the
          pooled features. Values stay differentiable. This is our choice: the
          official NCN code (``utils.adjoverlap``) returns all-ones sets and
          applies its per-row sub-sampling reweight (row count / k) to the sets
          afterwards; pass an unweighted adjacency (e.g. ``csr.with_value(None)``)
          to get the official all-ones sets.

    Complexity:
        :math:`O(S \log S)` time and :math:`O(S)` memory with
        :math:`S = \sum_b (d_{i_b} + d_{j_b})`; no dense ``B x N`` tensor.

    With ``torch-sparse`` installed (read from ``graphkit._compat`` at call
    time) the row gather goes through ``SparseTensor.index_select``; the key
    intersection is shared, so both paths return identical tensors.
    """
    csr = as_csr(adj, num_nodes=num_nodes, edge_weight=edge_weight)
    n = check_square(csr, num_nodes)
    check_edge_index(edge_label_index, n, name="edge_label_index")
    if edge_label_index.device != csr.col.device:
        raise ValueError(
            f"edge_label_index is on {edge_label_index.device} but the adjacency is on "
            f"{csr.col.device}; move them to the same device"
        )
    num_pairs = edge_label_index.size(1)
    if num_pairs * max(n, 1) >= 2**62:
        raise ValueError(
            f"B * N = {num_pairs} * {n} overflows the int64 keys; split edge_label_index into smaller batches"
        )

    if method not in ("auto", "search", "table"):
        raise ValueError(f"method must be 'auto', 'search' or 'table', got {method!r}")
    gather = _gather_torch_sparse if _compat.WITH_TORCH_SPARSE else _gather_torch
    if method != "search":
        table = _membership_table(csr, edge_label_index, force=method == "table")
        if table is not None:
            return _common_by_table(csr, table, edge_label_index, gather, return_differences)
    side_i = _canonical(*gather(csr, edge_label_index[0]), n)
    side_j = _canonical(*gather(csr, edge_label_index[1]), n)
    in_j, in_i, pos_in_j = _intersect(side_i.key, side_j.key)

    common = _select(side_i, in_j, n)
    if side_i.value is not None:
        common = common.with_value(common.value * side_j.value.index_select(0, pos_in_j))
    if not return_differences:
        return CommonNeighbors(common, None, None)
    return CommonNeighbors(common, _select(side_i, ~in_j, n), _select(side_j, ~in_i, n))


def aggregate(sets: CSR, x: Tensor) -> Tensor:
    r"""Pool node features over sparse row sets: ``out[b] = Σ_{u in row b} value_u * x[u]``.

    This is ``sets @ x`` (values all ones when ``sets.value`` is ``None``),
    differentiable with respect to ``x`` and to ``sets.value``. For float32 /
    float64 it runs as one ``torch.sparse.mm`` on a ``sparse_csr`` view of the
    sets, which never materialises the ``[nnz, F]`` gathered rows; other
    dtypes (e.g. bfloat16 on CPU) fall back to ``index_select`` + ``index_add_``.
    Non-finite features propagate (they are not checked here, which would cost a
    pass over ``x`` per batch).

    Args:
        sets: ``[B, N]`` :class:`CSR`, e.g. ``common_neighbors(...).common``.
        x: ``[N, F]`` floating-point node features.

    Returns:
        ``[B, F]`` tensor with the dtype of ``x``; rows of empty sets are zero.

    Complexity: :math:`O(\mathrm{nnz} \cdot F)` time; :math:`O(B \cdot F)`
    extra memory on the sparse-mm path, :math:`O(\mathrm{nnz} \cdot F)` on the
    fallback.
    """
    if not isinstance(sets, CSR):
        raise TypeError(
            f"sets must be a graphkit CSR (e.g. common_neighbors(...).common), got {type(sets).__name__}"
        )
    if not isinstance(x, Tensor):
        raise TypeError(f"x must be a torch.Tensor of shape [N, F], got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"x must be floating point, got {x.dtype}; convert it with x.float()")
    if x.dim() != 2:
        raise ValueError(f"x must have shape [N, F], got {list(x.shape)}")
    if x.size(0) != sets.num_cols:
        raise ValueError(f"x has {x.size(0)} rows but the sets have {sets.num_cols} columns (nodes)")
    if x.device != sets.col.device:
        raise ValueError(f"x is on {x.device} but the sets are on {sets.col.device}; move them to one device")
    if x.dtype in (torch.float32, torch.float64):
        return _aggregate_sparse_mm(sets, x)
    return _aggregate_index_add(sets, x)


def cost_chunks(edge_label_index: Tensor, degree: Tensor, max_entries: int) -> list[Tensor]:
    r"""Split query pairs into consecutive chunks of bounded common-neighbour work.

    The work of pair :math:`(i_b, j_b)` is the number of entries
    :func:`common_neighbors` gathers for it plus one, :math:`d_{i_b} + d_{j_b} + 1`;
    each chunk's total stays within ``max_entries``, so the memory of scoring a
    chunk is bounded by a knob and not by the graph or a fixed pair count.

    Args:
        edge_label_index: ``[2, B]`` int64 query pairs.
        degree: ``[N]`` degrees of the adjacency (``CSR.degree()``).
        max_entries: the work budget per chunk; ``<= 0`` gives one chunk.

    Returns:
        Index tensors (``arange`` slices) covering ``range(B)`` in order; a single
        pair over the budget forms its own chunk. ``B == 0`` gives ``[]``.

    Complexity: :math:`O(B)` for the prefix sums plus one binary search per chunk.
    """
    check_edge_index(edge_label_index, degree.numel(), name="edge_label_index", nodes_from="degree")
    check_int("max_entries", max_entries)
    num = edge_label_index.size(1)
    if num == 0:
        return []
    if max_entries <= 0:
        return [torch.arange(num, device=edge_label_index.device)]
    cost = degree.index_select(0, edge_label_index[0]) + degree.index_select(0, edge_label_index[1]) + 1
    total = torch.cumsum(cost, 0)
    if int(total[-1]) <= max_entries:
        return [torch.arange(num, device=edge_label_index.device)]
    bounds, start = [], 0
    total_cpu = total.cpu()
    while start < num:
        base = int(total_cpu[start - 1]) if start > 0 else 0
        end = int(torch.searchsorted(total_cpu, base + max_entries, right=True))
        end = max(end, start + 1)
        bounds.append((start, end))
        start = end
    return [torch.arange(s, e, device=edge_label_index.device) for s, e in bounds]


# ----------------------------------------------------------------------------- internals


def _aggregate_sparse_mm(sets: CSR, x: Tensor) -> Tensor:
    value = sets.value.to(x.dtype) if sets.value is not None else None
    return _SetPool.apply(x, value, sets.rowptr, sets.col, sets.num_rows)


def _csr_mm(rowptr: Tensor, col: Tensor, value: Tensor | None, shape: tuple[int, int], x: Tensor) -> Tensor:
    if value is None:
        value = torch.ones(col.numel(), dtype=x.dtype, device=x.device)
    # MKL takes 32-bit indices; handing them over avoids a slower conversion inside the product
    small = col.numel() < 2**31 and max(shape) < 2**31
    return torch.sparse.mm(sparse_csr_tensor(rowptr, col, value, shape, int32=small), x)


class _SetPool(torch.autograd.Function):
    """``out = S @ x`` for a CSR ``S`` with a fast backward.

    torch's own backward of ``sparse.mm`` builds ``S^T`` and multiplies it by the
    ``[B, F]`` gradient with scattered reads of its rows: ~8x slower than the
    forward on ogbl-ddi batches (nnz ~ 10^7). :func:`_transposed_product` keeps
    those reads in cache instead.
    """

    @staticmethod
    def forward(ctx, x, value, rowptr, col, num_rows):
        ctx.save_for_backward(x, value, rowptr, col)
        return _csr_mm(rowptr, col, value, (num_rows, x.size(0)), x)

    @staticmethod
    def backward(ctx, grad):
        x, value, rowptr, col = ctx.saved_tensors
        grad = grad.contiguous()
        grad_x = grad_value = None
        row = CSR(rowptr, col, None, grad.size(0), x.size(0)).row()  # shared by both gradients
        if ctx.needs_input_grad[0]:
            grad_x = _transposed_product(rowptr, col, value, grad, x.size(0), row=row)
        if ctx.needs_input_grad[1]:
            grad_value = _entry_dots(row, col, grad, x)
        return grad_x, grad_value, None, None, None


def _transposed_product(rowptr: Tensor, col: Tensor, value: Tensor | None, grad: Tensor, num_cols: int,
                        *, block_bytes: int = 1 << 20, max_partial_bytes: int = 1 << 26,
                        row: Tensor | None = None) -> Tensor:
    r"""``S^T @ grad`` for a ``[B, num_cols]`` CSR ``S``, by blocks of ``grad``'s rows.

    The rows of ``S`` are cut into blocks whose slice of ``grad`` fits in cache
    (``block_bytes``); one stable sort by (block, column) turns every block into
    a CSR of its transpose, stacked as one ``[blocks * num_cols, B]`` matrix, and
    one sparse product gives the per-block partial sums, which are added up. The
    partials are capped at ``max_partial_bytes`` by using fewer, larger blocks.
    ``row`` is ``S``'s row index per entry, if the caller already has it.
    Time :math:`O(\mathrm{nnz} \log \mathrm{nnz} + \mathrm{nnz} F)`.
    """
    num_rows, feats = grad.shape
    elem = grad.element_size()
    blocks = min(math.ceil(num_rows * feats * elem / block_bytes),
                 max_partial_bytes // max(num_cols * feats * elem, 1))
    block = math.ceil(num_rows / max(blocks, 1)) if num_rows else 1
    blocks = math.ceil(num_rows / block) if num_rows else 1
    if row is None:
        row = CSR(rowptr, col, None, num_rows, num_cols).row()
    small = blocks * num_cols < 2**31  # a 4-byte sort key halves the sort's traffic
    key = col.int() if small else col
    if blocks > 1:
        bounds = rowptr[torch.arange(0, num_rows + block, block, device=col.device).clamp_max_(num_rows)]
        first = torch.arange(blocks, device=col.device, dtype=key.dtype) * num_cols
        key = key + torch.repeat_interleave(first, bounds.diff(), output_size=col.numel())
    key, perm = torch.sort(key, stable=True)
    tptr = torch.zeros(blocks * num_cols + 1, dtype=torch.long, device=col.device)
    torch.cumsum(torch.bincount(key, minlength=blocks * num_cols), 0, out=tptr[1:])
    tvalue = None if value is None else value.index_select(0, perm)
    partial = _csr_mm(tptr, row.index_select(0, perm), tvalue, (blocks * num_cols, num_rows), grad)
    return partial.view(blocks, num_cols, feats).sum(0)


def _entry_dots(row: Tensor, col: Tensor, grad: Tensor, x: Tensor, *, chunk: int = 1 << 16) -> Tensor:
    """``<grad[b], x[u]>`` for every stored entry ``(b, u)``: the gradient of the values, in chunks."""
    out = torch.empty(col.numel(), dtype=grad.dtype, device=grad.device)
    for start in range(0, col.numel(), chunk):
        r, c = row[start:start + chunk], col[start:start + chunk]
        out[start:start + chunk] = (grad.index_select(0, r) * x.index_select(0, c)).sum(-1)
    return out


def _aggregate_index_add(sets: CSR, x: Tensor) -> Tensor:
    msg = x.index_select(0, sets.col)
    if sets.value is not None:
        msg = msg * sets.value.to(x.dtype).unsqueeze(-1)
    return x.new_zeros(sets.num_rows, x.size(1)).index_add_(0, sets.row(), msg)


def _gather_torch(csr: CSR, index: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor | None]:
    """Rows ``index`` of ``csr`` concatenated: ``(ptr, row, col, value)``.

    ``ptr`` is the ``[B + 1]`` row pointer of the result, ``row[s] = b`` for
    every entry ``s`` of output row ``b``.
    """
    rowptr = csr.rowptr
    start = rowptr.index_select(0, index)
    count = rowptr.index_select(0, index + 1) - start
    ptr = torch.zeros(index.numel() + 1, dtype=torch.long, device=index.device)
    torch.cumsum(count, 0, out=ptr[1:])
    total = int(ptr[-1])
    row = torch.repeat_interleave(torch.arange(index.numel(), device=index.device), count, output_size=total)
    # entry s of output row b is entry start[b] + (s - ptr[b]) of the input
    perm = torch.arange(total, device=index.device)
    perm += (start - ptr[:-1]).index_select(0, row)
    value = None if csr.value is None else csr.value.index_select(0, perm)
    return ptr, row, csr.col.index_select(0, perm), value


def _gather_torch_sparse(csr: CSR, index: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor | None]:
    """Same as :func:`_gather_torch`, through ``torch_sparse.SparseTensor`` row indexing."""
    sparse = _compat.torch_sparse.SparseTensor(
        rowptr=csr.rowptr,
        col=csr.col,
        value=csr.value,
        sparse_sizes=(csr.num_rows, csr.num_cols),
        is_sorted=True,
        trust_data=True,
    )
    storage = sparse.index_select(0, index).storage
    return storage.rowptr(), storage.row(), storage.col(), storage.value()


# the last table: (weakref to col, col._version, weakref to rowptr, rowptr._version, table or None)
_table_cache: tuple | None = None


def _membership_table(csr: CSR, edge_label_index: Tensor, *, force: bool) -> Tensor | None:
    """The flat ``[N * N]`` boolean table of ``csr``'s pattern, or ``None`` where the search path applies.

    ``force`` (``method='table'``) raises instead of returning ``None`` when the
    table cannot represent the sets. The last table is cached while its
    adjacency tensors live and are unmodified (one step of NCN training scores
    the positives, the negatives and NCNC's completion pairs on one adjacency).
    """
    global _table_cache
    n = csr.num_rows
    if csr.value is not None:
        if force:
            raise ValueError("method='table' needs an unweighted adjacency (value None); use method='search'")
        return None
    if not force:
        if n * n > TABLE_MAX_BYTES:
            return None
        deg = csr.rowptr.diff()
        gathered = int(deg.index_select(0, edge_label_index[0]).sum())
        if gathered < _TABLE_MIN_FILL * n * n:
            return None
    cached = _table_cache
    if (cached is not None and cached[0]() is csr.col and cached[1] == csr.col._version
            and cached[2]() is csr.rowptr and cached[3] == csr.rowptr._version):
        table = cached[4]
    else:
        key = torch.add(csr.col, csr.row(), alpha=n)
        table = None
        # the lookups keep the order of the gathered rows: they must be sets, columns increasing
        if key.numel() < 2 or bool((key[1:] > key[:-1]).all()):
            table = torch.zeros(n * n, dtype=torch.bool, device=csr.col.device)
            table[key] = True
        _table_cache = (weakref.ref(csr.col), csr.col._version, weakref.ref(csr.rowptr), csr.rowptr._version, table)
    if table is None and force:
        raise ValueError("method='table' needs an adjacency without duplicate entries and with sorted "
                         "columns in each row; use method='search'")
    return table


def _common_by_table(csr: CSR, table: Tensor, edge_label_index: Tensor, gather, differences: bool) -> CommonNeighbors:
    """:func:`common_neighbors` by table lookups: entry u of N(i_b) is common iff table[j_b, u]."""
    n = csr.num_rows

    def lookup(side: Tensor, other: Tensor) -> tuple[_Gathered, Tensor]:
        ptr, row, col, _ = gather(csr, side)
        return _Gathered(ptr, None, col, None), table[torch.add(col, other.index_select(0, row), alpha=n)]

    entries_i, hit_i = lookup(edge_label_index[0], edge_label_index[1])
    common = _select(entries_i, hit_i, n)
    if not differences:
        return CommonNeighbors(common, None, None)
    entries_j, hit_j = lookup(edge_label_index[1], edge_label_index[0])
    return CommonNeighbors(common, _select(entries_i, ~hit_i, n), _select(entries_j, ~hit_j, n))


def _canonical(ptr: Tensor, row: Tensor, col: Tensor, value: Tensor | None, n: int) -> _Gathered:
    """Key the entries ``b * N + u``; sort and merge duplicates only if needed.

    CSR rows are sorted by column, so the keys are already non-decreasing and
    one O(S) check usually suffices. Duplicate entries (multi-edges) become one
    set member whose value is their sum, the matrix entry ``A[i, u]``.
    """
    key = torch.add(col, row, alpha=n)
    if key.numel() > 1 and bool((key[1:] <= key[:-1]).any()):
        if bool((key[1:] < key[:-1]).any()):  # columns not sorted within a row
            key, perm = torch.sort(key, stable=True)
            col = col.index_select(0, perm)
            value = None if value is None else value.index_select(0, perm)
        first = torch.ones_like(key, dtype=torch.bool)
        torch.ne(key[1:], key[:-1], out=first[1:])
        group = exclusive_cumsum(first)  # group[s + 1] - 1: id of entry s's distinct key
        ptr = group.index_select(0, ptr)
        keep = first.nonzero().squeeze(1)
        if value is not None:
            value = value.new_zeros(keep.numel()).index_add_(0, group[1:] - 1, value)
        key, col = key.index_select(0, keep), col.index_select(0, keep)
    return _Gathered(ptr, key, col, value)


def _intersect(key_i: Tensor, key_j: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Membership masks of two strictly increasing key arrays.

    Returns ``(in_j, in_i, pos)``: ``in_j[s]`` says whether ``key_i[s]`` is in
    ``key_j``, ``in_i[t]`` whether ``key_j[t]`` is in ``key_i``, and ``pos`` the
    position in ``key_j`` of each ``key_i[in_j]``, in order. The shorter array
    is binary-searched into the longer one: O(min * log max).
    """
    if key_i.numel() <= key_j.numel():
        return _search(key_i, key_j)
    in_i, in_j, _ = _search(key_j, key_i)
    # both arrays are sorted, so the k-th match on one side is the k-th on the other
    return in_j, in_i, in_i.nonzero().squeeze(1)


def _search(small: Tensor, large: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """``(small in large, large in small, position in large of each matched small)``."""
    in_small = torch.zeros(large.numel(), dtype=torch.bool, device=large.device)
    if large.numel() == 0:
        empty = torch.zeros(0, dtype=torch.long, device=small.device)
        return torch.zeros(small.numel(), dtype=torch.bool, device=small.device), in_small, empty
    pos = torch.searchsorted(large, small).clamp_max_(large.numel() - 1)
    in_large = large.index_select(0, pos) == small
    pos = pos[in_large]
    in_small[pos] = True
    return in_large, in_small, pos


def _select(side: _Gathered, mask: Tensor, n: int) -> CSR:
    """The entries of ``side`` where ``mask`` holds, as a ``[B, N]`` CSR."""
    keep = mask.nonzero().squeeze(1)
    rowptr = exclusive_cumsum(mask).index_select(0, side.ptr)
    value = None if side.value is None else side.value.index_select(0, keep)
    return CSR(rowptr, side.col.index_select(0, keep), value, side.ptr.numel() - 1, n)
