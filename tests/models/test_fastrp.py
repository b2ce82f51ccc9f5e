"""FastRP against a dense float64 reference of the documented math; inputs, determinism, errors, repr."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from torch_geometric.data import Data, HeteroData

import graphkit
import graphkit.models.fastrp as fastrp_module
from graphkit import FastRP
from graphkit.ops.random_projection import resolve_sparsity, sparse_random_projection
from tests.conftest import random_graph


def dense_adjacency(edge_index, num_nodes, edge_weight=None):
    a = np.zeros((num_nodes, num_nodes))
    w = np.ones(edge_index.size(1)) if edge_weight is None else edge_weight.double().numpy()
    np.add.at(a, (edge_index[0].numpy(), edge_index[1].numpy()), w)
    return a


def reference(a, dim, weights=(0, 0, 1, 1), beta=0.0, s="sqrt", normalize=True, self_influence=0.0,
              standardize=True, seed=0, x=None, feature_ratio=0.0):
    """The module docstring's math with dense float64 numpy matrices."""
    n = a.shape[0]
    deg = a.sum(1)
    pos = deg > 0
    S = np.where(pos[:, None], a / np.where(pos, deg, 1)[:, None], 0.0)
    L = np.where(pos, np.where(pos, deg, 1.0) ** beta, 1.0)
    d_feat = round(dim * feature_ratio) if feature_ratio > 0 else 0
    d_base = dim - d_feat
    gen = torch.Generator().manual_seed(seed)
    R = sparse_random_projection(n, d_base, seed=gen, s=resolve_sparsity(s, n), dtype=torch.float64,
                                 layout=torch.strided).numpy()
    v0 = np.zeros((n, dim))
    v0[:, :d_base] = L[:, None] * R / math.sqrt(max(d_base, 1))
    if d_feat:
        W = sparse_random_projection(x.shape[1], d_feat, seed=gen, s=resolve_sparsity(s, x.shape[1]),
                                     dtype=torch.float64, layout=torch.strided).numpy()
        v0[:, d_base:] = x.double().numpy() @ W / math.sqrt(d_feat)

    def nu(m):
        if not normalize:
            return m
        norm = np.linalg.norm(m, axis=1, keepdims=True)
        return np.where(norm > 0, m / np.where(norm > 0, norm, 1), 0.0)

    emb = self_influence * nu(v0)
    power = v0
    for w in weights:
        power = S @ power
        emb = emb + w * nu(power)
    if standardize:
        std = emb.std(0)
        std = np.where(std < 10 * np.finfo(np.float64).eps, 1.0, std)
        emb = (emb - emb.mean(0)) / std
    return emb


def close(emb, ref, tol=2e-4):
    assert emb.shape == ref.shape
    assert torch.isfinite(emb).all()
    np.testing.assert_allclose(emb.double().numpy(), ref, atol=tol, rtol=tol)


# num_nodes > max id leaves isolated nodes; random_graph has self-loops and duplicates
GRAPHS = [(30, 60, True), (50, 200, True), (40, 150, False)]
WEIGHT_SETS = [(0.0, 0.0, 1.0, 1.0), (1.0, 1.0, 7.81, 45.28), (2.0,), (0.0, 1.0), (1.0, 0.0, 0.0, 2.0),
               (1.0, 1.0, 1.0, 1.0, 1.0), (0.5, -1.0, 2.0)]


@pytest.mark.parametrize("num_nodes,num_edges,undirected", GRAPHS)
@pytest.mark.parametrize("weights", WEIGHT_SETS)
@pytest.mark.parametrize("s", ["sqrt", 40.0])  # 'sqrt' is dense here (1/s > 1/32); 40 takes the sparse first power
def test_matches_dense_reference(num_nodes, num_edges, undirected, weights, s):
    edge_index = random_graph(num_nodes - 3, num_edges, seed=num_edges, undirected=undirected)
    a = dense_adjacency(edge_index, num_nodes)
    model = FastRP(16, iteration_weights=weights, normalization_strength=-0.6, s=s, seed=3)
    emb = model.fit_transform(edge_index, num_nodes=num_nodes)
    close(emb, reference(a, 16, weights, beta=-0.6, s=s, seed=3))
    assert model.n_nodes_ == num_nodes and model.n_features_in_ == 0


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
        assert torch.allclose(model.fit_transform(graph), base, atol=1e-5)
    data = Data(edge_index=edge_index, edge_weight=weight, num_nodes=33)
    assert torch.allclose(model.fit_transform(data), base, atol=1e-5)
    csr = torch.sparse_coo_tensor(edge_index, weight, (33, 33), check_invariants=True).coalesce().to_sparse_csr()
    assert torch.allclose(model.fit_transform(csr), base, atol=1e-5)
    # an unweighted scipy matrix with value 1 everywhere equals the plain edge_index
    ones = sp.csr_matrix((np.ones(edge_index.size(1)), (edge_index[0].numpy(), edge_index[1].numpy())),
                         shape=(33, 33))
    assert torch.allclose(model.fit_transform(ones), model.fit_transform(edge_index, num_nodes=33), atol=1e-5)
    # bool matrices are patterns: every stored entry (duplicates are summed by scipy) has weight 1
    pattern = model.set_params(use_edge_weight=False).fit_transform(ones).clone()
    assert torch.allclose(model.set_params(use_edge_weight=True).fit_transform(ones.astype(bool)), pattern,
                          atol=1e-6)


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


@pytest.mark.parametrize("reorder", ["degree", "rcm"])
def test_internal_node_order_does_not_change_the_output(reorder):
    edge_index = random_graph(300, 2000, seed=3, undirected=False)
    for s in ("sqrt", 40.0):
        base = FastRP(16, iteration_weights=(1, 1, 2, 3), normalization_strength=-0.5, s=s,
                      seed=1).fit_transform(edge_index, num_nodes=305)
        other = FastRP(16, iteration_weights=(1, 1, 2, 3), normalization_strength=-0.5, s=s, reorder=reorder,
                       seed=1).fit_transform(edge_index, num_nodes=305)
        # rows keep their entry order, so the products are the same; only the column
        # statistics are summed in another order
        assert torch.allclose(base, other, atol=1e-5, rtol=0)
        assert torch.equal(base, FastRP(16, iteration_weights=(1, 1, 2, 3), normalization_strength=-0.5, s=s,
                                        reorder="none", seed=1).fit_transform(edge_index, num_nodes=305))


def test_row_blocks_buffers_and_dtype(monkeypatch):
    edge_index = random_graph(90, 500, seed=5)
    a = dense_adjacency(edge_index, 90)
    ref = reference(a, 10, (1, 1, 2, 3), beta=-0.3, seed=0)
    monkeypatch.setattr(fastrp_module, "_CHUNK_CELLS", 70)  # 7 rows per block
    close(FastRP(10, iteration_weights=(1, 1, 2, 3), normalization_strength=-0.3).fit_transform(edge_index), ref)
    monkeypatch.setattr(fastrp_module, "_NUMPY_BUFFERS", False)
    close(FastRP(10, iteration_weights=(1, 1, 2, 3), normalization_strength=-0.3).fit_transform(edge_index), ref)
    emb64 = FastRP(10, iteration_weights=(1, 1, 2, 3), normalization_strength=-0.3,
                   dtype=torch.float64).fit_transform(edge_index)
    assert emb64.dtype == torch.float64
    close(emb64, ref, tol=1e-10)


def test_api_repr_params_and_exports():
    assert graphkit.FastRP is FastRP and "FastRP" in graphkit.__all__
    from graphkit.models import FastRP as from_models
    assert from_models is FastRP
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
    ({"dim": 0}, ValueError, "dim must be an int >= 1"),
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
    ({"feature_ratio": 1.5}, ValueError, r"feature_ratio must be in \[0.0, 1.0\]"),
    ({"normalize_rows": 1}, TypeError, "normalize_rows must be True or False"),
    ({"reorder": "metis"}, ValueError, "reorder must be one of"),
    ({"dtype": torch.float16}, TypeError, "dtype must be torch.float32 or torch.float64"),
    ({"seed": -1}, ValueError, "seed must be an int"),
    ({"device": "gpu7"}, ValueError, "device must be a torch device"),
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


@pytest.mark.data
def test_blogcatalog_example_runs(real_data_root, capsys):
    import importlib.util
    from pathlib import Path

    if not (real_data_root / "BlogCatalog" / "blogcatalog.mat").exists():
        pytest.skip("BlogCatalog/blogcatalog.mat not under GRAPHKIT_DATA")
    path = Path(__file__).resolve().parents[2] / "examples" / "fastrp_blogcatalog.py"
    spec = importlib.util.spec_from_file_location("fastrp_blogcatalog", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    scores, times = module.main(["--data-root", str(real_data_root), "--splits", "1", "--ratios", "0.5",
                                 "--repeats", "1"])
    out = capsys.readouterr().out
    assert "embedding (10312, 512): median" in out and "50%" in out and "0.408 / 0.280" in out
    assert 0.35 < scores["micro_f1@0.5"] < 0.5 and len(times) == 1
