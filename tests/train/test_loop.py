"""graphkit.train.loop.run_epochs: the one epoch loop's selection, stopping, batching and bookkeeping."""

import pytest
import torch
from torch import nn

from graphkit.train.loop import Selection, run_epochs
from graphkit.train.timing import Timer


def scripted(values):
    """A model whose 'validation value' at each evaluation comes from ``values``; its weight counts steps."""
    model = nn.Linear(1, 1, bias=False)
    nn.init.zeros_(model.weight)
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    it = iter(values)

    def loss(batch, epoch):
        return -model.weight.sum()  # each step adds 1 to the weight

    return model, opt, loss, (lambda: next(it))


def test_keeps_and_restores_the_best_state_and_records_history():
    model, opt, loss, validate = scripted([0.1, 0.5, 0.3, 0.2])
    timer = Timer()
    traj = run_epochs(model, opt, epochs=4, loss=loss, validate=validate, timer=timer, progress=False)
    assert traj.best_epoch == 1 and traj.best_value == 0.5 and traj.epochs_run == 4
    assert model.weight.item() == 2.0  # the state after epoch 1 (two steps)
    assert [h["epoch"] for h in traj.history] == [0, 1, 2, 3] and traj.history[1]["valid"] == 0.5
    assert traj.history[0]["loss"] == 0.0 and not model.training
    assert len(timer.epoch_times) == 4 and len(timer.eval_times) == 4


def test_min_mode_ties_patience_and_stop_rule():
    model, opt, loss, validate = scripted([3.0, 2.0, 2.0, 5.0, 5.0, 5.0])
    traj = run_epochs(model, opt, epochs=6, loss=loss, validate=validate, selection=Selection("min", patience=2),
                      progress=False)
    assert traj.best_epoch == 1 and traj.epochs_run == 4  # 2.0 tie is no improvement; two bad evaluations stop
    model, opt, loss, validate = scripted([3.0, 2.0, 2.0, 5.0])
    traj = run_epochs(model, opt, epochs=4, loss=loss, validate=validate, selection=Selection("min", ties=True),
                      progress=False)
    assert traj.best_epoch == 2 and model.weight.item() == 3.0
    seen = []
    model, opt, loss, validate = scripted([1.0, 2.0, 3.0, 4.0])
    traj = run_epochs(model, opt, epochs=4, loss=loss, validate=validate, progress=False,
                      selection=Selection("max", stop_rule=lambda values, epoch: seen.append((list(values), epoch))
                                          or epoch == 1))
    assert traj.epochs_run == 2 and seen == [([1.0], 0), ([1.0, 2.0], 1)]


def test_eval_every_and_batch_weights():
    model, opt, _, _ = scripted([])
    losses = iter([1.0, 3.0] * 6)

    def loss(batch, epoch):
        return model.weight.sum() * 0 + next(losses)

    calls = []
    traj = run_epochs(model, opt, epochs=5, eval_every=2, progress=False, loss=loss,
                      validate=lambda: calls.append(1) or 0.0,
                      batches=lambda epoch: [torch.arange(1), torch.arange(3)])
    assert [h["epoch"] for h in traj.history] == [1, 3, 4] and len(calls) == 3
    assert traj.history[0]["loss"] == pytest.approx((1.0 * 1 + 3.0 * 3) / 4)


def test_gradient_clipping_and_bad_arguments():
    model = nn.Linear(3, 1, bias=False)
    nn.init.zeros_(model.weight)
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    run_epochs(model, opt, epochs=1, grad_clip=0.5, progress=False, validate=lambda: 0.0,
               loss=lambda b, e: -100 * model.weight.sum())
    assert model.weight.norm().item() == pytest.approx(0.5)
    for kwargs, match in [({"epochs": 0}, "epochs must be an int >= 1"), ({"epochs": 2, "eval_every": 0}, "eval_every")]:
        with pytest.raises(ValueError, match=match):
            run_epochs(model, opt, loss=lambda b, e: model.weight.sum(), validate=lambda: 0.0, **kwargs)


def test_progress_is_on_for_a_person_and_off_otherwise(monkeypatch):
    """progress=None (every procedure's default) shows the bar on a terminal and in a notebook, not in pipes;
    the runner's --quiet passes progress=False."""
    import io
    import sys
    import types

    from graphkit.train import loop

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr(sys, "stderr", Terminal())
    assert loop.interactive() and not loop.progress_bar(range(3), desc="t", progress=None).disable
    assert loop.progress_bar(range(3), desc="t", progress=False).disable
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # a pipe or a log file
    monkeypatch.delitem(sys.modules, "IPython", raising=False)
    assert not loop.interactive() and loop.progress_bar(range(3), desc="t", progress=None).disable
    assert not loop.progress_bar(range(3), desc="t", progress=True).disable

    class ZMQInteractiveShell:  # what a Jupyter kernel runs
        pass

    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=ZMQInteractiveShell))
    assert loop.interactive()
