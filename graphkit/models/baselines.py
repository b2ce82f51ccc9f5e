"""The baselines every paper compares against: MLP, GCN and GraphSAGE (PyG's layers).

All three share one signature, ``model(x, edge_index) -> logits [N, C]``, so the
node-classification loop and the runner treat them alike. The MLP ignores
``edge_index``.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch_geometric.nn.models import GCN as PygGCN
from torch_geometric.nn.models import MLP as PygMLP
from torch_geometric.nn.models import GraphSAGE as PygSAGE
from torch_geometric.utils import add_self_loops


class _Baseline(nn.Module):
    def __init__(self, in_channels: int, hidden_channels: int, out_channels: int, *,
                 num_layers: int = 2, dropout: float = 0.5):
        super().__init__()
        if min(in_channels, hidden_channels, out_channels) < 1:
            raise ValueError(
                f"{type(self).__name__}: channel sizes must be positive, got "
                f"in={in_channels}, hidden={hidden_channels}, out={out_channels}"
            )
        if num_layers < 1:
            raise ValueError(f"{type(self).__name__}: num_layers must be >= 1, got {num_layers}")
        if not 0 <= dropout < 1:
            raise ValueError(f"{type(self).__name__}: dropout must be in [0, 1), got {dropout}")
        self.in_channels, self.hidden_channels, self.out_channels = in_channels, hidden_channels, out_channels
        self.num_layers, self.dropout = num_layers, dropout

    def reset_parameters(self) -> None:
        self.net.reset_parameters()

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.hidden_channels}, {self.out_channels}, "
                f"num_layers={self.num_layers}, dropout={self.dropout}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"


class MLP(_Baseline):
    """Multi-layer perceptron on node features alone (ReLU, dropout, no norm)."""

    def __init__(self, in_channels, hidden_channels, out_channels, *, num_layers=2, dropout=0.5):
        super().__init__(in_channels, hidden_channels, out_channels, num_layers=num_layers, dropout=dropout)
        self.net = PygMLP(in_channels=in_channels, hidden_channels=hidden_channels,
                          out_channels=out_channels, num_layers=num_layers, dropout=dropout, norm=None)

    def forward(self, x: Tensor, edge_index: Tensor | None = None) -> Tensor:
        return self.net(x)


class GCN(_Baseline):
    """GCN (Kipf & Welling, 2017, https://arxiv.org/abs/1609.02907) via PyG's ``GCNConv``."""

    def __init__(self, in_channels, hidden_channels, out_channels, *, num_layers=2, dropout=0.5):
        super().__init__(in_channels, hidden_channels, out_channels, num_layers=num_layers, dropout=dropout)
        self.net = PygGCN(in_channels, hidden_channels, num_layers, out_channels, dropout=dropout)

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:
        return self.net(x, edge_index)


class SAGE(_Baseline):
    """GraphSAGE (Hamilton et al., 2017, https://arxiv.org/abs/1706.02216).

    ``aggr='mean'`` (default) is PyG's GraphSAGE: ``W_1 x_v + W_2 mean_{u in N(v)} x_u``.
    ``aggr='gcn'`` is the paper's GCN-style variant that DGL's ``SAGEConv(..., 'gcn')``
    implements and GLNN uses for its teacher: one weight on the mean over
    ``N(v) ∪ {v}``, ``W (x_v + sum_{u in N(v)} x_u) / (d_v + 1)``.
    """

    def __init__(self, in_channels, hidden_channels, out_channels, *, num_layers=2, dropout=0.5,
                 aggr: str = "mean"):
        super().__init__(in_channels, hidden_channels, out_channels, num_layers=num_layers, dropout=dropout)
        if aggr not in ("mean", "gcn"):
            raise ValueError(f"SAGE: aggr must be 'mean' or 'gcn', got {aggr!r}")
        self.aggr = aggr
        self.net = PygSAGE(in_channels, hidden_channels, num_layers, out_channels, dropout=dropout,
                           root_weight=aggr == "mean")

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:
        if self.aggr == "gcn":
            edge_index, _ = add_self_loops(edge_index, num_nodes=x.size(0))
        return self.net(x, edge_index)

    def extra_repr(self) -> str:
        return super().extra_repr() + f", aggr={self.aggr!r}"


def node_embedding(num_nodes: int, dim: int) -> nn.Embedding:
    """Learnable features for feature-less graphs (Xavier-initialised)."""
    emb = nn.Embedding(num_nodes, dim)
    torch.nn.init.xavier_uniform_(emb.weight)
    return emb
