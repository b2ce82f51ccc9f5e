"""DAGNN's adaptive adjustment: stacked and streamed inputs against the formula."""

from __future__ import annotations

import pytest
import torch

from graphkit.nn.adaptive_hops import AdaptiveHopAdjustment


def test_matches_formula_stacked_and_streamed():
    torch.manual_seed(0)
    layer = AdaptiveHopAdjustment(4)
    hops = torch.randn(7, 3, 4)
    w, b = layer.proj.weight.view(-1), layer.proj.bias
    scores = torch.sigmoid(hops @ w + b)
    expected = (scores.unsqueeze(-1) * hops).sum(1)
    out, s = layer(hops, return_scores=True)
    torch.testing.assert_close(out, expected)
    torch.testing.assert_close(s, scores)
    out2, s2 = layer(iter(hops.unbind(1)), return_scores=True)
    torch.testing.assert_close(out2, expected)
    torch.testing.assert_close(s2, scores)


def test_scores_are_not_normalised_and_bias_optional():
    layer = AdaptiveHopAdjustment(2, bias=False)
    assert layer.proj.bias is None
    torch.nn.init.zeros_(layer.proj.weight)
    hops = torch.ones(3, 5, 2)
    torch.testing.assert_close(layer(hops), torch.full((3, 2), 2.5))  # 5 hops x sigmoid(0)


def test_errors_and_repr():
    layer = AdaptiveHopAdjustment(3)
    assert repr(layer).startswith("AdaptiveHopAdjustment(\n  3, bias=True")
    with pytest.raises(ValueError, match="built for 3 channels"):
        layer(torch.randn(4, 2, 5))
    with pytest.raises(ValueError, match=r"\[N, K \+ 1, C\]"):
        layer(torch.randn(4, 3))
    with pytest.raises(ValueError, match="at least one hop"):
        layer([])
    with pytest.raises(ValueError, match="channels must be >= 1, got 0"):
        AdaptiveHopAdjustment(0)
    with pytest.raises(TypeError, match="channels must be an int"):
        AdaptiveHopAdjustment(2.0)
    with pytest.raises(TypeError, match="bias must be True or False"):
        AdaptiveHopAdjustment(2, bias=1)
