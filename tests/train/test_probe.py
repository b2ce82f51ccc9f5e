"""The embedding probe: metrics equal scikit-learn's, batched repeats equal separate optimisers."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.metrics import adjusted_rand_score, f1_score, normalized_mutual_info_score, roc_auc_score

from graphkit.train import probe
from graphkit.train.probe import (
    adjusted_rand_index,
    linear_probe,
    normalized_mutual_info,
    probe_clustering,
    roc_auc_ovr,
)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_metrics_match_sklearn(seed):
    gen = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 4, (80,), generator=gen)
    scores = torch.softmax(torch.randn(80, 4, generator=gen), 1)
    scores[:10] = scores[10:20]  # ties
    assert abs(roc_auc_ovr(scores, y) - roc_auc_score(y.numpy(), scores.numpy(), multi_class="ovr")) < 1e-10
    pred = torch.randint(0, 5, (80,), generator=gen)
    assert abs(normalized_mutual_info(y, pred) - normalized_mutual_info_score(y.numpy(), pred.numpy())) < 1e-10
    assert abs(adjusted_rand_index(y, pred) - adjusted_rand_score(y.numpy(), pred.numpy())) < 1e-10
    macro, micro = probe._f1_scores(torch.stack([pred.clamp(max=3), y]), y, 4)
    assert abs(float(macro[0]) - f1_score(y, pred.clamp(max=3), average="macro")) < 1e-12
    assert abs(float(micro[0]) - f1_score(y, pred.clamp(max=3), average="micro")) < 1e-12
    assert float(macro[1]) == 1.0


def reference_probe(x, y, tr, va, te, repeats, iterations, lr, wd, seed):
    """The official evaluate.py loop, one LogReg + Adam per repeat (same initial weights)."""
    gen = torch.Generator().manual_seed(seed)
    d, c = x.size(1), int(y.max()) + 1
    bound = np.sqrt(6.0 / (d + c))
    w0 = (torch.rand(repeats, d, c, generator=gen) * 2 - 1) * bound
    macro, micro, auc = [], [], []
    for r in range(repeats):
        lin = torch.nn.Linear(d, c)
        with torch.no_grad():
            lin.weight.copy_(w0[r].t())
            lin.bias.zero_()
        opt = torch.optim.Adam(lin.parameters(), lr=lr, weight_decay=wd)
        vma, vmi, tma, tmi, logits = [], [], [], [], []
        for _ in range(iterations):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(lin(x[tr]), y[tr]).backward()
            opt.step()
            with torch.no_grad():
                pv, lt = lin(x[va]).argmax(1), lin(x[te])
            vma.append(f1_score(y[va], pv, average="macro"))
            vmi.append(f1_score(y[va], pv, average="micro"))
            tma.append(f1_score(y[te], lt.argmax(1), average="macro"))
            tmi.append(f1_score(y[te], lt.argmax(1), average="micro"))
            logits.append(lt)
        macro.append(tma[vma.index(max(vma))])
        best = vmi.index(max(vmi))
        micro.append(tmi[best])
        auc.append(roc_auc_score(y[te].numpy(), torch.softmax(logits[best], 1).numpy(), multi_class="ovr"))
    return np.mean(macro), np.mean(micro), np.mean(auc)


def test_batched_probe_equals_the_official_loop():
    gen = torch.Generator().manual_seed(0)
    y = torch.randint(0, 3, (120,), generator=gen)
    x = torch.randn(120, 6, generator=gen) + y.view(-1, 1).float()
    perm = torch.randperm(120, generator=gen)
    tr, va, te = perm[:15], perm[15:60], perm[60:]
    got = linear_probe(x, y, tr, va, te, repeats=4, iterations=30, lr=0.05, weight_decay=1e-3, seed=5)
    ref = reference_probe(x, y, tr, va, te, 4, 30, 0.05, 1e-3, 5)
    assert np.allclose([got["test_macro_f1"], got["test_micro_f1"], got["test_auc"]], ref, atol=1e-6)
    mask = torch.zeros(120, dtype=torch.bool)
    mask[tr] = True
    masks = [torch.zeros(120, dtype=torch.bool).index_fill_(0, i, True) for i in (tr, va, te)]
    by_mask = linear_probe(x, y, *masks, repeats=4, iterations=30, lr=0.05, weight_decay=1e-3, seed=5)
    assert 0 <= by_mask["test_macro_f1"] <= 1 and set(by_mask) == set(got)


def test_clustering_and_bad_input():
    gen = torch.Generator().manual_seed(0)
    x = torch.cat([torch.randn(30, 2, generator=gen), torch.randn(30, 2, generator=gen) + 9])
    y = torch.arange(60) // 30
    assert probe_clustering(x, y, repeats=2) == {"nmi": 1.0, "ari": 1.0}
    with pytest.raises(ValueError, match="y must be"):
        linear_probe(x, y[:10], y, y, y)
    with pytest.raises(ValueError, match="empty"):
        linear_probe(x, y, torch.zeros(60, dtype=torch.bool), y < 1, y > 0)
    with pytest.raises(ValueError, match="repeats"):
        linear_probe(x, y, torch.arange(5), torch.arange(5, 10), torch.arange(10, 20), repeats=0)
