"""A graph teacher and its graph-free student held as one module (GLNN, LightHGNN)."""

from __future__ import annotations

from torch import Tensor

from graphkit._validation import check_features, param_dtype
from graphkit.nn.model import Model

__all__ = ["TeacherStudent"]


class TeacherStudent(Model):
    """Base of distilled methods: subclasses build ``self.teacher`` and ``self.student`` in ``__init__``.

    ``forward(x)`` is the student's logits: what the method deploys, with no graph.
    The teacher stays available (``model.teacher``) for its soft labels and for comparison.
    """

    def reset_parameters(self) -> None:
        self.teacher.reset_parameters()
        self.student.reset_parameters()

    def forward(self, x: Tensor) -> Tensor:
        check_features(x, name="x", num_features=self.in_channels, dtype=param_dtype(self.student),
                       owner=type(self).__name__, allow_sparse=True)
        return self.student(x)

    def extra_repr(self) -> str:
        return f"in_channels={self.in_channels}, out_channels={self.out_channels}"
