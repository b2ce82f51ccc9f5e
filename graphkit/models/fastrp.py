r"""FastRP: fast, optimisation-free node embeddings by very sparse random projection.

Chen, Sultan, Tian, Chen & Skiena, *Fast and Accurate Network Embeddings via Very
Sparse Random Projection*, CIKM 2019 (https://arxiv.org/abs/1908.11512); reference
code: https://github.com/GTmac/FastRP (``fastrp.py`` and the BlogCatalog notebook).
The node-feature, self-influence and edge-weight options follow Neo4j GDS's
``gds.fastRP`` (``propertyRatio``, ``nodeSelfInfluence``,
``relationshipWeightProperty``).

Math (what :meth:`FastRP.fit` computes)
---------------------------------------

With :math:`A` the (weighted) adjacency, :math:`a_{ij}` the weight of edge
:math:`i \to j` (row ``i`` = out-edges, as in :mod:`graphkit.ops.csr`) and
:math:`d_i = \sum_j a_{ij}` the weighted out-degree:

.. math::
    S = D^{-1} A, \qquad
    L = \operatorname{diag}(d_j^{\,\beta}), \qquad
    V_0 = \bigl[\, L R / \sqrt{d_b} \;\big|\; X W / \sqrt{d_f} \,\bigr]

.. math::
    N_1 = S V_0, \qquad N_k = S N_{k-1} \;(k = 2..q), \qquad
    E = \operatorname{scale}\Bigl(\alpha_0 \,\nu(V_0) + \sum_{k=1}^{q} \alpha_k\, \nu(N_k)\Bigr)

* :math:`R \in \mathbb R^{n \times d_b}`: very sparse random projection with entries
  :math:`\sqrt s \cdot \{+1, 0, -1\}` with probabilities :math:`\frac{1}{2s}, 1 - \frac1s,
  \frac{1}{2s}` (:func:`graphkit.ops.random_projection.sparse_random_projection`,
  drawn in the original node order from ``torch.Generator().manual_seed(seed)``).
  ``s='sqrt'`` is :math:`s = \sqrt n`, what the reference gets from scikit-learn's
  ``SparseRandomProjection`` (``density='auto'``); GDS uses ``s=3``.
* :math:`\nu` is the row-wise L2 normalisation (``normalize_rows=True``; rows of norm
  0 stay 0) or the identity. :math:`\alpha_k` = ``iteration_weights[k-1]``,
  :math:`\alpha_0` = ``self_influence``.
* ``scale`` is column standardisation (zero mean, unit population standard
  deviation; constant columns are only centred), what the reference applies at the
  end (``sklearn.preprocessing.scale`` in ``fastrp_merge``); ``standardize=False``
  skips it (GDS does not standardise).
* Node features (``feature_ratio > 0``, GDS ``propertyRatio``): the last
  :math:`d_f = \mathrm{round}(\text{dim} \cdot \text{feature\_ratio})` columns of
  :math:`V_0` are :math:`X W / \sqrt{d_f}` with :math:`W` a second sparse random
  projection (:math:`F \times d_f`, same ``s`` rule with :math:`F` rows, drawn after
  :math:`R` from the same generator); as in GDS they are not degree-scaled.

Normalisation used, and why it matches the reference
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~

The paper writes :math:`L = \operatorname{diag}((d_j / 2m)^{\beta})`; the reference
multiplies the *columns* of scikit-learn's ``components_`` (:math:`d \times n`), i.e.
the rows of :math:`R`, by ``A.sum(axis=1) ** alpha`` — the row sums of the
adjacency it was given (weighted out-degree; for the undirected BlogCatalog the
plain degree). graphkit uses exactly that: :math:`L_{jj} = d_j^{\beta}` with the
same weighted out-degree that normalises :math:`S`. The factor
:math:`(2m)^{-\beta}` is one global constant; it, and the :math:`1/\sqrt{d_b}` that
scikit-learn puts into its projection (kept here, so the un-normalised
:math:`N_k` equal the reference's), cancel under the row normalisation and the final
standardisation. Nodes of degree 0 get :math:`L_{jj} = 1` (as in GDS; the reference
would compute :math:`0^{\beta} = \infty` and NaN).

Graph conventions
~~~~~~~~~~~~~~~~~

* Directed graphs: row ``i`` of :math:`S` averages over the out-neighbours ``j`` of
  ``i`` (edges ``i -> j`` with ``edge_index[0] == i``), which is the reference's
  ``D^{-1} A`` of the matrix it is given. For the PyG direction (aggregate over
  in-neighbours / sources) pass ``edge_index.flip(0)``.
* Weighted graphs: :math:`S = D^{-1} A` with the weighted degree (rows sum to 1; GDS
  instead divides the weighted sum by the unweighted degree). Weights must be finite
  and non-negative; zero weights are allowed. ``use_edge_weight=False`` treats every
  stored entry as weight 1.
* Isolated nodes (and nodes whose weights are all 0): zero rows of :math:`S`, so
  their :math:`N_k` rows are exactly 0 — never NaN. With ``standardize=True`` the
  standardisation then maps them to :math:`-\mu / \sigma` (the same row for every
  such node); with ``standardize=False`` and ``self_influence=0`` they stay 0.
* Self-loops are ordinary edges (they count in the degree); duplicate edges add up.

Deviations from the reference (numbers unchanged unless stated)
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~

* float32 by default (the reference multiplies in float64), so results match it to
  float32 round-off for the same :math:`R`, not bit for bit. ``dtype=torch.float64``
  is available.
* The random matrix comes from torch's generator, not NumPy's: same distribution,
  different draws (F1 scores change by the seed-to-seed spread only).
* Degree-0 nodes: see above (the reference produces NaN for them).
* The reference builds all ``q`` powers and then merges them (``q`` dense ``n x d``
  matrices plus the sparse ones); here they are streamed.

Performance notes (CPU)
~~~~~~~~~~~~~~~~~~~~~~~

The hot loop is :math:`S X` with a dense ``[n, d]`` ``X``. It is run as
``torch.addmm(..., out=buffer)`` on a ``torch.sparse_csr`` matrix with int32
indices (torch's MKL path; int64 indices would be converted on every call), into
preallocated buffers that are reused across powers. Measured effects (numbers in
``benchmarks/fastrp_scale.py``'s output and the issue report):

* ``R`` is so sparse (:math:`d/\sqrt n` non-zeros per row) that
  :math:`N_1 = S V_0` is computed as a sparse x sparse product and only densified
  afterwards; dense products are used when :math:`1/s >` ``_SPARSE_FIRST_POWER_DENSITY``
  or node features are mixed in.
* CPU buffers are allocated through NumPy, which asks Linux for transparent huge
  pages (``madvise``); torch's own allocator does not (unless
  ``THP_MEM_ALLOC_ENABLE=1`` is set before torch starts). The random row gathers of
  :math:`S X` then miss the TLB far less often.
* ``reorder='degree'`` relabels nodes by decreasing degree internally (undone on
  output), so that the rows of hub nodes, the most gathered ones, sit together;
  ``'rcm'`` (reverse Cuthill–McKee, scipy) is the classic bandwidth-reducing order.
  Entries keep their order within each row, so the output is the same in any order
  (up to the summation order of the column statistics). Neither is the default:
  measured side by side (interleaved repetitions), the :math:`S X` product was not
  faster after either reordering, on BlogCatalog (its ``10312 x 512`` iterate fits in
  the last-level cache) nor on the 1M-node power-law graph (Chung–Lu graphs have no
  locality to recover; with huge pages the hub rows are cached wherever they are),
  while relabelling costs time and memory.

Memory: :math:`O(m + n)` for :math:`S` plus two dense ``[n, dim]`` buffers when the
first power is sparse and at most the last two powers have to be held (the
reference settings ``q = 4``), three otherwise, plus a 16 MB chunk for the last
power, which is accumulated row block by row block and never stored whole. The
reordered output needs one more ``[n, dim]`` buffer at the very end (by then the
powers are freed).
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

from graphkit._validation import check_features, check_num_nodes
from graphkit.ops.csr import CSR, as_csr, check_square
from graphkit.ops.random_projection import resolve_sparsity, sparse_random_projection

__all__ = ["FastRP"]

_REORDERS = ("none", "degree", "rcm")
_DTYPES = (torch.float32, torch.float64)
_NUMPY_DTYPES = {torch.float32: np.float32, torch.float64: np.float64}

# private switches, read at call time (the scale benchmark flips them for its ablation)
_SPARSE_FIRST_POWER_DENSITY = 1.0 / 32  # sparse x sparse first power when 1/s <= this
_NUMPY_BUFFERS = True  # allocate CPU buffers through NumPy (transparent huge pages)
_CHUNK_CELLS = 1 << 22  # rows per block of the last power: 4M cells (16 MB in fp32)

_DEFAULTS = {
    "iteration_weights": (0.0, 0.0, 1.0, 1.0),
    "normalization_strength": 0.0,
    "s": "sqrt",
    "normalize_rows": True,
    "self_influence": 0.0,
    "use_edge_weight": True,
    "feature_ratio": 0.0,
    "standardize": True,
    "reorder": None,
    "dtype": torch.float32,
    "device": "cpu",
    "seed": 0,
}


# --------------------------------------------------------------------------------------------------
# parameter checks
# --------------------------------------------------------------------------------------------------


def _real(name: str, value, *, low: float | None = None, high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if low is not None and value < low or high is not None and value > high:
        raise ValueError(f"{name} must be in [{low}, {high}], got {value}")
    return value


def _bool(name: str, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def _weights(value) -> tuple[float, ...]:
    if isinstance(value, (Tensor, np.ndarray)):
        if value.ndim != 1:
            raise ValueError(f"iteration_weights must be 1-D, got shape {list(value.shape)}")
        value = value.tolist()
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise TypeError(
            f"iteration_weights must be a sequence of numbers, one weight per power of S "
            f"(e.g. (0, 0, 1, 1)), got {type(value).__name__} {value!r}"
        )
    if len(value) == 0:
        raise ValueError("iteration_weights is empty; give one weight per power, e.g. (0, 0, 1, 1)")
    out = []
    for k, w in enumerate(value):
        if isinstance(w, bool) or not isinstance(w, numbers.Real):
            raise TypeError(f"iteration_weights[{k}] must be a real number, got {type(w).__name__} {w!r}")
        if not math.isfinite(w):
            raise ValueError(f"iteration_weights[{k}] must be finite, got {w}")
        out.append(float(w))
    return tuple(out)


# --------------------------------------------------------------------------------------------------
# input graphs
# --------------------------------------------------------------------------------------------------


def _read_graph(graph, num_nodes, edge_weight, use_edge_weight: bool):
    """``(rowptr int64, col, weight float | None, n, x_from_graph)`` on the CPU or the input's device."""
    x_graph = None
    if sp.issparse(graph):
        if edge_weight is not None:
            raise ValueError("a scipy sparse matrix carries its own weights; do not pass edge_weight with it")
        if graph.ndim != 2 or graph.shape[0] != graph.shape[1]:
            raise ValueError(
                f"the adjacency matrix must be square [N, N], got shape {tuple(graph.shape)}"
            )
        n = int(graph.shape[0])
        if num_nodes is not None and check_num_nodes(num_nodes) != n:
            raise ValueError(f"the matrix has {n} nodes but num_nodes={num_nodes}")
        csr = graph.tocsr()
        rowptr = torch.from_numpy(np.asarray(csr.indptr, dtype=np.int64))
        col = torch.from_numpy(np.ascontiguousarray(csr.indices))
        if col.dtype not in (torch.int32, torch.int64):
            col = col.long()
        weight = None
        if use_edge_weight:
            data = np.asarray(csr.data)
            if data.dtype == np.bool_:
                data = data.astype(np.float64)
            if not np.issubdtype(data.dtype, np.number) or np.iscomplexobj(data):
                raise TypeError(f"the adjacency matrix must hold real weights, got dtype {data.dtype}")
            if not (data == 1).all():
                weight = torch.from_numpy(data.astype(np.float64, copy=False))
        return rowptr, col, weight, n, x_graph

    from torch_geometric.data import Data, HeteroData

    if isinstance(graph, HeteroData):
        raise TypeError("FastRP needs a homogeneous graph (torch_geometric.data.Data), got a HeteroData")
    if isinstance(graph, Data):
        if graph.edge_index is None:
            raise ValueError("the Data object has no edge_index")
        n = graph.num_nodes if num_nodes is None else num_nodes
        if n is None:
            raise ValueError("cannot tell the number of nodes: set data.num_nodes or pass num_nodes=")
        if edge_weight is None and use_edge_weight:
            edge_weight = getattr(graph, "edge_weight", None)
        x_graph = getattr(graph, "x", None)
        graph, num_nodes = graph.edge_index, n
    elif not isinstance(graph, (Tensor, CSR)):
        raise TypeError(
            "graph must be a torch_geometric.data.Data, a [2, E] edge_index tensor (with num_nodes=), "
            f"a torch sparse tensor, a graphkit CSR or a scipy sparse matrix; got {type(graph).__name__}"
        )
    if not use_edge_weight:
        edge_weight = None
    if isinstance(graph, Tensor) and graph.layout == torch.strided and graph.is_floating_point():
        raise TypeError(
            f"got a dense floating tensor of shape {list(graph.shape)}; pass an integer edge_index [2, E], "
            f"a sparse tensor (e.g. A.to_sparse_csr()) or a scipy sparse matrix"
        )
    csr = as_csr(graph, num_nodes, edge_weight)
    n = check_square(csr, num_nodes)
    weight = csr.value if use_edge_weight else None
    if weight is not None:
        if weight.is_complex() or not (weight.is_floating_point() or weight.dtype in (torch.int32, torch.int64)):
            raise TypeError(f"edge weights must be real numbers, got dtype {weight.dtype}")
        weight = weight.double()
    return csr.rowptr, csr.col, weight, n, x_graph


def _check_weight_values(weight: Tensor | None) -> None:
    if weight is None or weight.numel() == 0:
        return
    if not bool(torch.isfinite(weight).all()):
        raise ValueError("edge weights contain NaN or inf; FastRP needs finite, non-negative weights")
    low = float(weight.min())
    if low < 0:
        bad = int((weight < 0).sum())
        raise ValueError(
            f"{bad} edge weight(s) are negative (min {low}); FastRP's transition matrix D^-1 A needs "
            f"non-negative weights — shift or clip them, or pass use_edge_weight=False"
        )


# --------------------------------------------------------------------------------------------------
# kernels
# --------------------------------------------------------------------------------------------------


def _empty(rows: int, cols: int, dtype: torch.dtype, device: torch.device, *, zero: bool = False) -> Tensor:
    """A ``[rows, cols]`` buffer; on the CPU through NumPy (huge pages on Linux, lazily zeroed calloc)."""
    if device.type == "cpu" and _NUMPY_BUFFERS:
        make = np.zeros if zero else np.empty
        return torch.from_numpy(make((rows, cols), dtype=_NUMPY_DTYPES[dtype]))
    make = torch.zeros if zero else torch.empty
    return make((rows, cols), dtype=dtype, device=device)


def _csr_tensor(crow: Tensor, col: Tensor, value: Tensor, shape) -> Tensor:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
        return torch.sparse_csr_tensor(crow, col, value, shape, check_invariants=False)


def _segment_sum(value: Tensor, rowptr: Tensor) -> Tensor:
    """Exact per-row sums of a CSR's values (0 for empty rows)."""
    if value.numel() == 0:
        return torch.zeros(rowptr.numel() - 1, dtype=value.dtype, device=value.device)
    return torch.segment_reduce(value, "sum", offsets=rowptr, initial=0)


def _rows_of(rowptr: Tensor, nnz: int) -> Tensor:
    n = rowptr.numel() - 1
    return torch.repeat_interleave(torch.arange(n, device=rowptr.device), rowptr.diff(), output_size=nnz)


def _permute_rows(rowptr: Tensor, perm: Tensor) -> tuple[Tensor, Tensor]:
    """Row permutation of a CSR: new rowptr and, for every new entry, its old position.

    Entries keep their order within each row, so products summed row by row give
    bit-identical results in any node order.
    """
    counts = rowptr.diff()[perm]
    new_rowptr = torch.zeros_like(rowptr)
    torch.cumsum(counts, 0, out=new_rowptr[1:])
    nnz = int(new_rowptr[-1])
    # entry e of new row r sits at old position rowptr[perm[r]] + (e - new_rowptr[r])
    delta = rowptr[:-1][perm] - new_rowptr[:-1]
    index = torch.repeat_interleave(delta, counts, output_size=nnz)
    index += torch.arange(nnz, device=rowptr.device)
    return new_rowptr, index


def _order(reorder: str | None, rowptr: Tensor, col: Tensor, deg: Tensor, n: int) -> Tensor | None:
    """The new-to-old node permutation, or ``None`` to keep the input order."""
    if reorder in (None, "none") or n <= 1:
        return None
    if reorder == "degree":
        return torch.sort(deg, descending=True, stable=True).indices
    from scipy.sparse.csgraph import reverse_cuthill_mckee

    pattern = sp.csr_matrix(
        (np.ones(col.numel(), dtype=np.int8), col.cpu().numpy(), rowptr.cpu().numpy()), shape=(n, n)
    )
    return torch.from_numpy(reverse_cuthill_mckee(pattern, symmetric_mode=False).astype(np.int64)).to(deg.device)


def _row_scale(mat: Tensor, weight: float, normalize: bool):
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
    """A term ``weight * nu(M)`` of a sparse CSR ``M [n, dim]``, added block by block."""

    def __init__(self, mat: Tensor, weight: float, normalize: bool):
        self.crow = mat.crow_indices().long()
        self.col = mat.col_indices().long()
        value = mat.values()
        self.raw = value
        if normalize:
            norm = _segment_sum(value * value, self.crow).sqrt_()
            scale = torch.where(norm > 0, weight / norm, torch.zeros_like(norm))
            self.value = value * scale[_rows_of(self.crow, value.numel())]
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
        rows = _rows_of(self.crow[r0:r1 + 1] - e0, e1 - e0)
        out.view(-1).index_add_(0, rows * out.size(1) + self.col[e0:e1], self.value[e0:e1])

    def densify_into(self, out: Tensor) -> None:
        """``out[:] = M`` (raw values); ``out`` must already be zero."""
        rows = _rows_of(self.crow, self.raw.numel())
        out.view(-1)[rows * out.size(1) + self.col] = self.raw


class _ColumnStats:
    """Column means and population standard deviations, accumulated block by block.

    Sums of values shifted by the first row seen (so large means do not cancel the
    variance), per block in the block's dtype, across blocks in float64.
    """

    def __init__(self):
        self.count = 0
        self.shift = self.s1 = self.s2 = None

    def update(self, block: Tensor) -> None:
        if block.size(0) == 0:
            return
        if self.shift is None:
            self.shift = block[0].clone()
            self.s1 = torch.zeros(block.size(1), dtype=torch.float64, device=block.device)
            self.s2 = torch.zeros_like(self.s1)
        # block sums in the block's dtype (torch sums float32 pairwise), accumulated in float64;
        # summing with dtype=float64 would convert every block first (measured: +0.9 s at 1M x 128)
        tmp = block - self.shift
        self.s1 += tmp.sum(0).double()
        self.s2 += tmp.mul_(tmp).sum(0).double()
        self.count += block.size(0)

    def affine(self, dtype: torch.dtype) -> tuple[Tensor, Tensor]:
        """``(scale, shift)`` with ``x * scale + shift`` the standardised ``x``.

        A standard deviation below ``10 * eps`` (float64) is replaced by 1 (scikit-learn's
        ``_handle_zeros_in_scale``): constant columns are only centred.
        """
        mean_shifted = self.s1 / self.count
        mean = self.shift.double() + mean_shifted
        var = (self.s2 / self.count - mean_shifted * mean_shifted).clamp_min_(0)
        std = var.sqrt_()
        std = torch.where(std < 10 * torch.finfo(torch.float64).eps, torch.ones_like(std), std)
        return (1.0 / std).to(dtype), (-mean / std).to(dtype)


def _propagate(
    S: Tensor,
    v0_sparse: Tensor | None,
    v0_dense: Tensor | None,
    weights: tuple[float, ...],
    self_influence: float,
    normalize: bool,
    standardize: bool,
    inv: Tensor | None,
    dim: int,
    dtype: torch.dtype,
    device: torch.device,
) -> Tensor:
    r"""``scale(alpha_0 nu(V_0) + sum_k alpha_k nu(S^k V_0))`` streamed, in the original node order.

    Powers ``1 .. q-1`` are held whole (each is the operand of the next product), at
    most two at a time; a power's term is added when its buffer is no longer needed
    as an operand, and the first power buffer that carries a term becomes the sum
    (scaled lazily). The last power is computed block of rows by block of rows and
    folded into the sum together with every pending term, the sparse terms and the
    column statistics, while the block is in cache.
    """
    n = S.size(0)
    q = len(weights)
    sparse_terms: list[_SparseTerm] = []
    dense_self = v0_dense if self_influence != 0 and v0_dense is not None else None
    if self_influence != 0 and v0_sparse is not None:
        sparse_terms.append(_SparseTerm(v0_sparse, self_influence, normalize))
    spare: list[Tensor] = []

    def buffer() -> Tensor:
        return spare.pop() if spare else _empty(n, dim, dtype, device)

    # ---- N_1 = S V_0: sparse x sparse when V_0 is sparse (its term stays sparse)
    prev: Tensor | None
    if v0_sparse is not None:
        first = _SparseTerm(torch.sparse.mm(S, v0_sparse), weights[0], normalize)
        sparse_terms.append(first)
        prev, prev_w = None, 0.0
        if q > 1:
            prev = _empty(n, dim, dtype, device, zero=True)
            first.densify_into(prev)
    else:
        prev = buffer()
        torch.addmm(prev, S, v0_dense, beta=0, out=prev)
        prev_w = weights[0]

    # ---- N_k = S N_{k-1}, k = 2 .. q-1, held whole
    acc: Tensor | None = None
    acc_w: float | None = None  # not None: acc still holds a raw power, its term is acc_w * nu(acc)
    for k in range(2, q):
        cur = buffer()
        torch.addmm(cur, S, prev, beta=0, out=cur)
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
    crow, col, value = S.crow_indices(), S.col_indices(), S.values()
    rows = max(1, _CHUNK_CELLS // max(dim, 1))
    tmp = torch.empty((min(rows, n), dim), dtype=dtype, device=device) if q > 1 else None
    stats = _ColumnStats() if standardize else None
    for r0 in range(0, n, rows):
        r1 = min(n, r0 + rows)
        out = acc[r0:r1]
        if fresh:
            out.zero_()
        elif acc_w is not None:
            _set_scaled(out, out, acc_w, normalize)
        if q > 1:
            if prev_w != 0:
                _add_scaled(out, prev[r0:r1], prev_w, normalize)
            e0, e1 = int(crow[r0]), int(crow[r1])
            block = _csr_tensor(crow[r0:r1 + 1] - e0, col[e0:e1], value[e0:e1], (r1 - r0, n))
            y = tmp[: r1 - r0]
            torch.addmm(y, block, prev, beta=0, out=y)
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
    if stats is None and inv is None:
        return acc
    if stats is not None:
        scale, shift = stats.affine(dtype)
    if inv is None:
        for r0 in range(0, n, rows):
            block = acc[r0:r0 + rows]
            torch.addcmul(shift, block, scale, out=block)
        return acc
    result = _empty(n, dim, dtype, device)
    inv = inv.long()
    for r0 in range(0, n, rows):
        block = result[r0:r0 + rows]
        torch.index_select(acc, 0, inv[r0:r0 + rows], out=block)
        if stats is not None:
            torch.addcmul(shift, block, scale, out=block)
    return result


# --------------------------------------------------------------------------------------------------
# the estimator
# --------------------------------------------------------------------------------------------------


class FastRP:
    r"""FastRP node embeddings (Chen et al., CIKM 2019), scikit-learn style.

    See the module docstring (:mod:`graphkit.models.fastrp`) for the exact math, the
    graph conventions and how it matches the reference code. In short:
    :math:`E = \operatorname{scale}(\alpha_0 \nu(V_0) + \sum_{k=1}^q \alpha_k \nu(S^k V_0))`
    with :math:`S = D^{-1} A` and :math:`V_0 = L R / \sqrt d` a very sparse random
    projection scaled by :math:`L = \operatorname{diag}(d_j^{\beta})`.

    Args:
        dim: embedding dimension :math:`d` (default 128; GDS suggests a power of two in
            128–1024, at least 256 from about :math:`10^5` nodes; the paper uses 512 on
            BlogCatalog).
        iteration_weights: :math:`\alpha_1 .. \alpha_q`, one weight per power of
            :math:`S` (default ``(0, 0, 1, 1)``: the paper's form
            :math:`(0, 0, 1, \alpha_4)` with the untuned :math:`\alpha_4 = 1`, which also
            follows GDS's advice to weight an even and an odd power; the reference's
            tuned BlogCatalog weights are ``(1, 1, 7.81, 45.28)``).
        normalization_strength: :math:`\beta` (default 0; the paper tunes it in
            :math:`[-1, 0]`, the reference BlogCatalog setting is −0.628).
        s: projection sparsity, ``'sqrt'`` for :math:`\sqrt n` as in the reference
            (default) or a number :math:`\geq 1` (3 as in GDS).
        normalize_rows: L2-normalise each row of each power before weighting
            (default ``True``, the reference's best BlogCatalog runs and GDS).
        self_influence: :math:`\alpha_0`, weight of the initial vectors (GDS
            ``nodeSelfInfluence``; default 0).
        use_edge_weight: use ``data.edge_weight`` / the sparse matrix's values / the
            ``edge_weight`` argument (default ``True``); ``False`` gives every stored
            edge weight 1.
        feature_ratio: share of the dimensions projected from node features (GDS
            ``propertyRatio``, in ``[0, 1]``; default 0). Needs ``x``.
        standardize: column standardisation at the end, as the reference (default
            ``True``).
        reorder: internal node order for the products: ``None`` (default, the input
            order), ``'degree'`` (decreasing degree) or ``'rcm'`` (reverse Cuthill–McKee).
            The output is always in the input's node order and does not depend on it (see
            the module notes: neither bought time on BlogCatalog or the 1M-node power-law
            graph, so the default does not reorder).
        dtype: ``torch.float32`` (default) or ``torch.float64``.
        device: where to compute (default ``'cpu'``).
        seed: seed of the ``torch.Generator`` that draws :math:`R` (and :math:`W`).

    Attributes:
        embedding_ (Tensor): ``[n, dim]`` embeddings on ``device`` in ``dtype``.
        n_nodes_ (int): number of nodes of the fitted graph.
        n_features_in_ (int): number of node features used (0 without features).

    Shapes:
        - graph: :math:`n` nodes, :math:`m` stored edges; ``x``: :math:`[n, F]`
        - ``embedding_``: :math:`[n, \text{dim}]`

    Complexity:
        :math:`O(q\, m\, d)` time (the first power :math:`O(m d / s)` when it is
        computed sparsely), :math:`O(m + n d)` memory (two or three :math:`n \times d`
        buffers, see the module notes); nothing :math:`n \times n` is ever built.

    Example:
        >>> from graphkit.datasets import contextual_sbm
        >>> data = contextual_sbm(200, 4, seed=0)
        >>> emb = FastRP(32, seed=0).fit_transform(data)
        >>> tuple(emb.shape)
        (200, 32)
    """

    def __init__(
        self,
        dim: int = 128,
        *,
        iteration_weights: Sequence[float] = (0.0, 0.0, 1.0, 1.0),
        normalization_strength: float = 0.0,
        s: float | str = "sqrt",
        normalize_rows: bool = True,
        self_influence: float = 0.0,
        use_edge_weight: bool = True,
        feature_ratio: float = 0.0,
        standardize: bool = True,
        reorder: str | None = None,
        dtype: torch.dtype = torch.float32,
        device: torch.device | str = "cpu",
        seed: int = 0,
    ):
        self.dim = dim
        self.iteration_weights = iteration_weights
        self.normalization_strength = normalization_strength
        self.s = s
        self.normalize_rows = normalize_rows
        self.self_influence = self_influence
        self.use_edge_weight = use_edge_weight
        self.feature_ratio = feature_ratio
        self.standardize = standardize
        self.reorder = reorder
        self.dtype = dtype
        self.device = device
        self.seed = seed

    # ---------------------------------------------------------------- scikit-learn protocol

    def get_params(self, deep: bool = True) -> dict:
        """The constructor arguments, as scikit-learn's ``get_params``."""
        return {"dim": self.dim, **{k: getattr(self, k) for k in _DEFAULTS}}

    def set_params(self, **params) -> FastRP:
        """Set constructor arguments by name; unknown names raise ``ValueError``."""
        valid = self.get_params()
        for key, value in params.items():
            if key not in valid:
                raise ValueError(f"invalid parameter {key!r} for FastRP; valid: {', '.join(valid)}")
            setattr(self, key, value)
        return self

    def __repr__(self) -> str:
        shown = [repr(self.dim)]
        for key, default in _DEFAULTS.items():
            value = getattr(self, key)
            same = value == default if not isinstance(value, (Tensor, np.ndarray)) else False
            if key == "iteration_weights" and not same:
                try:
                    same = tuple(float(w) for w in value) == default
                except TypeError:
                    same = False
            if not same:
                shown.append(f"{key}={value!r}")
        return f"FastRP({', '.join(shown)})"

    def _check_params(self) -> dict:
        dim = self.dim
        if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
            raise TypeError(f"dim must be an int >= 1, got {type(dim).__name__} {dim!r}")
        if dim < 1:
            raise ValueError(f"dim must be an int >= 1, got {dim}")
        if isinstance(self.s, str):
            if self.s != "sqrt":
                raise ValueError(f"s must be 'sqrt' or a number >= 1, got {self.s!r}")
        else:
            resolve_sparsity(self.s, 1)
        if self.reorder is not None and self.reorder not in _REORDERS:
            raise ValueError(f"reorder must be one of {', '.join(map(repr, _REORDERS))}, got {self.reorder!r}")
        if self.dtype not in _DTYPES:
            raise TypeError(f"dtype must be torch.float32 or torch.float64, got {self.dtype!r}")
        seed = self.seed
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= seed < 2**63:
            raise ValueError(f"seed must be an int in [0, 2**63), got {seed!r}")
        try:
            device = torch.device(self.device)
        except (RuntimeError, TypeError) as exc:
            raise ValueError(f"device must be a torch device such as 'cpu' or 'cuda', got {self.device!r}") from exc
        return {
            "dim": int(dim),
            "weights": _weights(self.iteration_weights),
            "beta": _real("normalization_strength", self.normalization_strength),
            "self_influence": _real("self_influence", self.self_influence),
            "feature_ratio": _real("feature_ratio", self.feature_ratio, low=0.0, high=1.0),
            "normalize": _bool("normalize_rows", self.normalize_rows),
            "use_edge_weight": _bool("use_edge_weight", self.use_edge_weight),
            "standardize": _bool("standardize", self.standardize),
            "reorder": self.reorder,
            "device": device,
            "seed": int(seed),
        }

    # ---------------------------------------------------------------- fitting

    def fit(self, graph, *, x: Tensor | None = None, edge_weight: Tensor | None = None,
            num_nodes: int | None = None) -> FastRP:
        """Embed the nodes of ``graph``; sets ``embedding_`` and returns ``self``.

        Args:
            graph: a PyG ``Data`` (``edge_index``, ``num_nodes``, optional
                ``edge_weight`` and ``x``), an ``edge_index [2, E]`` (pass ``num_nodes``;
                default ``max id + 1``), a torch sparse tensor / ``EdgeIndex`` / graphkit
                ``CSR``, or a scipy sparse matrix (its values are the edge weights).
            x: node features ``[n, F]`` for ``feature_ratio > 0`` (default ``data.x``).
            edge_weight: ``[E]`` non-negative weights (default ``data.edge_weight``).
            num_nodes: number of nodes for ``edge_index`` input.

        Raises:
            TypeError: unsupported graph type, wrong parameter or feature types.
            ValueError: bad parameters, a non-square matrix, ids out of range,
                negative or non-finite weights, NaN/inf features, an empty graph.
        """
        p = self._check_params()
        if edge_weight is not None and not p["use_edge_weight"]:
            raise ValueError("edge_weight was given but use_edge_weight=False; drop one of them")
        rowptr, col, weight, n, x_graph = _read_graph(graph, num_nodes, edge_weight, p["use_edge_weight"])
        if n == 0:
            raise ValueError("the graph has no nodes; FastRP needs at least one node")
        _check_weight_values(weight)
        dim = p["dim"]
        d_feat = round(dim * p["feature_ratio"]) if p["feature_ratio"] > 0 else 0
        if x is not None and p["feature_ratio"] == 0:
            raise ValueError("x was given but feature_ratio=0, so it would be ignored; set feature_ratio > 0")
        if p["feature_ratio"] > 0:
            x = x_graph if x is None else x
            if x is None:
                raise ValueError("feature_ratio > 0 needs node features: pass x= or use a Data with data.x")
            check_features(x, n, name="x")
        else:
            x = None
        with torch.no_grad():
            emb = self._embed(rowptr, col, weight, n, x, d_feat, p)
        self.embedding_ = emb
        self.n_nodes_ = n
        self.n_features_in_ = 0 if x is None else int(x.size(1))
        return self

    def fit_transform(self, graph, **kwargs) -> Tensor:
        """``fit(graph, **kwargs).embedding_``."""
        return self.fit(graph, **kwargs).embedding_

    def _embed(self, rowptr, col, weight, n, x, d_feat, p) -> Tensor:
        device, dtype, dim = p["device"], self.dtype, p["dim"]
        rowptr, col = rowptr.to(device), col.to(device)
        weight = None if weight is None else weight.to(device)
        nnz = col.numel()
        if nnz >= 2**31 or n >= 2**31:
            raise ValueError(f"graphs with >= 2**31 nodes or stored edges are not supported (n={n}, nnz={nnz})")
        deg = rowptr.diff().double() if weight is None else _segment_sum(weight, rowptr)
        positive = deg > 0
        inv_deg = torch.where(positive, 1.0 / torch.where(positive, deg, 1.0), 0.0)
        beta = p["beta"]
        scaling = torch.where(positive, torch.where(positive, deg, 1.0).pow(beta), 1.0)

        # ---- internal node order and the transition matrix S = D^-1 A in that order (int32 indices)
        perm = _order(p["reorder"], rowptr, col, deg, n)
        inv = None
        if perm is not None:
            inv = torch.empty(n, dtype=torch.int32, device=device)
            inv[perm] = torch.arange(n, dtype=torch.int32, device=device)
            new_rowptr, index = _permute_rows(rowptr, perm)
            s_col = inv[col[index]]
            s_weight = None if weight is None else weight[index]
            del index
            rowptr_w, inv_deg_w, scaling_w = new_rowptr, inv_deg[perm], scaling[perm]
        else:
            s_col = col.to(torch.int32)
            s_weight = weight
            rowptr_w, inv_deg_w, scaling_w = rowptr, inv_deg, scaling
        counts = rowptr_w.diff()
        s_value = torch.repeat_interleave(inv_deg_w.to(dtype), counts, output_size=nnz)
        if s_weight is not None:
            s_value *= s_weight.to(dtype)
            del s_weight
        S = _csr_tensor(rowptr_w.to(torch.int32), s_col, s_value, (n, n))
        del s_col, s_value

        # ---- V_0 = [L R / sqrt(d_b) | X W / sqrt(d_f)] in the working order
        d_base = dim - d_feat
        gen = torch.Generator().manual_seed(p["seed"])
        s_nodes = resolve_sparsity(self.s, n)
        R = sparse_random_projection(n, d_base, seed=gen, s=s_nodes, dtype=dtype)
        r_crow, r_col, r_val = R.crow_indices(), R.col_indices(), R.values()
        r_crow, r_col, r_val = r_crow.to(device), r_col.to(device), r_val.to(device)
        if perm is not None:
            r_crow, index = _permute_rows(r_crow, perm)
            r_col, r_val = r_col[index], r_val[index]
        r_rows = _rows_of(r_crow, r_val.numel())
        r_val = r_val * (scaling_w.to(dtype)[r_rows] / math.sqrt(max(d_base, 1)))
        sparse_first = d_feat == 0 and 1.0 / s_nodes <= _SPARSE_FIRST_POWER_DENSITY
        if sparse_first:
            v0_sparse = _csr_tensor(r_crow.to(torch.int32), r_col.to(torch.int32), r_val, (n, dim))
            v0_dense = None
        else:
            v0_sparse = None
            v0_dense = _empty(n, dim, dtype, device)
            v0_dense.zero_()
            v0_dense.view(-1).index_put_((r_rows * dim + r_col,), r_val)
            if d_feat > 0:
                W = sparse_random_projection(x.size(1), d_feat, seed=gen, s=resolve_sparsity(self.s, x.size(1)),
                                             dtype=dtype, layout=torch.strided).to(device)
                xw = x.to(device=device, dtype=dtype)
                if perm is not None:
                    xw = xw[perm]
                v0_dense[:, d_base:] = (xw @ W).div_(math.sqrt(d_feat))
        del R, r_crow, r_col, r_val, r_rows

        return _propagate(S, v0_sparse, v0_dense, p["weights"], p["self_influence"], p["normalize"],
                          p["standardize"], inv, dim, dtype, device)


# --------------------------------------------------------------------------------------------------
# runner entry: embed, then the node-classification protocol on the embeddings
# --------------------------------------------------------------------------------------------------

_ESTIMATOR_KEYS = ("dim", "iteration_weights", "normalization_strength", "s", "normalize_rows", "self_influence",
                   "use_edge_weight", "feature_ratio", "standardize", "reorder")


def build_from_config(cfg: dict, *, seed: int = 0, device: torch.device | str = "cpu") -> FastRP:
    """A :class:`FastRP` from a runner config (keys as the constructor's arguments)."""
    kwargs = {k: cfg[k] for k in _ESTIMATOR_KEYS if k in cfg}
    return FastRP(**kwargs, seed=seed, device=device)


def fit_fastrp(data, cfg: dict, *, seed: int, device, progress: bool = False):
    """The runner's FastRP procedure: embed ``data`` (timed), then evaluate the embeddings.

    Node classification as :func:`graphkit.train.embedding_eval.evaluate_embedding`
    (one-vs-rest logistic regression with ``C``, ``train_ratios``, ``num_splits``
    splits, ``penalize_intercept`` from ``cfg``), split seed = ``seed``. Metrics are
    ``test_micro_f1@<ratio>``, ``test_macro_f1@<ratio>`` (and ``test_accuracy@<ratio>``
    for single-label data sets), means over the splits. ``time``: ``train_s`` =
    ``epoch_s`` = the embedding time, ``inference_s`` = the evaluation time.
    """
    import time as _time

    from graphkit.train.embedding_eval import evaluate_embedding
    from graphkit.train.result import RunResult

    device = torch.device(device)
    model = build_from_config(cfg, seed=seed, device=device)

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    sync()
    start = _time.perf_counter()
    emb = model.fit_transform(data)
    sync()
    embed_s = _time.perf_counter() - start
    start = _time.perf_counter()
    scores = evaluate_embedding(emb, data.y, train_ratios=tuple(cfg.get("train_ratios", (0.1, 0.5, 0.9))),
                                num_splits=cfg.get("num_splits", 10), C=cfg.get("C", 1.0), seed=seed,
                                penalize_intercept=cfg.get("penalize_intercept", False))
    sync()
    eval_s = _time.perf_counter() - start
    return RunResult({f"test_{k}": v for k, v in scores.items()},
                     {"train_s": embed_s, "epoch_s": embed_s, "inference_s": eval_s}, best_epoch=0, epochs_run=1)


def _register() -> None:
    from graphkit.models.registry import GraphInfo, model_names, register_model

    if "fastrp" in model_names():
        return

    def build(info: GraphInfo, cfg: dict) -> FastRP:
        return build_from_config(cfg)

    register_model("fastrp", task="embedding", fit=fit_fastrp,
                   description="FastRP, Chen et al. CIKM 2019: very sparse random projection embeddings, "
                               "evaluated by one-vs-rest logistic regression")(build)


_register()
