import pytest
import torch
from torch_geometric.data import Data

from graphkit import datasets
from graphkit.models.baselines import (
    GCN,
    MLP,
    SAGE,
    GCNConfig,
    MLPConfig,
    NodeClassifierConfig,
    SAGEConfig,
    fit_node_classifier,
)
from graphkit.models.procedure import GraphInfo
from tests.conftest import random_graph


def block_graph(n=200, classes=2, seed=0, multilabel=False):
    """Two dense blocks with weakly informative features: the graph carries the signal."""
    gen = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % classes
    src = torch.randint(0, n, (8 * n,), generator=gen)
    dst = torch.randint(0, n // classes, (8 * n,), generator=gen) * classes + y[src]
    ei = torch.cat([torch.stack([src, dst]), torch.stack([dst, src])], 1)
    x = torch.randn(n, 8, generator=gen) + 0.3 * torch.nn.functional.one_hot(y, 8).float()
    perm = torch.randperm(n, generator=gen)
    masks = [torch.zeros(n, dtype=torch.bool) for _ in range(3)]
    masks[0][perm[:40]], masks[1][perm[40:100]], masks[2][perm[100:]] = True, True, True
    target = torch.stack([y == 0, y == 1, torch.ones(n, dtype=torch.bool)], 1).long() if multilabel else y
    return Data(x=x, edge_index=ei, y=target, train_mask=masks[0], val_mask=masks[1], test_mask=masks[2])


@pytest.mark.parametrize("cls", [MLP, GCN, SAGE])
def test_forward_shape_repr_and_reset(cls):
    x, ei = torch.randn(30, 5), random_graph(30, 60, seed=0)
    model = cls(5, 16, 3, num_layers=3, dropout=0.1)
    assert model(x, ei).shape == (30, 3)
    extra = ", aggr='mean'" if cls is SAGE else ""
    assert repr(model) == f"{cls.__name__}(5, 16, 3, num_layers=3, dropout=0.1{extra})"
    before = [p.clone() for p in model.parameters()]
    model.reset_parameters()
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))


def test_mlp_ignores_the_graph_and_gcn_does_not():
    x, ei = torch.randn(30, 5), random_graph(30, 60, seed=0)
    torch.manual_seed(0)
    mlp, gcn = MLP(5, 8, 2, dropout=0.0).eval(), GCN(5, 8, 2, dropout=0.0).eval()
    assert torch.equal(mlp(x, ei), mlp(x, ei[:, :5]))
    assert not torch.allclose(gcn(x, ei), gcn(x, ei[:, :5]))


@pytest.mark.parametrize("kwargs, match", [
    ({"in_channels": 0}, "channel sizes must be positive"),
    ({"num_layers": 0}, "num_layers must be >= 1"),
    ({"dropout": 1.0}, r"dropout must be in \[0, 1\)"),
])
def test_bad_arguments(kwargs, match):
    args = {"in_channels": 4, "hidden_channels": 8, "out_channels": 2} | kwargs
    with pytest.raises(ValueError, match=match):
        GCN(args.pop("in_channels"), args.pop("hidden_channels"), args.pop("out_channels"), **args)


def test_sage_gcn_aggregator_matches_dense_reference():
    # DGL's SAGEConv(..., 'gcn'), used by GLNN / VQGraph: W (x_v + sum_{u in N(v)} x_u) / (d_v + 1) + b
    gen = torch.Generator().manual_seed(3)
    x, ei = torch.randn(12, 4, generator=gen), torch.unique(random_graph(12, 20, seed=3), dim=1)
    ei = ei[:, ei[0] != ei[1]]
    model = SAGE(4, 6, 3, num_layers=1, dropout=0.0, aggr="gcn").eval()
    adj = torch.zeros(12, 12)
    adj[ei[1], ei[0]] = 1.0  # messages flow source -> target
    mean = (adj + torch.eye(12)) / (adj.sum(1, keepdim=True) + 1)
    lin = model.net.convs[0].lin_l
    torch.testing.assert_close(model(x, ei), lin(mean @ x))
    assert not hasattr(model.net.convs[0], "lin_r") or model.net.convs[0].lin_r is None
    with pytest.raises(ValueError, match="aggr"):
        SAGE(4, 6, 3, aggr="max")


# --------------------------------------------------------------------------- fit_node_classifier


def test_gcn_uses_the_graph_and_beats_mlp():
    data = block_graph()
    gcn = fit_node_classifier(GCN(8, 16, 2), data, {"epochs": 60}, progress=False)
    mlp = fit_node_classifier(MLP(8, 16, 2), data, {"epochs": 60}, progress=False)
    assert gcn.metrics["test_accuracy"] > 0.9
    assert gcn.metrics["test_accuracy"] > mlp.metrics["test_accuracy"] + 0.1
    assert set(gcn.metrics) == {"valid_accuracy", "test_accuracy"}
    assert gcn.epochs_run == 60 and len(gcn.history) == 60 and 0 <= gcn.best_epoch < 60
    assert gcn.time["train_s"] > 0 and gcn.time["epoch_s"] > 0 and gcn.time["inference_s"] > 0


def test_selected_epoch_is_the_best_validation_epoch():
    res = fit_node_classifier(GCN(8, 16, 2), block_graph(seed=1), {"epochs": 30}, progress=False)
    best = max(h["valid_accuracy"] for h in res.history)
    assert res.metrics["valid_accuracy"] == pytest.approx(best)
    assert res.history[res.best_epoch]["valid_accuracy"] == pytest.approx(best)


def test_patience_stops_early_and_multilabel_reports_f1():
    res = fit_node_classifier(GCN(8, 16, 2), block_graph(), {"epochs": 500, "patience": 5, "lr": 0.05},
                              progress=False)
    assert res.epochs_run < 500
    res = fit_node_classifier(GCN(8, 16, 3), block_graph(multilabel=True), {"epochs": 60}, progress=False)
    assert set(res.metrics) == {"valid_micro_f1", "valid_macro_f1", "test_micro_f1", "test_macro_f1"}
    assert res.metrics["test_micro_f1"] > 0.8


def test_per_class_split_and_mlp_without_a_graph():
    data = block_graph()
    hyper = Data(x=data.x, y=data.y, hyperedge_index=torch.zeros(2, 0, dtype=torch.long), num_nodes=200,
                 train_mask=data.train_mask, val_mask=data.val_mask, test_mask=data.test_mask)
    res = fit_node_classifier(MLP(8, 16, 2), hyper, {"epochs": 3, "train_per_class": 10, "val_per_class": 20},
                              progress=False)
    assert set(res.metrics) == {"valid_accuracy", "test_accuracy"}
    with pytest.raises(ValueError, match="needs a graph: data.edge_index is missing"):
        fit_node_classifier(GCN(8, 16, 2), hyper, {"epochs": 1})
    with pytest.raises(ValueError, match="train_per_class needs val_per_class"):
        fit_node_classifier(MLP(8, 16, 2), data, {"train_per_class": 10})


def test_from_config_and_presets():
    data = datasets.load("csbm", num_nodes=300, seed=0)
    model = GCN.from_config(GCNConfig.paper("cora"), data)
    assert (model.in_channels, model.hidden_channels, model.out_channels) == (data.num_features, 16,
                                                                            int(data.y.max()) + 1)
    assert MLPConfig.paper("cocitation-cora").train_per_class == 20
    for cls in (NodeClassifierConfig, MLPConfig, GCNConfig, SAGEConfig):
        for name in cls.presets:
            cls.paper(name)
    with pytest.raises(ValueError, match="needs node features"):
        GCN.from_config(GCNConfig(), GraphInfo(10, 0, 3))
    with pytest.raises(ValueError, match="dropout must be in"):
        GCNConfig(dropout=1.0)


# --------------------------------------------------------------------------- GAT and ForwardGNN's protocol


def test_gat_heads_repr_and_config():
    from graphkit.models.baselines import GAT, GATConfig

    x, ei = torch.randn(30, 5), random_graph(30, 60, seed=0)
    model = GAT(5, 16, 3, num_layers=3, dropout=0.0, heads=4)
    assert model(x, ei).shape == (30, 3)
    assert repr(model) == "GAT(5, 16, 3, num_layers=3, dropout=0.0, heads=4)"
    hidden = model.net.convs[0]
    assert (hidden.heads, hidden.out_channels, hidden.concat) == (4, 4, True), "4 heads of 16 / 4, concatenated"
    assert model.net.convs[-1].concat is False
    with pytest.raises(ValueError, match="hidden_channels=10 must be divisible by heads=4"):
        GAT(5, 10, 3)
    with pytest.raises(ValueError, match="hidden_channels=10 must be divisible by heads=4"):
        GATConfig(hidden_channels=10)
    data = datasets.load("csbm", num_nodes=120, seed=0)
    assert GAT.from_config(GATConfig(heads=2, hidden_channels=8), data).heads == 2
    assert GAT.from_config(GCNConfig(hidden_channels=8), data).heads == 4


@pytest.mark.parametrize("name", ["gcn", "sage", "gat"])
def test_forwardgnn_bp_presets_use_the_official_protocol(name):
    from graphkit.models.baselines import GAT, GATConfig

    cls, cfg_cls = {"gcn": (GCN, GCNConfig), "sage": (SAGE, SAGEConfig), "gat": (GAT, GATConfig)}[name]
    cfg = cfg_cls.paper("cora-ml")
    assert (cfg.hidden_channels, cfg.dropout, cfg.lr, cfg.epochs, cfg.eval_every, cfg.patience, cfg.folds,
            cfg.normalize_features, cfg.runs) == (128, 0.0, 1e-3, 1000, 2, 100, 5, True, 5)
    assert cfg_cls.paper("amazon-photo") == cfg
    data = datasets.load("csbm", num_nodes=150, seed=0)
    cfg = cfg.replace(num_layers=2, epochs=4)
    results = [fit_node_classifier(cls.from_config(cfg, data), data, cfg, seed=seed, progress=False)
               for seed in (1, 1, 6)]
    assert results[0].metrics == results[1].metrics, "seeded runs repeat"
    assert torch.equal(results[0].test_mask, results[2].test_mask), "seed 6 is fold 6 mod 5 = 1, as seed 1"
    assert [int(getattr(results[0], m).sum()) for m in ("train_mask", "val_mask", "test_mask")] == [96, 24, 30]
    assert [h["epoch"] for h in results[0].history] == [1, 3], "validation every 2 epochs"
    with pytest.raises(ValueError, match="choose one split"):
        cfg.replace(train_per_class=5, val_per_class=5)
