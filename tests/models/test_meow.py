"""MEOW / AdaMEOW: models, configs and presets, procedures, bad input, determinism, DBLP's layout."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch
import torch.nn.functional as F

from graphkit import MEOW, AdaMEOW, AdaMEOWConfig, MEOWConfig, datasets, fit_adameow, fit_meow, load, save
from graphkit.datasets import heterogeneous as het
from graphkit.models.meow import evaluate_embedding_probe, meta_path_views, resolve_metapaths
from tests.datasets.test_heterogeneous import (
    PA,
    PC,
    PT,
    SPLIT_IDS,
    _reference_metapaths,
    _write_dblp,
    use_mini_aminer_spec,
    write_mini_aminer,
)

FAST = {"eval_repeats": 2, "eval_iterations": 20, "cluster_repeats": 1, "label_rates": (20,)}


@pytest.fixture(scope="module")
def data():
    return datasets.load("hetero-csbm", num_nodes=250, seed=0)


def meow_config(**more):
    return MEOWConfig(num_clusters=(8, 16), epochs=3, **FAST).replace(**more)


def ada_config(**more):
    return AdaMEOWConfig(epochs=3, start_eval=0, eval_every=1, **FAST).replace(**more)


def test_model_shapes_repr_and_views(data):
    config = meow_config()
    model = MEOW.from_config(config, data)
    assert repr(model).startswith("MEOW(in_channels={'paper': 64, 'author': 64, 'subject': 12}, metapaths=[pap, psp]")
    views = meta_path_views(data, config)
    zc, zf, z = model.views_forward(views)
    assert zc.shape == zf.shape == (250, 64) and z.shape == (250, 64)
    assert torch.allclose(zc.norm(dim=1), torch.ones(250)) and torch.allclose(zf.norm(dim=1), torch.ones(250))
    emb = model.embed(views)
    assert not emb.requires_grad and torch.equal(emb, model.embed(views))  # eval mode: no dropout
    assert views.context_types == [("author",), ("subject",)]
    ada = AdaMEOW.from_config(ada_config(proj_channels=16), data)
    assert ada.weight_in.in_features == 16 and "weight_hidden=16" in repr(ada)


@pytest.mark.parametrize("fit,model_cls,config_fn", [(fit_meow, MEOW, meow_config), (fit_adameow, AdaMEOW, ada_config)])
def test_procedure_trains_the_model_passed_in_and_is_deterministic(data, fit, model_cls, config_fn):
    config = config_fn()
    model = model_cls.from_config(config, data)
    before = [p.detach().clone() for p in model.parameters()]
    result = fit(model, data, config, seed=0, device="cpu", progress=False)
    assert result.model is model and result.config is config
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    for key in ("test_macro_f1_20", "test_micro_f1_20", "test_auc_20", "valid_macro_f1_20", "nmi", "ari"):
        assert key in result.metrics and 0 <= result.metrics[key] <= 1
    assert result.embedding.shape == (250, 64) and result.epochs_run == 3
    again = fit(model_cls.from_config(config, data), data, config, seed=0, device="cpu", progress=False)
    assert again.metrics == result.metrics
    assert torch.equal(again.embedding, result.embedding)
    other = fit(model, data, config, seed=1, device="cpu", progress=False)
    assert not torch.equal(other.embedding, result.embedding)


def test_meow_selects_on_loss_and_stops_on_patience(data):
    config = meow_config(epochs=40, patience=2)
    result = fit_meow(MEOW.from_config(config, data), data, config, progress=False)
    losses = [h["train_loss"] for h in result.history]
    assert result.epochs_run <= 40 and result.best_epoch == int(torch.tensor(losses).argmin())
    if result.epochs_run < 40:
        assert result.epochs_run - 1 - result.best_epoch == 2
    assert result.time["kmeans_s"] > 0


def test_meow_reclusters_each_epoch_as_the_official_code(data, monkeypatch):
    """Defaults: every epoch clusters afresh (no warm start) from random points, with the same seeds each epoch."""
    import graphkit.models.meow as meow_module

    calls = []
    real = meow_module.kmeans

    def spy(x, k, **kwargs):
        calls.append((k, kwargs["seed"], kwargs["init"], kwargs["seeding"]))
        return real(x, k, **kwargs)

    monkeypatch.setattr(meow_module, "kmeans", spy)
    config = meow_config(epochs=3)
    assert config.kmeans_seeding == "random" and config.kmeans_warm_start is False
    fit_meow(MEOW.from_config(config, data), data, config, seed=2, progress=False)
    per_epoch = len(config.num_clusters)
    assert len(calls) == 3 * per_epoch
    assert all(init is None and seeding == "random" for _, _, init, seeding in calls)
    assert calls[:per_epoch] == calls[per_epoch:2 * per_epoch]  # the same k and seeds every epoch
    calls.clear()
    warm = config.replace(kmeans_warm_start=True, kmeans_seeding="k-means++")
    fit_meow(MEOW.from_config(warm, data), data, warm, seed=2, progress=False)
    assert calls[0][2] is None and all(init is not None for _, _, init, _ in calls[per_epoch:])
    with pytest.raises(ValueError, match="kmeans_seeding"):
        MEOWConfig(kmeans_seeding="kmeans++")
    # ACM's preset keeps the clustering its validation probe chose; the others run the official one
    acm = MEOWConfig.paper("acm")
    assert (acm.kmeans_seeding, acm.kmeans_warm_start) == ("k-means++", True) and "validation" in MEOWConfig.source_for("acm")
    for name in ("imdb", "aminer", "dblp"):
        assert (MEOWConfig.paper(name).kmeans_seeding, MEOWConfig.paper(name).kmeans_warm_start) == ("random", False)


def test_adameow_selects_on_validation(data):
    config = ada_config(epochs=4, eval_every=2, start_eval=2)
    result = fit_adameow(AdaMEOW.from_config(config, data), data, config, progress=False)
    values = [h["valid_probe"] for h in result.history]
    assert len(values) == 2 and values[0] == -math.inf and result.best_epoch == 3


@pytest.mark.parametrize("fit,model_cls,config_fn", [(fit_meow, MEOW, meow_config), (fit_adameow, AdaMEOW, ada_config)])
def test_last_train_embedding_is_the_official_get_embeds(data, fit, model_cls, config_fn):
    config = config_fn(epochs=4, dropout=0.5)
    selected = fit(model_cls.from_config(config, data), data, config, seed=0, device="cpu", progress=False)
    last = selected.last_train_embedding
    assert last.shape == selected.embedding.shape and not last.requires_grad
    assert not torch.allclose(last, selected.embedding)  # training mode (dropout) vs the selected eval-mode state
    official = config.replace(embedding="last_train")
    result = fit(model_cls.from_config(official, data), data, official, seed=0, device="cpu", progress=False)
    assert torch.equal(result.embedding, last) and torch.equal(result.last_train_embedding, last)
    assert result.metrics == evaluate_embedding_probe(last, data, official, seed=0)
    assert result.metrics != selected.metrics
    with pytest.raises(ValueError, match="embedding"):
        config_fn(embedding="last")


def test_adameow_chunked_loss_equals_one_block(data):
    config = ada_config(dropout=0.0)
    model = AdaMEOW.from_config(config, data)
    views = meta_path_views(data, config)
    model.eval()
    full = model.loss(views, 0.9, chunk_size=250)
    grads = torch.autograd.grad(full, list(model.parameters()))
    chunked = model.loss(views, 0.9, chunk_size=17)
    grads_c = torch.autograd.grad(chunked, list(model.parameters()))
    assert torch.allclose(full, chunked, atol=1e-6)
    assert all(torch.allclose(a, b, atol=1e-5) for a, b in zip(grads, grads_c, strict=True))


def test_legacy_transposes_the_pruned_graphs(data):
    plain = meta_path_views(data, meow_config(nei_max=(3,)))
    legacy = meta_path_views(data, meow_config(nei_max=(3,), legacy=True))
    a, b = plain.adjacency[1].csr.to_dense(), legacy.adjacency[1].csr.to_dense()
    assert not torch.equal(a, b) and torch.allclose(a.t(), b)


def test_wrong_model_and_config_keys(data):
    with pytest.raises(TypeError, match="fit_meow trains a MEOW, got AdaMEOW"):
        fit_meow(AdaMEOW.from_config(ada_config(), data), data, meow_config())
    with pytest.raises(ValueError, match="unknown key 'clusters'.*num_clusters"):
        MEOWConfig.from_dict({"clusters": (3,)})
    assert MEOWConfig.from_dict({"num_cluster": [5, 6], "eva_lr": 0.1}).num_clusters == (5, 6)
    assert AdaMEOWConfig.from_dict({"nb_epochs": 7, "l2_coef": 0.1}).epochs == 7


@pytest.mark.parametrize("cls", [MEOWConfig, AdaMEOWConfig])
def test_every_preset_builds(cls):
    for name in cls.presets:
        config = cls.paper(name)
        assert config.metapaths and len(config.nei_max) == len(config.metapaths)
        assert cls.source_for(name).startswith("official code") and "acm defaults" not in cls.source_for(name)
    assert MEOWConfig.source_for("aminer").endswith("params.py; aminer")
    assert MEOWConfig.paper("acm").nei_max == (110, 700) and MEOWConfig.paper("dblp").num_clusters == (200, 700)
    assert AdaMEOWConfig.paper("aminer").nei_max == (8, 31)
    with pytest.raises(ValueError, match="no preset for 'cora'"):
        cls.paper("cora")


def test_bad_input(data):
    with pytest.raises(ValueError, match="letter 'x' names no node type"):
        resolve_metapaths(data, ["pxp"])
    with pytest.raises(ValueError, match="needs a relation author -> subject"):
        resolve_metapaths(data, ["pasap"])
    with pytest.raises(ValueError, match="start and end at the target"):
        resolve_metapaths(data, ["apa"])
    with pytest.raises(ValueError, match="needs a relation"):
        MEOW.from_config(meow_config(metapaths=("pasap",)), data)
    config = meow_config(num_clusters=(8, 300))
    with pytest.raises(ValueError, match=r"num_clusters \[300\] exceed the 250 target nodes"):
        fit_meow(MEOW.from_config(config, data), data, config)
    for tau in (0.0, -0.5):
        with pytest.raises(ValueError, match="tau"):
            meow_config(tau=tau)
    with pytest.raises(ValueError, match="3 entries but there are 2 meta-paths"):
        meta_path_views(data, meow_config(nei_max=(1, 2, 3)))
    unlabeled = datasets.load("hetero-csbm", num_nodes=250, seed=0)
    del unlabeled["paper"].y
    model = MEOW.from_config(meow_config(), unlabeled)
    with pytest.raises(ValueError, match="target type 'paper' has no labels"):
        evaluate_embedding_probe(torch.randn(250, 8), unlabeled, meow_config())
    with pytest.raises(ValueError, match="has no labels"):
        fit_meow(model, unlabeled, meow_config())
    with pytest.raises(ValueError, match="train_mask_30"):
        evaluate_embedding_probe(torch.randn(250, 8), data, meow_config(label_rates=(30,)))
    # AdaMEOW shares the checks
    with pytest.raises(ValueError, match="needs a relation author -> subject"):
        AdaMEOW.from_config(ada_config(metapaths=("pasap",)), data)
    for tau in (0.0, -0.5):
        with pytest.raises(ValueError, match="tau"):
            ada_config(tau=tau)
    with pytest.raises(ValueError, match="target type 'paper' has no labels"):
        fit_adameow(AdaMEOW.from_config(ada_config(), unlabeled), unlabeled, ada_config())


@pytest.fixture
def mini_dblp(tmp_path, monkeypatch):
    """DBLP (kept back here) in the documented HeCo and MEOW layouts, as a miniature."""
    root = tmp_path / "data"
    _write_dblp(root / "HeCo" / "dblp", "heco")
    _write_dblp(root / "MEOW" / "dblp", "meow")
    ref = _reference_metapaths("heco")
    monkeypatch.setitem(het.SPECS, "dblp", dataclasses.replace(
        het.SPECS["dblp"],
        types={"a": ("author", 5), "p": ("paper", 6), "c": ("conference", 2), "t": ("term", 4)},
        relations={"pa": len(PA), "pc": len(PC), "pt": len(PT)},
        metapaths={"apa": int((ref["apa"] > 0).sum()), "apcpa": int((ref["apcpa"] > 0).sum()), "aptpa": None},
        pos=9, split_entries={r: tuple(len(p) for p in parts) for r, parts in SPLIT_IDS.items()}))
    return root


@pytest.mark.parametrize("layout", ["heco", "meow"])
def test_dblp_path_runs_in_both_layouts(mini_dblp, layout):
    data = datasets.load("dblp", root=mini_dblp, layout=layout)
    config = MEOWConfig.paper("dblp").replace(num_clusters=(2, 3), epochs=2, **FAST)
    model = MEOW.from_config(config, data)
    assert [("".join(t[0] for t in p)) for p in model.metapaths] == ["apa", "apcpa", "aptpa"]
    views = meta_path_views(data, config)
    assert views.context_types == [("paper",), ("paper", "conference", "paper"), ("paper", "term", "paper")]
    # the APCP context is the official nei_apcp: author -> paper -> conference -> paper counts
    pa = torch.zeros(6, 5)
    pa[[p for p, _ in PA], [a for _, a in PA]] = 1
    pc = torch.zeros(6, 2)
    pc[[p for p, _ in PC], [c for _, c in PC]] = 1
    apcp = pa.t() @ pc @ pc.t()
    expected = apcp / apcp.sum(1, keepdim=True).clamp_min(1)
    assert torch.allclose(views.contexts[1][2].csr.to_dense(), expected)
    result = fit_meow(model, data, config, progress=False)
    assert result.embedding.shape == (5, 64) and "test_macro_f1_20" in result.metrics
    ada_config = AdaMEOWConfig.paper("dblp").replace(epochs=2, start_eval=0, eval_every=1, **FAST)
    ada = fit_adameow(AdaMEOW.from_config(ada_config, data), data, ada_config, progress=False)
    assert ada.embedding.shape == (5, 64)


def test_adameow_weights_never_see_more_than_a_chunk_of_rows(data, monkeypatch):
    """The pairwise weights are computed block by block: no [N, N, h] tensor (memory O(chunk * N))."""
    config = ada_config()
    model = AdaMEOW.from_config(config, data)
    views = meta_path_views(data, config)
    seen = []
    original = AdaMEOW.pair_weights

    def spy(self, z_anchor, z_other):
        fn = original(self, z_anchor, z_other)

        def weight(rows):
            seen.append(rows.numel())
            return fn(rows)

        return weight

    monkeypatch.setattr(AdaMEOW, "pair_weights", spy)
    model.loss(views, 0.9, chunk_size=32).backward()
    assert seen and max(seen) == 32 and sum(seen) >= 250  # forward blocks, then their recomputation
    seen.clear()
    model.loss(views, 0.9).backward()  # the default block: [chunk, N, 16] within 2**22 elements
    assert max(seen) * 250 * 16 <= 1 << 22 or max(seen) == 250


def _with_path_features(data, widths=(5, 7)):
    """``data`` plus one signed target feature matrix per meta-path (MEOW's AMiner input)."""
    out = data.clone()
    gen = torch.Generator().manual_seed(3)
    for name, width in zip(("pap", "psp"), widths, strict=True):
        out["paper"][f"x_{name}"] = torch.randn(out["paper"].num_nodes, width, generator=gen)
    return out


def test_per_metapath_target_features_follow_the_official_aminer_model(data, tmp_path):
    """Each meta-path projects its own target features; the coarse view encodes their mean."""
    per_path = _with_path_features(data)
    config = meow_config(dropout=0.0)
    model = MEOW.from_config(config, per_path)
    assert model.path_channels == (5, 7) and "paper" not in model.type_proj and "path_channels=(5, 7)" in repr(model)
    views = meta_path_views(per_path, config)
    assert "paper" not in views.x and views.x_masked is None
    assert [tuple(x.shape) for x in views.x_paths] == [(250, 5), (250, 7)]
    assert torch.equal(views.x_paths[0], per_path["paper"].x_pap)  # signed: not row-normalised
    for x, masked in zip(views.x_paths, views.x_paths_masked, strict=True):
        zeroed = (masked == 0) & (x != 0)
        assert int(zeroed.sum()) == int(config.feat_mask * x.numel())
    model.eval()
    with torch.no_grad():
        zc, zf, z = model.views_forward(views)
        h = [F.elu(layer(x)) for layer, x in zip(model.path_proj, views.x_paths, strict=True)]
        expected = F.normalize(torch.tanh(model.project(model.encoder(torch.stack(h).mean(0), views.coarse))), dim=1)
    assert torch.allclose(zc, expected, atol=1e-6) and z.shape == (250, 64)
    # both procedures run on it, deterministically
    result = fit_meow(model, per_path, config, seed=0, progress=False)
    again = fit_meow(MEOW.from_config(config, per_path), per_path, config, seed=0, progress=False)
    assert torch.equal(result.embedding, again.embedding) and "test_macro_f1_20" in result.metrics
    ada = fit_adameow(AdaMEOW.from_config(ada_config(), per_path), per_path, ada_config(), progress=False)
    assert ada.embedding.shape == (250, 64)
    restored, _ = load(save(model, tmp_path / "meow.pt", config))
    assert restored.path_channels == (5, 7) and torch.equal(restored.embed(views), model.embed(views))
    # ignored on request: the shared target projection over data['paper'].x
    shared = meow_config(metapath_features=False)
    assert MEOW.from_config(shared, per_path).path_channels is None
    assert meta_path_views(per_path, shared).x_paths == ()


def test_per_metapath_feature_errors(data):
    with pytest.raises(ValueError, match=r"metapath_features=True but the graph lacks data\['paper'\]\.x_pap, "
                                         r"data\['paper'\]\.x_psp"):
        meta_path_views(data, meow_config(metapath_features=True))
    per_path = _with_path_features(data)
    per_path["paper"].x_psp = torch.randn(249, 7)
    with pytest.raises(ValueError, match=r"must each be \[250, d\]"):
        MEOW.from_config(meow_config(), per_path)
    # a model and views of different kinds
    model = MEOW.from_config(meow_config(), _with_path_features(data))
    with pytest.raises(ValueError, match="views hold shared target features but the model was built for the other"):
        model.views_forward(meta_path_views(data, meow_config()))
    with pytest.raises(ValueError, match=r"path_channels needs one positive feature size per meta-path \(1\)"):
        MEOW({"paper": 8, "author": 4}, [("paper", "author", "paper")], path_channels=(4, 4))


def test_aminer_files_in_the_meow_layout_reach_the_per_metapath_model(tmp_path, monkeypatch):
    use_mini_aminer_spec(monkeypatch)
    write_mini_aminer(tmp_path / "MEOW" / "aminer")
    data = datasets.load("aminer", root=tmp_path, layout="meow")
    config = MEOWConfig.paper("aminer").replace(num_clusters=(2, 3), nei_max=(2,), epochs=2, **FAST)
    model = MEOW.from_config(config, data)
    assert model.path_channels == (3, 3) and set(model.type_proj) == {"author", "reference"}
    result = fit_meow(model, data, config, progress=False)
    assert result.embedding.shape == (6, 64) and "nmi" in result.metrics
