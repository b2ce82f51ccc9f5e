"""ForwardGNN: every variant against a hand-computed tiny case, no label leak, bad input, determinism."""

import json

import pytest
import torch
import torch.nn.functional as F
from torch_geometric.data import Data

from graphkit import datasets, runner
from graphkit.models.baselines import GCN, GCNConfig, fit_node_classifier
from graphkit.models.forwardgnn import (
    ForwardBlock,
    ForwardGNN,
    ForwardGNNConfig,
    fit_forwardgnn,
    wrong_classes,
)
from graphkit.ops.virtual_nodes import label_matrix

N, C, F_IN, H = 6, 3, 4, 6


def tiny() -> Data:
    """Six nodes on a path plus a chord; train 0,1,2 (one per class), val 3, test 4,5."""
    ei = torch.tensor([[0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 0, 5], [1, 0, 2, 1, 3, 2, 4, 3, 5, 4, 5, 0]])
    x = torch.tensor([[1.0, 0, 0, 2], [0, 1, 0, 1], [0, 0, 3, 0], [1, 1, 0, 0], [0, 2, 1, 0], [1, 0, 1, 1]])
    mask = lambda ids: torch.isin(torch.arange(N), torch.tensor(ids))  # noqa: E731
    return Data(x=x, edge_index=ei, y=torch.tensor([0, 1, 2, 1, 2, 0]), train_mask=mask([0, 1, 2]),
                val_mask=mask([3]), test_mask=mask([4, 5]))


def config(variant, **kw) -> ForwardGNNConfig:
    base = dict(variant=variant, num_layers=2, hidden_channels=H, epochs=1, eval_every=1, patience=None,
                normalize_features=False, sparse_input=False)
    return ForwardGNNConfig(**(base | kw))


def built(variant, seed=0, **kw) -> ForwardGNN:
    torch.manual_seed(seed)
    return ForwardGNN.from_config(config(variant, **kw), tiny())


# --------------------------------------------------------------------------- dense references


def l2(x):
    return x / (x.norm(dim=1, keepdim=True) + 1e-8)


def dense_block(block: ForwardBlock, x, edges, n, top=None, normalize=True):
    """PyG's GCNConv as dense algebra: relu(D^-1/2 (A + I) D^-1/2 [l2 x (| l2 top)] W^T + b)."""
    a = torch.zeros(n, n)
    a[edges[1], edges[0]] = 1.0  # messages flow source -> target
    a = a + torch.eye(n)
    d = a.sum(1).pow(-0.5)
    h = (l2(x) if normalize else x) if top is None else torch.cat([l2(x), l2(top)], 1)
    return torch.relu((d[:, None] * a * d[None, :]) @ h @ block.conv.lin.weight.t() + block.conv.bias)


def vn_edges(labels):
    """Edges node <-> class node N + c for labelled nodes, written out by hand."""
    pairs = [(v, N + int(c)) for v, c in enumerate(labels.tolist()) if c >= 0]
    src = [p[0] for p in pairs] + [p[1] for p in pairs]
    dst = [p[1] for p in pairs] + [p[0] for p in pairs]
    return torch.cat([tiny().edge_index, torch.tensor([src, dst], dtype=torch.long)], 1)


def known(mask, y, query=None, c=None):
    labels = torch.where(mask, y, torch.full_like(y, -1))
    return labels if query is None else torch.where(query, torch.full_like(y, c), labels)


def first_loss(model, data, seed=0):
    """The loss of the first epoch / time step, from the initial weights (history row 0)."""
    result = fit_forwardgnn(model, data, config(model.variant, legacy_bottom_up=model.legacy_bottom_up), seed=seed,
                            progress=False, warm_start=True)
    return result.history[0]["loss"], result


# --------------------------------------------------------------------------- the variants, by hand


def test_sf_loss_scores_and_prediction_by_hand():
    data, model = tiny(), built("sf")
    edges = vn_edges(known(data.train_mask, data.y))
    assert edges.size(1) == 12 + 6, "only the three training nodes are wired to a class node"
    h0 = torch.cat([data.x, model.virtual_x])
    with torch.no_grad():
        h1 = dense_block(model.layers[0], h0, edges, N + C)
        h2 = dense_block(model.layers[1], h1, edges, N + C)
        logits = [h[:N] @ h[N:].t() for h in (h1, h2)]  # <h_v, h_VN_c> / tau, tau = 1
        want = sum(z.softmax(1) for z in logits)
        torch.testing.assert_close(model(data.x, data.edge_index, data.y, data.train_mask), want)
    expected_loss = F.cross_entropy(logits[0][data.train_mask], data.y[data.train_mask]).item()
    loss, result = first_loss(model, data)
    assert loss == pytest.approx(expected_loss, rel=1e-5)
    assert result.metrics["test_accuracy"] == (model(data.x, data.edge_index, data.y, data.train_mask)
                                               .argmax(1)[data.test_mask] == data.y[data.test_mask]).float().mean()


def test_sf_has_no_label_leak():
    data, model = tiny(), built("sf")
    other = data.y.clone()
    other[3:] = (other[3:] + 1) % C  # change every validation and test label
    with torch.no_grad():
        assert torch.equal(model(data.x, data.edge_index, data.y, data.train_mask),
                           model(data.x, data.edge_index, other, data.train_mask))
    big = datasets.load("csbm", num_nodes=200, seed=0)
    changed = big.clone()
    changed.y = torch.where(big.test_mask, (big.y + 1) % int(big.y.max() + 1), big.y)
    cfg = ForwardGNNConfig(num_layers=2, hidden_channels=8, epochs=6)
    runs = [fit_forwardgnn(ForwardGNN.from_config(cfg, d), d, cfg, seed=3, progress=False) for d in (big, changed)]
    for (key, a), (_, b) in zip(runs[0].model.state_dict().items(), runs[1].model.state_dict().items(), strict=True):
        assert torch.equal(a, b), f"{key}: training read a test label"
    assert runs[0].metrics["valid_accuracy"] == runs[1].metrics["valid_accuracy"]


def ff_reference(model, data, inputs_for, graph_for):
    """BCE(g+, 1) + mean_k BCE(g-_k, 0) on the training nodes, at layer 0."""
    train, theta = data.train_mask, model.theta
    wrong = wrong_classes(data.y, C, generator=torch.Generator().manual_seed(0))
    assert sorted(wrong[0].tolist()) == [1, 2] and sorted(wrong[1].tolist()) == [0, 2]

    def goodness(labels):
        h = dense_block(model.layers[0], inputs_for(labels), graph_for(labels), inputs_for(labels).size(0))
        return h[:N][train].pow(2).sum(1) - theta

    pos = F.binary_cross_entropy_with_logits(goodness(known(train, data.y)), torch.ones(3))
    negs = [F.binary_cross_entropy_with_logits(goodness(known(train, wrong[:, k])), torch.zeros(3))
            for k in range(C - 1)]
    return (pos + sum(negs) / (C - 1)).item()


def ff_scores(model, data, inputs_for, graph_for, known_mask, query):
    scores = []
    for c in range(C):
        labels = known(known_mask, data.y, query, c)
        h, total = inputs_for(labels), 0
        for layer in model.layers:
            h = dense_block(layer, h, graph_for(labels), h.size(0))
            total = total + h[:N].pow(2).sum(1) - model.theta
        scores.append(total)
    return torch.stack(scores, 1)


@pytest.mark.parametrize("variant", ["ff-la", "ff-vn"])
def test_ff_loss_and_c_pass_inference_by_hand(variant):
    data, model = tiny(), built(variant)
    if variant == "ff-la":  # the label is appended to the features; the graph is unchanged
        def inputs_for(labels):
            return torch.cat([data.x, label_matrix(labels, C)], 1)

        def graph_for(labels):
            return data.edge_index
        assert model.layers[0].in_channels == F_IN + C and model.virtual_x is None
    else:  # the label is an edge to a class node
        def inputs_for(labels):
            return torch.cat([data.x, model.virtual_x])

        graph_for = vn_edges
    with torch.no_grad():
        expected_loss = ff_reference(model, data, inputs_for, graph_for)
        trainval = data.train_mask | data.val_mask
        want = ff_scores(model, data, inputs_for, graph_for, trainval, data.test_mask)
        got = model(data.x, data.edge_index, data.y, trainval, data.test_mask)
        torch.testing.assert_close(got, want)
        assert torch.equal(model(data.x, data.edge_index, data.y, trainval), got), "query defaults to the rest"
    loss, result = first_loss(model, data)
    assert loss == pytest.approx(expected_loss, rel=1e-5)
    pred = want.argmax(1)  # weights unchanged? no: trained one epoch -> recompute from the trained model
    with torch.no_grad():
        pred = model(data.x, data.edge_index, data.y, trainval).argmax(1)
    assert result.metrics["test_accuracy"] == pytest.approx(
        (pred[data.test_mask] == data.y[data.test_mask]).float().mean().item())


def test_sf_top_to_loss_step_by_hand():
    data, model = tiny(), built("sf-top-to-loss")
    edges = vn_edges(known(data.train_mask, data.y))
    train, y = data.train_mask, data.y[data.train_mask]
    h0 = torch.cat([data.x, model.virtual_x])
    with torch.no_grad():
        s0 = dense_block(model.layers[0], h0, edges, N + C)  # bottom-up states
        s1 = dense_block(model.layers[1], s0, edges, N + C)
        emb0 = (s0 + l2(s1)) / 2  # layer 0: mean of its output and the normalised output above
        ce = [F.cross_entropy((e[:N] @ e[N:].t())[train], y) for e in (emb0, s1)]
        probs = (emb0[:N] @ emb0[N:].t()).softmax(1) + (s1[:N] @ s1[N:].t()).softmax(1)
        torch.testing.assert_close(model(data.x, data.edge_index, data.y, train), probs)
    loss, _ = first_loss(model, data)
    assert loss == pytest.approx(sum(ce).item(), rel=1e-5)


def test_sf_top_to_loss_legacy_bottom_up_skips_the_normalisation():
    data, model = tiny(), built("sf-top-to-loss", legacy_bottom_up=True)
    edges = vn_edges(known(data.train_mask, data.y))
    h0 = torch.cat([data.x, model.virtual_x])
    with torch.no_grad():
        def raw(block, x):  # the official bottom-up: no L2 normalisation of the input
            return dense_block(block, x, edges, N + C, normalize=False)
        r0 = raw(model.layers[0], h0)
        r1 = raw(model.layers[1], r0)
        cur0, cur1 = dense_block(model.layers[0], h0, edges, N + C), dense_block(model.layers[1], r0, edges, N + C)
        emb0 = (cur0 + l2(r1)) / 2
        want = (emb0[:N] @ emb0[N:].t()).softmax(1) + (cur1[:N] @ cur1[N:].t()).softmax(1)
        torch.testing.assert_close(model(data.x, data.edge_index, data.y, data.train_mask), want)


def test_sf_top_to_input_step_and_unrolled_inference_by_hand():
    data, model = tiny(), built("sf-top-to-input", unroll_steps=3, unroll_skip=1)
    assert model.alternating_update, "'auto' turns the official alternating update on for this variant"
    assert [b.in_channels for b in model.layers] == [F_IN + H, H + C]
    edges = vn_edges(known(data.train_mask, data.y))
    train, y = data.train_mask, data.y[data.train_mask]
    h0 = torch.cat([data.x, model.virtual_x])
    labels = torch.cat([label_matrix(known(train, data.y), C), torch.eye(C)])
    assert torch.equal(labels[3], torch.full((C,), 1.0 / C)) and torch.equal(labels[N + 1], torch.eye(C)[1])
    b0, b1 = model.layers
    with torch.no_grad():
        s0 = dense_block(b0, h0, edges, N + C, top=torch.zeros(N + C, H))  # bottom-up, top-down inputs zero
        s1 = dense_block(b1, s0, edges, N + C, top=torch.zeros(N + C, C))
        out0 = dense_block(b0, h0, edges, N + C, top=s1)  # even layer first, from the previous states
        out1 = dense_block(b1, out0, edges, N + C, top=labels)  # odd layer from the fresh even output
        ce = sum(F.cross_entropy((o[:N] @ o[N:].t())[train], y) for o in (out0, out1))
        total, states = 0, (s0, s1)
        for step in range(3):
            o0 = dense_block(b0, h0, edges, N + C, top=states[1])
            o1 = dense_block(b1, o0, edges, N + C, top=labels)
            if step >= 1:
                total = total + sum((o[:N] @ o[N:].t()).softmax(1) for o in (o0, o1))
            states = (o0, o1)
        torch.testing.assert_close(model(data.x, data.edge_index, data.y, train), total)
    loss, _ = first_loss(model, data)
    assert loss == pytest.approx(ce.item(), rel=1e-5)


def test_sf_top_to_input_without_alternating_reads_the_previous_step():
    data, model = tiny(), built("sf-top-to-input", alternating_update=False, unroll_steps=1, unroll_skip=0)
    edges = vn_edges(known(data.train_mask, data.y))
    h0 = torch.cat([data.x, model.virtual_x])
    labels = torch.cat([label_matrix(known(data.train_mask, data.y), C), torch.eye(C)])
    b0, b1 = model.layers
    with torch.no_grad():
        s0 = dense_block(b0, h0, edges, N + C, top=torch.zeros(N + C, H))
        s1 = dense_block(b1, s0, edges, N + C, top=torch.zeros(N + C, C))
        o0, o1 = dense_block(b0, h0, edges, N + C, top=s1), dense_block(b1, s0, edges, N + C, top=labels)
        want = sum((o[:N] @ o[N:].t()).softmax(1) for o in (o0, o1))
        torch.testing.assert_close(model(data.x, data.edge_index, data.y, data.train_mask), want)


# --------------------------------------------------------------------------- the procedure


VARIANTS = ["sf", "ff-la", "ff-vn", "sf-top-to-loss", "sf-top-to-input"]


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("backbone", ["gcn", "sage", "gat"])
def test_trains_the_model_passed_in_and_repeats_bit_for_bit(variant, backbone):
    data = datasets.load("csbm", num_nodes=120, seed=1)
    data.x = data.x.abs()
    cfg = ForwardGNNConfig(variant=variant, backbone=backbone, num_layers=2, hidden_channels=8, epochs=3, folds=5)
    model = ForwardGNN.from_config(cfg, data)
    results, before = [], [p.detach().clone() for p in model.parameters()]
    for _ in range(2):
        results.append(fit_forwardgnn(model, data, cfg, seed=2, progress=False))
        assert results[-1].model is model
        state = {k: v.clone() for k, v in model.state_dict().items()}
        results[-1].state = state
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    assert results[0].metrics == results[1].metrics
    assert all(torch.equal(results[0].state[k], results[1].state[k]) for k in results[0].state)
    assert 0 <= results[0].metrics["test_accuracy"] <= 1 and int(results[0].test_mask.sum()) == 24
    greedy = variant in ("sf", "ff-la", "ff-vn")
    assert len(results[0].epochs_per_layer) == (2 if greedy else 1)
    assert ("layer2_test_accuracy" in results[0].metrics) == greedy


def test_sparse_input_and_adjacency_give_the_same_numbers():
    data = datasets.load("csbm", num_nodes=150, seed=0)
    data.x = (data.x > 1.6).float()  # bag-of-words-like: under 10 % non-zero
    assert float((data.x != 0).float().mean()) < 0.1
    for variant in ("sf", "ff-la", "sf-top-to-input"):
        scores = []
        for sparse in (True, False):
            cfg = ForwardGNNConfig(variant=variant, num_layers=2, hidden_channels=8, epochs=4, sparse_input=sparse)
            result = fit_forwardgnn(ForwardGNN.from_config(cfg, data), data, cfg, seed=0, progress=False)
            scores.append([p.detach() for p in result.model.parameters()])
        for a, b in zip(*scores, strict=True):
            torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)


def test_greedy_layers_early_stop_one_after_another():
    data = datasets.load("csbm", num_nodes=200, seed=0)
    cfg = ForwardGNNConfig(num_layers=3, hidden_channels=8, epochs=400, patience=3, eval_every=2)
    result = fit_forwardgnn(ForwardGNN.from_config(cfg, data), data, cfg, seed=0, progress=False)
    assert all(e < 400 for e in result.epochs_per_layer)
    assert [row["layer"] for row in result.history] == sorted(row["layer"] for row in result.history)
    assert {row["layer"] for row in result.history} == {0, 1, 2}
    assert all(row["epoch"] % 2 == 1 for row in result.history if row["epoch"] + 1 < 400)
    assert result.metrics["valid_accuracy"] == result.metrics["layer3_valid_accuracy"]


def test_memory_is_flat_in_depth():
    """Bytes held for backward at any moment: one layer's, whatever the depth (SF), unlike back-propagation."""
    from tests.train.test_layerwise import SavedBytes

    data = datasets.load("csbm", num_nodes=300, seed=0)
    peaks = {}
    for depth in (2, 6):
        cfg = ForwardGNNConfig(num_layers=depth, hidden_channels=16, epochs=2)
        model = ForwardGNN.from_config(cfg, data)
        with SavedBytes() as meter:
            fit_forwardgnn(model, data, cfg, progress=False)
        peaks[depth] = meter.peak
        gcfg = GCNConfig(num_layers=depth, hidden_channels=16, epochs=2, dropout=0.0)
        with SavedBytes() as meter:
            fit_node_classifier(GCN.from_config(gcfg, data), data, gcfg, progress=False)
        peaks[f"bp{depth}"] = meter.peak
    assert peaks[6] <= 1.2 * peaks[2]
    assert peaks["bp6"] > 2 * peaks["bp2"]


# --------------------------------------------------------------------------- bad input, configs, runner


@pytest.mark.parametrize("kwargs, match", [
    ({"num_layers": 0}, "num_layers must be an int >= 1"),
    ({"variant": "ff"}, "unknown variant 'ff'; valid: 'sf', 'ff-la', 'ff-vn', 'sf-top-to-loss', 'sf-top-to-input'"),
    ({"backbone": "gin"}, "unknown backbone 'gin'; valid: 'gcn', 'sage', 'gat'"),
    ({"backbone": "gat", "hidden_channels": 6}, "out_channels=6 must be divisible by heads=4"),
    ({"num_classes": 1}, "num_classes must be an int >= 2"),
    ({"unroll_skip": 10}, "unroll_skip=10 must be below unroll_steps=10"),
])
def test_bad_model_arguments(kwargs, match):
    args = {"in_channels": 4, "hidden_channels": 8, "num_classes": 3} | kwargs
    with pytest.raises(ValueError, match=match):
        ForwardGNN(args.pop("in_channels"), args.pop("hidden_channels"), args.pop("num_classes"), **args)


@pytest.mark.parametrize("kwargs, match", [
    ({"num_layers": 0}, "num_layers must be >= 1, got 0"),
    ({"variant": "ff"}, r"variant='ff' is not 'sf' \| 'ff-la' \| 'ff-vn' \| 'sf-top-to-loss' \| 'sf-top-to-input'"),
    ({"backbone": "gin"}, r"backbone='gin' is not 'gcn' \| 'sage' \| 'gat'"),
    ({"backbone": "gat", "hidden_channels": 10}, "hidden_channels=10 must be divisible by heads=4"),
    ({"alternating_update": True}, "alternating_update applies to the time-step variants"),
    ({"grad_clip": 0.0}, "grad_clip must be > 0"),
    ({"folds": 1}, "folds must be >= 2"),
    ({"epoch": 3}, r"unknown key 'epoch' \(did you mean 'epochs'\?\)"),
])
def test_bad_config(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ForwardGNNConfig.from_dict(kwargs)


def test_more_labels_than_classes_and_wrong_model():
    data = tiny()
    model = ForwardGNN(F_IN, 8, 2, num_layers=1)  # built for 2 classes, the graph has 3
    with pytest.raises(ValueError, match=r"labels up to 2 \(3 classes\) but the ForwardGNN was built for 2 classes"):
        fit_forwardgnn(model, data, config("sf"))
    with pytest.raises(TypeError, match="fit_forwardgnn trains a ForwardGNN, got GCN"):
        fit_forwardgnn(GCN(4, 8, 3), data)
    bad = data.clone()
    bad.y = bad.y.float()
    with pytest.raises((TypeError, ValueError), match="integer class ids"):
        fit_forwardgnn(built("sf"), bad, config("sf"))
    with pytest.raises(ValueError, match="data.x has 4 features but the ForwardGNN expects 5"):
        fit_forwardgnn(ForwardGNN(5, 8, 3, num_layers=1), data, config("sf"))


def test_config_presets_aliases_and_grad_clip():
    for name in ForwardGNNConfig.presets:
        cfg = ForwardGNNConfig.paper(name)
        assert (cfg.folds, cfg.runs, cfg.hidden_channels, cfg.epochs, cfg.eval_every, cfg.patience) == \
            (5, 5, 128, 1000, 2, 100)
    assert ForwardGNNConfig.for_dataset("csbm").folds is None
    cfg = ForwardGNNConfig.from_dict({"num_hidden": 64, "ff_theta": 1.5, "num_negs": 100, "gnn": "SAGE"})
    assert (cfg.hidden_channels, cfg.theta, cfg.num_negatives, cfg.backbone) == (64, 1.5, 100, "sage")
    assert ForwardGNNConfig(variant="sf-top-to-loss").resolved_grad_clip() == 1.0
    assert ForwardGNNConfig(variant="sf").resolved_grad_clip() is None
    assert ForwardGNNConfig(variant="sf", grad_clip=0.5).resolved_grad_clip() == 0.5
    model = ForwardGNN.from_config(ForwardGNNConfig(variant="sf-top-to-loss"), tiny())
    assert not model.alternating_update and "variant='sf-top-to-loss'" in repr(model)


def test_amazon_photo_miniature_runs_with_the_official_protocol(tmp_path):
    """Amazon Photo is kept back here: a miniature in the GraphData layout runs SF and the BP baseline."""
    from graphkit.datasets.npz_graphs import load_npz_graph
    from tests.datasets.test_npz_graphs import mini_matrices, write_graphdata

    write_graphdata(tmp_path / "GraphData" / "amazon_photo.npz", *mini_matrices())
    data = load_npz_graph(tmp_path, "amazon-photo", expected=False)
    cfg = ForwardGNNConfig.paper("amazon-photo").replace(num_layers=2, hidden_channels=8, epochs=2)
    result = fit_forwardgnn(ForwardGNN.from_config(cfg, data), data, cfg, seed=1, progress=False)
    assert [int(m.sum()) for m in (result.train_mask, result.val_mask, result.test_mask)] == [115, 29, 36]
    bp = GCNConfig.paper("amazon-photo").replace(num_layers=2, epochs=2)
    base = fit_node_classifier(GCN.from_config(bp, data), data, bp, seed=1, progress=False)
    assert torch.equal(base.test_mask, result.test_mask), "the same fold for the same seed"


@pytest.mark.parametrize("model", ["forwardgnn", "gcn"])
def test_runner_on_an_amazon_photo_miniature_in_its_layout(tmp_path, monkeypatch, model):
    """The runner path for the kept-back Amazon Photo: ``datasets.load('amazon-photo', root=...)`` reads a
    miniature ``GraphData/amazon_photo.npz`` (its published-count check pointed at the miniature's counts) and
    the runner picks the official protocol (5 folds, NormalizeFeatures) from the data set's name."""
    from graphkit.datasets import npz_graphs
    from tests.datasets.test_npz_graphs import mini_matrices, true_counts, write_graphdata

    matrices = mini_matrices()
    write_graphdata(tmp_path / "GraphData" / "amazon_photo.npz", *matrices)
    monkeypatch.setitem(npz_graphs.PUBLISHED, "amazon-photo", true_counts(*matrices))
    small = ["--set", "num_layers=2", "--set", "hidden_channels=8"]
    records = runner.run(["--model", model, "--dataset", "amazon-photo", "--data-root", str(tmp_path), *small,
                          "--epochs", "2", "--runs", "2", "--quiet", "--out", str(tmp_path / "r.jsonl")])
    assert [r["seed"] for r in records] == [0, 1] and all(r["dataset"] == "amazon-photo" for r in records)
    assert all((r["config"]["folds"], r["config"]["normalize_features"]) == (5, True) for r in records)
    assert all(0 <= r["metrics"]["test_accuracy"] <= 1 for r in records)
    if model == "forwardgnn":
        assert records[0]["config"]["variant"] == "sf" and "layer2_test_accuracy" in records[0]["metrics"]


def test_runner_runs_a_variant(tmp_path):
    out = tmp_path / "r.jsonl"
    (record,) = runner.run(["--model", "forwardgnn", "--dataset", "csbm", "--data", "num_nodes=200", "--preset",
                            "cora-ml", "--set", "variant=ff-vn", "--set", "num_layers=2", "--set",
                            "hidden_channels=8", "--epochs", "2", "--runs", "1", "--quiet", "--out", str(out)])
    assert record["config"]["variant"] == "ff-vn" and record["config"]["folds"] == 5
    assert json.loads(out.read_text())["metrics"]["layer2_test_accuracy"] == record["metrics"]["test_accuracy"]
