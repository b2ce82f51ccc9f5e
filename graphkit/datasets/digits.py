"""scikit-learn's bundled handwritten digits as an image collection, and as a kNN graph built on the fly.

The UCI optical-recognition digits that ship inside scikit-learn
(``sklearn.datasets.load_digits``, nothing is downloaded): 1,797 grey images of
8 × 8 pixels (values 0–16), 10 classes of 174–183 images.

``digits-knn`` (task ``'node'``) runs the vision side's image → graph pipeline:
images → features (:func:`digits_features`: MobileNetV2's ``c3`` tap at 32 × 32
pooled by SPP {1, 2, 3, 6}, 1,600 values; or ``features='pixels'``, the 64 raw
values) → one node per image with the symmetric cosine kNN graph
(``edge_index``) and the kNN hypergraph (``hyperedge_index``, each image with its
``k`` neighbours) → a seeded split of ``train_per_class`` / ``val_per_class``
labelled images per class, the rest test. GCN, HGNN, LightHGNN and the MLP
train on it through the runner::

    graphkit-run --model gcn --dataset digits-knn

(their ``digits-knn`` presets, :data:`SPLIT_PRESET`, redraw the 10 / 10 per-class split for every
seed, the same draw for every method).

The features' tap and input size (``c3`` at 32 × 32) were chosen on validation
labels only: ``python benchmarks/vision.py tap`` trains a GCN on every tap
``c2``–``c5`` at 32 and 64 pixels over five seeded splits and keeps the best mean
validation accuracy.

The backbone has no pretrained weights here (nothing downloads): its random
initialisation is fixed by ``backbone_seed``. ``weights=PATH`` uses a local
torchvision ``mobilenet_v2`` state dict instead.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import Tensor
from torch_geometric.data import Data

from graphkit._validation import check_int
from graphkit.datasets.node_splits import per_class_split
from graphkit.datasets.registry import register

__all__ = ["NUM_IMAGES", "SPLIT_PRESET", "digits_features", "digits_images", "load_digits_knn", "standardized"]

NUM_IMAGES = 1797
#: the split of the methods' ``digits-knn`` presets: 10 training and 10 validation images per class, the
#: rest test, redrawn per seed; five seeds.
SPLIT_PRESET = {"train_per_class": 10, "val_per_class": 10, "runs": 5}
SPLIT_SOURCE = "graphkit's digits pipeline (issue #17): 10 training / 10 validation images per class, rest test"
FEATURES = ("mobilenet_v2", "pixels")


def digits_images() -> tuple[Tensor, Tensor]:
    """``(images [1797, 1, 8, 8] float32 in [0, 1], labels [1797] int64)`` from scikit-learn's bundled copy.

    Raises:
        ImportError: scikit-learn is not installed (``pip install 'graphkit-pyg[vision]'``).

    Example:
        >>> images, y = digits_images()
        >>> tuple(images.shape), int(y.max()) + 1
        ((1797, 1, 8, 8), 10)
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:
        raise ImportError("the digits images ship with scikit-learn: pip install 'graphkit-pyg[vision]' "
                          f"(or pip install scikit-learn) ({exc})") from exc
    bunch = load_digits()
    images = torch.from_numpy(bunch.images).float().div_(16.0).unsqueeze(1)
    return images, torch.from_numpy(bunch.target).long()


def digits_features(images: Tensor | None = None, *, features: str = "mobilenet_v2", image_size: int = 32,
                    tap: str = "c3", weights=None, backbone_seed: int = 0, batch_size: int = 256) -> Tensor:
    """Feature vectors of digit images: MobileNetV2 + SPP (default) or the raw pixels.

    Args:
        images: ``[N, 1, 8, 8]`` in ``[0, 1]``. (default: all of :func:`digits_images`)
        features: ``'mobilenet_v2'`` (the images resized to ``image_size``, repeated to RGB,
            ImageNet-normalised, MobileNetV2's ``tap`` pooled by SPP {1, 2, 3, 6}) or ``'pixels'``
            (the 64 values). (default: ``'mobilenet_v2'``)
        image_size: the backbone's input size. (default: ``32``)
        tap: ``'c2'``, ``'c3'``, ``'c4'`` or ``'c5'``. (default: ``'c3'``, 32 × 50 = 1600 values)
        weights: a local torchvision ``mobilenet_v2`` state dict, or ``None`` for the random
            initialisation drawn with ``backbone_seed``. (default: ``None``)
        backbone_seed: seed of that initialisation. (default: ``0``)
        batch_size: images per forward pass. (default: ``256``)

    Returns:
        ``[N, D]`` float32.

    Example:
        >>> digits_features(features="pixels").shape
        torch.Size([1797, 64])
    """
    if features not in FEATURES:
        raise ValueError(f"features must be one of {FEATURES}, got {features!r}")
    if images is None:
        images, _ = digits_images()
    if features == "pixels":
        if not isinstance(images, Tensor) or images.dim() != 4:
            raise ValueError(f"images must be a 4-D tensor [N, 1, H, W], got "
                             f"{list(images.shape) if isinstance(images, Tensor) else type(images).__name__}")
        return images.flatten(1).float()
    from graphkit.vision import ImageEmbedder, mobilenet_v2_features, preprocess_images

    image_size = check_int("image_size", image_size, minimum=8)
    backbone = mobilenet_v2_features(weights, taps=(tap,), seed=backbone_seed)
    embedder = ImageEmbedder(backbone, tap)
    return embedder.embed(preprocess_images(images, image_size), batch_size=batch_size)


def standardized(x: Tensor, reference: Tensor | None = None) -> Tensor:
    """``(x - mean) / std`` per column, the statistics of ``reference`` (default: ``x``); constant columns get 0.

    Example:
        >>> standardized(torch.tensor([[1.0, 5.0], [3.0, 5.0]])).tolist()
        [[-0.7071067690849304, 0.0], [0.7071067690849304, 0.0]]
    """
    ref = x if reference is None else reference
    mean, std = ref.mean(0), ref.std(0)
    scale = float(std.max()) if std.numel() else 0.0
    return (x - mean) / torch.where(std > 1e-6 * scale, std, torch.ones_like(std))


def load_digits_knn(root: Path | None = None, *, features: str = "mobilenet_v2", k: int = 10,
                    metric: str = "cosine", image_size: int = 32, tap: str = "c3", weights=None,
                    backbone_seed: int = 0, train_per_class: int = 10, val_per_class: int = 10,
                    seed: int = 0, num_images: int | None = None, standardize: bool = True) -> Data:
    """The digits as one graph: image features, kNN graph, kNN hypergraph, labels and a seeded split.

    Args:
        root: unused (the images ship with scikit-learn).
        features, image_size, tap, weights, backbone_seed: see :func:`digits_features`.
        k: neighbours per image. (default: ``10``)
        metric: ``'cosine'`` or ``'euclidean'``. (default: ``'cosine'``)
        train_per_class, val_per_class: labelled images per class for training / validation,
            the rest test. (defaults: ``10``, ``10``)
        seed: seeds the split. (default: ``0``)
        num_images: use the first ``num_images`` images only (quick tests). (default: all 1,797)
        standardize: store the features standardised per column (zero mean, unit variance over the
            images; the graph is built on the embeddings as extracted). MobileNetV2's activations
            with random weights are tiny (std ~1e-3 at ``c3``), too small for an MLP or a
            weight-decayed linear layer to use. (default: ``True``)

    Returns:
        ``Data(x [N, D], y [N], edge_index, hyperedge_index, num_hyperedges, train_mask, val_mask,
        test_mask, num_nodes)``.

    Example:
        >>> data = load_digits_knn(features="pixels")
        >>> data.num_nodes, int(data.train_mask.sum()), data.num_hyperedges
        (1797, 100, 1797)
    """
    from graphkit.vision import image_graph

    images, y = digits_images()
    if num_images is not None:
        num_images = check_int("num_images", num_images, minimum=2, maximum=NUM_IMAGES)
        images, y = images[:num_images], y[:num_images]
    x = digits_features(images, features=features, image_size=image_size, tap=tap, weights=weights,
                        backbone_seed=backbone_seed)
    data = image_graph(x, k, y=y, metric=metric, x=standardized(x) if standardize else None)
    data.train_mask, data.val_mask, data.test_mask = per_class_split(y, train_per_class,
                                                                     val_per_class=val_per_class, seed=seed)
    return data


@register("digits-knn", task="node",
          description="scikit-learn's 1,797 8x8 digit images as a cosine kNN graph + kNN hypergraph of "
                      "MobileNetV2 + SPP features (or pixels), built on the fly, 10/10/rest split "
                      "(options: see datasets.digits.load_digits_knn)")
def _load_digits_knn(root: Path, **options) -> Data:
    return load_digits_knn(root, **options)
