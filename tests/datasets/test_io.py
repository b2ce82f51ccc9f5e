"""The shared I/O layer: restricted unpickling, safe npy/npz reading, missing files, counts, cache."""

import io
import os
import pickle
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from graphkit.datasets import _io


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_allowed_objects_round_trip(tmp_path):
    obj = {"a": [1, 2, {3}], "m": sp.random(5, 4, density=0.3, format="csr", random_state=0),
           "x": np.arange(6, dtype=np.float32).reshape(2, 3), "d": defaultdict(list, {1: [2]})}
    path = tmp_path / "ok.pkl"
    path.write_bytes(pickle.dumps(obj, protocol=2))
    back = _io.safe_pickle_load(path)
    assert back["a"] == [1, 2, {3}] and back["d"][1] == [2]
    assert np.array_equal(back["x"], obj["x"]) and (back["m"] != obj["m"]).nnz == 0


def test_malicious_pickle_is_refused(tmp_path):
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps(_Evil()))
    with pytest.raises(_io.UnsafePickleError, match=r"evil\.pkl: refusing to load global '(posix|os)\.system'"):
        _io.safe_pickle_load(path)


def test_malicious_object_array_in_npz_is_refused(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, ok=np.arange(3), bad=np.array([_Evil()], dtype=object))
    with pytest.raises(_io.UnsafePickleError, match=r"evil\.npz\[bad\]"):
        _io.safe_np_load(path)


def test_npz_and_npy_match_numpy(tmp_path):
    arrays = {"a": np.arange(12, dtype=np.int32).reshape(3, 4), "b": np.asfortranarray(np.eye(3)),
              "c": np.array(["x", "yz"]), "o": np.array([np.arange(2), np.arange(3)], dtype=object)}
    np.savez(tmp_path / "f.npz", **arrays)
    back = _io.safe_np_load(tmp_path / "f.npz")
    for key in ("a", "b", "c"):
        assert np.array_equal(back[key], arrays[key]) and back[key].dtype == arrays[key].dtype
    assert [list(v) for v in back["o"]] == [[0, 1], [0, 1, 2]]
    np.save(tmp_path / "g.npy", arrays["a"])
    assert np.array_equal(_io.safe_np_load(tmp_path / "g.npy"), arrays["a"])


def test_truncated_files_name_themselves(tmp_path):
    np.save(tmp_path / "t.npy", np.arange(1000))
    data = (tmp_path / "t.npy").read_bytes()
    (tmp_path / "t.npy").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"t\.npy.*truncated"):
        _io.safe_np_load(tmp_path / "t.npy")
    (tmp_path / "p.pkl").write_bytes(pickle.dumps(list(range(100)))[:20])
    with pytest.raises(ValueError, match=r"p\.pkl: not a readable pickle.*truncated or corrupt"):
        _io.safe_pickle_load(tmp_path / "p.pkl")


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
def test_read_sparse_npz_matches_scipy(tmp_path, fmt):
    mat = sp.random(20, 15, density=0.2, format=fmt, random_state=1)
    sp.save_npz(tmp_path / "m.npz", mat)
    back = _io.read_sparse_npz(tmp_path / "m.npz")
    assert back.format == "csr" and abs(back - mat.tocsr()).sum() == 0


def test_require_lists_every_missing_file(tmp_path):
    (tmp_path / "here").write_text("x")
    _io.require([tmp_path / "here"], dataset="demo", how="never raised")
    with pytest.raises(FileNotFoundError, match=r"(?s)'demo'.*a\.bin.*b\.bin.*get them from X.*GRAPHKIT_DATA"):
        _io.require([tmp_path / "here", tmp_path / "a.bin", tmp_path / "b.bin"], dataset="demo",
                    how="get them from X")


def test_check_counts_lists_mismatches():
    _io.check_counts("demo", {"n": 3, "m": 4}, {"n": 3, "m": None})
    with pytest.raises(ValueError, match=r"'demo'.*published counts \(n: expected 5, got 3\)"):
        _io.check_counts("demo", {"n": 3, "m": 4}, {"n": 5, "m": 4})


def test_cache_builds_once_and_tracks_the_raw_files(tmp_path):
    raw = tmp_path / "raw.txt"
    raw.write_text("v1")
    calls = []

    def build():
        calls.append(1)
        return {"x": torch.arange(len(calls) + 2), "n": len(calls)}

    first = _io.cached("demo", [raw], build)
    second = _io.cached("demo", [raw], build)
    assert len(calls) == 1 and torch.equal(first["x"], second["x"]) and second["n"] == 1
    _io.cached("demo", [raw], build, options={"split": 2})  # other options: another entry
    assert len(calls) == 2
    raw.write_text("v2 changed")  # size and mtime change: rebuilt
    assert _io.cached("demo", [raw], build)["n"] == 3


def test_corrupt_cache_is_rebuilt(tmp_path):
    raw = tmp_path / "raw.txt"
    raw.write_text("v1")
    _io.cached("demo2", [raw], lambda: {"x": torch.ones(2)})
    for path in _io.cache_dir().glob("demo2-*.pt"):
        path.write_bytes(b"garbage")
    assert torch.equal(_io.cached("demo2", [raw], lambda: {"x": torch.zeros(2)})["x"], torch.zeros(2))


def test_restricted_unpickler_is_used_directly():
    buf = io.BytesIO(pickle.dumps([1, 2]))
    assert _io.RestrictedUnpickler(buf).load() == [1, 2]


# --------------------------------------------------------------------------- cache integrity (issue #20)

ROOT = Path(__file__).resolve().parents[2]
_LOAD = """
import hashlib, sys
from graphkit.datasets.planetoid import load_planetoid
data = load_planetoid(sys.argv[1], "cora", expected=False)  # a miniature Cora: not the published counts
digest = hashlib.sha256()
for key in ("x", "edge_index", "y", "train_mask"):
    digest.update(getattr(data, key).numpy().tobytes())
print(digest.hexdigest())
"""


def _env(cache: Path) -> dict:
    return {**os.environ, "GRAPHKIT_CACHE": str(cache), "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}


def test_cache_is_written_to_a_private_file_then_renamed(tmp_path, monkeypatch):
    monkeypatch.setenv("GRAPHKIT_CACHE", str(tmp_path / "cache"))
    seen = []
    real_replace = os.replace

    def replace(src, dst):
        seen.append((Path(src).name, Path(dst).name, Path(src).stat().st_size))
        return real_replace(src, dst)

    monkeypatch.setattr(_io.os, "replace", replace)
    _io.cached("atomic", [], lambda: {"x": torch.arange(1000)})
    (tmp, final, size), = seen
    assert tmp.startswith(".atomic-") and tmp.endswith(".tmp") and final.endswith(".pt") and size > 0
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [final], "no temporary file is left behind"


def _digest(root: Path) -> str:
    import hashlib

    from graphkit.datasets.planetoid import load_planetoid

    data = load_planetoid(root, "cora", expected=False)
    digest = hashlib.sha256()
    for key in ("x", "edge_index", "y", "train_mask"):
        digest.update(getattr(data, key).numpy().tobytes())
    return digest.hexdigest()


def test_a_process_killed_mid_write_leaves_no_cache_that_is_trusted(tmp_path, monkeypatch):
    """The child is killed while torch.save is half-way through; the next load rebuilds from the raw files."""
    import signal
    import subprocess
    import sys

    from tests.datasets.test_planetoid import write_mini

    write_mini(tmp_path / "root", "cora")
    cache = tmp_path / "cache"
    stall = (
        "import time, torch\n"
        "def half(obj, f, *a, **k):\n"
        "    f.write(b'PK\\x03\\x04 half a zip'); f.flush(); print('WRITING', flush=True); time.sleep(600)\n"
        "torch.save = half\n"
    )
    child = subprocess.Popen([sys.executable, "-c", stall + _LOAD, str(tmp_path / "root")], env=_env(cache),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "WRITING", child.stderr.read()
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    left = sorted(p.name for p in cache.iterdir())
    assert left and all(name.endswith(".tmp") for name in left), f"only a private temporary file may remain: {left}"
    monkeypatch.setenv("GRAPHKIT_CACHE", str(cache))
    first = _digest(tmp_path / "root")  # rebuilt from the raw files, the half file ignored
    assert len(list(cache.glob("planetoid-cora-*.pt"))) == 1
    assert _digest(tmp_path / "root") == first  # read back from the cache: whole, the same data


def test_two_processes_loading_the_same_data_set_at_once_both_succeed(tmp_path, monkeypatch):
    import subprocess
    import sys

    from tests.datasets.test_planetoid import write_mini

    write_mini(tmp_path / "root", "cora", num_allx=2000, num_features=64)
    cache = tmp_path / "cache"
    procs = [subprocess.Popen([sys.executable, "-c", _LOAD, str(tmp_path / "root")], env=_env(cache),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in outs]
    assert [p.suffix for p in cache.iterdir()] == [".pt"], "one whole cache file, no temporary files"
    monkeypatch.setenv("GRAPHKIT_CACHE", str(cache))
    assert outs[0][0].strip() == outs[1][0].strip() == _digest(tmp_path / "root")


def test_unwritable_cache_warns_and_still_loads(tmp_path, monkeypatch):
    """The issue's 'read-only root and read-only cache': the data set loads, a warning names the cache path and
    GRAPHKIT_CACHE (as root the chmod cannot be simulated, so the write fails the way a read-only folder does)."""
    monkeypatch.setenv("GRAPHKIT_CACHE", str(tmp_path / "cache"))

    def read_only(*args, **kwargs):
        raise PermissionError(13, "Permission denied", kwargs.get("dir"))

    monkeypatch.setattr(_io.tempfile, "mkstemp", read_only)
    with pytest.warns(_io.CacheWarning, match=r"could not write the processed cache .*cache.*PermissionError.*"
                                              r"Set GRAPHKIT_CACHE to a writable directory"):
        out = _io.cached("ro", [], lambda: {"x": torch.ones(3)})
    assert torch.equal(out["x"], torch.ones(3)) and not list((tmp_path / "cache").iterdir())


def test_cache_folder_under_a_regular_file_names_graphkit_cache(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("GRAPHKIT_CACHE", str(blocker / "sub"))
    with pytest.raises(ValueError, match=r"GRAPHKIT_CACHE=.*a-file' is a file, not a directory; set GRAPHKIT_CACHE"):
        _io.cached("x", [], lambda: {"x": torch.ones(1)})
