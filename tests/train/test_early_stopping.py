import pytest
import torch

from graphkit.train.early_stopping import EarlyStopping


def test_keeps_best_state_and_stops_after_patience():
    model = torch.nn.Linear(2, 1)
    stopper = EarlyStopping(patience=2)
    with torch.no_grad():
        model.weight.fill_(1.0)
    assert not stopper.step(0.5, model, 0)
    with torch.no_grad():
        model.weight.fill_(2.0)
    assert not stopper.step(0.9, model, 1)  # best
    with torch.no_grad():
        model.weight.fill_(3.0)
    assert not stopper.step(0.8, model, 2)
    assert stopper.step(0.9, model, 3)  # equal is no improvement: second bad epoch
    assert stopper.best == 0.9 and stopper.best_epoch == 1
    stopper.restore(model)
    assert torch.all(model.weight == 2.0)
    # the stored state is a copy, not a view of the live parameters
    with torch.no_grad():
        model.weight.fill_(5.0)
    stopper.restore(model)
    assert torch.all(model.weight == 2.0)
    assert "best=0.9" in repr(stopper)


def test_min_mode_delta_nan_and_no_patience():
    stopper = EarlyStopping(None, mode="min", min_delta=0.1)
    assert not stopper.step(1.0)
    assert not stopper.step(0.95)  # within min_delta
    assert stopper.best == 1.0
    assert not stopper.step(float("nan"))
    assert not stopper.step(0.5) and stopper.best == 0.5
    assert not any(EarlyStopping(None).step(0.0) for _ in range(10))


def test_bad_arguments():
    with pytest.raises(ValueError, match="mode must be"):
        EarlyStopping(mode="up")
    with pytest.raises(ValueError, match="patience must be"):
        EarlyStopping(0)


def test_ties_move_the_kept_state_forward():
    model = torch.nn.Linear(2, 1)
    stopper = EarlyStopping(patience=2, ties=True)
    for epoch, (value, weight) in enumerate([(0.5, 1.0), (0.9, 2.0), (0.8, 3.0), (0.9, 4.0), (0.8, 5.0)]):
        with torch.no_grad():
            model.weight.fill_(weight)
        assert not stopper.step(value, model, epoch)  # the tie at epoch 3 restarts patience
    assert stopper.step(0.7, model, 5)
    assert stopper.best == 0.9 and stopper.best_epoch == 3
    stopper.restore(model)
    assert torch.all(model.weight == 4.0)
