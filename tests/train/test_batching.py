import pytest
import torch

from graphkit.train.batching import batched_scores, iter_batches


def test_iter_batches_covers_range():
    chunks = list(iter_batches(10, 4))
    assert [c.tolist() for c in chunks] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    shuffled = torch.cat(list(iter_batches(10, 3, shuffle=True, generator=torch.Generator().manual_seed(0))))
    assert sorted(shuffled.tolist()) == list(range(10)) and shuffled.tolist() != list(range(10))
    assert list(iter_batches(0, 3)) == []
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        list(iter_batches(5, 0))


def test_batched_scores_equals_unbatched():
    h = torch.randn(20, 4)
    pairs = torch.randint(0, 20, (2, 37))

    def score(p):
        return (h[p[0]] * h[p[1]]).sum(-1)

    assert torch.allclose(batched_scores(score, pairs, 8), score(pairs))
    assert batched_scores(score, pairs[:, :0], 8).numel() == 0
    with pytest.raises(ValueError, match=r"shape \[2, B\]"):
        batched_scores(score, pairs.t(), 8)


def test_iter_batches_drop_last_keeps_a_lone_short_batch():
    assert [c.numel() for c in iter_batches(10, 4, drop_last=True)] == [4, 4]
    assert [c.numel() for c in iter_batches(8, 4, drop_last=True)] == [4, 4]
    assert [c.numel() for c in iter_batches(3, 4, drop_last=True)] == [3]  # the only batch stays
    gen_a, gen_b = torch.Generator().manual_seed(1), torch.Generator().manual_seed(1)
    a = torch.cat(list(iter_batches(10, 4, shuffle=True, drop_last=True, generator=gen_a)))
    assert torch.equal(a, torch.randperm(10, generator=gen_b)[:8])


def test_batched_scores_in_one_call():
    calls = []

    def score(p):
        calls.append(p.size(1))
        return p[0].float()

    pairs = torch.randint(0, 5, (2, 9))
    assert torch.equal(batched_scores(score, pairs, None), pairs[0].float()) and calls == [9]
