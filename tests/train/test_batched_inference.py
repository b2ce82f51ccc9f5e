"""Layer-wise batched inference: blocks hold exactly each chunk's in-edges; the baselines' eval forward is reproduced."""

import pytest
import torch

from graphkit import GAT, GCN, MLP, SAGE, GCNConfig, datasets, fit_node_classifier
from graphkit.ops.csr import from_coo
from graphkit.train.batched_inference import InferenceLayer, in_neighbor_blocks, layerwise_inference


def _directed_graph(n=50, e=300, seed=0):
    """A random directed graph with self-loops, duplicate edges and isolated nodes (the cases that differ)."""
    g = torch.Generator().manual_seed(seed)
    edge_index = torch.randint(0, n - 5, (2, e), generator=g)  # the last 5 nodes are isolated
    extra = torch.tensor([[3, 3, 7, 7, 9], [3, 3, 8, 8, 9]])  # a duplicated self-loop, a duplicated edge
    return torch.cat([edge_index, extra], 1), torch.randn(n, 6, generator=g)


@pytest.mark.parametrize("chunk_size", [1, 7, 50, 64])
def test_blocks_hold_each_chunks_in_edges_exactly(chunk_size):
    edge_index, _ = _directed_graph()
    n = 50
    adj = from_coo(edge_index[1], edge_index[0], None, n, n)
    seen = []
    for block in in_neighbor_blocks(adj, chunk_size):
        b = block.batch_size
        assert torch.equal(block.source[:b], torch.arange(block.start, block.end))
        assert block.source.unique().numel() == block.source.numel()  # every source once
        src, dst = block.edge_index
        assert bool((dst >= 0).all() & (dst < b).all())
        global_edges = torch.stack([block.source[src], dst + block.start])
        expected = edge_index[:, (edge_index[1] >= block.start) & (edge_index[1] < block.end)]
        key = lambda ei: (ei[0] * n + ei[1]).sort().values  # noqa: E731 (multiset of edges)
        assert torch.equal(key(global_edges), key(expected))
        in_degree = torch.bincount(edge_index[1], minlength=n)
        assert torch.equal(block.in_degree, in_degree[block.source])
        seen.append(torch.arange(block.start, block.end))
    assert torch.equal(torch.cat(seen), torch.arange(n))


def test_blocks_of_a_node_range_cover_it_once():
    edge_index, _ = _directed_graph()
    adj = from_coo(edge_index[1], edge_index[0], None, 50, 50)
    blocks = list(in_neighbor_blocks(adj, 7, nodes=(20, 35)))
    assert [(b.start, b.end) for b in blocks] == [(20, 27), (27, 34), (34, 35)]
    every = {b.start: b for b in in_neighbor_blocks(adj, 1)}
    for b in in_neighbor_blocks(adj, 1, nodes=(20, 35)):  # the same blocks as over all nodes
        assert torch.equal(b.source, every[b.start].source) and torch.equal(b.edge_index, every[b.start].edge_index)
    with pytest.raises(ValueError, match="nodes must be a range"):
        list(in_neighbor_blocks(adj, 7, nodes=(30, 20)))


def test_mean_layers_equal_the_dense_reference_for_any_chunk_size():
    edge_index, x = _directed_graph()
    a = torch.zeros(50, 50).index_put_((edge_index[1], edge_index[0]), torch.ones(edge_index.size(1)),
                                       accumulate=True)  # a[v, u]: edges u -> v
    dense = a / a.sum(1, keepdim=True).clamp(min=1)

    def mean(h_source, block):
        src, dst = block.edge_index
        total = torch.zeros(block.batch_size, h_source.size(1)).index_add_(0, dst, h_source[src])
        return total / block.in_degree[: block.batch_size].clamp(min=1).unsqueeze(1)

    lin = torch.nn.Linear(6, 3)
    layers = [InferenceLayer(aggregate=mean), InferenceLayer(transform=lin, aggregate=mean)]
    with torch.no_grad():
        expected = dense @ lin(dense @ x)
    for chunk_size in (1, 7, 50):
        out = layerwise_inference(layers, x, edge_index, chunk_size=chunk_size)
        assert not out.requires_grad
        torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-6)
    adj = from_coo(edge_index[1], edge_index[0], None, 50, 50)  # the in-adjacency CSR built once
    torch.testing.assert_close(layerwise_inference(layers, x, adj, chunk_size=8), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("build", [
    lambda: GCN(6, 16, 4), lambda: GCN(6, 16, 4, num_layers=3), lambda: SAGE(6, 16, 4),
    lambda: SAGE(6, 16, 4, aggr="gcn"), lambda: GAT(6, 16, 4, heads=4), lambda: MLP(6, 16, 4),
    lambda: GCN(6, 16, 4, num_layers=1)], ids=["gcn", "gcn3", "sage", "sage-gcn", "gat", "mlp", "gcn1"])
@pytest.mark.parametrize("chunk_size", [1, 9, 1000])
def test_baseline_inference_equals_the_eval_forward(build, chunk_size):
    torch.manual_seed(0)
    model = build()
    edge_index, x = _directed_graph()
    model.train()
    out = model.inference(x, edge_index, chunk_size=chunk_size)
    assert model.training  # the mode is left as it was
    model.eval()
    torch.testing.assert_close(out, model(x, edge_index), rtol=1e-5, atol=1e-5)
    assert not out.requires_grad


def test_gcn_and_mlp_inference_take_sparse_features():
    from graphkit.ops import rows

    if not hasattr(rows, "select_rows"):
        pytest.skip("graphkit.ops.rows.select_rows (CSR rows) is not in this checkout")
    edge_index, x = _directed_graph()
    x = torch.where(x > 0.8, x, torch.zeros(()))
    for model in (GCN(6, 16, 4).eval(), MLP(6, 16, 4).eval()):
        torch.testing.assert_close(model.inference(x.to_sparse_csr(), edge_index, chunk_size=7), model(x, edge_index),
                                   rtol=1e-5, atol=1e-5)


def test_mini_batch_fit_validates_without_a_full_graph_forward():
    data = datasets.load("csbm", num_nodes=600, seed=0)
    config = GCNConfig(epochs=3, hidden_channels=16, batch_size=8, fan_out=(2, 2), patience=None)
    model = GCN.from_config(config, data)
    full_graph_calls = []
    model.net.register_forward_pre_hook(
        lambda module, args: full_graph_calls.append(1) if args[0].size(0) == data.num_nodes else None)
    result = fit_node_classifier(model, data, config, seed=0, progress=False)
    assert not full_graph_calls  # training saw sampled subgraphs (<= 56 nodes), evaluation ran layer-wise
    model.eval()
    with torch.no_grad():
        pred = model(data.x, data.edge_index).argmax(-1)
    test = data.test_mask
    assert result.metrics["test_accuracy"] == pytest.approx(float((pred[test] == data.y[test]).float().mean()))


def test_bad_arguments_are_rejected():
    edge_index, x = _directed_graph()
    layer = InferenceLayer(transform=torch.nn.Identity())
    with pytest.raises(ValueError, match="chunk_size"):
        layerwise_inference([layer], x, edge_index, chunk_size=0)
    with pytest.raises(TypeError, match="chunk_size"):
        layerwise_inference([layer], x, edge_index, chunk_size=True)
    with pytest.raises(ValueError, match="at least one layer"):
        layerwise_inference([], x, edge_index)
    with pytest.raises(ValueError, match="neither"):
        layerwise_inference([InferenceLayer()], x, edge_index)
    with pytest.raises(ValueError, match="in-adjacency CSR"):
        layerwise_inference([InferenceLayer(aggregate=lambda h, b: h[: b.batch_size])], x,
                            from_coo(edge_index[1], edge_index[0], None, 50, 51))
    with pytest.raises(ValueError):
        GCN(6, 16, 4).inference(x, torch.tensor([[0], [99]]))  # an id outside [0, N)


def test_gcn_subgraph_forward_uses_the_full_graphs_normalisation():
    """On the whole graph it is the forward; on a subgraph holding every in-edge of some nodes, their rows are."""
    torch.manual_seed(0)
    model = GCN(6, 16, 4, num_layers=2).eval()
    edge_index, x = _directed_graph()
    loops = edge_index[0] == edge_index[1]
    in_degree = torch.bincount(edge_index[1][~loops], minlength=50)
    full = model(x, edge_index)
    torch.testing.assert_close(model.subgraph_forward(x, edge_index, in_degree), full, rtol=1e-5, atol=1e-5)
    # nodes 0-4 and their 2-hop in-neighbourhood with every in-edge of the 1-hop nodes: exact rows 0-4
    seeds = torch.arange(5)
    hop1 = torch.unique(torch.cat([seeds, edge_index[0][torch.isin(edge_index[1], seeds)]]))
    keep = torch.isin(edge_index[1], hop1)
    node = torch.unique(torch.cat([hop1, edge_index[0][keep]]))
    node = torch.cat([seeds, node[~torch.isin(node, seeds)]])  # seeds first
    local = torch.full((50,), -1).index_put_((node,), torch.arange(node.numel()))
    sub = local[edge_index[:, keep]]
    out = model.subgraph_forward(x[node], sub, in_degree[node])
    torch.testing.assert_close(out[:5], full[:5], rtol=1e-5, atol=1e-5)
    # with the subgraph's own degrees (GCNConv on the subgraph) the frontier is counted as degree 1: rows differ
    assert not torch.allclose(model(x[node], sub)[:5], full[:5], atol=1e-3)
    # half of a node's in-edges sampled: the sum is scaled by d / k (unbiased); with equal neighbours it is exact
    one = GCN(6, 8, 3, num_layers=1).eval()
    star = torch.tensor([[1, 2, 3, 4], [0, 0, 0, 0]])
    xs = torch.cat([torch.randn(1, 6), torch.randn(1, 6).expand(4, 6)])
    degree = torch.tensor([4, 0, 0, 0, 0])
    torch.testing.assert_close(one.subgraph_forward(xs[:3], star[:, :2], degree[:3])[0], one(xs, star)[0],
                               rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="one entry per subgraph node"):
        model.subgraph_forward(x, edge_index, in_degree[:3])
