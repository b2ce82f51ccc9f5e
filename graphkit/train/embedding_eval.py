r"""Node classification on fixed node embeddings: the DeepWalk / FastRP protocol.

For each of ``num_splits`` seeded random node permutations and each training
ratio :math:`p`, the first :math:`\lfloor p \cdot n \rfloor` nodes of the permutation
train a one-vs-rest L2-regularised logistic regression on the embeddings and the
rest are test nodes (as ``scoring.py`` of DeepWalk and of the FastRP notebook, which
shuffle once per split and reuse the shuffle for every ratio). The classifier is
:class:`LogisticRegressionOvR`, scikit-learn's objective in torch.

Scoring, as the reference ``scoring.py`` (DeepWalk's ``TopKRanker``):

* **multi-label** targets ``y [n, L]`` (0/1): each test node is predicted its
  :math:`k` highest-scoring labels, with :math:`k` its true number of labels; Micro-
  and Macro-F1 over all :math:`L` labels (scikit-learn's ``f1_score`` on
  ``MultiLabelBinarizer(range(L))`` indicator matrices). A label without positive
  (negative) training nodes is scored :math:`-\infty` (:math:`+\infty`), as
  scikit-learn's ``OneVsRestClassifier`` predicts it constantly. Quirk not copied:
  for a test node with no label the reference predicts *all* labels (``argsort()[-0:]``);
  here it is predicted none (BlogCatalog has no such node, so its numbers are unchanged).
* **single-label** targets ``y [n]``: the arg-max class (``k = 1``), reported as
  accuracy and Micro-/Macro-F1.

The numbers are means over the splits. The reference notebook runs 5 shuffles; the
default here is 10.
"""

from __future__ import annotations

import contextlib
import math
import numbers
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from graphkit import metrics
from graphkit._validation import check_features, check_int, check_real

__all__ = ["LogisticRegressionOvR", "evaluate_embedding", "top_k_predictions"]


_REFRESH = 15  # L-BFGS iterations between refreshes of the diagonal preconditioner
# below this many multiply-adds per product with X the fit runs on one thread: the
# optimiser's many small vector operations gain nothing from threads, and on a loaded
# machine each parallel region can cost milliseconds (measured: 9x slower on 2 busy cores)
_SINGLE_THREAD_MACS = 1 << 24


@contextlib.contextmanager
def _threads_for(macs: int, device: torch.device):
    """Run the enclosed code on one CPU thread when the products are small (restored after)."""
    before = torch.get_num_threads()
    if device.type != "cpu" or macs >= _SINGLE_THREAD_MACS or before == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class LogisticRegressionOvR:
    r"""One-vs-rest L2-regularised logistic regression for all labels at once, in torch.

    Fits a weight matrix :math:`W \in \mathbb R^{d \times L}` and intercepts
    :math:`b \in \mathbb R^L` minimising scikit-learn's objective, summed over labels
    (which decouple, so this is :math:`L` independent binary problems solved together):

    .. math::
        \sum_{l=1}^{L} \Bigl[ \sum_{i=1}^{n} \log\bigl(1 + e^{-\tilde y_{il} (x_i^\top w_l + b_l)}\bigr)
        + \frac{1}{2C} \lVert w_l \rVert^2 \Bigr], \qquad \tilde y_{il} = 2 y_{il} - 1 .

    The intercept is not penalised (scikit-learn's ``lbfgs``, ``newton-cg``, ...);
    ``penalize_intercept=True`` adds :math:`b_l^2 / (2C)` as ``liblinear`` does (with
    ``intercept_scaling=1``), the solver scikit-learn used by default before 0.22 and
    hence the one of the 2019 FastRP/DeepWalk ``scoring.py`` runs. Optimised full-batch
    with L-BFGS (strong Wolfe line search) on the objective divided by :math:`n`, in
    coordinates preconditioned by the eigenvectors of :math:`X^\top X` and the diagonal
    of the Hessian (see ``_lbfgs``), until the largest gradient entry is at most ``tol``.
    The two products with :math:`X` per evaluation run in ``dtype``; the parameters, the
    loss and the line search are float64. Small problems (fewer than :math:`2^{24}`
    multiply-adds per product) are fitted on one CPU thread (``torch.set_num_threads``
    is restored afterwards).

    Args:
        C: inverse regularisation strength (default 1.0).
        penalize_intercept: penalise the intercepts like ``liblinear`` (default ``False``).
        max_iter: most objective/gradient evaluations (default 500).
        tol: largest gradient entry of the :math:`1/n`-scaled objective at which to stop
            (default 1e-4, scikit-learn's ``tol`` for ``lbfgs``).
        dtype: dtype of the products with :math:`X` (default ``torch.float32``;
            ``torch.float64`` to match scikit-learn to many digits).
        rotate: rotate into the eigenbasis of :math:`X^\top X` first (default ``True``).
            Pass ``False`` for features that are already decorrelated (e.g. projected
            once onto the eigenvectors of the full data's Gram matrix, as
            :func:`evaluate_embedding` does); the optimum is the same either way.

    Attributes:
        coef_ (Tensor): ``[L, d]`` float64, as scikit-learn's ``coef_`` stacked over labels.
        intercept_ (Tensor): ``[L]`` float64.
        constant_ (Tensor): ``[L]`` float64, ``+inf`` / ``-inf`` for labels whose training
            targets are all 1 / all 0 (scored constantly), else 0.
        n_iter_ (int): objective/gradient evaluations used.
    """

    def __init__(self, C: float = 1.0, *, penalize_intercept: bool = False, max_iter: int = 500,
                 tol: float = 1e-4, dtype: torch.dtype = torch.float32, rotate: bool = True):
        self.C = C
        self.penalize_intercept = penalize_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.dtype = dtype
        self.rotate = rotate

    def fit(self, x: Tensor, y: Tensor, *, init: tuple[Tensor, Tensor] | None = None) -> LogisticRegressionOvR:
        """Fit on features ``x [n, d]`` and 0/1 targets ``y [n, L]`` (or ``[n]`` for one label).

        ``init=(coef [L, d], intercept [L])`` warm-starts the optimiser.
        """
        C = check_real("C", self.C, low=0.0, low_open=True)
        max_iter = check_int("max_iter", self.max_iter, minimum=1)
        tol = check_real("tol", self.tol, low=0.0, low_open=True)
        if self.dtype not in (torch.float32, torch.float64):
            raise TypeError(f"dtype must be torch.float32 or torch.float64, got {self.dtype!r}")
        check_features(x, name="x")
        if y.dim() == 1:
            y = y.view(-1, 1)
        if y.dim() != 2 or y.size(0) != x.size(0):
            raise ValueError(f"y must have shape [n, L] with n = {x.size(0)} rows, got {list(y.shape)}")
        if x.size(0) == 0:
            raise ValueError("no training samples")
        x = x.to(self.dtype)
        y = y.to(device=x.device, dtype=torch.float64)
        if not bool(((y == 0) | (y == 1)).all()):
            raise ValueError("y must hold 0/1 targets")
        n, d = x.shape
        f64 = {"dtype": torch.float64, "device": x.device}
        positives = y.sum(0)
        constant = torch.where(positives == 0, -math.inf, torch.where(positives == n, math.inf, 0.0)).to(**f64)
        fit_cols = (constant == 0).nonzero().view(-1)
        num_labels = y.size(1)
        coef = torch.zeros(num_labels, d, **f64)
        intercept = torch.zeros(num_labels, **f64)
        self.n_iter_ = 0
        if fit_cols.numel() > 0:
            yf = y[:, fit_cols].contiguous()
            w = torch.zeros(d, fit_cols.numel(), **f64)
            b = torch.zeros(fit_cols.numel(), **f64)
            if init is not None:
                w.copy_(init[0][fit_cols].t())
                b.copy_(init[1][fit_cols])
            with _threads_for(n * d * fit_cols.numel(), x.device):
                w, b, self.n_iter_ = self._lbfgs(x, yf, w, b, C, max_iter, tol)
            coef[fit_cols] = w.t()
            intercept[fit_cols] = b
        self.coef_, self.intercept_, self.constant_ = coef, intercept, constant
        return self

    def _lbfgs(self, x, y, w, b, C, max_iter, tol):
        r"""Minimise the :math:`1/n`-scaled objective with preconditioned L-BFGS.

        Exact changes of variables, so the optimum is the same:

        1. (``rotate=True``) rotate into the eigenbasis of :math:`X^\top X = V \Lambda V^\top`:
           :math:`w_l = V w'_l`, :math:`X' = X V` (the penalty :math:`\lVert w\rVert^2` is
           rotation invariant);
        2. scale each coordinate by the square root of its diagonal Hessian entry at the
           current point, per label: :math:`u_{jl} = \sqrt{h_{jl}}\, w'_{jl}`,
           :math:`h_{jl} = \frac1n \sum_i \sigma'(z_{il}) x'^2_{ij} + \frac{1}{Cn}` (likewise
           for the intercepts), refreshed every ``_REFRESH`` iterations.

        Embedding features are strongly correlated and labels are rare, so the plain
        problem is ill-conditioned (hundreds of L-BFGS iterations); in these coordinates
        it takes a few tens. Stops when the largest entry of the gradient w.r.t.
        :math:`(w, b)` is at most ``tol``, after ``max_iter`` evaluations, or when a whole
        round of iterations no longer lowers the objective (round-off).
        """
        n, d = x.shape
        reg = 1.0 / (C * n)
        if self.rotate:
            vec = torch.linalg.eigh((x.t() @ x).double())[1]
            xr = x @ vec.to(x.dtype)
            wr = vec.t() @ w
        else:
            vec, xr, wr = None, x, w
        xr2 = xr * xr
        pen_b = reg if self.penalize_intercept else 0.0
        evals = 0

        def loss_grad(wr_cur, b_cur):
            z = torch.addmm(b_cur.to(xr.dtype), xr, wr_cur.to(xr.dtype)).double()
            loss = F.binary_cross_entropy_with_logits(z, y, reduction="sum") / n + 0.5 * reg * wr_cur.pow(2).sum()
            p = torch.sigmoid(z)
            g = p - y
            gw = (xr.t() @ g.to(xr.dtype)).double().div_(n).add_(wr_cur, alpha=reg)
            gb = g.sum(0).div_(n)
            if pen_b:
                loss = loss + 0.5 * pen_b * b_cur.pow(2).sum()
                gb.add_(b_cur, alpha=pen_b)
            return loss, gw, gb, p

        last_loss = math.inf
        while True:
            with torch.no_grad():
                loss, gw, gb, p = loss_grad(wr, b)
            evals += 1
            grad_max = max(float(gw.abs().max()), float(gb.abs().max()))
            # stop when converged, out of budget, or when a whole round made no progress
            if grad_max <= tol or evals > max_iter or float(loss) >= last_loss:
                break
            last_loss = float(loss)
            curv = (p * (1 - p)).to(xr.dtype)
            h_w = (xr2.t() @ curv).double().div_(n).add_(reg).rsqrt_()
            h_b = (curv.double().mean(0) + pen_b).clamp_min_(1e-12).rsqrt_()
            u = (wr / h_w).requires_grad_(True)
            v = (b / h_b).requires_grad_(True)
            inner_tol = tol / max(float(h_w.reciprocal().max()), float(h_b.reciprocal().max()))
            steps = min(_REFRESH, max_iter - evals + 1)
            opt = torch.optim.LBFGS([u, v], lr=1.0, max_iter=steps, max_eval=int(steps * 1.25),
                                    tolerance_grad=inner_tol, tolerance_change=0.0, history_size=10,
                                    line_search_fn="strong_wolfe")

            def closure(u=u, v=v, h_w=h_w, h_b=h_b):
                nonlocal evals
                evals += 1
                with torch.no_grad():
                    loss, gw, gb, _ = loss_grad(u * h_w, v * h_b)
                    u.grad, v.grad = gw.mul_(h_w), gb.mul_(h_b)
                return loss

            opt.step(closure)
            with torch.no_grad():
                wr, b = (u * h_w).detach(), (v * h_b).detach()
        return (wr if vec is None else vec @ wr), b, evals

    def decision_function(self, x: Tensor) -> Tensor:
        """Scores ``x @ coef_.T + intercept_`` ``[n, L]`` (float64); constant labels get ``+-inf``."""
        z = torch.addmm(self.intercept_, x.double(), self.coef_.t())
        const = self.constant_ != 0
        if bool(const.any()):
            z[:, const] = self.constant_[const]
        return z

    def predict_proba(self, x: Tensor) -> Tensor:
        """Per-label probabilities ``sigmoid(decision_function(x))`` ``[n, L]`` (not normalised)."""
        return torch.sigmoid(self.decision_function(x))


def top_k_predictions(scores: Tensor, k: Tensor) -> Tensor:
    """0/1 ``[n, L]`` indicator of each row's ``k[i]`` highest scores (DeepWalk's ``TopKRanker``)."""
    order = torch.argsort(scores, dim=1, descending=True, stable=True)
    rank = torch.empty_like(order)
    rank.scatter_(1, order, torch.arange(scores.size(1), device=scores.device).expand_as(order))
    return (rank < k.view(-1, 1)).long()


def _check_ratios(train_ratios) -> tuple[float, ...]:
    if isinstance(train_ratios, numbers.Real):
        train_ratios = (train_ratios,)
    if not isinstance(train_ratios, Sequence) or len(train_ratios) == 0:
        raise ValueError(f"train_ratios must be a non-empty sequence of numbers in (0, 1), got {train_ratios!r}")
    return tuple(check_real(f"train_ratios[{k}]", r, low=0.0, high=1.0, low_open=True, high_open=True)
                 for k, r in enumerate(train_ratios))


def evaluate_embedding(
    embedding: Tensor,
    y: Tensor,
    *,
    train_ratios: Sequence[float] = (0.1, 0.5, 0.9),
    num_splits: int = 10,
    C: float = 1.0,
    seed: int = 0,
    penalize_intercept: bool = False,
    max_iter: int = 500,
    tol: float = 1e-4,
    dtype: torch.dtype = torch.float32,
    warm_start: bool = True,
    per_split: bool = False,
) -> dict:
    """Node classification scores of fixed embeddings (see the module docstring).

    Args:
        embedding: ``[n, d]`` node embeddings (any floating dtype, any device).
        y: ``[n, L]`` 0/1 multi-label targets, or ``[n]`` class indices.
        train_ratios: training shares, each in ``(0, 1)`` (default 0.1, 0.5, 0.9).
        num_splits: seeded random splits per ratio (default 10).
        C: inverse L2 strength of the logistic regression (default 1.0; the FastRP
            notebook uses 0.1 on BlogCatalog).
        seed: seed of the split permutations (split ``s`` is the ``s``-th permutation of
            ``torch.Generator().manual_seed(seed)``; the same permutations serve every ratio).
        penalize_intercept: ``liblinear``-style penalised intercept (see
            :class:`LogisticRegressionOvR`).
        max_iter, tol, dtype: optimiser settings of :class:`LogisticRegressionOvR`.
        warm_start: start each fit at the previous split's solution for the same ratio
            (same optimum, fewer iterations; default ``True``).
        per_split: return the list of per-split values instead of their mean.

    Returns:
        ``{"micro_f1@0.1": ..., "macro_f1@0.1": ..., ...}`` for multi-label targets,
        plus ``"accuracy@<ratio>"`` for single-label targets; means over the splits
        (lists with ``per_split=True``).

    Raises:
        TypeError: a non-number ratio or ``C``, a non-int ``num_splits`` or ``seed``.
        ValueError: mismatched sizes, NaN/inf embeddings, bad targets or ratios, a ratio
            that leaves no training or no test node.
    """
    check_features(embedding, name="embedding")
    n = embedding.size(0)
    if not isinstance(y, Tensor):
        y = torch.as_tensor(np.asarray(y))
    if y.size(0) != n:
        raise ValueError(f"y has {y.size(0)} rows but the embedding has {n}; they must match node by node")
    ratios = _check_ratios(train_ratios)
    num_splits = check_int("num_splits", num_splits, minimum=1)
    seed = check_int("seed", seed)
    multilabel = y.dim() == 2
    device = embedding.device
    if multilabel:
        targets = y.to(device)
        if targets.is_floating_point():
            if not bool(((targets == 0) | (targets == 1)).all()):
                raise ValueError("multi-label y must hold 0/1 values")
        targets = targets.long()
        if not bool(((targets == 0) | (targets == 1)).all()):
            raise ValueError("multi-label y must hold 0/1 values")
    elif y.dim() == 1:
        if y.is_floating_point():
            raise ValueError("single-label y must hold integer class indices")
        labels = y.to(device).long()
        if int(labels.min()) < 0:
            raise ValueError("class indices must be >= 0")
        targets = F.one_hot(labels, int(labels.max()) + 1)
    else:
        raise ValueError(f"y must be [n, L] (multi-label 0/1) or [n] (class indices), got {list(y.shape)}")
    for r in ratios:
        size = int(r * n)
        if size == 0 or size == n:
            raise ValueError(f"training ratio {r} gives {size} training nodes out of {n}; need at least one "
                             f"training and one test node")

    # one rotation into the eigenbasis of the full Gram matrix serves every split: the
    # penalty is rotation invariant, so the fits (and all scores) are those of the raw
    # embedding, while the classifier needs no per-split eigendecomposition
    basis = torch.linalg.eigh((embedding.t() @ embedding).double())[1]
    x = (embedding.double() @ basis).to(dtype)
    gen = torch.Generator().manual_seed(int(seed))
    perms = [torch.randperm(n, generator=gen).to(device) for _ in range(num_splits)]
    scores: dict[str, list[float]] = {}
    for r in ratios:
        size = int(r * n)
        clf_init = None
        for perm in perms:
            train, test = perm[:size], perm[size:]
            clf = LogisticRegressionOvR(C, penalize_intercept=penalize_intercept, max_iter=max_iter, tol=tol,
                                        dtype=dtype, rotate=False)
            clf.fit(x[train], targets[train], init=clf_init)
            if warm_start:
                clf_init = (clf.coef_, clf.intercept_)
            z = clf.decision_function(x[test])
            if multilabel:
                truth = targets[test]
                pred = top_k_predictions(z, truth.sum(1))
                values = {"micro_f1": metrics.f1_score(pred, truth, average="micro"),
                          "macro_f1": metrics.f1_score(pred, truth, average="macro")}
            else:
                truth = labels[test]
                pred = z.argmax(1)
                values = {"accuracy": metrics.accuracy(pred, truth),
                          "micro_f1": metrics.f1_score(pred, truth, average="micro"),
                          "macro_f1": metrics.f1_score(pred, truth, average="macro")}
            for key, value in values.items():
                scores.setdefault(f"{key}@{r:g}", []).append(value)
    if per_split:
        return scores
    return {key: float(np.mean(values)) for key, values in scores.items()}
