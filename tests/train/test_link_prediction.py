import pytest
import torch
from torch_geometric.data import Data

from graphkit.datasets.splits import random_link_split
from graphkit.models import GAE
from graphkit.train.link_prediction import evaluate_link, train_link_predictor


def community_split(seed=0, n=300, blocks=6):
    gen = torch.Generator().manual_seed(seed)
    block = torch.arange(n) % blocks
    src = torch.randint(0, n, (6 * n,), generator=gen)
    dst = torch.randint(0, n // blocks, (6 * n,), generator=gen) * blocks + block[src]
    x = torch.nn.functional.one_hot(block, blocks).float() + 0.5 * torch.randn(n, blocks, generator=gen)
    data = Data(x=x, edge_index=torch.stack([src, dst]), num_nodes=n)
    return random_link_split(data, seed=seed)


@pytest.mark.parametrize("seed", [0, 1])
def test_gae_learns_community_links(seed):
    # uninformative features: only training on the graph can separate the pairs
    split = community_split(seed=seed, n=400, blocks=4)
    split.x = torch.randn(split.num_nodes, 16, generator=torch.Generator().manual_seed(seed))
    torch.manual_seed(0)
    model = GAE(split.num_features, 32)
    before = evaluate_link(model, split, "test", "hits@50")
    res = train_link_predictor(model, split, epochs=30, lr=0.01, batch_size=2048, metric="hits@50")
    assert set(res.metrics) == {"valid_hits@50", "test_hits@50"}
    assert res.metrics["test_hits@50"] > before + 0.1
    assert res.metrics["valid_hits@50"] == pytest.approx(max(h["valid_hits@50"] for h in res.history))
    assert res.history[-1]["loss"] < res.history[0]["loss"]


def test_featureless_graph_and_eval_every():
    split = community_split(seed=1)
    split.x = None
    model = GAE(0, 16, num_nodes=split.num_nodes)
    res = train_link_predictor(model, split, epochs=6, eval_every=3, metric="hits@10", batch_size=1024)
    assert [h["epoch"] for h in res.history] == [2, 5]
    assert 0.0 <= res.metrics["test_hits@10"] <= 1.0


def test_same_seed_same_result():
    split = community_split(seed=2)
    out = []
    for _ in range(2):
        torch.manual_seed(0)
        out.append(train_link_predictor(GAE(split.num_features, 16), split, epochs=3, seed=4,
                                        batch_size=256).metrics)
    assert out[0] == out[1]


def test_bad_arguments():
    split = community_split()
    with pytest.raises(ValueError, match="epochs must be >= 1"):
        train_link_predictor(GAE(split.num_features, 8), split, epochs=0)
    with pytest.raises(ValueError, match="eval_every"):
        train_link_predictor(GAE(split.num_features, 8), split, eval_every=0)
    with pytest.raises(ValueError, match="hits@"):
        train_link_predictor(GAE(split.num_features, 8), split, metric="auc@3")
