"""k-means: seeded, k-means++ or random restarts, warm starts, bad input, and faiss equal in cluster quality."""

from __future__ import annotations

import pytest
import torch

from graphkit.ops import kmeans as km
from graphkit.ops.kmeans import kmeans


def blobs(n_per=40, centers=4, d=3, seed=0, spread=0.3):
    gen = torch.Generator().manual_seed(seed)
    c = torch.randn(centers, d, generator=gen) * 5
    x = torch.cat([c[i] + spread * torch.randn(n_per, d, generator=gen) for i in range(centers)])
    return x, torch.arange(centers).repeat_interleave(n_per)


def lloyd_reference_inertia(x, labels):
    total = 0.0
    for c in labels.unique():
        pts = x[labels == c]
        total += float(((pts - pts.mean(0)) ** 2).sum())
    return total


def test_recovers_blobs_and_is_a_fixed_point():
    x, y = blobs()
    res = kmeans(x, 4, n_init=3, seed=0)
    # the clusters are the blobs (up to relabelling)
    assert all(len(res.labels[y == c].unique()) == 1 for c in range(4))
    assert torch.allclose(res.distances, ((x - res.centroids[res.labels]) ** 2).sum(1), atol=1e-4)
    assert abs(res.inertia - lloyd_reference_inertia(x, res.labels)) < 1e-2
    assert res.labels.dtype == torch.long and res.centroids.shape == (4, 3)


def test_seeded_and_restarts_help():
    x = torch.randn(300, 4, generator=torch.Generator().manual_seed(1))
    a, b = kmeans(x, 12, seed=3), kmeans(x, 12, seed=3)
    assert torch.equal(a.labels, b.labels) and a.inertia == b.inertia
    one = [kmeans(x, 12, n_init=1, seed=s).inertia for s in range(5)]
    best = kmeans(x, 12, n_init=5, seed=0).inertia
    assert best <= max(one) + 1e-6


def test_random_seeding_draws_distinct_points_and_is_seeded():
    x, _ = blobs(seed=4)
    gen = torch.Generator().manual_seed(0)
    start = km._random_points(x, 7, 3, gen)
    assert start.shape == (3, 7, 3)
    for r in range(3):  # k distinct rows of x per restart
        rows = (start[r].unsqueeze(1) == x.unsqueeze(0)).all(-1).nonzero()[:, 1]
        assert rows.numel() == 7 and rows.unique().numel() == 7
    assert not torch.equal(start[0], start[1])
    a, b = kmeans(x, 4, seed=5, seeding="random"), kmeans(x, 4, seed=5, seeding="random")
    assert torch.equal(a.labels, b.labels) and a.inertia == b.inertia
    assert abs(a.inertia - lloyd_reference_inertia(x, a.labels)) < 1e-2
    # another seeding, another start: k-means++ and random seeds differ on the same seed
    many = torch.randn(200, 3, generator=torch.Generator().manual_seed(6))
    pp, rnd = kmeans(many, 30, n_init=1, max_iter=1, seed=0), kmeans(many, 30, n_init=1, max_iter=1, seed=0, seeding="random")
    assert not torch.equal(pp.centroids, rnd.centroids)
    with pytest.raises(ValueError, match="seeding must be one of"):
        kmeans(x, 4, seeding="kmeans++")


def test_warm_start_from_centroids():
    x, _ = blobs(seed=2)
    cold = kmeans(x, 4, seed=0)
    warm = kmeans(x + 0.01, 4, init=cold.centroids + 0.01)
    assert torch.equal(warm.labels, cold.labels) and warm.iterations <= 2
    with pytest.raises(ValueError, match="init must be"):
        kmeans(x, 4, init=torch.zeros(3, 3))


def test_every_cluster_keeps_a_member():
    x = torch.cat([torch.zeros(20, 2), torch.ones(5, 2) * 10, torch.randn(5, 2, generator=torch.Generator().manual_seed(0))])
    res = kmeans(x, 8, seed=0, n_init=2)
    assert torch.bincount(res.labels, minlength=8).min() >= 1 or len(torch.unique(x, dim=0)) < 8


def test_bad_input():
    x = torch.randn(5, 2)
    with pytest.raises(ValueError, match="larger than the number of points"):
        kmeans(x, 6)
    with pytest.raises(ValueError, match="k must be"):
        kmeans(x, 0)
    with pytest.raises(ValueError, match="backend"):
        kmeans(x, 2, backend="sklearn")
    with pytest.raises(ValueError):
        kmeans(torch.tensor([[float("nan"), 0.0]] * 3), 2)


def test_faiss_backend_is_optional(monkeypatch):
    monkeypatch.setattr(km, "_faiss", lambda: None)
    assert not km.faiss_available()
    x, _ = blobs()
    assert kmeans(x, 4, backend="auto").labels.numel() == x.size(0)  # falls back to torch
    with pytest.raises(ImportError, match="faiss"):
        kmeans(x, 4, backend="faiss")


@pytest.mark.skipif(not km.faiss_available(), reason="faiss not installed (optional accelerator)")
@pytest.mark.parametrize("k", [5, 40])
def test_faiss_equal_in_cluster_quality(k):
    x = torch.nn.functional.normalize(torch.randn(2000, 16, generator=torch.Generator().manual_seed(0)), dim=1)
    ours = kmeans(x, k, n_init=5, max_iter=20, seed=0)
    theirs = kmeans(x, k, n_init=5, max_iter=20, seed=0, backend="faiss")
    assert abs(ours.inertia - theirs.inertia) / theirs.inertia < 0.02
    x, y = blobs()
    res = kmeans(x, 4, backend="faiss", seed=0)
    assert all(len(res.labels[y == c].unique()) == 1 for c in range(4))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu_quality():
    x = torch.randn(500, 8, generator=torch.Generator().manual_seed(0))
    cpu = kmeans(x, 10, seed=0)
    gpu = kmeans(x.cuda(), 10, seed=0)
    assert gpu.labels.device.type == "cuda" and abs(cpu.inertia - gpu.inertia) / cpu.inertia < 0.05
