"""Embedding evaluation: torch one-vs-rest logistic regression vs scikit-learn, top-k scoring, protocol."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from graphkit.train.embedding_eval import LogisticRegressionOvR, evaluate_embedding, top_k_predictions

sklearn = pytest.importorskip("sklearn")
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import f1_score  # noqa: E402


def toy(n=240, d=12, labels=5, seed=0, rate=1.0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    w = rng.standard_normal((d, labels))
    y = (x @ w + 2 * rng.standard_normal((n, labels)) > 1.5 * rate).astype(np.int64)
    return x, y


@pytest.mark.parametrize("C", [0.1, 1.0])
@pytest.mark.parametrize("penalize, solver", [(False, "lbfgs"), (True, "liblinear")])
def test_matches_sklearn_logistic_regression(C, penalize, solver):
    x, y = toy()
    ours = LogisticRegressionOvR(C, penalize_intercept=penalize, tol=1e-8, max_iter=5000, dtype=torch.float64).fit(
        torch.tensor(x), torch.tensor(y))
    for label in range(y.shape[1]):
        ref = LogisticRegression(C=C, solver=solver, tol=1e-10, max_iter=100000).fit(x, y[:, label])
        np.testing.assert_allclose(ours.coef_[label].numpy(), ref.coef_[0], atol=1e-5)
        np.testing.assert_allclose(float(ours.intercept_[label]), ref.intercept_[0], atol=1e-5)
        probs = ours.predict_proba(torch.tensor(x))[:, label].numpy()
        np.testing.assert_allclose(probs, ref.predict_proba(x)[:, 1], atol=1e-6)
    # the defaults (tol 1e-4 as scikit-learn's lbfgs) give the same predictions
    fast = LogisticRegressionOvR(C, penalize_intercept=penalize).fit(torch.tensor(x), torch.tensor(y))
    assert torch.equal(fast.decision_function(torch.tensor(x)) > 0, ours.decision_function(torch.tensor(x)) > 0)
    assert fast.n_iter_ < ours.n_iter_


def test_float32_products_rotation_and_warm_start():
    x, y = toy(seed=1)
    ref = LogisticRegressionOvR(0.5, tol=1e-9, max_iter=5000, dtype=torch.float64).fit(torch.tensor(x), torch.tensor(y))
    f32 = LogisticRegressionOvR(0.5).fit(torch.tensor(x).float(), torch.tensor(y))  # float32 products (default)
    assert f32.coef_.dtype == torch.float64  # parameters are float64 either way
    assert torch.allclose(f32.coef_, ref.coef_, atol=2e-3)
    # without the internal rotation (features not decorrelated) the optimum is the same
    plain = LogisticRegressionOvR(0.5, tol=1e-9, max_iter=5000, dtype=torch.float64, rotate=False).fit(
        torch.tensor(x), torch.tensor(y))
    assert torch.allclose(plain.coef_, ref.coef_, atol=1e-6)
    warm = LogisticRegressionOvR(0.5, tol=1e-6, dtype=torch.float64).fit(
        torch.tensor(x), torch.tensor(y), init=(ref.coef_, ref.intercept_))
    assert warm.n_iter_ <= 2 and torch.allclose(warm.coef_, ref.coef_, atol=1e-5)


def test_constant_labels_are_scored_like_sklearn_constant_predictors():
    x, y = toy(seed=2)
    y[:, 1] = 0
    y[:, 3] = 1
    clf = LogisticRegressionOvR(1.0).fit(torch.tensor(x), torch.tensor(y))
    z = clf.decision_function(torch.tensor(x))
    assert bool((z[:, 1] == -math.inf).all()) and bool((z[:, 3] == math.inf).all())
    assert torch.isfinite(z[:, [0, 2, 4]]).all()
    proba = clf.predict_proba(torch.tensor(x))
    assert bool((proba[:, 1] == 0).all()) and bool((proba[:, 3] == 1).all())


def test_top_k_predictions():
    scores = torch.tensor([[0.1, 0.9, 0.5, -1.0], [3.0, 2.0, 1.0, 0.0], [0.0, 0.0, 1.0, 2.0]])
    k = torch.tensor([2, 1, 0])
    expected = torch.tensor([[0, 1, 1, 0], [1, 0, 0, 0], [0, 0, 0, 0]])
    assert torch.equal(top_k_predictions(scores, k), expected)
    rng = torch.Generator().manual_seed(0)
    s = torch.randn(50, 7, generator=rng)
    k = torch.randint(0, 8, (50,), generator=rng)
    pred = top_k_predictions(s, k)
    assert torch.equal(pred.sum(1), k)
    for i in range(50):
        chosen = s[i][pred[i].bool()]
        rest = s[i][~pred[i].bool()]
        if chosen.numel() and rest.numel():
            assert float(chosen.min()) >= float(rest.max())


def deepwalk_scoring(x, y, ratios, splits, C, seed, solver="lbfgs"):
    """scoring.py of DeepWalk / the FastRP notebook with scikit-learn, on graphkit's permutations."""
    gen = torch.Generator().manual_seed(seed)
    perms = [torch.randperm(len(x), generator=gen).numpy() for _ in range(splits)]
    out = {}
    for r in ratios:
        size = int(r * len(x))
        micro, macro = [], []
        for perm in perms:
            tr, te = perm[:size], perm[size:]
            probs = np.zeros((len(te), y.shape[1]))
            for label in range(y.shape[1]):
                if y[tr, label].min() == y[tr, label].max():  # sklearn's _ConstantPredictor
                    probs[:, label] = y[tr, label][0]
                    continue
                clf = LogisticRegression(C=C, solver=solver, tol=1e-8, max_iter=10000).fit(x[tr], y[tr, label])
                probs[:, label] = clf.predict_proba(x[te])[:, 1]
            pred = np.zeros_like(y[te])
            for i, k in enumerate(y[te].sum(1)):
                pred[i, np.argsort(probs[i])[::-1][:k]] = 1
            micro.append(f1_score(y[te], pred, average="micro"))
            macro.append(f1_score(y[te], pred, average="macro", zero_division=0))
        out[f"micro_f1@{r:g}"] = float(np.mean(micro))
        out[f"macro_f1@{r:g}"] = float(np.mean(macro))
    return out


@pytest.mark.parametrize("penalize, solver", [(False, "lbfgs"), (True, "liblinear")])
def test_multilabel_protocol_matches_the_reference_scoring(penalize, solver):
    x, y = toy(n=200, d=8, labels=6, seed=3, rate=1.3)
    y[:5] = 0  # nodes without labels are predicted none
    ours = evaluate_embedding(torch.tensor(x).float(), torch.tensor(y), train_ratios=(0.2, 0.6), num_splits=3,
                              C=0.3, seed=4, penalize_intercept=penalize, tol=1e-7)
    ref = deepwalk_scoring(x, y, (0.2, 0.6), 3, 0.3, 4, solver)
    assert set(ours) == set(ref)
    for key in ref:
        assert abs(ours[key] - ref[key]) < 2e-3, (key, ours[key], ref[key])


def test_single_label_reports_accuracy_and_f1():
    x, y = toy(n=200, d=8, labels=4, seed=5)
    cls = torch.tensor(np.argmax(x[:, :4] + 0.5 * np.random.default_rng(0).standard_normal((200, 4)), axis=1))
    res = evaluate_embedding(torch.tensor(x), cls, train_ratios=(0.5,), num_splits=3, seed=1)
    assert set(res) == {"accuracy@0.5", "micro_f1@0.5", "macro_f1@0.5"}
    assert abs(res["accuracy@0.5"] - res["micro_f1@0.5"]) < 1e-12
    assert 0.5 < res["accuracy@0.5"] <= 1.0
    splits = evaluate_embedding(torch.tensor(x), cls, train_ratios=(0.5,), num_splits=3, seed=1, per_split=True)
    assert len(splits["accuracy@0.5"]) == 3 and abs(np.mean(splits["accuracy@0.5"]) - res["accuracy@0.5"]) < 1e-12
    assert evaluate_embedding(torch.tensor(x), cls, train_ratios=(0.5,), num_splits=3, seed=1) == res
    assert evaluate_embedding(torch.tensor(x), cls, train_ratios=(0.5,), num_splits=3, seed=2) != res


def test_errors():
    x = torch.randn(20, 4)
    y = torch.randint(0, 2, (20, 3))
    with pytest.raises(ValueError, match="y has 19 rows"):
        evaluate_embedding(x, y[:19])
    with pytest.raises(ValueError, match=r"train_ratios\[1\] must be < 1.0, got 1.0"):
        evaluate_embedding(x, y, train_ratios=(0.5, 1.0))
    with pytest.raises(TypeError, match=r"train_ratios\[0\] must be a real number"):
        evaluate_embedding(x, y, train_ratios=("0.5",))
    with pytest.raises(ValueError, match="non-empty sequence"):
        evaluate_embedding(x, y, train_ratios=())
    with pytest.raises(ValueError, match="gives 0 training nodes"):
        evaluate_embedding(x, y, train_ratios=(0.01,))
    with pytest.raises(ValueError, match="NaN or inf"):
        evaluate_embedding(torch.full((20, 4), math.nan), y)
    with pytest.raises(ValueError, match="0/1"):
        evaluate_embedding(x, y * 2)
    with pytest.raises(ValueError, match="integer class indices"):
        evaluate_embedding(x, torch.rand(20))
    with pytest.raises(ValueError, match="num_splits must be >= 1, got 0"):
        evaluate_embedding(x, y, num_splits=0)
    with pytest.raises(TypeError, match="num_splits must be an int"):
        evaluate_embedding(x, y, num_splits=2.0)
    with pytest.raises(TypeError, match="seed must be an int"):
        evaluate_embedding(x, y, seed="0")
    with pytest.raises(ValueError, match="C must be > 0"):
        LogisticRegressionOvR(0.0).fit(x, y)
    with pytest.raises(ValueError, match="C must be finite"):
        LogisticRegressionOvR(math.inf).fit(x, y)
    with pytest.raises(ValueError, match="max_iter must be >= 1"):
        LogisticRegressionOvR(max_iter=0).fit(x, y)
    with pytest.raises(ValueError, match="tol must be > 0"):
        LogisticRegressionOvR(tol=0.0).fit(x, y)
    with pytest.raises(ValueError, match="0/1 targets"):
        LogisticRegressionOvR().fit(x, y + 1)
