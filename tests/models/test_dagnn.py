"""DAGNN against a dense reference; the official protocol's pieces; bad input."""

from __future__ import annotations

import pytest
import torch

import graphkit
from graphkit.datasets import contextual_sbm
from graphkit.models.dagnn import DAGNN, fit_dagnn, official_early_stop, random_split_for_seed, row_normalize
from graphkit.models.registry import get_model
from tests.conftest import random_graph


def dense_sym_norm(edge_index, n):
    a = torch.zeros(n, n).index_put_((edge_index[0], edge_index[1]), torch.ones(edge_index.size(1)),
                                     accumulate=True)
    a = a + torch.diag((a.diagonal() == 0).float())
    d = a.sum(1).rsqrt()
    return d[:, None] * a * d[None, :]


def test_forward_matches_dense_reference(extensions):
    torch.manual_seed(0)
    n, k = 12, 4
    edge_index = random_graph(9, 10, 0)  # nodes 9..11 isolated
    x = torch.randn(n, 6)
    model = DAGNN(6, 8, 3, k, dropout=0.5).eval()
    z = model.lin2(torch.relu(model.lin1(x)))
    a = dense_sym_norm(edge_index, n)
    hops = [z]
    for _ in range(k):
        hops.append(a @ hops[-1])
    h = torch.stack(hops, 1)
    s = torch.sigmoid(h @ model.adjust.proj.weight.view(-1) + model.adjust.proj.bias)
    expected = (s.unsqueeze(-1) * h).sum(1)
    out, scores = model(x, edge_index, return_scores=True)
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(scores, s, atol=1e-5, rtol=1e-5)
    assert torch.isfinite(out).all()


def test_num_hops_zero_is_the_mlp_times_its_score():
    torch.manual_seed(1)
    model = DAGNN(4, 5, 2, 0).eval()
    x = torch.randn(6, 4)
    z = model.transform(x)
    s = torch.sigmoid(model.adjust.proj(z))
    torch.testing.assert_close(model(x, torch.empty(2, 0, dtype=torch.long)), s * z)


def test_gradients_reach_every_parameter_and_cache():
    torch.manual_seed(0)
    model = DAGNN(5, 8, 3, 3, cached=True)
    edge_index = random_graph(10, 20, 1)
    x = torch.randn(10, 5)
    model(x, edge_index).sum().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())
    assert model._cached_adj is not None
    with pytest.raises(ValueError, match="cached adjacency has 10 nodes"):
        model(torch.randn(11, 5), random_graph(11, 5, 0))


def test_ogbn_arxiv_variant_matches_official_parameter_count():
    model = DAGNN.ogbn_arxiv()
    assert sum(p.numel() for p in model.parameters()) == 43_857
    assert model.bn is not None and not model.input_dropout and model.num_hops == 16
    assert "batch_norm=True" in repr(model)


def test_repr_and_bad_input():
    model = DAGNN(7, 16, 3, 10, dropout=0.8)
    assert repr(model).startswith(
        "DAGNN(\n  7, 16, 3, num_hops=10, dropout=0.8, input_dropout=True, batch_norm=False")
    with pytest.raises(ValueError, match="non-negative"):
        DAGNN(7, 16, 3, -1)
    with pytest.raises(ValueError, match="in_channels must be a positive int"):
        DAGNN(0, 16, 3)
    with pytest.raises(ValueError, match="dropout"):
        DAGNN(7, 16, 3, dropout=1.0)
    edge_index = random_graph(5, 4, 0)
    with pytest.raises(ValueError, match="built for 7 input features but x has 6"):
        model(torch.randn(5, 6), edge_index)
    with pytest.raises(ValueError, match="contains node id"):
        model(torch.randn(3, 7), torch.tensor([[0, 4], [4, 0]]))


def test_official_early_stopping_rule():
    losses = [1.0] * 10
    assert not official_early_stop(losses + [2.0], epoch=5, epochs=20, window=3)  # before epochs // 2
    assert official_early_stop(losses + [2.0], epoch=11, epochs=20, window=3)
    assert not official_early_stop(losses + [0.5], epoch=11, epochs=20, window=3)
    assert not official_early_stop(losses + [2.0], epoch=11, epochs=20, window=0)


def test_random_split_inside_largest_component_maps_positions_to_node_ids():
    data = contextual_sbm(num_nodes=300, num_classes=3, seed=0)
    # cut nodes 0..19 off into their own component
    keep = (data.edge_index >= 20).all(0) | (data.edge_index < 20).all(0)
    data.edge_index = data.edge_index[:, keep]
    small = (data.edge_index < 20).all(0)
    data.edge_index = data.edge_index[:, ~small]  # nodes 0..19 isolated
    out = random_split_for_seed(data, 3, train_per_class=5, val_per_class=5, largest_component=True)
    for mask in (out.train_mask, out.val_mask, out.test_mask):
        assert not mask[:20].any()
    assert torch.bincount(out.y[out.train_mask], minlength=3).tolist() == [5, 5, 5]
    assert int((out.train_mask & out.val_mask).sum()) == 0
    assert int((out.train_mask | out.val_mask | out.test_mask).sum()) == 280
    again = random_split_for_seed(data, 3, train_per_class=5, val_per_class=5, largest_component=True)
    assert torch.equal(again.train_mask, out.train_mask)


def test_row_normalize_keeps_zero_rows():
    x = torch.tensor([[1.0, 3.0], [0.0, 0.0]])
    torch.testing.assert_close(row_normalize(x), torch.tensor([[0.25, 0.75], [0.0, 0.0]]))


def test_fit_runs_the_official_procedure():
    data = contextual_sbm(num_nodes=200, num_classes=3, seed=0)
    cfg = {"hidden_channels": 16, "num_hops": 3, "dropout": 0.5, "lr": 0.01, "weight_decay": 5e-4,
           "epochs": 30, "early_stopping": 5, "normalize_features": False}
    result = fit_dagnn(data, cfg, seed=0, device="cpu")
    assert set(result.metrics) == {"valid_accuracy", "test_accuracy"}
    assert 0 <= result.metrics["test_accuracy"] <= 1
    losses = [h["valid_loss"] for h in result.history]
    assert result.best_epoch == 1 + losses.index(min(losses))
    assert get_model("dagnn").fit is fit_dagnn
    assert graphkit.DAGNN is DAGNN


def test_hop_propagator_matches_iter_hops_values_and_gradients():
    from graphkit.models.dagnn import HopPropagator
    from graphkit.ops import iter_hops, sym_norm

    edge_index = random_graph(15, 30, 2, undirected=False)  # directed: the transpose matters
    adj = sym_norm(edge_index, 17)
    z1 = torch.randn(17, 3, requires_grad=True)
    z2 = z1.detach().clone().requires_grad_()
    weights = torch.randn(5, 17, 3)
    a = sum((w * h).sum() for w, h in zip(weights, HopPropagator(adj).hops(z1, 4), strict=False))
    b = sum((w * h).sum() for w, h in zip(weights, iter_hops(adj, z2, 4), strict=False))
    torch.testing.assert_close(a, b)
    a.backward()
    b.backward()
    torch.testing.assert_close(z1.grad, z2.grad)


def test_sparse_input_equals_dense_input():
    torch.manual_seed(0)
    x = (torch.rand(20, 30) < 0.1).float()
    edge_index = random_graph(20, 40, 0)
    model = DAGNN(30, 8, 3, 3).eval()
    torch.testing.assert_close(model(x.to_sparse_csr(), edge_index), model(x, edge_index))
    model.train()
    torch.manual_seed(1)
    out = model(x.to_sparse_csr(), edge_index)
    out.sum().backward()
    assert model.lin1.weight.grad is not None and torch.isfinite(out).all()
