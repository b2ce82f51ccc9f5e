"""graphkit.nn.model: constructor arguments are recorded and reinitialize redraws exactly as construction."""

import pytest
import torch
from torch import nn

from graphkit.nn.model import Model, constructor_args, reinitialize


class Inner(Model):
    def __init__(self, width: int, *, bias: bool = True, seed: int = 0):
        super().__init__()
        self.lin = nn.Linear(width, width, bias=bias)
        self.register_buffer("scale", torch.rand(width))
        self.gen = torch.Generator().manual_seed(seed)
        self.reset_parameters()  # draws again, as PyG layers do: reset != construction

    def reset_parameters(self):
        self.lin.reset_parameters()


class Outer(Inner):
    def __init__(self, width: int, depth: int = 2):
        super().__init__(width, bias=False, seed=7)
        self.extra = nn.ModuleList(nn.Linear(width, width) for _ in range(depth))


def test_records_the_outermost_call_only():
    model = Outer(4, depth=3)
    assert constructor_args(model) == ((4,), {"depth": 3})
    assert constructor_args(Inner(2, bias=False)) == ((2,), {"bias": False})
    with pytest.raises(TypeError, match="does not record its constructor arguments"):
        constructor_args(nn.Linear(2, 2))


def test_reinitialize_draws_like_construction():
    torch.manual_seed(3)
    built = Outer(5)
    after_build = torch.rand(3)
    model = Outer(5)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(1.0)
    model.scale.zero_()
    model.gen.manual_seed(99)
    torch.manual_seed(3)
    assert reinitialize(model) is model
    after_reinit = torch.rand(3)
    for (k, a), (_, b) in zip(built.state_dict().items(), model.state_dict().items(), strict=True):
        assert torch.equal(a, b), k
    assert torch.equal(after_build, after_reinit)  # the same stream is left for training
    assert torch.equal(model.gen.get_state(), built.gen.get_state())
    # reset_parameters alone would not match construction (it draws less)
    torch.manual_seed(3)
    other = Outer(5)
    torch.manual_seed(3)
    other.reset_parameters()
    assert not torch.equal(other.lin.weight, built.lin.weight)


def test_reinitialize_keeps_dtype_and_identity():
    model = Inner(3).double()
    weight = model.lin.weight
    reinitialize(model)
    assert model.lin.weight is weight and weight.dtype == torch.float64
