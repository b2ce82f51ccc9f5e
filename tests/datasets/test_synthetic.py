"""Tests for graphkit.datasets.synthetic: contextual SBM and Chung–Lu power-law graphs."""

from __future__ import annotations

import pytest
import torch

import graphkit.datasets.synthetic as synthetic  # registers "csbm" and "powerlaw"
from graphkit.datasets import load, names, spec
from graphkit.datasets.synthetic import contextual_sbm, powerlaw_graph


def _assert_simple_coalesced(edge_index: torch.Tensor, num_nodes: int) -> None:
    """No self-loops, no duplicates, sorted by (row, col), ids in range."""
    assert edge_index.dtype == torch.long and edge_index.dim() == 2 and edge_index.size(0) == 2
    row, col = edge_index
    assert not bool((row == col).any())
    if edge_index.numel():
        assert int(edge_index.min()) >= 0 and int(edge_index.max()) < num_nodes
    key = row * num_nodes + col
    assert bool((key[1:] > key[:-1]).all()), "edges must be strictly increasing in (row, col)"


def _assert_symmetric(edge_index: torch.Tensor, num_nodes: int) -> None:
    row, col = edge_index
    fwd = torch.sort(row * num_nodes + col).values
    bwd = torch.sort(col * num_nodes + row).values
    assert torch.equal(fwd, bwd)


def _assert_data_equal(a, b) -> None:
    assert set(a.keys()) == set(b.keys())
    for key in a.keys():
        va, vb = a[key], b[key]
        if isinstance(va, torch.Tensor):
            assert torch.equal(va, vb), key
        else:
            assert va == vb, key


# --------------------------------------------------------------------------- contextual SBM


@pytest.fixture(scope="module")
def csbm3000():
    return contextual_sbm(3000, 4, avg_degree=10.0, homophily=0.8, num_features=16, seed=3)


def test_csbm_shapes_and_dtypes(csbm3000):
    d = csbm3000
    assert d.num_nodes == 3000
    assert d.x.shape == (3000, 16) and d.x.dtype == torch.float32
    assert d.y.shape == (3000,) and d.y.dtype == torch.long
    for name in ("train_mask", "val_mask", "test_mask"):
        assert d[name].shape == (3000,) and d[name].dtype == torch.bool
    assert set(d.keys()) == {"x", "edge_index", "y", "train_mask", "val_mask", "test_mask"}
    assert bool(torch.isfinite(d.x).all())


def test_csbm_edges_simple_symmetric_exact_count(csbm3000):
    d = csbm3000
    _assert_simple_coalesced(d.edge_index, 3000)
    _assert_symmetric(d.edge_index, 3000)
    # exactly round(N * d / 2) undirected edges, both directions stored
    assert d.edge_index.size(1) == 2 * round(3000 * 10.0 / 2)
    deg = torch.bincount(d.edge_index[0], minlength=3000).float()
    assert deg.mean().item() == pytest.approx(10.0, abs=0.05)
    # every node's expected degree is d: no node is a hub
    assert deg.max().item() < 35


def test_csbm_label_balance(csbm3000):
    counts = torch.bincount(csbm3000.y, minlength=4)
    assert counts.tolist() == [750, 750, 750, 750]
    uneven = contextual_sbm(103, 4, avg_degree=4.0, seed=0)
    counts = torch.bincount(uneven.y, minlength=4)
    assert counts.sum() == 103 and int(counts.max() - counts.min()) <= 1
    # labels are shuffled, not in blocks
    assert not torch.equal(uneven.y, torch.sort(uneven.y).values)


@pytest.mark.parametrize("homophily", [0.0, 0.2, 0.5, 0.8, 1.0])
def test_csbm_homophily_matches_request(homophily):
    d = contextual_sbm(3000, 4, avg_degree=10.0, homophily=homophily, num_features=4, seed=1)
    row, col = d.edge_index
    measured = (d.y[row] == d.y[col]).double().mean().item()
    assert abs(measured - homophily) < 0.05
    # the generator makes it exact up to rounding of round(h * M) / M
    assert measured == pytest.approx(homophily, abs=1.0 / 15000 + 1e-12)


def test_csbm_feature_class_separability():
    d = contextual_sbm(2000, 4, avg_degree=5.0, num_features=32, feature_signal=3.0, seed=2)
    means = torch.stack([d.x[d.y == c].mean(0) for c in range(4)])
    # empirical class means have length ~ feature_signal (noise in the mean ~ sqrt(F / 500))
    assert means.norm(dim=1).sub(3.0).abs().max().item() < 0.5
    dist = torch.cdist(means, means)
    off_diag = dist[~torch.eye(4, dtype=torch.bool)]
    assert off_diag.min().item() > 2.0
    # nearest class mean classifies well above chance (0.25)
    pred = torch.cdist(d.x, means).argmin(1)
    assert (pred == d.y).float().mean().item() > 0.85


def test_csbm_zero_signal_is_pure_noise():
    d = contextual_sbm(2000, 4, avg_degree=5.0, num_features=8, feature_signal=0.0, seed=2)
    means = torch.stack([d.x[d.y == c].mean(0) for c in range(4)])
    assert means.norm(dim=1).max().item() < 0.3
    assert d.x.std().item() == pytest.approx(1.0, abs=0.05)


def _mask_sizes(d):
    return int(d.train_mask.sum()), int(d.val_mask.sum()), int(d.test_mask.sum())


def _assert_masks_disjoint(d):
    total = d.train_mask.long() + d.val_mask.long() + d.test_mask.long()
    assert int(total.max()) <= 1


def test_csbm_default_split_sizes():
    d = contextual_sbm(seed=0)  # N=2000, C=4: the standard 20 per class / 500 / 1000
    _assert_masks_disjoint(d)
    assert _mask_sizes(d) == (80, 500, 1000)
    assert torch.bincount(d.y[d.train_mask], minlength=4).tolist() == [20, 20, 20, 20]


@pytest.mark.parametrize(
    ("num_nodes", "num_classes", "expected"),
    [
        # n_min=125: t=20, R=420 < 1500 -> val=420*500//1500=140, test=420*1000//1500=280
        (500, 4, (80, 140, 280)),
        # n_min=10: t=min(20, 10//5)=2, R=32 -> val=10, test=21
        (40, 4, (8, 10, 21)),
        # n_min=2: t=max(1, 0)=1, R=4 -> val=1, test=2
        (6, 3, (3, 1, 2)),
        # large enough: defaults
        (1600, 2, (40, 500, 1000)),
    ],
)
def test_csbm_split_scales_down(num_nodes, num_classes, expected):
    d = contextual_sbm(num_nodes, num_classes, avg_degree=0.0, seed=5)
    _assert_masks_disjoint(d)
    assert _mask_sizes(d) == expected
    per_class = expected[0] // num_classes
    assert torch.bincount(d.y[d.train_mask], minlength=num_classes).tolist() == [per_class] * num_classes


def test_csbm_custom_split_sizes():
    d = contextual_sbm(1000, 5, avg_degree=4.0, num_train_per_class=10, num_val=100, num_test=300, seed=0)
    _assert_masks_disjoint(d)
    assert _mask_sizes(d) == (50, 100, 300)
    d = contextual_sbm(1000, 5, avg_degree=4.0, num_train_per_class=0, num_val=0, num_test=0, seed=0)
    assert _mask_sizes(d) == (0, 0, 0)


def test_csbm_split_is_seeded_and_random():
    a, b = contextual_sbm(500, seed=1), contextual_sbm(500, seed=2)
    assert not torch.equal(a.train_mask, b.train_mask)
    # the training nodes are spread over the id range, not the first ids
    ids = a.train_mask.nonzero().squeeze(1)
    assert ids.max().item() > 250 and ids.min().item() < 250


def test_csbm_determinism_and_seed_sensitivity():
    a = contextual_sbm(400, 3, avg_degree=6.0, num_features=5, seed=11)
    b = contextual_sbm(400, 3, avg_degree=6.0, num_features=5, seed=11)
    _assert_data_equal(a, b)
    c = contextual_sbm(400, 3, avg_degree=6.0, num_features=5, seed=12)
    assert not torch.equal(a.y, c.y)
    assert not torch.equal(a.x, c.x)
    assert a.edge_index.shape == c.edge_index.shape and not torch.equal(a.edge_index, c.edge_index)


def test_generators_leave_global_rng_alone():
    torch.manual_seed(123)
    state = torch.get_rng_state()
    a = contextual_sbm(300, seed=4)
    p = powerlaw_graph(500, 2000, seed=4)
    assert torch.equal(torch.get_rng_state(), state)
    torch.manual_seed(999)
    _assert_data_equal(a, contextual_sbm(300, seed=4))
    _assert_data_equal(p, powerlaw_graph(500, 2000, seed=4))


def test_csbm_no_edges_and_tiny():
    d = contextual_sbm(4, 2, avg_degree=0.0, seed=0)
    assert d.edge_index.shape == (2, 0) and d.edge_index.dtype == torch.long
    d = contextual_sbm(10, 2, avg_degree=2.0, homophily=1.0, seed=0)
    _assert_simple_coalesced(d.edge_index, 10)
    assert bool((d.y[d.edge_index[0]] == d.y[d.edge_index[1]]).all())
    one_class = contextual_sbm(50, 1, avg_degree=3.0, homophily=1.0, seed=0)
    assert one_class.edge_index.size(1) == 2 * 75


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_nodes": 0}, "num_nodes must be >= 1"),
        ({"num_nodes": 10.0}, "num_nodes must be an int"),
        ({"num_nodes": True}, "num_nodes must be an int"),
        ({"num_classes": 0}, "num_classes must be >= 1"),
        ({"num_nodes": 3, "num_classes": 4}, r"num_nodes \(3\) must be at least num_classes \(4\)"),
        ({"avg_degree": -1.0}, "avg_degree must be >= 0"),
        ({"avg_degree": float("nan")}, "avg_degree must be finite"),
        ({"avg_degree": "10"}, "avg_degree must be a number"),
        ({"homophily": 1.5}, "homophily must be <= 1"),
        ({"homophily": -0.1}, "homophily must be >= 0"),
        ({"num_features": 0}, "num_features must be >= 1"),
        ({"feature_signal": -1.0}, "feature_signal must be >= 0"),
        ({"feature_signal": float("inf")}, "feature_signal must be finite"),
        ({"num_val": -1}, "num_val must be >= 0"),
        ({"num_test": -5}, "num_test must be >= 0"),
        ({"num_train_per_class": -1}, "num_train_per_class must be >= 0"),
        ({"seed": 1.5}, "seed must be an int"),
        ({"seed": None}, "seed must be an int"),
        ({"num_classes": 1, "homophily": 0.5}, "needs edges between classes, but num_classes is 1"),
        ({"num_nodes": 40, "avg_degree": 30.0}, "same-class edges but only .* node pairs exist"),
        ({"num_nodes": 40, "avg_degree": 30.0, "homophily": 0.0}, "cross-class edges but only"),
    ],
)
def test_csbm_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        contextual_sbm(**kwargs)


# --------------------------------------------------------------------------- power-law graph


@pytest.fixture(scope="module")
def powerlaw10k():
    return powerlaw_graph(10_000, 50_000, seed=0)


def test_powerlaw_shapes_and_fields(powerlaw10k):
    d = powerlaw10k
    assert d.num_nodes == 10_000
    assert d.x is None and "y" not in d
    assert d.edge_index.dtype == torch.long and d.edge_index.size(0) == 2


def test_powerlaw_undirected_simple(powerlaw10k):
    ei = powerlaw10k.edge_index
    _assert_simple_coalesced(ei, 10_000)
    _assert_symmetric(ei, 10_000)
    # num_edges counts undirected candidates before dedup: E <= 2 * num_edges and close to it
    assert ei.size(1) % 2 == 0
    assert 0.95 * 100_000 < ei.size(1) <= 100_000


def test_powerlaw_heavy_tail_vs_erdos_renyi(powerlaw10k):
    deg = torch.bincount(powerlaw10k.edge_index[0], minlength=10_000).float()
    mean = deg.mean().item()
    # an Erdos-Renyi graph with mean ~10 has max degree ~ 25; the power law has hubs
    assert deg.max().item() > 20 * mean
    assert deg.std().item() > 3 * mean**0.5
    # the top 1% of nodes hold a large share of the edge endpoints
    top = torch.sort(deg, descending=True).values[:100].sum().item()
    assert top / deg.sum().item() > 0.1


def test_powerlaw_exponent_controls_tail():
    heavy = torch.bincount(powerlaw_graph(5000, 20_000, exponent=2.1, seed=1).edge_index[0])
    light = torch.bincount(powerlaw_graph(5000, 20_000, exponent=4.0, seed=1).edge_index[0])
    assert heavy.max() > 3 * light.max()


def test_powerlaw_ids_are_permuted(powerlaw10k):
    deg = torch.bincount(powerlaw10k.edge_index[0], minlength=10_000).double()
    ids = torch.arange(10_000, dtype=torch.double)
    # Spearman rank correlation between id and degree is ~0 (it would be ~-1 unpermuted)
    rank_deg = torch.argsort(torch.argsort(deg)).double()
    corr = torch.corrcoef(torch.stack([ids, rank_deg]))[0, 1].item()
    assert abs(corr) < 0.1
    assert int(deg.argmax()) != 0
    assert not bool((deg[1:] <= deg[:-1]).all())


def test_powerlaw_directed():
    d = powerlaw_graph(2000, 10_000, undirected=False, seed=3)
    _assert_simple_coalesced(d.edge_index, 2000)
    assert 0.9 * 10_000 < d.edge_index.size(1) <= 10_000
    row, col = d.edge_index
    fwd = set((row * 2000 + col).tolist())
    bwd = set((col * 2000 + row).tolist())
    assert fwd != bwd  # not symmetrised
    # both in- and out-degrees are heavy-tailed
    out_deg, in_deg = torch.bincount(row).float(), torch.bincount(col).float()
    assert out_deg.max() > 10 * out_deg.mean() and in_deg.max() > 10 * in_deg.mean()


def test_powerlaw_determinism_and_seed_sensitivity():
    a = powerlaw_graph(3000, 12_000, seed=7)
    b = powerlaw_graph(3000, 12_000, seed=7)
    assert torch.equal(a.edge_index, b.edge_index) and a.num_nodes == b.num_nodes
    c = powerlaw_graph(3000, 12_000, seed=8)
    assert not torch.equal(a.edge_index[:, : c.edge_index.size(1)], c.edge_index[:, : a.edge_index.size(1)])


def test_powerlaw_edge_cases():
    d = powerlaw_graph(5, 0)
    assert d.edge_index.shape == (2, 0) and d.num_nodes == 5
    d = powerlaw_graph(1, 100)  # every candidate is a self-loop
    assert d.edge_index.shape == (2, 0) and d.num_nodes == 1
    d = powerlaw_graph(2, 100)  # only one possible undirected edge
    assert d.edge_index.tolist() == [[0, 1], [1, 0]]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_nodes": 0}, "num_nodes must be >= 1"),
        ({"num_nodes": 2**40}, "num_nodes must be <= "),
        ({"num_nodes": 1e6}, "num_nodes must be an int"),
        ({"num_edges": -1}, "num_edges must be >= 0"),
        ({"num_edges": 5.5}, "num_edges must be an int"),
        ({"exponent": 2.0}, "exponent must be > 2"),
        ({"exponent": 1.5}, "exponent must be > 2"),
        ({"exponent": float("inf")}, "exponent must be finite"),
        ({"undirected": 1}, "undirected must be a bool"),
        ({"seed": "0"}, "seed must be an int"),
    ],
)
def test_powerlaw_bad_arguments(kwargs, message):
    options = {"num_nodes": 100, "num_edges": 100, **kwargs}
    with pytest.raises(ValueError, match=message):
        powerlaw_graph(**options)


# --------------------------------------------------------------------------- helpers and registry


def test_sort_unique_matches_reference():
    gen = torch.Generator().manual_seed(0)
    keys = torch.randint(-3, 50, (500,), generator=gen)
    expected = torch.unique(keys[keys >= 0])
    got = synthetic._sort_unique_(keys.clone())
    assert torch.equal(got, expected)
    assert synthetic._sort_unique_(torch.full((4,), -1)).numel() == 0
    assert synthetic._sort_unique_(torch.empty(0, dtype=torch.long)).numel() == 0


def test_registry_entries():
    assert "csbm" in names("node") and "powerlaw" in names("graph")
    assert spec("csbm").synthetic and spec("powerlaw").synthetic
    assert spec("powerlaw").task == "graph"
    assert "contextual stochastic block model" in spec("csbm").description


def test_registry_load_csbm(tmp_path):
    d = load("csbm", num_nodes=500, seed=1)
    _assert_data_equal(d, contextual_sbm(500, seed=1))
    assert d.num_nodes == 500 and d.x.shape == (500, 32)
    # root is ignored (nothing read or written)
    _assert_data_equal(load("csbm", root=tmp_path, num_nodes=500, seed=1), d)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(TypeError, match="no_such_option"):
        load("csbm", num_nodes=500, no_such_option=3)
    with pytest.raises(ValueError, match="homophily"):
        load("csbm", num_nodes=500, homophily=2.0)


def test_registry_load_powerlaw():
    d = load("powerlaw", num_nodes=10000, num_edges=50000)
    assert torch.equal(d.edge_index, powerlaw_graph(10000, 50000, seed=0).edge_index)
    assert d.num_nodes == 10000 and d.x is None
