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
    with pytest.raises(ValueError, match="one target per node"):
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
