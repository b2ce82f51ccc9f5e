"""normalized_power_sum against dense float64 powers: dense / sparse V_0, every switch, row blocks, order."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import graphkit.ops.power_sum as power_sum_ops
from graphkit.ops.power_sum import empty_buffer, normalized_power_sum


def problem(n=60, d=8, density=0.08, v0_density=1.0, seed=0, dtype=torch.float32):
    gen = torch.Generator().manual_seed(seed)
    s = torch.rand(n, n, generator=gen, dtype=torch.float64) * (torch.rand(n, n, generator=gen) < density)
    s[:3] = 0  # empty rows: zero powers, never NaN
    v0 = torch.randn(n, d, generator=gen, dtype=torch.float64) * (torch.rand(n, d, generator=gen) < v0_density)
    v0[5] = 0  # a zero row of V_0
    return s, v0


def reference(s, v0, weights, self_influence=0.0, normalize=True, standardize=False):
    s, v0 = s.numpy(), v0.numpy()

    def nu(m):
        if not normalize:
            return m
        norm = np.linalg.norm(m, axis=1, keepdims=True)
        return np.where(norm > 0, m / np.where(norm > 0, norm, 1), 0.0)

    out, power = self_influence * nu(v0), v0
    for w in weights:
        power = s @ power
        out = out + w * nu(power)
    if standardize:
        std = out.std(0)
        out = (out - out.mean(0)) / np.where(std < 10 * np.finfo(np.float64).eps, 1.0, std)
    return out


WEIGHTS = [(1.0,), (0.0, 1.0), (1.0, 0.0), (2.0, -1.0, 0.5), (0.0, 0.0, 1.0, 1.0), (1.0, 1.0, 7.81, 45.28),
           (1.0, 0.0, 0.0, 0.0, 3.0)]


@pytest.mark.parametrize("weights", WEIGHTS)
@pytest.mark.parametrize("sparse_v0", [False, True])
@pytest.mark.parametrize("self_influence", [0.0, 0.7])
def test_matches_dense_powers(weights, sparse_v0, self_influence):
    s, v0 = problem(v0_density=0.2 if sparse_v0 else 1.0)
    S = s.float().to_sparse_csr()
    V = v0.float().to_sparse_csr() if sparse_v0 else v0.float()
    out = normalized_power_sum(S, V, weights, self_influence=self_influence)
    assert out.shape == (60, 8) and out.dtype == torch.float32
    np.testing.assert_allclose(out.double().numpy(), reference(s, v0, weights, self_influence), atol=2e-5, rtol=1e-4)


@pytest.mark.parametrize("sparse_v0", [False, True])
@pytest.mark.parametrize("normalize, standardize", [(True, True), (False, True), (False, False)])
def test_switches_blocks_and_order(monkeypatch, sparse_v0, normalize, standardize):
    s, v0 = problem(n=50, seed=1, v0_density=0.3)
    weights = (1.0, 0.5, 2.0)
    ref = reference(s, v0, weights, 0.4, normalize, standardize)
    monkeypatch.setattr(power_sum_ops, "_CHUNK_CELLS", 8 * 7)  # 7 rows per block of the last power
    S = s.to_sparse_csr()
    V = v0.to_sparse_csr() if sparse_v0 else v0
    out = normalized_power_sum(S, V, weights, self_influence=0.4, normalize=normalize, standardize=standardize)
    assert out.dtype == torch.float64
    np.testing.assert_allclose(out.numpy(), ref, atol=1e-10, rtol=1e-10)
    # computed in a relabelled order, returned in the original one
    perm = torch.randperm(50, generator=torch.Generator().manual_seed(2))
    inverse = torch.empty_like(perm)
    inverse[perm] = torch.arange(50)
    s_p, v_p = s[perm][:, perm], v0[perm]
    out_p = normalized_power_sum(s_p.to_sparse_csr(), v_p.to_sparse_csr() if sparse_v0 else v_p, weights,
                                 self_influence=0.4, normalize=normalize, standardize=standardize, inverse=inverse)
    np.testing.assert_allclose(out_p.numpy(), ref, atol=1e-10, rtol=1e-10)


def test_inputs_are_not_modified_and_buffers(monkeypatch):
    s, v0 = problem(seed=3)
    S, V = s.float().to_sparse_csr(), v0.float()
    S_values, V_copy = S.values().clone(), V.clone()
    out = normalized_power_sum(S, V, (1.0,), self_influence=1.0, standardize=True)
    assert torch.equal(S.values(), S_values) and torch.equal(V, V_copy)
    assert out.data_ptr() != V.data_ptr()
    monkeypatch.setattr(power_sum_ops, "_NUMPY_BUFFERS", False)  # torch's allocator: same numbers
    assert torch.equal(normalized_power_sum(S, V, (1.0,), self_influence=1.0, standardize=True), out)
    buf = empty_buffer(3, 4, torch.float32, "cpu", zero=True)
    assert buf.shape == (3, 4) and torch.equal(buf, torch.zeros(3, 4))


def test_errors():
    s, v0 = problem()
    S = s.float().to_sparse_csr()
    with pytest.raises(TypeError, match="square torch.sparse_csr"):
        normalized_power_sum(s.float(), v0.float(), (1.0,))
    with pytest.raises(ValueError, match="v0 has 59 rows"):
        normalized_power_sum(S, v0.float()[:59], (1.0,))
    with pytest.raises(TypeError, match="share one floating dtype"):
        normalized_power_sum(S, v0, (1.0,))
    with pytest.raises(ValueError, match="weights is empty"):
        normalized_power_sum(S, v0.float(), ())
    with pytest.raises(ValueError, match="inverse must be a permutation"):
        normalized_power_sum(S, v0.float(), (1.0,), inverse=torch.arange(3))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.cuda
def test_cuda_matches_cpu():
    s, v0 = problem(n=200, v0_density=0.1)
    for sparse_v0 in (False, True):
        V = v0.float().to_sparse_csr() if sparse_v0 else v0.float()
        cpu = normalized_power_sum(s.float().to_sparse_csr(), V, (1.0, 1.0, 2.0), standardize=True)
        gpu = normalized_power_sum(s.float().to_sparse_csr().cuda(), V.cuda(), (1.0, 1.0, 2.0), standardize=True)
        assert gpu.device.type == "cuda" and torch.allclose(cpu, gpu.cpu(), atol=1e-4)


@pytest.mark.parametrize("weights", [(1.0, 2.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0, 7.81, 45.28), (2.0, -1.0, 0.5, 0.0, 3.0)])
@pytest.mark.parametrize("sparse_v0", [False, True])
@pytest.mark.parametrize("normalize, standardize", [(True, True), (True, False), (False, False)])
def test_merged_last_power(monkeypatch, weights, sparse_v0, normalize, standardize):
    # d = 64: the last power's blocks go through csr_kernel.sparse_dense_merge where the kernel is built;
    # the same numbers as the dense float64 reference and as the unmerged path
    s, v0 = problem(n=70, d=64, seed=4, v0_density=0.2 if sparse_v0 else 1.0)
    monkeypatch.setattr(power_sum_ops, "_CHUNK_CELLS", 64 * 9)  # 9 rows per block
    S = s.float().to_sparse_csr()
    V = v0.float().to_sparse_csr() if sparse_v0 else v0.float()
    out = normalized_power_sum(S, V, weights, self_influence=0.3, normalize=normalize, standardize=standardize)
    ref = reference(s, v0, weights, 0.3, normalize, standardize)
    np.testing.assert_allclose(out.double().numpy(), ref, atol=5e-5, rtol=1e-4)
    monkeypatch.setattr(power_sum_ops, "_MERGE", False)
    unmerged = normalized_power_sum(S, V, weights, self_influence=0.3, normalize=normalize, standardize=standardize)
    torch.testing.assert_close(out, unmerged, atol=1e-5, rtol=1e-5)
    s64 = normalized_power_sum(s.to_sparse_csr(), v0.to_sparse_csr() if sparse_v0 else v0, weights,
                               self_influence=0.3, normalize=normalize, standardize=standardize)
    np.testing.assert_allclose(s64.numpy(), ref, atol=1e-10, rtol=1e-10)
