import pytest
import torch
from torch_geometric.data import Data

from graphkit.models import GCN, MLP
from graphkit.train.node_classification import check_node_data, train_node_classifier


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


def test_gcn_uses_the_graph_and_beats_mlp():
    data = block_graph()
    torch.manual_seed(0)
    gcn = train_node_classifier(GCN(8, 16, 2), data, epochs=60)
    torch.manual_seed(0)
    mlp = train_node_classifier(MLP(8, 16, 2), data, epochs=60)
    assert gcn.metrics["test_accuracy"] > 0.9
    assert gcn.metrics["test_accuracy"] > mlp.metrics["test_accuracy"] + 0.1
    assert set(gcn.metrics) == {"valid_accuracy", "test_accuracy"}
    assert gcn.epochs_run == 60 and len(gcn.history) == 60 and 0 <= gcn.best_epoch < 60
    assert gcn.time["train_s"] > 0 and gcn.time["epoch_s"] > 0 and gcn.time["inference_s"] > 0


def test_selected_epoch_is_the_best_validation_epoch():
    data = block_graph(seed=1)
    res = train_node_classifier(GCN(8, 16, 2), data, epochs=30)
    best = max(h["valid_accuracy"] for h in res.history)
    assert res.metrics["valid_accuracy"] == pytest.approx(best)
    assert res.history[res.best_epoch]["valid_accuracy"] == pytest.approx(best)


def test_patience_stops_early():
    res = train_node_classifier(GCN(8, 16, 2), block_graph(), epochs=500, patience=5, lr=0.05)
    assert res.epochs_run < 500


def test_multilabel_targets_report_f1():
    res = train_node_classifier(GCN(8, 16, 3), block_graph(multilabel=True), epochs=60)
    assert set(res.metrics) == {"valid_micro_f1", "valid_macro_f1", "test_micro_f1", "test_macro_f1"}
    assert res.metrics["test_micro_f1"] > 0.8


def test_bad_input():
    data = block_graph()
    bad = data.clone()
    bad.x[0, 0] = float("nan")
    with pytest.raises(ValueError, match="NaN or inf"):
        check_node_data(bad)
    bad = data.clone()
    bad.val_mask = torch.zeros_like(bad.val_mask)
    with pytest.raises(ValueError, match="val_mask selects no node"):
        check_node_data(bad)
    bad = data.clone()
    bad.y = bad.y[:10]
    with pytest.raises(ValueError, match="one target per node"):
        check_node_data(bad)
    with pytest.raises(ValueError, match="epochs must be >= 1"):
        train_node_classifier(GCN(8, 16, 2), data, epochs=0)
