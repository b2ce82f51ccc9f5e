r"""Vector quantisation with an EMA-updated codebook (VQ-VAE, van den Oord et al. 2017; as VQGraph uses it).

Given inputs :math:`h_v \in \mathbb R^d` and a codebook :math:`E \in \mathbb R^{M\times d}`:

* assignment :math:`k(v) = \arg\max_m \cos(h_v, e_m)` (``distance='cosine'``,
  VQGraph's setting) or :math:`\arg\min_m \|h_v - e_m\|_2` (``'l2'``);
* quantised output :math:`q_v = e_{k(v)}` passed on with the straight-through
  estimator :math:`h_v + \mathrm{sg}(q_v - h_v)`;
* commitment loss :math:`\beta\,\|h_v - \mathrm{sg}(q_v)\|^2` (β = 0.25);
* codebook update (training only): exponential moving averages of the
  assignment counts :math:`N_m` and the sums of assigned inputs :math:`S_m`
  with decay γ (0.8), Laplace-smoothed, :math:`e_m = S_m / N_m`. With cosine
  distance inputs and codes are L2-normalised;
* dead-code re-initialisation (``dead_code_threshold`` τ_d > 0; off by default):
  after each update every code whose EMA count :math:`N_m` is below τ_d is moved
  onto an input of the current batch drawn at random (the quantiser's own
  generator), with :math:`N_m = τ_d`, :math:`S_m = τ_d\,x` — the
  ``threshold_ema_dead_code`` / ``expire_codes_`` rule of lucidrains'
  vector-quantize-pytorch, which VQGraph's ``vq.py`` copies but leaves at 0 (off).

:meth:`VectorQuantizer.usage` measures how much of the codebook is in use
(live codes and the perplexity of the code distribution).

Memory: the ``[B, M]`` similarity of a batch — chunk large inputs.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from graphkit._validation import check_int, check_real

__all__ = ["CodebookUsage", "VectorQuantizer", "codebook_usage"]


class CodebookUsage(NamedTuple):
    r"""How much of a codebook a set of assignments uses.

    ``live``: codes assigned to at least one input; ``live_share``: ``live / num_codes``;
    ``perplexity``: :math:`\exp(-\sum_m p_m \log p_m)` of the assignment frequencies
    :math:`p_m` (the effective number of codes in use: ``num_codes`` when uniform, 1 when one code takes all).
    """

    live: int
    live_share: float
    perplexity: float


def codebook_usage(codes: Tensor, num_codes: int) -> CodebookUsage:
    """:class:`CodebookUsage` of the code ids ``codes [B]`` over a codebook of ``num_codes`` entries.

    Example:
        >>> codebook_usage(torch.tensor([0, 0, 1, 1]), 4)
        CodebookUsage(live=2, live_share=0.5, perplexity=2.0)
    """
    check_int("num_codes", num_codes, minimum=1)
    if codes.numel() == 0:
        return CodebookUsage(0, 0.0, 0.0)
    count = torch.bincount(codes.reshape(-1).cpu(), minlength=num_codes).double()
    p = count[count > 0] / count.sum()
    live = int((count > 0).sum())
    return CodebookUsage(live, live / num_codes, float(torch.exp(-(p * p.log()).sum())))


class VectorQuantizer(nn.Module):
    """Codebook of ``num_codes`` vectors of size ``dim`` with EMA updates.

    Args:
        num_codes: codebook size ``M``.
        dim: code dimension ``d``.
        decay: EMA decay γ (VQGraph: 0.8).
        commitment_weight: β (0.25).
        distance: ``'cosine'`` or ``'l2'``.
        eps: Laplace smoothing of the counts.
        dead_code_threshold: τ_d; codes whose EMA count falls below it are moved onto
            random inputs of the batch (``0`` turns this off). (default: ``0.0``)
        seed: initialisation of the codebook (standard normal) and the dead-code draws,
            from the quantiser's own generator seeded with ``seed``; global RNG state is
            untouched. (default: ``0``)

    Defaults: ``decay=0.8``, ``commitment_weight=0.25``, ``distance='cosine'``, ``eps=1e-5``,
    ``dead_code_threshold=0.0``.

    Shapes:
        ``forward(h [B, d]) -> (quantized [B, d], codes [B], commitment_loss [])``.

    Example:
        >>> vq = VectorQuantizer(16, 4).eval()
        >>> q, codes, loss = vq(torch.randn(5, 4))
        >>> q.shape, codes.shape
        (torch.Size([5, 4]), torch.Size([5]))
    """

    def __init__(self, num_codes: int, dim: int, *, decay: float = 0.8, commitment_weight: float = 0.25,
                 distance: str = "cosine", eps: float = 1e-5, dead_code_threshold: float = 0.0, seed: int = 0):
        super().__init__()
        check_int("num_codes", num_codes, minimum=1)
        check_int("dim", dim, minimum=1)
        decay = check_real("decay", decay, low=0.0, high=1.0, high_open=True)
        check_int("seed", seed, minimum=0)
        dead_code_threshold = check_real("dead_code_threshold", dead_code_threshold, low=0.0)
        if distance not in ("cosine", "l2"):
            raise ValueError(f"distance must be 'cosine' or 'l2', got {distance!r}")
        self.num_codes, self.dim, self.decay = num_codes, dim, decay
        self.commitment_weight, self.distance, self.eps, self.seed = commitment_weight, distance, eps, seed
        self.dead_code_threshold = dead_code_threshold
        self.gen = torch.Generator()
        self.register_buffer("codebook", torch.empty(num_codes, dim))
        self.register_buffer("ema_count", torch.empty(num_codes))
        self.register_buffer("ema_sum", torch.empty(num_codes, dim))
        self.reset_parameters()

    def reset_parameters(self, seed: int | None = None) -> None:
        """Redraw the codebook and reset the EMA statistics; ``seed`` replaces the constructor's seed."""
        if seed is not None:
            self.seed = check_int("seed", seed, minimum=0)
        g = torch.Generator().manual_seed(self.seed)
        init = torch.randn(self.num_codes, self.dim, generator=g)
        self.gen.manual_seed(self.seed + 1)  # the dead-code draws: a stream apart from the initialisation
        if self.distance == "cosine":
            init = F.normalize(init, dim=-1)
        self.codebook.copy_(init)
        self.ema_count.fill_(1.0)
        self.ema_sum.copy_(init)

    def similarity(self, h: Tensor) -> Tensor:
        """``[B, M]`` scores, larger = closer: cosine similarity or negative L2 distance."""
        if self.distance == "cosine":
            return F.normalize(h, dim=-1) @ F.normalize(self.codebook, dim=-1).t()
        return -torch.cdist(h, self.codebook)

    def forward(self, h: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        if h.dim() != 2 or h.size(1) != self.dim:
            raise ValueError(f"VectorQuantizer expects [B, {self.dim}] inputs, got {list(h.shape)}")
        x = F.normalize(h, dim=-1) if self.distance == "cosine" else h
        codes = self.similarity(h).argmax(-1)
        quantized = self.codebook[codes]
        commit = self.commitment_weight * F.mse_loss(x, quantized.detach())
        if self.training:
            self._ema_update(x.detach(), codes)
        out = x + (quantized - x).detach()  # straight-through
        return out, codes, commit

    @torch.no_grad()
    def _ema_update(self, x: Tensor, codes: Tensor) -> None:
        onehot_count = torch.bincount(codes, minlength=self.num_codes).to(x.dtype)
        sums = torch.zeros_like(self.ema_sum).index_add_(0, codes, x)
        self.ema_count.mul_(self.decay).add_(onehot_count, alpha=1 - self.decay)
        self.ema_sum.mul_(self.decay).add_(sums, alpha=1 - self.decay)
        n = self.ema_count.sum()
        count = (self.ema_count + self.eps) / (n + self.num_codes * self.eps) * n
        book = self.ema_sum / count.unsqueeze(1)
        self.codebook.copy_(F.normalize(book, dim=-1) if self.distance == "cosine" else book)
        if self.dead_code_threshold > 0:
            self._expire_dead_codes(x)

    @torch.no_grad()
    def _expire_dead_codes(self, x: Tensor) -> None:
        dead = (self.ema_count < self.dead_code_threshold).nonzero().view(-1)
        if dead.numel() == 0 or x.size(0) == 0:
            return
        pick = torch.randint(0, x.size(0), (dead.numel(),), generator=self.gen).to(x.device)
        sample = x[pick]  # already normalised for cosine
        self.codebook[dead] = sample
        self.ema_count[dead] = self.dead_code_threshold
        self.ema_sum[dead] = sample * self.dead_code_threshold

    @torch.no_grad()
    def usage(self, h: Tensor) -> CodebookUsage:
        """:func:`codebook_usage` of the codes the inputs ``h [B, d]`` are assigned to (no EMA update)."""
        return codebook_usage(self.similarity(h).argmax(-1), self.num_codes)

    def extra_repr(self) -> str:
        return (f"num_codes={self.num_codes}, dim={self.dim}, decay={self.decay}, "
                f"commitment_weight={self.commitment_weight}, distance={self.distance!r}"
                + (f", dead_code_threshold={self.dead_code_threshold}" if self.dead_code_threshold else ""))
