"""Evaluation metrics: accuracy, F1, and OGB's link-prediction Hits@K and MRR.

Every function is pure torch, vectorised and device-agnostic: it runs where its
inputs live (a NumPy array is converted with :func:`torch.as_tensor`, a second
input on another device is moved to the first one's device) and returns Python
floats. Bad input raises :class:`TypeError` (wrong type or dtype) or
:class:`ValueError` (wrong shape, empty input, NaN scores, bad ``k``) with a
message that says how to fix it; nothing is clipped, dropped or reordered.

Semantics follow the references exactly:

* :func:`f1_score` matches :func:`sklearn.metrics.f1_score` (default
  ``zero_division``) for ``average="micro"`` and ``"macro"``.
* :func:`hits_at_k` and :func:`mrr` match ``ogb.linkproppred.Evaluator``
  (``ogbl-collab``-style Hits@K with a shared negative pool,
  ``ogbl-citation2``-style MRR with per-positive negatives), ties included.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Iterable

import numpy as np
import torch
from torch import Tensor

__all__ = ["accuracy", "f1_score", "hits_at_k", "mrr", "link_metric", "parse_link_metric", "LINK_METRIC_NAMES",
           "MeaninglessMetricWarning"]

#: The metric names :func:`link_metric` accepts (``K`` is any integer >= 1).
LINK_METRIC_NAMES = ("mrr", "hits@K")

# Upper bound on the elements of the [chunk, K] comparison matrices in :func:`mrr`.
_MRR_CHUNK_ELEMENTS = 1 << 24

_AVERAGES = ("micro", "macro")


# --------------------------------------------------------------------------------------------------
# input checks
# --------------------------------------------------------------------------------------------------


def _as_tensor(x, name: str) -> Tensor:
    """Return ``x`` as a tensor: tensors pass through, NumPy arrays are converted."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.ndarray):
        try:
            return torch.as_tensor(np.ascontiguousarray(x))
        except TypeError as exc:
            raise TypeError(
                f"{name} is a NumPy array of dtype {x.dtype}, which torch cannot hold; "
                f"convert it to a numeric dtype first (e.g. {name}.astype(np.float32))"
            ) from exc
    raise TypeError(
        f"{name} must be a torch.Tensor or a numpy.ndarray, got {type(x).__name__}; "
        f"wrap it with torch.tensor({name})"
    )


def _acc_dtype(device: torch.device) -> torch.dtype:
    # MPS has no float64; everywhere else accumulate in double precision.
    return torch.float32 if device.type == "mps" else torch.float64


def _check_no_nan(x: Tensor, name: str) -> None:
    if x.is_floating_point() and bool(torch.isnan(x).any()):
        bad = int(torch.isnan(x).sum())
        raise ValueError(
            f"{name} contains {bad} NaN value(s); NaN cannot be ranked or compared — "
            f"find where the model produces NaN (e.g. torch.isnan({name}).nonzero()) and fix it"
        )


def _check_k(k, name: str = "k") -> int:
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise TypeError(f"{name} must be an int >= 1, got {k!r} ({type(k).__name__})")
    if k < 1:
        raise ValueError(f"{name} must be an int >= 1, got {k}")
    return int(k)


def _scores(x, name: str, ndims: tuple[int, ...], shape_hint: str) -> Tensor:
    """Validate a real-valued score tensor of one of the allowed ``ndims`` (non-empty, no NaN)."""
    x = _as_tensor(x, name)
    if x.dtype == torch.bool or x.is_complex():
        raise TypeError(
            f"{name} must hold real-valued scores (float or int), got {x.dtype}; "
            f"pass the raw scores or logits, not thresholded or complex values"
        )
    if x.dim() not in ndims:
        hint = ""
        if x.dim() == 2 and 1 in ndims and 1 in x.shape:
            hint = f"; flatten it with {name}.view(-1)"
        raise ValueError(f"{name} must have shape {shape_hint}, got {list(x.shape)}{hint}")
    if x.numel() == 0:
        raise ValueError(f"{name} is empty (shape {list(x.shape)}); pass at least one score")
    _check_no_nan(x, name)
    return x


def _labels(x, name: str) -> Tensor:
    """Validate 1-D integer class labels; return them as int64."""
    x = _as_tensor(x, name)
    if x.is_floating_point() or x.is_complex():
        raise TypeError(
            f"{name} must hold integer class indices, got {x.dtype}; convert it with {name}.long() "
            f"(or, for scores, pass logits of shape [N, C])"
        )
    return x.long()


def _device_of(x, fallback: Tensor) -> torch.device:
    return x.device if isinstance(x, Tensor) else fallback.device


def _class_predictions(pred, target: Tensor) -> Tensor:
    """Turn ``pred`` (indices ``[N]`` or scores ``[N, C]``) into int64 indices ``[N]``.

    ``target`` is already a validated 1-D int64 tensor; it is checked against ``pred``.
    """
    pred = _as_tensor(pred, "pred")
    n = target.numel()
    if n == 0:
        raise ValueError("target is empty; pass at least one sample")
    if pred.dim() == 2:
        if pred.size(0) != n:
            raise ValueError(
                f"pred has {pred.size(0)} rows but target has {n} entries; pass one row of "
                f"class scores per sample (pred [N, C], target [N])"
            )
        if pred.size(1) == 0:
            raise ValueError("pred has shape [N, 0]: it needs at least one class column")
        if pred.dtype == torch.bool or pred.is_complex():
            raise TypeError(f"pred of shape [N, C] must hold real-valued class scores, got {pred.dtype}")
        _check_no_nan(pred, "pred")
        num_cols = pred.size(1)
        lo, hi = int(target.min()), int(target.max())
        if lo < 0 or hi >= num_cols:
            bad = lo if lo < 0 else hi
            raise ValueError(
                f"target contains class {bad} but pred has {num_cols} class columns; "
                f"targets must lie in [0, {num_cols}) — check that the model outputs one "
                f"column per class"
            )
        return pred.argmax(dim=1)
    if pred.dim() == 1:
        if pred.is_floating_point() or pred.is_complex():
            raise TypeError(
                f"pred of shape [N] must hold integer class indices, got {pred.dtype}; pass "
                f"class scores as a 2-D [N, C] tensor instead, or convert indices with pred.long()"
            )
        if pred.numel() != n:
            raise ValueError(f"pred has {pred.numel()} entries but target has {n}; they must match")
        return pred.long().to(target.device)
    raise ValueError(f"pred must be class indices [N] or class scores [N, C], got shape {list(pred.shape)}")


# --------------------------------------------------------------------------------------------------
# classification
# --------------------------------------------------------------------------------------------------


def accuracy(pred, target) -> float:
    r"""Fraction of samples whose predicted class equals the target class.

    .. math::
        \mathrm{acc} = \frac{1}{N} \sum_{i=1}^{N} [\hat y_i = y_i],
        \qquad \hat y_i = \operatorname{argmax}_c \, \mathrm{pred}_{ic}
        \text{ when pred holds scores.}

    Args:
        pred (Tensor or ndarray): predicted class indices ``[N]`` (integer dtype) or class
            scores ``[N, C]`` (logits or probabilities; the arg-max is taken, ties go to the
            lowest class index as in :func:`torch.argmax`).
        target (Tensor or ndarray): true class indices ``[N]`` (integer dtype). With scores
            they must lie in ``[0, C)``.

    Returns:
        float: accuracy in ``[0, 1]``.

    Shapes:
        - **pred:** :math:`(N)` or :math:`(N, C)`
        - **target:** :math:`(N)`

    Complexity: :math:`O(N C)` time, :math:`O(N)` extra memory.

    Example:
        >>> accuracy(torch.tensor([[2.0, 1.0], [0.0, 3.0], [1.0, 0.0]]), torch.tensor([0, 1, 1]))
        0.6666666666666666
    """
    target = _labels(target, "target")
    if target.dim() != 1:
        raise ValueError(
            f"target must be class indices of shape [N], got {list(target.shape)}; for "
            f"multi-label 0/1 targets [N, L] use f1_score"
        )
    pred = _class_predictions(pred, target.to(_device_of(pred, target)))
    target = target.to(pred.device)
    return float((pred == target).sum()) / target.numel()


def _f1_from_counts(tp: Tensor, pred_count: Tensor, true_count: Tensor, average: str) -> float:
    """F1 = 2 TP / (2 TP + FP + FN) = 2 TP / (#pred + #true), 0 where that is 0/0."""
    dtype = _acc_dtype(tp.device)
    tp, pred_count, true_count = tp.to(dtype), pred_count.to(dtype), true_count.to(dtype)
    if average == "micro":
        denom = pred_count.sum() + true_count.sum()
        return float(2 * tp.sum() / denom) if float(denom) > 0 else 0.0
    denom = pred_count + true_count
    per_label = torch.where(denom > 0, 2 * tp / denom.clamp_min(1), torch.zeros_like(denom))
    return float(per_label.mean())


def f1_score(pred, target, *, average: str = "micro", num_classes: int | None = None) -> float:
    r"""F1 score for multi-class or multi-label classification, as :func:`sklearn.metrics.f1_score`.

    Per label :math:`c`, :math:`F_1^{(c)} = \frac{2\,TP_c}{2\,TP_c + FP_c + FN_c}`, defined as 0
    when the denominator is 0 (the label is neither true nor predicted anywhere; this is
    scikit-learn's default ``zero_division`` behaviour, without its warning).

    * ``average="micro"``: :math:`\frac{2 \sum_c TP_c}{\sum_c (2 TP_c + FP_c + FN_c)}`. In the
      multi-class case this equals :func:`accuracy`.
    * ``average="macro"``: the unweighted mean of :math:`F_1^{(c)}` over the label set.

    The mode is chosen by ``target``'s shape:

    * **multi-class** (``target [N]``): ``pred`` is class indices ``[N]`` or class scores
      ``[N, C]`` (arg-max is taken). Without ``num_classes`` the label set is the *union of the
      labels present in target and in the predictions* (sklearn with ``labels=None``), so a
      class that is neither true nor predicted does not enter the macro mean. With
      ``num_classes=C`` the label set is ``range(C)`` (sklearn with ``labels=range(C)``) and
      such classes contribute 0. Without ``num_classes`` arbitrary integer labels are allowed;
      with it, labels must lie in ``[0, C)``.
    * **multi-label** (``target [N, L]``): ``pred`` and ``target`` are 0/1 indicator matrices of
      the same shape (bool, int or float holding only 0 and 1). The label set is all ``L``
      columns (as sklearn), so a column with no true and no predicted positive contributes 0
      to the macro mean. Threshold scores yourself first, e.g. ``(logits > 0).long()``.
      A single column ``[N, 1]`` is one label, so both averages give the binary F1 of that
      label; scikit-learn instead reads an ``[N, 1]`` array as a 1-D binary class vector
      and averages over the classes 0 and 1 (micro then equals accuracy).

    Args:
        pred (Tensor or ndarray): predictions, see above.
        target (Tensor or ndarray): class indices ``[N]`` or a 0/1 indicator matrix ``[N, L]``.
        average (str, optional): ``"micro"`` or ``"macro"``. (default: ``"micro"``)
        num_classes (int, optional): number of classes ``C`` (multi-class) or labels ``L``
            (multi-label, must equal ``target.size(1)``). (default: ``None``)

    Returns:
        float: F1 in ``[0, 1]``.

    Shapes:
        - **pred:** :math:`(N)` or :math:`(N, C)` (multi-class), :math:`(N, L)` (multi-label)
        - **target:** :math:`(N)` (multi-class) or :math:`(N, L)` (multi-label)

    Complexity: :math:`O(N C)` time for scores, :math:`O(N \log N)` for the label union
    (``num_classes=None``), :math:`O(N L)` multi-label; :math:`O(N + C)` or :math:`O(N L)` memory.

    Example:
        >>> pred, target = torch.tensor([0, 2, 1, 0]), torch.tensor([0, 1, 1, 0])
        >>> f1_score(pred, target, average="macro")  # labels {0, 1, 2}
        0.5555555555555555
        >>> f1_score(pred, target, average="macro", num_classes=4)  # labels {0, 1, 2, 3}
        0.41666666666666663
    """
    if average not in _AVERAGES:
        raise ValueError(f"average must be one of {_AVERAGES}, got {average!r}")
    if num_classes is not None and (
        isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral) or num_classes < 1
    ):
        raise ValueError(f"num_classes must be None or an int >= 1, got {num_classes!r}")
    target = _as_tensor(target, "target")
    if target.dim() == 2:
        return _f1_multilabel(pred, target, average, num_classes)
    if target.dim() != 1:
        raise ValueError(
            f"target must be class indices [N] (multi-class) or a 0/1 indicator matrix [N, L] "
            f"(multi-label), got shape {list(target.shape)}"
        )
    target = _labels(target, "target")
    pred_is_scores = isinstance(pred, (Tensor, np.ndarray)) and pred.ndim == 2
    if num_classes is not None and pred_is_scores and pred.shape[1] != num_classes:
        raise ValueError(
            f"pred has {pred.shape[1]} class columns but num_classes={num_classes}; they must agree"
        )
    pred = _class_predictions(pred, target.to(_device_of(pred, target)))
    target = target.to(pred.device)
    n = target.numel()
    if num_classes is None:
        # sklearn's labels=None: the sorted union of the labels in target and pred.
        labels, inverse = torch.unique(torch.cat([pred, target]), return_inverse=True)
        num_labels, pred, target = labels.numel(), inverse[:n], inverse[n:]
    else:
        for name, x in (("pred", pred), ("target", target)):
            lo, hi = int(x.min()), int(x.max())
            if lo < 0 or hi >= num_classes:
                raise ValueError(
                    f"{name} contains class {lo if lo < 0 else hi} but num_classes={num_classes}; "
                    f"classes must lie in [0, {num_classes}) — pass the right num_classes or "
                    f"num_classes=None to use the labels present"
                )
        num_labels = int(num_classes)
    tp = torch.bincount(target[pred == target], minlength=num_labels)
    pred_count = torch.bincount(pred, minlength=num_labels)
    true_count = torch.bincount(target, minlength=num_labels)
    return _f1_from_counts(tp, pred_count, true_count, average)


def _indicator(x: Tensor, name: str) -> Tensor:
    if x.is_complex():
        raise TypeError(f"{name} must be a real 0/1 indicator matrix, got {x.dtype}")
    _check_no_nan(x, name)
    if x.dtype != torch.bool and not bool(((x == 0) | (x == 1)).all()):
        raise ValueError(
            f"{name} must be a 0/1 indicator matrix for multi-label F1 but holds other values; "
            f"threshold scores first, e.g. (logits > 0).long() or (probs >= 0.5).long()"
        )
    return x.bool()


def _f1_multilabel(pred, target: Tensor, average: str, num_classes: int | None) -> float:
    pred = _as_tensor(pred, "pred")
    if pred.shape != target.shape:
        raise ValueError(
            f"multi-label F1 (target of shape [N, L]) needs pred of the same shape; got pred "
            f"{list(pred.shape)} and target {list(target.shape)}. For multi-class F1 pass "
            f"target as class indices [N]"
        )
    if target.size(0) == 0:
        raise ValueError("target is empty (N = 0); pass at least one sample")
    if target.size(1) == 0:
        raise ValueError("target has shape [N, 0]: multi-label F1 needs at least one label column")
    if num_classes is not None and num_classes != target.size(1):
        raise ValueError(
            f"num_classes={num_classes} but the multi-label target has {target.size(1)} columns; "
            f"they must agree (or pass num_classes=None)"
        )
    target_b = _indicator(target, "target")
    pred_b = _indicator(pred, "pred").to(target_b.device)
    tp = (pred_b & target_b).sum(dim=0)
    return _f1_from_counts(tp, pred_b.sum(dim=0), target_b.sum(dim=0), average)


# --------------------------------------------------------------------------------------------------
# link prediction (OGB semantics)
# --------------------------------------------------------------------------------------------------


def _pos_neg(pos_scores, neg_scores) -> tuple[Tensor, Tensor]:
    pos = _scores(pos_scores, "pos_scores", (1,), "[P]")
    neg = _scores(neg_scores, "neg_scores", (1, 2), "[M] (shared pool) or [P, K] (per positive)")
    pos = pos.to(neg.device)
    if neg.dim() == 2 and neg.size(0) != pos.numel():
        raise ValueError(
            f"neg_scores has shape {list(neg.shape)} but there are {pos.numel()} positives; "
            f"per-positive negatives need shape [P, K] = [{pos.numel()}, K] (row i ranks "
            f"pos_scores[i]), a shared negative pool needs shape [M]"
        )
    return pos, neg


def hits_at_k(pos_scores, neg_scores, k: int) -> float:
    r"""Hits@K of OGB's link-prediction evaluator (``ogbl-collab``, ``ogbl-ddi``, ``ogbl-ppa``).

    With a shared negative pool ``neg [M]``, let :math:`t` be the :math:`k`-th largest negative
    score (counting duplicates). A positive *hits* when its score is **strictly** greater than
    :math:`t`:

    .. math::
        \mathrm{Hits@}k = \frac{1}{P} \sum_{i=1}^{P} [\,s^+_i > t\,].

    Ties with :math:`t` therefore count as misses. As in OGB, if there are fewer negatives than
    :math:`k` (:math:`0 < M < k`) the result is ``1.0`` (every positive is in the top :math:`k`).

    With per-positive negatives ``neg [P, K]`` the same rule is applied row by row: positive
    :math:`i` hits when it is strictly above the :math:`k`-th largest score of row :math:`i`
    (``1.0`` overall when :math:`K < k`). Equivalently fewer than :math:`k` negatives score
    :math:`\ge s^+_i` (the *pessimistic* rank is :math:`\le k`). Note this differs on ties
    from the ``hits@k`` entries of :func:`mrr`, which use OGB's tie-averaged rank.

    Args:
        pos_scores (Tensor or ndarray): scores of the positive pairs ``[P]``.
        neg_scores (Tensor or ndarray): scores of the negative pairs, a shared pool ``[M]`` or
            per-positive negatives ``[P, K]``.
        k (int): the cut-off, ``>= 1``.

    Returns:
        float: Hits@K in ``[0, 1]``.

    Shapes:
        - **pos_scores:** :math:`(P)`
        - **neg_scores:** :math:`(M)` or :math:`(P, K)`

    Complexity: :math:`O(P + M \log k)` time and :math:`O(P + k)` extra memory (``torch.topk``
    for the threshold; nothing is sorted); :math:`O(P K \log k)` / :math:`O(P k)` per-positive.

    Scores may be any real dtype and may be ``±inf``; NaN raises. Empty inputs raise (OGB would
    return 1.0 for an empty negative pool, which almost always hides a bug). With :math:`k`
    at least the number of negatives (per positive) the value says next to nothing (1.0 below
    it, "above the lowest negative" at it): a :class:`MeaninglessMetricWarning` says so.

    Example:
        >>> hits_at_k(torch.tensor([3.0, 2.0, 1.0]), torch.tensor([2.0, 0.0, 0.5]), k=1)
        0.3333333333333333
    """
    k = _check_k(k)
    pos, neg = _pos_neg(pos_scores, neg_scores)
    if neg.size(-1) <= k:
        warn_meaningless_hits(k, neg.size(-1))
    if neg.size(-1) < k:
        return 1.0
    if neg.dim() == 1:
        threshold = torch.topk(neg, k, sorted=False).values.min()
    else:
        threshold = torch.topk(neg, k, dim=1, sorted=False).values.amin(dim=1)
    return float((pos > threshold).sum()) / pos.numel()


def _check_hits_ks(return_hits) -> tuple[int, ...]:
    if isinstance(return_hits, (str, bytes)) or not isinstance(return_hits, Iterable):
        raise TypeError(
            f"return_hits must be a sequence of ints >= 1 such as (1, 3, 10), got {return_hits!r}"
        )
    return tuple(_check_k(k, "each entry of return_hits") for k in return_hits)


def mrr(
    pos_scores,
    neg_scores,
    *,
    return_hits: Iterable[int] = (1, 3, 10),
    chunk_size: int | None = None,
) -> dict[str, float]:
    r"""Mean reciprocal rank (and rank-based Hits@k) with OGB's tie handling (``ogbl-citation2``).

    Positive :math:`i` is ranked against its negatives :math:`N_i` (row :math:`i` of
    ``neg [P, K]``, or the whole pool for ``neg [M]``). Ties count half:

    .. math::
        r_i = 1 + \tfrac12 \bigl( |\{n \in N_i : n > s^+_i\}|
                                 + |\{n \in N_i : n \ge s^+_i\}| \bigr),
        \qquad \mathrm{MRR} = \frac{1}{P} \sum_i \frac{1}{r_i},
        \qquad \mathrm{Hits@}k = \frac{1}{P} \sum_i [\,r_i \le k\,].

    This is the mean of OGB's ``mrr_list`` and ``hits@k_list``. Because tied ranks can be
    half-integers, a positive tied with one negative at the top has :math:`r_i = 1.5` and does
    *not* count for Hits@1. (:func:`hits_at_k` uses OGB's other, strict-threshold rule.)

    A 1-D shared pool ``neg [M]`` gives the same result as expanding it to ``[P, M]`` but is
    computed with one sort and a binary search.

    Args:
        pos_scores (Tensor or ndarray): positive scores ``[P]``.
        neg_scores (Tensor or ndarray): per-positive negatives ``[P, K]`` or a shared pool ``[M]``.
        return_hits (iterable of int, optional): cut-offs :math:`k \ge 1` for which to also
            return ``"hits@k"``; ``()`` for MRR only. (default: ``(1, 3, 10)``)
        chunk_size (int, optional): positives processed per step for ``[P, K]`` input; by
            default chosen so one step compares at most :math:`2^{24}` scores.

    Returns:
        dict[str, float]: ``{"mrr": ..., "hits@1": ..., "hits@3": ..., "hits@10": ...}``.

    Shapes:
        - **pos_scores:** :math:`(P)`
        - **neg_scores:** :math:`(P, K)` or :math:`(M)`

    Complexity: :math:`O(P K)` time and :math:`O(\min(PK, 2^{24}))` extra memory for
    ``[P, K]``; :math:`O((P + M) \log M)` time and :math:`O(P + M)` memory for ``[M]``.

    Example:
        >>> out = mrr(torch.tensor([2.0, 1.0]), torch.tensor([[1.0, 0.0], [1.0, 3.0]]))
        >>> out["mrr"], out["hits@1"], out["hits@3"]
        (0.7, 0.5, 1.0)
    """
    ks = _check_hits_ks(return_hits)
    if chunk_size is not None:
        chunk_size = _check_k(chunk_size, "chunk_size")
    pos, neg = _pos_neg(pos_scores, neg_scores)
    num_pos = pos.numel()
    acc = _acc_dtype(neg.device)

    def ranks2(p: Tensor, n: Tensor) -> Tensor:
        """Twice OGB's rank, as int64: 2 + #(n > p) + #(n >= p), row-wise."""
        p = p.unsqueeze(1)
        return 2 + (n > p).sum(dim=1) + (n >= p).sum(dim=1)

    if neg.dim() == 1:
        dtype = torch.promote_types(pos.dtype, neg.dtype)
        pool = torch.sort(neg.to(dtype)).values
        p = pos.to(dtype)
        m = pool.numel()
        greater = m - torch.searchsorted(pool, p, right=True)
        greater_equal = m - torch.searchsorted(pool, p, right=False)
        chunks = [2 + greater + greater_equal]
    else:
        rows = chunk_size or max(1, _MRR_CHUNK_ELEMENTS // neg.size(1))
        chunks = [ranks2(pos[s : s + rows], neg[s : s + rows]) for s in range(0, num_pos, rows)]

    reciprocal = torch.zeros((), dtype=acc, device=neg.device)
    hits = torch.zeros(len(ks), dtype=torch.long, device=neg.device)
    cutoffs = 2 * torch.tensor(ks, dtype=torch.long, device=neg.device)
    for r2 in chunks:
        reciprocal = reciprocal + (2.0 / r2.to(acc)).sum()
        if ks:
            hits = hits + (r2.unsqueeze(1) <= cutoffs).sum(dim=0)
    out = {"mrr": float(reciprocal) / num_pos}
    for k, h in zip(ks, hits.tolist(), strict=True):
        out[f"hits@{k}"] = h / num_pos
    return out


_HITS_NAME = re.compile(r"hits@(\d+)")


class MeaninglessMetricWarning(UserWarning):
    """A metric was computed where its value carries no information (Hits@K with K >= the negatives)."""


def warn_meaningless_hits(k: int, num_negatives: int, fix: str = "") -> None:
    """Warn that Hits@``k`` against ``num_negatives`` negatives (per positive) is meaningless."""
    import warnings

    what = "always 1.0" if num_negatives < k else "only 'above the lowest negative'"
    warnings.warn(f"hits@{k} with {num_negatives} negative(s): K >= the number of negatives, so the value is {what} "
                  f"and says nothing about the ranking; use a K below {num_negatives} or more negatives"
                  + (f" ({fix})" if fix else ""), MeaninglessMetricWarning, stacklevel=3)


def parse_link_metric(name: str) -> tuple[str, int | None]:
    """``('mrr', None)`` or ``('hits', K)`` for a metric name :func:`link_metric` accepts; else ``ValueError``.

    Example:
        >>> parse_link_metric("Hits@50")
        ('hits', 50)
    """
    if not isinstance(name, str):
        raise TypeError(f"metric name must be a str such as 'hits@50' or 'mrr', got {name!r}")
    key = name.strip().lower()
    if key == "mrr":
        return "mrr", None
    match = _HITS_NAME.fullmatch(key)
    if match is not None:
        k = int(match.group(1))
        if k < 1:
            raise ValueError(f"metric {name!r}: K in 'hits@K' must be >= 1")
        return "hits", k
    raise ValueError(
        f"unknown link metric {name!r}; valid names are 'mrr' and 'hits@K' with an integer "
        f"K >= 1 (e.g. 'hits@20', 'hits@50', 'hits@100')"
    )


def link_metric(name: str, pos_scores, neg_scores) -> float:
    """Compute a link-prediction metric by name, for model selection in training loops.

    ``"mrr"`` → :func:`mrr` (``["mrr"]``); ``"hits@K"`` (e.g. ``"hits@50"``) →
    :func:`hits_at_k` with ``k=K``. Names are case-insensitive; surrounding spaces are ignored.

    Args:
        name (str): ``"mrr"`` or ``"hits@K"`` with an integer ``K >= 1``.
        pos_scores (Tensor or ndarray): positive scores ``[P]``.
        neg_scores (Tensor or ndarray): negative scores, shared ``[M]`` or per positive ``[P, K]``.

    Returns:
        float: the metric value.

    Complexity: that of the chosen metric.

    Example:
        >>> link_metric("hits@1", torch.tensor([3.0, 1.0]), torch.tensor([2.0, 0.0]))
        0.5
    """
    kind, k = parse_link_metric(name)
    if kind == "mrr":
        return mrr(pos_scores, neg_scores, return_hits=())["mrr"]
    return hits_at_k(pos_scores, neg_scores, k)
