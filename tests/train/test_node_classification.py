import pytest
import torch

from graphkit.train.node_classification import check_node_data, node_loss, node_scores, with_per_class_split
from tests.models.test_baselines import block_graph


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
    with pytest.raises(ValueError, match="data.y has 10 entries but data.x says .* nodes; data.y needs one label per node"):
        check_node_data(bad)


def test_per_class_split_is_seeded_and_leaves_the_input_alone():
    data = block_graph()
    a = with_per_class_split(data, 5, 10, seed=1)
    b = with_per_class_split(data, 5, 10, seed=1)
    assert torch.equal(a.train_mask, b.train_mask) and int(a.train_mask.sum()) == 10 and int(a.val_mask.sum()) == 20
    assert torch.equal(data.train_mask, block_graph().train_mask)
    assert with_per_class_split(data, None, None, seed=0) is data


def test_loss_and_scores_single_and_multi_label():
    logits = torch.tensor([[2.0, -1.0], [0.0, 1.0]])
    assert node_scores(logits, torch.tensor([0, 0])) == {"accuracy": 0.5}
    multi = node_scores(logits, torch.tensor([[1, 0], [0, 1]]))
    assert multi == {"micro_f1": 1.0, "macro_f1": 1.0}
    assert node_loss(logits, torch.tensor([0, 1])).item() == pytest.approx(
        torch.nn.functional.cross_entropy(logits, torch.tensor([0, 1])).item())
    assert node_loss(logits, torch.tensor([[1, 0], [0, 1]])).item() == pytest.approx(
        torch.nn.functional.binary_cross_entropy_with_logits(logits, torch.eye(2)).item())


def test_check_node_inputs_names_the_argument_and_the_fix():
    from graphkit.train.node_classification import check_node_inputs

    data = block_graph()
    check_node_inputs(data, num_features=8, num_classes=2, owner="GCN")
    y = data.y.clone()
    y[data.train_mask.nonzero()[0]] = -1
    with pytest.raises(ValueError, match=r"data.y has 1 negative label\(s\) among the nodes of data.train_mask"):
        check_node_inputs(data.clone().update({"y": y}), num_classes=2)
    check_node_inputs(data.clone().update({"y": y}), num_classes=2, needs_masks=False)  # drawn split: unlabelled
    with pytest.raises(ValueError, match="data.y has no labelled node"):
        check_node_inputs(data.clone().update({"y": torch.full_like(y, -1)}), needs_masks=False)
    with pytest.raises(ValueError, match=r"data.y contains class 1 .* but GCN predicts 1 classes"):
        check_node_inputs(data, num_classes=1, owner="GCN")
    with pytest.raises(ValueError, match=r"data.x has 8 features but GCN was built for 5"):
        check_node_inputs(data, num_features=5, owner="GCN")
    bare = data.clone()
    del bare.val_mask
    with pytest.raises(ValueError, match=r"data.val_mask is missing: .*; set train_per_class and val_per_class"):
        check_node_inputs(bare, split_hint="set train_per_class and val_per_class")
    with pytest.raises(ValueError, match="needs a graph: data.edge_index is missing"):
        check_node_inputs(data.clone().update({"edge_index": None}), owner="GCN")
    check_node_inputs(data.clone().update({"edge_index": None}), needs_graph=False)
    with pytest.raises(ValueError, match=r"single-label .* data.y must have shape \[N\]"):
        check_node_inputs(data.clone().update({"y": torch.zeros(data.num_nodes, 2)}), multilabel=False)
    with pytest.raises(ValueError, match="0/1 entries"):
        check_node_inputs(data.clone().update({"y": torch.full((data.num_nodes, 2), 2.0)}))
    with pytest.raises(TypeError, match="data must be a torch_geometric.data.Data"):
        check_node_inputs({"x": data.x})


def test_a_split_that_cannot_be_drawn_names_the_config_keys():
    data = block_graph()
    with pytest.raises(ValueError, match=r"cannot draw the per-class split \(train_per_class=90, val_per_class=50\): "
                                         r"class 0 has .* Lower train_per_class / val_per_class .*null"):
        with_per_class_split(data, 90, 50, seed=0)
