"""graphkit.ops.virtual_nodes: class nodes and appended labels, against hand-written expectations."""

import pytest
import torch

from graphkit.ops.virtual_nodes import class_node_edges, label_matrix, with_class_nodes


def test_class_node_edges_by_hand():
    # nodes 0..3; node 0 is class 1, node 2 class 0, nodes 1 and 3 unlabelled -> class nodes 4 (c=0), 5 (c=1)
    edges = class_node_edges(torch.tensor([1, -1, 0, -1]), 2)
    assert edges.tolist() == [[0, 2, 5, 4], [5, 4, 0, 2]]
    pairs = set(map(tuple, edges.t().tolist()))
    assert pairs == {(0, 5), (5, 0), (2, 4), (4, 2)}, "both directions, unlabelled nodes untouched"


def test_with_class_nodes_keeps_the_graph_first():
    ei = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])
    out = with_class_nodes(ei, torch.tensor([0, 0, -1]), 3)
    assert torch.equal(out[:, :4], ei) and out[:, 4:].tolist() == [[0, 1, 3, 3], [3, 3, 0, 1]]
    assert with_class_nodes(ei, torch.full((3,), -1), 3).shape == (2, 4)


def test_label_matrix_by_hand():
    out = label_matrix(torch.tensor([2, -1, 0]), 3)
    third = 1.0 / 3
    torch.testing.assert_close(out, torch.tensor([[0.0, 0.0, 1.0], [third, third, third], [1.0, 0.0, 0.0]]))
    assert label_matrix(torch.tensor([1]), 2, torch.float64).dtype == torch.float64


def test_labels_beyond_the_classes_are_refused():
    with pytest.raises(ValueError, match="labels go up to 3 but num_classes=3"):
        class_node_edges(torch.tensor([0, 3]), 3)
    with pytest.raises(ValueError, match=r"\[N\] tensor"):
        label_matrix(torch.zeros(2, 2, dtype=torch.long), 2)
