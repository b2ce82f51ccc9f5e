import pytest
import torch
import torch.nn.functional as F
from torch_geometric.data import Data

import graphkit
from graphkit.models.baselines import MLP, MLPConfig, fit_node_classifier
from graphkit.models.lighthgnn import (
    HGNN,
    HGNNConfig,
    LightHGNN,
    LightHGNNConfig,
    LightHGNNPlus,
    _HyperedgeKD,
    fit_hgnn,
    fit_lighthgnn,
    hyperedge_reliability,
    prepare_hypergraph,
    restrict_hypergraph,
)
from graphkit.models.registry import get_method


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


CFG = LightHGNNConfig(epochs=30, train_per_class=5, val_per_class=10, hidden_channels=32, teacher_hidden=16)


def _params(module):
    return [p.detach().clone() for p in module.parameters()]


def _changed(before, module):
    return all(not torch.equal(a, b) for a, b in zip(before, module.parameters(), strict=True))


@pytest.mark.parametrize("cls", [LightHGNN, LightHGNNPlus])
def test_fit_trains_the_model_passed_in_and_tracks_the_teacher(cls):
    data = planted_hypergraph()
    model = cls.from_config(CFG, data)
    teacher, student = _params(model.teacher), _params(model.student)
    result = fit_lighthgnn(model, data, CFG, seed=0, progress=False)
    assert result.model is model and result.config is CFG
    assert _changed(teacher, model.teacher) and _changed(student, model.student)
    m = result.metrics
    assert m["teacher_test_accuracy"] > 0.7
    assert m["test_accuracy"] > 0.7
    out = model(data.x)
    assert out.shape == (90, 3)
    assert m["test_accuracy"] == pytest.approx(float((out.argmax(-1) == data.y)[result.test_mask].float().mean()))
    assert result.teacher_logits.shape == (90, 3) and result.hypergraph.num_hyperedges >= 45
    assert ("reliability" in result.outputs) == (cls is LightHGNNPlus)


def test_same_seed_same_figures_whatever_the_model_held():
    data = planted_hypergraph()
    a = LightHGNNPlus.from_config(CFG, data)
    first = fit_lighthgnn(a, data, CFG, seed=3, progress=False)
    b = LightHGNNPlus.from_config(CFG, data)
    torch.nn.init.constant_(b.student.net.lins[0].weight, 1.0)  # whatever was done before: the fit redraws
    second = fit_lighthgnn(b, data, CFG, seed=3, progress=False)
    assert first.metrics == second.metrics
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    other = fit_lighthgnn(LightHGNNPlus.from_config(CFG, data), data, CFG, seed=4, progress=False)
    assert not torch.equal(other.test_mask, first.test_mask)  # the seed also redraws the split


def test_fit_inductive_reports_tran_ind_prod():
    data = planted_hypergraph()
    config = CFG.replace(setting="inductive", held_out=0.5)
    result = fit_lighthgnn(LightHGNN.from_config(config, data), data, config, seed=1, progress=False)
    m = result.metrics
    assert {"test_tran_accuracy", "test_ind_accuracy", "test_prod_accuracy",
            "teacher_test_ind_accuracy"} <= set(m)
    assert m["test_prod_accuracy"] == pytest.approx(0.5 * m["test_tran_accuracy"] + 0.5 * m["test_ind_accuracy"])
    assert m["test_ind_accuracy"] > 0.6
    assert int(result.test_ind.sum()) == int(result.test_mask.sum()) // 2


def test_plus_adds_the_hyperedge_term_to_the_student_loss():
    # same seed: the teacher stage is identical, the student differs only through the hyperedge KL
    data = planted_hypergraph()
    plain, plus = LightHGNN.from_config(CFG, data), LightHGNNPlus.from_config(CFG, data)
    fit_lighthgnn(plain, data, CFG, seed=0, progress=False)
    fit_lighthgnn(plus, data, CFG, seed=0, progress=False)
    assert all(torch.equal(p, q) for p, q in zip(plain.teacher.parameters(), plus.teacher.parameters(), strict=True))
    assert not torch.equal(plain.student.net.lins[0].weight, plus.student.net.lins[0].weight)
    # hc_weight 0 turns LightHGNN+ back into LightHGNN
    off = LightHGNNPlus.from_config(CFG, data)
    fit_lighthgnn(off, data, CFG.replace(hc_weight=0.0), seed=0, progress=False)
    assert all(torch.equal(p, q) for p, q in zip(plain.student.parameters(), off.student.parameters(), strict=True))


def _dense_incidence(index, n, m):
    h = torch.zeros(n, m)
    h[index[0], index[1]] = 1.0
    return h


def test_hyperedge_kd_matches_the_dense_formula_and_has_a_gradient():
    torch.manual_seed(0)
    data = prepare_hypergraph(planted_hypergraph(n=30, c=3, f=4), train_per_class=2, val_per_class=2,
                              self_loops="none")
    n, m, tau, w = data.num_nodes, data.num_hyperedges, 2.0, 0.7
    t_logits, s_logits = torch.randn(n, 3), torch.randn(n, 3, requires_grad=True)
    rho = torch.ones(m)
    rho[::2] = 0.0  # reliability 0: never drawn; 1: always drawn
    term = _HyperedgeKD(t_logits, data, rho, temperature=tau, weight=w, legacy=False, seed=0)
    loss = term(s_logits, 0)
    h = _dense_incidence(data.hyperedge_index, n, m)
    mean = h.t() / h.sum(0, keepdim=True).t()  # D_e^{-1} H^T
    z_t, z_s = mean @ F.softmax(t_logits / tau, -1), mean @ F.softmax(s_logits / tau, -1)
    chosen = rho.bool()
    ref = w * (z_t[chosen] * (z_t[chosen].log() - z_s[chosen].log())).sum(-1).mean()
    torch.testing.assert_close(loss, ref)
    assert float(loss.detach()) > 0
    loss.backward()
    assert s_logits.grad is not None and float(s_logits.grad.abs().sum()) > 0
    # the student equal to the teacher: zero loss
    same = _HyperedgeKD(t_logits, data, torch.ones(m), temperature=tau, weight=w, legacy=False, seed=0)
    assert float(same(t_logits, 0)) == pytest.approx(0.0, abs=1e-6)


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
    assert "hyper" in get_method("mlp").datasets
    for name, cls in (("hgnn", HGNN), ("lighthgnn", LightHGNN), ("lighthgnn+", LightHGNNPlus)):
        spec = get_method(name)
        assert spec.model is cls and "hyper" in spec.datasets
        assert spec.fit is (fit_hgnn if cls is HGNN else fit_lighthgnn)
        assert spec.config is (HGNNConfig if cls is HGNN else LightHGNNConfig)
    assert graphkit.LightHGNNPlus is LightHGNNPlus
    assert "num_layers=2" in repr(HGNN(4, 8, 2))
    assert repr(LightHGNNPlus(4, 2)).startswith("LightHGNNPlus(\n  in_channels=4, out_channels=2\n  (teacher): HGNN(")
    assert "(student): MLP(4, 128, 2, num_layers=2, dropout=0.5)" in repr(LightHGNN(4, 2))


def test_hgnn_alone_is_32_wide_by_default_and_trained_in_place():
    data = planted_hypergraph()
    # the fixed bug: the Python API used the student's width 128 for the HGNN teacher
    assert HGNNConfig().hidden_channels == 32 and HGNN.from_config(HGNNConfig(), data).hidden_channels == 32
    config = HGNNConfig(epochs=30, train_per_class=5, val_per_class=10)
    model = HGNN.from_config(config, data)
    before = _params(model)
    result = fit_hgnn(model, data, config, seed=0, progress=False)
    assert result.model is model and _changed(before, model)
    assert result.metrics["test_accuracy"] > 0.7 and result.epochs_run == 30
    again = fit_hgnn(HGNN.from_config(config, data), data, config, seed=0, progress=False)
    assert again.metrics == result.metrics
    # the teacher inside LightHGNN is the same procedure: same seed, same teacher figures
    light = fit_lighthgnn(LightHGNN.from_config(CFG.replace(teacher_hidden=32), data), data,
                          CFG.replace(teacher_hidden=32), seed=0, progress=False)
    assert light.metrics["teacher_test_accuracy"] == pytest.approx(result.metrics["test_accuracy"])


def test_hyper_mlp_baseline_uses_lighthgnn_split():
    """LightHGNN's MLP row: the generic node classifier on a hypergraph, on the same seeded split."""
    data = planted_hypergraph()
    config = MLPConfig(hidden_channels=32, num_layers=2, dropout=0.0, lr=0.01, epochs=40, patience=None,
                       train_per_class=5, val_per_class=10)
    result = fit_node_classifier(MLP.from_config(config, data), data, config, seed=0, progress=False)
    assert result.metrics["test_accuracy"] > 0.7  # the planted features alone separate the classes
    assert result.epochs_run == 40
    again = fit_node_classifier(MLP.from_config(config, data), data, config, seed=0, progress=False)
    assert again.metrics == result.metrics  # same seed, same split and weights
    light = fit_lighthgnn(LightHGNN.from_config(CFG, data), data, CFG, seed=0, progress=False)
    split = prepare_hypergraph(data, seed=0, train_per_class=5, val_per_class=10)
    assert torch.equal(light.train_mask, split.train_mask) and torch.equal(light.test_mask, split.test_mask)


def test_wrong_model_wrong_key_wrong_data_give_one_line_errors():
    data = planted_hypergraph()
    with pytest.raises(TypeError, match="fit_lighthgnn trains a LightHGNN, got HGNN.*fit_hgnn") as info:
        fit_lighthgnn(HGNN(16, 8, 3), data, CFG)
    assert "\n" not in str(info.value)
    with pytest.raises(TypeError, match="fit_hgnn trains a HGNN, got LightHGNN"):
        fit_hgnn(LightHGNN(16, 3), data)
    with pytest.raises(ValueError, match="unknown key 'teacher_epochs'.*valid keys") as info:
        fit_lighthgnn(LightHGNN(16, 3), data, {"teacher_epochs": 3})
    assert "\n" not in str(info.value)
    with pytest.raises(ValueError, match="unknown key 'hiden_channels' \\(did you mean 'hidden_channels'"):
        HGNNConfig.from_dict({"hiden_channels": 8})
    with pytest.raises(ValueError, match="data.x has 16 features but LightHGNN was built for 8.*from_config"):
        fit_lighthgnn(LightHGNN(8, 3), data, CFG)
    with pytest.raises(ValueError, match="self_loops='bad'"):
        LightHGNNConfig(self_loops="bad")
    with pytest.raises(ValueError, match=r"teacher_dropout must be in \[0, 1\)"):
        LightHGNNConfig(teacher_dropout=1.0)


def test_presets_build_and_keep_the_official_settings():
    official = {"teacher_hidden": 32, "teacher_dropout": 0.5, "hidden_channels": 128, "num_layers": 2,
                "dropout": 0.5, "teacher_lr": 0.01, "student_lr": 0.01, "teacher_weight_decay": 5e-4,
                "student_weight_decay": 5e-4, "epochs": 200, "lam": 0.0, "temperature": 1.0, "legacy": False,
                "setting": "transductive", "held_out": 0.9, "train_per_class": 20, "val_per_class": 100,
                "self_loops": "isolated", "noise_std": 1.0, "hc_weight": 1.0, "runs": 5, "patience": None}
    hypergraphs = {"cocitation-cora", "cocitation-pubmed", "cocitation-citeseer", "coauthorship-cora",
                   "coauthorship-dblp"}
    # the official config for every HyperGCN hypergraph; digits-knn (issue #17) is graphkit's own split
    assert set(LightHGNNConfig.presets) == set(HGNNConfig.presets) == hypergraphs | {"digits-knn"}
    for name in hypergraphs:
        assert LightHGNNConfig.paper(name).to_dict().items() >= official.items()
        assert HGNNConfig.paper(name) == HGNNConfig()
    assert LightHGNNConfig.for_dataset("cora").to_dict().items() >= official.items()
    assert HGNNConfig().to_dict() == {"runs": 5, "hidden_channels": 32, "num_layers": 2, "dropout": 0.5, "lr": 0.01,
                                      "weight_decay": 5e-4, "epochs": 200, "patience": None, "train_per_class": 20,
                                      "val_per_class": 100, "self_loops": "isolated"}
    assert "iMoonLab/LightHGNN" in LightHGNNConfig.source_for("cocitation-cora")
    assert "iMoonLab/LightHGNN" in HGNNConfig.source_for("cocitation-cora")


def write_full_size_cocitation_citeseer(root) -> None:
    """A stand-in for the kept-back HyperGCN co-citation CiteSeer with exactly its published counts (3,312
    vertices, 3,703 features, 1,079 hyperedges of 2-26 vertices, 6 classes, 138 / 3,174 split), in its layout."""
    import pickle

    import numpy as np
    import scipy.sparse as sp

    from graphkit.datasets.hypergraphs import FOLDERS, PUBLISHED

    c = PUBLISHED["cocitation-citeseer"]
    rng = np.random.default_rng(0)
    folder = root.joinpath("HyperGCN", *FOLDERS["cocitation-citeseer"])
    (folder / "splits").mkdir(parents=True)
    labels = [int(v) for v in np.arange(c.num_nodes) % c.num_classes]
    sizes = np.concatenate([[c.min_size, c.max_size], rng.integers(c.min_size, 8, c.num_hyperedges - 2)])
    hypergraph = {np.int32(j): {np.int32(v) for v in rng.choice(c.num_nodes, s, replace=False)}
                  for j, s in enumerate(sizes)}
    features = sp.random(c.num_nodes, c.num_features, density=0.01, format="csr", random_state=0, dtype=np.float32)
    features.data[:] = 1.0
    objects = {"features": features, "hypergraph": hypergraph, "labels": labels}
    for k in range(1, 11):
        perm = rng.permutation(c.num_nodes)
        objects[f"splits/{k}"] = {"train": perm[:c.num_train].tolist(), "test": perm[c.num_train:].tolist()}
    for name, obj in objects.items():
        with (folder / f"{name}.pickle").open("wb") as fh:
            pickle.dump(obj, fh, protocol=2)


@pytest.mark.parametrize("model", ["lighthgnn", "lighthgnn+"])
def test_runner_on_kept_back_cocitation_citeseer_in_its_layout(tmp_path, model):
    """cocitation-citeseer is kept back from the shared data: the runner path runs on a stand-in in its layout."""
    from graphkit import runner

    write_full_size_cocitation_citeseer(tmp_path)
    (record,) = runner.run(["--model", model, "--dataset", "cocitation-citeseer", "--data-root", str(tmp_path),
                            "--quick", "--quiet", "--out", str(tmp_path / "runs.jsonl")])
    assert record["dataset"] == "cocitation-citeseer" and record["config"]["val_per_class"] == 100
    assert {"test_accuracy", "teacher_test_accuracy"} <= set(record["metrics"])


def test_inputs_checked_before_training_and_the_data_masks_when_no_split_is_drawn():
    data = planted_hypergraph()
    # -1 is unlabelled where the split is drawn: such vertices are in no mask
    unlabelled = data.clone()
    unlabelled.y = data.y.clone()
    unlabelled.y[:6] = -1
    d = prepare_hypergraph(unlabelled, train_per_class=5, val_per_class=10)
    assert not bool((d.train_mask | d.val_mask | d.test_mask)[:6].any())
    # train_per_class=None: the data's own masks
    own = data.clone()
    own.train_mask = torch.arange(90) % 3 == 0
    own.val_mask = torch.arange(90) % 3 == 1
    own.test_mask = torch.arange(90) % 3 == 2
    none = {"train_per_class": None, "val_per_class": None}
    result = fit_hgnn(HGNN(16, 8, 3), own, HGNNConfig(epochs=2, **none), progress=False)
    assert torch.equal(result.train_mask, own.train_mask)
    result = fit_lighthgnn(LightHGNN(16, 3), own, CFG.replace(epochs=2, **none), progress=False)
    assert torch.equal(result.test_mask, own.test_mask)
    with pytest.raises(ValueError, match="data.train_mask is missing.*set train_per_class and val_per_class"):
        fit_lighthgnn(LightHGNN(16, 3), data, CFG.replace(**none))
    with pytest.raises(ValueError, match="train_per_class and val_per_class are set together"):
        HGNNConfig(val_per_class=None)
    # labels the model does not predict, labels below -1: refused before the split is drawn
    bad = data.clone()
    bad.y = data.y.clone()
    bad.y[4] = 5
    with pytest.raises(ValueError, match="data.y contains class 5 but HGNN predicts 3"):
        fit_hgnn(HGNN(16, 8, 3), bad, HGNNConfig(epochs=2, train_per_class=5, val_per_class=10))
    bad.y[4] = -5
    with pytest.raises(ValueError, match="below -1"):
        fit_lighthgnn(LightHGNNPlus(16, 3), bad, CFG)
    with pytest.raises(ValueError, match=r"cannot draw the split \(train_per_class=40, val_per_class=10\).*Lower"):
        fit_lighthgnn(LightHGNN(16, 3), data, CFG.replace(train_per_class=40))
