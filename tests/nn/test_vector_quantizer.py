import pytest
import torch

from graphkit.nn.vector_quantizer import VectorQuantizer


def test_assignment_straight_through_and_commitment():
    vq = VectorQuantizer(8, 4, seed=0)
    h = torch.randn(10, 4, requires_grad=True)
    vq.eval()
    out, codes, commit = vq(h)
    hn = torch.nn.functional.normalize(h, dim=-1)
    ref = (hn @ vq.codebook.t()).argmax(-1)
    assert torch.equal(codes, ref)
    torch.testing.assert_close(out, vq.codebook[codes])
    torch.testing.assert_close(commit, 0.25 * ((hn - vq.codebook[codes]) ** 2).mean())
    out.sum().backward()
    assert h.grad is not None and torch.isfinite(h.grad).all()


def test_ema_update_moves_codes_towards_inputs():
    vq = VectorQuantizer(2, 3, decay=0.5, distance="l2", seed=1)
    h = torch.tensor([[5.0, 0, 0]] * 4)
    vq.train()
    _, codes, _ = vq(h)
    k = int(codes[0])
    before = vq.codebook[k].clone()
    for _ in range(20):
        vq(h)
    assert (vq.codebook[k] - h[0]).norm() < (before - h[0]).norm()
    assert (vq.codebook[k] - h[0]).norm() < 0.1


def test_bad_arguments():
    with pytest.raises(ValueError, match="distance"):
        VectorQuantizer(4, 2, distance="dot")
    with pytest.raises(ValueError, match="decay"):
        VectorQuantizer(4, 2, decay=1.0)
    with pytest.raises(ValueError, match="\\[B, 2\\]"):
        VectorQuantizer(4, 2)(torch.randn(3, 5))
    assert "num_codes=4" in repr(VectorQuantizer(4, 2))
