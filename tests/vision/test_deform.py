"""DCNv1 / DCNv2 on torchvision.ops.deform_conv2d: zero offsets are the plain convolution, offsets move it."""

import pytest
import torch
import torch.nn.functional as F

pytest.importorskip("torchvision")

from graphkit.vision import DeformConv2d, ModulatedDeformConv2d  # noqa: E402


def test_zero_offsets_are_the_plain_convolution():
    x = torch.randn(2, 6, 7, 9)
    conv = DeformConv2d(6, 4, stride=2)
    torch.nn.init.normal_(conv.bias)
    assert torch.allclose(conv(x), F.conv2d(x, conv.weight, conv.bias, stride=2, padding=1), atol=1e-5)
    dcn2 = ModulatedDeformConv2d(6, 4, offset_groups=2, bias=False)
    assert torch.allclose(dcn2(x), 0.5 * F.conv2d(x, dcn2.weight, padding=1), atol=1e-5)  # mask sigmoid(0)


def test_offsets_and_mask_are_learned():
    x = torch.randn(1, 4, 6, 6, requires_grad=True)
    conv = ModulatedDeformConv2d(4, 4)
    base = conv(x)
    torch.nn.init.normal_(conv.conv_offset.weight, std=0.5)
    moved = conv(x)
    assert not torch.allclose(base, moved)
    moved.sum().backward()
    assert float(conv.conv_offset.weight.grad.abs().sum()) > 0 and float(x.grad.abs().sum()) > 0


def test_parameter_shapes_of_the_official_modules():
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(ModulatedDeformConv2d(256, 256, 3, offset_groups=2, bias=False)) == 589_824 + 256 * 54 * 9 + 54
    assert count(DeformConv2d(256, 256, 3)) == 590_080 + 256 * 18 * 9 + 18
    assert "offset_groups=2" in repr(ModulatedDeformConv2d(8, 8, offset_groups=2))
    with pytest.raises(ValueError, match="divisible by offset_groups"):
        DeformConv2d(6, 6, offset_groups=4)
