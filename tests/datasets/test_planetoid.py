"""Tests for graphkit.datasets.planetoid: Cora / CiteSeer / PubMed from the raw ``ind.*`` files.

CiteSeer and PubMed are not in the shared data folder, so every code path is
also run on miniature data sets written here in the original format (Python
pickles, protocol 2, of scipy CSR / numpy arrays / a defaultdict) and compared
with PyG's own ``Planetoid`` built on a copy of the same files.
"""

from __future__ import annotations

import os
import pickle
import shutil
import stat
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from graphkit import datasets
from graphkit.datasets import planetoid
from graphkit.datasets._io import UnsafePickleError
from graphkit.datasets.planetoid import PUBLISHED, PlanetoidCounts, load_planetoid, raw_paths

DIRS = {"cora": "Cora", "citeseer": "CiteSeer", "pubmed": "PubMed"}
KEYS = ("x", "y", "edge_index", "train_mask", "val_mask", "test_mask")


def write_mini(root: Path, name: str, *, num_allx: int = 540, num_test: int = 60, num_isolated: int = 0,
               num_train: int = 6, num_features: int = 12, num_classes: int = 3, seed: int = 0) -> PlanetoidCounts:
    """A miniature Planetoid set in the original format; returns its true counts.

    ``num_isolated`` nodes inside the test range are left out of ``test.index``
    (CiteSeer's quirk): they have no features, no label and no edges.
    """
    rng = np.random.default_rng(seed)
    num_nodes = num_allx + num_test + num_isolated
    test_range = np.arange(num_allx, num_nodes)
    # never the last node: as in the real CiteSeer, the largest test id is the last node
    isolated = rng.choice(test_range[:-1], num_isolated, replace=False)
    test_index = rng.permutation(np.setdiff1d(test_range, isolated))

    def features(rows):
        return sp.csr_matrix((rng.random((rows, num_features)) < 0.25).astype(np.float32))

    def onehot(rows):
        out = np.zeros((rows, num_classes), dtype=np.int32)
        out[np.arange(rows), rng.integers(0, num_classes, rows)] = 1
        return out

    allx, tx, ally, ty = features(num_allx), features(num_test), onehot(num_allx), onehot(num_test)
    files = {"x": allx[:num_train], "tx": tx, "allx": allx, "y": ally[:num_train], "ty": ty, "ally": ally}

    graph = defaultdict(list)
    connected = np.setdiff1d(np.arange(num_nodes), isolated)
    edges = set()
    for _ in range(3 * num_nodes):
        u, v = (int(a) for a in rng.choice(connected, 2))
        graph[u].append(v)
        graph[v].append(u)
        if u != v:
            edges |= {(u, v), (v, u)}
    u = int(connected[0])
    graph[u] += [u, graph[u][0]]  # a self-loop and a repeated entry: both dropped
    for node in isolated:
        graph[int(node)] = []
    files["graph"] = graph

    raw = root / "Planetoid" / DIRS[name] / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for suffix, obj in files.items():
        with (raw / f"ind.{name}.{suffix}").open("wb") as fh:
            pickle.dump(obj, fh, protocol=2)
    (raw / f"ind.{name}.test.index").write_text("".join(f"{i}\n" for i in test_index))
    return PlanetoidCounts(num_nodes, len(edges), num_features, num_classes, num_train, 500, num_test)


def pyg_planetoid(raw_dir: Path, title: str, tmp_path: Path):
    """PyG's own Planetoid on a writable copy of ``raw_dir`` (PyG writes processed/ next to raw/)."""
    from torch_geometric.datasets import Planetoid

    shutil.copytree(raw_dir, tmp_path / "pyg" / title / "raw")
    return Planetoid(str(tmp_path / "pyg"), title)[0]


def assert_same(ours, theirs) -> None:
    for key in KEYS:
        a, b = getattr(ours, key), getattr(theirs, key)
        assert a.dtype == b.dtype and torch.equal(a, b), key


# --------------------------------------------------------------------------- miniature sets


@pytest.mark.parametrize("name, isolated", [("cora", 0), ("citeseer", 7), ("pubmed", 0)])
def test_mini_equals_pyg_planetoid(tmp_path, name, isolated):
    counts = write_mini(tmp_path / "root", name, num_isolated=isolated, seed=len(name))
    data = load_planetoid(tmp_path / "root", name, expected=counts)
    theirs = pyg_planetoid(raw_paths(tmp_path / "root", name)[0].parent, DIRS[name], tmp_path)
    assert_same(data, theirs)
    assert data.num_nodes == counts.num_nodes and data.edge_index.size(1) == counts.num_edges
    assert data.x.dtype == torch.float32 and data.y.dtype == torch.long
    # no self-loops, undirected, sorted by (col, row) like PyG's coalesce(sort_by_row=False)
    row, col = data.edge_index
    assert not bool((row == col).any())
    key = col * data.num_nodes + row
    assert bool((key[1:] > key[:-1]).all())
    assert torch.equal(torch.sort(row * data.num_nodes + col).values, torch.sort(key).values)


def test_citeseer_isolated_test_nodes_are_zero_and_unmasked(tmp_path):
    counts = write_mini(tmp_path, "citeseer", num_isolated=5, seed=1)
    data = load_planetoid(tmp_path, "citeseer", expected=counts)
    test_index = np.loadtxt(raw_paths(tmp_path, "citeseer")[-1], dtype=np.int64)
    isolated = torch.from_numpy(np.setdiff1d(np.arange(540, counts.num_nodes), test_index))
    assert isolated.numel() == 5
    assert bool((data.x[isolated] == 0).all()) and bool((data.y[isolated] == 0).all())
    assert not bool((data.train_mask | data.val_mask | data.test_mask)[isolated].any())
    # tx row i belongs to node test_index[i]
    with open(raw_paths(tmp_path, "citeseer")[1], "rb") as fh:
        tx = pickle.load(fh)  # our own file, written above
    assert torch.equal(data.x[torch.from_numpy(test_index)], torch.from_numpy(tx.toarray()))


def test_mini_under_published_name_is_a_count_mismatch(tmp_path):
    write_mini(tmp_path, "citeseer", num_isolated=3)
    with pytest.raises(ValueError, match=r"'citeseer'.*do not match the published counts.*num_nodes: "
                                         r"expected 3327, got 603"):
        datasets.load("citeseer", root=tmp_path)


def test_splits_full_and_random(tmp_path):
    counts = write_mini(tmp_path, "cora", seed=3)
    public = load_planetoid(tmp_path, "cora", expected=counts)
    full = load_planetoid(tmp_path, "cora", split="full", expected=counts)
    assert torch.equal(full.train_mask, ~(public.val_mask | public.test_mask))
    assert torch.equal(full.val_mask, public.val_mask) and torch.equal(full.test_mask, public.test_mask)
    kw = dict(split="random", num_train_per_class=10, num_val=100, num_test=200, expected=counts)
    a = load_planetoid(tmp_path, "cora", seed=1, **kw)
    b = load_planetoid(tmp_path, "cora", seed=1, **kw)
    c = load_planetoid(tmp_path, "cora", seed=2, **kw)
    assert torch.equal(a.train_mask, b.train_mask) and not torch.equal(a.train_mask, c.train_mask)
    assert torch.bincount(a.y[a.train_mask], minlength=3).tolist() == [10, 10, 10]
    assert (int(a.val_mask.sum()), int(a.test_mask.sum())) == (100, 200)
    assert not bool((a.train_mask & a.val_mask).any() | (a.val_mask & a.test_mask).any()
                    | (a.train_mask & a.test_mask).any())
    assert torch.equal(a.x, public.x) and torch.equal(a.edge_index, public.edge_index)


def test_missing_files_name_the_paths(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        datasets.load("pubmed", root=tmp_path)
    msg = str(info.value)
    assert str(tmp_path / "Planetoid" / "PubMed" / "raw" / "ind.pubmed.allx") in msg
    assert "download=True" in msg and "kimiyoung/planetoid" in msg
    write_mini(tmp_path, "cora")
    os.remove(raw_paths(tmp_path, "cora")[2])
    with pytest.raises(FileNotFoundError, match=r"ind\.cora\.allx") as info:
        datasets.load("cora", root=tmp_path)
    assert "ind.cora.x\n" not in str(info.value), "only the missing file is listed"


@pytest.mark.parametrize("suffix", ["graph", "allx", "ty"])
def test_truncated_pickle_names_the_file(tmp_path, suffix):
    write_mini(tmp_path, "cora")
    path = raw_paths(tmp_path, "cora")[planetoid.RAW_SUFFIXES.index(suffix)]
    blob = path.read_bytes()
    path.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(ValueError, match=rf"ind\.cora\.{suffix}.*truncated or corrupt"):
        load_planetoid(tmp_path, "cora", expected=False)


def test_truncated_test_index_names_the_file(tmp_path):
    write_mini(tmp_path, "cora")
    path = raw_paths(tmp_path, "cora")[-1]
    text = path.read_text()
    path.write_text(text[: len(text) // 2])
    with pytest.raises(ValueError, match=r"ind\.cora\.test\.index lists \d+ nodes but .*ind\.cora\.tx has 60"):
        load_planetoid(tmp_path, "cora", expected=False)
    path.write_text("12\nbanana\n")
    with pytest.raises(ValueError, match=r"ind\.cora\.test\.index: expected one integer"):
        load_planetoid(tmp_path, "cora", expected=False)


def test_wrong_object_in_a_file(tmp_path):
    write_mini(tmp_path, "cora")
    with raw_paths(tmp_path, "cora")[5].open("wb") as fh:  # ally
        pickle.dump([1, 2, 3], fh, protocol=2)
    with pytest.raises(ValueError, match=r"ind\.cora\.ally: expected a 2-D numpy array, got list"):
        load_planetoid(tmp_path, "cora", expected=False)


class _Evil:
    def __reduce__(self):
        return (os.getcwd, ())


def test_malicious_pickle_is_refused(tmp_path):
    write_mini(tmp_path, "cora")
    with raw_paths(tmp_path, "cora")[0].open("wb") as fh:
        pickle.dump(_Evil(), fh, protocol=2)
    with pytest.raises(UnsafePickleError, match=r"ind\.cora\.x: refusing to load global 'posix\.getcwd'"):
        load_planetoid(tmp_path, "cora", expected=False)


def test_unknown_and_bad_options(tmp_path):
    write_mini(tmp_path, "cora")
    with pytest.raises(TypeError, match="unexpected keyword argument 'num_trains'"):
        datasets.load("cora", root=tmp_path, num_trains=3)
    with pytest.raises(ValueError, match="split must be 'public', 'full' or 'random'"):
        datasets.load("cora", root=tmp_path, split="geom-gcn")


def test_cache_is_read_on_second_load(tmp_path, monkeypatch):
    monkeypatch.setenv("GRAPHKIT_CACHE", str(tmp_path / "cache"))
    counts = write_mini(tmp_path / "root", "pubmed")
    calls = []
    real = planetoid.read_planetoid
    monkeypatch.setattr(planetoid, "read_planetoid", lambda *a: calls.append(a) or real(*a))
    first = load_planetoid(tmp_path / "root", "pubmed", expected=counts)
    assert len(calls) == 1 and len(list((tmp_path / "cache").glob("planetoid-pubmed-*.pt"))) == 1
    second = load_planetoid(tmp_path / "root", "pubmed", expected=counts)
    assert len(calls) == 1, "the second load must come from the cache"
    assert_same(second, first)
    # a changed raw file invalidates the cache
    path = raw_paths(tmp_path / "root", "pubmed")[-1]
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    load_planetoid(tmp_path / "root", "pubmed", expected=counts)
    assert len(calls) == 2


def _make_read_only(root: Path) -> None:
    for dirpath, _, files in os.walk(root):
        for f in files:
            os.chmod(Path(dirpath) / f, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        os.chmod(dirpath, stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP)


def _restore(root: Path) -> None:
    for dirpath, _, files in os.walk(root):
        os.chmod(dirpath, stat.S_IRWXU)
        for f in files:
            os.chmod(Path(dirpath) / f, stat.S_IRUSR | stat.S_IWUSR)


def _snapshot(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def test_read_only_root(tmp_path):
    counts = write_mini(tmp_path / "ro", "cora")
    before = _snapshot(tmp_path / "ro")
    _make_read_only(tmp_path / "ro")
    try:
        data = load_planetoid(tmp_path / "ro", "cora", expected=counts)
        assert data.num_nodes == counts.num_nodes
        assert _snapshot(tmp_path / "ro") == before, "nothing may be written next to the raw files"
    finally:
        _restore(tmp_path / "ro")


# --------------------------------------------------------------------------- download (offline)


def test_download_fetches_only_missing_files(tmp_path, monkeypatch):
    counts = write_mini(tmp_path / "source", "citeseer", num_isolated=2)
    source = raw_paths(tmp_path / "source", "citeseer")[0].parent
    fetched = []

    def fake_fetch(url: str, dest: Path) -> None:
        assert url == f"{planetoid.URL}/{dest.name}"
        fetched.append(dest.name)
        shutil.copy(source / dest.name, dest)

    monkeypatch.setattr(planetoid, "_fetch", fake_fetch)
    with pytest.raises(FileNotFoundError):
        load_planetoid(tmp_path / "dest", "citeseer", expected=counts)  # download defaults to False
    assert fetched == []
    data = load_planetoid(tmp_path / "dest", "citeseer", download=True, expected=counts)
    assert len(fetched) == 8 and data.num_nodes == counts.num_nodes
    os.remove(raw_paths(tmp_path / "dest", "citeseer")[3])  # y
    fetched.clear()
    load_planetoid(tmp_path / "dest", "citeseer", download=True, expected=counts)
    assert fetched == ["ind.citeseer.y"]


def test_download_into_unwritable_root_says_so(tmp_path, monkeypatch):
    def denied(url, dest):
        raise PermissionError(13, "Permission denied", str(dest))

    monkeypatch.setattr(planetoid, "_fetch", denied)
    with pytest.raises(PermissionError, match="cannot write the downloaded files.*writable root="):
        load_planetoid(tmp_path, "cora", download=True)


def test_download_failure_names_the_source(tmp_path, monkeypatch):
    import urllib.error

    def offline(url, dest):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(planetoid, "_fetch", offline)
    with pytest.raises(OSError, match=r"downloading https://github\.com/kimiyoung/planetoid/raw/master/data/"
                                      r"ind\.pubmed\.\* into .* failed.*no network"):
        load_planetoid(tmp_path, "pubmed", download=True)


def test_fetch_writes_atomically(tmp_path):
    src = tmp_path / "blob.bin"
    src.write_bytes(os.urandom(3 << 20))
    dest = tmp_path / "out.bin"
    planetoid._fetch(src.as_uri(), dest)  # file:// URL: the real fetch code without a network
    assert dest.read_bytes() == src.read_bytes()
    assert not list(tmp_path.glob("*.part"))


def test_registered_names():
    for name in ("cora", "citeseer", "pubmed"):
        entry = datasets.spec(name)
        assert entry.task == "node" and str(PUBLISHED[name].num_nodes) in entry.description


# --------------------------------------------------------------------------- real files


def _cora_raw(root: Path) -> Path:
    raw = root / "Planetoid" / "Cora" / "raw"
    if not raw.is_dir():
        pytest.skip(f"{raw} not present")
    return raw


@pytest.mark.data
def test_real_cora_counts_and_pyg_equality(real_data_root, tmp_path):
    raw = _cora_raw(real_data_root)
    data = datasets.load("cora", root=real_data_root)
    assert (data.num_nodes, data.edge_index.size(1), data.x.size(1)) == (2708, 10556, 1433)
    assert int(data.y.max()) + 1 == 7
    assert [int(m.sum()) for m in (data.train_mask, data.val_mask, data.test_mask)] == [140, 500, 1000]
    assert_same(data, pyg_planetoid(raw, "Cora", tmp_path))


@pytest.mark.data
def test_real_cora_random_and_full_splits(real_data_root):
    _cora_raw(real_data_root)
    data = datasets.load("cora", root=real_data_root, split="random", seed=0)
    assert torch.bincount(data.y[data.train_mask]).tolist() == [20] * 7
    assert [int(m.sum()) for m in (data.train_mask, data.val_mask, data.test_mask)] == [140, 500, 1000]
    full = datasets.load("cora", root=real_data_root, split="full")
    assert int(full.train_mask.sum()) == 2708 - 1500


@pytest.mark.data
def test_real_cora_second_load_reads_the_cache(real_data_root, tmp_path, monkeypatch):
    _cora_raw(real_data_root)
    monkeypatch.setenv("GRAPHKIT_CACHE", str(tmp_path / "cache"))
    first = datasets.load("cora", root=real_data_root)
    assert len(list((tmp_path / "cache").glob("planetoid-cora-*.pt"))) == 1

    def must_not_build(*args):
        raise AssertionError("read_planetoid called although the cache exists")

    monkeypatch.setattr(planetoid, "read_planetoid", must_not_build)
    assert_same(datasets.load("cora", root=real_data_root), first)


@pytest.mark.data
def test_real_cora_from_read_only_copy(real_data_root, tmp_path):
    raw = _cora_raw(real_data_root)
    shutil.copytree(raw, tmp_path / "ro" / "Planetoid" / "Cora" / "raw")
    before = _snapshot(tmp_path / "ro")
    _make_read_only(tmp_path / "ro")
    try:
        data = datasets.load("cora", root=tmp_path / "ro")
        assert data.num_nodes == 2708 and _snapshot(tmp_path / "ro") == before
    finally:
        _restore(tmp_path / "ro")
