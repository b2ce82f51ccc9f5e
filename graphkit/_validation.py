"""Input checks shared by every public entry point.

Each check raises ``TypeError`` or ``ValueError`` with a message that says what
is wrong and how to fix it. None of them copies, clips or reorders data.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import torch
from torch import Tensor


def check_edge_index(
    edge_index: Tensor, num_nodes: int | None = None, *, name: str = "edge_index"
) -> int:
    """Validate a COO ``[2, E]`` int64 edge index and return the number of nodes.

    ``num_nodes`` defaults to ``edge_index.max() + 1`` (0 for an empty graph).
    """
    if not isinstance(edge_index, Tensor):
        raise TypeError(
            f"{name} must be a torch.Tensor of shape [2, E], got {type(edge_index).__name__}"
        )
    if edge_index.dtype != torch.long:
        raise TypeError(
            f"{name} must have dtype torch.int64 (long), got {edge_index.dtype}; "
            f"convert it with {name}.long()"
        )
    if edge_index.dim() != 2 or edge_index.size(0) != 2:
        hint = " (transpose it with .t())" if edge_index.dim() == 2 and edge_index.size(1) == 2 else ""
        raise ValueError(f"{name} must have shape [2, E], got {list(edge_index.shape)}{hint}")
    num_edges = edge_index.size(1)
    if num_nodes is not None:
        num_nodes = check_num_nodes(num_nodes)
    if num_edges == 0:
        return 0 if num_nodes is None else num_nodes
    lo, hi = int(edge_index.min()), int(edge_index.max())
    if lo < 0:
        raise ValueError(f"{name} contains negative node ids (min {lo}); ids must be in [0, num_nodes)")
    if num_nodes is None:
        return hi + 1
    if hi >= num_nodes:
        raise ValueError(
            f"{name} contains node id {hi} but num_nodes is {num_nodes}; ids must be in "
            f"[0, num_nodes) — pass the right num_nodes or remap the ids"
        )
    return num_nodes


def check_num_nodes(num_nodes: int) -> int:
    if isinstance(num_nodes, bool) or not isinstance(num_nodes, int) or num_nodes < 0:
        raise ValueError(f"num_nodes must be a non-negative int, got {num_nodes!r}")
    return num_nodes


def check_features(
    x: Tensor, num_nodes: int | None = None, *, name: str = "x", allow_nonfinite: bool = False
) -> Tensor:
    """Validate a dense ``[N, F]`` floating-point feature matrix."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape [N, F], got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be floating point, got {x.dtype}; convert it with {name}.float()")
    if x.dim() != 2:
        raise ValueError(f"{name} must have shape [N, F], got {list(x.shape)}")
    if num_nodes is not None and x.size(0) != num_nodes:
        raise ValueError(f"{name} has {x.size(0)} rows but the graph has {num_nodes} nodes")
    if not allow_nonfinite and not bool(torch.isfinite(x).all()):
        bad = int((~torch.isfinite(x)).any(dim=1).sum())
        raise ValueError(f"{name} contains NaN or inf in {bad} row(s); impute or drop them first")
    return x


def check_edge_weight(edge_weight: Tensor | None, num_edges: int, *, name: str = "edge_weight") -> None:
    if edge_weight is None:
        return
    if not isinstance(edge_weight, Tensor) or edge_weight.dim() != 1:
        raise ValueError(f"{name} must be a 1-D tensor of length E={num_edges}")
    if edge_weight.numel() != num_edges:
        raise ValueError(f"{name} has {edge_weight.numel()} entries but there are {num_edges} edges")
    if not bool(torch.isfinite(edge_weight).all()):
        raise ValueError(f"{name} contains NaN or inf")


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
