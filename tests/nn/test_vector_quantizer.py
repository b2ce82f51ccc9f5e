import pytest
import torch

from graphkit.nn.vector_quantizer import VectorQuantizer, codebook_usage


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


def test_dead_codes_move_onto_batch_inputs():
    torch.manual_seed(0)
    h = torch.nn.functional.normalize(torch.rand(40, 4) + 0.5, dim=-1)  # one narrow cone: most codes never win
    off = VectorQuantizer(16, 4, seed=0).train()
    on = VectorQuantizer(16, 4, seed=0, dead_code_threshold=2.5).train()
    assert torch.equal(off.codebook, on.codebook)
    state = torch.get_rng_state()
    _, codes, _ = on(h)
    assert torch.equal(torch.get_rng_state(), state)  # the draws use the quantiser's own generator
    # after one step a code's count is 0.8 * 1 + 0.2 * n: below 2.5 means fewer than 9 inputs chose it; every
    # such code now sits exactly on one of the inputs, with count 2.5 and sum 2.5 x its vector
    chosen = torch.bincount(codes, minlength=16)
    dead = chosen < 9
    assert 0 < int(dead.sum()) < 16
    torch.testing.assert_close(on.ema_count[dead], torch.full((int(dead.sum()),), 2.5))
    torch.testing.assert_close(on.ema_sum[dead], 2.5 * on.codebook[dead])
    on_input = (on.codebook[dead] @ h.t()).max(-1).values
    torch.testing.assert_close(on_input, torch.ones_like(on_input))
    assert bool((on.ema_count[~dead] > 2.5).all())
    for _ in range(5):
        off(h)
        on(h)
    # off (the default, the old behaviour): codes no input chose keep their random initial direction
    assert off.usage(h).live < on.usage(h).live
    # eval mode never moves a code
    on.eval()
    book = on.codebook.clone()
    on(torch.randn(7, 4))
    assert torch.equal(book, on.codebook)


def test_dead_code_draws_are_seeded():
    h = torch.rand(30, 3)
    a, b = (VectorQuantizer(8, 3, seed=4, dead_code_threshold=1.5).train() for _ in range(2))
    c = VectorQuantizer(8, 3, seed=0, dead_code_threshold=1.5).train()
    c.reset_parameters(4)  # the fit's seed: as if built with seed=4, draws included
    for vq in (a, b, c):
        for _ in range(3):
            vq(h)
    assert torch.equal(a.codebook, b.codebook) and torch.equal(a.codebook, c.codebook)
    assert "dead_code_threshold=1.5" in repr(a) and "dead_code" not in repr(VectorQuantizer(4, 2))
    with pytest.raises(ValueError, match="dead_code_threshold must be >= 0.0"):
        VectorQuantizer(4, 2, dead_code_threshold=-1)


def test_codebook_usage():
    u = codebook_usage(torch.tensor([0, 1, 2, 3]), 8)
    assert (u.live, u.live_share) == (4, 0.5) and u.perplexity == pytest.approx(4.0)
    u = codebook_usage(torch.tensor([5, 5, 5]), 8)
    assert (u.live, u.perplexity) == (1, pytest.approx(1.0))
    u = codebook_usage(torch.tensor([0, 0, 0, 1]), 2)  # exp(H) of (3/4, 1/4)
    assert u.perplexity == pytest.approx(float(torch.exp(-(0.75 * torch.log(torch.tensor(0.75)) + 0.25 *
                                                            torch.log(torch.tensor(0.25))))))
    assert codebook_usage(torch.zeros(0, dtype=torch.long), 4) == (0, 0.0, 0.0)
    vq = VectorQuantizer(6, 2, seed=0).eval()
    h = torch.randn(9, 2)
    assert vq.usage(h) == codebook_usage(vq(h)[1], 6)


def test_source_compiles_without_invalid_escape_warnings():
    """Docstrings with LaTeX (``\\exp``, ``\\sum``) are raw strings: compiling the module warns about nothing."""
    import warnings
    from pathlib import Path

    import graphkit.nn.vector_quantizer as module

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compile(Path(module.__file__).read_text(), module.__file__, "exec")
