"""GCN-Jaccard and GCN-SVD: a GCN on a cleaned graph, trained as `gcn`; DeepRobust's settings as presets."""

import logging

import pytest
import torch

from graphkit import (
    GCN,
    GCNSVD,
    GCNConfig,
    GCNJaccard,
    GCNJaccardConfig,
    GCNSVDConfig,
    datasets,
    fit_gcn_jaccard,
    fit_gcn_svd,
    fit_node_classifier,
)
from graphkit.ops.low_rank import low_rank_adjacency
from graphkit.ops.refine import jaccard_prune


@pytest.fixture(scope="module")
def data():
    d = datasets.load("csbm", num_nodes=200, seed=2)
    d.x = (d.x > 0.5).float()  # binary features: Jaccard has something to measure
    return d


def test_jaccard_with_threshold_zero_is_gcn(data):
    config = GCNJaccardConfig(epochs=5, threshold=0.0)
    jac = fit_gcn_jaccard(GCNJaccard.from_config(config, data), data, config, seed=4, progress=False)
    gcn = fit_node_classifier(GCN.from_config(config, data), data, config, seed=4, progress=False)
    assert jac.metrics == gcn.metrics and jac.removed == 0


def test_jaccard_prunes_and_trains_the_model_passed_in(data):
    config = GCNJaccardConfig(epochs=5, threshold=0.2)
    model = GCNJaccard.from_config(config, data)
    before = [p.clone() for p in model.parameters()]
    result = fit_gcn_jaccard(model, data, config, seed=1, progress=False)
    keep = jaccard_prune(data.x, data.edge_index, 0.2)
    assert torch.equal(result.edge_index, data.edge_index[:, keep]) and result.removed == int((~keep).sum()) > 0
    assert result.model is model and any(not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    assert "jaccard_s" in result.time
    again = fit_gcn_jaccard(GCNJaccard.from_config(config, data), data, config, seed=1, progress=False)
    assert again.metrics == result.metrics
    cosine = fit_gcn_jaccard(model, data, config.replace(binary_feature=False, threshold=0.5), progress=False)
    assert cosine.removed != result.removed


def test_jaccard_skipped_on_one_hot_features(caplog):
    d = datasets.load("csbm", num_nodes=80, avg_degree=4, seed=0)
    d.x = torch.eye(80)
    with caplog.at_level(logging.WARNING, logger="graphkit.models.defenses"):
        result = fit_gcn_jaccard(GCNJaccard(80, 8, 4), d, {"epochs": 2}, progress=False)
    assert "pruning is skipped" in caplog.text and result.removed == 0


def test_svd_layers_are_gcn_layers(data):
    """With the full-rank 'approximation' GCN-SVD is exactly GCN (same parameters, same propagation)."""
    torch.manual_seed(0)
    gcn = GCN(32, 16, 4).eval()
    torch.manual_seed(0)
    svd = GCNSVD(32, 16, 4).eval()
    d = datasets.load("csbm", num_nodes=60, avg_degree=4, seed=1)
    adj = low_rank_adjacency(d.edge_index, 60, 60)
    assert torch.allclose(svd(d.x, adj), gcn(d.x, d.edge_index), atol=1e-4)
    with pytest.raises(TypeError, match="LowRankAdjacency"):
        svd(d.x, d.edge_index)


def test_svd_fit(data):
    config = GCNSVDConfig(epochs=5, rank=10)
    model = GCNSVD.from_config(config, data)
    result = fit_gcn_svd(model, data, config, seed=2, progress=False)
    assert result.model is model and result.adjacency.rank == 10 and "svd_s" in result.time
    assert fit_gcn_svd(GCNSVD.from_config(config, data), data, config, seed=2, progress=False).metrics == \
        result.metrics
    pred = model(data.x, result.adjacency).argmax(-1)
    assert pred.shape == (200,)
    with pytest.raises(ValueError, match="rank=500 exceeds the number of nodes"):
        fit_gcn_svd(model, data, {"rank": 500})
    with pytest.raises(TypeError, match="fit_gcn_svd trains a GCNSVD, got GCNJaccard"):
        fit_gcn_svd(GCNJaccard(32, 8, 4), data)
    with pytest.raises(ValueError, match="unknown key 'k'.*valid keys"):
        fit_gcn_svd(model, data, {"k": 5})


def test_configs_are_deeprobust():
    for config_type in (GCNJaccardConfig, GCNSVDConfig):
        for key in config_type.presets:
            assert isinstance(config_type.paper(key), config_type) and config_type.source_for(key)
        c = config_type()
        assert (c.hidden_channels, c.dropout, c.lr, c.weight_decay, c.epochs, c.patience, c.runs) == \
            (16, 0.5, 0.01, 5e-4, 200, None, 10)
        assert "DeepRobust" in config_type.source
    assert GCNSVDConfig().rank == 50 and GCNSVDConfig.paper("prognn-cora").rank == 15
    assert GCNJaccardConfig.for_dataset("prognn-citeseer", attack="meta", ptb_rate=0.1).threshold == 0.01
    gcn = GCNConfig.for_dataset("prognn-cora", attack="meta", ptb_rate=0.2)  # the `gcn` row of the suite
    assert (gcn.hidden_channels, gcn.patience, gcn.runs) == (16, None, 10)
    with pytest.raises(ValueError, match=r"threshold must be in \[0, 1\]"):
        GCNJaccardConfig(threshold=-0.1)
    assert GCNJaccardConfig(threshold=-0.1, binary_feature=False).threshold == -0.1
    with pytest.raises(ValueError, match="rank must be >= 1"):
        GCNSVDConfig(rank=0)
