r"""Adaptive combination of propagation hops.

:class:`AdaptiveHopAdjustment` is DAGNN's adaptive adjustment (Liu, Gao & Ji,
KDD 2020, https://arxiv.org/abs/2007.09296): a learnable retainment score per
node and hop, :math:`s_{vk} = \sigma(h^{(k)}_v w + b)`, and the *unnormalised*
score-weighted sum :math:`\sum_{k=0}^K s_{vk} h^{(k)}_v`.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import Tensor, nn

from graphkit._validation import check_bool, check_int


class AdaptiveHopAdjustment(nn.Module):
    r"""DAGNN's adaptive adjustment over hops :math:`H^{(0)}, \ldots, H^{(K)}`.

    .. math::
        s_{vk} = \sigma\bigl(h^{(k)}_v\, w + b\bigr), \qquad
        \mathrm{out}_v = \sum_{k=0}^{K} s_{vk}\, h^{(k)}_v

    :math:`w \in \mathbb R^{C}` and the bias :math:`b` are shared over hops and
    nodes (the official code's ``Linear(C, 1)``, bias included; DGL's
    ``DAGNNConv`` drops the bias). The scores are not normalised over hops.

    Args:
        channels: :math:`C`, the size of each hop's representation.
        bias: learn :math:`b`. (default: ``True``, as the official code)

    Shapes:
        - input: a stacked ``[N, K + 1, C]`` tensor or an iterable of ``K + 1``
          ``[N, C]`` tensors (e.g. :func:`graphkit.ops.iter_hops`, consumed lazily)
        - output: ``[N, C]``; with ``return_scores=True`` also the scores ``[N, K + 1]``

    Example::

        >>> import torch
        >>> layer = AdaptiveHopAdjustment(4)
        >>> out, scores = layer(torch.randn(10, 3, 4), return_scores=True)
        >>> tuple(out.shape), tuple(scores.shape)
        ((10, 4), (10, 3))
    """

    def __init__(self, channels: int, *, bias: bool = True):
        super().__init__()
        self.channels = check_int("channels", channels, minimum=1)
        self.proj = nn.Linear(self.channels, 1, bias=check_bool("bias", bias))

    def reset_parameters(self) -> None:
        self.proj.reset_parameters()

    def _check(self, h: Tensor) -> None:
        if h.size(-1) != self.channels:
            raise ValueError(
                f"AdaptiveHopAdjustment was built for {self.channels} channels but a hop has "
                f"{h.size(-1)}; pass channels equal to the last dimension of the hops"
            )

    def forward(self, hops: Tensor | Iterable[Tensor], *, return_scores: bool = False):
        if isinstance(hops, Tensor):
            if hops.dim() != 3:
                raise ValueError(f"stacked hops must have shape [N, K + 1, C], got {list(hops.shape)}")
            self._check(hops)
            scores = torch.sigmoid(self.proj(hops)).squeeze(-1)
            out = (scores.unsqueeze(-1) * hops).sum(dim=1)
            return (out, scores) if return_scores else out
        out, scores = None, []
        for h in hops:
            if not isinstance(h, Tensor) or h.dim() != 2:
                raise ValueError("each hop must be a [N, C] tensor")
            self._check(h)
            s = torch.sigmoid(self.proj(h))
            scores.append(s)
            out = s * h if out is None else out + s * h
        if out is None:
            raise ValueError("AdaptiveHopAdjustment needs at least one hop (K + 1 >= 1)")
        return (out, torch.cat(scores, dim=1)) if return_scores else out

    def extra_repr(self) -> str:
        return f"{self.channels}, bias={self.proj.bias is not None}"
