import pytest
import torch
from torch_geometric.data import Data

import graphkit
from graphkit.models.lighthgnn import (
    HGNN,
    LightHGNN,
    LightHGNNPlus,
    hyperedge_reliability,
    prepare_hypergraph,
    restrict_hypergraph,
)
from graphkit.models.registry import get_model


def planted_hypergraph(n=90, c=3, f=16, seed=0):
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % c
    x = torch.randn(n, f, generator=g) + 2.5 * torch.nn.functional.one_hot(y, f).float()
    rows, cols, e = [], [], 0
    for cls in range(c):  # hyperedges of 4 same-class vertices
        members = (y == cls).nonzero().view(-1)
        for _ in range(15):
            pick = members[torch.randperm(members.numel(), generator=g)[:4]]
            rows += pick.tolist()
            cols += [e] * 4
            e += 1
    data = Data(x=x, y=y, hyperedge_index=torch.tensor([rows, cols]), num_nodes=n)
    data.num_hyperedges = e
    return data


CFG = {"epochs": 30, "train_per_class": 5, "val_per_class": 10, "hidden_channels": 32, "teacher_hidden": 16}


@pytest.mark.parametrize("cls", [LightHGNN, LightHGNNPlus])
def test_fit_transductive_beats_chance_and_tracks_teacher(cls):
    data = planted_hypergraph()
    student, result = cls.fit(data, CFG, seed=0)
    assert isinstance(student, cls)
    m = result.metrics
    assert m["teacher_test_accuracy"] > 0.7
    assert m["test_accuracy"] > 0.7
    assert student(data.x).shape == (90, 3)


def test_fit_inductive_reports_tran_ind_prod():
    data = planted_hypergraph()
    _, result = LightHGNN.fit(data, {**CFG, "setting": "inductive", "held_out": 0.5}, seed=1)
    m = result.metrics
    assert {"test_tran_accuracy", "test_ind_accuracy", "test_prod_accuracy",
            "teacher_test_ind_accuracy"} <= set(m)
    assert m["test_prod_accuracy"] == pytest.approx(0.5 * m["test_tran_accuracy"] + 0.5 * m["test_ind_accuracy"])
    assert m["test_ind_accuracy"] > 0.6


def test_restrict_and_prepare():
    data = planted_hypergraph(n=12, c=3, f=4)
    keep = torch.arange(12) < 6
    d = prepare_hypergraph(data, train_per_class=1, val_per_class=1)
    sub = restrict_hypergraph(d, keep)
    assert sub.num_nodes == 6 and sub.hyperedge_index[0].max() < 6
    assert sub.hyperedge_index[1].unique().numel() == sub.num_hyperedges
    # isolated vertices get singleton hyperedges
    assert torch.bincount(d.hyperedge_index[0], minlength=12).min() >= 1
    graph = Data(x=torch.randn(4, 2), y=torch.tensor([0, 1, 0, 1]), edge_index=torch.tensor([[0, 1], [1, 0]]))
    hg = prepare_hypergraph(graph, train_per_class=1, val_per_class=1)
    assert hg.num_hyperedges == 1 + 4 + 0  # edge {0,1} + 4 neighbourhoods; none isolated after conversion
    with pytest.raises(ValueError, match="self_loops"):
        prepare_hypergraph(graph, self_loops="bad")
    with pytest.raises(ValueError, match="num_nodes"):
        prepare_hypergraph(Data(x=torch.randn(3, 2), y=torch.tensor([0, 1, 0]),
                                hyperedge_index=torch.tensor([[0, 9], [0, 0]])))


def test_reliability_in_unit_interval_and_registry():
    data = prepare_hypergraph(planted_hypergraph(), train_per_class=5, val_per_class=10)
    teacher = HGNN(16, 8, 3)
    rho = hyperedge_reliability(teacher, data, seed=0)
    assert rho.shape == (data.num_hyperedges,) and float(rho.min()) == 0.0 and rho.max() <= 1
    assert torch.equal(rho, hyperedge_reliability(teacher, data, seed=0))
    assert "hyper" in get_model("mlp").dataset_tasks
    for name in ("hgnn", "lighthgnn", "lighthgnn+"):
        assert get_model(name).task == "hyper" and get_model(name).fit is not None
    assert graphkit.LightHGNNPlus is LightHGNNPlus
    assert "num_layers=2" in repr(HGNN(4, 8, 2))


def test_hyper_mlp_baseline_uses_lighthgnn_split():
    from graphkit.models.lighthgnn import fit_hyper_mlp

    data = planted_hypergraph()
    cfg = {"hidden_channels": 32, "num_layers": 2, "dropout": 0.0, "lr": 0.01, "epochs": 40,
           "train_per_class": 5, "val_per_class": 10}
    result = fit_hyper_mlp(data, cfg, seed=0, device="cpu", progress=False)
    assert result.metrics["test_accuracy"] > 0.7  # the planted features alone separate the classes
    assert result.epochs_run == 40
    again = fit_hyper_mlp(data, cfg, seed=0, device="cpu", progress=False)
    assert again.metrics == result.metrics  # same seed, same split and weights
