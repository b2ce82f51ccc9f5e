r"""FastRP: fast, optimisation-free node embeddings by very sparse random projection.

Chen, Sultan, Tian, Chen & Skiena, *Fast and Accurate Network Embeddings via Very
Sparse Random Projection*, CIKM 2019 (https://arxiv.org/abs/1908.11512); reference
code: https://github.com/GTmac/FastRP (``fastrp.py`` and the BlogCatalog notebook).
The node-feature, self-influence and edge-weight options follow Neo4j GDS's
``gds.fastRP`` (``propertyRatio``, ``nodeSelfInfluence``,
``relationshipWeightProperty``).

Build, fit, embed (the estimator is scikit-learn style; :func:`fit_fastrp` is the
method's procedure: embed with the seed of the call, then the node-classification
protocol on the embedding)::

    >>> from graphkit import FastRP, FastRPConfig, fit_fastrp, datasets
    >>> data = datasets.load("csbm", num_nodes=300, seed=0)
    >>> config = FastRPConfig.for_dataset("csbm")
    >>> model = FastRP.from_config(config, data)
    >>> result = fit_fastrp(model, data, config, seed=0)
    >>> emb = model.embedding_                        # or result.embedding, or model.fit_transform(data)
    >>> tuple(emb.shape), sorted(result.metrics)[:2]
    ((300, 32), ['test_accuracy@0.1', 'test_accuracy@0.5'])

The non-learned kernels live in :mod:`graphkit.ops`: :func:`graphkit.ops.fastrp.fastrp_embedding`
(the whole computation below), :func:`graphkit.ops.power_sum.normalized_power_sum` (the
streamed weighted sum of normalised powers), :mod:`graphkit.ops.node_order`,
:class:`graphkit.ops.column_stats.ColumnStats` and
:func:`graphkit.ops.random_projection.sparse_random_projection`. This module checks the
parameters, reads the graph and offers the scikit-learn interface.

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
* Inputs and outputs follow scikit-learn: a numpy array (an integer ``[2, E]`` edge
  index or a square adjacency), a scipy sparse matrix or a networkx graph gives a
  numpy ``embedding_``; a PyG ``Data``, a torch tensor or a graphkit ``CSR`` gives a
  torch tensor. networkx edge weights (the ``weight`` attribute) are the edge weights;
  a ``Data`` made by PyG's ``from_networkx`` keeps them as ``data.weight``, which is
  read when ``data.edge_weight`` is absent.

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

The hot loop is :math:`S X` with a dense ``[n, d]`` ``X``, into preallocated buffers
that are reused across powers. On the CPU it runs in a small C++ kernel compiled on
first use with the system compiler and cached (:mod:`graphkit.ops.csr_kernel`: row
gathers with software prefetch, ``std::thread``), 2.8-2.9x faster per product than
torch's MKL CSR path at 1M nodes, with the last power's merge fused in; without a
compiler, with ``GRAPHKIT_CSR_KERNEL=0`` or on CUDA it is
``torch.addmm(..., out=buffer)`` on a ``torch.sparse_csr`` matrix with int32 indices
(torch's MKL path; int64 indices would be converted on every call). Measured effects
(numbers in ``benchmarks/fastrp_scale.py``'s output and ``benchmarks/results/fastrp.md``):

* ``R`` is so sparse (:math:`d/\sqrt n` non-zeros per row) that
  :math:`N_1 = S V_0` is computed as a sparse x sparse product and only densified
  afterwards; dense products are used when :math:`1/s > 1/32`
  (``graphkit.ops.fastrp._SPARSE_FIRST_POWER_DENSITY``) or node features are mixed in.
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

import inspect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

from graphkit import distributed
from graphkit._validation import (
    check_bool,
    check_device,
    check_features,
    check_int,
    check_num_nodes,
    check_real,
)
from graphkit.datasets.convert import from_networkx, is_networkx
from graphkit.models.procedure import procedure
from graphkit.ops.csr import CSR, as_csr, check_square
from graphkit.ops.fastrp import fastrp_embedding
from graphkit.ops.node_order import NODE_ORDERS
from graphkit.ops.random_projection import resolve_sparsity
from graphkit.threads import EDGE_WORK, choose_threads, thread_limit
from graphkit.train.config import Config, Preset, config_error
from graphkit.train.embedding_eval import evaluate_embedding
from graphkit.train.result import FitResult
from graphkit.train.timing import Timer

__all__ = ["FastRP", "FastRPConfig", "fit_fastrp"]

_DTYPES = (torch.float32, torch.float64)


# --------------------------------------------------------------------------------------------------
# parameter checks
# --------------------------------------------------------------------------------------------------


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
    return tuple(check_real(f"iteration_weights[{k}]", w) for k, w in enumerate(value))


# --------------------------------------------------------------------------------------------------
# input graphs
# --------------------------------------------------------------------------------------------------


def _returns_numpy(graph) -> bool:
    """scikit-learn's convention: numpy / scipy / networkx input gives a numpy embedding."""
    return isinstance(graph, np.ndarray) or sp.issparse(graph) or is_networkx(graph)


def _read_graph(graph, num_nodes, edge_weight, use_edge_weight: bool) -> tuple[CSR, Tensor | None]:
    """``(adjacency CSR with float64 weights or None, x_from_graph)`` on the input's device."""
    x_graph = None
    if is_networkx(graph):
        graph = from_networkx(graph)
    if isinstance(graph, np.ndarray):
        if graph.ndim == 2 and graph.shape[0] == 2 and np.issubdtype(graph.dtype, np.integer) and \
                graph.shape[1] != 2:
            graph = torch.from_numpy(graph.astype(np.int64, copy=False))  # an edge index [2, E]
        elif graph.ndim == 2 and graph.shape[0] == graph.shape[1]:
            graph = sp.csr_matrix(graph)  # a dense adjacency matrix
        else:
            raise ValueError(f"a numpy graph must be an integer edge index [2, E] or a square adjacency [N, N], "
                             f"got shape {graph.shape} and dtype {graph.dtype}")
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
        return CSR(rowptr, col, weight, n, n), x_graph

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
            weight = getattr(graph, "weight", None)  # PyG's from_networkx keeps the networkx weights here
            if edge_weight is None and isinstance(weight, Tensor) and weight.dim() == 1 and \
                    weight.numel() == graph.edge_index.size(1):
                edge_weight = weight
        x_graph = getattr(graph, "x", None)
        graph, num_nodes = graph.edge_index, n
    elif not isinstance(graph, (Tensor, CSR)):
        raise TypeError(
            "graph must be a torch_geometric.data.Data, a networkx graph, a [2, E] edge_index tensor or numpy "
            "array (with num_nodes=), a torch sparse tensor, a graphkit CSR, a scipy sparse matrix or a square "
            f"numpy adjacency; got {type(graph).__name__}"
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
    return CSR(csr.rowptr, csr.col, weight, n, n), x_graph


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
# the estimator
# --------------------------------------------------------------------------------------------------


class FastRP:
    r"""FastRP node embeddings (Chen et al., CIKM 2019, https://arxiv.org/abs/1908.11512), scikit-learn style.

    See the module docstring (:mod:`graphkit.models.fastrp`) for the exact math, the
    graph conventions and how it matches the reference code. In short:
    :math:`E = \operatorname{scale}(\alpha_0 \nu(V_0) + \sum_{k=1}^q \alpha_k \nu(S^k V_0))`
    with :math:`S = D^{-1} A` and :math:`V_0 = L R / \sqrt d` a very sparse random
    projection scaled by :math:`L = \operatorname{diag}(d_j^{\beta})`. The computation is
    :func:`graphkit.ops.fastrp.fastrp_embedding`; this class checks the parameters, reads
    the graph and keeps the result. Under a process group of several ranks (``torchrun``,
    :mod:`graphkit.distributed`) every rank computes its block of rows
    (:func:`graphkit.ops.distributed_fastrp.distributed_fastrp_embedding`, equal to one
    process to float32 tolerance; ``reorder`` is not used) and gets the whole embedding.
    It is an estimator, not an ``nn.Module``: nothing is
    learned, and :meth:`fit` (or :func:`fit_fastrp`, which also evaluates the embedding)
    computes ``embedding_``.

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
        seed: seed of the ``torch.Generator`` that draws :math:`R` (and :math:`W`)
            (default 0). :func:`fit_fastrp` sets it to the seed of the call.

    Attributes:
        embedding_ (Tensor or ndarray): ``[n, dim]`` embeddings in ``dtype``: a torch tensor on
            ``device`` for torch / PyG input, a numpy array for numpy, scipy and networkx input.
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
        >>> from graphkit import datasets
        >>> data = datasets.load("csbm", num_nodes=200, seed=0)
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

    @classmethod
    def from_config(cls, config: FastRPConfig, data=None) -> FastRP:
        """The estimator ``config`` describes (its FastRP fields; the seed comes from the fit).

        ``data`` is only checked: ``feature_ratio > 0`` needs node features ``data.x``.
        FastRP sizes itself when it is fitted, so ``data`` may be ``None``.
        """
        config = FastRPConfig.coerce(config)
        if config.feature_ratio > 0 and data is not None and getattr(data, "x", None) is None:
            raise ValueError(f"FastRP with feature_ratio={config.feature_ratio} needs node features; this data set "
                             f"has none: set feature_ratio=0")
        return cls(config.dim, iteration_weights=config.iteration_weights,
                   normalization_strength=config.normalization_strength, s=config.s,
                   normalize_rows=config.normalize_rows, self_influence=config.self_influence,
                   use_edge_weight=config.use_edge_weight, feature_ratio=config.feature_ratio,
                   standardize=config.standardize, reorder=config.reorder)

    # ---------------------------------------------------------------- scikit-learn protocol

    @classmethod
    def _param_defaults(cls) -> dict:
        params = inspect.signature(cls.__init__).parameters
        return {name: p.default for name, p in params.items() if name != "self"}

    def get_params(self, deep: bool = True) -> dict:
        """The constructor arguments, as scikit-learn's ``get_params``."""
        return {key: getattr(self, key) for key in self._param_defaults()}

    def set_params(self, **params) -> FastRP:
        """Set constructor arguments by name; unknown names raise ``ValueError``."""
        valid = self._param_defaults()
        for key, value in params.items():
            if key not in valid:
                raise ValueError(f"invalid parameter {key!r} for FastRP; valid: {', '.join(valid)}")
            setattr(self, key, value)
        return self

    def __repr__(self) -> str:
        shown = [repr(self.dim)]
        for key, default in self._param_defaults().items():
            if key == "dim":
                continue
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
        dim = check_int("dim", self.dim, minimum=1)
        if isinstance(self.s, str):
            if self.s != "sqrt":
                raise ValueError(f"s must be 'sqrt' or a number >= 1, got {self.s!r}")
        else:
            resolve_sparsity(self.s, 1)
        if self.reorder is not None and self.reorder not in NODE_ORDERS:
            raise ValueError(f"reorder must be one of {', '.join(map(repr, NODE_ORDERS))}, got {self.reorder!r}")
        if self.dtype not in _DTYPES:
            raise TypeError(f"dtype must be torch.float32 or torch.float64, got {self.dtype!r}")
        seed = check_int("seed", self.seed, minimum=0, maximum=2**63 - 1)
        device = check_device(self.device)
        return {
            "dim": dim,
            "weights": _weights(self.iteration_weights),
            "beta": check_real("normalization_strength", self.normalization_strength),
            "self_influence": check_real("self_influence", self.self_influence),
            "feature_ratio": check_real("feature_ratio", self.feature_ratio, low=0.0, high=1.0),
            "normalize": check_bool("normalize_rows", self.normalize_rows),
            "use_edge_weight": check_bool("use_edge_weight", self.use_edge_weight),
            "standardize": check_bool("standardize", self.standardize),
            "device": device,
            "seed": seed,
        }

    # ---------------------------------------------------------------- fitting

    def fit(self, graph, *, x: Tensor | None = None, edge_weight: Tensor | None = None,
            num_nodes: int | None = None) -> FastRP:
        """Embed the nodes of ``graph``; sets ``embedding_`` and returns ``self``.

        Args:
            graph: a PyG ``Data`` (``edge_index``, ``num_nodes``, optional
                ``edge_weight`` and ``x``), an ``edge_index [2, E]`` tensor or integer
                numpy array (pass ``num_nodes``; default ``max id + 1``), a torch sparse
                tensor / ``EdgeIndex`` / graphkit ``CSR``, a scipy sparse matrix or a square
                numpy array (its values are the edge weights), or a networkx graph (its
                ``weight`` edge attribute is the edge weight; nodes in ``graph.nodes`` order).
            x: node features ``[n, F]`` for ``feature_ratio > 0`` (default ``data.x``).
            edge_weight: ``[E]`` non-negative weights (default ``data.edge_weight``).
            num_nodes: number of nodes for ``edge_index`` input.

        Returns:
            ``self``, with ``embedding_ [n, dim]``: a numpy array for numpy, scipy and
            networkx input (scikit-learn's convention), else a torch tensor on ``device``.

        Raises:
            TypeError: unsupported graph type, wrong parameter or feature types.
            ValueError: bad parameters, a non-square matrix, ids out of range,
                negative or non-finite weights, NaN/inf features, an empty graph.
        """
        p = self._check_params()
        if edge_weight is not None and not p["use_edge_weight"]:
            raise ValueError("edge_weight was given but use_edge_weight=False; drop one of them")
        adj, x_graph = _read_graph(graph, num_nodes, edge_weight, p["use_edge_weight"])
        n = adj.num_rows
        if n == 0:
            raise ValueError("the graph has no nodes; FastRP needs at least one node")
        _check_weight_values(adj.value)
        dim = p["dim"]
        d_feat = round(dim * p["feature_ratio"]) if p["feature_ratio"] > 0 else 0
        if x is not None and p["feature_ratio"] == 0:
            raise ValueError("x was given but feature_ratio=0, so it would be ignored; set feature_ratio > 0")
        if p["feature_ratio"] > 0:
            x = x_graph if x is None else x
            if x is None:
                raise ValueError("feature_ratio > 0 needs node features: pass x= or use a Data with data.x")
            check_features(x, n, name="x", allow_sparse=True)  # torch.sparse_csr: projected as a sparse product
        else:
            x = None
        # graphkit's thread policy, as in the procedures: on a busy core two threads wait on each other
        # (1M nodes beside another job: 6.3-8.8 s on two threads, 4.1-4.6 s on one; benchmarks/results/fastrp.md)
        work = EDGE_WORK * adj.col.numel() + n * dim
        with thread_limit(choose_threads(work)), torch.no_grad():
            if distributed.is_distributed():
                emb = _distributed_embedding(adj, x if d_feat > 0 else None, dim, d_feat, p, self.s, self.dtype)
            else:
                emb = fastrp_embedding(
                    adj, dim, p["weights"], normalization_strength=p["beta"], s=self.s,
                    normalize_rows=p["normalize"], self_influence=p["self_influence"], x=x if d_feat > 0 else None,
                    feature_dim=d_feat, standardize=p["standardize"], reorder=self.reorder, seed=p["seed"],
                    dtype=self.dtype, device=p["device"])
        self.embedding_ = emb.cpu().numpy() if _returns_numpy(graph) else emb
        self.n_nodes_ = n
        self.n_features_in_ = 0 if x is None else int(x.size(1))
        return self

    def fit_transform(self, graph, **kwargs) -> Tensor | np.ndarray:
        """``fit(graph, **kwargs).embedding_`` (a numpy array for numpy / scipy / networkx input)."""
        return self.fit(graph, **kwargs).embedding_


def _distributed_embedding(adj: CSR, x: Tensor | None, dim: int, d_feat: int, p: dict, s, dtype) -> Tensor:
    """This rank's block of rows through :func:`distributed_fastrp_embedding`, gathered on every rank."""
    from graphkit.ops.distributed_fastrp import distributed_fastrp_embedding, row_block

    device = adj.col.device if p["device"] is None else p["device"]
    start, stop = distributed.shard_range(adj.num_rows)
    return distributed_fastrp_embedding(
        row_block(adj.to(device)), dim, p["weights"], normalization_strength=p["beta"], s=s,
        normalize_rows=p["normalize"], self_influence=p["self_influence"],
        x=None if x is None else x[start:stop].to(device), feature_dim=d_feat, standardize=p["standardize"],
        seed=p["seed"], dtype=dtype, gather=True)


# --------------------------------------------------------------------------------------------------
# config and procedure: embed, then the node-classification protocol on the embedding
# --------------------------------------------------------------------------------------------------

_REFERENCE = ("FastRP, Chen et al. CIKM 2019 (arXiv 1908.11512) and its reference notebook (github.com/GTmac/FastRP, "
              "fast-random-projection-blogcatalog.ipynb): BlogCatalog with dim 512, q = 4, weights "
              "[1, 1, 7.81, 45.28], beta (the code's alpha) -0.628, sparse projection s = sqrt(n), transition matrix, "
              "L2 row normalisation, scikit-learn scale at the end; one-vs-rest logistic regression with C = 0.1 at "
              "10/50/90 % training (the notebook: 5 shuffles; here 10 seeded splits). The 2019 scoring used "
              "scikit-learn's then-default liblinear solver, which penalises the intercept: penalize_intercept = "
              "true reproduces it.")


@dataclass(frozen=True)
class FastRPConfig(Config):
    r"""FastRP's parameters and the evaluation protocol of :func:`fit_fastrp`.

    The estimator's fields are :class:`FastRP`'s arguments (see there; ``dtype``,
    ``device`` and ``seed`` come from the call, not the config):
    ``dim``, ``iteration_weights``, ``normalization_strength``, ``s``,
    ``normalize_rows``, ``self_influence``, ``use_edge_weight``, ``feature_ratio``,
    ``standardize``, ``reorder``, with the same defaults. Neo4j GDS's names are accepted as
    aliases (``embeddingDimension``, ``iterationWeights``, ``normalizationStrength``,
    ``nodeSelfInfluence``, ``propertyRatio``).

    The protocol (:func:`graphkit.train.embedding_eval.evaluate_embedding`):

    Args:
        C: inverse L2 strength of the one-vs-rest logistic regression. (default: ``1.0``;
            the reference notebook: ``0.1``)
        penalize_intercept: penalise the intercepts as ``liblinear`` did, scikit-learn's
            default solver of the 2019 scoring. (default: ``False``)
        train_ratios: training shares, each in (0, 1). (default: ``(0.1, 0.5, 0.9)``)
        num_splits: seeded random splits per ratio. (default: ``10``)
        runs: see :class:`~graphkit.train.config.Config`. (default: ``1``)

    The defaults are the untuned library defaults (the paper's form (0, 0, 1, 1), β = 0,
    C = 1); ``FastRPConfig.paper("blogcatalog")`` is the reference notebook's setting.

    Example:
        >>> FastRPConfig.paper("blogcatalog").dim
        512
    """

    dim: int = 128
    iteration_weights: tuple[float, ...] = (0.0, 0.0, 1.0, 1.0)
    normalization_strength: float = 0.0
    s: Literal["sqrt"] | float = "sqrt"
    normalize_rows: bool = True
    self_influence: float = 0.0
    use_edge_weight: bool = True
    feature_ratio: float = 0.0
    standardize: bool = True
    reorder: Literal["none", "degree", "rcm"] | None = None
    C: float = 1.0
    penalize_intercept: bool = False
    train_ratios: tuple[float, ...] = (0.1, 0.5, 0.9)
    num_splits: int = 10
    runs: int = 1

    source: ClassVar[str] = (_REFERENCE + " Defaults: untuned library defaults (the paper's form (0, 0, 1, 1), "
                             "beta 0, C 1).")
    presets: ClassVar[dict[str, Preset]] = {
        "blogcatalog": Preset(source=_REFERENCE, dim=512, iteration_weights=(1.0, 1.0, 7.81, 45.28),
                              normalization_strength=-0.628, C=0.1, penalize_intercept=True),
        "cora": Preset(source="the reference BlogCatalog settings (" + _REFERENCE + "), not tuned on Cora (the "
                              "paper reports no Cora numbers)",
                       dim=512, iteration_weights=(1.0, 1.0, 7.81, 45.28), normalization_strength=-0.628, C=0.1,
                       penalize_intercept=True),
        "csbm": Preset(source="a small synthetic default, not from the paper", dim=32, num_splits=3),
    }
    aliases: ClassVar[dict] = {"embeddingDimension": "dim", "iterationWeights": "iteration_weights",
                               "normalizationStrength": "normalization_strength",
                               "nodeSelfInfluence": "self_influence", "propertyRatio": "feature_ratio"}

    def check(self) -> None:
        cls = self.__class__
        if self.dim < 1:
            raise config_error(cls, f"dim must be >= 1, got {self.dim}")
        if not self.iteration_weights:
            raise config_error(cls, "iteration_weights is empty; give one weight per power, e.g. [0, 0, 1, 1]")
        for key in ("normalization_strength", "self_influence", "C"):
            if not math.isfinite(getattr(self, key)):
                raise config_error(cls, f"{key} must be finite, got {getattr(self, key)}")
        if not all(math.isfinite(w) for w in self.iteration_weights):
            raise config_error(cls, f"iteration_weights must be finite, got {list(self.iteration_weights)}")
        if not isinstance(self.s, str) and not self.s >= 1:
            raise config_error(cls, f"s must be 'sqrt' or a number >= 1, got {self.s}")
        if not 0 <= self.feature_ratio <= 1:
            raise config_error(cls, f"feature_ratio must be in [0, 1], got {self.feature_ratio}")
        if not self.C > 0:
            raise config_error(cls, f"C must be > 0, got {self.C}")
        if not self.train_ratios or not all(0 < r < 1 for r in self.train_ratios):
            raise config_error(cls, f"train_ratios must be numbers in (0, 1), got {list(self.train_ratios)}")
        if self.num_splits < 1:
            raise config_error(cls, f"num_splits must be >= 1, got {self.num_splits}")


def _same_device(value, device: torch.device) -> bool:
    try:
        return torch.device(value) == device
    except (RuntimeError, TypeError):
        return False


@procedure(FastRP, FastRPConfig)
def fit_fastrp(model: FastRP, data, config: FastRPConfig, *, seed: int, device: torch.device,
               progress: bool | None, warm_start: bool) -> FitResult:
    r"""Embed ``data`` with the estimator passed in (timed), then evaluate the embedding.

    The estimator is fitted in place with ``seed`` and ``device`` of the call (they
    replace its own ``seed`` / ``device``, so the same call gives the same result
    whatever the estimator held before): ``model.embedding_`` is the embedding
    afterwards. Then node classification as
    :func:`graphkit.train.embedding_eval.evaluate_embedding`: one-vs-rest logistic
    regression with ``config.C`` and ``config.penalize_intercept`` on
    ``config.num_splits`` seeded random splits per ratio of ``config.train_ratios``
    (split seed = ``seed``), means over the splits. The estimator's own parameters are
    the model's (build it with :meth:`FastRP.from_config` to use the config's).

    Args:
        model: a :class:`FastRP`, fitted in place.
        data: a PyG ``Data`` with ``edge_index`` and labels ``y`` (``[n, L]`` 0/1
            multi-label or ``[n]`` classes); ``edge_weight`` and ``x`` as :meth:`FastRP.fit`.
        config: a :class:`FastRPConfig` (or a dict of its keys); only its protocol keys
            are read here.
        seed: the projection seed and the split seed. (default: ``0``)
        device: where to embed. (default: ``None``, the CPU: an estimator has no
            parameters to say where it lives)
        progress: ignored (one embedding and one evaluation, nothing to show).
        warm_start: ignored: FastRP optimises nothing, so there is no state to resume.

    Returns:
        :class:`~graphkit.train.result.FitResult` with ``metrics``
        ``test_micro_f1@<ratio>``, ``test_macro_f1@<ratio>`` (and ``test_accuracy@<ratio>``
        for single-label ``y``); ``time``: ``train_s`` = ``epoch_s`` = ``embed_s`` the
        embedding time, ``inference_s`` the evaluation time; ``best_epoch`` 0,
        ``epochs_run`` 1; ``outputs``: ``embedding`` (``result.embedding``, the
        ``[n, dim]`` tensor, the same object as ``model.embedding_``).

    Example:
        >>> from graphkit import FastRP, FastRPConfig, datasets
        >>> data = datasets.load("csbm", num_nodes=300, seed=0)
        >>> config = FastRPConfig.for_dataset("csbm").replace(train_ratios=[0.5])
        >>> result = fit_fastrp(FastRP.from_config(config, data), data, config, seed=0)
        >>> sorted(result.metrics), tuple(result.embedding.shape)
        (['test_accuracy@0.5', 'test_macro_f1@0.5', 'test_micro_f1@0.5'], (300, 32))
    """
    y = getattr(data, "y", None)
    if not isinstance(y, Tensor):
        raise ValueError("fit_fastrp evaluates the embedding on the labels data.y, and this data has none; "
                         "embed without evaluation with model.fit(data)")
    # the call's seed and device govern the fit (an equivalent device keeps the estimator's spelling)
    model.set_params(seed=seed, device=model.device if _same_device(model.device, device) else device)
    timer = Timer(device)
    with timer.epoch():
        embedding = model.fit_transform(data)
    with timer.inference():
        scores = evaluate_embedding(embedding, y, train_ratios=config.train_ratios, num_splits=config.num_splits,
                                    C=config.C, seed=seed, penalize_intercept=config.penalize_intercept)
    time = timer.summary()
    time["embed_s"] = time["train_s"]
    return FitResult({f"test_{key}": value for key, value in scores.items()}, time, best_epoch=0, epochs_run=1,
                     outputs={"embedding": embedding})
