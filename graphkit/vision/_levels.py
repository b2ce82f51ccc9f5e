"""Shared input handling of the pyramid necks: a list (or mapping) of ``[B, C, H_l, W_l]`` levels."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from torch import Tensor

from graphkit.vision.spp import check_images


def pyramid_levels(inputs, *, owner: str, num_levels: int, channels: Sequence[int]) -> list[Tensor]:
    """``inputs`` as a list of ``num_levels`` feature maps with the given channels and one batch size.

    A mapping (e.g. an ``OrderedDict`` from :class:`~graphkit.vision.FeatureTaps` or torchvision's
    ``FeaturePyramidNetwork``) is read in its order.
    """
    if isinstance(inputs, Mapping):
        inputs = list(inputs.values())
    if isinstance(inputs, Tensor) or not isinstance(inputs, Sequence):
        raise TypeError(f"{owner} takes a list (or ordered dict) of {num_levels} feature maps [B, C, H, W], finest "
                        f"first; got {type(inputs).__name__}")
    levels = list(inputs)
    if len(levels) != num_levels:
        raise ValueError(f"{owner} was built for {num_levels} pyramid levels but got {len(levels)}")
    for i, (level, c) in enumerate(zip(levels, channels, strict=True)):
        check_images(level, name=f"level {i}", channels=c)
        if level.size(0) != levels[0].size(0):
            raise ValueError(f"level {i} has batch size {level.size(0)} but level 0 has {levels[0].size(0)}")
    return levels


def halved(size: int) -> int:
    """The size after a stride-2, 3 × 3, padding-1 convolution (or a ceil-mode 2 × 2 pool): ⌈size / 2⌉."""
    return (size + 1) // 2
