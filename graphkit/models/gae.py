r"""GAE-style link predictor: a GNN encoder and a dot-product decoder.

Kipf & Welling, *Variational Graph Auto-Encoders* (2016),
https://arxiv.org/abs/1611.07308. The score of a query pair is

.. math::
    s(i, j) = \langle h_i, h_j \rangle, \qquad H = \mathrm{GNN}(X, A),

trained with the binary cross-entropy of :math:`\sigma(s)` on positives and
sampled negatives. Feature-less graphs get a learnable node embedding as
input.

Every link model in graphkit exposes the same two calls, which the
link-prediction loop uses:

- ``encode(x, edge_index) -> h`` once per step over the message-passing graph;
- ``score(h, edge_index, edge_label_index) -> logits [B]`` for query pairs.
"""

from __future__ import annotations

from torch import Tensor, nn

from graphkit.models.baselines import GCN, SAGE, node_embedding

_ENCODERS = {"gcn": GCN, "sage": SAGE}


class GAE(nn.Module):
    """GNN encoder + inner-product decoder.

    Args:
        in_channels: node feature size; ``0`` for feature-less graphs, which
            then need ``num_nodes`` for a learnable embedding.
        hidden_channels: embedding size (also of every hidden layer).
        num_layers: encoder depth. (default: ``2``)
        dropout: encoder dropout. (default: ``0.0``)
        encoder: ``'gcn'`` or ``'sage'``. (default: ``'gcn'``)
        num_nodes: required when ``in_channels == 0``.

    Shapes:
        - encode: ``x [N, F]`` (or ``None``), ``edge_index [2, E]`` → ``[N, hidden]``
        - score: ``h [N, hidden]``, ``edge_label_index [2, B]`` → ``[B]``
    """

    def __init__(self, in_channels: int, hidden_channels: int, *, num_layers: int = 2,
                 dropout: float = 0.0, encoder: str = "gcn", num_nodes: int | None = None):
        super().__init__()
        if encoder not in _ENCODERS:
            raise ValueError(f"GAE: unknown encoder {encoder!r}; valid: {', '.join(_ENCODERS)}")
        if in_channels == 0 and not num_nodes:
            raise ValueError("GAE: a feature-less graph (in_channels=0) needs num_nodes for the node embedding")
        self.embedding = node_embedding(num_nodes, hidden_channels) if in_channels == 0 else None
        self.encoder_name = encoder
        self.encoder = _ENCODERS[encoder](in_channels or hidden_channels, hidden_channels, hidden_channels,
                                          num_layers=num_layers, dropout=dropout)

    def reset_parameters(self) -> None:
        self.encoder.reset_parameters()
        if self.embedding is not None:
            nn.init.xavier_uniform_(self.embedding.weight)

    def encode(self, x: Tensor | None, edge_index: Tensor) -> Tensor:
        if self.embedding is not None:
            x = self.embedding.weight
        elif x is None:
            raise ValueError("GAE was built for node features but x is None")
        return self.encoder(x, edge_index)

    def score(self, h: Tensor, edge_index: Tensor, edge_label_index: Tensor) -> Tensor:
        return (h[edge_label_index[0]] * h[edge_label_index[1]]).sum(dim=-1)

    def __repr__(self) -> str:
        enc = self.encoder
        return (f"GAE(encoder={self.encoder_name}, {enc.in_channels}, {enc.hidden_channels}, "
                f"num_layers={enc.num_layers}, embedding={self.embedding is not None})")
