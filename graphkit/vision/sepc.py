r"""SEPC: scale-equalizing pyramid convolution (Wang et al., CVPR 2020), in pure PyTorch on torchvision.

Wang, Zhang, Yu, Feng and Zhang, "Scale-Equalizing Pyramid Convolution for Object
Detection", CVPR 2020, https://arxiv.org/abs/2005.03101; official code
jshilong/SEPC (an mmdet 1.1 / mmcv 0.4.3 plugin with compiled deformable
convolutions; ``sepc/self_mmdet/models/necks/sepc.py``). This module follows that
code; it takes the output of a 5-level FPN (P3–P7, 256 channels each).

**Pyramid convolution** (PConv), a 3-D convolution over (scale, H, W) with three
kernels shared by every level :math:`l`:

.. math::
    y_l = w_1 * x_l \;+\; w_2 *_{s2} x_{l-1} \;+\; \mathrm{up}(w_0 * x_{l+1}),

(the term of a missing neighbour level is dropped; ``up`` is bilinear with
``align_corners=True``, the official ``F.upsample_bilinear``), then ReLU. Four
are stacked. **Integrated BatchNorm** (iBN) normalises all levels with one
:class:`~torch.nn.BatchNorm2d` whose statistics are collected over every level
at once (:func:`integrated_batch_norm`). **Scale equalisation**: on levels
:math:`l \ge 1` the kernels are deformable convolutions (DCNv1, offsets from a
zero-initialised 3 × 3 convolution; ``torchvision.ops.deform_conv2d``), on
:math:`l = 0` plain. After the stack, two more shared 3 × 3 convolutions
(``cconv``, ``lconv``) give the classification and localisation branches of the
detection head (each with iBN and ReLU).

Variants (the four official configs, ``sepc/exp/retina/*.py``):

=============  ===  =================  ================  ===========================
variant        iBN  deformable PConv   deformable heads  parameters (256 ch, 5 lvls)
=============  ===  =================  ================  ===========================
``'pconv'``    no   no                 no                8,261,120
``'ibn_pconv'`` yes no                 no                8,264,192
``'lite'``     yes  no                 yes               8,347,172
``'sepc'``     yes  yes                yes               8,845,052
=============  ===  =================  ================  ===========================

(each shared conv 590,080 = 256·256·9 + 256; 14 of them; a BN 512, six of
them with iBN; a deformable conv's offset conv 41,490 = 256·18·9 + 18, on the 2
head convs for SEPC-lite and on all 14 for SEPC.)

**Where this differs from the official code.** The official ``cconv`` / ``lconv``
are built with mmdet's ``DeformConv`` default padding 0, so the two head
branches come out 2 pixels smaller than the pyramid (a 1-pixel misalignment of
every anchor); here they keep the size (``head_padding=1``; ``head_padding=0``
restores the official shapes; parameter counts are the same).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from graphkit._validation import check_bool, check_int
from graphkit.vision._levels import halved, pyramid_levels
from graphkit.vision._torchvision import deform_conv2d

__all__ = ["SEPC", "SEPCOutput", "VARIANTS", "PyramidConv", "integrated_batch_norm"]

#: variant -> (iBN, deformable PConv, deformable heads)
VARIANTS: dict[str, tuple[bool, bool, bool]] = {
    "pconv": (False, False, False),
    "ibn_pconv": (True, False, False),
    "lite": (True, False, True),
    "sepc": (True, True, True),
}


def integrated_batch_norm(levels: Sequence[Tensor], bn: nn.BatchNorm2d) -> list[Tensor]:
    """iBN: one BatchNorm whose statistics cover every level of the pyramid at once.

    The levels ``[B, C, H_l, W_l]`` are flattened to ``[B, C, 1, H_l W_l]``, concatenated
    along the last axis, normalised by ``bn`` and split back (the official ``iBN``), so the
    mean and variance are those of all :math:`B \\sum_l H_l W_l` positions together.

    Example:
        >>> bn = nn.BatchNorm2d(4)
        >>> out = integrated_batch_norm([torch.randn(2, 4, 8, 8), torch.randn(2, 4, 4, 4)], bn)
        >>> [tuple(o.shape) for o in out]
        [(2, 4, 8, 8), (2, 4, 4, 4)]
    """
    if not isinstance(bn, nn.modules.batchnorm._BatchNorm):
        raise TypeError(f"bn must be a BatchNorm module (nn.BatchNorm2d), got {type(bn).__name__}")
    if isinstance(levels, Tensor) or not isinstance(levels, Sequence) or not levels:
        raise TypeError("levels must be a non-empty list of feature maps [B, C, H, W]")
    levels = pyramid_levels(levels, owner="integrated_batch_norm", num_levels=len(levels),
                            channels=[bn.num_features] * len(levels))
    sizes = [tuple(level.shape[-2:]) for level in levels]
    b, c = levels[0].shape[:2]
    flat = bn(torch.cat([level.reshape(b, c, 1, -1) for level in levels], dim=-1))
    parts = torch.split(flat, [h * w for h, w in sizes], dim=-1)
    return [part.reshape(b, c, h, w) for part, (h, w) in zip(parts, sizes, strict=True)]


class _LevelConv(nn.Module):
    """One kernel shared by every level (official ``sepc_conv``): plain on levels below
    ``start_level``, deformable (offsets from a zero-initialised conv) from there on."""

    def __init__(self, in_channels: int, out_channels: int, *, stride: int = 1, padding: int = 1,
                 deformable: bool = False, start_level: int = 1, kernel_size: int = 3):
        super().__init__()
        self.stride, self.padding, self.deformable, self.start_level = stride, padding, deformable, start_level
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.empty(out_channels))
        self.conv_offset = (nn.Conv2d(in_channels, 2 * kernel_size * kernel_size, kernel_size, stride=stride,
                                      padding=padding) if deformable else None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """The official initialisation: weight ~ N(0, 0.01²), bias 0, offset conv 0."""
        nn.init.normal_(self.weight, 0.0, 0.01)
        nn.init.zeros_(self.bias)
        if self.conv_offset is not None:
            nn.init.zeros_(self.conv_offset.weight)
            nn.init.zeros_(self.conv_offset.bias)

    def forward(self, level: int, x: Tensor) -> Tensor:
        if self.conv_offset is None or level < self.start_level:
            return F.conv2d(x, self.weight, self.bias, stride=self.stride, padding=self.padding)
        return deform_conv2d(x, self.conv_offset(x), self.weight, self.bias, stride=self.stride,
                             padding=self.padding)

    def extra_repr(self) -> str:
        return (f"{self.weight.size(1)}, {self.weight.size(0)}, stride={self.stride}, padding={self.padding}, "
                f"deformable={self.deformable}" + (f" (levels >= {self.start_level})" if self.deformable else ""))


class PyramidConv(nn.Module):
    r"""One pyramid convolution (official ``PConvModule``): :math:`y_l = \mathrm{ReLU}(\mathrm{iBN}(w_1 * x_l +
    w_2 *_{s2} x_{l-1} + \mathrm{up}(w_0 * x_{l+1})))`.

    Args:
        channels: channels of every level (in and out).
        ibn: integrated BatchNorm before the ReLU. (default: ``False``)
        deformable: deformable kernels on levels ``>= start_level``. (default: ``False``)
        start_level: first deformable level. (default: ``1``)

    Attributes:
        coarser (:math:`w_0`), same (:math:`w_1`), finer (:math:`w_2`, stride 2): the three shared kernels.

    Example:
        >>> pconv = PyramidConv(8)
        >>> [tuple(y.shape) for y in pconv([torch.randn(1, 8, 8, 8), torch.randn(1, 8, 4, 4)])]
        [(1, 8, 8, 8), (1, 8, 4, 4)]
    """

    def __init__(self, channels: int, *, ibn: bool = False, deformable: bool = False, start_level: int = 1):
        super().__init__()
        self.coarser = _LevelConv(channels, channels, deformable=deformable, start_level=start_level)
        self.same = _LevelConv(channels, channels, deformable=deformable, start_level=start_level)
        self.finer = _LevelConv(channels, channels, stride=2, deformable=deformable, start_level=start_level)
        self.bn = nn.BatchNorm2d(channels) if ibn else None

    def reset_parameters(self) -> None:
        for conv in (self.coarser, self.same, self.finer):
            conv.reset_parameters()
        if self.bn is not None:
            self.bn.reset_parameters()

    def forward(self, levels: Sequence[Tensor]) -> list[Tensor]:
        out = []
        last = len(levels) - 1
        for level, x in enumerate(levels):
            y = self.same(level, x)
            if level > 0:
                y = y + self.finer(level, levels[level - 1])
            if level < last:
                y = y + F.interpolate(self.coarser(level, levels[level + 1]), size=y.shape[-2:], mode="bilinear",
                                      align_corners=True)
            out.append(y)
        if self.bn is not None:
            out = integrated_batch_norm(out, self.bn)
        return [F.relu(y) for y in out]


class SEPCOutput(NamedTuple):
    """The two head branches of :class:`SEPC`, each a list of ``[B, C, H_l, W_l]`` per level."""

    cls: list[Tensor]
    loc: list[Tensor]


class SEPC(nn.Module):
    r"""Scale-equalizing pyramid convolution neck (Wang et al., CVPR 2020, https://arxiv.org/abs/2005.03101).

    ``num_pconvs`` stacked :class:`PyramidConv` over the levels of an FPN, then (``heads=True``)
    the classification and localisation convolutions of the official neck; see the
    module docstring for the math and the variants.

    Args:
        in_channels: channels of every level (in = out; the official neck: 256). (default: ``256``)
        num_levels: pyramid levels, finest first (official: 5, P3–P7). (default: ``5``)
        variant: ``'sepc'``, ``'lite'``, ``'ibn_pconv'`` or ``'pconv'``. (default: ``'sepc'``)
        num_pconvs: stacked pyramid convolutions. (default: ``4``)
        heads: add the ``cconv`` / ``lconv`` head branches (in the official neck and its
            parameter counts); ``False`` returns the last pyramid convolution's levels. (default: ``True``)
        start_level: first level with deformable kernels. (default: ``1``)
        head_padding: padding of the head convolutions (official: ``0``, see the module
            docstring). (default: ``1``)

    Shapes:
        ``forward(levels)``: a list (or ordered dict) of ``num_levels`` tensors ``[B, C, H_l, W_l]``
        with ``H_{l+1} = ⌈H_l / 2⌉`` (likewise W) → :class:`SEPCOutput` ``(cls, loc)`` of
        ``num_levels`` tensors of the same shapes (``heads=False``: one list).

    Example:
        >>> neck = SEPC(in_channels=16, num_levels=3, variant="lite")
        >>> out = neck([torch.randn(2, 16, 16, 16), torch.randn(2, 16, 8, 8), torch.randn(2, 16, 4, 4)])
        >>> [tuple(t.shape) for t in out.cls]
        [(2, 16, 16, 16), (2, 16, 8, 8), (2, 16, 4, 4)]
        >>> sum(p.numel() for p in SEPC().parameters())   # the official RetinaNet neck
        8845052
    """

    def __init__(self, in_channels: int = 256, num_levels: int = 5, variant: str = "sepc", *, num_pconvs: int = 4,
                 heads: bool = True, start_level: int = 1, head_padding: int = 1):
        super().__init__()
        if variant not in VARIANTS:
            raise ValueError(f"variant must be one of {list(VARIANTS)}, got {variant!r}")
        self.in_channels = check_int("in_channels", in_channels, minimum=1)
        self.num_levels = check_int("num_levels", num_levels, minimum=2)
        self.num_pconvs = check_int("num_pconvs", num_pconvs, minimum=1)
        self.start_level = check_int("start_level", start_level, minimum=0)
        self.head_padding = check_int("head_padding", head_padding, minimum=0, maximum=1)
        self.heads = check_bool("heads", heads)
        self.variant = variant
        ibn, pconv_deform, head_deform = VARIANTS[variant]
        self.pconvs = nn.ModuleList(PyramidConv(in_channels, ibn=ibn, deformable=pconv_deform, start_level=start_level)
                                    for _ in range(num_pconvs))
        if heads:
            self.cconv = _LevelConv(in_channels, in_channels, padding=head_padding, deformable=head_deform,
                                    start_level=start_level)
            self.lconv = _LevelConv(in_channels, in_channels, padding=head_padding, deformable=head_deform,
                                    start_level=start_level)
            self.cbn = nn.BatchNorm2d(in_channels) if ibn else None
            self.lbn = nn.BatchNorm2d(in_channels) if ibn else None

    def reset_parameters(self) -> None:
        """Redraw every parameter as construction did (official initialisation) and reset the iBN statistics."""
        for pconv in self.pconvs:
            pconv.reset_parameters()
        if self.heads:
            self.cconv.reset_parameters()
            self.lconv.reset_parameters()
            for bn in (self.cbn, self.lbn):
                if bn is not None:
                    bn.reset_parameters()

    def _check_sizes(self, levels: list[Tensor]) -> None:
        for i in range(1, len(levels)):
            expected = tuple(halved(s) for s in levels[i - 1].shape[-2:])
            if tuple(levels[i].shape[-2:]) != expected:
                raise ValueError(f"SEPC: level {i} is {list(levels[i].shape[-2:])} but the stride-2 pyramid "
                                 f"convolution of level {i - 1} ({list(levels[i - 1].shape[-2:])}) gives "
                                 f"{list(expected)}; each level must halve the previous one (rounding up), "
                                 f"as an FPN's outputs do")

    def forward(self, levels) -> SEPCOutput | list[Tensor]:
        x = pyramid_levels(levels, owner="SEPC", num_levels=self.num_levels,
                           channels=[self.in_channels] * self.num_levels)
        self._check_sizes(x)
        for pconv in self.pconvs:
            x = pconv(x)
        if not self.heads:
            return x
        cls = [self.cconv(level, item) for level, item in enumerate(x)]
        loc = [self.lconv(level, item) for level, item in enumerate(x)]
        if self.cbn is not None:
            cls = integrated_batch_norm(cls, self.cbn)
            loc = integrated_batch_norm(loc, self.lbn)
        return SEPCOutput([F.relu(t) for t in cls], [F.relu(t) for t in loc])

    def extra_repr(self) -> str:
        return (f"in_channels={self.in_channels}, num_levels={self.num_levels}, variant={self.variant!r}, "
                f"num_pconvs={self.num_pconvs}, heads={self.heads}")
