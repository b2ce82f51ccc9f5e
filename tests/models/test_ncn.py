"""NCN / NCNC: predictors and encoder against dense references; names, configs, presets; the procedure."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch
from torch_geometric.data import Data

from graphkit import datasets
from graphkit.datasets.splits import random_link_split
from graphkit.models.ncn import (
    NCN,
    NCNC,
    HadamardPredictor,
    NCNCConfig,
    NCNConfig,
    NCNCPredictor,
    NCNEncoder,
    NCNPredictor,
    fit_ncn,
    split_adjacencies,
)
from graphkit.ops.csr import CSR, symmetric_csr
from graphkit.train.link_prediction import evaluate_link
from tests.datasets.test_ogb import mini_collab

ROOT = Path(__file__).resolve().parents[2]


def _graph(n=12, m=30, seed=0):
    gen = torch.Generator().manual_seed(seed)
    ei = torch.randint(0, n, (2, m), generator=gen)
    ei = ei[:, ei[0] != ei[1]]
    ei = torch.cat([ei, ei.flip(0)], 1)
    return ei, symmetric_csr(ei, n)


def _pairs(n, b, seed=1):
    gen = torch.Generator().manual_seed(seed)
    return torch.randint(0, n, (2, b), generator=gen)


def _dense(csr):
    return (csr.to_dense() > 0).float()


def _kw():
    return dict(use_xlin=True, final_linear=True, output_layers=3, ln=True, dropout=0.1)


# ----------------------------------------------------------------------------- predictors


def _ncn_reference(pred: NCNPredictor, x, adj, pairs):
    """Dense NCN: lin(xcnlin(Σ_CN x'_u)·β + xijlin(x_i ⊙ x_j)), eval mode."""
    a = _dense(adj)
    cn = a[pairs[0]] * a[pairs[1]]
    xt = x + pred.xlin(x) if pred.xlin is not None else x
    return pred.lin(pred.xcnlin(cn @ xt) * pred.beta + pred.xijlin(x[pairs[0]] * x[pairs[1]])).squeeze(-1)


def test_ncn_predictor_matches_dense_reference():
    torch.manual_seed(0)
    _, adj = _graph()
    x = torch.randn(12, 16)
    pairs = _pairs(12, 25)
    for kw in (_kw(), dict(use_xlin=False, final_linear=False)):
        pred = NCNPredictor(16, **kw).eval()
        with torch.no_grad():
            pred.beta.fill_(0.7)
        assert torch.allclose(pred(x, adj, pairs), _ncn_reference(pred, x, adj, pairs), atol=1e-5)


def _plain_ncn(pred: NCNPredictor, x, adj, pairs):
    """The training-mode formula lin(xcnlin(pool) * β + xijlin(x_i ⊙ x_j)) evaluated row by row, every row."""
    xcn = pred._cn_features(x, adj, pairs, 0)
    return pred.lin(pred.xcnlin(xcn) * pred.beta + pred.xijlin(x[pairs[0]] * x[pairs[1]])).squeeze(-1)


def _path(n):
    ei = torch.stack([torch.arange(n - 1), torch.arange(1, n)])
    return symmetric_csr(torch.cat([ei, ei.flip(0)], 1), n)


@pytest.mark.parametrize("case", ["pairs_outnumber_members", "few_pairs", "no_common_neighbour", "sampled"])
def test_eval_cn_branch_shares_work_and_equals_the_plain_formula(case):
    """Out of training mode xcnlin runs once for all empty sets and, when the set members are fewer than the
    non-empty rows, its first Linear runs on the members before pooling: same numbers as the plain formula."""
    torch.manual_seed(0)
    if case == "no_common_neighbour":
        adj, pairs = _path(10), torch.tensor([[0, 0, 2, 9], [5, 9, 6, 1]])  # distance >= 3: no common neighbour
    else:
        _, adj = _graph(12, 50)
        pairs = torch.cartesian_prod(torch.arange(12), torch.arange(12)).t() if case != "few_pairs" \
            else _pairs(12, 6, seed=2)
    n = adj.num_rows
    x = torch.randn(n, 16)
    pred = NCNPredictor(16, cn_deg=2 if case == "sampled" else -1, **_kw()).eval()
    with torch.no_grad():
        pred.beta.fill_(0.7)
    sets = pred._cn_sets(adj, pairs)
    nonempty = int((sets.rowptr.diff() > 0).sum())
    expected = {"pairs_outnumber_members": nonempty > n, "no_common_neighbour": nonempty == 0,
                "few_pairs": 0 < nonempty < min(pairs.size(1), NCNPredictor._members(sets)[0].numel()),
                "sampled": sets.value is not None}
    assert expected[case]
    torch.manual_seed(1)
    out = pred(x, adj, pairs)
    torch.manual_seed(1)
    assert torch.allclose(out, _plain_ncn(pred, x, adj, pairs), atol=1e-5)
    if case != "sampled":
        assert torch.allclose(out, _ncn_reference(pred, x, adj, pairs), atol=1e-5)
    torch.manual_seed(1)
    with torch.no_grad():
        assert torch.allclose(pred(x, adj, pairs), out, atol=1e-6)


def test_eval_cn_branch_keeps_gradients():
    """The shared-work path writes into a fresh tensor only: gradients (eval mode, grad on) are the plain formula's."""
    torch.manual_seed(0)
    _, adj = _graph(12, 50)
    pairs = torch.cartesian_prod(torch.arange(12), torch.arange(12)).t()
    pred = NCNPredictor(16, **_kw()).eval()
    grads = []
    for fn in (lambda x: pred(x, adj, pairs), lambda x: _plain_ncn(pred, x, adj, pairs)):
        x = torch.randn(12, 16, generator=torch.Generator().manual_seed(2), requires_grad=True)
        pred.zero_grad()
        (fn(x) ** 2).sum().backward()
        grads.append((x.grad, pred.xcnlin[0].weight.grad.clone(), pred.beta.grad.clone()))
    for new, old in zip(*grads, strict=True):
        assert torch.allclose(new, old, atol=1e-4, rtol=1e-4)


def test_final_linear_and_output_layers_shape_the_mlps():
    pred = NCNPredictor(8, final_linear=True, output_layers=3)
    assert isinstance(pred.xcnlin[-1], torch.nn.Linear) and isinstance(pred.xijlin[-1], torch.nn.Linear)
    assert sum(isinstance(m, torch.nn.Linear) for m in pred.lin) == 3
    tail = NCNPredictor(8, final_linear=False, output_layers=1)  # official --tailact, a single output Linear
    assert isinstance(tail.xcnlin[-1], torch.nn.Identity) and isinstance(tail.xijlin[-1], torch.nn.Identity)
    assert len(tail.lin) == 1 and tail.lin[0].out_features == 1
    with pytest.raises(ValueError, match="output_layers must be >= 1"):
        NCNPredictor(8, output_layers=0)


def test_hadamard_is_mlp_of_hadamard():
    torch.manual_seed(0)
    _, adj = _graph()
    x, pairs = torch.randn(12, 8), _pairs(12, 9)
    pred = HadamardPredictor(8, final_linear=False).eval()
    ref = pred.lin(pred.xijlin(x[pairs[0]] * x[pairs[1]])).squeeze(-1)
    assert torch.allclose(pred(x, adj, pairs), ref)


def test_ncnc_completion_matches_brute_force():
    """Σ_CN x'_u + Σ_{k∈N(i)\\N(j)} p̂(j,k) x'_k + Σ_{k∈N(j)\\N(i)} p̂(i,k) x'_k, p̂ from the depth-0 model on x'."""
    torch.manual_seed(0)
    _, adj = _graph(14, 40)
    x, pairs = torch.randn(14, 16), _pairs(14, 10)
    pred = NCNCPredictor(16, alpha=0.8, scale=2.0, offset=0.3, pt=0.6, **_kw()).eval()
    a = _dense(adj)
    xt = x + pred.xlin(x)
    feats = []
    for b in range(pairs.size(1)):
        i, j = int(pairs[0, b]), int(pairs[1, b])
        f = (a[i] * a[j]) @ xt
        for src, other in ((i, j), (j, i)):
            for k in torch.nonzero(a[src] * (1 - a[other])).flatten().tolist():
                logit = _ncn_reference(pred, xt, adj, torch.tensor([[other], [k]]))
                p0 = torch.sigmoid(2.0 * (logit - 0.3))
                f = f + (0.8 * 0.6 * p0 / (0.6 * p0 + 1 - p0)) * xt[k]
        feats.append(f)
    ref = pred.lin(pred.xcnlin(torch.stack(feats)) * pred.beta + pred.xijlin(x[pairs[0]] * x[pairs[1]])).squeeze(-1)
    out = pred(x, adj, pairs)
    assert torch.allclose(out, ref, atol=1e-5)
    # chunked completion (split_size / work budget) gives the same numbers
    pred.split_size = 3
    assert torch.allclose(pred(x, adj, pairs), out, atol=1e-6)
    pred.split_size, pred.max_cn_entries = None, 5
    assert torch.allclose(pred(x, adj, pairs), out, atol=1e-6)


def test_ncnc_calibration_and_depth():
    pred = NCNCPredictor(8, alpha=0.5, scale=4.0, offset=1.0, pt=0.25)
    logit = torch.tensor([-2.0, 0.0, 1.0, 3.0])
    p0 = torch.sigmoid(4.0 * (logit - 1.0))
    assert torch.allclose(pred.calibrate(logit), 0.5 * 0.25 * p0 / (0.25 * p0 + 1 - p0))
    _, adj = _graph()
    x, pairs = torch.randn(12, 8), _pairs(12, 6)
    ncn = NCNPredictor(8)
    ncnc0 = NCNCPredictor(8, depth=0)
    ncnc0.load_state_dict(ncn.state_dict(), strict=False)
    assert torch.allclose(ncnc0.eval()(x, adj, pairs), ncn.eval()(x, adj, pairs))  # depth 0 is NCN
    deep = NCNCPredictor(8, depth=2).eval()
    assert deep(x, adj, pairs).shape == (6,)
    with pytest.raises(ValueError, match="pt must be <= 1.0, got 1.5"):
        NCNCPredictor(8, pt=1.5)


def test_ncnc_gradients_do_not_flow_through_completion_probabilities():
    torch.manual_seed(0)
    _, adj = _graph()
    x = torch.randn(12, 8, requires_grad=True)
    pred = NCNCPredictor(8, use_xlin=True)
    pred(x, adj, _pairs(12, 5)).sum().backward()
    assert x.grad is not None and all(p.grad is not None for p in (pred.beta, pred.xcnlin[0].weight))


# ----------------------------------------------------------------------------- encoders


def test_puregcn_encoder_matches_dense_formula():
    torch.manual_seed(0)
    _, adj = _graph()
    enc = NCNEncoder(5, 8, conv="puregcn").eval()
    x = torch.randn(12, 5)
    a = adj.to_dense()
    norm = (1 + a.sum(1)).rsqrt().unsqueeze(1)
    h0 = enc.xemb(x)
    assert torch.allclose(enc(x, adj), norm * (a @ (norm * h0) + norm * h0), atol=1e-5)
    enc_sum = NCNEncoder(5, 8, conv="puresum", res=True).eval()
    h0 = enc_sum.xemb(x)
    assert torch.allclose(enc_sum(x, adj), a @ h0 + h0, atol=1e-5)


def test_gcn_mean_encoder_is_a_mean_aggregating_gcn_layer_and_sage_its_alias():
    torch.manual_seed(0)
    _, adj = _graph()
    enc = NCNEncoder(5, 8, conv="sage", num_layers=1).eval()  # the official name
    assert enc.conv_name == "gcn_mean" and "conv=gcn_mean" in repr(enc)
    x = torch.randn(12, 5)
    a = adj.to_dense()
    lin = enc.convs[0].conv
    mean = a / a.sum(1, keepdim=True).clamp_min(1)  # no self-loops, no symmetric normalisation
    expected = torch.relu(mean @ lin.lin(x) + lin.bias)  # 1 layer: LN off, dropout off in eval, ReLU
    torch.testing.assert_close(enc(x, adj), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("conv", ["gcn", "gcn_mean", "puremean", "none"])
def test_other_encoders_shapes(conv):
    _, adj = _graph()
    enc = NCNEncoder(5, 8, conv=conv, num_layers=2, ln=True, jk=True, edge_dropout=0.2)
    assert enc(torch.randn(12, 5), adj).shape == (12, 8)


def test_sparse_feature_path_equals_dense():
    torch.manual_seed(0)
    _, adj = _graph(300, 900)
    x = (torch.rand(300, 400) < 0.02).float()  # bag of words: ~2% non-zeros, over the 2^16 threshold
    enc = NCNEncoder(400, 16, conv="puregcn").eval()
    assert torch.allclose(enc._input(x), enc.xemb(x), atol=1e-5)
    assert enc._sparse_x is not None and enc._sparse_x[1]


def test_featureless_embedding_is_orthogonal():
    enc = NCNEncoder(0, 8, conv="puresum", num_nodes=8)
    w = enc.embedding.weight
    assert torch.allclose(w @ w.t(), torch.eye(8), atol=1e-5)
    with pytest.raises(ValueError, match="num_nodes"):
        NCNEncoder(0, 8)
    with pytest.raises(ValueError, match="unknown NCN encoder 'gat'.*gcn_mean.*official aliases: sage"):
        NCNEncoder(4, 8, conv="gat")
    with pytest.raises(ValueError, match="input_dropout must be < 1.0"):
        NCNEncoder(4, 8, input_dropout=1.0)


# ----------------------------------------------------------------------------- full models, names & bad input


def test_ncn_model_encode_score_and_chunked_eval():
    torch.manual_seed(0)
    ei, _ = _graph()
    model = NCN(5, 16, use_xlin=True, jk=True, final_linear=False, predictor_ln=True).eval()
    x, pairs = torch.randn(12, 5), _pairs(12, 30)
    h = model.encode(x, ei)
    full = model.score(h, ei, pairs)
    assert torch.equal(model(x, ei, pairs), full)
    model.predictor.max_cn_entries = 4  # many chunks, same scores
    assert torch.allclose(model.score(h, ei, pairs), full, atol=1e-6)
    assert "NCNEncoder(conv=puregcn" in repr(model) and "kind=ncn" in repr(model)
    assert "final_linear=False, output_layers=2" in repr(model)
    assert "kind=ncnc" in repr(NCNC(5, 8)) and "depth=1" in repr(NCNC(5, 8))
    assert "kind=hadamard" in repr(NCN(5, 8, predictor="hadamard"))


@pytest.mark.parametrize(("official", "readable", "cls"), [("cn1", "ncn", NCN), ("cn0", "hadamard", NCN),
                                                           ("incn1cn1", "ncnc", NCNC)])
def test_official_predictor_names_are_aliases(official, readable, cls):
    torch.manual_seed(0)
    a = cls(5, 8, predictor=official)
    torch.manual_seed(0)
    b = cls(5, 8, predictor=readable)
    assert a.predictor.kind == b.predictor.kind == readable and a.predictor.official == official
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))


def test_bad_input():
    ei, _ = _graph()
    model = NCNC(5, 8)
    x = torch.randn(12, 5)
    h = model.encode(x, ei)
    with pytest.raises(ValueError, match="edge_label_index"):
        model.score(h, ei, torch.tensor([[0], [12]]))
    with pytest.raises(ValueError, match="negative"):
        model.score(h, ei, torch.tensor([[-1], [2]]))
    with pytest.raises(TypeError, match="int64"):
        model.score(h, ei, torch.tensor([[0.0], [1.0]]))
    with pytest.raises(ValueError, match="not symmetric"):
        model.encode(x, torch.tensor([[0, 1], [1, 2]]))
    empty = model.score(h, ei, torch.zeros(2, 0, dtype=torch.long))
    assert empty.shape == (0,)
    model.eval()
    assert model.score(h, ei, torch.zeros(2, 0, dtype=torch.long)).shape == (0,)
    with pytest.raises(ValueError, match="unknown predictor 'cn9'; valid: ncn, ncnc, hadamard"):
        NCN(5, 8, predictor="cn9")
    with pytest.raises(ValueError, match="NCN takes predictor 'ncn' or 'hadamard', got 'ncnc'; use NCNC"):
        NCN(5, 8, predictor="incn1cn1")
    with pytest.raises(ValueError, match="NCNC takes predictor 'ncnc', got 'ncn'; use NCN"):
        NCNC(5, 8, predictor="cn1")
    with pytest.raises(TypeError, match="completion options need NCNC"):
        NCN(5, 8, pt=0.3)
    with pytest.raises(TypeError, match="tailact"):
        NCN(5, 8, tailact=True)  # constructors take the readable names; configs take both
    with pytest.raises(ValueError, match="features"):
        model.predictor(torch.randn(12, 4), model.adjacency(ei), torch.tensor([[0], [1]]))


def test_csr_input_is_used_as_given():
    ei, adj = _graph()
    model = NCN(5, 8)
    x = torch.randn(12, 5)
    assert torch.allclose(model.eval().encode(x, adj), model.encode(x, ei))
    assert isinstance(model.adjacency(ei), CSR)
    assert model.adjacency(ei) is model.adjacency(ei)  # cached for a repeated edge_index


def test_reset_parameters_redraws():
    model = NCNC(5, 8, use_xlin=True, jk=True)
    before = [p.detach().clone() for p in model.parameters()]
    with torch.no_grad():
        model.predictor.beta.fill_(3.0)
    model.reset_parameters()
    assert float(model.predictor.beta.detach()) == 1.0
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))


# ----------------------------------------------------------------------------- configs and presets


@pytest.mark.parametrize("cls", [NCNConfig, NCNCConfig])
def test_every_preset_builds_and_names_its_source(cls):
    assert set(cls.presets) == {"cora", "citeseer", "pubmed", "ogbl-collab", "ogbl-ppa", "ogbl-citation2",
                                "ogbl-ddi"}
    for name in cls.presets:
        config = cls.paper(name)
        assert isinstance(config, cls) and config.predictor == ("ncnc" if cls is NCNCConfig else "ncn")
        assert "NeuralCommonNeighbor" in cls.source_for(name)
    # the defaults are the README command for Cora, and what a data set without a preset gets
    assert cls.paper("cora") == cls() == cls.for_dataset("csbm")
    with pytest.raises(ValueError, match="no preset for 'csbm'"):
        cls.paper("csbm")


def test_presets_hold_the_official_readme_values():
    ddi = NCNConfig.paper("ogbl-ddi")
    assert (ddi.encoder, ddi.hidden_channels, ddi.output_layers, ddi.final_linear, ddi.predictor_lr) == \
        ("puresum", 224, 3, True, 0.0018)
    assert NCNCConfig.paper("ogbl-ddi").predictor_lr == 0.0025 and NCNCConfig.paper("ogbl-ddi").split_size == 262144
    cora = NCNCConfig.paper("cora")
    assert (cora.scale, cora.offset, cora.pt, cora.alpha, cora.final_linear, cora.metric) == \
        (4.3, 2.8, 0.75, 1.0, False, None)
    c2 = NCNCConfig.paper("ogbl-citation2")
    assert (c2.target_link_removal, c2.grad_clip, c2.train_res_deg, c2.batch_size) == (False, 1.0, 96, 24576)
    assert NCNConfig.paper("citeseer").output_layers == 3 and NCNConfig.paper("citeseer").batch_size == 384


def test_official_keys_and_values_are_aliases():
    config = NCNConfig.from_dict({"tailact": False, "twolayerlin": True, "gnnlr": 0.01, "model": "sage",
                                  "predictor": "cn0", "xdp": 0.1, "maskinput": False, "hiddim": 64})
    assert (config.final_linear, config.output_layers, config.gnn_lr, config.encoder, config.predictor,
            config.input_dropout, config.target_link_removal, config.hidden_channels) == \
        (True, 3, 0.01, "gcn_mean", "hadamard", 0.1, False, 64)
    ncnc = NCNCConfig.from_dict({"predictor": "incn1cn1", "probscale": 2.0, "proboffset": 1.0, "trndeg": 8})
    assert (ncnc.predictor, ncnc.scale, ncnc.offset, ncnc.train_res_deg) == ("ncnc", 2.0, 1.0, 8)
    assert NCNConfig().replace(tailact=True).final_linear is False
    assert NCNConfig(encoder="sage") == NCNConfig(encoder="gcn_mean")


def test_config_errors_are_one_line_and_name_the_fix():
    with pytest.raises(ValueError, match=r"NCNConfig: unknown key 'gnn_lrr' \(did you mean 'gnn_lr'\?\); valid keys"):
        NCNConfig.from_dict({"gnn_lrr": 0.1})
    with pytest.raises(ValueError, match="NCNConfig: unknown key 'pt'"):
        NCNConfig.from_dict({"pt": 0.5})  # a completion key: NCNCConfig has it
    with pytest.raises(ValueError, match="NCNConfig: predictor='ncnc' needs NCNCConfig"):
        NCNConfig(predictor="incn1cn1")
    with pytest.raises(ValueError, match="NCNCConfig: predictor='ncn' needs NCNConfig"):
        NCNCConfig(predictor="cn1")
    with pytest.raises(ValueError, match="NCNConfig: unknown NCN encoder 'gat'"):
        NCNConfig(encoder="gat")
    with pytest.raises(ValueError, match=r"NCNConfig: metric='auc'.*hits@K"):
        NCNConfig(metric="auc")
    with pytest.raises(ValueError, match=r"gnn_dropout must be in \[0, 1\)"):
        NCNConfig(gnn_dropout=1.0)
    with pytest.raises(ValueError, match="max_steps_per_epoch must be > 0"):
        NCNConfig(max_steps_per_epoch=0)
    with pytest.raises(ValueError, match=r"NCNCConfig: pt must be in \[0, 1\]"):
        NCNCConfig(pt=2.0)
    with pytest.raises(ValueError, match="val_ratio and test_ratio"):
        NCNConfig(val_ratio=0.5, test_ratio=0.5)
    with pytest.raises(ValueError, match="NCNConfig: epochs must be >= 1, got 0") as info:
        NCNConfig.from_dict({"epochs": 0})
    assert "\n" not in str(info.value)


def test_from_config_sizes_the_model_for_node_data_and_link_splits():
    data = _tiny_data()
    config = NCNCConfig(hidden_channels=8, encoder="puresum", pt=0.1, depth=2, output_layers=3)
    model = NCNC.from_config(config, data)
    assert model.encoder.in_channels == 6 and model.num_nodes == 60
    assert float(model.predictor.pt) == pytest.approx(0.1) and model.predictor.depth == 2
    assert sum(isinstance(m, torch.nn.Linear) for m in model.predictor.lin) == 3
    featureless = random_link_split(data, seed=0)
    featureless.x = None
    model = NCNC.from_config({"hidden_channels": 8, "pt": 0.3}, featureless)  # a dict of keys works too
    assert model.encoder.embedding.weight.shape == (60, 8)
    assert isinstance(NCN.from_config(None, data), NCN)
    with pytest.raises(ValueError, match="NCN takes predictor 'ncn' or 'hadamard', got 'ncnc'; use NCNC"):
        NCN.from_config(NCNCConfig(), data)
    with pytest.raises(TypeError, match="expected a NCNCConfig, got a NCNConfig"):
        NCNC.from_config(NCNConfig(), data)


# ----------------------------------------------------------------------------- the procedure


def _tiny_data(n=60, seed=0):
    gen = torch.Generator().manual_seed(seed)
    # two communities: denser inside, so common neighbours carry signal
    blocks = torch.arange(n) % 2
    src, dst = torch.randint(0, n, (2, 600), generator=gen)
    keep = (blocks[src] == blocks[dst]) | (torch.rand(600, generator=gen) < 0.1)
    ei = torch.stack([src[keep], dst[keep]])
    ei = torch.cat([ei, ei.flip(0)], 1)
    return Data(x=torch.randn(n, 6, generator=gen), edge_index=ei, num_nodes=n)


SMALL = dict(hidden_channels=16, use_xlin=True, final_linear=False, jk=True, predictor_ln=True,
             predictor_edge_dropout=0.2, input_dropout=0.2, batch_size=64, gnn_lr=0.01, predictor_lr=0.01)


def test_fit_ncn_trains_the_model_passed_in_selects_on_validation_and_is_seeded():
    data = _tiny_data()
    config = NCNCConfig(**SMALL, epochs=3, pt=0.5, scale=3.0, offset=1.0)
    model = NCNC.from_config(config, data)
    before = [p.detach().clone() for p in model.parameters()]
    a = fit_ncn(model, data, config, seed=3, progress=False)
    assert a.model is model and a.config is config
    trained = [p.detach().clone() for p in model.parameters()]
    assert any(not torch.equal(p, q) for p, q in zip(before, trained, strict=True))
    assert set(a.metrics) == {"valid_hits@100", "test_hits@100"} and a.epochs_run == 3
    assert a.metrics["valid_hits@100"] == max(h["valid_hits@100"] for h in a.history)
    assert a.history[a.best_epoch]["valid_hits@100"] == a.metrics["valid_hits@100"]
    assert a.time["epoch_s"] > 0 and a.time["inference_s"] > 0 and a.peak_memory_mb > 0
    undirected = a.split.train_pos.size(1) + a.split.valid_pos.size(1) + a.split.test_pos.size(1)
    assert a.split.valid_pos.size(1) == int(0.1 * undirected)  # the drawn 70/10/20 split is returned
    # the same seed gives the same result, whatever the module went through before (it is re-initialised)
    b = fit_ncn(model, data, config, seed=3, progress=False)
    assert b.metrics == a.metrics and b.history == a.history
    assert all(torch.equal(p, q) for p, q in zip(trained, model.parameters(), strict=True))
    c = fit_ncn(model, data, config, seed=4, progress=False)
    assert c.history != a.history  # another seed: another split, init and negatives
    # the metric the state was selected with is the one evaluated again on the returned model
    assert evaluate_link(model, c.split, "valid", "hits@100", batch_size=None) == c.metrics["valid_hits@100"]


def test_fit_ncn_warm_start_continues_from_the_current_parameters():
    data = _tiny_data()
    config = NCNConfig(**SMALL, epochs=1)
    model = NCN.from_config(config, data)
    fit_ncn(model, data, config, progress=False)
    trained = [p.detach().clone() for p in model.parameters()]
    cold = fit_ncn(NCN.from_config(config, data), data, config, progress=False)
    warm = fit_ncn(model, data, config, progress=False, warm_start=True)
    assert warm.history != cold.history
    assert any(not torch.equal(p, q) for p, q in zip(trained, model.parameters(), strict=True))


def test_fit_ncn_without_tlr_with_frozen_gnn_and_capped_steps():
    split = random_link_split(_tiny_data(), seed=1)
    config = NCNConfig(**{**SMALL, "gnn_lr": 0.0, "batch_size": 32}, epochs=1, target_link_removal=False,
                       metric="hits@20", max_steps_per_epoch=2)
    model = NCN.from_config(config, split)
    res = fit_ncn(model, split, config, progress=False)
    assert "test_hits@20" in res.metrics and res.split is split
    before = [p.detach().clone() for p in model.encoder.parameters()]
    fit_ncn(model, split, config, progress=False, warm_start=True)
    assert all(torch.equal(p, q) for p, q in zip(before, model.encoder.parameters(), strict=True))


def test_max_steps_per_epoch_limits_the_steps(monkeypatch):
    data = _tiny_data()
    calls = []
    original = NCNPredictor.forward
    monkeypatch.setattr(NCNPredictor, "forward", lambda self, *a: calls.append(self.training) or original(self, *a))
    config = NCNConfig(**SMALL, epochs=2, eval_every=2)
    full = fit_ncn(NCN.from_config(config, data), data, config, progress=False)
    steps = full.split.train_pos.size(1) // config.batch_size  # drop_last
    assert steps >= 2 and calls.count(True) == 2 * config.epochs * steps  # positives + negatives per step
    calls.clear()
    capped = config.replace(max_steps_per_epoch=1)
    fit_ncn(NCN.from_config(capped, data), data, capped, progress=False)
    assert calls.count(True) == 2 * config.epochs


def test_fit_ncn_wrong_model_or_config_raise_one_line_errors():
    data = _tiny_data()
    with pytest.raises(TypeError, match=r"fit_ncn trains a NCN or NCNC, got Linear: build one with NCN.from_config"):
        fit_ncn(torch.nn.Linear(2, 2), data)
    with pytest.raises(ValueError, match="NCNConfig: unknown key 'bogus'"):
        fit_ncn(NCN(6, 8), data, {"bogus": 1})
    with pytest.raises(TypeError, match=r"expected a NCNCConfig, got a NCNConfig; build one with NCNCConfig.paper"):
        fit_ncn(NCNC(6, 8), data, NCNConfig())
    with pytest.raises(TypeError, match="LinkSplit or a PyG Data"):
        fit_ncn(NCN(6, 8), "cora", NCNConfig(epochs=1))


def test_fit_ncn_config_none_and_dicts_follow_the_model_class():
    data = _tiny_data()
    res = fit_ncn(NCNC(6, 16), data, {**SMALL, "epochs": 1, "pt": 0.4, "probscale": 2.0}, progress=False)
    assert isinstance(res.config, NCNCConfig) and res.config.scale == 2.0
    res = fit_ncn(NCN(6, 16), data, dict(SMALL, epochs=1), progress=False)
    assert type(res.config) is NCNConfig


def test_collab_protocol_uses_validation_edges_only_at_test_time(tmp_path):
    mini_collab(tmp_path / "ogbl-collab" / "ogbl_collab")
    split = datasets.load("ogbl-collab", root=tmp_path, check_counts=False)
    assert split.test_edge_index is not None
    adjs = split_adjacencies(split, "cpu")
    assert torch.equal(adjs["test"].to_dense(), symmetric_csr(split.test_edge_index, split.num_nodes).to_dense())
    assert adjs["test"].nnz > adjs["valid"].nnz
    assert torch.equal(adjs["valid"].to_dense(), symmetric_csr(split.edge_index, split.num_nodes).to_dense())
    config = NCNConfig.paper("ogbl-collab").replace(epochs=1)
    model = NCN.from_config(config, split)
    res = fit_ncn(model, split, config, progress=False)
    assert set(res.metrics) == {"valid_hits@50", "test_hits@50"}  # metric None: the split's own
    # the test score really is computed on train + valid edges
    model = NCN(split.num_features, 8, encoder="gcn").eval()
    on_test = evaluate_link(model, split, "test", "hits@50", batch_size=None, graph=adjs["test"])
    on_train = evaluate_link(model, split, "test", "hits@50", batch_size=None, graph=adjs["valid"])
    assert on_test == evaluate_link(model, split, "test", "hits@50")  # the split's own test-time graph
    assert on_test != on_train or adjs["test"].nnz != adjs["valid"].nnz


def test_example_runs_on_synthetic_data(capsys):
    spec = importlib.util.spec_from_file_location("ncnc_example", ROOT / "examples" / "ncnc_link_prediction.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    results = module.main(["--dataset", "csbm", "--epochs", "1", "--hidden", "16"])
    out = capsys.readouterr().out
    assert "NCN on csbm: test HR@100" in out and "NCNC on csbm: test HR@100" in out
    assert set(results) == {"NCN", "NCNC"}


def test_hits_at_k_on_a_split_with_fewer_negatives_warns():
    """Issue #20: on a small graph the default hits@100 met 7 validation and 15 test negatives and reported 1.0."""
    from torch_geometric.data import Data

    from graphkit import NCN, NCNConfig, fit_ncn
    from graphkit.metrics import MeaninglessMetricWarning

    n = 40
    ring = torch.stack([torch.arange(n), (torch.arange(n) + 1) % n])
    extra = torch.stack([torch.arange(0, n, 2), (torch.arange(0, n, 2) + 7) % n])
    edges = torch.cat([ring, extra], dim=1)
    data = Data(x=torch.randn(n, 4), edge_index=torch.cat([edges, edges.flip(0)], dim=1), num_nodes=n)
    config = NCNConfig(epochs=1, hidden_channels=8)
    with pytest.warns(MeaninglessMetricWarning, match=r"hits@100 with 6 negative.*set metric='hits@N' with N < 6"):
        result = fit_ncn(NCN.from_config(config, data), data, config, progress=False)
    assert result.metrics["valid_hits@100"] == 1.0
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", MeaninglessMetricWarning)
        fit_ncn(NCN.from_config(config, data), data, config.replace(metric="hits@3"), progress=False)
