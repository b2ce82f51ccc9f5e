"""Connected components and the largest one against a breadth-first search on the dense adjacency."""

from __future__ import annotations

import pytest
import scipy.sparse as sp
import torch

from graphkit.ops import sym_norm
from graphkit.ops.components import connected_components, largest_component
from tests.conftest import random_graph


def dense_adjacency(edge_index, n):
    a = torch.zeros(n, n)
    a[edge_index[0], edge_index[1]] = 1.0
    return a


def components_bfs(a):
    """Weak components by a search over the dense matrix, numbered by their smallest node id."""
    n = a.size(0)
    label = [-1] * n
    count = 0
    for s in range(n):
        if label[s] >= 0:
            continue
        stack, label[s] = [s], count
        while stack:
            u = stack.pop()
            for v in range(n):
                if (a[u, v] != 0 or a[v, u] != 0) and label[v] < 0:
                    label[v] = count
                    stack.append(v)
        count += 1
    return count, label


def largest_bfs(a):
    count, label = components_bfs(a)
    sizes = [label.count(c) for c in range(count)]
    best = sizes.index(max(sizes))  # first maximum: the component of the smallest id
    return [lab == best for lab in label]


@pytest.mark.parametrize("seed", [0, 3])
def test_connected_components_match_bfs(seed):
    edge_index = random_graph(20, 9, seed, undirected=False)
    count, labels = connected_components(edge_index, 23)
    ref_count, ref = components_bfs(dense_adjacency(edge_index, 23))
    assert count == ref_count
    assert labels.tolist() == ref


@pytest.mark.parametrize("seed", [0, 1, 2, 5])
def test_largest_component_matches_bfs(seed):
    edge_index = random_graph(30, 14, seed, undirected=False)  # directed: components are weak
    mask = largest_component(edge_index, 33)
    assert mask.dtype == torch.bool and mask.shape == (33,)
    assert mask.tolist() == largest_bfs(dense_adjacency(edge_index, 33))


def test_largest_component_ties_go_to_the_component_of_the_smallest_id():
    # {0, 1} and {3, 4} both have two nodes, node 2 is alone
    edge_index = torch.tensor([[4, 3, 0], [3, 4, 1]])
    assert largest_component(edge_index, 5).tolist() == [True, True, False, False, False]
    # relabel so that the pair holding the smallest id is {1, 2}
    edge_index = torch.tensor([[3, 4, 1], [4, 3, 2]])
    assert largest_component(edge_index, 5).tolist() == [False, True, True, False, False]
    # all isolated: every component has one node, node 0's wins
    assert largest_component(torch.empty(2, 0, dtype=torch.long), 3).tolist() == [True, False, False]


def test_empty_graph_gives_empty_results():
    empty = torch.empty(2, 0, dtype=torch.long)
    count, labels = connected_components(empty, 0)
    assert count == 0 and labels.shape == (0,) and labels.dtype == torch.long
    mask = largest_component(empty, 0)
    assert mask.shape == (0,) and mask.dtype == torch.bool


def test_inputs_csr_and_scipy_agree_with_edge_index():
    edge_index = random_graph(12, 10, 4)
    expected = largest_component(edge_index, 15)
    assert torch.equal(largest_component(sym_norm(edge_index, 15)), expected)
    scipy = sp.csr_matrix(dense_adjacency(edge_index, 15).numpy())
    assert torch.equal(largest_component(scipy), expected)
    with pytest.raises(ValueError, match="square"):
        connected_components(sp.csr_matrix((2, 3)))
