"""SpatialPyramidPooling and global_pool: fixed length for any H x W, against a hand-pooled reference."""

import pytest
import torch
import torch.nn.functional as F

from graphkit.vision import SpatialPyramidPooling, global_pool


@pytest.mark.parametrize("size", [(13, 13), (32, 32), (64, 48), (224, 224)])
@pytest.mark.parametrize("mode", ["max", "avg"])
def test_length_is_50c_for_any_size(size, mode):
    spp = SpatialPyramidPooling(bins=(1, 2, 3, 6), mode=mode)
    x = torch.randn(3, 8, *size)
    out = spp(x)
    assert out.shape == (3, 50 * 8) and spp.output_size(8) == 400
    assert torch.equal(out[1], spp(x[1:2])[0])  # batched = one image at a time


def test_values_against_blocks_when_the_grid_divides_the_map():
    x = torch.randn(2, 3, 6, 6)
    out = SpatialPyramidPooling(bins=(1, 2, 3, 6))(x)
    expected = []
    for n in (1, 2, 3, 6):
        s = 6 // n
        blocks = x.reshape(2, 3, n, s, n, s).amax(dim=(3, 5))  # [B, C, n, n]
        expected.append(blocks.flatten(1))
    assert torch.equal(out, torch.cat(expected, dim=1))
    avg = SpatialPyramidPooling(bins=(2,), mode="avg")(x)
    assert torch.allclose(avg, x.reshape(2, 3, 2, 3, 2, 3).mean(dim=(3, 5)).flatten(1))


def test_maps_smaller_than_the_grid_and_global_pooling():
    x = torch.randn(1, 4, 2, 3)
    assert SpatialPyramidPooling()(x).shape == (1, 200)
    assert torch.equal(global_pool(x, "max"), SpatialPyramidPooling(bins=(1,))(x))
    assert torch.allclose(global_pool(x), SpatialPyramidPooling(bins=(1,), mode="avg")(x))
    assert torch.allclose(global_pool(x), F.adaptive_avg_pool2d(x, 1).flatten(1))


def test_repr_and_gradients():
    spp = SpatialPyramidPooling(bins=(1, 2), mode="avg")
    assert repr(spp) == "SpatialPyramidPooling(bins=(1, 2), mode='avg')"
    x = torch.randn(1, 2, 5, 5, requires_grad=True)
    spp(x).sum().backward()
    assert x.grad is not None and float(x.grad.abs().sum()) > 0


@pytest.mark.parametrize("kwargs, match", [
    (dict(bins=()), "non-empty sequence"),
    (dict(bins=6), "non-empty sequence"),
    (dict(bins=(1, 0)), "bins must be >= 1"),
    (dict(mode="min"), "'max' or 'avg'"),
])
def test_bad_construction(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SpatialPyramidPooling(**kwargs)


def test_bad_input():
    spp = SpatialPyramidPooling()
    with pytest.raises(ValueError, match=r"4-D tensor \[B, C, H, W\].*unsqueeze\(0\)"):
        spp(torch.randn(3, 8, 8))
    with pytest.raises(ValueError, match="empty batch"):
        spp(torch.randn(0, 3, 8, 8))
    with pytest.raises(TypeError, match="floating point"):
        spp(torch.zeros(1, 3, 8, 8, dtype=torch.uint8))
    with pytest.raises(ValueError, match="'max' or 'avg'"):
        global_pool(torch.randn(1, 1, 2, 2), "sum")
