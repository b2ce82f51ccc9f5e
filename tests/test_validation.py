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


# --------------------------------------------------------------------------- issue #20: the checks every entry point runs

from graphkit._validation import (  # noqa: E402
    _CHECKED,
    check_data,
    check_device,
    check_labels,
    param_dtype,
)


def test_features_width_dtype_and_the_owner_in_the_message():
    x = torch.randn(4, 3)
    assert check_features(x, 4, num_features=3, dtype=torch.float32, owner="GCN") is x
    with pytest.raises(ValueError, match=r"x has 3 features but GCN was built for 5; pass 5-wide features, or build "
                                         r"GCN for 3 input features"):
        check_features(x, num_features=5, owner="GCN")
    with pytest.raises(TypeError, match=r"x is torch.float64 but GCN's parameters are torch.float32; pass x.float\(\)"):
        check_features(x.double(), dtype=torch.float32, owner="GCN")
    with pytest.raises(TypeError, match=r"numpy array \(convert it with torch.from_numpy"):
        check_features(x.numpy())
    with pytest.raises(TypeError, match="dense tensor"):
        check_features(x.to_sparse_csr())
    sparse = x.to_sparse_csr()
    assert check_features(sparse, allow_sparse=True) is sparse
    bad = x.clone()
    bad[2, 1] = float("inf")
    with pytest.raises(ValueError, match=r"1 stored value\(s\)"):
        check_features(bad.to_sparse_csr(), allow_sparse=True)


def test_the_finite_scan_runs_once_per_tensor_state():
    x = torch.randn(5, 2)
    check_features(x)
    assert any(ref() is x for ref, _, _ in _CHECKED.values())  # remembered: the next call skips the scan
    x[0, 0] = float("nan")  # in place: the version changes, the scan runs again
    with pytest.raises(ValueError, match="NaN or inf"):
        check_features(x)
    ident = id(x)
    del x  # a freed tensor is forgotten (its id may be reused by another tensor)
    assert ident not in _CHECKED
    edge_index = torch.tensor([[0, 1], [1, 2]])
    assert check_edge_index(edge_index, 3) == 3
    assert check_edge_index(edge_index, 3) == 3
    edge_index[1, 1] = 7
    with pytest.raises(ValueError, match="node id 7"):
        check_edge_index(edge_index, 3)


def test_edge_index_blames_the_argument_the_node_count_comes_from():
    with pytest.raises(ValueError, match=r"edge_index contains node id 4 but h has 3 rows \(one per node\)"):
        check_edge_index(torch.tensor([[0], [4]]), 3, nodes_from="h")


def test_labels():
    y = torch.tensor([0, 2, 1, -1])
    mask = torch.tensor([True, True, True, False])
    assert check_labels(y, 4, num_classes=3, mask=mask, mask_name="data.train_mask") is y
    assert check_labels(y, 4, num_classes=3, unlabelled=True) is y
    with pytest.raises(ValueError, match=r"y has 1 negative label\(s\) \(min -1\); class ids must be in"):
        check_labels(y, 4)
    with pytest.raises(ValueError, match=r"y contains class 2 among the nodes of data.train_mask but GCN predicts 2"):
        check_labels(y, num_classes=2, owner="GCN", mask=mask, mask_name="data.train_mask")
    with pytest.raises(ValueError, match="y has no labelled node"):
        check_labels(torch.tensor([-1, -1]), unlabelled=True)
    with pytest.raises(ValueError, match=r"y has 1 label\(s\) below -1 \(min -5\); .* -1 marks an unlabelled node"):
        check_labels(torch.tensor([0, -1, -5]), unlabelled=True)
    with pytest.raises(ValueError, match="y has 4 entries but the graph has 5 nodes"):
        check_labels(y, 5)
    with pytest.raises(TypeError, match=r"integer class ids, got torch.float32; convert it with y.long\(\)"):
        check_labels(y.float())
    with pytest.raises(ValueError, match=r"shape \[N\]"):
        check_labels(y.view(2, 2))


def test_device():
    assert check_device("cpu") == torch.device("cpu") and check_device(None).type in ("cpu", "cuda")
    with pytest.raises(ValueError, match="unknown device 'gpu'"):
        check_device("gpu")
    with pytest.raises(TypeError, match="device must be a string"):
        check_device(["cpu"])
    missing = f"cuda:{torch.cuda.device_count() if torch.cuda.is_available() else 0}"
    with pytest.raises(ValueError, match=f"device='{missing}' but"):
        check_device(missing)
    with pytest.raises(ValueError, match=f"--device {missing} but .*use --device cpu"):
        check_device(missing, name="--device")


def test_data_node_counts_agree():
    from torch_geometric.data import Data

    good = Data(x=torch.randn(4, 2), edge_index=torch.tensor([[0, 3], [3, 0]]), y=torch.zeros(4, dtype=torch.long),
                train_mask=torch.ones(4, dtype=torch.bool))
    check_data(good)
    cases = [
        ({"y": torch.zeros(3, dtype=torch.long)}, ValueError, "data.y has 3 entries but data.x says 4 nodes"),
        ({"edge_index": torch.tensor([[0], [4]])}, ValueError, "data.edge_index contains node id 4 but data.x has 4"),
        ({"train_mask": torch.ones(4, dtype=torch.long)}, TypeError, r"data.train_mask must be a bool tensor.*\.bool\(\)"),
        ({"val_mask": torch.ones(5, dtype=torch.bool)}, ValueError, r"data.val_mask must have shape \[4\]"),
        ({"x": torch.randn(4)}, ValueError, r"data.x must have shape \[N, F\]"),
        ({"edge_weight": torch.ones(3)}, ValueError, "data.edge_weight has 3 entries but there are 2 edges"),
        ({"num_nodes": 5}, ValueError, "data.x has 4 rows but data.num_nodes says 5"),
        ({"hyperedge_index": torch.tensor([[0], [2]]), "num_hyperedges": 2}, ValueError, "hyperedge id 2"),
    ]
    for change, error, match in cases:
        bad = good.clone()
        for key, value in change.items():
            setattr(bad, key, value)
        with pytest.raises(error, match=match):
            check_data(bad)
    x = good.x.clone()
    x[1, 1] = float("nan")
    bad = good.clone()
    bad.x = x
    with pytest.raises(ValueError, match="data.x contains NaN"):
        check_data(bad)


def test_param_dtype():
    assert param_dtype(torch.nn.Linear(2, 2).double()) == torch.float64 and param_dtype(object()) is None
