"""The k-fold node split of ForwardGNN's protocol (Park et al., ICLR 2024; facebookresearch/forwardgnn).

The official ``datasplit.py`` writes five split files per data set (``NamyongPark/forwardgnn-datasplits``);
those files are **not shipped** with graphkit. The folds are regenerated here, node for node, from the
rule that wrote them:

1. test: fold ``fold`` of scikit-learn's ``KFold(n_splits=num_folds, shuffle=True, random_state=seed)``
   over ``arange(N)`` (official: 5 folds, ``random_state=101``);
2. validation: ``train_test_split(rest, test_size=val_fraction, random_state=127 * fold, shuffle=True)``
   of the remaining nodes (official: 20 %), the rest is training: 64 / 16 / 20.

Run ``i`` of the official scripts uses split ``i``. The computation is pure numpy (scikit-learn is not a
graphkit dependency): ``RandomState(seed).shuffle`` then consecutive folds of sizes ``N // k`` (+1 for the
first ``N % k``), and ``RandomState(127 * fold).permutation`` of the rest whose first
``ceil(val_fraction * len(rest))`` entries validate — what ``KFold`` and ``ShuffleSplit`` do. A test checks
it equals scikit-learn's output for every fold.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor
from torch_geometric.data import Data

from graphkit._validation import check_int, check_real

__all__ = ["OFFICIAL_SEED", "kfold_split", "with_kfold_split"]

#: ``random_state`` of the official ``KFold``.
OFFICIAL_SEED = 101
#: the official validation shuffle of fold ``i`` uses ``random_state = VAL_SEED_STEP * i``.
VAL_SEED_STEP = 127


def kfold_split(num_nodes: int, fold: int, *, num_folds: int = 5, val_fraction: float = 0.2,
                seed: int = OFFICIAL_SEED) -> tuple[Tensor, Tensor, Tensor]:
    """``(train_mask, val_mask, test_mask)`` of split ``fold`` in ForwardGNN's k-fold protocol (module doc).

    Args:
        num_nodes: :math:`N`, every node is labelled (the official code asserts it).
        fold: which split, ``0 <= fold < num_folds``.
        num_folds: folds of the test ``KFold``. (default: ``5``)
        val_fraction: share of the non-test nodes that validate, in ``(0, 1)``. (default: ``0.2``)
        seed: ``random_state`` of the test ``KFold``. (default: ``101``)

    Returns:
        three disjoint ``[N]`` bool masks covering every node.

    Example:
        >>> train, val, test = kfold_split(10, 0)
        >>> int(train.sum()), int(val.sum()), int(test.sum())
        (6, 2, 2)
    """
    num_nodes = check_int("num_nodes", num_nodes, minimum=1)
    num_folds = check_int("num_folds", num_folds, minimum=2)
    fold = check_int("fold", fold, minimum=0)
    seed = check_int("seed", seed, minimum=0)
    val_fraction = check_real("val_fraction", val_fraction, low=0.0, high=1.0, low_open=True, high_open=True)
    if fold >= num_folds:
        raise ValueError(f"fold must be in 0..{num_folds - 1} (num_folds={num_folds}), got {fold}")
    if num_nodes < num_folds:
        raise ValueError(f"{num_nodes} nodes cannot be split into {num_folds} folds")
    order = np.arange(num_nodes)
    np.random.RandomState(seed).shuffle(order)
    sizes = np.full(num_folds, num_nodes // num_folds, dtype=np.int64)
    sizes[: num_nodes % num_folds] += 1
    start = int(sizes[:fold].sum())
    test = np.zeros(num_nodes, dtype=bool)
    test[order[start:start + sizes[fold]]] = True
    rest = np.flatnonzero(~test)  # ascending, as KFold's train indices
    num_val = math.ceil(val_fraction * rest.size)
    if not 0 < num_val < rest.size:
        raise ValueError(f"val_fraction={val_fraction} of {rest.size} non-test nodes leaves no validation or "
                         "no training node")
    perm = np.random.RandomState(VAL_SEED_STEP * fold).permutation(rest.size)
    val = np.zeros(num_nodes, dtype=bool)
    val[rest[perm[:num_val]]] = True
    train = ~(test | val)
    return torch.from_numpy(train), torch.from_numpy(val), torch.from_numpy(test)


def with_kfold_split(data: Data, fold: int, *, num_folds: int = 5, val_fraction: float = 0.2,
                     seed: int = OFFICIAL_SEED) -> Data:
    """A shallow copy of ``data`` whose ``train_mask`` / ``val_mask`` / ``test_mask`` are :func:`kfold_split`'s.

    Example:
        >>> from graphkit import datasets
        >>> data = with_kfold_split(datasets.load("csbm", num_nodes=100, seed=0), fold=1)
        >>> int(data.train_mask.sum()), int(data.val_mask.sum()), int(data.test_mask.sum())
        (64, 16, 20)
    """
    masks = kfold_split(data.num_nodes, fold, num_folds=num_folds, val_fraction=val_fraction, seed=seed)
    out = Data(**{k: v for k, v in data.items()})
    out.train_mask, out.val_mask, out.test_mask = masks
    return out
