"""FastRP: the estimator (inputs, determinism, errors, repr), FastRPConfig and its presets, fit_fastrp."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from torch_geometric.data import Data, HeteroData

import graphkit
from graphkit import FastRP, FastRPConfig, fit_fastrp
from graphkit.datasets import load
from tests.conftest import random_graph
from tests.ops.test_fastrp import close, dense_adjacency, reference


# The grid of graphs x weights x switches against the dense reference is tests/ops/test_fastrp.py (the op);
# here the estimator's wiring is checked on a few cases.
@pytest.mark.parametrize("weights", [(0.0, 0.0, 1.0, 1.0), (1.0, 1.0, 7.81, 45.28), (2.0,)])
@pytest.mark.parametrize("s", ["sqrt", 40.0])  # 'sqrt' is dense here (1/s > 1/32); 40 takes the sparse first power
def test_matches_dense_reference(weights, s):
    edge_index = random_graph(47, 200, seed=200)
    model = FastRP(16, iteration_weights=weights, normalization_strength=-0.6, s=s, seed=3)
    emb = model.fit_transform(edge_index, num_nodes=50)
    close(emb, reference(dense_adjacency(edge_index, 50), 16, weights, beta=-0.6, s=s, seed=3))
    assert model.n_nodes_ == 50 and model.n_features_in_ == 0


@pytest.mark.parametrize("s", ["sqrt", 40.0])
@pytest.mark.parametrize("normalize,standardize", [(True, False), (False, True), (False, False)])
def test_switches(s, normalize, standardize):
    edge_index = random_graph(37, 120, seed=1)
    a = dense_adjacency(edge_index, 40)
    kw = dict(iteration_weights=(1.0, 2.0, 3.0), normalization_strength=0.3, s=s, normalize_rows=normalize,
              standardize=standardize, self_influence=0.7, seed=5)
    emb = FastRP(12, **kw).fit_transform(edge_index, num_nodes=40)
    ref = reference(a, 12, (1.0, 2.0, 3.0), beta=0.3, s=s, normalize=normalize, standardize=standardize,
                    self_influence=0.7, seed=5)
    close(emb, ref, tol=1e-4 if standardize else 1e-5)


def test_weighted_directed_with_zero_weights():
    edge_index = random_graph(35, 140, seed=4, undirected=False)
    gen = torch.Generator().manual_seed(0)
    weight = torch.rand(edge_index.size(1), generator=gen) * 3
    weight[::7] = 0.0  # zero weights are edges that contribute nothing
    a = dense_adjacency(edge_index, 40, weight)
    for s in ("sqrt", 40.0):
        emb = FastRP(16, iteration_weights=(1, 1, 2), normalization_strength=-0.5, s=s, seed=1).fit(
            edge_index, num_nodes=40, edge_weight=weight).embedding_
        close(emb, reference(a, 16, (1, 1, 2), beta=-0.5, s=s, seed=1))
    # use_edge_weight=False treats every stored edge as weight 1
    plain = FastRP(16, use_edge_weight=False, seed=1).fit_transform(
        Data(edge_index=edge_index, edge_weight=weight, num_nodes=40))
    close(plain, reference(dense_adjacency(edge_index, 40), 16, seed=1))


def test_isolated_nodes_are_zero_and_never_nan():
    # nodes 5..9 have no edges at all; node 4 only has a self-loop
    edge_index = torch.tensor([[0, 1, 1, 2, 3, 4], [1, 0, 2, 1, 3, 4]])
    for s in (1.0, "sqrt", 40.0):
        raw = FastRP(8, standardize=False, s=s, seed=0).fit_transform(edge_index, num_nodes=10)
        assert torch.isfinite(raw).all()
        assert torch.equal(raw[5:], torch.zeros(5, 8))
        if s == 1.0:  # dense random signs: every node with an edge gets a non-zero row
            assert bool((raw[:5].abs().sum(1) > 0).all())
        scaled = FastRP(8, s=s, seed=0).fit_transform(edge_index, num_nodes=10)
        assert torch.isfinite(scaled).all()
        assert torch.allclose(scaled[5:], scaled[5:6].expand(5, 8))  # one shared row: -mean / std
        close(scaled, reference(dense_adjacency(edge_index, 10), 8, s=s, seed=0))
    # a graph without any edge: all zero before standardisation, all zero after
    empty = FastRP(8, seed=0).fit_transform(torch.empty(2, 0, dtype=torch.long), num_nodes=4)
    assert torch.equal(empty, torch.zeros(4, 8))
    # self-influence gives isolated nodes their own (normalised, standardised) random vector
    si = FastRP(8, self_influence=1.0, standardize=False, s=3, seed=0).fit_transform(edge_index, num_nodes=10)
    norms = si[5:].norm(dim=1)
    assert torch.allclose(norms[norms > 0], torch.ones_like(norms[norms > 0]))


def test_self_loops_count_as_edges():
    loops = torch.tensor([[0, 0, 1, 1], [0, 1, 0, 1]])  # 0 <-> 1 plus both loops
    no_loops = torch.tensor([[0, 1], [1, 0]])
    a = dense_adjacency(loops, 2)
    emb = FastRP(4, iteration_weights=(1.0,), standardize=False, s=1, seed=0).fit_transform(loops)
    close(emb, reference(a, 4, (1.0,), s=1, standardize=False, seed=0), tol=1e-6)
    other = FastRP(4, iteration_weights=(1.0,), standardize=False, s=1, seed=0).fit_transform(no_loops)
    assert not torch.allclose(emb, other)


def test_features_mixed_in_like_gds_property_ratio():
    edge_index = random_graph(40, 160, seed=2)
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(40, 5, generator=gen)
    a = dense_adjacency(edge_index, 40)
    data = Data(edge_index=edge_index, x=x, num_nodes=40)
    for ratio in (0.25, 1.0):
        model = FastRP(16, iteration_weights=(1, 1, 1), feature_ratio=ratio, self_influence=0.5, seed=2)
        emb = model.fit_transform(data)
        close(emb, reference(a, 16, (1, 1, 1), self_influence=0.5, seed=2, x=x, feature_ratio=ratio))
        assert model.n_features_in_ == 5
    # x= overrides data.x
    other = FastRP(16, feature_ratio=0.25, seed=2).fit(data, x=x * 2).embedding_
    assert not torch.allclose(other, FastRP(16, feature_ratio=0.25, seed=2).fit_transform(data))


def test_input_types_agree():
    edge_index = random_graph(30, 100, seed=7)
    weight = torch.rand(edge_index.size(1), generator=torch.Generator().manual_seed(2)) + 0.5
    model = FastRP(8, iteration_weights=(1, 2), seed=4)
    base = model.fit(edge_index, num_nodes=33, edge_weight=weight).embedding_.clone()
    a = sp.coo_matrix((weight.numpy(), (edge_index[0].numpy(), edge_index[1].numpy())), shape=(33, 33))
    for graph in (a, a.tocsr(), a.tocsc(), sp.csr_array(a)):
        out = model.fit_transform(graph)
        assert isinstance(out, np.ndarray) and out.dtype == np.float32  # scikit-learn: scipy in, numpy out
        assert torch.allclose(torch.from_numpy(out), base, atol=1e-5)
    assert isinstance(model.embedding_, np.ndarray)
    dense = model.fit_transform(a.toarray())  # a square numpy adjacency
    assert isinstance(dense, np.ndarray) and torch.allclose(torch.from_numpy(dense), base, atol=1e-5)
    unweighted = FastRP(8, iteration_weights=(1, 2), seed=4)
    as_numpy = unweighted.fit_transform(edge_index.numpy(), num_nodes=33)  # an integer numpy edge index
    assert isinstance(as_numpy, np.ndarray)
    assert torch.allclose(torch.from_numpy(as_numpy), unweighted.fit_transform(edge_index, num_nodes=33))
    data = Data(edge_index=edge_index, edge_weight=weight, num_nodes=33)
    assert torch.allclose(model.fit_transform(data), base, atol=1e-5)
    csr = torch.sparse_coo_tensor(edge_index, weight, (33, 33), check_invariants=True).coalesce().to_sparse_csr()
    assert torch.allclose(model.fit_transform(csr), base, atol=1e-5)
    # an unweighted scipy matrix with value 1 everywhere equals the plain edge_index
    ones = sp.csr_matrix((np.ones(edge_index.size(1)), (edge_index[0].numpy(), edge_index[1].numpy())),
                         shape=(33, 33))
    assert torch.allclose(torch.from_numpy(model.fit_transform(ones)), model.fit_transform(edge_index, num_nodes=33),
                          atol=1e-5)
    # bool matrices are patterns: every stored entry (duplicates are summed by scipy) has weight 1
    pattern = model.set_params(use_edge_weight=False).fit_transform(ones).copy()
    assert np.allclose(model.set_params(use_edge_weight=True).fit_transform(ones.astype(bool)), pattern, atol=1e-6)


def test_networkx_input_keeps_the_weights():
    nx = pytest.importorskip("networkx")
    from torch_geometric.utils import from_networkx as pyg_from_networkx

    g = nx.Graph()
    g.add_weighted_edges_from([(0, 1, 3.0), (1, 2, 0.5), (2, 3, 1.0), (3, 0, 2.0), (0, 2, 1.5)])
    g.add_node(4)  # isolated: a finite row
    model = FastRP(8, iteration_weights=(1, 1), seed=0)
    emb = model.fit_transform(g)
    assert isinstance(emb, np.ndarray) and emb.shape == (5, 8) and np.isfinite(emb).all()
    # the same graph as a weighted edge_index gives the same embedding, unweighted a different one
    edge_index = torch.tensor([[0, 1, 1, 2, 2, 3, 3, 0, 0, 2], [1, 0, 2, 1, 3, 2, 0, 3, 2, 0]])
    weight = torch.tensor([3.0, 3.0, 0.5, 0.5, 1.0, 1.0, 2.0, 2.0, 1.5, 1.5])
    weighted = model.fit_transform(edge_index, num_nodes=5, edge_weight=weight)
    order = torch.argsort(torch.tensor(list(g.nodes)))
    assert torch.allclose(torch.from_numpy(emb)[order], weighted, atol=1e-5)
    plain = model.fit_transform(edge_index, num_nodes=5)
    assert not torch.allclose(plain, weighted, atol=1e-3)
    # PyG's from_networkx keeps the weights as data.weight: read when edge_weight is absent
    data = pyg_from_networkx(g)
    assert "weight" in data and "edge_weight" not in data
    from_pyg = model.fit_transform(data)
    assert isinstance(from_pyg, torch.Tensor) and torch.allclose(from_pyg, torch.from_numpy(emb), atol=1e-5)


def test_same_seed_is_bit_identical_and_seeds_differ():
    edge_index = random_graph(200, 1500, seed=0)
    for s in ("sqrt", 40.0):
        a = FastRP(32, iteration_weights=(1, 1, 7.81, 45.28), normalization_strength=-0.6, s=s, seed=11)
        first = a.fit_transform(edge_index).clone()
        assert torch.equal(first, a.fit_transform(edge_index))
        assert torch.equal(first, FastRP(32, iteration_weights=(1, 1, 7.81, 45.28), normalization_strength=-0.6,
                                         s=s, seed=11).fit_transform(edge_index))
        other = FastRP(32, iteration_weights=(1, 1, 7.81, 45.28), normalization_strength=-0.6, s=s,
                       seed=12).fit_transform(edge_index)
        assert (first - other).abs().max() > 0.1
    state = torch.random.get_rng_state()
    FastRP(8).fit(edge_index)
    assert torch.equal(state, torch.random.get_rng_state())  # global RNG untouched


def test_reorder_and_dtype_reach_the_op():
    edge_index = random_graph(300, 2000, seed=3, undirected=False)
    kw = dict(iteration_weights=(1, 1, 2, 3), normalization_strength=-0.5, s=40.0, seed=1)
    base = FastRP(16, **kw).fit_transform(edge_index, num_nodes=305)
    for reorder in ("degree", "rcm"):
        assert torch.allclose(base, FastRP(16, reorder=reorder, **kw).fit_transform(edge_index, num_nodes=305),
                              atol=1e-5, rtol=0)
    emb64 = FastRP(16, dtype=torch.float64, **kw).fit_transform(edge_index, num_nodes=305)
    assert emb64.dtype == torch.float64
    close(emb64, reference(dense_adjacency(edge_index, 305), 16, (1, 1, 2, 3), beta=-0.5, s=40.0, seed=1),
          tol=1e-10)


def test_api_repr_params_and_exports():
    assert graphkit.FastRP is FastRP and {"FastRP", "FastRPConfig", "fit_fastrp"} <= set(graphkit.__all__)
    model = FastRP(512, iteration_weights=[1, 1, 7.81, 45.28], normalization_strength=-0.628)
    assert repr(model) == "FastRP(512, iteration_weights=[1, 1, 7.81, 45.28], normalization_strength=-0.628)"
    assert repr(FastRP()) == "FastRP(128)"
    assert repr(FastRP(64, s=3, seed=2, dtype=torch.float64)) == "FastRP(64, s=3, dtype=torch.float64, seed=2)"
    assert not hasattr(model, "embedding_")  # the constructor stores arguments only
    params = model.get_params()
    assert params["dim"] == 512 and params["normalization_strength"] == -0.628 and len(params) == 13
    assert model.set_params(dim=8, seed=3) is model and model.dim == 8 and model.seed == 3
    with pytest.raises(ValueError, match="invalid parameter 'alpha'"):
        model.set_params(alpha=1)
    with pytest.raises(TypeError):
        FastRP(8, [0, 1])  # keyword-only after dim
    out = model.fit(random_graph(20, 40, seed=0))
    assert out is model and model.embedding_.shape == (20, 8)


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"dim": 0}, ValueError, "dim must be >= 1"),
    ({"dim": 2.0}, TypeError, "dim must be an int"),
    ({"iteration_weights": ()}, ValueError, "iteration_weights is empty"),
    ({"iteration_weights": 1.0}, TypeError, "iteration_weights must be a sequence"),
    ({"iteration_weights": "0011"}, TypeError, "iteration_weights must be a sequence"),
    ({"iteration_weights": (1.0, "a")}, TypeError, r"iteration_weights\[1\] must be a real number"),
    ({"iteration_weights": (1.0, math.nan)}, ValueError, r"iteration_weights\[1\] must be finite"),
    ({"iteration_weights": np.ones((2, 2))}, ValueError, "must be 1-D"),
    ({"normalization_strength": math.inf}, ValueError, "normalization_strength must be finite"),
    ({"s": 0.5}, ValueError, "s must be >= 1"),
    ({"s": "cbrt"}, ValueError, "'sqrt' or a number"),
    ({"feature_ratio": 1.5}, ValueError, "feature_ratio must be <= 1.0"),
    ({"self_influence": "1"}, TypeError, "self_influence must be a real number"),
    ({"normalize_rows": 1}, TypeError, "normalize_rows must be True or False"),
    ({"reorder": "metis"}, ValueError, "reorder must be one of"),
    ({"dtype": torch.float16}, TypeError, "dtype must be torch.float32 or torch.float64"),
    ({"seed": -1}, ValueError, "seed must be >= 0"),
    ({"seed": 1.5}, TypeError, "seed must be an int"),
    ({"device": "gpu7"}, ValueError, "unknown device 'gpu7'"),
    ({"device": "cuda:99"}, ValueError, "device='cuda:99' but"),
])
def test_bad_parameters(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        FastRP(**{"dim": 8, **kwargs}).fit(random_graph(10, 20, seed=0))


def test_bad_inputs():
    model = FastRP(8)
    edge_index = random_graph(10, 20, seed=0)
    with pytest.raises(ValueError, match="negative"):
        model.fit(edge_index, edge_weight=-torch.ones(edge_index.size(1)))
    with pytest.raises(ValueError, match="negative"):
        model.fit(sp.csr_matrix(-np.eye(3)))
    with pytest.raises(ValueError, match="NaN"):
        model.fit(edge_index, edge_weight=torch.full((edge_index.size(1),), math.nan))
    with pytest.raises(ValueError, match="must be square"):
        model.fit(sp.random(4, 5, density=0.5, format="csr", random_state=0))
    with pytest.raises(ValueError, match="square"):
        model.fit(torch.sparse_coo_tensor(torch.tensor([[0], [4]]), torch.ones(1), (3, 5)))
    with pytest.raises(ValueError, match="contains node id 9 but num_nodes is 5"):
        model.fit(torch.tensor([[0, 9], [9, 0]]), num_nodes=5)
    with pytest.raises(ValueError, match="negative node ids"):
        model.fit(torch.tensor([[0, -1], [1, 0]]))
    with pytest.raises(TypeError, match="int64"):
        model.fit(torch.tensor([[0, 1], [1, 0]], dtype=torch.int32))
    with pytest.raises(ValueError, match="no nodes"):
        model.fit(torch.empty(2, 0, dtype=torch.long), num_nodes=0)
    with pytest.raises(ValueError, match="has 3 entries but there are"):
        model.fit(edge_index, edge_weight=torch.ones(3))
    with pytest.raises(ValueError, match="use_edge_weight=False"):
        FastRP(8, use_edge_weight=False).fit(edge_index, edge_weight=torch.ones(edge_index.size(1)))
    with pytest.raises(ValueError, match="carries its own weights"):
        model.fit(sp.eye(3, format="csr"), edge_weight=torch.ones(3))
    with pytest.raises(ValueError, match="feature_ratio=0"):
        model.fit(edge_index, x=torch.randn(10, 3))
    with pytest.raises(ValueError, match="needs node features"):
        FastRP(8, feature_ratio=0.5).fit(edge_index)
    with pytest.raises(ValueError, match="NaN or inf"):
        FastRP(8, feature_ratio=0.5).fit(edge_index, x=torch.full((10, 3), math.nan))
    with pytest.raises(ValueError, match="rows but the graph has 10 nodes"):
        FastRP(8, feature_ratio=0.5).fit(edge_index, x=torch.randn(7, 3))
    with pytest.raises(TypeError, match="HeteroData"):
        model.fit(HeteroData())
    with pytest.raises(TypeError, match="dense floating tensor"):
        model.fit(torch.eye(4))
    with pytest.raises(TypeError, match="graph must be"):
        model.fit([[0, 1], [1, 0]])
    with pytest.raises(ValueError, match="matrix has 3 nodes but num_nodes=4"):
        model.fit(sp.eye(3, format="csr"), num_nodes=4)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.cuda
def test_cuda_matches_cpu():
    edge_index = random_graph(500, 4000, seed=0)
    for s in ("sqrt", 40.0):
        cpu = FastRP(32, iteration_weights=(1, 1, 7.81, 45.28), s=s, normalization_strength=-0.6).fit_transform(edge_index)
        gpu = FastRP(32, iteration_weights=(1, 1, 7.81, 45.28), s=s, normalization_strength=-0.6,
                     device="cuda").fit_transform(edge_index)
        assert gpu.device.type == "cuda"
        assert torch.allclose(cpu, gpu.cpu(), atol=1e-4)


@pytest.mark.data
def test_blogcatalog_reference_quality(real_data_root):
    """Reference settings and protocol on BlogCatalog, 10 % training, 10 splits: Micro/Macro-F1 within
    0.01 of the reference notebook's 0.371 / 0.232."""
    from graphkit.datasets import load
    from graphkit.train.embedding_eval import evaluate_embedding

    if not (real_data_root / "BlogCatalog" / "blogcatalog.mat").exists():
        pytest.skip("BlogCatalog/blogcatalog.mat not under GRAPHKIT_DATA")
    data = load("blogcatalog", root=real_data_root)
    emb = FastRP(512, iteration_weights=(1, 1, 7.81, 45.28), normalization_strength=-0.628,
                 seed=0).fit_transform(data)
    assert emb.shape == (10312, 512) and torch.isfinite(emb).all()
    scores = evaluate_embedding(emb, data.y, train_ratios=(0.1,), num_splits=10, C=0.1, penalize_intercept=True,
                                seed=0)
    assert scores["micro_f1@0.1"] >= 0.361, scores
    assert scores["macro_f1@0.1"] >= 0.222, scores


def run_example(argv):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "examples" / "fastrp_blogcatalog.py"
    spec = importlib.util.spec_from_file_location("fastrp_blogcatalog", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main(argv)


@pytest.mark.data
def test_blogcatalog_example_runs(real_data_root, capsys):
    if not (real_data_root / "BlogCatalog" / "blogcatalog.mat").exists():
        pytest.skip("BlogCatalog/blogcatalog.mat not under GRAPHKIT_DATA")
    result, times = run_example(["--data-root", str(real_data_root), "--splits", "1", "--ratios", "0.5",
                                 "--repeats", "1"])
    out = capsys.readouterr().out
    assert "FastRP(512, iteration_weights=(1.0, 1.0, 7.81, 45.28), normalization_strength=-0.628)" in out
    assert "embedding (10312, 512): median" in out and "50%" in out and "0.408 / 0.280" in out
    assert 0.35 < result.metrics["test_micro_f1@0.5"] < 0.5 and len(times) == 1


def test_example_smoke_on_csbm(capsys):
    result, times = run_example(["--dataset", "csbm", "--splits", "1", "--ratios", "0.5", "--repeats", "1"])
    out = capsys.readouterr().out
    assert out.startswith("FastRP(32)\nembedding (") and "50%" in out and out.rstrip().endswith("-")
    assert 0 <= result.metrics["test_micro_f1@0.5"] <= 1 and len(times) == 1


# ------------------------------------------------------------------------------------------ config


# benchmarks/configs/fastrp.json before it became FastRPConfig's presets: its default block merged with each data set
OLD_DEFAULT = {"dim": 128, "iteration_weights": (0.0, 0.0, 1.0, 1.0), "normalization_strength": 0.0, "s": "sqrt",
               "normalize_rows": True, "C": 1.0, "penalize_intercept": False, "train_ratios": (0.1, 0.5, 0.9),
               "num_splits": 10, "runs": 1}
OLD_DATASETS = {
    "blogcatalog": {"dim": 512, "iteration_weights": (1.0, 1.0, 7.81, 45.28), "normalization_strength": -0.628,
                    "C": 0.1, "penalize_intercept": True},
    "cora": {"dim": 512, "iteration_weights": (1.0, 1.0, 7.81, 45.28), "normalization_strength": -0.628, "C": 0.1,
             "penalize_intercept": True},
    "csbm": {"dim": 32, "num_splits": 3},
}


@pytest.mark.parametrize("dataset", [*OLD_DATASETS, "pubmed"])
def test_presets_are_the_old_json_configs(dataset):
    config = FastRPConfig.for_dataset(dataset)
    expected = OLD_DEFAULT | OLD_DATASETS.get(dataset, {})
    assert {key: getattr(config, key) for key in expected} == expected
    # the keys the JSON did not name keep the estimator's defaults
    assert (config.self_influence, config.use_edge_weight, config.feature_ratio, config.standardize,
            config.reorder) == (0.0, True, 0.0, True, None)
    if dataset in OLD_DATASETS:
        assert FastRPConfig.paper(dataset) == config and FastRPConfig.source_for(dataset)
    else:
        with pytest.raises(ValueError, match="no preset for 'pubmed'; presets: blogcatalog, cora, csbm"):
            FastRPConfig.paper(dataset)


def test_preset_sources_and_the_estimator_they_build():
    assert "GTmac/FastRP" in FastRPConfig.source_for("blogcatalog")
    assert "not tuned on Cora" in FastRPConfig.source_for("cora")
    assert "synthetic" in FastRPConfig.source_for("csbm")
    model = FastRP.from_config(FastRPConfig.paper("blogcatalog"), None)
    assert repr(model) == "FastRP(512, iteration_weights=(1.0, 1.0, 7.81, 45.28), normalization_strength=-0.628)"
    params = FastRP.from_config(FastRPConfig(s=3, reorder="degree", self_influence=0.5), None).get_params()
    assert (params["s"], params["reorder"], params["self_influence"], params["seed"]) == (3.0, "degree", 0.5, 0)


def test_config_errors_name_the_key_and_the_fix():
    with pytest.raises(ValueError, match=r"FastRPConfig: unknown key 'weights'.*valid keys: runs, dim, "):
        FastRPConfig.from_dict({"weights": [1, 1]})
    with pytest.raises(ValueError, match="did you mean 'num_splits'"):
        FastRPConfig.from_dict({"num_split": 3})
    for bad, match in [({"dim": 0}, "dim must be >= 1"), ({"iteration_weights": []}, "iteration_weights is empty"),
                       ({"s": 0.5}, "s must be 'sqrt' or a number >= 1"), ({"s": "cbrt"}, "s='cbrt' is not"),
                       ({"feature_ratio": 2.0}, r"feature_ratio must be in \[0, 1\]"), ({"C": 0}, "C must be > 0"),
                       ({"train_ratios": [0.5, 1.0]}, r"train_ratios must be numbers in \(0, 1\)"),
                       ({"num_splits": 0}, "num_splits must be >= 1"), ({"reorder": "metis"}, "reorder='metis'"),
                       ({"normalization_strength": math.inf}, "normalization_strength must be finite")]:
        with pytest.raises(ValueError, match=match) as info:
            FastRPConfig.from_dict(bad)
        assert "\n" not in str(info.value)
    # Neo4j GDS names are aliases
    gds = FastRPConfig.from_dict({"embeddingDimension": 64, "iterationWeights": [0, 1], "propertyRatio": 0.5,
                                  "nodeSelfInfluence": 0.2, "normalizationStrength": -0.5})
    assert gds == FastRPConfig(dim=64, iteration_weights=(0.0, 1.0), feature_ratio=0.5, self_influence=0.2,
                               normalization_strength=-0.5)


def test_from_config_needs_features_for_feature_ratio():
    data = Data(edge_index=random_graph(10, 20, seed=0), num_nodes=10)
    with pytest.raises(ValueError, match="needs node features; this data set has none: set feature_ratio=0"):
        FastRP.from_config(FastRPConfig(feature_ratio=0.5), data)
    assert FastRP.from_config({"dim": 8}, data).dim == 8  # a dict of config keys works too


# ------------------------------------------------------------------------------------------ procedure


@pytest.fixture(scope="module")
def csbm():
    return load("csbm", num_nodes=200, seed=0)


QUICK = FastRPConfig.for_dataset("csbm").replace(train_ratios=[0.5], num_splits=2)


def test_fit_fastrp_fits_the_estimator_passed_in(csbm):
    model = FastRP.from_config(QUICK, csbm).set_params(seed=5, device="cpu")
    assert not hasattr(model, "embedding_")
    result = fit_fastrp(model, csbm, QUICK, seed=3)
    assert result.model is model and result.config is QUICK
    assert result.embedding is model.embedding_ and model.embedding_.shape == (200, 32)
    assert model.seed == 3  # the call's seed governs the projection
    assert torch.equal(model.embedding_, FastRP(32, seed=3).fit_transform(csbm))
    assert sorted(result.metrics) == ["test_accuracy@0.5", "test_macro_f1@0.5", "test_micro_f1@0.5"]
    assert 0.5 < result.metrics["test_accuracy@0.5"] <= 1
    assert set(result.time) >= {"train_s", "epoch_s", "inference_s", "embed_s"}
    assert result.time["embed_s"] == result.time["train_s"] > 0 and result.time["inference_s"] > 0
    assert (result.best_epoch, result.epochs_run) == (0, 1) and result.peak_memory_mb > 0
    # the old runner's protocol: the split seed is the call's seed too
    from graphkit.train.embedding_eval import evaluate_embedding

    scores = evaluate_embedding(model.embedding_, csbm.y, train_ratios=(0.5,), num_splits=2, seed=3)
    assert result.metrics == {f"test_{k}": v for k, v in scores.items()}


def test_same_seed_same_metrics_and_warm_start_is_ignored(csbm):
    model = FastRP.from_config(QUICK, csbm)
    first = fit_fastrp(model, csbm, QUICK, seed=0)
    embedding = first.embedding.clone()
    again = fit_fastrp(model.set_params(seed=9), csbm, QUICK, seed=0, warm_start=True)
    assert again.metrics == first.metrics and torch.equal(again.embedding, embedding)
    other = fit_fastrp(model, csbm, QUICK, seed=1)
    assert not torch.equal(other.embedding, embedding)
    # a dict config, and the defaults
    assert fit_fastrp(FastRP(32), csbm, QUICK.to_dict(), seed=0).metrics == first.metrics


def test_fit_fastrp_errors_are_one_line(csbm):
    from graphkit.models.baselines import GCN

    with pytest.raises(TypeError, match=r"fit_fastrp trains a FastRP, got GCN: build one with "
                                        r"FastRP.from_config\(config, data\)") as info:
        fit_fastrp(GCN(4, 8, 2), csbm, QUICK)
    assert "\n" not in str(info.value)
    with pytest.raises(ValueError, match="unknown key 'epochs'") as info:
        fit_fastrp(FastRP(8), csbm, {"epochs": 5})
    assert "\n" not in str(info.value)
    with pytest.raises(ValueError, match="has none; embed without evaluation with model.fit"):
        fit_fastrp(FastRP(8), Data(edge_index=random_graph(10, 20, seed=0), num_nodes=10), QUICK)
