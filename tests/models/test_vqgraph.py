import pytest
import torch
import torch.nn.functional as F
from torch_geometric.data import Data
from torch_geometric.utils import to_undirected

from graphkit.models.baselines import MLP, SAGE
from graphkit.models.registry import get_method
from graphkit.models.vqgraph import (
    GLNN,
    GLNNConfig,
    VQGraph,
    VQGraphConfig,
    VQGraphStudent,
    VQGraphTokenizer,
    _CodeKD,
    fit_glnn,
    fit_vqgraph,
    prepare_graph,
    restrict_graph,
)
from graphkit.nn.vector_quantizer import VectorQuantizer


def planted_graph(n=90, c=3, f=12, seed=0):
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % c
    x = torch.randn(n, f, generator=g) + 2.5 * torch.nn.functional.one_hot(y, f).float()
    src = torch.randint(0, n, (400,), generator=g)
    dst = torch.randint(0, n, (400,), generator=g)
    same = (y[src] == y[dst]) & (src != dst)
    ei = to_undirected(torch.stack([src[same], dst[same]]), num_nodes=n)
    ring = torch.stack([torch.arange(n), (torch.arange(n) + c) % n])  # connects each class, keeps the LCC whole
    ring2 = torch.stack([torch.arange(n), (torch.arange(n) + 1) % n])
    return Data(x=x, y=y, edge_index=to_undirected(torch.cat([ei, ring, ring2], 1), num_nodes=n), num_nodes=n)


SMALL = {"epochs": 30, "train_per_class": 5, "val_per_class": 5, "teacher_hidden": 16, "hidden_channels": 32}
VQ_CFG = VQGraphConfig(**SMALL, num_codes=32, code_dim=16)
GLNN_CFG = GLNNConfig(**SMALL)


def _params(module):
    return [p.detach().clone() for p in module.parameters()]


def _changed(before, module):
    return all(not torch.equal(a, b) for a, b in zip(before, module.parameters(), strict=True))


@pytest.mark.parametrize(("cls", "config", "fit", "setting"), [
    (VQGraph, VQ_CFG, fit_vqgraph, "transductive"), (GLNN, GLNN_CFG, fit_glnn, "inductive")])
def test_fit_trains_the_model_passed_in(cls, config, fit, setting):
    data = planted_graph()
    config = config.replace(setting=setting)
    model = cls.from_config(config, data)
    teacher = model.tokenizer if cls is VQGraph else model.teacher
    t_before, s_before = _params(teacher), _params(model.student)
    result = fit(model, data, config, seed=0, progress=False)
    assert result.model is model and result.config is config
    assert _changed(t_before, teacher) and _changed(s_before, model.student)
    key = "test_tran_accuracy" if setting == "inductive" else "test_accuracy"
    assert result.metrics[key] > 0.55  # chance is 1/3
    assert model(data.x).shape == (90, 3)
    if setting == "inductive":
        assert {"test_ind_accuracy", "test_prod_accuracy", "teacher_test_ind_accuracy"} <= set(result.metrics)
        assert torch.equal(result.observed, ~result.test_ind)
    else:
        acc = float((model(data.x).argmax(-1) == data.y)[result.test_mask].float().mean())
        assert result.metrics["test_accuracy"] == pytest.approx(acc)
    assert torch.equal(result.graph.kept_nodes, torch.ones(90, dtype=torch.bool))


def test_vqgraph_outputs_codebook_and_codes():
    data = planted_graph()
    model = VQGraph.from_config(VQ_CFG, data)
    result = fit_vqgraph(model, data, VQ_CFG, seed=0, progress=False)
    assert result.codebook.shape == (32, 16) and torch.equal(result.codebook, model.tokenizer.vq.codebook)
    assert result.codes.shape == (90,) and int(result.codes.max()) < 32
    model.tokenizer.eval()
    h = model.tokenizer.encode(data.x, data.edge_index)
    assert torch.equal(result.codes, model.tokenizer.vq(h)[1])


def test_same_seed_same_figures_and_the_fit_seed_governs_the_tokenizer():
    data = planted_graph()
    a = VQGraph.from_config(VQ_CFG, data)
    first = fit_vqgraph(a, data, VQ_CFG, seed=2, progress=False)
    # a tokenizer built with another generator seed: the fit's seed redraws codebook and edge samples
    b = VQGraph(12, 3, hidden_channels=32, teacher_hidden=16, num_codes=32, code_dim=16, seed=9)
    second = fit_vqgraph(b, data, VQ_CFG, seed=2, progress=False)
    assert first.metrics == second.metrics
    assert torch.equal(first.codebook, second.codebook)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    third = fit_vqgraph(VQGraph.from_config(VQ_CFG, data), data, VQ_CFG, seed=3, progress=False)
    assert not torch.equal(third.codebook, first.codebook)
    g1 = fit_glnn(GLNN.from_config(GLNN_CFG, data), data, GLNN_CFG, seed=1, progress=False)
    g2 = fit_glnn(GLNN.from_config(GLNN_CFG, data), data, GLNN_CFG, seed=1, progress=False)
    assert g1.metrics == g2.metrics and g1.history == g2.history


def test_dead_code_threshold_reaches_the_quantiser_and_usage_is_reported():
    data = planted_graph()
    assert VQGraphConfig().dead_code_threshold == 2.0  # the CosineSimCodebook default in VQGraph's vq.py
    assert VQGraph(12, 3).tokenizer.vq.dead_code_threshold == 2.0
    usage = {}
    for threshold in (0.0, 2.0):
        config = VQ_CFG.replace(dead_code_threshold=threshold, num_codes=64)
        model = VQGraph.from_config(config, data)
        assert model.tokenizer.vq.dead_code_threshold == threshold
        result = fit_vqgraph(model, data, config, seed=0, progress=False)
        u = result.codebook_usage
        assert u.live == int(result.codes.unique().numel())
        assert result.metrics["codebook_live_share"] == pytest.approx(u.live / 64)
        assert result.metrics["codebook_perplexity_share"] == pytest.approx(u.perplexity / 64)
        assert 1.0 <= u.perplexity <= u.live
        usage[threshold] = u.live
    assert usage[2.0] > usage[0.0]  # 0 is the old behaviour: codes no node chose stay unused
    with pytest.raises(ValueError, match="dead_code_threshold must be >= 0"):
        VQGraphConfig(dead_code_threshold=-1.0)


def test_tokenizer_is_kept_at_its_lowest_validation_loss_by_default():
    data = planted_graph()
    assert VQGraphConfig().teacher_selection == "loss" and GLNNConfig().teacher_selection == "accuracy"
    for rule, key, best in (("loss", "valid_loss", min), ("accuracy", "valid_accuracy", max)):
        config = VQ_CFG.replace(teacher_selection=rule)
        result = fit_vqgraph(VQGraph.from_config(config, data), data, config, seed=1, progress=False)
        values = [h[key] for h in result.teacher_history]
        assert values.index(best(values)) == result.teacher_best_epoch or (
            rule == "accuracy" and values[result.teacher_best_epoch] == best(values))  # ties: the later epoch
    # the old behaviour stays reachable: teacher_selection='accuracy', dead_code_threshold=0
    old = VQ_CFG.replace(teacher_selection="accuracy", dead_code_threshold=0.0)
    assert fit_vqgraph(VQGraph.from_config(old, data), data, old, seed=1, progress=False).metrics[
        "test_accuracy"] > 0.5


def test_code_kd_matches_the_dense_formula_and_has_a_gradient():
    torch.manual_seed(0)
    vq = VectorQuantizer(10, 4, seed=0)
    h_t, proj = torch.randn(7, 4), torch.randn(7, 4, requires_grad=True)
    tau, beta = 4.0, 0.5
    term = _CodeKD(vq, h_t, temperature=tau, weight=beta)
    loss = term((torch.randn(7, 3), proj), 0)
    book = F.normalize(vq.codebook, dim=-1)
    r_t = F.softmax(F.normalize(h_t, dim=-1) @ book.t() / tau, -1)
    r_s = F.softmax(F.normalize(proj, dim=-1) @ book.t() / tau, -1)
    ref = beta * tau ** 2 * (r_t * (r_t.log() - r_s.log())).sum(-1).mean()
    torch.testing.assert_close(loss, ref)
    assert float(loss.detach()) > 0
    loss.backward()
    assert proj.grad is not None and float(proj.grad.abs().sum()) > 0
    assert float(term((None, h_t), 0).detach()) == pytest.approx(0.0, abs=1e-6)  # student codes = teacher's


def test_code_term_is_what_trains_the_students_code_projection():
    # the projection head learns only from the code-assignment KL: with β = 0 it keeps its starting values,
    # with β = 1 it moves (warm_start keeps the starting point the model holds; no weight decay, which alone
    # would move it)
    data = planted_graph()
    config = VQ_CFG.replace(epochs=5, student_weight_decay=0.0)
    for beta in (0.0, 1.0):
        model = VQGraph.from_config(config, data)
        start = model.student.proj.weight.detach().clone()
        fit_vqgraph(model, data, config.replace(code_weight=beta), seed=0, progress=False, warm_start=True)
        assert torch.equal(model.student.proj.weight, start) == (beta == 0.0)


def test_tokenizer_losses_and_student_shapes():
    data = planted_graph()
    tok = VQGraphTokenizer(12, 16, 3, code_dim=8, num_codes=16, edge_batch=64)
    tok.train()
    logits, aux = tok(data.x, data.edge_index)
    assert logits.shape == (90, 3) and aux.dim() == 0 and float(aux.detach()) > 0
    aux.backward()
    assert tok.node_decoder.weight.grad is not None and tok.edge_decoder.weight.grad is not None
    tok.eval()
    assert tok(data.x, data.edge_index)[1] is None
    logits, proj = VQGraphStudent(12, 32, 3, code_dim=8)(data.x)
    assert logits.shape == (90, 3) and proj.shape == (90, 8)
    with pytest.raises(ValueError, match="encoder"):
        VQGraphTokenizer(12, 16, 3, encoder="gat")
    with pytest.raises(ValueError, match="num_layers >= 2"):
        VQGraphStudent(12, 32, 3, num_layers=1)
    tok.reseed(5)
    assert torch.equal(tok.vq.codebook, VectorQuantizer(16, 8, seed=5).codebook)


def test_glnn_holds_a_gcn_aggregating_sage_teacher_and_an_mlp():
    model = GLNN(12, 3)
    assert isinstance(model.teacher, SAGE) and model.teacher.aggr == "gcn" and model.teacher.dropout == 0.0
    assert isinstance(model.student, MLP) and model.student.dropout == 0.6
    assert isinstance(VQGraph(12, 3).tokenizer, VQGraphTokenizer)
    assert repr(GLNN(12, 3)).startswith("GLNN(\n  in_channels=12, out_channels=3\n  (teacher): SAGE(12, 128, 3")
    assert "(student): VQGraphStudent(\n    num_layers=2, dropout=0.6" in repr(VQGraph(12, 3))


def test_prepare_lcc_split_and_restrict():
    data = planted_graph()
    iso = Data(x=torch.cat([data.x, torch.randn(2, 12)]), y=torch.cat([data.y, torch.tensor([0, 1])]),
               edge_index=data.edge_index, num_nodes=92)
    g = prepare_graph(iso, train_per_class=5, val_per_class=5)
    assert g.num_nodes == 90  # the two isolated nodes are outside the LCC
    assert torch.equal(g.kept_nodes, torch.arange(92) < 90)
    assert int(g.train_mask.sum()) == 15 and int(g.val_mask.sum()) == 15
    sub = restrict_graph(g, torch.arange(90) < 45)
    assert sub.num_nodes == 45 and int(sub.edge_index.max()) < 45
    with pytest.raises(ValueError, match="data.edge_index"):
        prepare_graph(Data(x=torch.randn(3, 2), y=torch.tensor([0, 1, 0]), edge_index=torch.tensor([[0], [5]])))
    for name, cls, config, fit in (("vqgraph", VQGraph, VQGraphConfig, fit_vqgraph),
                                   ("glnn", GLNN, GLNNConfig, fit_glnn)):
        spec = get_method(name)
        assert (spec.model, spec.config, spec.fit) == (cls, config, fit)


def test_wrong_model_wrong_key_wrong_data_give_one_line_errors():
    data = planted_graph()
    with pytest.raises(TypeError, match="fit_vqgraph trains a VQGraph, got GLNN.*fit_glnn") as info:
        fit_vqgraph(GLNN(12, 3), data, VQ_CFG)
    assert "\n" not in str(info.value)
    with pytest.raises(TypeError, match="fit_glnn trains a GLNN, got VQGraph"):
        fit_glnn(VQGraph(12, 3), data)
    with pytest.raises(ValueError, match="unknown key 'num_code' \\(did you mean 'num_codes'\\?\\)") as info:
        fit_vqgraph(VQGraph(12, 3), data, {"num_code": 8})
    assert "\n" not in str(info.value)
    with pytest.raises(ValueError, match="unknown key 'code_weight'"):
        GLNNConfig().replace(code_weight=1.0)  # GLNN has no codebook
    with pytest.raises(TypeError, match="expected a GLNNConfig, got a VQGraphConfig"):
        fit_glnn(GLNN(12, 3), data, VQ_CFG)
    with pytest.raises(ValueError, match="data.x has 12 features but GLNN was built for 5"):
        fit_glnn(GLNN(5, 3), data, GLNN_CFG)
    with pytest.raises(ValueError, match="num_layers must be >= 2"):
        VQGraphConfig(num_layers=1)
    with pytest.raises(ValueError, match="teacher_aggr='max'"):
        GLNNConfig(teacher_aggr="max")


VQGRAPH_JSON_DEFAULT = {
    "teacher_hidden": 128, "teacher_dropout": 0.5, "encoder": "sage", "code_dim": 128, "num_codes": 2048,
    "lambda_node": 1e-3, "lambda_edge": 0.03, "hidden_channels": 128, "num_layers": 2, "dropout": 0.6,
    "teacher_lr": 0.01, "teacher_weight_decay": 5e-4, "student_lr": 0.01, "student_weight_decay": 5e-3,
    "lam": 0.0, "temperature": 1.0, "code_temperature": 4.0, "code_weight": 1.0, "setting": "transductive",
    "held_out": 0.2, "epochs": 500, "patience": 50, "select_ties": True, "runs": 10,
    "train_per_class": 20, "val_per_class": 30, "lcc": True}
GLNN_JSON_DEFAULT = {
    "teacher_hidden": 128, "teacher_dropout": 0.0, "teacher_aggr": "gcn", "hidden_channels": 128, "num_layers": 2,
    "dropout": 0.6, "teacher_lr": 0.01, "teacher_weight_decay": 5e-4, "student_lr": 0.01,
    "student_weight_decay": 5e-3, "lam": 0.0, "temperature": 1.0, "setting": "transductive", "held_out": 0.2,
    "epochs": 500, "patience": 50, "select_ties": True, "runs": 10, "train_per_class": 20, "val_per_class": 30,
    "lcc": True}


def test_presets_build_and_equal_the_former_json_configs():
    assert VQGraphConfig().to_dict().items() >= VQGRAPH_JSON_DEFAULT.items()
    assert GLNNConfig().to_dict().items() >= GLNN_JSON_DEFAULT.items()
    students = {"amazon-computers": {"student_lr": 1e-3, "student_weight_decay": 2e-3, "dropout": 0.3},
                "amazon-photo": {"student_lr": 5e-3, "student_weight_decay": 2e-3, "dropout": 0.3},
                "citeseer": {"student_lr": 0.01, "student_weight_decay": 1e-3, "dropout": 0.1}}
    students["cpf-citeseer"] = students["citeseer"]  # the CiteSeer file GLNN / VQGraph ship
    for cls, default in ((VQGraphConfig, VQGRAPH_JSON_DEFAULT), (GLNNConfig, GLNN_JSON_DEFAULT)):
        assert set(cls.presets) == {"cora", "cpf-cora", *students}
        assert cls.paper("cpf-cora") == cls.paper("cora")
        for name in cls.presets:
            codes = {"num_codes": 1024} if cls is VQGraphConfig and name.startswith("amazon") else {}
            assert cls.paper(name).to_dict().items() >= (default | students.get(name, {}) | codes).items()
        assert cls.for_dataset("pubmed") == cls()
    assert "YangLing0818/VQGraph" in VQGraphConfig.source_for("cora")
    assert "snap-research" in GLNNConfig.source_for("citeseer")


def write_full_size_amazon_photo(root) -> None:
    """A stand-in for the kept-back Amazon Photo with exactly its published counts (7,650 nodes, 238,162
    directed edges, 745 features, 8 classes), in the GraphData layout ``GraphData/amazon_photo.npz``."""
    import numpy as np
    import scipy.sparse as sp

    from graphkit.datasets.npz_graphs import FILES, PUBLISHED

    c = PUBLISHED["amazon-photo"]
    rng = np.random.default_rng(0)
    n, want = c.num_nodes, c.num_edges // 2
    pairs = rng.integers(0, n, (2, int(want * 1.2)))
    pairs = np.unique(np.sort(pairs[:, pairs[0] != pairs[1]], axis=0), axis=1)[:, :want]
    pairs = np.concatenate([pairs[:, :-n], np.stack([np.arange(n - 1), np.arange(1, n)])], 1)  # connected
    pairs = np.unique(np.sort(pairs, axis=0), axis=1)
    extra = rng.integers(0, n, (2, 4 * (want - pairs.shape[1]) + 100))
    extra = np.unique(np.sort(extra[:, extra[0] != extra[1]], axis=0), axis=1)
    key = np.setdiff1d(extra[0] * n + extra[1], pairs[0] * n + pairs[1])[: want - pairs.shape[1]]
    pairs = np.concatenate([pairs, np.stack([key // n, key % n])], 1)
    assert pairs.shape[1] == want
    adj = sp.csr_matrix((np.ones(want, dtype=np.float32), (pairs[0], pairs[1])), shape=(n, n))
    attr = sp.random(n, c.num_features, density=0.02, format="csr", random_state=0, dtype=np.float32)
    attr.data[:] = 1.0
    path = root / "GraphData" / FILES["amazon-photo"]
    path.parent.mkdir(parents=True)
    adj_obj, attr_obj = np.empty((), dtype=object), np.empty((), dtype=object)
    adj_obj[()], attr_obj[()] = adj, attr
    np.savez(path, adj_matrix=adj_obj, node_attr=attr_obj,
             node_label=(np.arange(n) % c.num_classes).astype(np.int32), metadata=np.empty((), dtype=object))


@pytest.mark.slow
@pytest.mark.parametrize("model", ["vqgraph", "glnn"])
def test_runner_on_kept_back_amazon_photo_in_its_layout(tmp_path, model):
    """amazon-photo is kept back from the shared data: the runner path runs on a stand-in in its layout.

    Slow (about a minute on 2 cores): both teachers aggregate the 745 raw features over 238,162 edges.
    """
    from graphkit import runner

    write_full_size_amazon_photo(tmp_path)
    (record,) = runner.run(["--model", model, "--dataset", "amazon-photo", "--data-root", str(tmp_path), "--quick",
                            "--quiet", "--out", str(tmp_path / "runs.jsonl")])
    assert record["dataset"] == "amazon-photo" and record["config"]["student_lr"] == 5e-3
    assert {"test_accuracy", "teacher_test_accuracy"} <= set(record["metrics"])
    if model == "vqgraph":
        assert record["config"]["num_codes"] == 1024 and 0 < record["metrics"]["codebook_live_share"] <= 1


def test_inputs_checked_before_training_and_the_data_masks_when_no_split_is_drawn():
    data = planted_graph()
    iso = Data(x=torch.cat([data.x, torch.randn(2, 12)]), y=torch.cat([data.y, torch.tensor([0, 1])]),
               edge_index=data.edge_index, num_nodes=92)
    # -1 is unlabelled where the split is drawn: such nodes are in no mask
    unlabelled = iso.clone()
    unlabelled.y = iso.y.clone()
    unlabelled.y[:6] = -1
    g = prepare_graph(unlabelled, train_per_class=5, val_per_class=5)
    assert not bool((g.train_mask | g.val_mask | g.test_mask)[:6].any())
    assert int(g.test_mask.sum()) == 90 - 6 - 30
    # train_per_class=None: the data's own masks, restricted to the component
    own = iso.clone()
    own.train_mask = torch.arange(92) % 3 == 0
    own.val_mask = torch.arange(92) % 3 == 1
    own.test_mask = torch.arange(92) % 3 == 2
    g = prepare_graph(own, train_per_class=None, val_per_class=None)
    assert torch.equal(g.train_mask, own.train_mask[:90]) and torch.equal(g.test_mask, own.test_mask[:90])
    cfg = VQ_CFG.replace(epochs=2, train_per_class=None, val_per_class=None)
    result = fit_glnn(GLNN(12, 3, hidden_channels=8, teacher_hidden=8), own, GLNNConfig(epochs=2).replace(
        train_per_class=None, val_per_class=None), progress=False)
    assert torch.equal(result.train_mask, own.train_mask[:90])
    with pytest.raises(ValueError, match="data.train_mask is missing.*set train_per_class and val_per_class"):
        fit_vqgraph(VQGraph(12, 3, code_dim=8, num_codes=8), iso, cfg)
    with pytest.raises(ValueError, match="train_per_class and val_per_class are set together"):
        VQGraphConfig(train_per_class=None)
    # labels the model does not predict, labels below -1: refused before the split is drawn
    bad = iso.clone()
    bad.y = iso.y.clone()
    bad.y[4] = 7
    with pytest.raises(ValueError, match="data.y contains class 7 but VQGraph predicts 3"):
        fit_vqgraph(VQGraph(12, 3, code_dim=8, num_codes=8), bad, VQ_CFG)
    bad.y[4] = -3
    with pytest.raises(ValueError, match="below -1"):
        fit_glnn(GLNN(12, 3), bad, GLNN_CFG)
    # a graph without edges: its largest component is one node, and the message says which keys to change
    empty = Data(x=data.x, y=data.y, edge_index=torch.empty(2, 0, dtype=torch.long), num_nodes=90)
    with pytest.raises(ValueError, match=r"largest connected component \(1 of 90 nodes; data.edge_index has no "
                                         r"edges\).*train_per_class / val_per_class, set lcc=False"):
        fit_vqgraph(VQGraph(12, 3, code_dim=8, num_codes=8), empty, VQ_CFG)
    with pytest.raises(ValueError, match="cannot draw the split .* in the graph \\(90 nodes\\): class 0"):
        prepare_graph(data, lcc=False, train_per_class=20, val_per_class=20)


def test_forward_checks_x():
    model = VQGraph(12, 3, code_dim=8, num_codes=8)
    x = torch.randn(4, 12)
    x[1, 2] = float("nan")
    with pytest.raises(ValueError, match="x contains NaN"):
        model(x)
    with pytest.raises(ValueError, match="x has 5 features but VQGraph was built for 12"):
        model(torch.randn(4, 5))
    with pytest.raises(ValueError, match="x has 5 features but VQGraphTokenizer was built for 12"):
        model.tokenizer(torch.randn(4, 5), torch.tensor([[0], [1]]))
    with pytest.raises(ValueError, match="edge_index contains node id 9"):
        model.tokenizer(torch.randn(4, 12), torch.tensor([[0], [9]]))
