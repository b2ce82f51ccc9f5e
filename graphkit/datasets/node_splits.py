"""Helpers shared by the node-level loaders: seeded per-class splits and compact feature caches.

:func:`csr_parts` / :func:`dense_from_parts` store a feature matrix in a
processed cache as its CSR arrays (bag-of-words features are >98 % zeros;
Coauthor Physics would be 1.2 GB dense) and rebuild the dense ``float32``
tensor on load.

:func:`per_class_split` draws the two standard random protocols:

* **Planetoid random split** (Kipf & Welling; PyG ``Planetoid(split='random')``):
  ``train_per_class`` nodes of every class, then ``num_val`` and ``num_test``
  nodes drawn uniformly from all remaining nodes.
* **Per-class split of Shchur et al.** ("Pitfalls of GNN evaluation", used by
  GLNN / VQGraph on Amazon and Coauthor): ``train_per_class`` and
  ``val_per_class`` nodes of every class, every remaining node in test.

Every draw comes from a local ``torch.Generator`` (``seed`` or ``generator``);
global RNG state is neither read nor changed. Nodes with a negative label
(unlabelled) are never put in a mask.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

__all__ = ["csr_parts", "dense_from_parts", "per_class_split"]


def csr_parts(matrix, prefix: str = "x") -> dict[str, Tensor]:
    """CSR arrays of a 2-D scipy/numpy ``matrix`` as ``float32`` tensors for :func:`~graphkit.datasets._io.cached`.

    Keys ``<prefix>_crow``, ``<prefix>_col``, ``<prefix>_val``, ``<prefix>_shape``.
    Duplicate stored entries are summed (as ``todense()`` does).
    """
    csr = sp.csr_matrix(matrix, dtype=np.float32)
    csr.sum_duplicates()
    return {
        f"{prefix}_crow": torch.from_numpy(csr.indptr.astype(np.int64)),
        f"{prefix}_col": torch.from_numpy(csr.indices.astype(np.int64)),
        f"{prefix}_val": torch.from_numpy(csr.data),
        f"{prefix}_shape": torch.tensor(csr.shape, dtype=torch.long),
    }


def sparse_from_parts(parts: dict[str, Tensor], prefix: str = "x") -> Tensor:
    """The ``torch.sparse_csr`` ``float32`` ``[rows, cols]`` tensor stored by :func:`csr_parts` (no dense copy)."""
    from graphkit.ops.csr import sparse_csr_tensor

    shape = tuple(int(s) for s in parts[f"{prefix}_shape"])
    return sparse_csr_tensor(parts[f"{prefix}_crow"], parts[f"{prefix}_col"], parts[f"{prefix}_val"], shape)


def dense_from_parts(parts: dict[str, Tensor], prefix: str = "x") -> Tensor:
    """The dense ``float32`` ``[rows, cols]`` tensor stored by :func:`csr_parts`."""
    shape = tuple(int(s) for s in parts[f"{prefix}_shape"])
    csr = sp.csr_matrix((parts[f"{prefix}_val"].numpy(), parts[f"{prefix}_col"].numpy(),
                         parts[f"{prefix}_crow"].numpy()), shape=shape)
    return torch.from_numpy(csr.toarray())


def _check_count(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a non-negative int, got {value!r}")
    return value


def _mask(nodes: Tensor, num_nodes: int) -> Tensor:
    mask = torch.zeros(num_nodes, dtype=torch.bool)
    mask[nodes] = True
    return mask


def per_class_split(
    y: Tensor,
    train_per_class: int,
    *,
    val_per_class: int | None = None,
    num_val: int | None = None,
    num_test: int | None = None,
    seed: int | None = None,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """Seeded random ``(train_mask, val_mask, test_mask)`` with a fixed number of training nodes per class.

    Training: ``train_per_class`` nodes drawn uniformly without replacement from
    each class ``0 .. y.max()``. Validation: either ``val_per_class`` more nodes
    of each class, or ``num_val`` nodes drawn uniformly from all nodes not in
    training (give exactly one of the two). Test: ``num_test`` nodes drawn
    uniformly from what is left, or, with ``num_test=None``, every node left.
    The three masks are disjoint.

    Args:
        y: ``[N]`` integer labels; negative labels mark unlabelled nodes.
        train_per_class: training nodes per class.
        val_per_class: validation nodes per class (Shchur et al. / GLNN: 30).
        num_val: validation nodes in total (Planetoid: 500).
        num_test: test nodes in total (Planetoid: 1000); ``None`` = the rest.
        seed: seeds a local generator (default 0 when ``generator`` is ``None``).
        generator: a ``torch.Generator`` to draw from instead of ``seed``.

    Raises:
        ValueError: a class (including a label id that never occurs) has fewer
            nodes than requested, or fewer nodes remain than ``num_val + num_test``.
    """
    if not isinstance(y, Tensor) or y.dim() != 1 or y.is_floating_point() or y.dtype == torch.bool:
        raise ValueError("y must be a 1-D integer tensor of labels")
    train_per_class = _check_count("train_per_class", train_per_class)
    if (val_per_class is None) == (num_val is None):
        raise ValueError("give exactly one of val_per_class= (per-class validation) or num_val= (total)")
    if val_per_class is not None:
        val_per_class = _check_count("val_per_class", val_per_class)
    if num_val is not None:
        num_val = _check_count("num_val", num_val)
    if num_test is not None:
        num_test = _check_count("num_test", num_test)
    if generator is not None and seed is not None:
        raise ValueError("give seed= or generator=, not both")
    if generator is None:
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError(f"seed must be an int, got {seed!r}")
        generator = torch.Generator().manual_seed(0 if seed is None else seed)

    y = y.cpu().long()
    num_nodes = y.numel()
    labelled = (y >= 0).nonzero().view(-1)
    if labelled.numel() == 0:
        raise ValueError("y has no labelled node (all labels are negative)")
    labels = y[labelled]
    num_classes = int(labels.max()) + 1
    counts = torch.bincount(labels, minlength=num_classes)
    per_class = train_per_class + (val_per_class or 0)
    short = (counts < per_class).nonzero().view(-1)
    if short.numel():
        c = int(short[0])
        raise ValueError(
            f"class {c} has {int(counts[c])} labelled node(s), fewer than the {per_class} the split "
            f"needs per class (train_per_class={train_per_class}"
            + (f", val_per_class={val_per_class})" if val_per_class is not None else ")")
        )

    # labelled nodes in a random order, then grouped by class (stable: the order is kept)
    perm = labelled[torch.randperm(labelled.numel(), generator=generator)]
    perm = perm[torch.sort(y[perm], stable=True).indices]
    cls = y[perm]
    starts = torch.cumsum(counts, 0) - counts
    rank = torch.arange(perm.numel()) - starts[cls]  # position of each node within its class

    train = perm[rank < train_per_class]
    if val_per_class is not None:
        val = perm[(rank >= train_per_class) & (rank < per_class)]
        rest = perm[rank >= per_class]
    else:
        remaining = perm[rank >= train_per_class]
        remaining = remaining[torch.randperm(remaining.numel(), generator=generator)]
        if num_val > remaining.numel():
            raise ValueError(f"num_val={num_val} but only {remaining.numel()} labelled nodes are not in training")
        val, rest = remaining[:num_val], remaining[num_val:]
    if num_test is None:
        test = rest
    else:
        if num_test > rest.numel():
            raise ValueError(f"num_test={num_test} but only {rest.numel()} labelled nodes are left after "
                             f"training and validation")
        if val_per_class is not None:  # ``rest`` is still grouped by class: shuffle before cutting
            rest = rest[torch.randperm(rest.numel(), generator=generator)]
        test = rest[:num_test]
    return _mask(train, num_nodes), _mask(val, num_nodes), _mask(test, num_nodes)
