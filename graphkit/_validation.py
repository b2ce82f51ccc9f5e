"""Input checks shared by every public entry point.

Each check raises ``TypeError`` (wrong type or dtype) or ``ValueError`` (wrong
shape, size, range or value) with a message that names the argument, says what
is wrong and how to fix it. None of them copies, clips or reorders data.

The checks that read every element (finite features, edge ids in range) are
remembered per tensor object and version (:func:`_seen`): a model's ``forward``
validates its input on every call, and a training loop that feeds the same
tensor each epoch pays for the scan once. Changing the tensor in place bumps
its version and the scan runs again.

The checks every public entry point runs:

- :func:`check_edge_index`: ``[2, E]`` int64, ids in ``[0, num_nodes)``;
- :func:`check_features`: a 2-D floating tensor, rows = nodes, width and dtype
  against the model, finite;
- :func:`check_labels`: integer class ids, one per node, in ``[0, C)``;
- :func:`check_device`: a device that exists on this machine;
- :func:`check_data`: every tensor a PyG ``Data`` carries agrees on the
  number of nodes (what the procedures run before anything trains);
- :func:`check_int`, :func:`check_real`, :func:`check_bool`, :func:`check_dropout`: scalars.
"""

from __future__ import annotations

import math
import numbers
import weakref

import numpy as np
import torch
from torch import Tensor

# id(tensor) -> (weak reference, version, what was checked): scans already done on that exact tensor state
_CHECKED: dict[int, tuple[weakref.ref, int, tuple]] = {}


def _seen(tensor: Tensor, key: tuple) -> bool:
    """Whether ``key``'s scan already passed on this very tensor object at its current version."""
    entry = _CHECKED.get(id(tensor))
    return entry is not None and entry[0]() is tensor and entry[1] == tensor._version and entry[2] == key


def _remember(tensor: Tensor, key: tuple) -> None:
    ident = id(tensor)

    def forget(ref, ident=ident):
        entry = _CHECKED.get(ident)
        if entry is not None and entry[0] is ref:
            del _CHECKED[ident]

    try:
        _CHECKED[ident] = (weakref.ref(tensor, forget), tensor._version, key)
    except (TypeError, RuntimeError):  # a tensor subclass without weak references or versions: scan each time
        pass


def _kind(value) -> str:
    if isinstance(value, np.ndarray):
        return "a numpy array (convert it with torch.from_numpy(...))"
    return type(value).__name__


def check_edge_index(
    edge_index: Tensor, num_nodes: int | None = None, *, name: str = "edge_index", nodes_from: str | None = None
) -> int:
    """Validate a COO ``[2, E]`` int64 edge index and return the number of nodes.

    ``num_nodes`` defaults to ``edge_index.max() + 1`` (0 for an empty graph).
    ``nodes_from`` names where ``num_nodes`` comes from (e.g. ``"x"``: its rows),
    so that an id out of range blames the right argument.
    """
    if not isinstance(edge_index, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape [2, E], got {_kind(edge_index)}")
    if edge_index.dtype != torch.long:
        raise TypeError(
            f"{name} must have dtype torch.int64 (long), got {edge_index.dtype}; "
            f"convert it with {name}.long()"
        )
    if edge_index.layout != torch.strided:
        raise TypeError(f"{name} must be a dense [2, E] tensor, got layout {edge_index.layout}")
    if edge_index.dim() != 2 or edge_index.size(0) != 2:
        hint = " (transpose it with .t())" if edge_index.dim() == 2 and edge_index.size(1) == 2 else ""
        raise ValueError(f"{name} must have shape [2, E], got {list(edge_index.shape)}{hint}")
    num_edges = edge_index.size(1)
    if num_nodes is not None:
        num_nodes = check_num_nodes(num_nodes)
    if num_edges == 0:
        return 0 if num_nodes is None else num_nodes
    key = ("edge_index", num_nodes)
    if num_nodes is not None and _seen(edge_index, key):
        return num_nodes
    lo, hi = torch.aminmax(edge_index)
    lo, hi = int(lo), int(hi)
    if lo < 0:
        raise ValueError(f"{name} contains negative node ids (min {lo}); ids must be in [0, num_nodes)")
    if num_nodes is None:
        return hi + 1
    if hi >= num_nodes:
        if nodes_from is not None:
            raise ValueError(
                f"{name} contains node id {hi} but {nodes_from} has {num_nodes} rows (one per node); "
                f"{nodes_from} must have a row for every node of the graph, ids in [0, {num_nodes})"
            )
        raise ValueError(
            f"{name} contains node id {hi} but num_nodes is {num_nodes}; ids must be in "
            f"[0, num_nodes) — pass the right num_nodes or remap the ids"
        )
    _remember(edge_index, key)
    return num_nodes


def check_num_nodes(num_nodes: int, *, name: str = "num_nodes") -> int:
    if isinstance(num_nodes, bool) or not isinstance(num_nodes, numbers.Integral) or num_nodes < 0:
        raise ValueError(f"{name} must be a non-negative int, got {num_nodes!r}")
    return int(num_nodes)


def param_dtype(module) -> torch.dtype | None:
    """The dtype of ``module``'s first floating-point parameter (``None`` without any)."""
    for tensor in getattr(module, "parameters", lambda: ())():
        if tensor.is_floating_point():
            return tensor.dtype
    return None


def check_features(
    x: Tensor, num_nodes: int | None = None, *, name: str = "x", allow_nonfinite: bool = False,
    num_features: int | None = None, dtype: torch.dtype | None = None, owner: str | None = None,
    allow_sparse: bool = False,
) -> Tensor:
    """Validate a ``[N, F]`` floating-point feature matrix; return it unchanged.

    Args:
        num_nodes: the rows ``x`` must have (the graph's nodes).
        num_features: the width the model was built for (``owner`` names the model).
        dtype: the model's parameter dtype; another floating dtype is refused
            with the conversion that fixes it.
        allow_sparse: accept a ``torch.sparse_csr`` / COO tensor (its stored values are checked).
    """
    who = owner or "the model"
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape [N, F], got {_kind(x)}")
    if x.layout != torch.strided and not allow_sparse:
        raise TypeError(f"{name} must be a dense tensor, got layout {x.layout}; convert it with {name}.to_dense()")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be floating point, got {x.dtype}; convert it with {name}.float()")
    if x.dim() != 2:
        raise ValueError(f"{name} must have shape [N, F], got {list(x.shape)}")
    if num_nodes is not None and x.size(0) != num_nodes:
        raise ValueError(f"{name} has {x.size(0)} rows but the graph has {num_nodes} nodes; "
                         f"{name} needs one row per node")
    if num_features is not None and x.size(1) != num_features:
        raise ValueError(f"{name} has {x.size(1)} features but {who} was built for {num_features}; pass "
                         f"{num_features}-wide features, or build {who} for {x.size(1)} input features "
                         f"(a model's from_config(config, data) sizes it from the data)")
    if dtype is not None and x.dtype != dtype:
        fix = {torch.float32: ".float()", torch.float64: ".double()", torch.float16: ".half()",
               torch.bfloat16: ".bfloat16()"}.get(dtype, f".to({dtype})")
        raise TypeError(f"{name} is {x.dtype} but {who}'s parameters are {dtype}; pass {name}{fix} "
                        f"(or convert the model with model.to({x.dtype}))")
    if not allow_nonfinite:
        key = ("finite",)
        if not _seen(x, key):
            values = x.values() if x.layout in (torch.sparse_csr, torch.sparse_coo) else x
            if x.layout == torch.sparse_coo and not x.is_coalesced():
                values = x.coalesce().values()
            finite = torch.isfinite(values)
            if not bool(finite.all()):
                bad = int((~finite).sum()) if values.dim() != 2 else int((~finite).any(dim=1).sum())
                unit = "row(s)" if values.dim() == 2 else "stored value(s)"
                raise ValueError(f"{name} contains NaN or inf in {bad} {unit}; impute or drop them first "
                                 f"(e.g. torch.nan_to_num({name}))")
            _remember(x, key)
    return x


def check_edge_weight(edge_weight: Tensor | None, num_edges: int, *, name: str = "edge_weight") -> None:
    if edge_weight is None:
        return
    if not isinstance(edge_weight, Tensor) or edge_weight.dim() != 1:
        raise ValueError(f"{name} must be a 1-D tensor of length E={num_edges}")
    if edge_weight.numel() != num_edges:
        raise ValueError(f"{name} has {edge_weight.numel()} entries but there are {num_edges} edges")
    if edge_weight.is_complex() or edge_weight.dtype == torch.bool:
        raise TypeError(f"{name} must hold real numbers, got {edge_weight.dtype}")
    if edge_weight.is_floating_point() and not bool(torch.isfinite(edge_weight).all()):
        raise ValueError(f"{name} contains NaN or inf")


def check_labels(
    y: Tensor, num_nodes: int | None = None, *, name: str = "y", num_classes: int | None = None,
    owner: str | None = None, mask: Tensor | None = None, mask_name: str | None = None,
    unlabelled: bool = False,
) -> Tensor:
    """Validate ``[N]`` integer class ids; return ``y`` unchanged.

    Args:
        num_nodes: the entries ``y`` must have.
        num_classes: the classes the model predicts: every checked label must be
            ``< num_classes`` (``owner`` names the model).
        mask: check only these nodes (e.g. the training mask ``mask_name``).
        unlabelled: ``-1`` marks an unlabelled node (where the public function documents
            it); such nodes are skipped. A label below ``-1`` is always an error, and so is
            ``-1`` without ``unlabelled``.

    Raises ``ValueError`` when no checked node carries a label.
    """
    who = owner or "the model"
    if not isinstance(y, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of class ids [N], got {_kind(y)}")
    if y.is_floating_point() or y.is_complex() or y.dtype == torch.bool:
        raise TypeError(f"{name} must hold integer class ids, got {y.dtype}; convert it with {name}.long()")
    if y.dim() != 1:
        raise ValueError(f"{name} must have shape [N] (one class id per node), got {list(y.shape)}")
    if num_nodes is not None and y.numel() != num_nodes:
        raise ValueError(f"{name} has {y.numel()} entries but the graph has {num_nodes} nodes; "
                         f"{name} needs one label per node (-1 for an unlabelled node where allowed)")
    where = f" among the nodes of {mask_name}" if mask_name else ""
    values = y if mask is None else y[mask]
    if values.numel() == 0:
        return y
    lo, hi = (int(v) for v in torch.aminmax(values))
    if lo < -1 and unlabelled:
        count = int((values < -1).sum())
        raise ValueError(f"{name} has {count} label(s) below -1{where} (min {lo}); class ids are 0..C-1 and -1 marks "
                         f"an unlabelled node")
    if lo < 0 and not unlabelled:
        count = int((values < 0).sum())
        raise ValueError(f"{name} has {count} negative label(s){where} (min {lo}); class ids must be in "
                         f"[0, num_classes) — take unlabelled nodes out of the masks")
    if lo < 0 and hi < 0:
        raise ValueError(f"{name} has no labelled node{where}: every label is -1 (unlabelled)")
    if num_classes is not None and hi >= num_classes:
        raise ValueError(f"{name} contains class {hi}{where} but {who} predicts {num_classes} classes "
                         f"(ids 0..{num_classes - 1}); build the model for these labels "
                         f"(from_config(config, data) sizes it from the data) or fix {name}")
    return y


def check_device(device, *, name: str = "device") -> torch.device:
    """``device`` as a ``torch.device`` that exists here; ``None``/``'auto'`` pick CUDA when available."""
    if device is None or (isinstance(device, str) and device == "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if not isinstance(device, (str, torch.device, int)) or isinstance(device, bool):
        raise TypeError(f"{name} must be a string such as 'cpu' or 'cuda', a torch.device or None, "
                        f"got {type(device).__name__}")
    flag = name.startswith("--")  # a command-line flag: '--device cpu', not "device='cpu'"

    def spell(value) -> str:
        return f"{name} {value}" if flag else f"{name}={str(value)!r}"

    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError, ValueError) as exc:
        raise ValueError(f"unknown {name} {device!r}; use 'cpu', 'cuda', 'cuda:N' or 'auto'") from exc
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            build = "a CPU-only build of torch" if torch.version.cuda is None else "no CUDA device is visible"
            raise ValueError(f"{spell(device)} but CUDA is not available here ({build}); use {spell('cpu')} "
                             f"(or 'auto', which picks CUDA when there is one)")
        count = torch.cuda.device_count()
        if dev.index is not None and dev.index >= count:
            raise ValueError(f"{spell(device)} but this machine has {count} CUDA device(s) "
                             f"(cuda:0..cuda:{count - 1})")
    elif dev.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ValueError(f"{spell(device)} but MPS is not available here; use {spell('cpu')}")
    elif dev.type not in ("cpu", "cuda", "mps", "meta"):
        raise ValueError(f"{spell(device)} is not supported; use 'cpu', 'cuda', 'cuda:N' or 'auto'")
    return dev


_MASKS = ("train_mask", "val_mask", "test_mask")


def check_data(data, *, name: str = "data") -> None:
    """Validate what a PyG ``Data`` (graph or hypergraph) carries, before anything trains.

    Every node-level tensor present must agree on the number of nodes: ``x``
    (``[N, F]``, numeric, finite), ``y`` (``N`` rows), the masks (bool ``[N]``),
    ``edge_index`` (int64 ``[2, E]``, ids ``< N``), ``edge_weight`` (``[E]``, finite)
    and ``hyperedge_index`` (``[2, nnz]``, vertex ids ``< N``, hyperedge ids
    ``< num_hyperedges``). What a method needs beyond that (labels in range,
    masks present, widths) is its procedure's check.
    """
    store = getattr(data, "_store", None)
    if store is None:  # not a homogeneous PyG Data: its procedure checks it
        return
    x, y = data.get("x"), data.get("y")
    explicit = data.get("num_nodes") if "num_nodes" in data else None
    if x is not None and not isinstance(x, Tensor):
        raise TypeError(f"{name}.x must be a torch.Tensor [N, F], got {_kind(x)}")
    if isinstance(x, Tensor) and x.dim() != 2:
        raise ValueError(f"{name}.x must have shape [N, F], got {list(x.shape)}")
    if explicit is not None:
        n, source = check_num_nodes(int(explicit), name=f"{name}.num_nodes"), f"{name}.num_nodes"
    elif x is not None:
        n, source = x.size(0), f"{name}.x"
    else:
        n, source = None, None
    if x is not None:
        if x.is_complex() or x.dtype == torch.bool:
            raise TypeError(f"{name}.x must hold real numbers, got {x.dtype}; convert it with {name}.x.float()")
        if n is not None and x.size(0) != n:
            raise ValueError(f"{name}.x has {x.size(0)} rows but {source} says {n} nodes")
        if x.is_floating_point():
            check_features(x, name=f"{name}.x", allow_sparse=True)
    edge_index = data.get("edge_index")
    if edge_index is not None:
        if n is None:
            n, source = check_edge_index(edge_index, name=f"{name}.edge_index"), f"{name}.edge_index"
        check_edge_index(edge_index, n, name=f"{name}.edge_index", nodes_from=source if source != f"{name}.num_nodes"
                         else None)
        check_edge_weight(data.get("edge_weight"), edge_index.size(1), name=f"{name}.edge_weight")
    hyperedge_index = data.get("hyperedge_index")
    if hyperedge_index is not None:
        check_edge_index(hyperedge_index, name=f"{name}.hyperedge_index")
        if n is not None and hyperedge_index.numel() and int(hyperedge_index[0].max()) >= n:
            raise ValueError(f"{name}.hyperedge_index row 0 holds vertex id {int(hyperedge_index[0].max())} but "
                             f"{source} says {n} nodes")
        m = data.get("num_hyperedges")
        if m is not None and hyperedge_index.numel() and int(hyperedge_index[1].max()) >= int(m):
            raise ValueError(f"{name}.hyperedge_index row 1 holds hyperedge id {int(hyperedge_index[1].max())} but "
                             f"{name}.num_hyperedges is {int(m)}")
    if y is not None:
        if not isinstance(y, Tensor):
            raise TypeError(f"{name}.y must be a torch.Tensor, got {_kind(y)}")
        if n is not None and (y.dim() == 0 or y.size(0) != n):
            raise ValueError(f"{name}.y has {y.size(0) if y.dim() else 0} entries but {source} says {n} nodes; "
                             f"{name}.y needs one label per node")
    for mask in _MASKS:
        m = data.get(mask)
        if m is None:
            continue
        if not isinstance(m, Tensor):
            raise TypeError(f"{name}.{mask} must be a bool tensor [N], got {_kind(m)}")
        if m.dtype != torch.bool:
            raise TypeError(f"{name}.{mask} must be a bool tensor, got {m.dtype}; convert it with "
                            f"{name}.{mask}.bool() (an index list: torch.zeros(N, dtype=torch.bool) with "
                            f"those entries set)")
        if m.dim() != 1 or (n is not None and m.numel() != n):
            raise ValueError(f"{name}.{mask} must have shape [{n if n is not None else 'N'}], got {list(m.shape)}")


def check_int(name: str, value, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """``value`` as an int in ``[minimum, maximum]``; ``TypeError`` for a non-int (bools are not ints)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {value!r} ({type(value).__name__})")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return value


def check_real(name: str, value, *, low: float | None = None, high: float | None = None,
               low_open: bool = False, high_open: bool = False) -> float:
    """``value`` as a finite float within the bounds (``*_open``: strict); ``TypeError`` for a non-number."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__})")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if low is not None and (value <= low if low_open else value < low):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low}, got {value}")
    if high is not None and (value >= high if high_open else value > high):
        raise ValueError(f"{name} must be {'<' if high_open else '<='} {high}, got {value}")
    return value


def check_bool(name: str, value) -> bool:
    """``value`` as a bool (NumPy bools accepted); ``TypeError`` otherwise."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_dropout(name: str, value) -> float:
    """A dropout probability in ``[0, 1)``."""
    return check_real(name, value, low=0.0, high=1.0, high_open=True)
