r"""Compressed sparse row (CSR) adjacency: the one sparse format every op consumes.

Convention: an edge ``(i, j)`` stored as column ``e`` of ``edge_index`` is the
entry :math:`A_{ij}`, so row ``i`` of the CSR lists the *out*-neighbours of
``i`` and ``A @ X`` sums over them. PyG's message passing (source → target)
computes :math:`A^\top X`; for undirected graphs, which store both directions,
the two coincide.

Accepted inputs (see :func:`as_csr`): a ``[2, E]`` int64 tensor, a
``torch_geometric.EdgeIndex``, a ``torch.sparse_csr``/``sparse_coo`` tensor, a
``torch_sparse.SparseTensor`` when torch-sparse is installed, or a :class:`CSR`.

Complexity: building a CSR from COO is one stable sort, :math:`O(E \log E)`
time and :math:`O(N + E)` memory. Duplicate entries are kept (they add up in
products), never silently dropped — except by :func:`symmetric_csr`, which
builds the deduplicated pattern of an undirected graph on purpose.
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import torch
from torch import Tensor

from graphkit import _compat
from graphkit._validation import check_edge_index, check_edge_weight, check_num_nodes

__all__ = ["CSR", "as_csr", "from_coo", "check_square", "sparse_csr_tensor", "exclusive_cumsum",
           "select_entries", "symmetric_csr"]


def sparse_csr_tensor(crow: Tensor, col: Tensor, value: Tensor, shape, *, int32: bool = False) -> Tensor:
    """``torch.sparse_csr_tensor`` without invariant checks and without torch's "beta" warning.

    The one place graphkit builds torch's CSR tensors: callers guarantee sorted,
    in-range indices. ``int32`` converts the indices (torch's MKL path on CPU takes
    int32 without converting on every product).
    """
    if int32:
        crow, col = crow.int(), col.int()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
        return torch.sparse_csr_tensor(crow, col, value, tuple(shape), check_invariants=False)


class CSR(NamedTuple):
    """A CSR matrix of shape ``[num_rows, num_cols]``.

    ``rowptr`` is ``[num_rows + 1]``, ``col`` is ``[nnz]`` with columns sorted
    within each row, ``value`` is ``[nnz]`` or ``None`` (all ones).
    """

    rowptr: Tensor
    col: Tensor
    value: Tensor | None
    num_rows: int
    num_cols: int

    @property
    def nnz(self) -> int:
        return self.col.numel()

    def row(self) -> Tensor:
        """Row index of every stored entry, ``[nnz]``."""
        counts = self.rowptr.diff()
        # output_size spares a device sync on GPU
        return torch.repeat_interleave(
            torch.arange(self.num_rows, device=self.col.device), counts, output_size=self.nnz
        )

    def degree(self) -> Tensor:
        """Number of stored entries per row, ``[num_rows]`` int64."""
        return self.rowptr.diff()

    def weighted_degree(self, dtype: torch.dtype = torch.float) -> Tensor:
        """Row sums of the values, ``[num_rows]`` (the degree when unweighted)."""
        if self.value is None:
            return self.degree().to(dtype)
        out = torch.zeros(self.num_rows, dtype=dtype, device=self.col.device)
        return out.index_add_(0, self.row(), self.value.to(dtype))

    def check(self) -> CSR:
        """``self`` when its parts agree (``O(1)``: sizes only); ``ValueError`` naming the part otherwise.

        :func:`as_csr` runs it on a CSR built by hand; the CSRs graphkit builds are consistent by construction.
        """
        if not isinstance(self.rowptr, Tensor) or self.rowptr.dim() != 1 or self.rowptr.numel() != self.num_rows + 1:
            raise ValueError(f"CSR rowptr must have num_rows + 1 = {self.num_rows + 1} entries, got "
                             f"{list(getattr(self.rowptr, 'shape', []))}")
        if not isinstance(self.col, Tensor) or self.col.dim() != 1:
            raise ValueError("CSR col must be a 1-D tensor of column ids")
        if self.value is not None and self.value.shape[:1] != self.col.shape:
            raise ValueError(f"CSR value has {self.value.shape[0]} entries but col has {self.col.numel()}")
        return self

    def with_value(self, value: Tensor | None) -> CSR:
        return self._replace(value=value)

    def to(self, device: torch.device | str) -> CSR:
        value = None if self.value is None else self.value.to(device)
        return self._replace(rowptr=self.rowptr.to(device), col=self.col.to(device), value=value)

    def to_edge_index(self) -> Tensor:
        return torch.stack([self.row(), self.col])

    def to_dense(self, dtype: torch.dtype = torch.float) -> Tensor:
        """Dense ``[num_rows, num_cols]`` matrix (tests and tiny graphs only)."""
        out = torch.zeros(self.num_rows, self.num_cols, dtype=dtype, device=self.col.device)
        value = torch.ones(self.nnz, dtype=dtype, device=self.col.device) if self.value is None else self.value.to(dtype)
        return out.index_put_((self.row(), self.col), value, accumulate=True)

    def to_torch_sparse(self, dtype: torch.dtype = torch.float, *, int32: bool = False) -> Tensor:
        """The same matrix as a ``torch.sparse_csr`` tensor (``int32`` indices: MKL's CPU kernel without a copy)."""
        value = torch.ones(self.nnz, dtype=dtype, device=self.col.device) if self.value is None else self.value.to(dtype)
        return sparse_csr_tensor(self.rowptr, self.col, value, (self.num_rows, self.num_cols), int32=int32)

    def transpose(self) -> CSR:
        """:math:`A^\\top` as a CSR, one stable sort."""
        return from_coo(self.col, self.row(), self.value, self.num_cols, self.num_rows)


def from_coo(
    row: Tensor, col: Tensor, value: Tensor | None, num_rows: int, num_cols: int
) -> CSR:
    """Sort COO entries by (row, col) and compress the rows. Duplicates are kept.

    Raises ``ValueError`` when ``row`` / ``col`` / ``value`` differ in length or an
    id is outside ``[0, num_rows)`` / ``[0, num_cols)``.
    """
    for name, ids in (("row", row), ("col", col)):
        if not isinstance(ids, Tensor) or ids.dim() != 1 or ids.dtype != torch.long:
            raise TypeError(f"{name} must be a 1-D int64 tensor, got "
                            f"{getattr(ids, 'dtype', type(ids).__name__)} {list(getattr(ids, 'shape', []))}")
    if row.numel() != col.numel() or (value is not None and value.size(0) != row.numel()):
        raise ValueError(f"row, col and value must have one entry per nonzero, got {row.numel()}, {col.numel()}"
                         f"{'' if value is None else f', {value.size(0)}'}")
    for name, ids, size in (("row", row, num_rows), ("col", col, num_cols)):
        if ids.numel():
            lo, hi = (int(v) for v in torch.aminmax(ids))
            if lo < 0 or hi >= size:
                raise ValueError(f"{name} holds ids in [{lo}, {hi}] but the matrix has {size} {name}s; "
                                 f"ids must be in [0, {size})")
    if row.numel() > 0:
        # one sort on a combined key is faster than two stable sorts
        key = row * max(num_cols, 1) + col
        key, perm = torch.sort(key, stable=True)
        row, col = row[perm], col[perm]
        value = None if value is None else value[perm]
    counts = torch.bincount(row, minlength=num_rows)
    rowptr = torch.zeros(num_rows + 1, dtype=torch.long, device=row.device)
    torch.cumsum(counts, 0, out=rowptr[1:])
    return CSR(rowptr, col, value, num_rows, num_cols)


def as_csr(
    adj,
    num_nodes: int | None = None,
    edge_weight: Tensor | None = None,
) -> CSR:
    """Convert any supported adjacency to :class:`CSR` (square for COO input).

    Args:
        adj: ``[2, E]`` edge index, ``EdgeIndex``, ``torch.sparse_csr`` /
            ``torch.sparse_coo`` tensor, ``torch_sparse.SparseTensor`` or :class:`CSR`.
        num_nodes: number of nodes for COO input (default ``max id + 1``). An
            ``EdgeIndex`` without a sparse size is made square with it; one with a
            sparse size must agree with it. Other inputs keep their stored shape.
        edge_weight: optional ``[E]`` weights for COO / ``EdgeIndex`` input.
            Sparse inputs carry their own values; passing ``edge_weight`` with one
            raises ``ValueError``.
    """
    if isinstance(adj, CSR):
        if edge_weight is not None:
            raise ValueError("a CSR carries its own values; pass edge_weight when building it")
        return adj.check()
    if isinstance(adj, Tensor) and adj.layout in (torch.sparse_csr, torch.sparse_coo):
        if edge_weight is not None:
            raise ValueError(
                "a sparse tensor carries its own values; build it with the weights instead of "
                "passing edge_weight"
            )
        if adj.dim() != 2:
            raise ValueError(f"a sparse adjacency must be 2-D, got shape {list(adj.shape)}")
        rows, cols = adj.shape
        if adj.layout == torch.sparse_csr:
            return CSR(adj.crow_indices().long(), adj.col_indices().long(), adj.values(), rows, cols)
        # a COO tensor's duplicates are summed by definition; coalescing keeps the matrix
        adj = adj.coalesce()
        index = adj.indices()
        return from_coo(index[0], index[1], adj.values(), rows, cols)
    # reading a SparseTensor needs only the module, not the accelerator flag (which tests and
    # users may switch off): a SparseTensor input must never be rejected as an unknown type
    if _compat.torch_sparse is not None and isinstance(adj, _compat.torch_sparse.SparseTensor):
        if edge_weight is not None:
            raise ValueError(
                "a SparseTensor carries its own values; build it with the weights instead of "
                "passing edge_weight"
            )
        rowptr, col, value = adj.csr()
        rows, cols = adj.sparse_sizes()
        return CSR(rowptr, col, value, rows, cols)
    if isinstance(adj, Tensor):
        from torch_geometric import EdgeIndex

        rows = cols = None
        if isinstance(adj, EdgeIndex):
            plain = adj.as_tensor()
            if plain.dtype == torch.int32:  # EdgeIndex may hold int32 ids
                plain = plain.long()
            rows, cols = adj.sparse_size()
            if rows is None or cols is None:
                # PyG infers each unknown side from its own max id, which makes a
                # non-square matrix; a graph adjacency is square
                if num_nodes is None:
                    num_nodes = rows if rows is not None else cols
                rows = cols = None
            elif num_nodes is not None and (rows, cols) != (num_nodes, num_nodes):
                raise ValueError(
                    f"EdgeIndex has sparse size ({rows}, {cols}) but num_nodes={num_nodes}"
                )
        else:
            plain = adj
        if rows is None:
            rows = cols = check_edge_index(plain, num_nodes)
        else:
            check_edge_index(plain, max(rows, cols))
            if plain.size(1) > 0 and (int(plain[0].max()) >= rows or int(plain[1].max()) >= cols):
                raise ValueError(
                    f"EdgeIndex has ids outside its sparse size ({rows}, {cols}): max row id "
                    f"{int(plain[0].max())}, max col id {int(plain[1].max())}"
                )
        check_edge_weight(edge_weight, plain.size(1))
        return from_coo(plain[0], plain[1], edge_weight, rows, cols)
    raise TypeError(
        "adjacency must be a [2, E] edge_index tensor, torch_geometric.EdgeIndex, "
        f"torch.sparse_csr/coo tensor, torch_sparse.SparseTensor or graphkit CSR; got {type(adj).__name__}"
    )


def check_square(csr: CSR, num_nodes: int | None = None) -> int:
    if csr.num_rows != csr.num_cols:
        raise ValueError(f"expected a square adjacency, got shape [{csr.num_rows}, {csr.num_cols}]")
    if num_nodes is not None and check_num_nodes(num_nodes) != csr.num_rows:
        raise ValueError(f"adjacency has {csr.num_rows} nodes but num_nodes={num_nodes}")
    return csr.num_rows


def exclusive_cumsum(mask: Tensor) -> Tensor:
    """``[S + 1]`` int64 running counts of ``mask`` (bool or int) before each position: ``out[s] = sum(mask[:s])``."""
    out = torch.zeros(mask.numel() + 1, dtype=torch.long, device=mask.device)
    torch.cumsum(mask, 0, dtype=torch.long, out=out[1:])
    return out


def select_entries(csr: CSR, keep: Tensor, value: Tensor | None = None) -> CSR:
    r"""The entries of ``csr`` where the ``[nnz]`` bool mask ``keep`` holds, in their order; same shape.

    ``value`` is the ``[keep.sum()]`` values of the kept entries (``None``: all
    ones). :math:`O(\mathrm{nnz})`, no sort.
    """
    if not isinstance(keep, Tensor) or keep.dtype != torch.bool or keep.shape != (csr.nnz,):
        raise ValueError(f"keep must be a bool mask with one entry per stored entry ([{csr.nnz}]), got "
                         f"{getattr(keep, 'dtype', type(keep).__name__)} {list(getattr(keep, 'shape', []))}")
    rowptr = exclusive_cumsum(keep).index_select(0, csr.rowptr)
    return CSR(rowptr, csr.col[keep], value, csr.num_rows, csr.num_cols)


def symmetric_csr(edge_index: Tensor, num_nodes: int, *, check: bool = True) -> CSR:
    r"""Deduplicated, column-sorted ``[N, N]`` CSR (no values) of an undirected ``edge_index``.

    Each stored pair ``(u, v)`` becomes one entry, however often it is listed.
    With ``check=True`` a ``ValueError`` is raised when some ``(u, v)`` has no
    ``(v, u)``: the caller (NCN / NCNC) expects an undirected graph stored in
    both directions. :math:`O(E \log E)` (one ``torch.unique``).
    """
    check_edge_index(edge_index, num_nodes)
    n = max(num_nodes, 1)
    key = torch.unique(edge_index[0] * n + edge_index[1])
    if check and key.numel():
        rev = torch.unique((key % n) * n + key // n)
        if rev.numel() != key.numel() or not torch.equal(rev, key):
            missing = int(key[~torch.isin(key, rev)][0])
            u, v = missing // n, missing % n
            raise ValueError(
                "edge_index is not symmetric: NCN/NCNC expect an undirected graph with both directions "
                f"stored (e.g. ({u}, {v}) is stored but ({v}, {u}) is not); fix it with "
                "torch_geometric.utils.to_undirected(edge_index), or pass check_symmetric=False"
            )
    row, col = key // n, key % n
    rowptr = torch.zeros(num_nodes + 1, dtype=torch.long, device=edge_index.device)
    torch.cumsum(torch.bincount(row, minlength=num_nodes), 0, out=rowptr[1:])
    return CSR(rowptr, col, None, num_nodes, num_nodes)
