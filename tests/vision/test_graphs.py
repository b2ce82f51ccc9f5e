"""Image -> graph builders: image_graph (kNN graph + hypergraph of embeddings), patch_graph (grid + feature kNN)."""

import pytest
import torch

from graphkit.ops import nearest_neighbors as knn_module
from graphkit.vision import grid_edges, image_graph, patch_graph


def test_image_graph():
    gen = torch.Generator().manual_seed(0)
    feats = torch.randn(40, 16, generator=gen)
    y = torch.arange(40) % 4
    z = torch.randn(40, 5, generator=gen)
    data = image_graph(feats, 6, y=y, x=z)
    assert data.num_nodes == 40 and data.x is z and torch.equal(data.y, y)
    e = {tuple(p) for p in data.edge_index.t().tolist()}
    assert all((b, a) in e for a, b in e) and not any(a == b for a, b in e)
    assert bool((torch.bincount(data.edge_index[1], minlength=40) >= 6).all())
    assert data.num_hyperedges == 40
    assert torch.equal(torch.bincount(data.hyperedge_index[1]), torch.full((40,), 7))
    members = data.hyperedge_index[0, data.hyperedge_index[1] == 3]
    assert 3 in members.tolist()
    plain = image_graph(feats, 2, hypergraph=False)
    assert plain.x is feats and "hyperedge_index" not in plain
    with pytest.raises(ValueError, match="one label per image"):
        image_graph(feats, 2, y=y[:5])
    with pytest.raises(ValueError, match="k=40 neighbours asked but there are only 39"):
        image_graph(feats, 40)
    with pytest.raises(ValueError, match="empty"):
        image_graph(torch.empty(0, 16), 1)


def test_grid_edges():
    assert grid_edges(3, 4, neighbourhood=4).size(1) == 2 * (3 * 3 + 4 * 2)
    eight = grid_edges(3, 4)
    assert eight.size(1) == 2 * (3 * 3 + 4 * 2 + 2 * 2 * 3)
    pairs = {tuple(p) for p in eight.t().tolist()}
    assert (0, 5) in pairs and (5, 0) in pairs and (0, 2) not in pairs
    with pytest.raises(ValueError, match="neighbourhood must be 4 or 8"):
        grid_edges(2, 2, neighbourhood=6)


def test_patch_graph(monkeypatch):
    monkeypatch.setattr(knn_module, "WITH_TORCH_CLUSTER", False)
    fmap = torch.randn(3, 8, 5, 6, requires_grad=True)
    g = patch_graph(fmap, k=4)
    n = 3 * 30
    assert g.num_nodes == n and g.x.shape == (n, 8) and g.pos.shape == (n, 2)
    assert torch.equal(g.x[30 + 7], fmap[1, :, 7 // 6, 7 % 6])
    assert int(g.edge_index.min()) >= 0 and int(g.edge_index.max()) < n
    assert torch.equal(g.batch[g.edge_index[0]], g.batch[g.edge_index[1]])  # never across images
    grid_only = patch_graph(fmap, k=0)
    knn_only = patch_graph(fmap, k=4, neighbourhood=None)
    assert grid_only.edge_index.size(1) == 3 * grid_edges(5, 6).size(1)
    assert torch.equal(torch.bincount(knn_only.edge_index[1], minlength=n), torch.full((n,), 4))
    union = {tuple(p) for p in grid_only.edge_index.t().tolist()} | {tuple(p) for p in knn_only.edge_index.t().tolist()}
    assert union == {tuple(p) for p in g.edge_index.t().tolist()}
    g.x.sum().backward()
    assert fmap.grad is not None and bool((fmap.grad == 1).all())  # gradients reach the feature map


def test_patch_graph_bad_input():
    with pytest.raises(ValueError, match=r"4-D tensor \[B, C, H, W\]"):
        patch_graph(torch.randn(8, 5, 5))
    with pytest.raises(ValueError, match="k=25 feature neighbours asked but a 5x5 map has 25 cells"):
        patch_graph(torch.randn(1, 8, 5, 5), k=25)
    with pytest.raises(ValueError, match="needs grid edges"):
        patch_graph(torch.randn(1, 8, 5, 5), k=0, neighbourhood=None)
