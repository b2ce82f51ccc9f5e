import time

from graphkit.train.timing import Timer


def test_records_epochs_and_inference():
    timer = Timer("cpu")
    for delay in (0.01, 0.03, 0.02):
        with timer.epoch():
            time.sleep(delay)
    with timer.inference():
        time.sleep(0.01)
    s = timer.summary()
    assert len(timer.epoch_times) == 3
    assert s["train_s"] >= 0.06 and 0.02 <= s["epoch_s"] < s["train_s"]
    assert s["inference_s"] >= 0.01


def test_empty_summary_and_exception_still_recorded():
    timer = Timer()
    assert timer.summary() == {"train_s": 0.0, "epoch_s": 0.0, "eval_s": 0.0, "inference_s": 0.0}
    try:
        with timer.epoch():
            raise RuntimeError
    except RuntimeError:
        pass
    assert len(timer.epoch_times) == 1


def test_evaluation_and_named_stages():
    timer = Timer("cpu")
    with timer.evaluation():
        time.sleep(0.01)
    for _ in range(2):
        with timer.stage("precompute"):
            time.sleep(0.01)
    s = timer.summary()
    assert s["eval_s"] >= 0.01 and s["precompute_s"] >= 0.02 and len(timer.eval_times) == 1
