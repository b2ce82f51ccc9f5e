"""Reachability chains, mean contexts and the fixed operator against dense references."""

from __future__ import annotations

import pytest
import torch

from graphkit.ops.metapath import FixedOperator, incidence, mean_context, reachability_chain


def random_incidence(n: int, m: int, seed: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return (torch.rand(n, m, generator=gen) < 0.3).double()


@pytest.mark.parametrize("seed", [0, 1])
def test_chain_matches_dense_products(seed):
    ap, pc = random_incidence(7, 9, seed), random_incidence(9, 3, seed + 10)
    mats = [ap, pc, pc.t(), ap.t()]  # APCPA
    csrs = [incidence(m.nonzero().t(), *m.shape) for m in mats]
    chain = reachability_chain(csrs)
    ref = mats[0]
    assert torch.equal(chain[0].to_dense(torch.float64), ref)
    for step, mat in enumerate(mats[1:], start=1):
        ref = ref @ mat
        assert torch.equal(chain[step].to_dense(torch.float64), ref)
    assert chain[-1].num_rows == chain[-1].num_cols == 7


def test_incidence_counts_duplicates_and_checks_ids():
    assert incidence(torch.tensor([[0, 0], [1, 1]]), 1, 2).to_dense().tolist() == [[0.0, 2.0]]
    with pytest.raises(ValueError, match="outside"):
        incidence(torch.tensor([[0], [5]]), 1, 2)
    with pytest.raises(ValueError, match="share their node type"):
        reachability_chain([incidence(torch.tensor([[0], [0]]), 1, 2), incidence(torch.tensor([[0], [0]]), 3, 1)])
    with pytest.raises(ValueError, match="at least one"):
        reachability_chain([])


def test_mean_context_and_operator_gradients():
    r = random_incidence(6, 5, 3) * 2
    r[2] = 0  # a row without paths
    ctx = mean_context(incidence(r.nonzero().t(), 6, 5, r[r > 0]))
    dense = r / r.sum(1, keepdim=True).clamp_min(1)
    assert torch.allclose(ctx.to_dense(torch.float64), dense)
    h = torch.randn(5, 4, dtype=torch.float, requires_grad=True)
    op = FixedOperator(ctx)
    out = op(h)
    out.pow(2).sum().backward()
    h_ref = h.detach().clone().requires_grad_(True)
    ref = dense.float() @ h_ref
    ref.pow(2).sum().backward()
    assert torch.allclose(out, ref, atol=1e-6) and torch.allclose(h.grad, h_ref.grad, atol=1e-5)
    assert out[2].abs().sum() == 0
    with pytest.raises(ValueError, match="must be"):
        op(torch.randn(3, 4))
