r"""Deformable convolutions on ``torchvision.ops.deform_conv2d``: DCNv1 with a learned offset, DCNv2 with a mask.

Dai et al., "Deformable Convolutional Networks", ICCV 2017
(https://arxiv.org/abs/1703.06211) and Zhu et al., "Deformable ConvNets v2",
CVPR 2019 (https://arxiv.org/abs/1811.11168):

.. math::
    y(p) = \sum_{k} w_k \, m_k(p) \, x\big(p + p_k + \Delta p_k(p)\big) + b,

with the offsets :math:`\Delta p_k` (and for v2 the modulation
:math:`m_k = \sigma(\cdot) \in (0, 1)`) predicted by a plain convolution of the
same kernel, stride and padding from the input, initialised to zero (so a fresh
layer is the plain convolution, times 0.5 for v2). Offsets are laid out as
mmcv's and torchvision's: ``(Δy, Δx)`` pairs per offset group and kernel position.

These replace the compiled ``DeformConv`` / ``ModulatedDeformConv2dPack`` of
mmdet 1.x / mmcv that the SEPC and RCNet code uses; the parameter shapes are the
same (weight ``[C_out, C_in, k, k]``, offset conv ``C_in -> g·2k²`` (v1) or
``g·3k²`` (v2)), so the parameter counts of the official modules are kept.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from graphkit._validation import check_int
from graphkit.vision._torchvision import deform_conv2d
from graphkit.vision.spp import check_images

__all__ = ["DeformConv2d", "ModulatedDeformConv2d"]


class _DeformBase(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, *, stride: int = 1,
                 padding: int | None = None, dilation: int = 1, offset_groups: int = 1, bias: bool = True,
                 offset_factor: int = 2):
        super().__init__()
        self.in_channels = check_int("in_channels", in_channels, minimum=1)
        self.out_channels = check_int("out_channels", out_channels, minimum=1)
        self.kernel_size = check_int("kernel_size", kernel_size, minimum=1)
        self.stride = check_int("stride", stride, minimum=1)
        self.dilation = check_int("dilation", dilation, minimum=1)
        self.padding = dilation * (kernel_size - 1) // 2 if padding is None else check_int("padding", padding,
                                                                                            minimum=0)
        self.offset_groups = check_int("offset_groups", offset_groups, minimum=1)
        if in_channels % offset_groups:
            raise ValueError(f"in_channels={in_channels} must be divisible by offset_groups={offset_groups}")
        k2 = kernel_size * kernel_size
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.empty(out_channels)) if bias else None
        self.conv_offset = nn.Conv2d(in_channels, offset_groups * offset_factor * k2, kernel_size,
                                     stride=stride, padding=self.padding, dilation=dilation, bias=True)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """mmcv's initialisation: weight ~ U(±1/√(C_in k²)), bias 0, offset (and mask) convolution 0."""
        bound = 1.0 / math.sqrt(self.in_channels * self.kernel_size ** 2)
        nn.init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            nn.init.zeros_(self.bias)
        nn.init.zeros_(self.conv_offset.weight)
        nn.init.zeros_(self.conv_offset.bias)

    def _deform(self, x: Tensor, offset: Tensor, mask: Tensor | None) -> Tensor:
        return deform_conv2d(x, offset, self.weight, self.bias, stride=self.stride, padding=self.padding,
                             dilation=self.dilation, mask=mask)

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, offset_groups={self.offset_groups}, bias={self.bias is not None}")


class DeformConv2d(_DeformBase):
    """DCNv1: ``deform_conv2d(x, conv_offset(x), weight, bias)``.

    Args:
        in_channels, out_channels, kernel_size: the convolution. (default kernel: ``3``)
        stride, dilation: as ``nn.Conv2d``. (defaults: ``1``, ``1``)
        padding: (default: ``dilation · (k - 1) / 2``, "same" for stride 1)
        offset_groups: offset groups (mmcv's ``deformable_groups``). (default: ``1``)
        bias: a learned bias. (default: ``True``)

    Shapes:
        ``[B, C_in, H, W] -> [B, C_out, H', W']`` as the plain convolution.

    Example:
        >>> conv = DeformConv2d(8, 4)
        >>> conv(torch.randn(2, 8, 5, 5)).shape
        torch.Size([2, 4, 5, 5])
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, *, stride: int = 1,
                 padding: int | None = None, dilation: int = 1, offset_groups: int = 1, bias: bool = True):
        super().__init__(in_channels, out_channels, kernel_size, stride=stride, padding=padding, dilation=dilation,
                         offset_groups=offset_groups, bias=bias, offset_factor=2)

    def forward(self, x: Tensor) -> Tensor:
        check_images(x, channels=self.in_channels)
        return self._deform(x, self.conv_offset(x), None)


class ModulatedDeformConv2d(_DeformBase):
    """DCNv2 (mmcv's ``ModulatedDeformConv2dPack``): offsets and a sigmoid mask from one convolution.

    ``o = conv_offset(x)`` has ``3·g·k²`` channels: the first ``2·g·k²`` are the offsets, the
    last ``g·k²`` the mask logits (mmcv's ``chunk(3)`` then ``cat(o1, o2)``).
    Args as :class:`DeformConv2d` (``offset_groups``: mmcv's ``deform_groups``).

    Example:
        >>> conv = ModulatedDeformConv2d(8, 4, offset_groups=2, bias=False)
        >>> conv(torch.randn(2, 8, 5, 5)).shape, conv.conv_offset.out_channels
        (torch.Size([2, 4, 5, 5]), 54)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, *, stride: int = 1,
                 padding: int | None = None, dilation: int = 1, offset_groups: int = 1, bias: bool = True):
        super().__init__(in_channels, out_channels, kernel_size, stride=stride, padding=padding, dilation=dilation,
                         offset_groups=offset_groups, bias=bias, offset_factor=3)

    def forward(self, x: Tensor) -> Tensor:
        check_images(x, channels=self.in_channels)
        out = self.conv_offset(x)
        split = 2 * self.offset_groups * self.kernel_size ** 2
        return self._deform(x, out[:, :split], torch.sigmoid(out[:, split:]))
