"""Tests for graphkit.datasets.node_splits: seeded per-class splits and CSR feature packing."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from graphkit.datasets.node_splits import csr_parts, dense_from_parts, per_class_split


def _labels(seed: int = 0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 4, (400,), generator=gen)
    y[:8] = torch.arange(4).repeat(2)  # every class present
    y[-10:] = -1  # unlabelled
    return y


def test_planetoid_protocol_sizes_disjoint_and_per_class():
    y = _labels()
    train, val, test = per_class_split(y, 20, num_val=100, num_test=150, seed=3)
    assert train.dtype == torch.bool and train.shape == y.shape
    assert int(train.sum()) == 80 and int(val.sum()) == 100 and int(test.sum()) == 150
    assert torch.bincount(y[train], minlength=4).tolist() == [20, 20, 20, 20]
    assert not bool((train & val).any() | (train & test).any() | (val & test).any())
    assert not bool((train | val | test)[y < 0].any()), "unlabelled nodes must stay out of every mask"


def test_per_class_protocol_rest_is_test():
    y = _labels(1)
    train, val, test = per_class_split(y, 5, val_per_class=7, seed=0)
    assert torch.bincount(y[train], minlength=4).tolist() == [5] * 4
    assert torch.bincount(y[val], minlength=4).tolist() == [7] * 4
    labelled = y >= 0
    assert torch.equal(train | val | test, labelled)
    assert int(test.sum()) == int(labelled.sum()) - 48
    _, _, test_small = per_class_split(y, 5, val_per_class=7, num_test=30, seed=0)
    assert int(test_small.sum()) == 30 and not bool((test_small & ~test).any())


def test_seeded_reproducible_and_seed_dependent():
    y = _labels()
    a = per_class_split(y, 10, num_val=50, num_test=50, seed=7)
    b = per_class_split(y, 10, num_val=50, num_test=50, generator=torch.Generator().manual_seed(7))
    c = per_class_split(y, 10, num_val=50, num_test=50, seed=8)
    assert all(torch.equal(u, v) for u, v in zip(a, b, strict=True))
    assert not torch.equal(a[0], c[0])
    state = torch.get_rng_state()
    per_class_split(y, 10, num_val=50, seed=1)
    assert torch.equal(state, torch.get_rng_state()), "global RNG must not be touched"


def test_uniform_within_class():
    # every node of a class should be picked for training about equally often
    y = torch.tensor([0] * 10 + [1] * 10)
    hits = torch.zeros(20)
    for seed in range(400):
        hits += per_class_split(y, 2, val_per_class=0, seed=seed)[0].float()
    assert torch.allclose(hits / 400, torch.full((20,), 0.2), atol=0.07)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(train_per_class=30, num_val=1), "class 0 has 2[0-9] labelled node"),
        (dict(train_per_class=1), "exactly one of val_per_class"),
        (dict(train_per_class=1, num_val=1, val_per_class=1), "exactly one of val_per_class"),
        (dict(train_per_class=1, num_val=10_000), "num_val=10000 but only"),
        (dict(train_per_class=1, num_val=1, num_test=10_000), "num_test=10000 but only"),
        (dict(train_per_class=-1, num_val=1), "train_per_class must be a non-negative int"),
        (dict(train_per_class=1, num_val=1, seed=1.5), "seed must be an int"),
    ],
)
def test_bad_arguments(kwargs, match):
    y = torch.tensor([0] * 25 + [1] * 60)
    with pytest.raises(ValueError, match=match):
        per_class_split(y, **kwargs)


def test_missing_class_id_is_an_error():
    with pytest.raises(ValueError, match="class 1 has 0 labelled"):
        per_class_split(torch.tensor([0, 0, 2, 2]), 1, num_val=0)
    with pytest.raises(ValueError, match="1-D integer"):
        per_class_split(torch.zeros(4), 1, num_val=0)


def test_csr_parts_round_trip():
    rng = np.random.default_rng(0)
    dense = (rng.random((30, 17)) < 0.2) * rng.integers(1, 5, (30, 17))
    for matrix in (dense, sp.csr_matrix(dense), sp.csc_matrix(dense)):
        parts = csr_parts(matrix, prefix="f")
        assert set(parts) == {"f_crow", "f_col", "f_val", "f_shape"}
        out = dense_from_parts(parts, prefix="f")
        assert out.dtype == torch.float32 and torch.equal(out, torch.from_numpy(dense.astype(np.float32)))
