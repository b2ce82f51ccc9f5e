"""graphkit.ops.nearest_neighbors: chunked kNN against a dense brute-force reference; the kNN graph and hypergraph."""

import pytest
import torch

from graphkit.ops import nearest_neighbors as knn_module
from graphkit.ops.nearest_neighbors import knn, knn_graph, knn_hypergraph


def dense_distances(x, q, metric):
    if metric == "cosine":
        xn = x / x.norm(dim=1, keepdim=True).clamp_min(1e-12)
        qn = q / q.norm(dim=1, keepdim=True).clamp_min(1e-12)
        return 1 - qn @ xn.t()
    return ((q[:, None, :] - x[None, :, :]) ** 2).sum(-1).sqrt()


def reference(x, k, metric, loop=False, q=None):
    d = dense_distances(x, x if q is None else q, metric).double()
    if q is None and not loop:
        d.fill_diagonal_(float("inf"))
    value, index = d.sort(dim=1, stable=True)
    return index[:, :k], value[:, :k]


@pytest.fixture
def points():
    return torch.randn(57, 6, generator=torch.Generator().manual_seed(0), dtype=torch.float64)


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
@pytest.mark.parametrize("max_elements", [1, 100, 10**8])
def test_knn_matches_brute_force_for_any_chunking(points, metric, max_elements):
    index, dist = knn(points, 5, metric=metric, max_elements=max_elements)
    ref_index, ref_dist = reference(points, 5, metric)
    assert torch.equal(index, ref_index)
    assert torch.allclose(dist, ref_dist, atol=1e-9)
    assert bool((dist[:, 1:] >= dist[:, :-1]).all())


def test_loop_and_query(points):
    index, dist = knn(points, 3, metric="euclidean", loop=True)
    assert torch.equal(index[:, 0], torch.arange(points.size(0))) and float(dist[:, 0].abs().max()) < 1e-6
    q = points[:7] + 0.01
    index, _ = knn(points, 4, query=q, metric="cosine")
    assert torch.equal(index, reference(points, 4, "cosine", q=q)[0])
    knn(points, points.size(0), query=q)  # every point may be a neighbour of an outside query


def test_zero_rows_have_cosine_distance_one():
    x = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]])
    _, dist = knn(x, 2)
    assert torch.allclose(dist[0], torch.ones(2))


def test_no_dense_matrix_beyond_the_chunk_budget(points, monkeypatch):
    seen = []
    real_cdist = torch.cdist

    def spy(a, b, *args, **kwargs):
        out = real_cdist(a, b, *args, **kwargs)
        seen.append(out.numel())
        return out

    monkeypatch.setattr(torch, "cdist", spy)
    knn(points, 3, metric="euclidean", max_elements=120)
    assert max(seen) <= 120 and len(seen) == -(-points.size(0) // (120 // points.size(0)))


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_knn_graph(points, metric, monkeypatch):
    monkeypatch.setattr(knn_module, "WITH_TORCH_CLUSTER", False)
    n, k = points.size(0), 4
    edge_index = knn_graph(points, k, metric=metric)
    ref = reference(points, k, metric)[0]
    assert edge_index.shape == (2, n * k) and edge_index.dtype == torch.long
    assert torch.equal(torch.bincount(edge_index[1], minlength=n), torch.full((n,), k))
    assert not bool((edge_index[0] == edge_index[1]).any())
    for i in (0, 13, n - 1):
        assert sorted(edge_index[0, edge_index[1] == i].tolist()) == sorted(ref[i].tolist())
    key = edge_index[1] * n + edge_index[0]
    assert bool((key[1:] > key[:-1]).all())  # sorted by target, then source, no duplicates


def test_symmetric_and_flow(points, monkeypatch):
    monkeypatch.setattr(knn_module, "WITH_TORCH_CLUSTER", False)
    n = points.size(0)
    directed = knn_graph(points, 3)
    sym = knn_graph(points, 3, symmetric=True)
    as_set = {tuple(e) for e in sym.t().tolist()}
    assert {tuple(e) for e in directed.t().tolist()} <= as_set
    assert all((b, a) in as_set for a, b in as_set)
    assert bool((torch.bincount(sym[1], minlength=n) >= 3).all()) and sym.size(1) == len(as_set)
    flipped = knn_graph(points, 3, flow="target_to_source")
    assert torch.equal(flipped, directed.flip(0))


@pytest.mark.parametrize("n, dim", [(57, 3), (2000, 3), (300, 8)])
def test_torch_cluster_path_equals_pure_torch(n, dim, monkeypatch):
    if not knn_module.WITH_TORCH_CLUSTER:
        pytest.skip("torch-cluster is not installed (optional accelerator)")
    x = torch.randn(n, dim, generator=torch.Generator().manual_seed(1))
    assert knn_module._use_torch_cluster(x, "euclidean")
    fast = [knn_graph(x, 5, metric="euclidean", symmetric=s) for s in (False, True)]
    hyper = knn_hypergraph(x, 4, metric="euclidean")[0]
    monkeypatch.setattr(knn_module, "WITH_TORCH_CLUSTER", False)
    assert torch.equal(fast[0], knn_graph(x, 5, metric="euclidean"))
    assert torch.equal(fast[1], knn_graph(x, 5, metric="euclidean", symmetric=True))
    assert torch.equal(hyper, knn_hypergraph(x, 4, metric="euclidean")[0])


def test_torch_cluster_only_where_it_is_faster(monkeypatch):
    monkeypatch.setattr(knn_module, "WITH_TORCH_CLUSTER", True)
    assert knn_module._use_torch_cluster(torch.randn(4, 3), "euclidean")
    assert not knn_module._use_torch_cluster(torch.randn(4, 16), "euclidean")  # KD-tree loses in many dimensions
    assert not knn_module._use_torch_cluster(torch.randn(4, 3), "cosine")  # no cosine on CPU


def test_exact_differences_in_few_dimensions():
    x = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [5.0, 5.0]]) + 1000.0
    _, dist = knn(x, 3, metric="euclidean")
    assert torch.equal(dist[0], torch.ones(3))  # exact ties at distance 1, no rounding of 1000² terms


def test_knn_hypergraph(points, monkeypatch):
    monkeypatch.setattr(knn_module, "WITH_TORCH_CLUSTER", False)
    n, k = points.size(0), 4
    hyperedge_index, m = knn_hypergraph(points, k)
    assert m == n and hyperedge_index.shape == (2, n * (k + 1))
    ref = reference(points, k, "cosine")[0]
    for e in (0, 9, n - 1):
        members = hyperedge_index[0, hyperedge_index[1] == e].tolist()
        assert members == sorted([e, *ref[e].tolist()])
    key = hyperedge_index[1] * n + hyperedge_index[0]
    assert bool((key[1:] > key[:-1]).all())


@pytest.mark.parametrize("bad, error, match", [
    (dict(k=57), ValueError, "k=57 neighbours asked but there are only 56 other points"),
    (dict(k=0), ValueError, "k must be >= 1"),
    (dict(k=2.0), TypeError, "k must be an int"),
    (dict(metric="manhattan"), ValueError, "metric must be one of"),
])
def test_bad_arguments(points, bad, error, match):
    args = {"k": 3, **bad}
    k = args.pop("k")
    with pytest.raises(error, match=match):
        knn_graph(points, k, **args)


def test_bad_points():
    with pytest.raises(ValueError, match="empty"):
        knn_graph(torch.empty(0, 4), 1)
    with pytest.raises(ValueError, match=r"shape \[N, d\]"):
        knn_graph(torch.randn(2, 3, 4), 1)
    with pytest.raises(ValueError, match="NaN or inf"):
        knn_graph(torch.tensor([[0.0], [float("nan")], [1.0]]), 1)
    with pytest.raises(TypeError, match="floating point"):
        knn_graph(torch.arange(6).view(3, 2), 1)
    with pytest.raises(ValueError, match="only 1 other points"):
        knn_hypergraph(torch.randn(2, 3), 2)
    with pytest.raises(ValueError, match="same width"):
        knn(torch.randn(5, 3), 2, query=torch.randn(2, 4))
