"""graphkit.vision: image feature extractors whose output becomes the nodes of a graph or hypergraph.

A side pillar (it uses :mod:`graphkit.ops`, never the models or the training
code): graph models consume its output as ordinary tensors and ``Data``.

* **Backbone taps** — :func:`mobilenet_v2_features` (the four stage outputs, 24 ch /4,
  32 /8, 96 /16, 1280 /32, as an ordered dict) and :func:`feature_extractor` for any
  torchvision backbone; local weight files only (``weights_only=True``), nothing downloads.
* **Pooling** — :class:`SpatialPyramidPooling` (SPP-net, bins {1, 2, 3, 6}: ``50·C``
  values for any H × W) and :func:`global_pool`; :class:`ImageEmbedder` = taps + pooling.
* **Necks** — :func:`fpn` (torchvision's FeaturePyramidNetwork, the baseline),
  :class:`SEPC` (pyramid convolution, integrated BN, deformable on levels ≥ 1, four
  variants) and :class:`RCNet` (RevFP + CSN), pure PyTorch on ``torchvision.ops.deform_conv2d``.
* **Image → graph** — :func:`knn_graph` / :func:`knn_hypergraph` (:mod:`graphkit.ops.nearest_neighbors`,
  chunked, bounded memory), :func:`image_graph` (both for an image set in one ``Data``)
  and :func:`patch_graph` (grid + feature kNN over the cells of one feature map, ViG).

torchvision is imported when first needed (``pip install 'graphkit-pyg[vision]'``).

Example, images → embeddings → graph::

    >>> import torch
    >>> from graphkit import vision
    >>> embedder = vision.ImageEmbedder(vision.mobilenet_v2_features(taps=("c3",), seed=0))
    >>> images = vision.preprocess_images(torch.rand(30, 1, 8, 8), 32)
    >>> data = vision.image_graph(embedder.embed(images), k=5)
    >>> data.x.shape, data.num_hyperedges
    (torch.Size([30, 1600]), 30)
"""

from graphkit.ops.nearest_neighbors import knn, knn_graph, knn_hypergraph
from graphkit.vision.backbones import (
    MOBILENET_V2_TAPS,
    FeatureTaps,
    feature_extractor,
    load_state_dict_file,
    mobilenet_v2_features,
)
from graphkit.vision.deform import DeformConv2d, ModulatedDeformConv2d
from graphkit.vision.features import ImageEmbedder, preprocess_images
from graphkit.vision.fpn import fpn
from graphkit.vision.graphs import grid_edges, image_graph, patch_graph
from graphkit.vision.rcnet import RCNet
from graphkit.vision.sepc import SEPC, SEPCOutput, integrated_batch_norm
from graphkit.vision.spp import SpatialPyramidPooling, global_pool

__all__ = [
    "MOBILENET_V2_TAPS", "FeatureTaps", "feature_extractor", "load_state_dict_file", "mobilenet_v2_features",
    "SpatialPyramidPooling", "global_pool", "ImageEmbedder", "preprocess_images",
    "fpn", "SEPC", "SEPCOutput", "integrated_batch_norm", "RCNet", "DeformConv2d", "ModulatedDeformConv2d",
    "knn", "knn_graph", "knn_hypergraph", "image_graph", "patch_graph", "grid_edges",
]
