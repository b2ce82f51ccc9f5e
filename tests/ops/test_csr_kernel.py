"""The compiled CSR x dense kernel against torch.sparse.mm: dtypes, index types, empty rows, row blocks,
thread counts, strided operands, and the torch fallback (switched off, no compiler)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest
import torch

import graphkit.ops.csr_kernel as ck
from graphkit.ops.csr import sparse_csr_tensor
from graphkit.ops.csr_kernel import sparse_dense_mm

needs_kernel = pytest.mark.skipif(not ck.available(), reason="the CSR kernel could not be built here "
                                  "(no C++ compiler?); the torch fallback is tested below")


def random_csr(n=300, m=200, density=0.05, dtype=torch.float32, index=torch.int64, seed=0, shuffle=False):
    gen = torch.Generator().manual_seed(seed)
    dense = torch.randn(n, m, generator=gen, dtype=dtype) * (torch.rand(n, m, generator=gen) < density)
    dense[:4] = 0  # empty rows at the start, in the middle and at the end
    dense[n // 2: n // 2 + 7] = 0
    dense[-3:] = 0
    S = dense.to_sparse_csr()
    crow, col, value = S.crow_indices(), S.col_indices(), S.values()
    if shuffle:  # unsorted columns within each row
        for r in range(n):
            e0, e1 = int(crow[r]), int(crow[r + 1])
            order = torch.randperm(e1 - e0, generator=gen) + e0
            col[e0:e1], value[e0:e1] = col[order].clone(), value[order].clone()
    return sparse_csr_tensor(crow.to(index), col.to(index), value, (n, m)), dense


@needs_kernel
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("index", [torch.int32, torch.int64])
@pytest.mark.parametrize("threads", [1, 2])
def test_matches_torch_sparse_mm(dtype, index, threads):
    S, dense = random_csr(dtype=dtype, index=index, shuffle=True)
    x = torch.randn(200, 37, generator=torch.Generator().manual_seed(1), dtype=dtype)
    out = torch.full((300, 37), float("nan"), dtype=dtype)  # overwritten, NaNs never leak in
    assert sparse_dense_mm(S, x, out, threads=threads) is out
    ref = torch.sparse.mm(dense.to_sparse_csr(), x)
    tol = dict(atol=1e-5, rtol=1e-5) if dtype == torch.float32 else dict(atol=1e-12, rtol=1e-12)
    torch.testing.assert_close(out, ref, **tol)
    assert torch.equal(out[:4], torch.zeros(4, 37, dtype=dtype)) and torch.equal(out[-3:], torch.zeros(3, 37, dtype=dtype))


@needs_kernel
def test_thread_counts_give_identical_bits_and_row_blocks():
    # each row is summed by one thread in stored order: the bits do not depend on the thread count
    S, dense = random_csr(n=5000, m=3000, density=0.004, seed=2)
    x = torch.randn(3000, 128, generator=torch.Generator().manual_seed(3))
    outs = [sparse_dense_mm(S, x, torch.empty(5000, 128), threads=t) for t in (1, 2, 3, 8)]
    assert all(torch.equal(outs[0], o) for o in outs[1:])
    torch.testing.assert_close(outs[0], dense @ x, atol=1e-5, rtol=1e-5)
    for r0, r1 in [(0, 0), (0, 1), (2, 2500), (2499, 5000), (4997, 5000)]:
        block = sparse_dense_mm(S, x, torch.empty(r1 - r0, 128), rows=(r0, r1), threads=2)
        assert torch.equal(block, outs[0][r0:r1])


@needs_kernel
@pytest.mark.parametrize("d", [1, 37, 64, 128, 256])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_row_widths_and_unaligned_output(d, dtype):
    # 64 / 128 / 256 take the fixed-width path (streaming stores for a full product), the others the generic one
    S, dense = random_csr(n=700, m=500, density=0.02, dtype=dtype, seed=13)
    x = torch.randn(500, d, generator=torch.Generator().manual_seed(14), dtype=dtype)
    ref = dense @ x
    tol = dict(atol=1e-5, rtol=1e-5) if dtype == torch.float32 else dict(atol=1e-12, rtol=1e-12)
    torch.testing.assert_close(sparse_dense_mm(S, x, torch.empty(700, d, dtype=dtype)), ref, **tol)
    shifted = torch.empty(700 * d + 1, dtype=dtype)[1:].view(700, d)  # rows off the 32-byte boundary
    torch.testing.assert_close(sparse_dense_mm(S, x, shifted), ref, **tol)
    torch.testing.assert_close(sparse_dense_mm(S, x, torch.empty(300, d, dtype=dtype), rows=(200, 500)),
                               ref[200:500], **tol)


@needs_kernel
def test_strided_operands():
    S, dense = random_csr(seed=4)
    xt = torch.randn(16, 200, generator=torch.Generator().manual_seed(5)).t()  # columns not contiguous
    assert xt.stride(1) != 1
    ref = dense @ xt
    torch.testing.assert_close(sparse_dense_mm(S, xt, torch.empty(300, 16)), ref, atol=1e-5, rtol=1e-5)
    wide = torch.randn(200, 40, generator=torch.Generator().manual_seed(6))[:, 5:21]  # row stride 40
    torch.testing.assert_close(sparse_dense_mm(S, wide, torch.empty(300, 16)), dense @ wide, atol=1e-5, rtol=1e-5)
    buf = torch.zeros(300, 50)
    out = buf[:, 10:26]  # an output with row stride 50: written in place, neighbours untouched
    sparse_dense_mm(S, wide, out)
    torch.testing.assert_close(out, dense @ wide, atol=1e-5, rtol=1e-5)
    assert torch.equal(buf[:, :10], torch.zeros(300, 10)) and torch.equal(buf[:, 26:], torch.zeros(300, 24))
    col_major = torch.empty(16, 300).t()  # an output whose columns are not contiguous: the torch path
    torch.testing.assert_close(sparse_dense_mm(S, wide, col_major), dense @ wide, atol=1e-5, rtol=1e-5)


def test_empty_and_degenerate_shapes():
    S, dense = random_csr(n=5, m=4, density=0.0)
    assert S.values().numel() == 0
    assert torch.equal(sparse_dense_mm(S, torch.randn(4, 3), torch.full((5, 3), 7.0)), torch.zeros(5, 3))
    S, dense = random_csr(n=8, m=6, density=0.5, seed=7)
    assert sparse_dense_mm(S, torch.randn(6, 0), torch.empty(8, 0)).shape == (8, 0)
    x = torch.randn(6, 1)
    torch.testing.assert_close(sparse_dense_mm(S, x, torch.empty(8, 1)), dense @ x)


def test_errors():
    S, _ = random_csr(n=10, m=6, density=0.5)
    with pytest.raises(ValueError, match="shapes do not match"):
        sparse_dense_mm(S, torch.randn(5, 3), torch.empty(10, 3))
    with pytest.raises(ValueError, match="shapes do not match"):
        sparse_dense_mm(S, torch.randn(6, 3), torch.empty(9, 3))
    with pytest.raises(ValueError, match="out of range"):
        sparse_dense_mm(S, torch.randn(6, 3), torch.empty(3, 3), rows=(8, 11))


def test_fallback_when_switched_off():
    S, dense = random_csr(n=400, m=300, seed=8)
    x = torch.randn(300, 24, generator=torch.Generator().manual_seed(9))
    previous = ck.set_enabled(False)
    try:
        assert not ck.enabled() and not ck.available()
        out = sparse_dense_mm(S, x, torch.empty(400, 24))
        block = sparse_dense_mm(S, x, torch.empty(100, 24), rows=(150, 250))
    finally:
        ck.set_enabled(previous)
    assert torch.equal(out, torch.addmm(torch.empty(400, 24), S, x, beta=0))  # torch's own path, same bits
    torch.testing.assert_close(block, (dense @ x)[150:250], atol=1e-5, rtol=1e-5)
    code = "import graphkit.ops.csr_kernel as ck; print(ck.enabled())"
    for value, expect in (("0", "False"), ("off", "False"), ("1", "True")):
        env = dict(os.environ, GRAPHKIT_CSR_KERNEL=value)
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
        assert res.stdout.strip() == expect


def test_fallback_without_a_compiler(monkeypatch, caplog):
    monkeypatch.setattr(ck, "_compiler", lambda: None)
    monkeypatch.setattr(ck, "_tried", False)
    monkeypatch.setattr(ck, "_library", None)
    S, dense = random_csr(n=50, m=40, density=0.2, seed=10)
    x = torch.randn(40, 8)
    with caplog.at_level(logging.DEBUG, logger="graphkit.ops.csr_kernel"):
        out = sparse_dense_mm(S, x, torch.empty(50, 8))
    assert not ck.available()
    torch.testing.assert_close(out, dense @ x, atol=1e-5, rtol=1e-5)
    assert [r.levelno for r in caplog.records] == [logging.DEBUG] and "no C++ compiler" in caplog.text


def test_fallback_when_the_build_fails(monkeypatch, tmp_path, caplog):
    monkeypatch.setenv("GRAPHKIT_CACHE", str(tmp_path))
    monkeypatch.setattr(ck, "_SOURCE", ck._SOURCE + "\n#error deliberately broken\n")
    monkeypatch.setattr(ck, "_tried", False)
    monkeypatch.setattr(ck, "_library", None)
    S, dense = random_csr(n=50, m=40, density=0.2, seed=11)
    x = torch.randn(40, 8)
    with caplog.at_level(logging.DEBUG, logger="graphkit.ops.csr_kernel"):
        out = sparse_dense_mm(S, x, torch.empty(50, 8))
    torch.testing.assert_close(out, dense @ x, atol=1e-5, rtol=1e-5)
    assert not ck.available() and len(caplog.records) == 1 and caplog.records[0].levelno == logging.DEBUG
    assert not any(p.suffix in (".so", ".cpp") for p in (tmp_path / "kernels").iterdir())  # nothing left over


@needs_kernel
def test_build_is_cached(monkeypatch, tmp_path):
    monkeypatch.setenv("GRAPHKIT_CACHE", str(tmp_path))
    lib = ck._build()
    assert lib is not None
    built = list((tmp_path / "kernels").iterdir())
    assert len(built) == 1 and built[0].suffix == ".so"
    stamp = built[0].stat().st_mtime_ns
    assert ck._build() is not None and built[0].stat().st_mtime_ns == stamp  # found, not rebuilt


def test_grad_and_cuda_take_the_torch_path():
    S, dense = random_csr(n=30, m=20, density=0.3, seed=12)
    x = torch.randn(20, 4, requires_grad=True)
    assert not ck._kernel_operands(S, x, torch.empty(30, 4))
    with torch.no_grad():
        assert ck._kernel_operands(S, x, torch.empty(30, 4))
    assert not ck._kernel_operands(S, x.detach().double(), torch.empty(30, 4))  # dtype mismatch
    if torch.cuda.is_available():
        Sc, xc = S.cuda(), x.detach().cuda()
        out = sparse_dense_mm(Sc, xc, torch.empty(30, 4, device="cuda"))
        torch.testing.assert_close(out.cpu(), dense @ x.detach(), atol=1e-5, rtol=1e-5)


def _nu(m, normalize):
    if not normalize:
        return m
    norm = m.norm(dim=1, keepdim=True)
    return torch.where(norm > 0, m / norm, torch.zeros((), dtype=m.dtype))


@needs_kernel
@pytest.mark.parametrize("d", [64, 128, 256])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("out_mode", [0, 1, 2])
@pytest.mark.parametrize("normalize", [True, False])
def test_merge_matches_torch(d, dtype, out_mode, normalize):
    S, dense = random_csr(n=400, m=400, density=0.03, dtype=dtype, seed=15)
    gen = torch.Generator().manual_seed(16)
    x = torch.randn(400, d, generator=gen, dtype=dtype)
    x[10] = 0  # a zero row of x: its own term is 0, never NaN
    start = torch.randn(400, d, generator=gen, dtype=dtype)
    start[20] = 0
    r0, r1 = 30, 390
    out = start[r0:r1].clone()
    if out_mode == 0:
        out.fill_(float("nan"))  # not read
    assert ck.sparse_dense_merge(S, x, out, (r0, r1), out_mode=out_mode, out_weight=0.7, self_weight=-1.5,
                                 weight=2.5, normalize=normalize, threads=2)
    own = {0: 0, 1: start[r0:r1], 2: 0.7 * _nu(start[r0:r1], normalize)}[out_mode]
    ref = own - 1.5 * _nu(x[r0:r1], normalize) + 2.5 * _nu((dense @ x)[r0:r1], normalize)
    tol = dict(atol=1e-5, rtol=1e-5) if dtype == torch.float32 else dict(atol=1e-12, rtol=1e-12)
    torch.testing.assert_close(out, ref, **tol)
    assert torch.isfinite(out).all()


def test_merge_declines_what_it_does_not_take():
    S, _ = random_csr(n=50, m=50, density=0.2, seed=17)
    args = dict(out_mode=0, out_weight=0.0, self_weight=1.0, weight=1.0, normalize=True)
    out = torch.full((50, 37), 3.0)
    assert not ck.sparse_dense_merge(S, torch.randn(50, 37), out, (0, 50), **args)  # width not compiled
    assert torch.equal(out, torch.full((50, 37), 3.0))  # untouched
    assert not ck.sparse_dense_merge(S, torch.randn(64, 50).t(), torch.empty(50, 64), (0, 50), **args)  # strided x
    previous = ck.set_enabled(False)
    try:
        assert not ck.sparse_dense_merge(S, torch.randn(50, 64), torch.empty(50, 64), (0, 50), **args)
    finally:
        ck.set_enabled(previous)
