"""NCN / NCNC / cn0 predictors and the NCN encoder against dense brute-force references."""

from __future__ import annotations

import pytest
import torch

from graphkit import NCN, NCNC
from graphkit.models.ncn import CN0Predictor, NCNCPredictor, NCNEncoder, NCNPredictor, build_from_config
from graphkit.models.registry import get_model
from graphkit.nn.common_neighbor_pooling import cost_chunks, drop_entries, subsample_rows, symmetric_csr
from graphkit.ops.csr import CSR, from_coo


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
    return dict(use_xlin=True, tailact=False, twolayerlin=True, ln=True, dropout=0.1)


# ----------------------------------------------------------------------------- building blocks


def test_symmetric_csr_dedups_and_refuses_asymmetric():
    ei = torch.tensor([[0, 1, 0, 1, 2], [1, 0, 1, 2, 1]])
    csr = symmetric_csr(ei, 3)
    assert csr.nnz == 4 and csr.value is None
    assert torch.equal(csr.to_dense(), torch.tensor([[0., 1, 0], [1, 0, 1], [0, 1, 0]]))
    with pytest.raises(ValueError, match=r"not symmetric.*\(2, 0\).*to_undirected"):
        symmetric_csr(torch.tensor([[0, 1, 2], [1, 0, 0]]), 3)


def test_subsample_rows_caps_rows_and_reweights():
    ei, csr = _graph(20, 120)
    out = subsample_rows(csr, 3, generator=torch.Generator().manual_seed(0))
    deg = csr.degree()
    assert torch.equal(out.degree(), deg.clamp_max(3))
    # weights: rowcount / k on sampled rows, 1 elsewhere -> every row's weight sum equals its degree
    sums = torch.zeros(20).index_add_(0, out.row(), out.value)
    assert torch.allclose(sums, deg.float())
    dense_in, dense_out = _dense(csr), (out.to_dense() > 0).float()
    assert bool((dense_out <= dense_in).all())  # only existing entries, no duplicates
    assert out.to_dense().max() <= deg.max() / 3 + 1e-6
    assert subsample_rows(csr, -1) is csr


def test_drop_entries_scales_and_keeps_subset():
    _, csr = _graph(30, 200)
    torch.manual_seed(0)
    out = drop_entries(csr, 0.5)
    assert 0 < out.nnz < csr.nnz
    assert torch.allclose(out.value, torch.full_like(out.value, 2.0))
    assert bool(((out.to_dense() > 0) <= (csr.to_dense() > 0)).all())
    assert drop_entries(csr, 0.0) is csr
    with pytest.raises(ValueError, match="edge dropout"):
        drop_entries(csr, 1.0)


def test_cost_chunks_respect_budget_and_cover():
    _, csr = _graph(30, 200)
    pairs = _pairs(30, 50)
    deg = csr.degree()
    chunks = cost_chunks(pairs, deg, 40)
    assert torch.equal(torch.cat(chunks), torch.arange(50))
    cost = deg[pairs[0]] + deg[pairs[1]] + 1
    for c in chunks:
        assert c.numel() == 1 or int(cost[c].sum()) <= 40
    assert len(cost_chunks(pairs, deg, 10**9)) == 1


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
    for kw in (_kw(), dict(use_xlin=False, tailact=True)):
        pred = NCNPredictor(16, **kw).eval()
        with torch.no_grad():
            pred.beta.fill_(0.7)
        assert torch.allclose(pred(x, adj, pairs), _ncn_reference(pred, x, adj, pairs), atol=1e-5)


def test_cn0_is_mlp_of_hadamard():
    torch.manual_seed(0)
    _, adj = _graph()
    x, pairs = torch.randn(12, 8), _pairs(12, 9)
    pred = CN0Predictor(8, tailact=True).eval()
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
    ei, adj = _graph()
    enc = NCNEncoder(5, 8, conv="puregcn").eval()
    x = torch.randn(12, 5)
    a = adj.to_dense()
    norm = (1 + a.sum(1)).rsqrt().unsqueeze(1)
    h0 = enc.xemb(x)
    assert torch.allclose(enc(x, adj), norm * (a @ (norm * h0) + norm * h0), atol=1e-5)
    enc_sum = NCNEncoder(5, 8, conv="puresum", res=True).eval()
    h0 = enc_sum.xemb(x)
    assert torch.allclose(enc_sum(x, adj), a @ h0 + h0, atol=1e-5)


@pytest.mark.parametrize("conv", ["gcn", "sage", "puremean", "none"])
def test_other_encoders_shapes(conv):
    _, adj = _graph()
    enc = NCNEncoder(5, 8, conv=conv, num_layers=2, ln=True, jk=True, edge_dropout=0.2)
    assert enc(torch.randn(12, 5), adj).shape == (12, 8)


def test_featureless_embedding_is_orthogonal():
    enc = NCNEncoder(0, 8, conv="puresum", num_nodes=8)
    w = enc.embedding.weight
    assert torch.allclose(w @ w.t(), torch.eye(8), atol=1e-5)
    with pytest.raises(ValueError, match="num_nodes"):
        NCNEncoder(0, 8)
    with pytest.raises(ValueError, match="unknown NCN encoder"):
        NCNEncoder(4, 8, conv="gat")


# ----------------------------------------------------------------------------- full models & bad input


def test_ncn_model_encode_score_and_chunked_eval():
    torch.manual_seed(0)
    ei, _ = _graph()
    model = NCN(5, 16, use_xlin=True, jk=True, tailact=True, predictor_ln=True).eval()
    x, pairs = torch.randn(12, 5), _pairs(12, 30)
    h = model.encode(x, ei)
    full = model.score(h, ei, pairs)
    model.predictor.max_cn_entries = 4  # many chunks, same scores
    assert torch.allclose(model.score(h, ei, pairs), full, atol=1e-6)
    assert "NCNEncoder(conv=puregcn" in repr(model) and "kind=cn1" in repr(model)
    assert "kind=incn1cn1" in repr(NCNC(5, 8)) and "depth=1" in repr(NCNC(5, 8))
    assert "kind=cn0" in repr(NCN(5, 8, predictor="cn0"))


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
    with pytest.raises(ValueError, match="unknown predictor"):
        NCN(5, 8, predictor="cn9")
    with pytest.raises(TypeError, match="completion options need NCNC"):
        NCN(5, 8, pt=0.3)
    with pytest.raises(ValueError, match="features"):
        model.predictor(torch.randn(12, 4), model.adjacency(ei), torch.tensor([[0], [1]]))


def test_registry_and_config_build():
    spec = get_model("ncnc")
    assert spec.task == "link" and spec.fit is not None
    model = build_from_config(NCNC, 10, 0, {"hidden_channels": 8, "encoder": "puresum", "pt": 0.1, "depth": 2})
    assert model.encoder.embedding.weight.shape == (10, 8)
    assert float(model.predictor.pt) == pytest.approx(0.1) and model.predictor.depth == 2


def test_csr_input_is_used_as_given():
    ei, adj = _graph()
    model = NCN(5, 8)
    x = torch.randn(12, 5)
    assert torch.allclose(model.eval().encode(x, adj), model.encode(x, ei))
    assert isinstance(model.adjacency(ei), CSR)
    assert from_coo is not None
