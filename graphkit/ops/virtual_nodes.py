r"""Label carriers for forward learning on graphs (Park et al., ICLR 2024, https://arxiv.org/abs/2403.11004).

Two ways to put a node's (known or candidate) label into the graph, so that a layer's local objective can
tell a right label from a wrong one without back-propagation from an output layer:

- :func:`class_node_edges`: **virtual class nodes**. The graph gets :math:`C` extra nodes
  :math:`N, \dots, N + C - 1`, one per class; node :math:`v` with label :math:`c` is joined to node
  :math:`N + c` in both directions. Nodes without a given label get no such edge.
- :func:`label_matrix`: **label appending**. One row per node: the one-hot vector of its label, or the
  uniform vector :math:`1/C` for a node without one (Hinton's forward-forward convention).

Both are pure functions of the labels; the graphs and matrices they return are built once per label
assignment and reused.
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["class_node_edges", "label_matrix", "with_class_nodes"]


def _check_labels(labels: Tensor, num_classes: int) -> None:
    if labels.dim() != 1:
        raise ValueError(f"labels must be a [N] tensor, got shape {tuple(labels.shape)}")
    if labels.numel() and int(labels.max()) >= num_classes:
        raise ValueError(f"labels go up to {int(labels.max())} but num_classes={num_classes}")


def class_node_edges(labels: Tensor, num_classes: int) -> Tensor:
    r"""Edges between every node with a label (``labels[v] >= 0``) and its class node :math:`N + c`.

    Args:
        labels: ``[N]`` int64, the class of each node, ``-1`` for none (no edge).
        num_classes: :math:`C`.

    Returns:
        ``[2, 2K]`` edges for the :math:`K` labelled nodes: first node → class node, then class node →
        node, nodes in ascending order.

    Example:
        >>> class_node_edges(torch.tensor([1, -1, 0]), 2)
        tensor([[0, 2, 4, 3],
                [4, 3, 0, 2]])
    """
    _check_labels(labels, num_classes)
    nodes = (labels >= 0).nonzero().view(-1)
    virtual = labels.size(0) + labels[nodes]
    return torch.stack([torch.cat([nodes, virtual]), torch.cat([virtual, nodes])])


def with_class_nodes(edge_index: Tensor, labels: Tensor, num_classes: int) -> Tensor:
    """``edge_index`` followed by :func:`class_node_edges` (a graph on :math:`N + C` nodes).

    Example:
        >>> with_class_nodes(torch.tensor([[0, 1], [1, 0]]), torch.tensor([0, -1]), 2)
        tensor([[0, 1, 0, 2],
                [1, 0, 2, 0]])
    """
    return torch.cat([edge_index, class_node_edges(labels, num_classes).to(edge_index.device)], dim=1)


def label_matrix(labels: Tensor, num_classes: int, dtype: torch.dtype = torch.float) -> Tensor:
    """``[N, C]``: the one-hot row of ``labels[v]``, or :math:`1/C` everywhere where ``labels[v] < 0``.

    Example:
        >>> label_matrix(torch.tensor([1, -1]), 2)
        tensor([[0.0000, 1.0000],
                [0.5000, 0.5000]])
    """
    _check_labels(labels, num_classes)
    out = torch.full((labels.size(0), num_classes), 1.0 / num_classes, dtype=dtype, device=labels.device)
    known = labels >= 0
    out[known] = torch.nn.functional.one_hot(labels[known], num_classes).to(dtype)
    return out
