"""Seeded structure attacks: exact budgets, the pairs each mode may flip, determinism, infeasible budgets."""

import pytest
import torch

import graphkit.ops.perturb as perturb
from graphkit.ops.perturb import (
    dice_perturbation,
    perturbation_budget,
    prbcd_perturbation,
    random_perturbation,
)


def graph(n=40, p=0.1, seed=0):
    g = torch.Generator().manual_seed(seed)
    a = torch.rand(n, n, generator=g) < p
    a = torch.triu(a, 1)
    a = a | a.T
    return a.nonzero().T.contiguous(), n


def pairs(edge_index):
    return {(min(i, j), max(i, j)) for i, j in edge_index.T.tolist()}


def check_undirected(edge_index, n):
    assert edge_index.dtype == torch.long and bool((edge_index[0] != edge_index[1]).all())
    assert bool((edge_index < n).all())
    key = edge_index[0] * n + edge_index[1]
    assert torch.equal(key, torch.unique(key))  # sorted, no duplicates
    directed = {tuple(e) for e in edge_index.T.tolist()}
    assert directed == {(j, i) for i, j in directed}
    assert edge_index.size(1) == 2 * len(pairs(edge_index))


def test_budget():
    assert perturbation_budget(5069, 0.05) == 253 and perturbation_budget(10, 0) == 0
    for rate in (-0.1, 1.5):
        with pytest.raises(ValueError, match=r"ptb_rate must be in \[0, 1\]"):
            perturbation_budget(10, rate)
    ei, n = graph()
    with pytest.raises(ValueError, match="exactly one of ptb_rate"):
        random_perturbation(ei, n)
    with pytest.raises(ValueError, match="exactly one of ptb_rate"):
        random_perturbation(ei, n, 0.1, num_perturbations=3)
    with pytest.raises(ValueError, match=r"ptb_rate must be in \[0, 1\]"):
        dice_perturbation(ei, torch.zeros(n, dtype=torch.long), 2.0)


@pytest.mark.parametrize("enumerate_all", [True, False])
@pytest.mark.parametrize("mode", ["add", "remove", "flip"])
def test_random_modes(mode, enumerate_all, monkeypatch):
    if not enumerate_all:
        monkeypatch.setattr(perturb, "_ENUMERATE_PAIRS", 0)  # the rejection sampler of large graphs
    ei, n = graph()
    before = pairs(ei)
    out = random_perturbation(ei, n, 0.3, mode=mode, seed=3)
    check_undirected(out, n)
    after = pairs(out)
    budget = int(0.3 * len(before))
    changed = before ^ after
    assert len(changed) == budget
    if mode == "add":
        assert before <= after
    if mode == "remove":
        assert after <= before
    assert torch.equal(out, random_perturbation(ei, n, 0.3, mode=mode, seed=3))
    assert not torch.equal(out, random_perturbation(ei, n, 0.3, mode=mode, seed=4))


def test_random_infeasible_budgets():
    ei, n = graph(n=6, p=0.5)
    m = len(pairs(ei))
    with pytest.raises(ValueError, match=f"exceeds the {m} edges"):
        random_perturbation(ei, n, num_perturbations=m + 1, mode="remove")
    with pytest.raises(ValueError, match=f"exceeds the {15 - m} non-edges"):
        random_perturbation(ei, n, num_perturbations=16 - m, mode="add")
    with pytest.raises(ValueError, match="exceeds the 15 node pairs"):
        random_perturbation(ei, n, num_perturbations=16, mode="flip")
    out = random_perturbation(ei, n, num_perturbations=15 - m, mode="add")  # the complete graph
    assert out.size(1) == 30
    with pytest.raises(ValueError, match="mode must be one of"):
        random_perturbation(ei, n, 0.1, mode="swap")
    with pytest.raises(ValueError, match="self-loops"):
        random_perturbation(torch.tensor([[0, 1, 1], [1, 0, 1]]), 2, 0.1)


@pytest.mark.parametrize("enumerate_all", [True, False])
def test_dice_deletes_inside_and_connects_across_classes(enumerate_all, monkeypatch):
    if not enumerate_all:
        monkeypatch.setattr(perturb, "_ENUMERATE_PAIRS", 0)
    ei, n = graph(n=60, p=0.15, seed=1)
    y = torch.arange(n) % 3
    before = pairs(ei)
    out = dice_perturbation(ei, y, 0.2, seed=5)
    check_undirected(out, n)
    after = pairs(out)
    removed, added = before - after, after - before
    assert len(removed) + len(added) == int(0.2 * len(before))
    assert removed and added
    assert all(y[i] == y[j] for i, j in removed) and all(y[i] != y[j] for i, j in added)
    assert torch.equal(out, dice_perturbation(ei, y, 0.2, seed=5))


def test_dice_infeasible_and_shifted_budgets():
    ei = torch.tensor([[0, 1, 2, 3], [1, 0, 3, 2]])  # two intra-class edges, classes {0, 1} and {2, 3}
    y = torch.tensor([0, 0, 1, 1])
    # intra edges 2 + inter non-edges 4 = 6 possible flips
    with pytest.raises(ValueError, match="exceeds the 2 intra-class edges plus 4 inter-class non-edges"):
        dice_perturbation(ei, y, num_perturbations=7)
    out = dice_perturbation(ei, y, num_perturbations=6)  # every flip, whatever the coin says
    assert pairs(out) == {(0, 2), (0, 3), (1, 2), (1, 3)}
    with pytest.raises(ValueError, match="integer labels"):
        dice_perturbation(ei, y.float(), 0.1)


def test_prbcd_adapter_flips_at_most_the_budget_and_is_seeded():
    pytest.importorskip("torch_geometric.contrib.nn")
    from graphkit import GCN, datasets, fit_node_classifier

    data = datasets.load("csbm", num_nodes=80, seed=0)
    model = GCN(data.num_features, 16, 4)
    fit_node_classifier(model, data, {"epochs": 20}, progress=False)
    kwargs = dict(num_perturbations=10, epochs=6, epochs_resampling=3, block_size=500, seed=1)
    out = prbcd_perturbation(model, data.x, data.edge_index, data.y, **kwargs)
    check_undirected(out, 80)
    assert 0 < len(pairs(out) ^ pairs(data.edge_index)) <= 10
    assert torch.equal(out, prbcd_perturbation(model, data.x, data.edge_index, data.y, **kwargs))
    assert torch.equal(prbcd_perturbation(model, data.x, data.edge_index, data.y, num_perturbations=0),
                       data.edge_index.unique(dim=1))
