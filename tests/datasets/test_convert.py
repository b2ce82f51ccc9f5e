"""networkx in: graphkit.datasets.from_networkx (edge weights as edge_weight, node attributes, node order)."""

import pytest
import torch

from graphkit.datasets import from_networkx
from graphkit.datasets.convert import is_networkx

nx = pytest.importorskip("networkx")


def test_undirected_weighted_graph_with_isolated_node_and_self_loop():
    g = nx.Graph()
    g.add_edge("a", "b", weight=2.5)
    g.add_edge("b", "b", weight=4.0)  # a self-loop: stored once
    g.add_node("z")
    data = from_networkx(g)
    assert data.node_ids == ["a", "b", "z"] and data.num_nodes == 3
    assert data.edge_index.tolist() == [[0, 1, 1], [1, 1, 0]]
    assert data.edge_weight.tolist() == [2.5, 4.0, 2.5] and data.edge_weight.dtype == torch.float32


def test_directed_multigraph_and_missing_weights():
    g = nx.MultiDiGraph()
    g.add_edge(0, 1)
    g.add_edge(0, 1, weight=3)  # a parallel edge keeps its own weight; edges without one weigh 1
    g.add_edge(2, 0, weight=0.5)
    data = from_networkx(g)
    assert data.edge_index.tolist() == [[0, 0, 2], [1, 1, 0]] and data.edge_weight.tolist() == [1.0, 3.0, 0.5]
    assert "edge_weight" not in from_networkx(nx.path_graph(3))  # no weights at all: none stored
    assert "edge_weight" not in from_networkx(g, weight=None)


def test_node_attributes_become_x_y_and_masks():
    g = nx.path_graph(3)
    for i in g.nodes:
        g.nodes[i].update(x=[float(i), 1.0], y=i % 2, train_mask=i == 0)
    g.nodes[2]["extra"] = 1
    data = from_networkx(g)
    assert data.x.tolist() == [[0.0, 1.0], [1.0, 1.0], [2.0, 1.0]] and data.x.dtype == torch.float32
    assert data.y.tolist() == [0, 1, 0] and data.train_mask.tolist() == [True, False, False]
    assert "extra" not in data  # only when every node has it, and only the known keys


def test_errors():
    with pytest.raises(TypeError, match="networkx graph"):
        from_networkx(torch.zeros(2, 3))
    g = nx.Graph()
    g.add_edge(0, 1, weight="heavy")
    with pytest.raises(TypeError, match="edge attribute 'weight' must hold numbers"):
        from_networkx(g)
    assert is_networkx(g) and not is_networkx(object())
