"""sparse_random_projection: distribution (mean, variance, sparsity, signs), determinism, layouts, errors."""

from __future__ import annotations

import math

import pytest
import torch

from graphkit.ops.random_projection import resolve_sparsity, sparse_random_projection

# s below and above the 1/8 switch between the cell-wise and the geometric-gap sampler
SPARSITIES = [1.0, 3.0, 8.0, 20.0, "sqrt"]


@pytest.mark.parametrize("s", SPARSITIES)
def test_entry_distribution(s):
    n, d = 4000, 64
    r = sparse_random_projection(n, d, seed=0, s=s, layout=torch.strided, dtype=torch.float64)
    s_val = resolve_sparsity(s, n)
    cells = n * d
    # only 0 and +-sqrt(s)
    assert bool(((r == 0) | ((r.abs() - math.sqrt(s_val)).abs() < 1e-12)).all())
    p = 1.0 / s_val
    nonzero = int((r != 0).sum())
    sd = math.sqrt(cells * p * (1 - p)) + 1e-9
    assert abs(nonzero - cells * p) < 5 * sd + 1  # sparsity 1 - 1/s
    positive = int((r > 0).sum())
    assert abs(positive - nonzero / 2) < 5 * math.sqrt(nonzero / 4) + 1  # fair signs
    # E[r] = 0, E[r^2] = 1 within 5 standard errors
    mean_se = math.sqrt(1.0 / cells)
    assert abs(float(r.mean())) < 5 * mean_se
    var_se = math.sqrt((s_val - 1.0) / cells)  # Var[r^2] = s - 1
    assert abs(float((r * r).mean()) - 1.0) < 5 * var_se + 1e-12


def test_no_row_or_column_structure():
    # non-zeros are spread evenly over rows and columns (no bias in the row-major gap sampler)
    n, d, s = 3000, 50, 10.0
    r = sparse_random_projection(n, d, seed=3, s=s, layout=torch.strided)
    per_col = (r != 0).sum(0).double()
    expected = n / s
    chi2 = float(((per_col - expected) ** 2 / expected).sum())
    assert chi2 < d + 6 * math.sqrt(2 * d)
    # first and second half of the cells are equally dense
    half = n // 2
    a, b = int((r[:half] != 0).sum()), int((r[half:] != 0).sum())
    assert abs(a - b) < 6 * math.sqrt(a + b)


def test_very_sparse_default_is_sqrt_n():
    n, d = 10000, 128
    r = sparse_random_projection(n, d, seed=1)
    assert r.layout == torch.sparse_csr and r.shape == (n, d)
    expected = n * d / math.sqrt(n)
    assert abs(r.values().numel() - expected) < 5 * math.sqrt(expected)
    assert r.crow_indices().dtype == torch.long and int(r.crow_indices()[-1]) == r.values().numel()


@pytest.mark.parametrize("s", SPARSITIES)
def test_determinism_layouts_and_generators(s):
    a = sparse_random_projection(500, 30, seed=7, s=s)
    b = sparse_random_projection(500, 30, seed=7, s=s)
    assert torch.equal(a.crow_indices(), b.crow_indices()) and torch.equal(a.col_indices(), b.col_indices())
    assert torch.equal(a.values(), b.values())
    dense = sparse_random_projection(500, 30, seed=7, s=s, layout=torch.strided)
    assert torch.equal(a.to_dense(), dense)
    # columns sorted within rows
    crow, col = a.crow_indices(), a.col_indices()
    rows = torch.repeat_interleave(torch.arange(500), crow.diff())
    key = rows * 30 + col
    assert bool((key.diff() > 0).all())
    # a generator gives the same matrix as its seed, and advances
    gen = torch.Generator().manual_seed(7)
    c = sparse_random_projection(500, 30, seed=gen, s=s, layout=torch.strided)
    d = sparse_random_projection(500, 30, seed=gen, s=s, layout=torch.strided)
    assert torch.equal(c, dense) and not torch.equal(c, d)
    other = sparse_random_projection(500, 30, seed=8, s=s, layout=torch.strided)
    assert not torch.equal(other, dense)
    # global RNG state is neither read nor changed
    state = torch.random.get_rng_state()
    sparse_random_projection(500, 30, seed=7, s=s)
    assert torch.equal(state, torch.random.get_rng_state())


def test_dtype_device_and_empty_shapes():
    r = sparse_random_projection(100, 10, seed=0, s=3, dtype=torch.float64, layout=torch.strided, device="cpu")
    assert r.dtype == torch.float64 and r.device.type == "cpu"
    assert sparse_random_projection(0, 10, seed=0).shape == (0, 10)
    assert sparse_random_projection(10, 0, seed=0, layout=torch.strided).shape == (10, 0)
    assert sparse_random_projection(10, 0, seed=0).values().numel() == 0
    one = sparse_random_projection(1, 1, seed=0, s=1, layout=torch.strided)
    assert float(one.abs()) == 1.0


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"s": 0.5}, ValueError, "s must be >= 1"),
    ({"s": "cube"}, ValueError, "'sqrt' or a number"),
    ({"s": float("nan")}, TypeError, "finite number"),
    ({"s": True}, TypeError, "finite number"),
    ({"seed": 1.5}, TypeError, "seed must be an int"),
    ({"seed": -1}, ValueError, "seed must be >= 0"),
    ({"seed": 2**63}, ValueError, "seed must be <= 9223372036854775807"),
    ({"dtype": torch.long}, TypeError, "floating-point"),
    ({"layout": torch.sparse_coo}, ValueError, "layout must be"),
])
def test_errors(kwargs, exc, match):
    args = {"seed": 0, **kwargs}
    with pytest.raises(exc, match=match):
        sparse_random_projection(10, 4, **args)


def test_size_errors():
    with pytest.raises(ValueError, match="num_rows must be >= 0"):
        sparse_random_projection(-1, 4, seed=0)
    with pytest.raises(TypeError, match="dim must be an int"):
        sparse_random_projection(10, 4.0, seed=0)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.cuda
def test_same_matrix_on_cuda():
    cpu = sparse_random_projection(300, 20, seed=5, layout=torch.strided)
    gpu = sparse_random_projection(300, 20, seed=5, layout=torch.strided, device="cuda")
    assert torch.equal(cpu, gpu.cpu())
