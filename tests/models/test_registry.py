import pytest
from torch import nn

from graphkit.models import GraphInfo, get_model, model_names, register_model

CFG = {"hidden_channels": 8, "num_layers": 2, "dropout": 0.0}


def test_baselines_are_registered_with_their_task():
    assert {"mlp", "gcn", "sage"} <= set(model_names("node"))
    assert "gae" in model_names("link")
    info = GraphInfo(num_nodes=10, num_features=4, num_classes=3)
    for name in ("mlp", "gcn", "sage", "gae"):
        assert isinstance(get_model(name).build(info, CFG), nn.Module)
    assert get_model("GCN").name == "gcn"


def test_unknown_model_lists_valid_names():
    with pytest.raises(ValueError, match="unknown model 'gnc'.*Did you mean .*'gcn'.*Valid names: .*sage"):
        get_model("gnc")


def test_node_baseline_needs_features_and_registration_errors():
    with pytest.raises(ValueError, match="needs node features"):
        get_model("gcn").build(GraphInfo(10, 0, 3), CFG)
    with pytest.raises(ValueError, match="registered twice"):
        register_model("gcn", task="node", description="dup")(lambda info, cfg: None)
    with pytest.raises(ValueError, match="task must be one of"):
        register_model("x", task="graph", description="")


def test_fit_procedure_and_accepts():
    from graphkit.models.registry import _MODELS

    def fit(data, cfg, *, seed, device, progress):
        return None

    try:
        register_model("demo-embed", task="embedding", description="demo", fit=fit,
                       accepts=("multilabel",))(None)
        spec = get_model("demo-embed")
        assert spec.fit is fit and spec.dataset_tasks == ("multilabel",)
        assert get_model("gcn").dataset_tasks == ("node", "multilabel")
    finally:
        _MODELS.pop("demo-embed", None)
    with pytest.raises(ValueError, match="needs a fit procedure"):
        register_model("demo-hyper", task="hyper", description="demo")


def test_register_fit_adds_a_data_set_task():
    from graphkit.models.registry import _TASK_FITS, register_fit

    def fit(data, cfg, *, seed, device, progress):
        return None

    spec = get_model("gcn")
    try:
        register_fit("GCN", "hetero", fit)
        assert spec.dataset_tasks == ("node", "multilabel", "hetero")
        assert spec.fit_for("hetero") is fit and spec.fit_for("node") is None
        with pytest.raises(ValueError, match="already has a fit"):
            register_fit("gcn", "hetero", fit)
    finally:
        _TASK_FITS.pop(("gcn", "hetero"), None)
    with pytest.raises(ValueError, match="dataset_task must be one of"):
        register_fit("gcn", "images", fit)
    with pytest.raises(ValueError, match="unknown model"):
        register_fit("no-such-model", "hyper", fit)
    assert get_model("mlp").fit_for("hyper") is not None  # LightHGNN's MLP row
