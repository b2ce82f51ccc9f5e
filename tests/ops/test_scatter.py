"""scatter / scatter_softmax / segment against dense references, with and without torch-scatter."""

from __future__ import annotations

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphkit.ops import REDUCTIONS, scatter, scatter_softmax, segment

NEG_INF = float("-inf")


def dense_scatter(src: torch.Tensor, index: torch.Tensor, dim_size: int, reduce: str) -> torch.Tensor:
    """Reference along dim 0 through a dense [G, E] membership mask."""
    member = torch.arange(dim_size).view(-1, 1) == index.view(1, -1)  # [G, E]
    mask = member.view(*member.shape, *([1] * (src.dim() - 1)))
    count = member.sum(1).view(-1, *([1] * (src.dim() - 1)))
    if reduce in ("sum", "mean"):
        out = torch.where(mask, src.unsqueeze(0), torch.zeros(())).sum(1)
        return out / count.clamp(min=1) if reduce == "mean" else out
    if src.size(0) == 0:
        return src.new_zeros(dim_size, *src.shape[1:])
    fill = NEG_INF if reduce == "max" else float("inf")
    picked = torch.where(mask, src.unsqueeze(0), torch.full((), fill, dtype=src.dtype))
    out = picked.amax(1) if reduce == "max" else picked.amin(1)
    return torch.where(count > 0, out, torch.zeros((), dtype=src.dtype))


def random_index(num_items: int, num_groups: int, seed: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return torch.randint(0, max(num_groups, 1), (num_items,), generator=gen)


@pytest.mark.parametrize("reduce", REDUCTIONS)
@pytest.mark.parametrize("num_items,num_groups", [(1, 1), (7, 3), (40, 12), (60, 80)])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_scatter_matches_dense(extensions, reduce, num_items, num_groups, seed):
    gen = torch.Generator().manual_seed(100 + seed)
    src = torch.randn(num_items, 5, generator=gen, dtype=torch.double)
    index = random_index(num_items, num_groups, seed)
    # dim_size beyond the largest id leaves trailing groups empty (and 60 items in 80 groups
    # leave interior groups empty too)
    dim_size = num_groups + 2
    out = scatter(src, index, 0, dim_size, reduce)
    expected = dense_scatter(src, index, dim_size, reduce)
    assert out.shape == (dim_size, 5)
    torch.testing.assert_close(out, expected)
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("reduce", REDUCTIONS)
def test_scatter_default_dim_size_is_max_id_plus_one(extensions, reduce):
    src = torch.tensor([[1.0], [2.0], [4.0]])
    index = torch.tensor([0, 3, 3])
    out = scatter(src, index, reduce=reduce)
    expected = {"sum": 6.0, "mean": 3.0, "max": 4.0, "min": 2.0}[reduce]
    torch.testing.assert_close(out, torch.tensor([[1.0], [0.0], [0.0], [expected]]))


@pytest.mark.parametrize("reduce", ["max", "min"])
def test_empty_groups_are_zero_not_inf_and_do_not_leak_into_full_groups(extensions, reduce):
    # all values negative (for max) / positive (for min): a zero initial value must not win
    sign = -1.0 if reduce == "max" else 1.0
    src = sign * torch.tensor([3.0, 5.0, 2.0])
    index = torch.tensor([0, 0, 2])
    out = scatter(src, index, 0, 4, reduce)
    expected = sign * torch.tensor([3.0, 0.0, 2.0, 0.0])
    torch.testing.assert_close(out, expected)


@pytest.mark.parametrize("reduce", REDUCTIONS)
@pytest.mark.parametrize("dim", [1, -1])
def test_scatter_along_inner_dim(extensions, reduce, dim):
    gen = torch.Generator().manual_seed(3)
    src = torch.randn(2, 30, 3, generator=gen, dtype=torch.double)
    src = src if dim == 1 else src.transpose(1, 2).contiguous()  # [2, 3, 30] for dim=-1
    index = random_index(30, 9, 4)
    out = scatter(src, index, dim, 11, reduce)
    moved = src.movedim(dim, 0)
    expected = dense_scatter(moved, index, 11, reduce).movedim(0, dim)
    torch.testing.assert_close(out, expected)


@pytest.mark.parametrize("reduce", REDUCTIONS)
def test_scatter_one_dimensional(extensions, reduce):
    src = torch.tensor([1.0, -2.0, 5.0, 0.5])
    index = torch.tensor([1, 1, 0, 1])
    out = scatter(src, index, 0, 3, reduce)
    torch.testing.assert_close(out, dense_scatter(src, index, 3, reduce))


@pytest.mark.parametrize("reduce", REDUCTIONS)
@pytest.mark.parametrize("dim_size", [None, 4])
def test_scatter_empty_input(extensions, reduce, dim_size):
    src = torch.zeros(0, 3)
    index = torch.zeros(0, dtype=torch.long)
    out = scatter(src, index, 0, dim_size, reduce)
    assert out.shape == (0 if dim_size is None else dim_size, 3)
    assert (out == 0).all()


@pytest.mark.parametrize("reduce", REDUCTIONS)
@pytest.mark.parametrize("seed", [0, 1])
def test_scatter_gradient_matches_dense(extensions, reduce, seed):
    gen = torch.Generator().manual_seed(seed)
    src = torch.randn(25, 4, generator=gen, dtype=torch.double, requires_grad=True)  # no ties
    index = random_index(25, 6, seed)
    weight = torch.randn(8, 4, generator=gen, dtype=torch.double)
    (grad,) = torch.autograd.grad((scatter(src, index, 0, 8, reduce) * weight).sum(), src)
    (expected,) = torch.autograd.grad((dense_scatter(src, index, 8, reduce) * weight).sum(), src)
    torch.testing.assert_close(grad, expected)
    assert grad.abs().sum() > 0


@pytest.mark.parametrize("reduce,expected", [("sum", [7, 0, 3]), ("mean", [3, 0, 3]), ("max", [5, 0, 3])])
def test_scatter_integer_values(extensions, reduce, expected):
    src = torch.tensor([2, 5, 3])
    out = scatter(src, torch.tensor([0, 0, 2]), 0, 3, reduce)
    assert out.dtype == torch.long
    assert out.tolist() == expected  # integer mean rounds down: 7 // 2 = 3


@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.lists(st.tuples(st.integers(0, 9), st.floats(-100, 100, allow_nan=False)), max_size=40),
    extra_groups=st.integers(0, 3),
    reduce=st.sampled_from(REDUCTIONS),
)
def test_scatter_property_matches_dense(extensions, data, extra_groups, reduce):
    index = torch.tensor([g for g, _ in data], dtype=torch.long)
    src = torch.tensor([v for _, v in data], dtype=torch.double)
    dim_size = (int(index.max()) + 1 if data else 0) + extra_groups
    torch.testing.assert_close(scatter(src, index, 0, dim_size, reduce), dense_scatter(src, index, dim_size, reduce))


def test_scatter_unknown_reduce_lists_valid_ones():
    with pytest.raises(ValueError, match=r"reduce must be one of 'sum', 'mean', 'max', 'min'; got 'prod'"):
        scatter(torch.ones(3), torch.zeros(3, dtype=torch.long), reduce="prod")


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        ({"index": torch.zeros(3)}, TypeError, r"index must have dtype torch.int64 .* index.long\(\)"),
        ({"index": torch.zeros(2, dtype=torch.long)}, ValueError, r"index must be 1-D with one entry per slice .*\(3\)"),
        ({"index": torch.zeros(3, 1, dtype=torch.long)}, ValueError, r"index must be 1-D"),
        ({"index": torch.tensor([0, -1, 0])}, ValueError, r"negative group ids \(min -1\)"),
        ({"index": torch.tensor([0, 5, 0]), "dim_size": 5}, ValueError, r"group id 5 but dim_size is 5"),
        ({"dim": 2}, ValueError, r"dim must be an int in \[-2, 2\)"),
        ({"dim_size": -1}, ValueError, r"dim_size must be a non-negative int or None, got -1"),
        ({"index": torch.zeros(3, dtype=torch.long, device="meta")}, ValueError, r"index is on meta but src is on cpu"),
        ({"src": [1.0, 2.0, 3.0]}, TypeError, r"src must be a torch.Tensor, got list"),
    ],
)
def test_scatter_bad_input(kwargs, error, match):
    args = {"src": torch.ones(3, 2), "index": torch.zeros(3, dtype=torch.long), "dim": 0, "dim_size": None}
    args.update(kwargs)
    with pytest.raises(error, match=match):
        scatter(**args)


# ---------------------------------------------------------------- scatter_softmax


def dense_softmax(src: torch.Tensor, index: torch.Tensor, dim_size: int) -> torch.Tensor:
    member = torch.arange(dim_size).view(-1, 1) == index.view(1, -1)  # [G, E]
    mask = member.view(*member.shape, *([1] * (src.dim() - 1)))
    logits = torch.where(mask, src.unsqueeze(0), torch.full((), NEG_INF, dtype=src.dtype))
    probs = torch.softmax(logits, dim=1)  # [G, E, ...]; rows of empty groups are NaN but never picked
    return probs[index, torch.arange(index.numel())]


@pytest.mark.parametrize("num_items,num_groups", [(1, 1), (10, 3), (50, 20)])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_scatter_softmax_matches_dense(extensions, num_items, num_groups, seed):
    gen = torch.Generator().manual_seed(seed)
    src = 3 * torch.randn(num_items, 4, generator=gen, dtype=torch.double)
    index = random_index(num_items, num_groups, seed)
    out = scatter_softmax(src, index, 0, num_groups + 1)
    torch.testing.assert_close(out, dense_softmax(src, index, num_groups + 1))
    group_sums = scatter(out, index, 0, num_groups + 1)
    present = torch.bincount(index, minlength=num_groups + 1) > 0
    torch.testing.assert_close(group_sums[present], torch.ones_like(group_sums[present]))


def test_scatter_softmax_inner_dim(extensions):
    gen = torch.Generator().manual_seed(0)
    src = torch.randn(3, 12, generator=gen, dtype=torch.double)
    index = random_index(12, 4, 1)
    out = scatter_softmax(src, index, dim=1)
    expected = dense_softmax(src.t(), index, int(index.max()) + 1).t()
    torch.testing.assert_close(out, expected)


def test_scatter_softmax_is_stable_for_huge_logits(extensions):
    src = torch.tensor([1000.0, 1001.0, -1000.0, 5000.0])
    index = torch.tensor([0, 0, 1, 1])
    out = scatter_softmax(src, index)
    e = torch.tensor(-1.0).exp()
    torch.testing.assert_close(out, torch.tensor([e / (1 + e), 1 / (1 + e), 0.0, 1.0]))


def test_scatter_softmax_minus_inf_entries(extensions):
    src = torch.tensor([0.0, NEG_INF, NEG_INF, NEG_INF, 2.0])
    index = torch.tensor([0, 0, 1, 1, 2])
    out = scatter_softmax(src, index)
    # -inf gets weight 0; a group of only -inf gives 0, not NaN
    torch.testing.assert_close(out, torch.tensor([1.0, 0.0, 0.0, 0.0, 1.0]))


def test_scatter_softmax_gradient(extensions):
    gen = torch.Generator().manual_seed(0)
    src = torch.randn(15, 2, generator=gen, dtype=torch.double, requires_grad=True)
    index = random_index(15, 4, 0)
    weight = torch.randn(15, 2, generator=gen, dtype=torch.double)
    (grad,) = torch.autograd.grad((scatter_softmax(src, index, 0, 5) * weight).sum(), src)
    (expected,) = torch.autograd.grad((dense_softmax(src, index, 5) * weight).sum(), src)
    torch.testing.assert_close(grad, expected)
    assert grad.abs().sum() > 0


def test_scatter_softmax_rejects_integer_src():
    with pytest.raises(TypeError, match=r"scatter_softmax needs floating-point src, got torch.int64"):
        scatter_softmax(torch.tensor([1, 2]), torch.tensor([0, 0]))


# ---------------------------------------------------------------- segment


def random_ptr(num_segments: int, max_len: int, seed: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    counts = torch.randint(0, max_len + 1, (num_segments,), generator=gen)
    if num_segments > 2:
        counts[1] = 0  # always an empty segment in the middle
    return torch.cat([torch.zeros(1, dtype=torch.long), counts.cumsum(0)])


@pytest.mark.parametrize("reduce", REDUCTIONS)
@pytest.mark.parametrize("num_segments,max_len", [(1, 3), (6, 4), (30, 5)])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_segment_matches_dense(extensions, reduce, num_segments, max_len, seed):
    ptr = random_ptr(num_segments, max_len, seed)
    gen = torch.Generator().manual_seed(seed)
    src = torch.randn(int(ptr[-1]), 3, generator=gen, dtype=torch.double)
    index = torch.repeat_interleave(torch.arange(num_segments), ptr.diff())
    out = segment(src, ptr, reduce)
    assert out.shape == (num_segments, 3)
    torch.testing.assert_close(out, dense_scatter(src, index, num_segments, reduce))
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("reduce", REDUCTIONS)
def test_segment_all_empty_and_no_segments(extensions, reduce):
    out = segment(torch.zeros(0, 2), torch.zeros(4, dtype=torch.long), reduce)
    assert out.shape == (3, 2) and (out == 0).all()
    out = segment(torch.zeros(0, 2), torch.zeros(1, dtype=torch.long), reduce)
    assert out.shape == (0, 2)


@pytest.mark.parametrize("reduce", REDUCTIONS)
def test_segment_trailing_dims_and_one_dimensional(extensions, reduce):
    ptr = torch.tensor([0, 2, 2, 5])
    index = torch.tensor([0, 0, 2, 2, 2])
    gen = torch.Generator().manual_seed(0)
    src3 = torch.randn(5, 2, 3, generator=gen, dtype=torch.double)
    torch.testing.assert_close(segment(src3, ptr, reduce), dense_scatter(src3, index, 3, reduce))
    src1 = torch.randn(5, generator=gen, dtype=torch.double)
    torch.testing.assert_close(segment(src1, ptr, reduce), dense_scatter(src1, index, 3, reduce))


@pytest.mark.parametrize("reduce", REDUCTIONS)
def test_segment_gradient(extensions, reduce):
    ptr = random_ptr(8, 4, 5)
    gen = torch.Generator().manual_seed(1)
    src = torch.randn(int(ptr[-1]), 3, generator=gen, dtype=torch.double, requires_grad=True)
    index = torch.repeat_interleave(torch.arange(8), ptr.diff())
    weight = torch.randn(8, 3, generator=gen, dtype=torch.double)
    (grad,) = torch.autograd.grad((segment(src, ptr, reduce) * weight).sum(), src)
    (expected,) = torch.autograd.grad((dense_scatter(src, index, 8, reduce) * weight).sum(), src)
    torch.testing.assert_close(grad, expected)


def test_segment_integer_values(extensions):
    out = segment(torch.tensor([1, 2, 3, 4]), torch.tensor([0, 3, 3, 4]), "sum")
    assert out.tolist() == [6, 0, 4]


@pytest.mark.parametrize(
    "ptr,match",
    [
        (torch.tensor([1, 2, 4]), r"ptr must start at 0 and end at src.size\(0\)=4 .* ptr\[0\]=1, ptr\[-1\]=4"),
        (torch.tensor([0, 2, 3]), r"ptr\[-1\]=3"),
        (torch.tensor([0, 3, 1, 4]), r"ptr must be non-decreasing"),
        (torch.zeros(0, dtype=torch.long), r"ptr must be 1-D with G \+ 1 >= 1 offsets"),
    ],
)
def test_segment_bad_ptr(ptr, match):
    with pytest.raises(ValueError, match=match):
        segment(torch.ones(4, 2), ptr)


def test_segment_bad_types():
    with pytest.raises(TypeError, match=r"ptr must have dtype torch.int64"):
        segment(torch.ones(4), torch.tensor([0.0, 4.0]))
    with pytest.raises(ValueError, match=r"reduce must be one of"):
        segment(torch.ones(4), torch.tensor([0, 4]), "median")
