"""Reusable layers built on graphkit.ops, and the base every method model derives from."""

from graphkit.nn.hgnn_conv import HGNNConv
from graphkit.nn.model import Model, reinitialize
from graphkit.nn.teacher_student import TeacherStudent
from graphkit.nn.vector_quantizer import VectorQuantizer

__all__ = ["HGNNConv", "Model", "TeacherStudent", "VectorQuantizer", "reinitialize"]
