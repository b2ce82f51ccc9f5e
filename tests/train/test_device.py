import pytest
import torch

from graphkit.train.device import resolve_device


def test_auto_and_explicit():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device().type == expected and resolve_device("auto").type == expected
    assert resolve_device("cpu") == torch.device("cpu")


def test_errors():
    with pytest.raises(ValueError, match="unknown device 'gpu0'"):
        resolve_device("gpu0")
    with pytest.raises(TypeError, match="device must be a string"):
        resolve_device(1.5)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match=r"device='cuda' but CUDA is not available here .*use device='cpu'"):
            resolve_device("cuda")
    else:
        count = torch.cuda.device_count()
        with pytest.raises(ValueError, match=f"has {count} CUDA device"):
            resolve_device(f"cuda:{count}")
