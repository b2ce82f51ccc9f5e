"""Tests for graphkit.metrics against OGB's Evaluator, scikit-learn and hand-computed values."""

from __future__ import annotations

import doctest
import importlib.util
import os
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from graphkit import metrics
from graphkit.metrics import accuracy, f1_score, hits_at_k, link_metric, mrr

# ogb 1.3.6 starts a thread at import that asks PyPI whether it is outdated; keep tests offline.
os.environ.setdefault("OUTDATED_IGNORE", "1")

SEEDS = range(40)

# the OGB cross-checks draw pools smaller than K on purpose; test_hits_with_k_at_least_the_negatives_warns checks the
# warning itself
pytestmark = pytest.mark.filterwarnings("ignore::graphkit.metrics.MeaninglessMetricWarning")


# --------------------------------------------------------------------------------------------------
# references
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ogb_evaluator():
    """``ogb.linkproppred.Evaluator``, loaded without the network check or the PyG data stack.

    ``import ogb`` would start ogb/version.py's PyPI check (through the ``outdated`` package) in a
    non-daemon thread, so ``outdated`` is hidden while ogb is first imported. The evaluator
    module is loaded from its file because ``ogb.linkproppred/__init__`` also imports the
    dataset classes (and with them all of torch_geometric), which costs seconds and is unused.
    """
    hide = "ogb" not in sys.modules and "outdated" not in sys.modules
    if hide:
        sys.modules["outdated"] = None  # makes `from outdated import ...` raise ImportError
    try:
        ogb = pytest.importorskip("ogb")
    finally:
        if hide:
            del sys.modules["outdated"]
    if "ogb.linkproppred.evaluate" in sys.modules:
        return sys.modules["ogb.linkproppred.evaluate"].Evaluator
    path = Path(ogb.__file__).parent / "linkproppred" / "evaluate.py"
    spec = importlib.util.spec_from_file_location("_ogb_linkproppred_evaluate", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Evaluator


@pytest.fixture(scope="module")
def sk_f1():
    sklearn_metrics = pytest.importorskip("sklearn.metrics")

    def f1(y_true, y_pred, **kwargs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # UndefinedMetricWarning for absent labels
            return sklearn_metrics.f1_score(y_true, y_pred, **kwargs)

    return f1


def random_scores(gen: torch.Generator, shape, ties: bool) -> torch.Tensor:
    """Continuous scores, or scores from a small integer set so that ties are frequent."""
    if ties:
        return torch.randint(0, 5, shape, generator=gen).float()
    return torch.randn(shape, generator=gen)


# --------------------------------------------------------------------------------------------------
# hits_at_k
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("k", [10, 50, 100])
def test_hits_matches_ogb_collab(ogb_evaluator, k, ties):
    evaluator = ogb_evaluator("ogbl-collab")
    assert evaluator.eval_metric == "hits@50"
    evaluator.K = k  # the protocol of ogb's collab example
    for seed in SEEDS:
        gen = torch.Generator().manual_seed(seed)
        num_pos = int(torch.randint(1, 60, (1,), generator=gen))
        num_neg = int(torch.randint(1, 200, (1,), generator=gen))  # sometimes < k
        pos = random_scores(gen, (num_pos,), ties)
        neg = random_scores(gen, (num_neg,), ties)
        expected = evaluator.eval({"y_pred_pos": pos, "y_pred_neg": neg})[f"hits@{k}"]
        expected_np = evaluator.eval({"y_pred_pos": pos.numpy(), "y_pred_neg": neg.numpy()})[f"hits@{k}"]
        assert expected == pytest.approx(expected_np, abs=1e-12)
        assert hits_at_k(pos, neg, k) == pytest.approx(expected, abs=1e-6)
        assert hits_at_k(pos.numpy(), neg.numpy(), k) == pytest.approx(expected, abs=1e-6)
        assert link_metric(f"hits@{k}", pos, neg) == pytest.approx(expected, abs=1e-6)


def test_hits_strict_threshold_by_hand():
    neg = torch.tensor([5.0, 3.0, 3.0, 1.0])
    # k=2: threshold is the 2nd largest negative, 3.0; positives equal to it miss
    assert hits_at_k(torch.tensor([3.0, 3.5, 6.0, 2.0]), neg, 2) == 0.5
    # k=3: threshold is 3.0 again (duplicates count)
    assert hits_at_k(torch.tensor([3.0, 3.5]), neg, 3) == 0.5
    # k=4: threshold 1.0
    assert hits_at_k(torch.tensor([1.0, 1.5, 0.0]), neg, 4) == pytest.approx(1 / 3)
    # k=1 and P = 1
    assert hits_at_k(torch.tensor([5.0]), neg, 1) == 0.0
    assert hits_at_k(torch.tensor([5.5]), neg, 1) == 1.0


def test_hits_fewer_negatives_than_k_is_one():
    pos = torch.tensor([-10.0, 0.0])
    assert hits_at_k(pos, torch.tensor([1.0, 2.0, 3.0]), 4) == 1.0
    assert hits_at_k(pos, torch.tensor([1.0, 2.0, 3.0]), 3) == 0.0
    assert hits_at_k(pos, torch.tensor([[5.0], [5.0]]), 2) == 1.0


def test_hits_all_ties():
    pos = torch.full((7,), 2.0)
    assert hits_at_k(pos, torch.full((30,), 2.0), 10) == 0.0
    assert hits_at_k(pos, torch.full((7, 30), 2.0), 10) == 0.0


def test_hits_infinite_and_integer_scores():
    assert hits_at_k(torch.tensor([float("inf"), 1.0]), torch.tensor([float("-inf"), 2.0]), 1) == 0.5
    assert hits_at_k(torch.tensor([3, 1]), torch.tensor([2, 0, 2]), 2) == 0.5
    # mixed dtypes compare by value
    assert hits_at_k(torch.tensor([3, 1]), torch.tensor([2.5, 0.5], dtype=torch.float64), 1) == 0.5
    assert hits_at_k(torch.tensor([3.0, 1.0]).half(), torch.tensor([2.0, 0.0]).half(), 1) == 0.5


def test_hits_with_k_at_least_the_negatives_warns():
    from graphkit.metrics import MeaninglessMetricWarning

    pos = torch.tensor([0.1, 0.2])
    with pytest.warns(MeaninglessMetricWarning, match=r"hits@100 with 7 negative\(s\).*always 1.0"):
        assert hits_at_k(pos, torch.randn(7), 100) == 1.0
    with pytest.warns(MeaninglessMetricWarning, match="hits@15 with 15 negative"):
        hits_at_k(pos, torch.randn(2, 15), 15)
    with pytest.warns(MeaninglessMetricWarning):
        link_metric("hits@8", pos, torch.randn(3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hits_at_k(pos, torch.randn(16), 15)  # more negatives than K: no warning


@pytest.mark.parametrize("ties", [False, True])
def test_hits_per_positive_rows_brute_force(ties):
    for seed in SEEDS:
        gen = torch.Generator().manual_seed(seed)
        num_pos, num_neg = (
            int(torch.randint(1, 30, (1,), generator=gen)),
            int(torch.randint(1, 40, (1,), generator=gen)),
        )
        pos, neg = random_scores(gen, (num_pos,), ties), random_scores(gen, (num_pos, num_neg), ties)
        for k in (1, 3, 10, 50):
            if num_neg < k:
                expected = 1.0
            else:
                kth = neg.sort(dim=1, descending=True).values[:, k - 1]
                expected = float((pos > kth).double().mean())
                # equivalently: fewer than k negatives score >= the positive (pessimistic rank)
                assert expected == pytest.approx(float(((neg >= pos[:, None]).sum(1) < k).double().mean()))
            assert hits_at_k(pos, neg, k) == pytest.approx(expected, abs=1e-12)


# --------------------------------------------------------------------------------------------------
# mrr
# --------------------------------------------------------------------------------------------------


def _ogb_mrr(evaluator, pos, neg):
    out = evaluator.eval({"y_pred_pos": pos, "y_pred_neg": neg})
    return {
        "mrr": float(out["mrr_list"].double().mean()),
        **{f"hits@{k}": float(out[f"hits@{k}_list"].double().mean()) for k in (1, 3, 10)},
    }


@pytest.mark.parametrize("ties", [False, True])
def test_mrr_matches_ogb_citation2(ogb_evaluator, ties):
    evaluator = ogb_evaluator("ogbl-citation2")
    assert evaluator.eval_metric == "mrr"
    for seed in SEEDS:
        gen = torch.Generator().manual_seed(seed)
        num_pos = int(torch.randint(1, 80, (1,), generator=gen))
        num_neg = int(torch.randint(1, 120, (1,), generator=gen))
        pos = random_scores(gen, (num_pos,), ties)
        neg = random_scores(gen, (num_pos, num_neg), ties)
        expected = _ogb_mrr(evaluator, pos, neg)
        got = mrr(pos, neg)
        assert got.keys() == expected.keys()
        for key, value in expected.items():
            assert got[key] == pytest.approx(value, abs=1e-6), key
        assert mrr(pos.numpy(), neg.numpy()) == pytest.approx(got, abs=1e-12)
        assert link_metric("mrr", pos, neg) == pytest.approx(expected["mrr"], abs=1e-6)
        # chunking over positives does not change anything
        assert mrr(pos, neg, chunk_size=1) == pytest.approx(got, abs=1e-12)
        assert mrr(pos, neg, chunk_size=7) == pytest.approx(got, abs=1e-12)


@pytest.mark.parametrize("ties", [False, True])
def test_mrr_shared_pool_equals_expanded(ogb_evaluator, ties):
    evaluator = ogb_evaluator("ogbl-citation2")
    for seed in SEEDS:
        gen = torch.Generator().manual_seed(seed)
        num_pos, num_neg = (
            int(torch.randint(1, 50, (1,), generator=gen)),
            int(torch.randint(1, 70, (1,), generator=gen)),
        )
        pos, pool = random_scores(gen, (num_pos,), ties), random_scores(gen, (num_neg,), ties)
        expected = _ogb_mrr(evaluator, pos, pool.expand(num_pos, -1))
        got = mrr(pos, pool)
        for key, value in expected.items():
            assert got[key] == pytest.approx(value, abs=1e-6), key
        # integer scores against a float pool go through the same promotion as a comparison
        got_int = mrr(pos.long(), pool) if ties else got
        assert got_int == pytest.approx(got, abs=1e-12)


def test_mrr_by_hand_and_ties_count_half():
    pos = torch.tensor([2.0, 1.0, 0.0])
    neg = torch.tensor([[1.0, 0.0, -1.0], [1.5, 3.0, 0.0], [0.0, 0.0, 0.0]])
    # ranks: 1; 3; 1 + (0 + 3) / 2 = 2.5
    out = mrr(pos, neg, return_hits=(1, 2, 3))
    assert out == pytest.approx(
        {"mrr": (1 + 1 / 3 + 1 / 2.5) / 3, "hits@1": 1 / 3, "hits@2": 1 / 3, "hits@3": 1.0}
    )
    # one tie at the top: rank 1.5, not a hit@1
    assert mrr(torch.tensor([1.0]), torch.tensor([[1.0, 0.0]]), return_hits=(1, 2)) == {
        "mrr": pytest.approx(2 / 3),
        "hits@1": 0.0,
        "hits@2": 1.0,
    }


def test_mrr_all_ties_and_single_positive():
    # P positives tied with all K negatives: rank 1 + K / 2
    out = mrr(torch.zeros(4), torch.zeros(4, 6), return_hits=(3, 4, 10))
    assert out == pytest.approx({"mrr": 1 / 4, "hits@3": 0.0, "hits@4": 1.0, "hits@10": 1.0})
    assert mrr(torch.zeros(4), torch.zeros(6), return_hits=(4,)) == pytest.approx(
        {"mrr": 0.25, "hits@4": 1.0}
    )
    assert mrr(torch.tensor([9.0]), torch.tensor([[1.0, 2.0]])) == {
        "mrr": 1.0,
        "hits@1": 1.0,
        "hits@3": 1.0,
        "hits@10": 1.0,
    }


def test_mrr_return_hits_options():
    pos, neg = torch.tensor([1.0, 0.0]), torch.tensor([[0.5, 2.0], [0.5, 2.0]])
    assert mrr(pos, neg, return_hits=()) == {"mrr": pytest.approx((1 / 2 + 1 / 3) / 2)}
    assert list(mrr(pos, neg, return_hits=[5, 2])) == ["mrr", "hits@5", "hits@2"]
    assert mrr(pos, neg, return_hits=(np.int64(2),))["hits@2"] == 0.5


def test_mrr_default_chunk_is_bounded(monkeypatch):
    monkeypatch.setattr(metrics, "_MRR_CHUNK_ELEMENTS", 10)
    gen = torch.Generator().manual_seed(0)
    pos, neg = random_scores(gen, (23,), True), random_scores(gen, (23, 4), True)
    chunked = mrr(pos, neg)  # 2 rows per step
    monkeypatch.setattr(metrics, "_MRR_CHUNK_ELEMENTS", 1 << 24)
    assert chunked == pytest.approx(mrr(pos, neg), abs=1e-12)
    monkeypatch.setattr(metrics, "_MRR_CHUNK_ELEMENTS", 1)  # K > elements: still one row per step
    assert mrr(pos, neg) == pytest.approx(chunked, abs=1e-12)


# --------------------------------------------------------------------------------------------------
# link_metric
# --------------------------------------------------------------------------------------------------


def test_link_metric_names():
    pos, neg = torch.tensor([3.0, 1.0]), torch.tensor([2.0, 0.0, 1.0])
    assert link_metric("hits@1", pos, neg) == 0.5
    assert link_metric(" HITS@2 ", pos, neg) == 0.5
    assert link_metric("Hits@3", pos, neg) == 1.0
    assert link_metric("hits@100", pos, neg) == 1.0
    assert link_metric("MRR", pos, neg) == pytest.approx((1 + 1 / 2.5) / 2)
    # the training loop's fail-fast probe
    for name in ("mrr", "hits@20", "hits@50", "hits@100"):
        assert link_metric(name, torch.ones(1), torch.zeros(1)) == 1.0
    assert metrics.LINK_METRIC_NAMES == ("mrr", "hits@K")


@pytest.mark.parametrize("name", ["auc", "hits", "hits@", "hits@k", "hits@-1", "hits@1.5", "mrr@10", "hr@10"])
def test_link_metric_unknown_name_lists_valid_ones(name):
    with pytest.raises(ValueError, match=r"unknown link metric .*valid names are 'mrr' and 'hits@K'"):
        link_metric(name, torch.ones(1), torch.zeros(1))


def test_link_metric_bad_name_type_and_k():
    with pytest.raises(TypeError, match="metric name must be a str"):
        link_metric(50, torch.ones(1), torch.zeros(1))
    with pytest.raises(ValueError, match=r"'hits@0'.*must be >= 1"):
        link_metric("hits@0", torch.ones(1), torch.zeros(1))


# --------------------------------------------------------------------------------------------------
# accuracy
# --------------------------------------------------------------------------------------------------


def test_accuracy_by_hand():
    target = torch.tensor([0, 1, 2, 1])
    assert accuracy(torch.tensor([0, 1, 1, 1]), target) == 0.75
    logits = torch.tensor([[3.0, 0.0, 0.0], [0.0, 1.0, 2.0], [0.1, 0.2, 0.3], [5.0, 5.0, 0.0]])
    # argmax: 0, 2, 2, 0 (the tie in the last row goes to the lowest index)
    assert accuracy(logits, target) == 0.5
    assert accuracy(logits.softmax(dim=1), target) == 0.5
    assert accuracy(logits.numpy(), target.numpy()) == 0.5
    assert accuracy(np.array([5, -1, 7]), np.array([5, -1, 8], dtype=np.int32)) == pytest.approx(2 / 3)
    assert accuracy(torch.tensor([True, False]), torch.tensor([1, 1])) == 0.5
    assert accuracy(torch.tensor([2]), torch.tensor([2])) == 1.0


def test_accuracy_equals_micro_f1(sk_f1):
    for seed in range(10):
        gen = torch.Generator().manual_seed(seed)
        logits = torch.randn(50, 6, generator=gen)
        target = torch.randint(0, 6, (50,), generator=gen)
        assert accuracy(logits, target) == pytest.approx(f1_score(logits, target), abs=1e-12)
        assert accuracy(logits, target) == pytest.approx(sk_f1(target, logits.argmax(1), average="micro"))


# --------------------------------------------------------------------------------------------------
# f1_score
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("average", ["micro", "macro"])
def test_f1_multiclass_matches_sklearn(sk_f1, average):
    for seed in SEEDS:
        gen = torch.Generator().manual_seed(seed)
        num_classes = int(torch.randint(2, 9, (1,), generator=gen))
        n = int(torch.randint(1, 40, (1,), generator=gen))
        # draw from a random subset of the classes so that some are absent from target, pred or both
        present = torch.randperm(num_classes, generator=gen)[: max(1, num_classes - 2)]
        target = present[torch.randint(0, present.numel(), (n,), generator=gen)]
        pred = torch.randint(0, num_classes, (n,), generator=gen)
        agree = torch.rand(n, generator=gen) < 0.5
        pred[agree] = target[agree]  # some agreement
        y, p = target.numpy(), pred.numpy()
        assert f1_score(pred, target, average=average) == pytest.approx(
            sk_f1(y, p, average=average), abs=1e-12
        )
        assert f1_score(pred, target, average=average, num_classes=num_classes) == pytest.approx(
            sk_f1(y, p, average=average, labels=list(range(num_classes))), abs=1e-12
        )
        assert f1_score(p, y, average=average) == pytest.approx(sk_f1(y, p, average=average), abs=1e-12)


@pytest.mark.parametrize("average", ["micro", "macro"])
def test_f1_multiclass_logits_and_arbitrary_labels(sk_f1, average):
    gen = torch.Generator().manual_seed(1)
    logits = torch.randn(30, 5, generator=gen)
    target = torch.randint(0, 3, (30,), generator=gen)  # classes 3, 4 never true
    expected = sk_f1(target.numpy(), logits.argmax(1).numpy(), average=average)
    assert f1_score(logits, target, average=average) == pytest.approx(expected, abs=1e-12)
    expected_all = sk_f1(target.numpy(), logits.argmax(1).numpy(), average=average, labels=range(5))
    assert f1_score(logits, target, average=average, num_classes=5) == pytest.approx(expected_all, abs=1e-12)
    # labels need not be 0..C-1 without num_classes (as sklearn)
    y, p = np.array([-1, 7, 7, 100, -1]), np.array([-1, 7, 100, 100, 3])
    assert f1_score(p, y, average=average) == pytest.approx(sk_f1(y, p, average=average), abs=1e-12)


def test_f1_macro_absent_classes_by_hand():
    pred, target = torch.tensor([0, 2, 1, 0]), torch.tensor([0, 1, 1, 0])
    # labels {0, 1, 2}: F1 = 1, 2/3, 0
    assert f1_score(pred, target, average="macro") == pytest.approx((1 + 2 / 3 + 0) / 3)
    # labels {0, 1, 2, 3}: class 3 is neither true nor predicted and contributes 0
    assert f1_score(pred, target, average="macro", num_classes=4) == pytest.approx((1 + 2 / 3) / 4)
    assert f1_score(pred, target, average="micro", num_classes=4) == 0.75


@pytest.mark.parametrize("average", ["micro", "macro"])
def test_f1_multilabel_matches_sklearn(sk_f1, average):
    for seed in SEEDS:
        gen = torch.Generator().manual_seed(seed)
        n, num_labels = (
            int(torch.randint(1, 30, (1,), generator=gen)),
            int(torch.randint(2, 8, (1,), generator=gen)),  # L = 1: see the next test
        )
        target = (torch.rand(n, num_labels, generator=gen) < 0.3).long()
        pred = (torch.rand(n, num_labels, generator=gen) < 0.3).long()
        target[:, 0] = 0  # a label that is never true ...
        target[:, -1] = 0  # ... and one that is neither true nor predicted
        pred[:, -1] = 0
        expected = sk_f1(target.numpy(), pred.numpy(), average=average)
        assert f1_score(pred, target, average=average) == pytest.approx(expected, abs=1e-12)
        assert f1_score(pred.bool(), target.float(), average=average) == pytest.approx(expected, abs=1e-12)
        assert f1_score(
            pred.numpy(), target.numpy(), average=average, num_classes=num_labels
        ) == pytest.approx(expected, abs=1e-12)


def test_f1_single_label_column_is_binary_f1(sk_f1):
    """An [N, 1] target is one label column; sklearn instead reads it as a 1-D binary vector."""
    for seed in range(10):
        gen = torch.Generator().manual_seed(seed)
        target = (torch.rand(25, 1, generator=gen) < 0.4).long()
        pred = (torch.rand(25, 1, generator=gen) < 0.4).long()
        binary = sk_f1(target[:, 0].numpy(), pred[:, 0].numpy(), average="binary")
        for average in ("micro", "macro"):
            assert f1_score(pred, target, average=average) == pytest.approx(binary, abs=1e-12)
    # where the two readings differ: sklearn's macro also averages in class 0
    target, pred = np.array([[1], [0], [0], [0]]), np.zeros((4, 1), dtype=np.int64)
    for average in ("micro", "macro"):
        assert f1_score(pred, target, average=average) == 0.0
    assert sk_f1(target, pred, average="macro") == pytest.approx((0 + 6 / 7) / 2)
    assert sk_f1(target, pred, average="micro") == pytest.approx(3 / 4)  # accuracy there


def test_f1_multilabel_by_hand_and_nothing_positive(sk_f1):
    target = torch.tensor([[1, 0, 0], [1, 1, 0]])
    pred = torch.tensor([[1, 1, 0], [0, 1, 0]])
    # label 0: tp 1 fp 0 fn 1 -> 2/3; label 1: tp 1 fp 1 fn 0 -> 2/3; label 2: 0/0 -> 0
    assert f1_score(pred, target, average="macro") == pytest.approx(4 / 9)
    assert f1_score(pred, target, average="micro") == pytest.approx(4 / 6)
    zeros = torch.zeros(3, 2, dtype=torch.long)
    for average in ("micro", "macro"):
        assert f1_score(zeros, zeros, average=average) == 0.0
        assert sk_f1(zeros.numpy(), zeros.numpy(), average=average) == 0.0


# --------------------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------------------


NAN = float("nan")


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        # hits_at_k
        (lambda: hits_at_k(torch.ones(3), torch.zeros(5), 0), ValueError, r"k must be an int >= 1, got 0"),
        (lambda: hits_at_k(torch.ones(3), torch.zeros(5), -2), ValueError, r"k must be an int >= 1"),
        (lambda: hits_at_k(torch.ones(3), torch.zeros(5), 2.0), TypeError, r"k must be an int >= 1, got 2.0"),
        (lambda: hits_at_k(torch.ones(3), torch.zeros(5), True), TypeError, r"k must be an int"),
        (lambda: hits_at_k(torch.ones(0), torch.zeros(5), 1), ValueError, r"pos_scores is empty"),
        (lambda: hits_at_k(torch.ones(3), torch.zeros(0), 1), ValueError, r"neg_scores is empty"),
        (lambda: hits_at_k(torch.ones(3), torch.zeros(3, 0), 1), ValueError, r"neg_scores is empty"),
        (
            lambda: hits_at_k(torch.tensor([1.0, NAN]), torch.zeros(5), 1),
            ValueError,
            r"pos_scores contains 1 NaN value\(s\).*torch.isnan",
        ),
        (
            lambda: hits_at_k(torch.ones(2), torch.tensor([NAN, NAN]), 1),
            ValueError,
            r"neg_scores contains 2 NaN",
        ),
        (
            lambda: hits_at_k(torch.ones(3, 1), torch.zeros(5), 1),
            ValueError,
            r"pos_scores must have shape \[P\], got \[3, 1\]; flatten it with pos_scores.view\(-1\)",
        ),
        (
            lambda: hits_at_k(torch.ones(()), torch.zeros(5), 1),
            ValueError,
            r"pos_scores must have shape \[P\]",
        ),
        (
            lambda: hits_at_k(torch.ones(3), torch.zeros(2, 3, 4), 1),
            ValueError,
            r"neg_scores must have shape \[M\] \(shared pool\) or \[P, K\]",
        ),
        (
            lambda: hits_at_k(torch.ones(3), torch.zeros(4, 5), 1),
            ValueError,
            r"neg_scores has shape \[4, 5\] but there are 3 positives; per-positive negatives need shape \[P, K\]",
        ),
        (
            lambda: hits_at_k(torch.ones(3).bool(), torch.zeros(5), 1),
            TypeError,
            r"pos_scores must hold real-valued",
        ),
        (
            lambda: hits_at_k([1.0, 2.0], torch.zeros(5), 1),
            TypeError,
            r"pos_scores must be a torch.Tensor or a numpy.ndarray, got list",
        ),
        (
            lambda: hits_at_k(torch.ones(2), np.array(["a", "b"], dtype=object), 1),
            TypeError,
            r"neg_scores is a NumPy array of dtype object",
        ),
        # mrr
        (
            lambda: mrr(torch.ones(2), torch.zeros(2, 3), return_hits=(0,)),
            ValueError,
            r"each entry of return_hits must be an int >= 1, got 0",
        ),
        (
            lambda: mrr(torch.ones(2), torch.zeros(2, 3), return_hits=10),
            TypeError,
            r"return_hits must be a sequence",
        ),
        (
            lambda: mrr(torch.ones(2), torch.zeros(2, 3), return_hits="10"),
            TypeError,
            r"return_hits must be a sequence",
        ),
        (
            lambda: mrr(torch.ones(2), torch.zeros(2, 3), chunk_size=0),
            ValueError,
            r"chunk_size must be an int >= 1",
        ),
        (
            lambda: mrr(torch.ones(2), torch.zeros(3, 3)),
            ValueError,
            r"neg_scores has shape \[3, 3\] but there are 2",
        ),
        (lambda: mrr(torch.ones(0), torch.zeros(0, 3)), ValueError, r"pos_scores is empty"),
        (lambda: mrr(torch.ones(2), torch.zeros(2, 0)), ValueError, r"neg_scores is empty"),
        (
            lambda: mrr(torch.ones(2), torch.tensor([[0.0, NAN], [0.0, 0.0]])),
            ValueError,
            r"neg_scores contains 1 NaN",
        ),
        # accuracy
        (
            lambda: accuracy(torch.tensor([0, 1]), torch.tensor([0, 1, 1])),
            ValueError,
            r"pred has 2 entries but target has 3",
        ),
        (
            lambda: accuracy(torch.randn(2, 3), torch.tensor([0, 1, 1])),
            ValueError,
            r"pred has 2 rows but target has 3 entries",
        ),
        (
            lambda: accuracy(torch.randn(3, 2), torch.tensor([0, 1, 2])),
            ValueError,
            r"target contains class 2 but pred has 2 class columns; targets must lie in \[0, 2\)",
        ),
        (
            lambda: accuracy(torch.randn(3, 2), torch.tensor([0, -1, 1])),
            ValueError,
            r"target contains class -1",
        ),
        (lambda: accuracy(torch.tensor([[0.0, NAN]]), torch.tensor([0])), ValueError, r"pred contains 1 NaN"),
        (
            lambda: accuracy(torch.tensor([0.0, 1.0]), torch.tensor([0, 1])),
            TypeError,
            r"pred of shape \[N\] must hold integer class indices, got torch.float32",
        ),
        (
            lambda: accuracy(torch.tensor([0, 1]), torch.tensor([0.0, 1.0])),
            TypeError,
            r"target must hold integer class indices.*target.long\(\)",
        ),
        (
            lambda: accuracy(torch.zeros(0, dtype=torch.long), torch.zeros(0, dtype=torch.long)),
            ValueError,
            r"target is empty",
        ),
        (
            lambda: accuracy(torch.zeros(2, 0), torch.zeros(2, dtype=torch.long)),
            ValueError,
            r"at least one class column",
        ),
        (
            lambda: accuracy(torch.zeros(2, 2, 2), torch.zeros(2, dtype=torch.long)),
            ValueError,
            r"pred must be class indices \[N\] or class scores \[N, C\]",
        ),
        (
            lambda: accuracy(torch.zeros(2, 2, dtype=torch.long), torch.zeros(2, 2, dtype=torch.long)),
            ValueError,
            r"target must be class indices of shape \[N\].*use f1_score",
        ),
        # f1_score
        (
            lambda: f1_score(torch.tensor([0]), torch.tensor([0]), average="weighted"),
            ValueError,
            r"average must be one of \('micro', 'macro'\), got 'weighted'",
        ),
        (
            lambda: f1_score(torch.tensor([0]), torch.tensor([0]), num_classes=0),
            ValueError,
            r"num_classes must be None or an int >= 1",
        ),
        (
            lambda: f1_score(torch.tensor([0, 3]), torch.tensor([0, 1]), num_classes=3),
            ValueError,
            r"pred contains class 3 but num_classes=3; classes must lie in \[0, 3\)",
        ),
        (
            lambda: f1_score(torch.tensor([0, 1]), torch.tensor([0, -1]), num_classes=3),
            ValueError,
            r"target contains class -1 but num_classes=3",
        ),
        (
            lambda: f1_score(torch.randn(2, 4), torch.tensor([0, 1]), num_classes=3),
            ValueError,
            r"pred has 4 class columns but num_classes=3",
        ),
        (
            lambda: f1_score(torch.tensor([0, 1]), torch.zeros(2, 2, 2, dtype=torch.long)),
            ValueError,
            r"target must be class indices \[N\] \(multi-class\) or a 0/1 indicator matrix \[N, L\]",
        ),
        (
            lambda: f1_score(torch.tensor([0, 1]), torch.tensor([[0, 1], [1, 0]])),
            ValueError,
            r"multi-label F1 .* needs pred of the same shape; got pred \[2\] and target \[2, 2\]",
        ),
        (
            lambda: f1_score(torch.rand(2, 2), torch.tensor([[0, 1], [1, 0]])),
            ValueError,
            r"pred must be a 0/1 indicator matrix.*\(logits > 0\).long\(\)",
        ),
        (
            lambda: f1_score(torch.tensor([[0, 1], [1, 0]]), torch.tensor([[0, 2], [1, 0]])),
            ValueError,
            r"target must be a 0/1 indicator matrix",
        ),
        (
            lambda: f1_score(torch.tensor([[0.0, NAN]]), torch.tensor([[0, 1]])),
            ValueError,
            r"pred contains 1 NaN",
        ),
        (lambda: f1_score(torch.zeros(0, 3), torch.zeros(0, 3)), ValueError, r"target is empty \(N = 0\)"),
        (lambda: f1_score(torch.zeros(2, 0), torch.zeros(2, 0)), ValueError, r"at least one label column"),
        (
            lambda: f1_score(torch.zeros(2, 3), torch.zeros(2, 3), num_classes=4),
            ValueError,
            r"num_classes=4 but the multi-label target has 3 columns",
        ),
        (
            lambda: f1_score(torch.tensor([0, 1]), [0, 1]),
            TypeError,
            r"target must be a torch.Tensor or a numpy.ndarray",
        ),
    ],
)
def test_bad_input_messages(call, error, match):
    with pytest.raises(error, match=match):
        call()


# --------------------------------------------------------------------------------------------------
# devices and docs
# --------------------------------------------------------------------------------------------------


def test_mixed_devices_and_numpy_inputs_agree():
    gen = torch.Generator().manual_seed(3)
    pos, neg = random_scores(gen, (20,), True), random_scores(gen, (20, 15), True)
    assert hits_at_k(pos.numpy(), neg, 3) == hits_at_k(pos, neg.numpy(), 3) == hits_at_k(pos, neg, 3)
    assert mrr(pos.numpy(), neg) == mrr(pos, neg)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_matches_cpu():
    gen = torch.Generator().manual_seed(0)
    pos, neg, pool = (random_scores(gen, s, True) for s in [(300,), (300, 40), (500,)])
    logits, target = torch.randn(200, 7, generator=gen), torch.randint(0, 7, (200,), generator=gen)
    ml_pred, ml_target = (torch.rand(2, 50, 6, generator=gen) < 0.4).long()
    cuda = torch.device("cuda")
    for k in (1, 10, 100):
        assert hits_at_k(pos.to(cuda), pool.to(cuda), k) == hits_at_k(pos, pool, k)
        assert hits_at_k(pos.to(cuda), neg.to(cuda), k) == hits_at_k(pos, neg, k)
    assert mrr(pos.to(cuda), neg.to(cuda)) == pytest.approx(mrr(pos, neg), abs=1e-12)
    assert mrr(pos.to(cuda), pool.to(cuda)) == pytest.approx(mrr(pos, pool), abs=1e-12)
    assert accuracy(logits.to(cuda), target.to(cuda)) == accuracy(logits, target)
    for average in ("micro", "macro"):
        assert f1_score(logits.to(cuda), target, average=average) == pytest.approx(
            f1_score(logits, target, average=average), abs=1e-12
        )
        assert f1_score(ml_pred.to(cuda), ml_target.to(cuda), average=average) == pytest.approx(
            f1_score(ml_pred, ml_target, average=average), abs=1e-12
        )


def test_docstring_examples():
    result = doctest.testmod(metrics, extraglobs={"torch": torch}, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 5
    assert result.failed == 0
