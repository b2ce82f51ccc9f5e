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
    with pytest.raises(ValueError, match="decay must be < 1.0"):
        VectorQuantizer(4, 2, decay=1.0)
    with pytest.raises(ValueError, match="num_codes must be >= 1"):
        VectorQuantizer(0, 2)
    with pytest.raises(TypeError, match="seed must be an int"):
        VectorQuantizer(4, 2, seed=1.5)
    with pytest.raises(ValueError, match="\\[B, 2\\]"):
        VectorQuantizer(4, 2)(torch.randn(3, 5))
    assert "num_codes=4" in repr(VectorQuantizer(4, 2))


def test_codebook_is_drawn_from_its_own_seed():
    torch.manual_seed(0)
    state = torch.get_rng_state()
    a = VectorQuantizer(8, 4, seed=3)
    assert torch.equal(torch.get_rng_state(), state)  # the global generator is untouched
    b = VectorQuantizer(8, 4, seed=0)
    assert not torch.equal(a.codebook, b.codebook)
    b.train()
    b(torch.randn(5, 4))  # EMA moves the codebook
    b.reset_parameters(3)  # the seed a fit passes: as if built with seed=3
    assert b.seed == 3
    for name in ("codebook", "ema_count", "ema_sum"):
        assert torch.equal(getattr(a, name), getattr(b, name))
