"""Reusable layers built on graphkit.ops."""

from graphkit.nn.hgnn_conv import HGNNConv
from graphkit.nn.vector_quantizer import VectorQuantizer

__all__ = ["HGNNConv", "VectorQuantizer"]
