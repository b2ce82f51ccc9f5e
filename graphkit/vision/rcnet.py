r"""RCNet's neck (RCFPN): Reverse Feature Pyramid + Cross-scale Shift Network, in pure PyTorch on torchvision.

Zong, Cao, Song, Hou, Xie and Liu, "RCNet: Reverse Feature Pyramid and
Cross-scale Shift Network for Object Detection", ACM MM 2021,
https://arxiv.org/abs/2110.12130; official code TempleX98/RCNet (mmdet 2.x,
``mmdet/models/necks/rcfpn.py``, with mmcv's compiled DCNv2). This module follows
that code. Inputs C3–C5 (or any ``len(in_channels)`` backbone levels), outputs
``num_outs`` levels of ``out_channels`` (RetinaNet-R50: 512/1024/2048 → 5 × 256).

1. **Laterals and extra levels**: a 1 × 1 conv (+ BN) per input level, then
   ``num_outs - len(in_channels)`` extra levels, each ``maxpool2×2(conv1×1(pad(c)))``
   of the previous (replicate padding to an even size).
2. **RevFP**, one bottom-up pass :math:`p_3 \to p_7` of local bidirectional fusion.
   Node :math:`l` fuses :math:`c_l` with :math:`\tilde c_{l+1} = \mathrm{up}(c_{l+1})`
   (bilinear) through a spatial attention and a global-pooling gate,

   .. math::
       a = \mathrm{softmax}_{HW}\!\big(\tfrac{t}{\sqrt C}\,\mathrm{conv}_{3\times3}[c_l, \tilde c_{l+1}]\big)\cdot HW,
       \quad g = \sigma\big(\mathrm{conv}_{1\times1}[\mathrm{GAP}(c_l), \mathrm{GAP}(\tilde c_{l+1})]\big),
       \quad r = g\,c_l + (1-g)\,a\,\tilde c_{l+1},

   then (middle levels) gates the pre-fusion conv of :math:`r` with the already
   fused, max-pooled :math:`p_{l-1}` in the same way (without attention), and
   ends with the post-fusion conv; both convs are ReLU → DCNv2 (3 × 3, 2 offset
   groups, a learned mask; ``torchvision.ops.deform_conv2d``) → BN. The last level
   fuses :math:`c_L` with :math:`p_{L-1}` only, without attention.
3. **CSN**: every level resized to :math:`P_4`'s size (adaptive max pooling from
   :math:`P_3`, bilinear from coarser levels) and stacked ``[B, L, C, H, W]``;
   four ``C/16``-channel groups shifted cyclically across the levels by +1, −1,
   +2, −2 and concatenated to the features; per-level ``conv1×1(+BN, ReLU) →
   conv1×1``, residual; plus a spatial context (level mean → spatial attention
   pooling → 1 × 1 conv) and a scale context (spatial mean → level attention
   pooling → 1 × 1 conv), both ``[B, C]`` broadcast to every level; resized back
   and added to each level.

Parameters with the RetinaNet-R50 config (BN, DCNv2): laterals 919,040, extra
levels 132,096, RevFP 5,740,992, CSN 873,218; 7,665,346 in all.

**Where this differs from the official code.** Nothing in the computation. The
official node resizes a finer level by one replicate-padded 2 × 2 max pool; if
that does not give the target size (inputs that do not halve level by level,
where the official code fails on a shape mismatch), adaptive max pooling to the
target size is used. ``num_outs`` and the number of inputs are general here
(the official neck fixes P3–P7).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from graphkit._validation import check_bool, check_int
from graphkit.vision._levels import pyramid_levels
from graphkit.vision.deform import ModulatedDeformConv2d

__all__ = ["RCNet", "CrossShiftNet", "FusionNode"]


def _xavier(module: nn.Module) -> None:
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            m.reset_parameters()


class _ConvNorm(nn.Sequential):
    """``conv k×k`` (bias only without norm) ``→ BN``: mmcv's ``ConvModule(act_cfg=None)``."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 1, *, norm: bool):
        layers = [nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2, bias=not norm)]
        if norm:
            layers.append(nn.BatchNorm2d(out_channels))
        super().__init__(*layers)


class _ActConvNorm(nn.Module):
    """``ReLU → 3×3 conv (DCNv2 or plain) → BN``: mmcv's ``ConvModule(order=('act', 'conv', 'norm'))``."""

    def __init__(self, channels: int, *, norm: bool, deformable: bool, deform_groups: int):
        super().__init__()
        self.deformable = deformable
        if deformable:
            self.conv = ModulatedDeformConv2d(channels, channels, 3, offset_groups=deform_groups, bias=not norm)
        else:
            self.conv = nn.Conv2d(channels, channels, 3, padding=1, bias=not norm)
        self.norm = nn.BatchNorm2d(channels) if norm else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.deformable:
            self.conv.reset_parameters()  # mmcv's DCNv2 initialisation
        else:
            _xavier(self.conv)  # the official node's Xavier for a plain conv
        if self.norm is not None:
            self.norm.reset_parameters()

    def forward(self, x: Tensor) -> Tensor:
        x = self.conv(F.relu(x))
        return x if self.norm is None else self.norm(x)


def _resize(x: Tensor, size: tuple[int, int]) -> Tensor:
    h, w = x.shape[-2:]
    if (h, w) == tuple(size):
        return x
    if h <= size[0] and w <= size[1]:
        return F.interpolate(x, size=size, mode="bilinear", align_corners=False)
    x = F.max_pool2d(F.pad(x, [0, w % 2, 0, h % 2], mode="replicate"), 2)
    if tuple(x.shape[-2:]) != tuple(size):
        x = F.adaptive_max_pool2d(x, size)
    return x


class FusionNode(nn.Module):
    r"""One RevFP node (official ``FusionNode``): gated fusion of 2 or 3 levels at the first one's size.

    Args:
        channels: channels of every input and of the output.
        num_inputs: ``2`` (:math:`c_l` and one neighbour) or ``3`` (:math:`c_l`, :math:`c_{l+1}`,
            :math:`p_{l-1}`). (default: ``2``)
        attention: the spatial attention on the second input. (default: ``True``)
        norm: BN after the fusion convs (RetinaNet config: yes). (default: ``True``)
        deformable: DCNv2 fusion convs (official default); ``False``: plain 3 × 3. (default: ``True``)
        deform_groups: offset groups of the DCNv2. (default: ``2``)

    Shapes:
        ``forward([x_1 [B, C, H, W], x_2, (x_3)], out_size=(H, W)) -> [B, C, H, W]``.

    Example:
        >>> node = FusionNode(8, num_inputs=3)
        >>> node([torch.randn(1, 8, 8, 8), torch.randn(1, 8, 4, 4), torch.randn(1, 8, 16, 16)], (8, 8)).shape
        torch.Size([1, 8, 8, 8])
    """

    def __init__(self, channels: int, num_inputs: int = 2, *, attention: bool = True, norm: bool = True,
                 deformable: bool = True, deform_groups: int = 2):
        super().__init__()
        if num_inputs not in (2, 3):
            raise ValueError(f"num_inputs must be 2 or 3, got {num_inputs}")
        self.channels, self.num_inputs, self.attention = channels, num_inputs, attention
        self.gates = nn.ModuleList(nn.Conv2d(2 * channels, 1, 1) for _ in range(num_inputs - 1))
        if attention:
            self.spatial_weight = nn.Conv2d(2 * channels, 1, 3, padding=1)
            self.temperature = nn.Parameter(torch.ones(1))
        self.pre_fusion = (_ActConvNorm(channels, norm=norm, deformable=deformable, deform_groups=deform_groups)
                           if num_inputs == 3 else None)
        self.post_fusion = _ActConvNorm(channels, norm=norm, deformable=deformable, deform_groups=deform_groups)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Gate and attention convs 0, temperature 1 (official), fusion convs as :class:`_ActConvNorm`."""
        for conv in list(self.gates) + ([self.spatial_weight] if self.attention else []):
            nn.init.zeros_(conv.weight)
            nn.init.zeros_(conv.bias)
        if self.attention:
            nn.init.ones_(self.temperature)
        for conv in (self.pre_fusion, self.post_fusion):
            if conv is not None:
                conv.reset_parameters()

    @staticmethod
    def _gate(gate: nn.Conv2d, a: Tensor, b: Tensor) -> Tensor:
        """``σ(conv1×1[GAP(a), GAP(b)])``: the weight of ``a`` against the other input."""
        return torch.sigmoid(gate(torch.cat([F.adaptive_avg_pool2d(a, 1), F.adaptive_avg_pool2d(b, 1)], dim=1)))

    def forward(self, inputs: Sequence[Tensor], out_size: tuple[int, int]) -> Tensor:
        if len(inputs) != self.num_inputs:
            raise ValueError(f"this FusionNode fuses {self.num_inputs} inputs, got {len(inputs)}")
        x = [_resize(t, tuple(out_size)) for t in inputs]
        x1, x2 = x[0], x[1]
        g = self._gate(self.gates[0], x1, x2)  # pooled before the attention, as the official node
        if self.attention:
            b, c, h, w = x1.shape
            logits = self.temperature * c ** -0.5 * self.spatial_weight(torch.cat([x1, x2], dim=1))
            x2 = F.softmax(logits.reshape(b, 1, -1), dim=-1).reshape(b, 1, h, w) * (h * w) * x2
        result = g * x1 + (1 - g) * x2
        if self.num_inputs == 3:
            x1 = self.pre_fusion(result)
            g = self._gate(self.gates[1], x1, x[2])
            result = g * x1 + (1 - g) * x[2]
        return self.post_fusion(result)

    def extra_repr(self) -> str:
        return f"{self.channels}, num_inputs={self.num_inputs}, attention={self.attention}"


class _Context(nn.Module):
    """Attention pooling to ``[B, C, 1, 1]`` then a 1 × 1 conv (official ``SpatialBranch`` / ``ScaleBranch``)."""

    def __init__(self, channels: int):
        super().__init__()
        self.channel_agg = nn.Conv2d(channels, 1, 1)
        self.trans = nn.Conv2d(channels, channels, 1)

    def forward(self, x: Tensor) -> Tensor:  # x [B, C, h, w]: attention over the h·w positions
        b, _, h, w = x.shape
        weight = F.softmax(self.channel_agg(x).reshape(b, 1, -1), dim=-1).reshape(b, 1, h, w) * (h * w)
        return self.trans((x * weight).mean(dim=(2, 3), keepdim=True))


class CrossShiftNet(nn.Module):
    r"""CSN (official ``CrossShiftNet``): cross-scale shift, per-level 1 × 1 convs, spatial and scale context.

    Args:
        channels: channels of every level.
        num_levels: pyramid levels (official: 5). (default: ``5``)
        norm: BN in the per-level aggregation (RetinaNet config: yes). (default: ``True``)
        ratio: the shifted groups have ``channels // ratio`` channels each (four groups). (default: ``16``)

    Shapes:
        ``forward(levels: list of [B, C, H_l, W_l]) -> list of the same shapes``; level 1 is the
        reference size.

    Example:
        >>> csn = CrossShiftNet(32, num_levels=3)
        >>> [tuple(t.shape) for t in csn([torch.randn(1, 32, 8, 8), torch.randn(1, 32, 4, 4),
        ...                                torch.randn(1, 32, 2, 2)])]
        [(1, 32, 8, 8), (1, 32, 4, 4), (1, 32, 2, 2)]
    """

    def __init__(self, channels: int, num_levels: int = 5, *, norm: bool = True, ratio: int = 16):
        super().__init__()
        self.channels, self.num_levels, self.ratio = channels, num_levels, ratio
        self.part = channels // ratio
        self.aggregation = nn.ModuleList(
            nn.Sequential(_ConvNorm(channels + 4 * self.part, channels, norm=norm), nn.ReLU(),
                          nn.Conv2d(channels, channels, 1))
            for _ in range(num_levels))
        self.spatial_context = _Context(channels)
        self.scale_context = _Context(channels)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Xavier-uniform convs with zero bias, BN 1/0 (the official ``init_weights``)."""
        _xavier(self)

    def shift(self, x: Tensor) -> Tensor:
        """``[B, L, C, H, W] -> [B, L, C + 4p, H, W]``: four ``p``-channel groups rolled by +1, −1, +2, −2 levels."""
        p = self.part
        shifted = [torch.roll(x[:, :, i * p:(i + 1) * p], shifts=s, dims=1) for i, s in enumerate((-1, 1, -2, 2))]
        return torch.cat([*shifted, x], dim=2)

    def forward(self, levels: Sequence[Tensor]) -> list[Tensor]:
        size = levels[1].shape[-2:]
        stack = [F.adaptive_max_pool2d(levels[0], size)]
        stack += [F.interpolate(t, size=size, mode="bilinear", align_corners=False) for t in levels[1:]]
        feats = torch.stack(stack, dim=1)  # [B, L, C, H, W]
        shifted = self.shift(feats)
        feats = feats + torch.stack([agg(shifted[:, i]) for i, agg in enumerate(self.aggregation)], dim=1)
        spatial = self.spatial_context(feats.mean(dim=1))  # mean over levels, attention over H·W
        scale = self.scale_context(feats.mean(dim=(3, 4)).transpose(1, 2).unsqueeze(-1))  # attention over levels
        out = feats + (spatial + scale).unsqueeze(1)
        result = [levels[0] + F.interpolate(out[:, 0], size=levels[0].shape[-2:], mode="bilinear",
                                            align_corners=False)]
        result += [t + F.adaptive_max_pool2d(out[:, i], t.shape[-2:]) for i, t in enumerate(levels) if i > 0]
        return result

    def extra_repr(self) -> str:
        return f"{self.channels}, num_levels={self.num_levels}, ratio={self.ratio}"


class RCNet(nn.Module):
    r"""RCNet's neck (Zong et al., ACM MM 2021, https://arxiv.org/abs/2110.12130): laterals, RevFP, CSN.

    See the module docstring for the math.

    Args:
        in_channels: channels of the backbone levels, finest first (ResNet-50 C3–C5). (default: ``(512, 1024, 2048)``)
        out_channels: channels of every output level. (default: ``256``)
        num_outs: output levels (``>= len(in_channels)``; extra ones by max pooling). (default: ``5``)
        norm: BatchNorm in the laterals, extra levels, fusion convs and CSN (the official RetinaNet
            config's ``norm_cfg=BN``). (default: ``True``)
        deformable: DCNv2 fusion convs (official); ``False``: plain 3 × 3 convs. (default: ``True``)
        deform_groups: DCNv2 offset groups. (default: ``2``)

    Attributes:
        lateral_convs, extra_levels, revfp (one :class:`FusionNode` per output level), csn (:class:`CrossShiftNet`).

    Shapes:
        ``forward(levels)``: a list (or ordered dict) of ``len(in_channels)`` tensors ``[B, C_i, H_i, W_i]``
        (each level half the previous) → list of ``num_outs`` tensors ``[B, out_channels, H_l, W_l]``,
        the extra levels ``⌈H/2⌉`` of the previous.

    Example:
        >>> neck = RCNet(in_channels=(16, 32, 64), out_channels=32, num_outs=5)
        >>> out = neck([torch.randn(2, 16, 16, 16), torch.randn(2, 32, 8, 8), torch.randn(2, 64, 4, 4)])
        >>> [tuple(t.shape[-2:]) for t in out]
        [(16, 16), (8, 8), (4, 4), (2, 2), (1, 1)]
        >>> sum(p.numel() for p in RCNet().parameters())   # RetinaNet-R50's neck
        7665346
    """

    def __init__(self, in_channels: Sequence[int] = (512, 1024, 2048), out_channels: int = 256, num_outs: int = 5, *,
                 norm: bool = True, deformable: bool = True, deform_groups: int = 2):
        super().__init__()
        if isinstance(in_channels, int) or not in_channels:
            raise ValueError(f"in_channels must be a non-empty sequence of channel counts, got {in_channels!r}")
        self.in_channels = tuple(check_int("in_channels", c, minimum=1) for c in in_channels)
        self.out_channels = check_int("out_channels", out_channels, minimum=1)
        self.num_outs = check_int("num_outs", num_outs, minimum=max(2, len(self.in_channels)))
        self.norm, self.deformable = check_bool("norm", norm), check_bool("deformable", deformable)
        self.deform_groups = check_int("deform_groups", deform_groups, minimum=1)
        self.lateral_convs = nn.ModuleList(_ConvNorm(c, out_channels, norm=norm) for c in self.in_channels)
        self.extra_levels = nn.ModuleList(_ConvNorm(out_channels, out_channels, norm=norm)
                                          for _ in range(num_outs - len(self.in_channels)))
        node = {"norm": norm, "deformable": deformable, "deform_groups": deform_groups}
        self.revfp = nn.ModuleList(
            FusionNode(out_channels, 2 if level in (0, num_outs - 1) else 3, attention=level < num_outs - 1, **node)
            for level in range(num_outs))
        self.csn = CrossShiftNet(out_channels, num_outs, norm=norm)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """The official initialisation: Xavier laterals, extra levels and CSN; RevFP as :class:`FusionNode`."""
        _xavier(self.lateral_convs)
        _xavier(self.extra_levels)
        for node in self.revfp:
            node.reset_parameters()
        self.csn.reset_parameters()

    def forward(self, levels) -> list[Tensor]:
        x = pyramid_levels(levels, owner="RCNet", num_levels=len(self.in_channels), channels=self.in_channels)
        c = [conv(t) for conv, t in zip(self.lateral_convs, x, strict=True)]
        for extra in self.extra_levels:
            h, w = c[-1].shape[-2:]
            c.append(F.max_pool2d(extra(F.pad(c[-1], [0, w % 2, 0, h % 2], mode="replicate")), 2))
        last = self.num_outs - 1
        p: list[Tensor] = []
        for level, node in enumerate(self.revfp):
            size = tuple(c[level].shape[-2:])
            if level == 0:
                p.append(node([c[0], c[1]], size))
            elif level < last:
                p.append(node([c[level], c[level + 1], p[-1]], size))
            else:
                p.append(node([c[level], p[-1]], size))
        return self.csn(p)

    def extra_repr(self) -> str:
        return (f"in_channels={self.in_channels}, out_channels={self.out_channels}, num_outs={self.num_outs}, "
                f"norm={self.norm}, deformable={self.deformable}")
