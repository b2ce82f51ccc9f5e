import pytest

from graphkit import datasets
from graphkit.datasets import registry


def test_unknown_name_lists_valid_ones():
    with pytest.raises(ValueError, match="unknown data set 'csbn'.*Did you mean 'csbm'.*Valid names: .*csbm"):
        datasets.load("csbn")


def test_names_and_task_filter():
    assert "csbm" in datasets.names()
    assert "csbm" in datasets.names("node") and "csbm" not in datasets.names("graph")


def test_root_resolution(monkeypatch, tmp_path):
    monkeypatch.setenv("GRAPHKIT_DATA", str(tmp_path / "env"))
    assert registry.data_root() == tmp_path / "env"
    assert registry.data_root(tmp_path / "explicit") == tmp_path / "explicit"
    monkeypatch.delenv("GRAPHKIT_DATA")
    assert registry.data_root().name == "graphkit"


def test_cache_dir_is_created(monkeypatch, tmp_path):
    monkeypatch.setenv("GRAPHKIT_CACHE", str(tmp_path / "c"))
    assert registry.cache_dir() == tmp_path / "c" and (tmp_path / "c").is_dir()


def test_double_registration_is_an_error():
    with pytest.raises(ValueError, match="registered twice"):
        registry.register("csbm", task="node", description="dup")(lambda root: None)


def test_bad_names_and_roots(tmp_path, monkeypatch):
    with pytest.raises(TypeError, match="the data-set name must be a str .*; valid names: .*cora"):
        datasets.load(None)
    with pytest.raises(TypeError, match="root must be a path"):
        datasets.load("cora", root=1)
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ValueError, match="root=.* is a file, not a directory"):
        datasets.load("cora", root=blocker)
    monkeypatch.setenv("GRAPHKIT_DATA", str(blocker))
    with pytest.raises(ValueError, match="GRAPHKIT_DATA=.* is a file"):
        datasets.data_root()
    monkeypatch.setenv("GRAPHKIT_CACHE", str(blocker / "deeper" / "still"))
    with pytest.raises(ValueError, match=r"GRAPHKIT_CACHE=.*: '.*file' is a file, not a directory"):
        datasets.cache_dir()
