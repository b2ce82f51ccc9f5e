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
