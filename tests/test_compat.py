import importlib
import warnings

from graphkit import _compat


def test_flags_follow_modules():
    assert _compat.WITH_TORCH_SCATTER == (_compat.torch_scatter is not None)
    assert _compat.WITH_TORCH_SPARSE == (_compat.torch_sparse is not None)
    assert _compat.extensions() == {"torch_scatter": _compat.WITH_TORCH_SCATTER,
                                    "torch_sparse": _compat.WITH_TORCH_SPARSE}


def test_missing_package_is_none():
    assert _compat._probe("graphkit_no_such_package") is None


def test_broken_package_warns_and_is_disabled(monkeypatch):
    def broken(name):
        raise OSError("undefined symbol: _ZN3c10")

    monkeypatch.setattr(importlib, "import_module", broken)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert _compat._probe("torch_scatter") is None
    assert any("failed to load" in str(w.message) and "pure torch" in str(w.message) for w in caught)


def test_extensions_fixture_switches_flags_off(extensions):
    if extensions == "pure":
        assert not _compat.WITH_TORCH_SCATTER and not _compat.WITH_TORCH_SPARSE
    else:
        assert _compat.WITH_TORCH_SCATTER or _compat.WITH_TORCH_SPARSE
