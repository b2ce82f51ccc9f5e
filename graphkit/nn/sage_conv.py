r"""PyG's ``SAGEConv`` that also takes ``torch.sparse_csr`` input features (bag-of-words rows), exactly.

PyG's ``SAGEConv`` aggregates the raw features first, :math:`W_l\,\mathrm{mean}_{u \in N(v)} x_u + b_l
+ W_r x_v`, and gathering the rows of a CSR matrix per edge is not a torch operation. Mean (and sum)
aggregation commute with the linear map, so for CSR ``x`` this layer transforms first and aggregates
after:

.. math::
    \mathrm{mean}_{u \in N(v)}(x_u W_l^\top) + b_l + x_v W_r^\top

with both products sparse × dense (:math:`O(\mathrm{nnz} \cdot d)` instead of :math:`O(N F d)`) and the
bias added after the aggregation, so a node without in-neighbours gets :math:`b_l` as in PyG. The same
numbers up to float rounding; dense input takes PyG's own path unchanged (so seeded figures do not move).
Parameters, their names and their initialisation are PyG's (a subclass that adds no parameter).
"""

from __future__ import annotations

import torch  # noqa: F401 (doctest namespace)
from torch import Tensor
from torch_geometric.nn import SAGEConv as _PygSAGEConv
from torch_geometric.nn.models import GraphSAGE as _PygGraphSAGE

__all__ = ["GraphSAGE", "SAGEConv"]


class SAGEConv(_PygSAGEConv):
    r"""``torch_geometric.nn.SAGEConv`` whose ``forward`` also takes a ``torch.sparse_csr`` ``x`` (see the module doc).

    Constructor arguments are PyG's. The sparse path needs ``aggr`` ``'mean'``, ``'sum'`` or ``'add'`` (linear
    aggregations) and ``project=False``; other settings with CSR input raise a ``ValueError`` naming the fix
    (``x.to_dense()``). A bipartite pair ``(x_src, x_dst)`` with ``size`` works as in PyG.

    Shapes: ``x [N, F]`` dense or ``torch.sparse_csr``, ``edge_index [2, E]`` → ``[N, out_channels]``.

    Example:
        >>> conv = SAGEConv(4, 3)
        >>> x = torch.tensor([[0.0, 1.0, 0.0, 0.0], [2.0, 0.0, 0.0, 1.0]])
        >>> ei = torch.tensor([[0, 1], [1, 0]])
        >>> bool(torch.allclose(conv(x.to_sparse_csr(), ei), conv(x, ei), atol=1e-6))
        True
    """

    def forward(self, x, edge_index, size=None) -> Tensor:
        pair = x if isinstance(x, (tuple, list)) else (x, x)
        if not any(isinstance(t, Tensor) and t.layout == torch.sparse_csr for t in pair):
            return super().forward(x, edge_index, size)
        if self.project or str(self.aggr) not in ("mean", "sum", "add"):
            raise ValueError(f"SAGEConv takes torch.sparse_csr input only with a linear aggregation ('mean' / "
                             f"'sum') and project=False (got aggr={self.aggr!r}, project={self.project}); "
                             f"pass x.to_dense()")
        x_src, x_dst = pair
        # transform, then aggregate: exact for a linear aggregation (F.linear takes CSR, forward and backward)
        h = torch.nn.functional.linear(x_src, self.lin_l.weight)
        if not isinstance(x, (tuple, list)):
            out = self.propagate(edge_index, x=(h, h), size=size)
        else:  # bipartite: sources -> targets
            if size is None and x_dst is not None:
                size = (x_src.size(0), x_dst.size(0))
            out = self.propagate(edge_index, x=(h, None), size=size)
        if self.lin_l.bias is not None:
            out = out + self.lin_l.bias
        if self.root_weight and x_dst is not None:
            out = out + self.lin_r(x_dst)
        if self.normalize:
            out = torch.nn.functional.normalize(out, p=2.0, dim=-1)
        return out


class GraphSAGE(_PygGraphSAGE):
    """``torch_geometric.nn.models.GraphSAGE`` built from :class:`SAGEConv`: the same model, and CSR input works.

    Same constructor, parameters (names and initialisation: the random stream is PyG's) and dense numbers as
    PyG's ``GraphSAGE``; a ``torch.sparse_csr`` ``x`` runs the first layer as transform-then-aggregate
    (the hidden layers are dense either way).

    Example:
        >>> net = GraphSAGE(4, 8, 2, 3).eval()
        >>> x = torch.tensor([[0.0, 1.0, 0.0, 0.0], [2.0, 0.0, 0.0, 1.0]])
        >>> ei = torch.tensor([[0, 1], [1, 0]])
        >>> bool(torch.allclose(net(x.to_sparse_csr(), ei), net(x, ei), atol=1e-6))
        True
    """

    def init_conv(self, in_channels, out_channels: int, **kwargs) -> SAGEConv:
        return SAGEConv(in_channels, out_channels, **kwargs)
