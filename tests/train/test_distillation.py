import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from graphkit.train.distillation import DistillConfig, held_out_split, kd_loss, kl_probs, train_student


def test_kd_loss_is_tau2_kl_of_softened_distributions():
    s, t = torch.randn(6, 4), torch.randn(6, 4)
    tau = 2.0
    p, q = F.softmax(t / tau, -1), F.softmax(s / tau, -1)
    ref = (p * (p.log() - q.log())).sum(-1).mean() * tau ** 2
    torch.testing.assert_close(kd_loss(s, t, tau), ref)
    assert float(kd_loss(t, t, tau)) == pytest.approx(0.0, abs=1e-6)


def test_legacy_kd_is_official_kl_on_probabilities():
    s, t = torch.randn(5, 3), torch.randn(5, 3)
    p, q = F.softmax(t, -1), F.softmax(s, -1)
    ref = (p.exp() * (p - q.log())).sum(-1).mean()
    torch.testing.assert_close(kd_loss(s, t, 1.0, legacy=True), ref)
    # the legacy loss is not minimised at q = p
    assert float(kd_loss(t, t, legacy=True)) > 0.5
    torch.testing.assert_close(kl_probs(p, q, legacy=True), ref)
    torch.testing.assert_close(kl_probs(p, q), (p * (p.log() - q.log())).sum(-1).mean())


def test_bad_temperature_and_class_mismatch():
    for tau in (0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="temperature must be a positive"):
            kd_loss(torch.randn(2, 3), torch.randn(2, 3), tau)
    with pytest.raises(ValueError, match="same number of classes"):
        kd_loss(torch.randn(2, 3), torch.randn(2, 4))
    with pytest.raises(ValueError, match="temperature"):
        DistillConfig.from_dict({"temperature": 0})
    x, y = torch.randn(8, 3), torch.randint(0, 2, (8,))
    mask = torch.ones(8, dtype=torch.bool)
    with pytest.raises(ValueError, match="student predicts 2 classes but the teacher 5"):
        train_student(nn.Linear(3, 2), x, y, mask, mask, torch.randn(8, 5), epochs=1)


def test_held_out_split_is_seeded_disjoint_share():
    test = torch.zeros(100, dtype=torch.bool)
    test[20:] = True
    tran, ind = held_out_split(test, 0.25, seed=3)
    assert int(ind.sum()) == 20 and int(tran.sum()) == 60
    assert not (tran & ind).any() and torch.equal(tran | ind, test)
    assert torch.equal(held_out_split(test, 0.25, seed=3)[1], ind)
    with pytest.raises(ValueError, match="held_out"):
        held_out_split(test, 1.0)


def test_student_follows_teacher_soft_labels_and_plugins():
    torch.manual_seed(0)
    x = torch.randn(60, 4)
    teacher_logits = 5 * x[:, :3]
    y = teacher_logits.argmax(-1)
    mask = torch.zeros(60, dtype=torch.bool)
    mask[:5] = True
    calls = []

    def plugin(out, epoch):
        calls.append(epoch)
        return out.sum() * 0.0

    student, hist, best = train_student(nn.Linear(4, 3), x, y, mask, torch.ones(60, dtype=torch.bool),
                                        teacher_logits, lam=0.0, plugins=[plugin], epochs=150, lr=0.05,
                                        weight_decay=0.0)
    assert calls == list(range(150)) and len(hist) == 150
    acc = (student(x).argmax(-1) == y).float().mean()
    assert acc > 0.9 and not math.isnan(hist[best]["valid_accuracy"])


@pytest.mark.parametrize("select_ties", [False, True])
def test_select_ties_keeps_the_last_of_equal_validation_epochs(select_ties):
    # a separable problem: validation accuracy reaches 1.0 early and then only ties
    torch.manual_seed(0)
    x = torch.randn(40, 2)
    y = (x[:, 0] > 0).long()
    teacher_logits = torch.stack([-x[:, 0], x[:, 0]], 1) * 4
    mask = torch.ones(40, dtype=torch.bool)
    _, hist, best = train_student(nn.Linear(2, 2), x, y, mask, mask, teacher_logits, epochs=60, lr=0.1,
                                  weight_decay=0.0, select_ties=select_ties)
    top = max(h["valid_accuracy"] for h in hist)
    at_top = [h["epoch"] for h in hist if h["valid_accuracy"] == top]
    assert len(at_top) > 1
    assert best == (at_top[-1] if select_ties else at_top[0])
    assert DistillConfig.from_dict({"select_ties": True}).select_ties
