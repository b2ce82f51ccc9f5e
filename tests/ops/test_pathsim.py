"""PathSim top-k pruning against a dense reference."""

from __future__ import annotations

import pytest
import torch

from graphkit.ops.pathsim import pathsim_scores, pathsim_topk


def count_matrix(n: int, m: int, seed: int) -> torch.Tensor:
    """A dense meta-path count matrix M = R R^T of a random n x m incidence."""
    gen = torch.Generator().manual_seed(seed)
    r = (torch.rand(n, m, generator=gen) < 0.3).double() * torch.randint(1, 3, (n, m), generator=gen).double()
    return r @ r.t()


def dense_topk(m: torch.Tensor, k: int) -> torch.Tensor:
    """Reference: per row, the k largest 2 M_ij / (M_ii + M_jj) among M_ij > 0 (diagonal, then lower column first)."""
    n = m.size(0)
    d = m.diagonal()
    out = torch.zeros_like(m)
    for i in range(n):
        cols = [j for j in range(n) if m[i, j] > 0]
        cols.sort(key=lambda j: (-float(2 * m[i, j] / (d[i] + d[j])), j != i, j))
        for j in cols[:k]:
            out[i, j] = m[i, j]
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("k", [1, 2, 5, 100])
@pytest.mark.parametrize("chunk", [1, 7, 1 << 20])
def test_topk_matches_dense_reference(seed, k, chunk):
    m = count_matrix(12, 6, seed)
    index = m.nonzero().t()
    kept, counts = pathsim_topk(index, m[index[0], index[1]], 12, k, chunk_entries=chunk)
    dense = torch.zeros_like(m)
    dense[kept[0], kept[1]] = counts
    assert torch.equal(dense, dense_topk(m, k))
    key = kept[0] * 12 + kept[1]
    assert bool((key.diff() > 0).all())  # sorted by (row, col), no duplicates
    assert bool((m.diagonal() == 0).logical_or(dense.diagonal() > 0).all())  # every node keeps itself


def test_scores_and_duplicates_add_up():
    ei = torch.tensor([[0, 0, 0, 1, 1], [0, 1, 1, 0, 1]])
    w = torch.tensor([2.0, 0.5, 0.5, 1.0, 4.0])
    index, counts, score = pathsim_scores(ei, w, 2)
    assert index.tolist() == [[0, 0, 1, 1], [0, 1, 0, 1]] and counts.tolist() == [2.0, 1.0, 1.0, 4.0]
    assert torch.allclose(score, torch.tensor([1.0, 2 / 6, 2 / 6, 1.0], dtype=torch.float64))


def test_bad_input():
    ei = torch.tensor([[0, 1], [1, 0]])
    with pytest.raises(ValueError, match="diagonal counts"):
        pathsim_topk(ei, torch.ones(2), 2, 1)
    with pytest.raises(ValueError, match="k must be"):
        pathsim_topk(ei, torch.ones(2), 2, 0)
    with pytest.raises(ValueError, match="non-negative"):
        pathsim_topk(torch.tensor([[0], [0]]), torch.tensor([-1.0]), 1, 1)
    # k larger than the number of nodes keeps every entry
    m = count_matrix(5, 3, 0)
    index = m.nonzero().t()
    kept, _ = pathsim_topk(index, m[index[0], index[1]], 5, 50)
    assert kept.size(1) == index.size(1)
