"""The procedure signature every method shares (graphkit.models.procedure)."""

import pytest
import torch
from torch import nn
from torch_geometric.data import Data

from graphkit.datasets import from_networkx
from graphkit.models.baselines import GCN, MLP, GCNConfig, fit_node_classifier
from graphkit.models.procedure import GraphInfo, graph_info
from tests.models.test_baselines import block_graph


def test_trains_the_model_passed_in_and_reports_memory():
    data, model = block_graph(), GCN(8, 16, 2)
    before = [p.detach().clone() for p in model.parameters()]
    result = fit_node_classifier(model, data, {"epochs": 5}, progress=False)
    assert result.model is model and isinstance(result.config, GCNConfig.__mro__[1])
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    assert result.peak_memory_mb > 0 and result.config.epochs == 5


def test_seed_decides_the_result_whatever_the_model_went_through():
    data = block_graph()
    first = fit_node_classifier(GCN(8, 16, 2), data, {"epochs": 8}, seed=3, progress=False)
    model = GCN(8, 16, 2)
    fit_node_classifier(model, data, {"epochs": 4}, seed=11, progress=False)  # trained once already
    again = fit_node_classifier(model, data, {"epochs": 8}, seed=3, progress=False)
    assert again.metrics == first.metrics
    warm = fit_node_classifier(model, data, {"epochs": 8}, seed=3, progress=False, warm_start=True)
    assert warm.history[0]["loss"] < first.history[0]["loss"]  # continued from the trained weights


def test_wrong_model_type_and_config_are_one_line_errors():
    data = block_graph()
    with pytest.raises(TypeError, match=r"^fit_node_classifier trains a MLP or GCN or SAGE( or [A-Z]+)*, got Linear: build one "
                                        r"with MLP.from_config\(config, data\), or use a graphkit model"):
        fit_node_classifier(nn.Linear(2, 2), data)
    with pytest.raises(ValueError, match="unknown key 'epoch'"):
        fit_node_classifier(GCN(8, 16, 2), data, {"epoch": 3})
    with pytest.raises(TypeError, match="config must be a NodeClassifierConfig, a dict or None"):
        fit_node_classifier(GCN(8, 16, 2), data, "cora")


def test_device_follows_the_model_unless_named():
    data = block_graph()
    result = fit_node_classifier(MLP(8, 8, 2), data, {"epochs": 1}, progress=False)
    assert next(result.model.parameters()).device.type == "cpu"
    with pytest.raises(ValueError, match="unknown device"):
        fit_node_classifier(MLP(8, 8, 2), data, {"epochs": 1}, device="tpu9")


def test_graph_info():
    data = Data(x=torch.zeros(5, 3), y=torch.tensor([0, 2, 1, 1, 0]), num_nodes=5)
    assert graph_info(data) == GraphInfo(5, 3, 3, False)
    multi = Data(x=torch.zeros(4, 2), y=torch.zeros(4, 6, dtype=torch.long), num_nodes=4)
    assert graph_info(multi) == GraphInfo(4, 2, 6, True)
    assert graph_info(Data(num_nodes=7)) == GraphInfo(7, 0, 0, False)


def test_networkx_graph_in_for_every_procedure():
    nx = pytest.importorskip("networkx")
    data = block_graph()
    g = nx.Graph()
    g.add_nodes_from(range(data.num_nodes))
    for i in range(data.num_nodes):
        g.nodes[i].update(x=data.x[i].tolist(), y=int(data.y[i]), train_mask=bool(data.train_mask[i]),
                          val_mask=bool(data.val_mask[i]), test_mask=bool(data.test_mask[i]))
    g.add_edges_from(data.edge_index.t().tolist(), weight=1.0)
    from_nx = fit_node_classifier(GCN(8, 16, 2), g, {"epochs": 4}, seed=1, progress=False)
    converted = from_networkx(g)  # what the procedure converts the graph to
    assert torch.equal(converted.x, data.x) and torch.equal(converted.y, data.y)
    from_data = fit_node_classifier(GCN(8, 16, 2), converted, {"epochs": 4}, seed=1, progress=False)
    assert from_nx.metrics == from_data.metrics


def test_features_are_cast_to_the_models_dtype_and_the_callers_data_is_kept():
    data = block_graph()
    as_int = data.clone()
    as_int.x = (data.x > 0).long()
    result = fit_node_classifier(MLP(8, 16, 2), as_int, {"epochs": 2}, progress=False)
    assert as_int.x.dtype == torch.long and result.epochs_run == 2  # cast for the fit, the caller's x unchanged
    double = data.clone()
    double.x = data.x.double()
    assert fit_node_classifier(GCN(8, 16, 2), double, {"epochs": 2}, progress=False).epochs_run == 2
    wide = fit_node_classifier(GCN(8, 16, 2).double(), data, {"epochs": 2}, progress=False)
    assert wide.epochs_run == 2 and data.x.dtype == torch.float32


def test_bad_data_and_arguments_fail_before_seeding():
    data = block_graph()
    with pytest.raises(TypeError, match=r"data must be a torch_geometric.data.Data .*Data\(x=..., edge_index="):
        fit_node_classifier(GCN(8, 16, 2), data.x)
    with pytest.raises(TypeError, match="data must be"):
        fit_node_classifier(GCN(8, 16, 2), None)
    with pytest.raises(TypeError, match="progress must be True or False"):
        fit_node_classifier(GCN(8, 16, 2), data, progress="bar")
    with pytest.raises(TypeError, match="warm_start must be True or False"):
        fit_node_classifier(GCN(8, 16, 2), data, warm_start=None)
    short = data.clone()
    short.y = data.y[:-3]
    with pytest.raises(ValueError, match="data.y has .* entries but data.x says .* nodes"):
        fit_node_classifier(GCN(8, 16, 2), short)
