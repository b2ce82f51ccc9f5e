"""Target-link removal against the official brute-force rebuild (a dense 0/1 matrix)."""

from __future__ import annotations

import pytest
import torch

from graphkit.ops.target_link_removal import TargetLinkRemoval


def _brute_force(train_pos, batch, n):
    """The official rebuild: from_edge_index(train_pos[:, ~batch]).to_symmetric(), as a dense 0/1 matrix."""
    keep = torch.ones(train_pos.size(1), dtype=torch.bool)
    keep[batch] = False
    a = torch.zeros(n, n)
    kept = train_pos[:, keep]
    a[kept[0], kept[1]] = 1
    a[kept[1], kept[0]] = 1
    return a


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_removes_exactly_the_batch(seed):
    gen = torch.Generator().manual_seed(seed)
    n = 15
    pos = torch.randint(0, n, (2, 60), generator=gen)  # duplicates, both orientations, self-loops possible
    pos = torch.cat([pos, pos[:, :5], torch.tensor([[3], [3]])], 1)
    tlr = TargetLinkRemoval(pos, n)
    assert torch.equal(tlr.full.to_dense(), _brute_force(pos, torch.zeros(0, dtype=torch.long), n))
    for _ in range(4):
        batch = torch.randperm(pos.size(1), generator=gen)[:17]
        got = tlr.without(batch)
        assert got.value is None
        assert torch.equal(got.to_dense(), _brute_force(pos, batch, n))
        assert bool((got.col[1:] > got.col[:-1])[(got.row()[1:] == got.row()[:-1])].all())  # sorted, no dups
        mask = torch.zeros(pos.size(1), dtype=torch.bool)
        mask[batch] = True
        assert torch.equal(tlr.without(mask).to_dense(), got.to_dense())  # a bool mask works too


def test_duplicates_need_every_copy_removed():
    dup = TargetLinkRemoval(torch.tensor([[0, 1, 0], [1, 0, 2]]), 3)
    assert dup.without(torch.tensor([0])).to_dense()[0, 1] == 1
    assert dup.without(torch.tensor([0, 1])).to_dense()[0, 1] == 0
    assert dup.without(torch.tensor([2])).to_dense()[2, 0] == 0
    assert repr(dup) == "TargetLinkRemoval(num_nodes=3, edges=2)"


def test_bad_input():
    with pytest.raises(ValueError, match="train_pos contains node id 5"):
        TargetLinkRemoval(torch.tensor([[0], [5]]), 5)
