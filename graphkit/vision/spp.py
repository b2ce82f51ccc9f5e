r"""Spatial pyramid pooling (He et al., ECCV 2014) and global pooling: a fixed-length vector from any H × W.

He, Zhang, Ren and Sun, "Spatial Pyramid Pooling in Deep Convolutional Networks
for Visual Recognition", https://arxiv.org/abs/1406.4729. A feature map
:math:`X \in \mathbb{R}^{C \times H \times W}` is pooled over an :math:`n \times n`
grid of bins for every pyramid level :math:`n \in \mathcal{B}` and the results are
concatenated:

.. math::
    \mathrm{SPP}(X) = \big[\,\mathrm{pool}_{n \times n}(X)\,\big]_{n \in \mathcal{B}}
    \in \mathbb{R}^{C \sum_{n} n^2},

so the default bins :math:`\{1, 2, 3, 6\}` give :math:`50\,C` values whatever H × W.
Bin :math:`(i, j)` of level :math:`n` covers rows
:math:`\lfloor iH/n \rfloor .. \lceil (i+1)H/n \rceil` (and the same for columns),
PyTorch's adaptive pooling: it equals SPP-net's window ``ceil(H/n)`` / stride
``floor(H/n)`` where that tiling covers the map, and stays defined when a map is
smaller than the grid (bins then overlap), where SPP-net's formula is not.

No maintained package ships this layer: mmdet's ``SPPBottleneck`` (YOLOX) and
Ultralytics' ``SPPF`` are stride-1 max-pools that keep the spatial size, a
different operation.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from graphkit._validation import check_int

__all__ = ["SpatialPyramidPooling", "check_images", "global_pool"]

MODES = ("max", "avg")


def check_images(x, *, name: str = "x", channels: int | None = None) -> Tensor:
    """Validate a batch of images or feature maps ``[B, C, H, W]`` (floating, non-empty); return it.

    Raises:
        TypeError: not a tensor, or not floating point.
        ValueError: not 4-D, an empty batch, an empty spatial size, or (``channels``) another channel count.
    """
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor [B, C, H, W], got {type(x).__name__}")
    if x.dim() != 4:
        hint = " (a single image: add the batch dimension with x.unsqueeze(0))" if x.dim() == 3 else ""
        raise ValueError(f"{name} must be a 4-D tensor [B, C, H, W], got shape {list(x.shape)}{hint}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be floating point, got {x.dtype}; convert it with {name}.float() "
                        f"(and scale 8-bit images to [0, 1])")
    if x.size(0) == 0:
        raise ValueError(f"{name} is an empty batch (0 images); pass at least one image")
    if x.size(2) == 0 or x.size(3) == 0:
        raise ValueError(f"{name} has an empty spatial size {list(x.shape[2:])}")
    if channels is not None and x.size(1) != channels:
        raise ValueError(f"{name} has {x.size(1)} channels but {channels} are expected"
                         + (" (grey images: repeat them with x.expand(-1, 3, -1, -1))" if x.size(1) == 1 else ""))
    return x


def _mode(mode: str) -> str:
    if mode not in MODES:
        raise ValueError(f"mode must be 'max' or 'avg', got {mode!r}")
    return mode


def global_pool(x: Tensor, mode: str = "avg") -> Tensor:
    """Global average (default) or max pooling: ``[B, C, H, W] -> [B, C]`` (SPP with the single bin 1).

    Example:
        >>> global_pool(torch.ones(2, 3, 5, 7)).shape
        torch.Size([2, 3])
    """
    check_images(x)
    _mode(mode)
    return x.amax(dim=(2, 3)) if mode == "max" else x.mean(dim=(2, 3))


class SpatialPyramidPooling(nn.Module):
    r"""SPP-net's pyramid pooling layer: ``[B, C, H, W] -> [B, C · Σ n²]`` for any ``H × W``.

    Args:
        bins: grid sizes :math:`n` of the pyramid levels, each ``>= 1``. (default: ``(1, 2, 3, 6)``)
        mode: ``'max'`` (SPP-net) or ``'avg'``. (default: ``'max'``)

    Shapes:
        ``forward(x [B, C, H, W]) -> [B, C · sum(n * n for n in bins)]``; level by level,
        each level's ``[B, C, n, n]`` flattened channel-major.

    Example:
        >>> spp = SpatialPyramidPooling()
        >>> spp(torch.randn(2, 32, 13, 13)).shape, spp(torch.randn(2, 32, 64, 48)).shape
        (torch.Size([2, 1600]), torch.Size([2, 1600]))
        >>> spp.output_size(32)
        1600
    """

    def __init__(self, bins: Sequence[int] = (1, 2, 3, 6), mode: str = "max"):
        super().__init__()
        if isinstance(bins, int) or not isinstance(bins, Sequence) or len(bins) == 0:
            raise ValueError(f"bins must be a non-empty sequence of grid sizes such as (1, 2, 3, 6), got {bins!r}")
        self.bins = tuple(check_int("bins", b, minimum=1) for b in bins)
        self.mode = _mode(mode)

    def output_size(self, channels: int) -> int:
        """Length of the pooled vector for ``channels`` input channels: ``channels · Σ n²``."""
        return check_int("channels", channels, minimum=1) * sum(b * b for b in self.bins)

    def reset_parameters(self) -> None:
        """No parameters (kept for the library's module interface)."""

    def forward(self, x: Tensor) -> Tensor:
        check_images(x)
        pool = F.adaptive_max_pool2d if self.mode == "max" else F.adaptive_avg_pool2d
        return torch.cat([pool(x, b).flatten(1) for b in self.bins], dim=1)

    def extra_repr(self) -> str:
        return f"bins={self.bins}, mode={self.mode!r}"
