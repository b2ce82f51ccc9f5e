"""Sparse (torch.sparse_csr) bag-of-words features through every model whose first layer is linear (#21).

Eval mode: the CSR path equals the dense path to float rounding. Training mode: the baselines and students
have no input dropout, so the same seed gives the same output; where there is input dropout (DAGNN, DGMLP's
head, NCN's xdp) it is drawn on the stored values, so the mean over many draws equals the dense path's mean
(tests/ops/test_rows.py checks the dropout itself).
"""

import logging

import pytest
import torch
from torch_geometric.data import Data

from graphkit import datasets
from graphkit.models.baselines import GAT, GCN, MLP, SAGE, fit_node_classifier
from graphkit.models.dgmlp import DGMLP, DGMLPConfig, fit_dgmlp
from graphkit.models.lighthgnn import LightHGNN, LightHGNNConfig, fit_lighthgnn
from graphkit.models.ncn import NCN, NCNConfig, NCNEncoder, fit_ncn
from graphkit.models.vqgraph import GLNN, GLNNConfig, VQGraph, VQGraphConfig, fit_glnn, fit_vqgraph
from graphkit.ops.csr import as_csr
from graphkit.ops.rows import to_sparse_rows

F_IN = 120


@pytest.fixture(scope="module")
def bow():
    """A csbm graph with bag-of-words features: 2 % background words plus 8 % words of the node's class."""
    data = datasets.load("csbm", num_nodes=240, seed=0)
    gen = torch.Generator().manual_seed(0)
    block = (torch.arange(F_IN) * int(data.y.max() + 1) // F_IN).unsqueeze(0) == data.y.unsqueeze(1)
    x = ((torch.rand(data.num_nodes, F_IN, generator=gen) < 0.02)
         | (block & (torch.rand(data.num_nodes, F_IN, generator=gen) < 0.08))).float()
    dense = Data(x=x, y=data.y, edge_index=data.edge_index, train_mask=data.train_mask, val_mask=data.val_mask,
                 test_mask=data.test_mask)
    sparse = dense.clone()
    sparse.x = to_sparse_rows(x)
    return dense, sparse


def close(a, b):
    torch.testing.assert_close(a, b, atol=2e-5, rtol=1e-4)


BASELINES = [(MLP, {}), (GCN, {}), (SAGE, {"aggr": "mean"}), (SAGE, {"aggr": "gcn"}), (GAT, {"heads": 2})]
IDS = ["mlp", "gcn", "sage-mean", "sage-gcn", "gat"]


@pytest.mark.parametrize(("cls", "kwargs"), BASELINES, ids=IDS)
def test_baselines_take_csr_equal_to_dense(bow, cls, kwargs):
    dense, sparse = bow
    torch.manual_seed(0)
    model = cls(F_IN, 16, 4, dropout=0.5, **kwargs)
    model.eval()
    want = model(dense.x, dense.edge_index)
    close(model(sparse.x, dense.edge_index), want)
    close(model.inference(sparse.x, dense.edge_index, chunk_size=50), want)  # layer-wise, in chunks (#18)
    model.train()  # no input dropout: the hidden dropout draws the same stream on both paths
    grads = []
    for x in (dense.x, sparse.x):
        torch.manual_seed(1)
        model.zero_grad()
        out = model(x, dense.edge_index)
        out.pow(2).mean().backward()
        grads.append((out.detach(), [p.grad.clone() for p in model.parameters()]))
    close(grads[1][0], grads[0][0])
    for a, b in zip(grads[0][1], grads[1][1], strict=True):
        close(b, a)


@pytest.mark.parametrize("extra", [{}, {"normalize_features": True},
                                   {"batch_size": 32, "fan_out": (5, 5), "epochs": 4}], ids=["plain", "normalised",
                                                                                            "mini-batch"])
@pytest.mark.parametrize(("cls", "kwargs"), [(GCN, {}), (SAGE, {"aggr": "mean"}), (GAT, {"heads": 2})],
                         ids=["gcn", "sage", "gat"])
def test_fit_node_classifier_on_csr_gives_the_dense_figures(bow, cls, kwargs, extra):
    dense, sparse = bow
    config = {"epochs": 15, "hidden_channels": 16, **extra}
    results = [fit_node_classifier(cls(F_IN, 16, 4, **kwargs), d, config, seed=3, progress=False)
               for d in (dense, sparse)]
    assert results[1].metrics == pytest.approx(results[0].metrics, abs=1e-9)
    assert results[1].history[-1]["loss"] == pytest.approx(results[0].history[-1]["loss"], rel=1e-4)


def test_dgmlp_head_takes_csr_and_fit_densifies_with_a_logged_reason(bow, caplog):
    dense, sparse = bow
    torch.manual_seed(0)
    model = DGMLP(F_IN, 4, num_hops=0, dropout=0.5)
    model.eval()
    close(model.head(sparse.x), model.head(dense.x))
    model.train()  # a linear head: E[lin(drop(x))] = lin(x) on both paths
    with torch.no_grad():
        want = model.lin(dense.x)
        torch.manual_seed(0)
        for x in (sparse.x, dense.x):
            mean = torch.stack([model.head(x) for _ in range(1500)]).mean(0)
            torch.testing.assert_close(mean, want, atol=0.06, rtol=0)
    config = DGMLPConfig(epochs=10, num_hops=3)
    with caplog.at_level(logging.INFO, logger="graphkit.models.dgmlp"):
        got = fit_dgmlp(DGMLP.from_config(config, sparse), sparse, config, seed=0, progress=False)
    assert "densifies" in caplog.text and "fill in" in caplog.text
    want = fit_dgmlp(DGMLP.from_config(config, dense), dense, config, seed=0, progress=False)
    assert got.metrics == want.metrics


def test_distillation_students_and_teachers_take_csr(bow):
    dense, sparse = bow
    torch.manual_seed(0)
    glnn = GLNN(F_IN, 4, hidden_channels=16, teacher_hidden=16).eval()
    close(glnn(sparse.x), glnn(dense.x))
    close(glnn.teacher(sparse.x, dense.edge_index), glnn.teacher(dense.x, dense.edge_index))
    vq = VQGraph(F_IN, 4, hidden_channels=16, code_dim=8, num_codes=16, teacher_hidden=16).eval()
    close(vq(sparse.x), vq(dense.x))
    close(vq.tokenizer(sparse.x, dense.edge_index)[0], vq.tokenizer(dense.x, dense.edge_index)[0])
    vq.tokenizer.train()  # the reconstruction term reads the CSR target without densifying it
    for x in (dense.x, sparse.x):
        torch.manual_seed(2)
        vq.tokenizer.reseed(0)
        vq.tokenizer.vq.reset_parameters(0)
        _, aux = vq.tokenizer(x, dense.edge_index)
        if x.layout == torch.strided:
            want = aux
    close(aux, want)
    light = LightHGNN(F_IN, 4, hidden_channels=16, teacher_hidden=8).eval()
    close(light(sparse.x), light(dense.x))


@pytest.mark.parametrize(("fit", "model_cls", "config"), [
    (fit_glnn, GLNN, GLNNConfig(epochs=8, hidden_channels=16, teacher_hidden=16, setting="inductive")),
    (fit_vqgraph, VQGraph, VQGraphConfig(epochs=8, hidden_channels=16, teacher_hidden=16, code_dim=8, num_codes=16)),
    (fit_lighthgnn, LightHGNN, LightHGNNConfig(epochs=8, hidden_channels=16, teacher_hidden=8, train_per_class=10,
                                               val_per_class=10)),
], ids=["glnn-inductive", "vqgraph", "lighthgnn"])
def test_distillation_procedures_on_csr_give_the_dense_figures(bow, fit, model_cls, config):
    dense, sparse = bow
    results = [fit(model_cls.from_config(config, d), d, config, seed=1, progress=False) for d in (dense, sparse)]
    for key, want in results[0].metrics.items():
        assert results[1].metrics[key] == pytest.approx(want, abs=0.02), key  # float rounding only


@pytest.mark.parametrize("conv", ["puregcn", "gcn", "gcn_mean", "none"])
def test_ncn_encoder_takes_csr(bow, conv):
    dense, sparse = bow
    torch.manual_seed(0)
    enc = NCNEncoder(F_IN, 16, conv=conv, num_layers=1, input_dropout=0.5)
    ei = torch.cat([dense.edge_index, dense.edge_index.flip(0)], 1)
    adj = as_csr(ei, dense.num_nodes)
    enc.eval()
    want = enc(dense.x, adj)
    close(enc(sparse.x, adj), want)
    if conv in ("puregcn", "none"):  # linear in x up to the input block: the mean over xdp draws is the eval output
        enc.train()
        torch.manual_seed(0)
        with torch.no_grad():
            for x in (sparse.x, dense.x):
                mean = torch.stack([enc(x, adj) for _ in range(800)]).mean(0)
                torch.testing.assert_close(mean, want, atol=0.05, rtol=0)


def test_fit_ncn_on_csr_features(bow):
    dense, sparse = bow
    config = NCNConfig(epochs=2, hidden_channels=16, input_dropout=0.0, batch_size=256)
    results = [fit_ncn(NCN.from_config(config, d), d, config, seed=0, progress=False) for d in (dense, sparse)]
    for key, want in results[0].metrics.items():
        assert results[1].metrics[key] == pytest.approx(want, abs=0.02), key


# --------------------------------------------------------------------------- the other node procedures (loader default)


@pytest.mark.parametrize(("variant", "backbone"), [("sf", "gcn"), ("ff-la", "gcn"), ("sf", "sage")])
def test_forwardgnn_on_csr_gives_the_dense_figures(bow, variant, backbone, caplog):
    """ForwardGNN already fed bag-of-words input sparse (sparse_input); a CSR load takes that path as it is."""
    from graphkit.models.forwardgnn import ForwardGNN, ForwardGNNConfig, fit_forwardgnn

    dense, sparse = bow
    config = ForwardGNNConfig(variant=variant, backbone=backbone, num_layers=2, hidden_channels=16, epochs=4,
                              folds=5)
    results = []
    for d in (dense, sparse):
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="graphkit.models.forwardgnn"):
            results.append(fit_forwardgnn(ForwardGNN.from_config(config, d), d, config, seed=0, progress=False))
    assert ("densifies" in caplog.text) == (backbone == "sage"), "a one-line reason where the CSR load is densified"
    assert results[1].metrics == pytest.approx(results[0].metrics, abs=1e-9)


def test_gae_encoder_takes_csr(bow):
    from graphkit.models.gae import GAE, GAEConfig, fit_link_predictor

    dense, sparse = bow
    model = GAE(F_IN, 16).eval()
    close(model.encode(sparse.x, dense.edge_index), model.encode(dense.x, dense.edge_index))
    config = GAEConfig(epochs=3, hidden_channels=16)
    results = [fit_link_predictor(GAE.from_config(config, d), d, config, seed=0, progress=False)
               for d in (dense, sparse)]
    for key, want in results[0].metrics.items():
        assert results[1].metrics[key] == pytest.approx(want, abs=0.02), key


def test_stable_and_gcn_jaccard_densify_with_a_logged_reason(bow, caplog):
    from graphkit.models.defenses import GCNJaccard, GCNJaccardConfig, fit_gcn_jaccard
    from graphkit.models.stable import STABLE, STABLEConfig, fit_stable

    dense, sparse = bow
    cases = [(fit_stable, STABLE, STABLEConfig(embedding_channels=16, embedding_epochs=5, epochs=3,
                                               classifier_runs=1, k=2), "graphkit.models.stable"),
             (fit_gcn_jaccard, GCNJaccard, GCNJaccardConfig(epochs=3), "graphkit.models.defenses")]
    for fit, cls, config, logger in cases:
        caplog.clear()
        with caplog.at_level(logging.INFO, logger=logger):
            got = fit(cls.from_config(config, sparse), sparse, config, seed=0, progress=False)
        assert "densifies the sparse features" in caplog.text, fit.__name__
        want = fit(cls.from_config(config, dense), dense, config, seed=0, progress=False)
        assert got.metrics == want.metrics, fit.__name__


@pytest.mark.parametrize("reorder", [None, "degree"])
def test_fastrp_feature_projection_takes_csr(bow, reorder):
    from graphkit.models.fastrp import FastRP

    dense, sparse = bow
    emb = [FastRP(dim=32, feature_ratio=0.5, seed=0, reorder=reorder).fit_transform(dense.edge_index, x=x,
                                                                                    num_nodes=dense.num_nodes)
           for x in (dense.x, sparse.x)]
    close(emb[1], emb[0])


@pytest.mark.parametrize("model", ["gcn", "sage", "dagnn", "glnn", "dgmlp"])
def test_runner_on_a_bag_of_words_miniature_loads_csr_and_matches_the_dense_load(tmp_path, monkeypatch, model):
    """The runner path on a Coauthor-like miniature (about 3 % non-zero, under SPARSE_DENSITY): the default load
    is CSR, and every metric equals the ``--data sparse_features=false`` run's."""
    from graphkit import runner
    from graphkit.datasets import npz_graphs
    from tests.datasets.test_npz_graphs import mini_matrices, true_counts, write_graphdata

    adj, attr, labels = mini_matrices(seed=3, num_features=40)
    attr = attr.tolil()
    attr[:, 4:] = 0  # 4 of 40 columns at 30 %: about 3 % non-zero
    matrices = (adj, attr.tocsr(), labels)
    write_graphdata(tmp_path / "GraphData" / npz_graphs.FILES["coauthor-cs"], *matrices)
    monkeypatch.setitem(npz_graphs.PUBLISHED, "coauthor-cs", true_counts(*matrices))
    assert datasets.load("coauthor-cs", root=tmp_path).x.layout == torch.sparse_csr
    small = ["--set", "hidden_channels=8"] if model != "dgmlp" else []
    records = [runner.run(["--model", model, "--dataset", "coauthor-cs", "--data-root", str(tmp_path), *small,
                           "--epochs", "3", "--runs", "1", "--quiet", "--out", str(tmp_path / "r.jsonl"), *extra])[0]
               for extra in ([], ["--data", "sparse_features=false"])]
    assert records[1]["data_options"] == {"sparse_features": False}
    assert records[0]["metrics"] == pytest.approx(records[1]["metrics"], abs=1e-9)
