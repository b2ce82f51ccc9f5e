"""Image → embedding: preprocessing, a backbone tap pooled to a fixed length, batched inference.

:class:`ImageEmbedder` is the feature extractor of the image → graph pipelines:
``backbone taps → pooling (SPP by default) → [B, D]``; :meth:`ImageEmbedder.embed`
runs it over an image set in batches without autograd, and the rows become the
nodes of :func:`graphkit.vision.image_graph`.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from graphkit._validation import check_int
from graphkit.vision.backbones import FeatureTaps
from graphkit.vision.spp import SpatialPyramidPooling, check_images

__all__ = ["IMAGENET_MEAN", "IMAGENET_STD", "ImageEmbedder", "preprocess_images"]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def preprocess_images(images: Tensor, size: int | tuple[int, int] | None = None, *, channels: int = 3,
                      mean: Sequence[float] | None = IMAGENET_MEAN,
                      std: Sequence[float] | None = IMAGENET_STD) -> Tensor:
    """Images in ``[0, 1]`` → a backbone's input: resized (bilinear), grey repeated to ``channels``, normalised.

    Args:
        images: ``[B, C, H, W]`` floating point in ``[0, 1]`` with ``C`` 1 or ``channels``.
        size: output ``H × W`` (an int for a square); ``None`` keeps the size. (default: ``None``)
        channels: channels the backbone takes. (default: ``3``)
        mean, std: per-channel normalisation (``None``: none). (default: ImageNet's)

    Example:
        >>> preprocess_images(torch.rand(4, 1, 8, 8), 32).shape
        torch.Size([4, 3, 32, 32])
    """
    check_images(images, name="images")
    c = images.size(1)
    if c not in (1, channels):
        raise ValueError(f"images have {c} channels; expected 1 (grey, repeated) or {channels}")
    if size is not None:
        size = (size, size) if isinstance(size, int) else tuple(size)
        if tuple(images.shape[-2:]) != size:
            images = F.interpolate(images, size=size, mode="bilinear", align_corners=False)
    if c == 1 and channels != 1:
        images = images.expand(-1, channels, -1, -1)
    if mean is not None and std is not None:
        m = torch.as_tensor(mean, dtype=images.dtype, device=images.device).view(1, -1, 1, 1)
        s = torch.as_tensor(std, dtype=images.dtype, device=images.device).view(1, -1, 1, 1)
        images = (images - m) / s
    return images.contiguous()


class ImageEmbedder(nn.Module):
    """Backbone taps pooled to one fixed-length vector per image: ``[B, 3, H, W] -> [B, D]``.

    Args:
        backbone: a :class:`~graphkit.vision.FeatureTaps` (e.g. :func:`~graphkit.vision.mobilenet_v2_features`).
        taps: which taps to pool and concatenate. (default: the backbone's last)
        pool: ``[B, C, H, W] -> [B, D_c]``. (default: :class:`~graphkit.vision.SpatialPyramidPooling` ``(1, 2, 3, 6)``)

    Attributes:
        out_features: ``D`` (pools with an ``output_size(channels)`` method; else measured on a probe).

    Shapes:
        ``forward(images [B, 3, H, W]) -> [B, D]``; :meth:`embed` the same over any number of images.

    Example:
        >>> from graphkit.vision import mobilenet_v2_features
        >>> embedder = ImageEmbedder(mobilenet_v2_features(taps=("c3",), seed=0))
        >>> embedder(torch.randn(2, 3, 32, 32)).shape, embedder.out_features
        (torch.Size([2, 1600]), 1600)
    """

    def __init__(self, backbone: FeatureTaps, taps: str | Sequence[str] | None = None, pool: nn.Module | None = None):
        super().__init__()
        if not isinstance(backbone, FeatureTaps):
            raise TypeError(f"backbone must be a FeatureTaps (graphkit.vision.feature_extractor / "
                            f"mobilenet_v2_features), got {type(backbone).__name__}")
        names = list(backbone.return_nodes)
        taps = [names[-1]] if taps is None else [taps] if isinstance(taps, str) else list(taps)
        unknown = [t for t in taps if t not in names]
        if not taps or unknown:
            raise ValueError(f"taps must name taps of the backbone ({names}), got {taps}")
        self.backbone = backbone
        self.taps = taps
        self.pool = SpatialPyramidPooling() if pool is None else pool
        if hasattr(self.pool, "output_size"):
            self.out_features = sum(self.pool.output_size(backbone.channels[t]) for t in taps)
        else:
            with torch.no_grad():
                self.out_features = sum(int(self.pool(torch.zeros(1, backbone.channels[t], 7, 7)).size(1))
                                        for t in taps)

    def forward(self, images: Tensor) -> Tensor:
        out = self.backbone(images)
        if len(self.taps) == 1:
            return self.pool(out[self.taps[0]])
        return torch.cat([self.pool(out[t]) for t in self.taps], dim=1)

    @torch.no_grad()
    def embed(self, images: Tensor, *, batch_size: int = 256) -> Tensor:
        """Embeddings ``[N, D]`` of ``images [N, 3, H, W]`` in eval mode, ``batch_size`` at a time, on the
        embedder's device (the result comes back there); the module's train/eval mode is restored.

        Raises:
            ValueError: an empty image set or a non-4-D tensor.
        """
        check_images(images, name="images")
        batch_size = check_int("batch_size", batch_size, minimum=1)
        param = next(self.parameters(), None)
        device = param.device if param is not None else images.device
        training = self.training
        self.eval()
        try:
            parts = [self(images[i:i + batch_size].to(device)) for i in range(0, images.size(0), batch_size)]
        finally:
            self.train(training)
        return torch.cat(parts)

    def extra_repr(self) -> str:
        return f"taps={self.taps}, out_features={self.out_features}"
