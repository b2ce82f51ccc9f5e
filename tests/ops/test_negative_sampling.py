import pytest
import torch

from graphkit.ops.negative_sampling import contains, edge_keys, sample_negatives
from tests.conftest import random_graph


def test_contains_matches_python_sets():
    ei = random_graph(50, 200, seed=0)
    keys = edge_keys(ei, 50)
    assert torch.equal(keys, torch.unique(keys))  # sorted and unique
    query = torch.randint(0, 2500, (500,), generator=torch.Generator().manual_seed(1))
    expected = torch.tensor([int(q) in set(keys.tolist()) for q in query])
    assert torch.equal(contains(keys, query), expected)
    assert not contains(torch.empty(0, dtype=torch.long), query).any()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_negatives_avoid_edges_and_self_loops(seed):
    ei = random_graph(40, 300, seed=seed)
    neg = sample_negatives(40, 500, exclude=ei, generator=torch.Generator().manual_seed(seed))
    assert neg.shape == (2, 500) and neg.dtype == torch.long
    edges = set(map(tuple, ei.t().tolist()))
    assert not any((u, v) in edges or (v, u) in edges for u, v in neg.t().tolist())
    assert bool((neg[0] != neg[1]).all())
    assert int(neg.min()) >= 0 and int(neg.max()) < 40


def test_negatives_are_seeded():
    ei = random_graph(100, 300, seed=0)
    a = sample_negatives(100, 64, exclude=ei, generator=torch.Generator().manual_seed(5))
    b = sample_negatives(100, 64, exclude=ei, generator=torch.Generator().manual_seed(5))
    c = sample_negatives(100, 64, exclude=ei, generator=torch.Generator().manual_seed(6))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_complete_graph_returns_fewer_and_empty_inputs():
    full = torch.cartesian_prod(torch.arange(5), torch.arange(5)).t()
    assert sample_negatives(5, 10, exclude=full, max_rounds=3).size(1) == 0
    assert sample_negatives(0, 10).shape == (2, 0)
    assert sample_negatives(5, 0).shape == (2, 0)
    with pytest.raises(ValueError, match="num_samples must be non-negative"):
        sample_negatives(5, -1)
