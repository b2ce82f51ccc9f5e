"""torchvision's FeaturePyramidNetwork, set up as the baseline neck (RetinaNet's P3–P7 from C3–C5).

Lin et al., "Feature Pyramid Networks for Object Detection", CVPR 2017
(https://arxiv.org/abs/1612.03144). :func:`fpn` returns torchvision's own module
(``torchvision.ops.FeaturePyramidNetwork``), with ``LastLevelP6P7`` (RetinaNet:
P6 = stride-2 3 × 3 conv of C5, P7 = stride-2 3 × 3 conv of ReLU(P6)) or
``LastLevelMaxPool`` for the extra levels; its output feeds :class:`~graphkit.vision.SEPC`
(which expects the 5 levels of an FPN) and is the reference that
:class:`~graphkit.vision.SEPC` and :class:`~graphkit.vision.RCNet` are compared with.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

from graphkit._validation import check_int
from graphkit.vision._torchvision import torchvision

__all__ = ["fpn"]


def fpn(in_channels: Sequence[int] = (512, 1024, 2048), out_channels: int = 256, num_outs: int = 5, *,
        extra: str = "p6p7") -> nn.Module:
    """torchvision's ``FeaturePyramidNetwork`` with ``num_outs`` output levels.

    Args:
        in_channels: channels of the backbone levels, finest first. (default: ResNet-50's C3–C5)
        out_channels: channels of every level. (default: ``256``)
        num_outs: ``len(in_channels)`` (no extra level) or ``len(in_channels) + 2`` with
            ``extra='p6p7'`` (RetinaNet) or ``len(in_channels) + 1`` with ``extra='maxpool'``
            (Faster R-CNN). (default: ``5``)
        extra: ``'p6p7'`` (convs on C5) or ``'maxpool'``. (default: ``'p6p7'``)

    Returns:
        ``torchvision.ops.FeaturePyramidNetwork``: ``forward(OrderedDict of levels)`` → ``OrderedDict``
        (keys of the input, then ``'p6'``, ``'p7'`` or ``'pool'``).

    Example:
        >>> import torch
        >>> from collections import OrderedDict
        >>> neck = fpn((16, 32, 64), 8)
        >>> x = OrderedDict(c3=torch.randn(1, 16, 16, 16), c4=torch.randn(1, 32, 8, 8), c5=torch.randn(1, 64, 4, 4))
        >>> [(k, tuple(v.shape[1:])) for k, v in neck(x).items()]
        [('c3', (8, 16, 16)), ('c4', (8, 8, 8)), ('c5', (8, 4, 4)), ('p6', (8, 2, 2)), ('p7', (8, 1, 1))]
    """
    ops = torchvision().ops
    from torchvision.ops.feature_pyramid_network import LastLevelMaxPool, LastLevelP6P7

    if isinstance(in_channels, int) or not in_channels:
        raise ValueError(f"in_channels must be a non-empty sequence of channel counts, got {in_channels!r}")
    in_channels = [check_int("in_channels", c, minimum=1) for c in in_channels]
    out_channels = check_int("out_channels", out_channels, minimum=1)
    extras = {"p6p7": 2, "maxpool": 1}
    if extra not in extras:
        raise ValueError(f"extra must be 'p6p7' or 'maxpool', got {extra!r}")
    n = len(in_channels)
    if num_outs == n:
        block = None
    elif num_outs == n + extras[extra]:
        block = LastLevelP6P7(in_channels[-1], out_channels) if extra == "p6p7" else LastLevelMaxPool()
    else:
        raise ValueError(f"num_outs must be {n} or {n + extras[extra]} with extra={extra!r}, got {num_outs}")
    return ops.FeaturePyramidNetwork(in_channels, out_channels, extra_blocks=block)
