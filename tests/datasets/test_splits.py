import pytest
import torch
from torch_geometric.data import Data

from graphkit.datasets.splits import random_link_split, undirected_edges
from tests.conftest import random_graph


def _graph(seed=0, n=300, m=1500):
    return Data(x=torch.randn(n, 8), edge_index=random_graph(n, m, seed), num_nodes=n)


def _keys(pairs, n):
    lo, hi = torch.minimum(pairs[0], pairs[1]), torch.maximum(pairs[0], pairs[1])
    return set((lo * n + hi).tolist())


@pytest.mark.parametrize("ratios", [(0.1, 0.2), (0.05, 0.1)])
def test_split_partitions_edges_without_leakage(ratios):
    data = _graph()
    n = data.num_nodes
    split = random_link_split(data, val_ratio=ratios[0], test_ratio=ratios[1], seed=3)
    all_edges = _keys(undirected_edges(data.edge_index, n), n)
    train, val, test = (_keys(p, n) for p in (split.train_pos, split.valid_pos, split.test_pos))
    assert train | val | test == all_edges
    assert not (train & val) and not (train & test) and not (val & test)
    assert len(val) == int(ratios[0] * len(all_edges)) and len(test) == int(ratios[1] * len(all_edges))
    # the message-passing graph holds exactly the training edges, both directions
    assert _keys(split.edge_index, n) == train and split.edge_index.size(1) == 2 * len(train)
    # negatives: not edges, as many as positives, disjoint between stages
    vneg, tneg = _keys(split.valid_neg, n), _keys(split.test_neg, n)
    assert not (vneg & all_edges) and not (tneg & all_edges) and not (vneg & tneg)
    assert split.valid_neg.size(1) == len(val) and split.test_neg.size(1) == len(test)
    assert torch.equal(split.x, data.x)
    assert "LinkSplit(" in repr(split) and f"train={len(train)}" in repr(split)


def test_split_is_seeded():
    data = _graph()
    a, b, c = (random_link_split(data, seed=s) for s in (1, 1, 2))
    assert torch.equal(a.test_pos, b.test_pos) and torch.equal(a.valid_neg, b.valid_neg)
    assert not torch.equal(a.test_pos, c.test_pos)


def test_graph_for_and_pairs():
    split = random_link_split(_graph(), seed=0)
    assert split.graph_for("test") is split.edge_index
    split.test_edge_index = torch.zeros(2, 1, dtype=torch.long)
    assert split.graph_for("test") is split.test_edge_index and split.graph_for("valid") is split.edge_index
    assert split.pairs("valid")[0] is split.valid_pos
    with pytest.raises(ValueError, match="stage must be"):
        split.graph_for("dev")
    with pytest.raises(ValueError, match="stage must be"):
        split.pairs("train")


def test_bad_ratios_and_tiny_graphs():
    with pytest.raises(ValueError, match="sum below 1"):
        random_link_split(_graph(), val_ratio=0.5, test_ratio=0.5)
    with pytest.raises(ValueError, match="too few to split"):
        random_link_split(Data(edge_index=torch.tensor([[0], [0]]), num_nodes=2))
    with pytest.raises(ValueError, match="neg_ratio"):
        random_link_split(_graph(), neg_ratio=0)
