"""graphkit.ops.rows: L2 row normalisation and column concatenation, dense and torch.sparse_csr."""

import pytest
import torch

from graphkit.ops.rows import EPS, concat_columns, l2_normalize_rows, to_sparse_rows


def sparse_matrix(n=7, f=5, seed=0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(n, f, generator=gen) * (torch.rand(n, f, generator=gen) < 0.4)
    x[2] = 0.0  # an empty row
    return x


def test_l2_normalize_rows_dense_reference():
    x = torch.tensor([[3.0, 4.0], [0.0, 0.0], [-1.0, 0.0]])
    want = torch.stack([x[0] / (5 + EPS), x[1], x[2] / (1 + EPS)])
    torch.testing.assert_close(l2_normalize_rows(x), want)
    assert torch.equal(l2_normalize_rows(x)[1], torch.zeros(2)), "an all-zero row stays zero, no NaN"


def test_sparse_paths_equal_dense():
    x = sparse_matrix()
    xs = to_sparse_rows(x)
    assert xs.layout == torch.sparse_csr and torch.equal(xs.to_dense(), x)
    torch.testing.assert_close(l2_normalize_rows(xs).to_dense(), l2_normalize_rows(x))
    b = torch.randn(7, 3, generator=torch.Generator().manual_seed(1))
    both = concat_columns(xs, b)
    assert both.layout == torch.sparse_csr and both.shape == (7, 8)
    torch.testing.assert_close(both.to_dense(), torch.cat([x, b], 1))
    torch.testing.assert_close(l2_normalize_rows(both).to_dense(), l2_normalize_rows(torch.cat([x, b], 1)))
    assert torch.equal(concat_columns(x, b), torch.cat([x, b], 1))


def test_sparse_input_feeds_a_linear_layer_with_gradients():
    x = sparse_matrix(n=9, f=6)
    lin = torch.nn.Linear(6, 4)
    out_dense = lin(l2_normalize_rows(x))
    out_dense.square().sum().backward()
    grad = lin.weight.grad.clone()
    lin.zero_grad()
    out_sparse = lin(l2_normalize_rows(to_sparse_rows(x)))
    out_sparse.square().sum().backward()
    torch.testing.assert_close(out_sparse, out_dense)
    torch.testing.assert_close(lin.weight.grad, grad)


def test_bad_input():
    with pytest.raises(ValueError, match="row counts differ"):
        concat_columns(torch.zeros(2, 1), torch.zeros(3, 1))
    with pytest.raises(ValueError, match="dense"):
        to_sparse_rows(torch.zeros(3))


def test_row_sum_normalisation_and_row_concatenation():
    from graphkit.ops.normalize import normalize_features
    from graphkit.ops.rows import concat_rows, normalize_row_sums

    x = sparse_matrix() * 3
    torch.testing.assert_close(normalize_row_sums(to_sparse_rows(x)).to_dense(), normalize_features(x))
    assert torch.equal(normalize_row_sums(x), normalize_features(x))
    b = torch.randn(2, 5)
    stacked = concat_rows(to_sparse_rows(x), b)
    assert stacked.layout == torch.sparse_csr and torch.equal(stacked.to_dense(), torch.cat([x, b]))
    assert torch.equal(concat_rows(x, b), torch.cat([x, b]))
    with pytest.raises(ValueError, match="column counts differ"):
        concat_rows(x, torch.zeros(1, 2))


# --------------------------------------------------------------------------- dropout_features (#21)


def test_dropout_features_matches_dense_dropout_in_distribution():
    """Over many draws: each non-zero kept with probability 1 - p and scaled 1 / (1 - p), zeros stay zero,
    the mean equals x (unbiased) — for the CSR path as for F.dropout on the dense matrix."""
    from graphkit.ops.rows import dropout_features

    x = sparse_matrix(n=40, f=30, seed=3) + 0.5 * (torch.rand(40, 30, generator=torch.Generator().manual_seed(4)) < 0.05)
    xs, p, draws = to_sparse_rows(x), 0.3, 2000
    torch.manual_seed(0)
    sparse = torch.stack([dropout_features(xs, p).to_dense() for _ in range(draws)])
    dense = torch.stack([dropout_features(x, p) for _ in range(draws)])
    nz = x != 0
    for out in (sparse, dense):
        assert bool((out[:, ~nz] == 0).all()), "a zero stays zero"
        kept = out[:, nz] != 0
        assert bool(torch.allclose(out[:, nz][kept], (x[nz] / (1 - p)).expand(draws, -1)[kept])), \
            "a kept entry is scaled by 1 / (1 - p)"
        keep_rate = kept.float().mean().item()
        assert abs(keep_rate - (1 - p)) < 0.01, keep_rate  # ~ 280 entries x 2000 draws: sd ~ 0.0006
        torch.testing.assert_close(out.mean(0), x, atol=0.08, rtol=0)  # sd of one entry's mean: ~0.02
    # the two paths agree in distribution: the same keep rate per stored entry (two-sample, well inside 5 sd)
    rate_s, rate_d = (sparse[:, nz] != 0).float().mean(0), (dense[:, nz] != 0).float().mean(0)
    assert (rate_s - rate_d).abs().max().item() < 5 * (2 * 0.21 / draws) ** 0.5


def test_dropout_features_eval_and_layouts():
    from graphkit.ops.rows import dropout_features

    x = sparse_matrix()
    xs = to_sparse_rows(x)
    assert dropout_features(xs, 0.5, training=False) is xs and dropout_features(x, 0.0) is x
    out = dropout_features(xs, 0.5)
    assert out.layout == torch.sparse_csr and torch.equal(out.col_indices(), xs.col_indices()), \
        "the pattern is kept: only the stored values are drawn"
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        dropout_features(x, 1.0)
    with pytest.raises(TypeError, match="layout"):
        dropout_features(x.to_sparse_coo(), 0.5)
    with pytest.raises(TypeError, match="torch.Tensor"):
        dropout_features(x.tolist(), 0.5)


# --------------------------------------------------------------------------- select_rows, mse_to_features (#21)


def test_select_rows_equals_dense_indexing():
    from graphkit.ops.rows import select_rows

    x = sparse_matrix(n=9, f=6, seed=5)
    xs = to_sparse_rows(x)
    for index in (torch.tensor([4, 2, 2, 0, 8]), torch.tensor([], dtype=torch.long), torch.tensor([-1, 2]),
                  torch.rand(9, generator=torch.Generator().manual_seed(0)) < 0.5):
        got = select_rows(xs, index)
        assert got.layout == torch.sparse_csr
        assert torch.equal(got.to_dense(), x[index])
    assert torch.equal(select_rows(x, torch.tensor([1, 0])), x[[1, 0]]), "dense input: plain indexing"
    with pytest.raises(IndexError, match="row ids"):
        select_rows(xs, torch.tensor([9]))
    with pytest.raises(ValueError, match="bool mask"):
        select_rows(xs, torch.ones(4, dtype=torch.bool))


def test_mse_to_features_equals_dense_loss_and_gradient():
    from graphkit.ops.rows import mse_to_features

    x = sparse_matrix(n=8, f=5, seed=6)
    pred = torch.randn(8, 5, generator=torch.Generator().manual_seed(7), requires_grad=True)
    want = torch.nn.functional.mse_loss(pred, x)
    (g_want,) = torch.autograd.grad(want, pred)
    got = mse_to_features(pred, to_sparse_rows(x))
    (g_got,) = torch.autograd.grad(got, pred)
    torch.testing.assert_close(got, want)
    torch.testing.assert_close(g_got, g_want)
    torch.testing.assert_close(mse_to_features(pred, x), want)
    with pytest.raises(ValueError, match="shape"):
        mse_to_features(pred, to_sparse_rows(x[:, :4]))
