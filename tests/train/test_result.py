import json

import pytest

from graphkit.train.result import FitResult


def test_to_dict_is_json_ready_and_outputs_are_attributes():
    res = FitResult({"test_accuracy": 0.5}, {"train_s": 1.0, "epoch_s": 0.1, "inference_s": 0.01}, 3, 10,
                    peak_memory_mb=12.5, history=[{"epoch": 0, "loss": 1.0}], model=object(),
                    outputs={"teacher_logits": [1, 2]})
    d = json.loads(json.dumps(res.to_dict()))
    assert d["metrics"] == {"test_accuracy": 0.5} and d["best_epoch"] == 3 and d["epochs_run"] == 10
    assert d["peak_memory_mb"] == 12.5 and d["history"][0]["loss"] == 1.0 and "model" not in d
    assert res.teacher_logits == [1, 2]
    with pytest.raises(AttributeError, match="FitResult has no attribute 'codebook'; method outputs: teacher_logits"):
        res.codebook  # noqa: B018
