"""Weighted InfoNCE (chunked = dense), co-cluster weights, ProtoNCE and PCL's concentration."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from graphkit.ops.contrastive import cluster_concentration, co_cluster_weights, proto_nce, weighted_info_nce


def dense_loss(a, b, tau, w):
    dots = torch.exp(a @ b.t() / tau)
    return (-torch.log(dots.diagonal() / (dots * w).sum(1))).mean()


def embeddings(n=9, d=5, seed=0):
    gen = torch.Generator().manual_seed(seed)
    a = F.normalize(torch.randn(n, d, generator=gen, dtype=torch.float64), dim=1)
    b = F.normalize(torch.randn(n, d, generator=gen, dtype=torch.float64), dim=1)
    return a.requires_grad_(), b.requires_grad_()


@pytest.mark.parametrize("chunk", [None, 1, 4, 100])
def test_weighted_info_nce_matches_dense_with_gradients(chunk):
    a, b = embeddings()
    labels = torch.tensor([[0, 0, 1, 1, 2, 2, 0, 1, 2], [0, 1, 1, 0, 0, 1, 1, 0, 0]])
    w_fn = co_cluster_weights(labels)
    w = w_fn(torch.arange(9)).double()
    got = weighted_info_nce(a, b, 0.4, lambda rows: w_fn(rows).double(), chunk_size=chunk)
    ga = torch.autograd.grad(got, (a, b))
    ref = dense_loss(a, b, 0.4, w)
    ra = torch.autograd.grad(ref, (a, b))
    assert torch.allclose(got, ref) and all(torch.allclose(x, y) for x, y in zip(ga, ra, strict=True))
    assert torch.allclose(weighted_info_nce(a, b, 0.4, w, chunk_size=chunk), ref)


def test_learned_weights_get_gradients_through_chunks():
    a, b = embeddings(7, 4, 1)
    lin = torch.nn.Linear(4, 1).double()

    def weight(rows):
        return torch.sigmoid(lin(a[rows].unsqueeze(1) + b.unsqueeze(0)).squeeze(-1))

    full = weighted_info_nce(a, b, 1.0, weight)
    g_full = torch.autograd.grad(full, lin.weight)[0]
    chunked = weighted_info_nce(a, b, 1.0, weight, chunk_size=2)
    g_chunk = torch.autograd.grad(chunked, lin.weight)[0]
    assert torch.allclose(full, chunked) and torch.allclose(g_full, g_chunk)
    ref = dense_loss(a, b, 1.0, weight(torch.arange(7)))
    assert torch.allclose(full, ref)


def test_unweighted_is_standard_info_nce():
    a, b = embeddings()
    ref = F.cross_entropy(a @ b.t() / 0.5, torch.arange(9))
    assert torch.allclose(weighted_info_nce(a, b, 0.5), ref)


def test_co_cluster_weights():
    w = co_cluster_weights(torch.tensor([[0, 0, 1], [1, 0, 0]]))(torch.tensor([2, 0]))
    assert w.tolist() == [[2.0, 1.0, 0.0], [0.0, 1.0, 2.0]]


def test_bad_tau_and_shapes():
    a, b = embeddings()
    for tau in (0.0, -1.0):
        with pytest.raises(ValueError, match="tau"):
            weighted_info_nce(a, b, tau)
    with pytest.raises(ValueError, match="same shape"):
        weighted_info_nce(a, b[:3], 0.5)
    with pytest.raises(ValueError, match=r"\[N, N\]"):
        weighted_info_nce(a, b, 0.5, torch.ones(3, 3))
    with pytest.raises(ValueError, match="tau"):
        cluster_concentration(torch.ones(3), torch.zeros(3, dtype=torch.long), 1, 0.0)


def test_proto_nce_matches_reference():
    gen = torch.Generator().manual_seed(0)
    z = F.normalize(torch.randn(10, 3, generator=gen), dim=1)
    protos = [F.normalize(torch.randn(4, 3, generator=gen), dim=1), F.normalize(torch.randn(2, 3, generator=gen), dim=1)]
    labels = [torch.randint(0, 4, (10,), generator=gen), torch.randint(0, 2, (10,), generator=gen)]
    phis = [torch.rand(4, generator=gen) + 0.2, torch.rand(2, generator=gen) + 0.2]
    ref = 0.0
    for p, lab, phi in zip(protos, labels, phis, strict=True):
        logits = torch.exp((z @ p.t()) / phi)
        ref += (-torch.log(logits[torch.arange(10), lab] / logits.sum(1))).mean()
    assert torch.allclose(proto_nce(z, protos, labels, phis), ref / 2)


def test_concentration_matches_pcl_formula():
    gen = torch.Generator().manual_seed(3)
    dist = torch.rand(30, generator=gen, dtype=torch.float64)
    labels = torch.randint(0, 6, (30,), generator=gen)
    labels[0] = 6  # a singleton cluster
    labels[labels == 5] = 4  # cluster 5 empty
    got = cluster_concentration(dist, labels, 7, 0.4, alpha=5.0)
    ref = np.zeros(7)
    for c in range(7):
        members = dist[labels == c].numpy()
        if members.size > 1:
            ref[c] = members.mean() / np.log(members.size + 5)
    ref[[5, 6]] = ref.max()
    ref = ref.clip(np.percentile(ref, 10), np.percentile(ref, 90))
    ref = 0.4 * ref / ref.mean()
    assert np.allclose(got.numpy(), ref) and abs(float(got.mean()) - 0.4) < 1e-12


def test_pair_mlp_weights_match_autograd_reference():
    from graphkit.ops.contrastive import pair_mlp_weights

    gen = torch.Generator().manual_seed(4)
    a = torch.randn(5, 3, generator=gen, dtype=torch.float64, requires_grad=True)
    b = torch.randn(7, 3, generator=gen, dtype=torch.float64, requires_grad=True)
    v = torch.randn(3, generator=gen, dtype=torch.float64, requires_grad=True)
    c = torch.randn(1, generator=gen, dtype=torch.float64, requires_grad=True)
    g = torch.randn(5, 7, generator=gen, dtype=torch.float64)
    got = pair_mlp_weights(a, b, v, c)
    grads = torch.autograd.grad((got * g).sum(), (a, b, v, c))
    ref = torch.sigmoid(torch.tanh(a.unsqueeze(1) + b.unsqueeze(0)) @ v + c)
    ref_grads = torch.autograd.grad((ref * g).sum(), (a, b, v, c))
    assert torch.allclose(got, ref) and all(torch.allclose(x, y) for x, y in zip(grads, ref_grads, strict=True))
    assert torch.autograd.gradcheck(pair_mlp_weights, (a, b, v, c))
    with pytest.raises(ValueError, match="pair_mlp_weights needs"):
        pair_mlp_weights(a, b[:, :2], v, c)
