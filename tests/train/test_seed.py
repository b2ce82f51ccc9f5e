import random

import numpy as np
import pytest
import torch

from graphkit.train.seed import seed_everything


def _draw():
    return random.random(), float(np.random.rand())  # noqa: NPY002, float(torch.rand(1))


def test_same_seed_same_draws_different_seed_differs():
    seed_everything(7)
    a = _draw()
    gen_a = seed_everything(7)
    assert _draw() == a
    seed_everything(8)
    assert _draw() != a
    gen_b = seed_everything(7)
    assert torch.equal(torch.rand(3, generator=gen_a), torch.rand(3, generator=gen_b))


@pytest.mark.parametrize("bad", [-1, 2**32, 1.5, "3", True])
def test_bad_seed(bad):
    with pytest.raises(ValueError, match="seed must be an int"):
        seed_everything(bad)


def test_deterministic_mode_switches_torch():
    try:
        seed_everything(0, deterministic=True)
        assert torch.are_deterministic_algorithms_enabled()
    finally:
        torch.use_deterministic_algorithms(False)
