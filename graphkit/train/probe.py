r"""Evaluation of frozen node embeddings: the logistic-regression probe and k-means clustering.

The protocol of DMGI, HeCo and MEOW/AdaMEOW (their ``utils/evaluate.py``), vectorised:

**Classification** (:func:`linear_probe`). ``repeats`` independent logistic regressions
(``nn.Linear`` with Xavier-uniform weights and zero bias, Adam with ``lr`` / ``weight_decay``,
cross-entropy on the training nodes, full batch) are trained for ``iterations`` steps each. After
every step the validation and test nodes are scored. Per repeat, the test Macro-F1 is read at the
iteration of the best validation Macro-F1, the test Micro-F1 at the iteration of the best validation
Micro-F1, and the test AUC (one-vs-rest, macro average of the per-class AUCs of the softmax
probabilities, scikit-learn's ``roc_auc_score(multi_class='ovr')``) at the best validation
Micro-F1 iteration, as the reference code does (first best on ties). The means over the repeats
are reported. All repeats train at once as one batched problem: Adam is element-wise and the
summed loss separates, so each repeat follows exactly the trajectory of its own optimiser.

**Clustering** (:func:`probe_clustering`). k-means with as many clusters as classes, ``repeats``
times (seeds ``seed .. seed + repeats - 1``, 10 k-means++ restarts each, as scikit-learn's
``KMeans``), NMI (arithmetic normalisation) and ARI against the labels, averaged.

Model selection that uses these scores must use the validation ones only (``valid_*``).
The metric helpers :func:`roc_auc_ovr`, :func:`normalized_mutual_info` and
:func:`adjusted_rand_index` match scikit-learn (tested).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from graphkit._validation import check_features, check_int, check_real
from graphkit.ops.kmeans import kmeans

__all__ = ["linear_probe", "probe_clustering", "roc_auc_ovr", "normalized_mutual_info", "adjusted_rand_index"]


# --------------------------------------------------------------------------------------------------
# metrics
# --------------------------------------------------------------------------------------------------


def _binary_auc(score: Tensor, positive: Tensor) -> float:
    """Mann-Whitney AUC with average ranks for ties (= the trapezoidal ROC AUC)."""
    n_pos = int(positive.sum())
    n_neg = positive.numel() - n_pos
    if n_pos == 0 or n_neg == 0:
        return math.nan
    _, inverse, counts = torch.unique(score.double(), sorted=True, return_inverse=True, return_counts=True)
    upper = torch.cumsum(counts, 0).double()
    mid_rank = upper - (counts.double() - 1) / 2  # 1-based average rank of each distinct value
    rank_sum = mid_rank[inverse][positive].sum()
    return float((rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def roc_auc_ovr(scores: Tensor, y: Tensor) -> float:
    """Macro one-vs-rest ROC AUC of class scores ``[n, C]`` against labels ``[n]`` (classes present in ``y``).

    NaN when ``y`` holds a single class (the AUC is undefined).

    Example:
        >>> roc_auc_ovr(torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]), torch.tensor([0, 1, 1]))
        1.0
    """
    if scores.dim() != 2 or y.dim() != 1 or scores.size(0) != y.size(0):
        raise ValueError(f"scores must be [n, C] and y [n], got {list(scores.shape)} and {list(y.shape)}")
    present = torch.unique(y).tolist()
    if len(present) < 2:
        return math.nan  # undefined with one class (scikit-learn raises)
    return sum(_binary_auc(scores[:, c], y == c) for c in present) / len(present)


def _contingency(a: Tensor, b: Tensor) -> Tensor:
    _, ai = torch.unique(a, return_inverse=True)
    _, bi = torch.unique(b, return_inverse=True)
    na, nb = int(ai.max()) + 1, int(bi.max()) + 1
    return torch.bincount(ai * nb + bi, minlength=na * nb).view(na, nb).double()


def normalized_mutual_info(labels_true: Tensor, labels_pred: Tensor) -> float:
    """NMI with arithmetic-mean normalisation (scikit-learn's default).

    Example:
        >>> normalized_mutual_info(torch.tensor([0, 0, 1, 1]), torch.tensor([1, 1, 0, 0]))
        1.0
    """
    table = _contingency(labels_true, labels_pred)
    n = table.sum()
    pa, pb = table.sum(1) / n, table.sum(0) / n
    ha = -(pa * torch.log(pa)).sum()
    hb = -(pb * torch.log(pb)).sum()
    if table.size(0) == 1 or table.size(1) == 1:
        return 1.0 if table.size(0) == table.size(1) else 0.0
    pij = table / n
    nz = pij > 0
    mi = (pij[nz] * (torch.log(pij[nz]) - torch.log(pa.view(-1, 1).expand_as(pij)[nz])
                     - torch.log(pb.view(1, -1).expand_as(pij)[nz]))).sum()
    return float(mi / ((ha + hb) / 2)) if float(ha + hb) > 0 else 1.0


def adjusted_rand_index(labels_true: Tensor, labels_pred: Tensor) -> float:
    """Adjusted Rand index (Hubert & Arabie), as scikit-learn's ``adjusted_rand_score``.

    Example:
        >>> adjusted_rand_index(torch.tensor([0, 0, 1, 1]), torch.tensor([1, 1, 0, 0]))
        1.0
    """
    table = _contingency(labels_true, labels_pred)
    n = table.sum()

    def comb2(v):
        return (v * (v - 1) / 2).sum()

    sum_ij, sum_a, sum_b = comb2(table), comb2(table.sum(1)), comb2(table.sum(0))
    total = n * (n - 1) / 2
    expected = sum_a * sum_b / total
    max_index = (sum_a + sum_b) / 2
    if float(max_index - expected) == 0:
        return 1.0
    return float((sum_ij - expected) / (max_index - expected))


def _f1_scores(pred: Tensor, y: Tensor, num_classes: int) -> tuple[Tensor, Tensor]:
    """Per-repeat ``(macro_f1 [R], micro_f1 [R])`` of predictions ``[R, n]`` (scikit-learn semantics)."""
    repeats = pred.size(0)
    c = num_classes
    offset = (torch.arange(repeats, device=pred.device) * (c * c)).view(-1, 1)
    confusion = torch.bincount((offset + pred * c + y.view(1, -1)).reshape(-1), minlength=repeats * c * c)
    confusion = confusion.view(repeats, c, c).double()  # [r, predicted, true]
    tp = confusion.diagonal(dim1=1, dim2=2)
    denom = confusion.sum(2) + confusion.sum(1)  # predicted + true counts
    f1 = torch.where(denom > 0, 2 * tp / denom.clamp_min(1), torch.zeros_like(tp))
    present = denom > 0  # classes in the truth or the prediction (scikit-learn's label set)
    macro = (f1 * present).sum(1) / present.sum(1)
    micro = tp.sum(1) / y.numel()
    return macro, micro


# --------------------------------------------------------------------------------------------------
# the probes
# --------------------------------------------------------------------------------------------------


def _index(mask_or_index: Tensor, n: int, name: str) -> Tensor:
    if mask_or_index.dtype == torch.bool:
        if mask_or_index.numel() != n:
            raise ValueError(f"{name} mask has {mask_or_index.numel()} entries, expected {n} (one per node)")
        out = mask_or_index.nonzero().view(-1)
    else:
        out = mask_or_index.long().view(-1)
    if out.numel() == 0:
        raise ValueError(f"the {name} split is empty")
    return out


def linear_probe(embedding: Tensor, y: Tensor, train: Tensor, valid: Tensor, test: Tensor, *, repeats: int = 50,
                 iterations: int = 200, lr: float = 0.01, weight_decay: float = 0.0, seed: int = 0) -> dict[str, float]:
    """The logistic-regression probe of the module doc.

    Args:
        embedding: ``[N, d]`` frozen embeddings.
        y: ``[N]`` class ids ``0..C-1``.
        train, valid, test: boolean masks ``[N]`` or index tensors.
        repeats: independent classifiers (default 50). iterations: Adam steps each (default 200).
        lr, weight_decay: Adam's (the reference code's ``eva_lr`` / ``eva_wd``).
        seed: seed of the classifiers' initial weights.

    Returns:
        ``test_macro_f1``, ``test_micro_f1``, ``test_auc`` (means over repeats, in [0, 1]),
        their ``_std``, and ``valid_macro_f1`` / ``valid_micro_f1`` / ``valid_auc`` at the same
        iterations.

    Example:
        >>> g = torch.Generator().manual_seed(0)
        >>> x = torch.cat([torch.randn(30, 4, generator=g) + 3, torch.randn(30, 4, generator=g) - 3])
        >>> y = torch.arange(60) // 30
        >>> idx = torch.randperm(60, generator=g)
        >>> out = linear_probe(x, y, idx[:10], idx[10:30], idx[30:], repeats=5, iterations=50, lr=0.05)
        >>> out["test_micro_f1"] > 0.95, out["test_auc"] > 0.95
        (True, True)
    """
    check_features(embedding, name="embedding")
    n = embedding.size(0)
    if y.dim() != 1 or y.numel() != n or y.is_floating_point():
        raise ValueError(f"y must be [N] integer class ids with N = {n} rows of the embedding, got "
                         f"{list(y.shape)} {y.dtype}")
    repeats = check_int("repeats", repeats, minimum=1)
    iterations = check_int("iterations", iterations, minimum=1)
    lr = check_real("lr", lr, low=0.0, low_open=True)
    weight_decay = check_real("weight_decay", weight_decay, low=0.0)
    device = embedding.device
    x = embedding.detach().float()
    y = y.to(device).long()
    num_classes = int(y.max()) + 1
    tr, va, te = (_index(m, n, name).to(device) for m, name in ((train, "train"), (valid, "valid"), (test, "test")))
    gen = torch.Generator().manual_seed(int(seed))
    d = x.size(1)
    bound = math.sqrt(6.0 / (d + num_classes))
    weight = ((torch.rand(repeats, d, num_classes, generator=gen) * 2 - 1) * bound).to(device).requires_grad_()
    bias = torch.zeros(repeats, 1, num_classes, device=device, requires_grad=True)
    opt = torch.optim.Adam([weight, bias], lr=lr, weight_decay=weight_decay)
    xt, yt = x[tr], y[tr].expand(repeats, -1)

    def scores(features: Tensor, w: Tensor, b: Tensor) -> Tensor:
        """``[n, R, C]`` logits of every repeat: one 2-D GEMM ``[n, d] x [d, R C]`` (a batched one is slow)."""
        flat = features @ w.permute(1, 0, 2).reshape(d, repeats * num_classes)
        return flat.view(-1, repeats, num_classes) + b.view(1, repeats, num_classes)

    xv, yv, xs, ys = x[va], y[va], x[te], y[te]
    history = {key: [] for key in ("val_macro", "val_micro", "test_macro", "test_micro")}
    snapshots_w, snapshots_b = [], []
    with torch.enable_grad():
        for _ in range(iterations):
            opt.zero_grad()
            logits = scores(xt, weight, bias).transpose(0, 1)  # [R, n_train, C]
            loss = F.cross_entropy(logits.transpose(1, 2), yt, reduction="none").mean(1).sum()
            loss.backward()
            opt.step()
            with torch.no_grad():
                vm, vi = _f1_scores(scores(xv, weight, bias).argmax(2).t(), yv, num_classes)
                tm, ti = _f1_scores(scores(xs, weight, bias).argmax(2).t(), ys, num_classes)
                for key, value in zip(history, (vm, vi, tm, ti), strict=True):
                    history[key].append(value)
                snapshots_w.append(weight.detach().clone())
                snapshots_b.append(bias.detach().clone())
    h = {key: torch.stack(v) for key, v in history.items()}  # [T, R]
    best_macro = h["val_macro"].argmax(0)  # first maximum
    best_micro = h["val_micro"].argmax(0)
    rep = torch.arange(repeats, device=device)
    test_macro = h["test_macro"][best_macro, rep]
    test_micro = h["test_micro"][best_micro, rep]
    valid_macro = h["val_macro"][best_macro, rep]
    valid_micro = h["val_micro"][best_micro, rep]
    w_at = torch.stack(snapshots_w)[best_micro, rep]  # [R, d, C]
    b_at = torch.stack(snapshots_b)[best_micro, rep]
    test_prob = torch.softmax(torch.matmul(xs, w_at) + b_at, -1)
    val_prob = torch.softmax(torch.matmul(xv, w_at) + b_at, -1)
    test_auc = torch.tensor([roc_auc_ovr(test_prob[r], ys) for r in range(repeats)], dtype=torch.float64)
    val_auc = torch.tensor([roc_auc_ovr(val_prob[r], yv) for r in range(repeats)], dtype=torch.float64)

    def std(v):
        return float(v.double().std(unbiased=False))

    return {"test_macro_f1": float(test_macro.mean()), "test_micro_f1": float(test_micro.mean()),
            "test_auc": float(test_auc.mean()), "test_macro_f1_std": std(test_macro),
            "test_micro_f1_std": std(test_micro), "test_auc_std": std(test_auc),
            "valid_macro_f1": float(valid_macro.mean()), "valid_micro_f1": float(valid_micro.mean()),
            "valid_auc": float(val_auc.mean())}


def probe_clustering(embedding: Tensor, y: Tensor, *, repeats: int = 10, seed: int = 0, n_init: int = 10,
                     max_iter: int = 300) -> dict[str, float]:
    """k-means (as many clusters as classes) ``repeats`` times: mean NMI and ARI against ``y``.

    Example:
        >>> x = torch.cat([torch.randn(20, 2), torch.randn(20, 2) + 8])
        >>> probe_clustering(x, torch.arange(40) // 20, repeats=2)
        {'nmi': 1.0, 'ari': 1.0}
    """
    check_features(embedding, name="embedding")
    repeats = check_int("repeats", repeats, minimum=1)
    y = y.to(embedding.device).long()
    if y.dim() != 1 or y.numel() != embedding.size(0):
        raise ValueError(f"y must be [N] class ids, one per embedding row, got {list(y.shape)}")
    k = int(torch.unique(y).numel())
    nmi, ari = [], []
    for r in range(repeats):
        labels = kmeans(embedding.detach().float(), k, n_init=n_init, max_iter=max_iter, seed=seed + r).labels
        nmi.append(normalized_mutual_info(y, labels))
        ari.append(adjusted_rand_index(y, labels))
    return {"nmi": sum(nmi) / repeats, "ari": sum(ari) / repeats}
