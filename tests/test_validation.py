import pytest
import torch

from graphkit._validation import check_edge_index, check_edge_weight, check_features, check_num_nodes


def test_edge_index_ok_and_inferred_num_nodes():
    assert check_edge_index(torch.tensor([[0, 1], [1, 4]])) == 5
    assert check_edge_index(torch.tensor([[0, 1], [1, 4]]), 9) == 9
    assert check_edge_index(torch.empty(2, 0, dtype=torch.long)) == 0
    assert check_edge_index(torch.empty(2, 0, dtype=torch.long), 3) == 3


@pytest.mark.parametrize(
    "edge_index, match",
    [
        ([[0, 1], [1, 0]], "must be a torch.Tensor"),
        (torch.tensor([[0.0, 1.0], [1.0, 0.0]]), r"dtype torch.int64 .*\.long\(\)"),
        (torch.tensor([[0, 1], [1, 0]], dtype=torch.int32), r"\.long\(\)"),
        (torch.tensor([0, 1, 2]), r"shape \[2, E\]"),
        (torch.tensor([[0, 1], [1, 2], [2, 0]]), r"transpose it with \.t\(\)"),
        (torch.tensor([[0, -1], [1, 0]]), "negative node ids"),
    ],
)
def test_edge_index_errors(edge_index, match):
    with pytest.raises((TypeError, ValueError), match=match):
        check_edge_index(edge_index)


def test_edge_index_out_of_range():
    with pytest.raises(ValueError, match="node id 5 but num_nodes is 3"):
        check_edge_index(torch.tensor([[0, 5], [1, 0]]), 3)


def test_features():
    x = torch.randn(4, 3)
    assert check_features(x, 4) is x
    with pytest.raises(TypeError, match=r"floating point.*\.float\(\)"):
        check_features(torch.ones(4, 3, dtype=torch.long))
    with pytest.raises(ValueError, match=r"shape \[N, F\]"):
        check_features(torch.randn(4))
    with pytest.raises(ValueError, match="has 4 rows but the graph has 5 nodes"):
        check_features(x, 5)
    bad = x.clone()
    bad[1, 2] = float("nan")
    bad[3, 0] = float("inf")
    with pytest.raises(ValueError, match=r"NaN or inf in 2 row\(s\)"):
        check_features(bad)
    assert check_features(bad, allow_nonfinite=True) is bad


def test_num_nodes_and_edge_weight():
    with pytest.raises(ValueError, match="non-negative int"):
        check_num_nodes(-1)
    with pytest.raises(ValueError, match="non-negative int"):
        check_num_nodes(True)
    check_edge_weight(None, 3)
    check_edge_weight(torch.ones(3), 3)
    with pytest.raises(ValueError, match="has 2 entries but there are 3 edges"):
        check_edge_weight(torch.ones(2), 3)
    with pytest.raises(ValueError, match="NaN or inf"):
        check_edge_weight(torch.tensor([1.0, float("nan"), 1.0]), 3)
