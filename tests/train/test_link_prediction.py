"""What link procedures share: the split, the metric, the per-epoch batches, the loss, evaluation."""

import pytest
import torch
import torch.nn.functional as F
from torch_geometric.data import Data

from graphkit.datasets.splits import LinkSplit, random_link_split
from graphkit.ops.negative_sampling import sample_negatives
from graphkit.train.link_prediction import (
    DEFAULT_METRIC,
    evaluate_link,
    link_batches,
    link_loss,
    link_split,
    resolve_metric,
    split_metric,
)
from tests.conftest import random_graph


def _data(n=40, seed=0):
    ei = torch.unique(random_graph(n, 120, seed), dim=1)
    ei = ei[:, ei[0] != ei[1]]
    return Data(x=torch.randn(n, 3, generator=torch.Generator().manual_seed(seed)), edge_index=ei, num_nodes=n)


class _Dot(torch.nn.Module):
    """A parameter-free link model: h = x, s = <h_i, h_j>."""

    def encode(self, x, edge_index):
        return x

    def score(self, h, edge_index, pairs):
        return (h[pairs[0]] * h[pairs[1]]).sum(-1)


def test_link_split_draws_the_seeded_split_of_node_data_and_keeps_a_link_split():
    data = _data()
    split = link_split(data, val_ratio=0.1, test_ratio=0.2, seed=3)
    reference = random_link_split(data, val_ratio=0.1, test_ratio=0.2, seed=3)
    assert isinstance(split, LinkSplit) and torch.equal(split.test_pos, reference.test_pos)
    assert link_split(split, val_ratio=0.5, test_ratio=0.4, seed=9) is split
    with pytest.raises(TypeError, match="LinkSplit or a PyG Data"):
        link_split(torch.zeros(2, 3), val_ratio=0.1, test_ratio=0.2, seed=0)
    with pytest.raises(ValueError, match="edge_index is missing"):
        link_split(Data(x=torch.randn(3, 2)), val_ratio=0.1, test_ratio=0.2, seed=0)


def test_resolve_metric_prefers_the_config_then_the_split():
    from graphkit.metrics import MeaninglessMetricWarning

    split = link_split(_data(), val_ratio=0.1, test_ratio=0.2, seed=0)
    with pytest.warns(MeaninglessMetricWarning, match=r"hits@100 with 10 negative.*set metric='hits@N' with N < 10"):
        assert resolve_metric(split, None) == DEFAULT_METRIC == "hits@100"
    assert resolve_metric(split, "hits@5") == "hits@5"  # K below the pool: no warning
    split.extra["metric"] = "mrr"  # what OGB loaders set
    assert resolve_metric(split, None) == "mrr"
    with pytest.warns(MeaninglessMetricWarning):
        assert resolve_metric(split, "hits@20") == "hits@20"
    with pytest.raises(ValueError, match="unknown link metric 'auc@3'"):
        resolve_metric(split, "auc@3")


def test_link_batches_draw_negatives_then_the_order_and_drop_the_last():
    pos = torch.unique(random_graph(30, 50, 1), dim=1)
    pos = pos[:, pos[0] < pos[1]]
    num = pos.size(1)
    batches = list(link_batches(pos, 30, 8, generator=torch.Generator().manual_seed(5)))
    # the same draws in the same order: negatives first, then a permutation of the positives
    gen = torch.Generator().manual_seed(5)
    neg = sample_negatives(30, num, exclude=pos, generator=gen)
    order = torch.randperm(num, generator=gen)
    assert torch.equal(torch.cat([b[0] for b in batches]), order)
    for index, p, q in batches:
        assert torch.equal(p, pos[:, index]) and torch.equal(q, neg[:, index])
    assert [b[0].numel() for b in batches] == [8] * (num // 8) + ([num % 8] if num % 8 else [])
    dropped = list(link_batches(pos, 30, 8, generator=torch.Generator().manual_seed(5), drop_last=True))
    assert [b[0].numel() for b in dropped] == [8] * (num // 8)
    capped = list(link_batches(pos, 30, 8, generator=torch.Generator().manual_seed(5), max_steps=2))
    assert len(capped) == 2 and torch.equal(capped[1][0], batches[1][0])
    # negatives avoid the training edges in both orientations
    keys = set((pos[0] * 30 + pos[1]).tolist()) | set((pos[1] * 30 + pos[0]).tolist())
    assert not keys & set((neg[0] * 30 + neg[1]).tolist())


def test_link_loss_is_the_binary_cross_entropy_of_both_sides():
    pos, neg = torch.tensor([2.0, -1.0, 0.5]), torch.tensor([-3.0, 1.0])
    expected = F.binary_cross_entropy_with_logits(pos, torch.ones(3)) + \
        F.binary_cross_entropy_with_logits(neg, torch.zeros(2))
    torch.testing.assert_close(link_loss(pos, neg), expected)


def test_evaluate_link_chunks_give_the_same_metric_and_graph_overrides():
    split = link_split(_data(60), val_ratio=0.1, test_ratio=0.2, seed=0)
    model = _Dot()
    pos, neg = split.pairs("test")
    expected = split_metric(split, "hits@10", model.score(split.x, None, pos), model.score(split.x, None, neg))
    for batch_size in (None, 1, 7, 65536):
        assert evaluate_link(model, split, "test", "hits@10", batch_size=batch_size) == expected
    seen = []

    class _Spy(_Dot):
        def encode(self, x, edge_index):
            seen.append(edge_index)
            return x

    evaluate_link(_Spy(), split, "valid", "hits@10", graph="a prebuilt adjacency")
    assert seen == ["a prebuilt adjacency"]


def test_split_metric_groups_per_positive_negatives():
    split = link_split(_data(), val_ratio=0.1, test_ratio=0.2, seed=0)
    split.neg_per_positive = 2
    pos = torch.tensor([1.0, 0.0])
    neg = torch.tensor([0.5, 2.0, -1.0, -2.0])  # positive 0 ranks 2nd of 3, positive 1 ranks 1st
    assert split_metric(split, "mrr", pos, neg) == pytest.approx((1 / 2 + 1) / 2)
