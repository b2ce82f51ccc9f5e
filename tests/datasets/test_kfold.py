"""graphkit.datasets.kfold: ForwardGNN's 5-fold 64/16/20 split, regenerated without scikit-learn."""

import numpy as np
import pytest
import torch

from graphkit import datasets
from graphkit.datasets.kfold import kfold_split, with_kfold_split


def sklearn_split(n: int, fold: int, num_folds: int = 5, val_fraction: float = 0.2, seed: int = 101):
    """The official datasplit.py rule, with scikit-learn itself."""
    model_selection = pytest.importorskip("sklearn.model_selection")
    folds = model_selection.KFold(n_splits=num_folds, random_state=seed, shuffle=True).split(np.arange(n))
    train, test = list(folds)[fold]
    train, val = model_selection.train_test_split(train, test_size=val_fraction, random_state=fold * 127,
                                                  shuffle=True)
    return set(train.tolist()), set(val.tolist()), set(test.tolist())


def as_sets(masks):
    return tuple(set(m.nonzero().view(-1).tolist()) for m in masks)


@pytest.mark.parametrize("n", [10, 37, 2995, 7650])
def test_equals_scikit_learn_for_every_fold(n):
    for fold in range(5):
        assert as_sets(kfold_split(n, fold)) == sklearn_split(n, fold), (n, fold)


def test_other_settings_equal_scikit_learn_too():
    assert as_sets(kfold_split(101, 2, num_folds=3, val_fraction=0.3, seed=7)) == sklearn_split(101, 2, 3, 0.3, 7)


def test_partition_sizes_and_folds_cover_every_node_once():
    tests = []
    for fold in range(5):
        train, val, test = kfold_split(2995, fold)
        assert not bool((train & val).any() or (train & test).any() or (val & test).any())
        assert bool((train | val | test).all())
        assert (int(train.sum()), int(val.sum()), int(test.sum())) == (1916, 480, 599)
        tests.append(test)
    assert torch.equal(torch.stack(tests).sum(0), torch.ones(2995, dtype=torch.long))


def test_hand_computed_small_case():
    # RandomState(101).shuffle(arange(10)) and RandomState(0).permutation(8), as KFold / ShuffleSplit draw them
    order = np.arange(10)
    np.random.RandomState(101).shuffle(order)
    train, val, test = kfold_split(10, 0)
    assert set(test.nonzero().view(-1).tolist()) == set(order[:2].tolist())
    rest = np.setdiff1d(np.arange(10), order[:2])
    assert set(val.nonzero().view(-1).tolist()) == set(rest[np.random.RandomState(0).permutation(8)[:2]].tolist())


@pytest.mark.parametrize("kwargs, error, match", [
    ({"fold": 5}, ValueError, r"fold must be in 0\.\.4"),
    ({"fold": -1}, ValueError, "fold must be >= 0"),
    ({"fold": 1.0}, TypeError, "fold must be an int"),
    ({"num_nodes": 3}, ValueError, "3 nodes cannot be split into 5 folds"),
    ({"val_fraction": 1.0}, ValueError, "val_fraction must be < 1"),
    ({"num_folds": 1}, ValueError, "num_folds must be >= 2"),
])
def test_bad_arguments(kwargs, error, match):
    args = {"num_nodes": 20, "fold": 0} | kwargs
    with pytest.raises(error, match=match):
        kfold_split(args.pop("num_nodes"), args.pop("fold"), **args)


def test_with_kfold_split_is_a_shallow_copy():
    data = datasets.load("csbm", num_nodes=100, seed=0)
    before = data.train_mask.clone()
    out = with_kfold_split(data, 3)
    assert torch.equal(data.train_mask, before) and out.x is data.x
    assert [int(out[m].sum()) for m in ("train_mask", "val_mask", "test_mask")] == [64, 16, 20]
