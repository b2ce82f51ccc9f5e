"""graphkit.ops.neighbor_sampling: only true neighbours, the right counts, uniform draws, torch-sparse's layout."""

from __future__ import annotations

import pytest
import torch

from graphkit import _compat
from graphkit.ops.csr import as_csr
from graphkit.ops.neighbor_sampling import sample_neighbors, sample_subgraph


def _graph(n=200, m=1500, seed=0):
    gen = torch.Generator().manual_seed(seed)
    edges = torch.randint(0, n, (2, m), generator=gen)
    edges = torch.unique(edges[:, edges[0] != edges[1]], dim=1)  # simple directed graph
    return edges, as_csr(edges.flip(0), n)  # row v: the sources of v's in-edges


@pytest.mark.parametrize("fan_out", [1, 3, 7, -1])
def test_draws_only_true_neighbours_with_the_right_counts_and_no_repeats(fan_out):
    edges, adj = _graph()
    nodes = torch.arange(adj.num_rows)
    entry, owner = sample_neighbors(adj.rowptr, nodes, fan_out, generator=torch.Generator().manual_seed(1))
    deg = adj.rowptr.diff()
    want = deg if fan_out < 0 else deg.clamp(max=fan_out)
    assert torch.equal(torch.bincount(owner, minlength=nodes.numel()), want)
    # each entry lies inside its owner's row and is drawn at most once (without replacement)
    assert bool(((entry >= adj.rowptr[owner]) & (entry < adj.rowptr[owner + 1])).all())
    assert entry.unique().numel() == entry.numel()
    truth = set(map(tuple, edges.t().tolist()))
    assert all((int(adj.col[e]), int(nodes[o])) in truth for e, o in zip(entry, owner, strict=True))


def test_each_neighbour_is_drawn_with_probability_k_over_degree():
    # one node with 10 in-neighbours, 3 drawn, 6000 times: each neighbour's frequency ~ 0.3
    rowptr = torch.tensor([0, 10])
    nodes = torch.zeros(6000, dtype=torch.long)
    entry, owner = sample_neighbors(rowptr, nodes, 3, generator=torch.Generator().manual_seed(0))
    freq = torch.bincount(entry, minlength=10).double() / 6000
    assert torch.equal(torch.bincount(owner), torch.full((6000,), 3))
    assert float((freq - 0.3).abs().max()) < 0.03  # 5 standard deviations of a binomial(6000, 0.3) share
    # the 3-subsets are uniform too: all C(10, 3) = 120 show up, and a chi-square statistic (119 degrees of
    # freedom: mean 119, sd 15.4) stays below mean + 5 sd
    triples = entry.view(-1, 3).sort(1).values
    codes = torch.bincount(triples[:, 0] * 100 + triples[:, 1] * 10 + triples[:, 2])
    counts = codes[codes > 0].double()
    chi2 = float(((counts - 50.0) ** 2 / 50.0).sum())
    assert counts.numel() == 120 and counts.sum() == 6000 and chi2 < 119 + 5 * 15.4, chi2


def test_subgraph_relabels_seeds_first_and_keeps_true_edges():
    edges, adj = _graph()
    seeds = torch.tensor([5, 17, 42, 99])
    sub = sample_subgraph(adj, seeds, [4, 3], generator=torch.Generator().manual_seed(0))
    assert sub.batch_size == 4 and torch.equal(sub.node[:4], seeds)
    assert sub.node.unique().numel() == sub.node.numel()
    glob = sub.node[sub.edge_index]
    truth = set(map(tuple, edges.t().tolist()))
    assert all(tuple(e) in truth for e in glob.t().tolist())  # neighbour -> node, the graph's own edges
    assert torch.equal(adj.col[sub.edge], glob[0])
    # the first hop: at most 4 in-neighbours of each seed, exactly min(4, degree)
    first = sub.edge_index[:, : int(adj.rowptr.diff()[seeds].clamp(max=4).sum())]
    assert torch.equal(torch.bincount(first[1], minlength=4), adj.rowptr.diff()[seeds].clamp(max=4))


def test_same_generator_same_subgraph():
    _, adj = _graph()
    a = sample_subgraph(adj, torch.tensor([1, 2, 3]), [5, 5], generator=torch.Generator().manual_seed(3))
    b = sample_subgraph(adj, torch.tensor([1, 2, 3]), [5, 5], generator=torch.Generator().manual_seed(3))
    assert torch.equal(a.node, b.node) and torch.equal(a.edge_index, b.edge_index)


@pytest.mark.skipif(not _compat.WITH_TORCH_SPARSE, reason="torch-sparse not installed")
def test_same_layout_and_counts_as_torch_sparse():
    _, adj = _graph()
    seeds = torch.tensor([0, 10, 20, 30, 40])
    torch.manual_seed(0)
    node, row, col, edge = torch.ops.torch_sparse.neighbor_sample(adj.rowptr, adj.col, seeds, [3, 2], False, True)
    sub = sample_subgraph(adj, seeds, [3, 2], generator=torch.Generator().manual_seed(0))
    assert torch.equal(node[:5], sub.node[:5])
    # the same number of first-hop edges per seed, min(3, degree), in both
    first = int(adj.rowptr.diff()[seeds].clamp(max=3).sum())
    assert torch.equal(torch.bincount(col[:first], minlength=5), torch.bincount(sub.edge_index[1, :first], minlength=5))
    assert torch.equal(adj.col[edge], node[row])  # torch-sparse's edges are neighbour -> node, as ours


def test_fit_node_classifier_mini_batches_train_and_repeat():
    from graphkit import GCN, MLP, GCNConfig, datasets, fit_node_classifier

    data = datasets.load("csbm", num_nodes=300, seed=0)
    config = GCNConfig(epochs=3, hidden_channels=16, batch_size=64, fan_out=(5, 5), sampler="torch")
    model = GCN.from_config(config, data)
    before = [p.detach().clone() for p in model.parameters()]
    a = fit_node_classifier(model, data, config, seed=0, progress=False)
    assert a.model is model and any(not torch.equal(p, q) for p, q in zip(before, model.parameters(), strict=True))
    b = fit_node_classifier(GCN.from_config(config, data), data, config, seed=0, progress=False)
    assert a.metrics == b.metrics and a.history == b.history
    with pytest.raises(ValueError, match="both batch_size and fan_out"):
        GCNConfig(batch_size=64)
    with pytest.raises(ValueError, match="not the MLP"):
        fit_node_classifier(MLP(data.num_features, 8, 4), data, {"batch_size": 8, "fan_out": [2]}, progress=False)
