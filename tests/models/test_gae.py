"""GAE: the inner-product decoder, its config, and the generic link procedure ``fit_link_predictor``."""

import pytest
import torch
from torch_geometric.data import Data

from graphkit.datasets.splits import random_link_split
from graphkit.models.gae import GAE, GAEConfig, fit_link_predictor
from graphkit.train.link_prediction import evaluate_link
from tests.conftest import random_graph


@pytest.mark.parametrize("encoder", ["gcn", "sage"])
def test_score_is_inner_product_of_encodings(encoder):
    x, ei = torch.randn(25, 6), random_graph(25, 50, seed=1)
    model = GAE(6, 8, encoder=encoder).eval()
    h = model.encode(x, ei)
    pairs = torch.tensor([[0, 3, 7], [1, 3, 24]])
    expected = torch.stack([h[i] @ h[j] for i, j in pairs.t().tolist()])
    assert torch.allclose(model.score(h, ei, pairs), expected, atol=1e-6)
    assert torch.allclose(model(x, ei, pairs), expected, atol=1e-6)
    assert repr(model) == f"GAE(encoder={encoder}, 6, 8, num_layers=2, embedding=False)"


def test_featureless_uses_embedding():
    ei = random_graph(25, 50, seed=1)
    model = GAE(0, 8, num_nodes=25)
    assert model.encode(None, ei).shape == (25, 8)
    assert "embedding=True" in repr(model)
    before = model.embedding.weight.detach().clone()
    model.reset_parameters()
    assert not torch.equal(before, model.embedding.weight)


def test_errors():
    with pytest.raises(ValueError, match="needs num_nodes"):
        GAE(0, 8)
    with pytest.raises(ValueError, match="unknown encoder 'gat'; valid: gcn, sage"):
        GAE(4, 8, encoder="gat")
    with pytest.raises(ValueError, match="x is None"):
        GAE(4, 8).encode(None, random_graph(5, 5, 0))
    with pytest.raises(ValueError, match="dropout must be < 1.0"):
        GAE(4, 8, dropout=1.0)


# ----------------------------------------------------------------------------- config


def test_config_defaults_are_the_benchmark_settings_and_errors_name_the_fix():
    config = GAEConfig.for_dataset("cora")
    assert (config.hidden_channels, config.num_layers, config.lr, config.patience, config.runs, config.metric) == \
        (64, 2, 0.01, 20, 3, None)
    assert "NCN" in GAEConfig.source_for("cora") and GAEConfig.presets == {}
    with pytest.raises(ValueError, match=r"GAEConfig: unknown key 'lrr' \(did you mean 'lr'\?\)"):
        GAEConfig.from_dict({"lrr": 0.1})
    with pytest.raises(ValueError, match="GAEConfig: encoder='gat' is not one of gcn, sage"):
        GAEConfig(encoder="gat")
    with pytest.raises(ValueError, match="GAEConfig: epochs must be >= 1"):
        GAEConfig(epochs=0)
    with pytest.raises(ValueError, match="GAEConfig: eval_every must be >= 1"):
        GAEConfig(eval_every=0)
    with pytest.raises(ValueError, match=r"GAEConfig: metric='auc@3'.*hits@K"):
        GAEConfig(metric="auc@3")


def test_from_config_sizes_the_model():
    split = community_split()
    model = GAE.from_config(GAEConfig(hidden_channels=8, encoder="sage", num_layers=3), split)
    assert repr(model) == "GAE(encoder=sage, 6, 8, num_layers=3, embedding=False)"
    split.x = None
    assert GAE.from_config({"hidden_channels": 8}, split).embedding.weight.shape == (split.num_nodes, 8)


# ----------------------------------------------------------------------------- the procedure


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
    config = GAEConfig(hidden_channels=32, epochs=30, batch_size=2048, metric="hits@50", patience=None)
    model = GAE.from_config(config, split)
    torch.manual_seed(0)  # the initial parameters fit_link_predictor draws with seed=0
    before = evaluate_link(GAE.from_config(config, split), split, "test", "hits@50")
    res = fit_link_predictor(model, split, config, progress=False)
    assert res.model is model and res.split is split
    assert set(res.metrics) == {"valid_hits@50", "test_hits@50"}
    assert res.metrics["test_hits@50"] > before + 0.1
    assert res.metrics["valid_hits@50"] == pytest.approx(max(h["valid_hits@50"] for h in res.history))
    assert res.history[-1]["loss"] < res.history[0]["loss"]


def test_trains_the_model_passed_in_and_is_seeded():
    split = community_split(seed=2)
    config = GAEConfig(hidden_channels=16, epochs=3, batch_size=256)
    model = GAE.from_config(config, split)
    before = [p.detach().clone() for p in model.parameters()]
    a = fit_link_predictor(model, split, config, seed=4, progress=False)
    assert a.model is model and a.config is config
    assert any(not torch.equal(p, q) for p, q in zip(before, model.parameters(), strict=True))
    b = fit_link_predictor(model, split, config, seed=4, progress=False)  # re-initialised: the same run
    assert a.metrics == b.metrics and a.history == b.history
    assert a.metrics["test_hits@100"] == evaluate_link(model, split, "test", "hits@100")


def test_node_dataset_gets_a_seeded_random_split_and_patience_stops():
    gen = torch.Generator().manual_seed(0)
    block = torch.arange(200) % 4
    src = torch.randint(0, 200, (1200,), generator=gen)
    dst = torch.randint(0, 50, (1200,), generator=gen) * 4 + block[src]
    ei = torch.cat([torch.stack([src, dst]), torch.stack([dst, src])], 1)
    data = Data(x=torch.randn(200, 8, generator=gen), edge_index=ei, num_nodes=200)
    config = GAEConfig(hidden_channels=16, epochs=200, patience=2, lr=0.05)
    a = fit_link_predictor(GAE.from_config(config, data), data, config, seed=1, progress=False)
    b = fit_link_predictor(GAE.from_config(config, data), data, config, seed=2, progress=False)
    assert not torch.equal(a.split.test_pos, b.split.test_pos)  # redrawn per seed
    assert torch.equal(a.split.test_pos, random_link_split(data, seed=1).test_pos)
    assert a.epochs_run < 200 and a.best_epoch == a.epochs_run - 3  # stopped 2 evaluations after the best


def test_featureless_graph_and_eval_every():
    split = community_split(seed=1)
    split.x = None
    config = GAEConfig(hidden_channels=16, epochs=6, eval_every=3, metric="hits@10", batch_size=1024)
    res = fit_link_predictor(GAE.from_config(config, split), split, config, progress=False)
    assert [h["epoch"] for h in res.history] == [2, 5]
    assert 0.0 <= res.metrics["test_hits@10"] <= 1.0


def test_wrong_model_or_config_raise_one_line_errors():
    split = community_split()
    with pytest.raises(TypeError, match="fit_link_predictor trains a GAE, got Linear: build one with GAE.from_config"):
        fit_link_predictor(torch.nn.Linear(2, 2), split)
    with pytest.raises(ValueError, match="GAEConfig: unknown key 'epoch'"):
        fit_link_predictor(GAE(6, 8), split, {"epoch": 3})
