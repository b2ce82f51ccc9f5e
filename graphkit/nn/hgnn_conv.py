r"""The symmetric hypergraph convolution of HGNN (Feng et al., AAAI'19, https://arxiv.org/abs/1809.09401).

.. math::
    X' = D_v^{-1/2} H W D_e^{-1} H^\top D_v^{-1/2} (X \Theta + b)

with :math:`H` the ``N × M`` incidence matrix, :math:`W = \mathrm{diag}(w)` the
hyperedge weights, :math:`d_v = \sum_e w_e H_{ve}` and :math:`\delta_e = |e|`.
This is DHG's ``HGNNConv`` (``theta`` then ``smoothing_with_HGNN``), which the
LightHGNN teacher uses, and the original HGNN code's ``HGNN_conv``: both add the
bias **before** propagation, so an isolated vertex outputs 0, not ``b``. The tests
check it against a dense formula and, where ``dhg`` is installed, against DHG.

**How PyG's** ``HypergraphConv`` **differs.** PyG computes
:math:`D^{-1} H W B^{-1} H^\top X \Theta`: row-normalised (no symmetric
:math:`D_v^{-1/2}` on both sides), and in the released versions the
hyperedge weights enter only the degree :math:`D`, not the messages
(PyG issue #6918). With unit weights and all vertex degrees equal the two
coincide; otherwise they do not. Here isolated vertices and empty hyperedges
have inverse degree 0 (PyG uses ``1/0 → 0`` as well, but DHG and the original
HGNN code give NaN/inf, iMoonLab/HGNN #14).
"""

from __future__ import annotations

import torch  # noqa: F401 (doctest namespace)
from torch import Tensor, nn

from graphkit._validation import check_features, check_int, param_dtype
from graphkit.ops.incidence import hgnn_propagate

__all__ = ["HGNNConv"]


class HGNNConv(nn.Module):
    r"""HGNN layer: a linear map :math:`\Theta` then the symmetric incidence propagation.

    Args:
        in_channels: input feature size ``F``.
        out_channels: output feature size ``F'``.
        bias: learn a bias ``b``, added before propagation as DHG and HGNN do. (default: ``True``)

    Shapes:
        - x: ``[N, F]``; hyperedge_index: ``[2, nnz]`` (row 0 vertex, row 1
          hyperedge); hyperedge_weight: ``[M]`` or ``None``.
        - output: ``[N, F']``.

    Sparse throughout: ``O(nnz · F')`` per call (gather + ``index_add_``), no
    dense ``N × M`` matrix.

    Example:
        >>> conv = HGNNConv(4, 2)
        >>> conv(torch.randn(3, 4), torch.tensor([[0, 1, 2], [0, 0, 1]]), 2).shape
        torch.Size([3, 2])
    """

    def __init__(self, in_channels: int, out_channels: int, *, bias: bool = True):
        super().__init__()
        check_int("in_channels", in_channels, minimum=1)
        check_int("out_channels", out_channels, minimum=1)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.lin = nn.Linear(in_channels, out_channels, bias=bias)

    def reset_parameters(self) -> None:
        self.lin.reset_parameters()

    def forward(self, x: Tensor, hyperedge_index: Tensor, num_hyperedges: int | None = None,
                hyperedge_weight: Tensor | None = None) -> Tensor:
        check_features(x, name="x", num_features=self.in_channels, dtype=param_dtype(self), owner="HGNNConv",
                       allow_sparse=True)  # a torch.sparse_csr x: the linear map is a sparse x dense product
        return hgnn_propagate(self.lin(x), hyperedge_index, num_hyperedges, hyperedge_weight)

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}, bias={self.lin.bias is not None}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"
