"""OGB link-prediction loaders: real ogbl-ddi files, and miniature collab / ppa / citation2 copies
written here in OGB's exact on-disk layout (gzip CSVs, torch.save'd split dicts of numpy arrays)."""

from __future__ import annotations

import gzip
import os
import pickle
import shutil
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from graphkit import datasets
from graphkit.datasets import ogb
from graphkit.datasets._io import UnsafePickleError
from graphkit.train.link_prediction import evaluate_link

DDI_SPLIT = Path("ogbl-ddi") / "ogbl_ddi" / "split" / "target"


# --------------------------------------------------------------------------- miniature OGB layout


def _csv_gz(path: Path, rows, fmt: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = np.asarray(rows)
    with gzip.open(path, "wt") as fh:
        np.savetxt(fh, rows.reshape(rows.shape[0], -1), delimiter=",", fmt=fmt)


def write_ogb(base: Path, split_type: str, *, num_nodes: int, edges: np.ndarray, splits: dict,
              feat: np.ndarray | None = None, feat_fmt: str = "%.2f", edge_files: dict | None = None,
              node_files: dict | None = None, legacy: bool = True) -> Path:
    """Write ``base/{raw,split}`` as OGB ships it; ``legacy`` uses torch's pre-1.6 pickle format."""
    raw = base / "raw"
    _csv_gz(raw / "edge.csv.gz", edges, "%d")
    _csv_gz(raw / "num-node-list.csv.gz", [num_nodes], "%d")
    _csv_gz(raw / "num-edge-list.csv.gz", [len(edges)], "%d")
    if feat is not None:
        _csv_gz(raw / "node-feat.csv.gz", feat, feat_fmt)
    for name, (values, fmt) in {**(edge_files or {}), **(node_files or {})}.items():
        _csv_gz(raw / f"{name}.csv.gz", values, fmt)
    split = base / "split" / split_type
    split.mkdir(parents=True)
    for stage, d in splits.items():
        torch.save(d, split / f"{stage}.pt", _use_new_zipfile_serialization=not legacy)
    (base / "RELEASE_v1.txt").write_text("# Release note\n")
    return base


def _distinct_pairs(rng, num_nodes: int, count: int, exclude=()) -> np.ndarray:
    seen = {tuple(sorted(p)) for p in exclude}
    out = []
    while len(out) < count:
        u, v = (int(a) for a in rng.integers(0, num_nodes, 2))
        if u != v and (min(u, v), max(u, v)) not in seen:
            seen.add((min(u, v), max(u, v)))
            out.append((u, v))
    return np.array(out, dtype=np.int64)


def mini_collab(base: Path, *, with_train: bool = True) -> dict:
    rng = np.random.default_rng(0)
    n = 30
    train = _distinct_pairs(rng, n, 40)
    train = np.concatenate([train, train[:1]])  # the same authors again in another year
    weight = rng.integers(1, 4, len(train))
    year = rng.integers(2010, 2018, len(train))
    year[-1] = year[0] + 1 if year[0] < 2017 else year[0] - 1
    valid = _distinct_pairs(rng, n, 6, exclude=train)
    test = _distinct_pairs(rng, n, 5, exclude=np.concatenate([train, valid]))
    feat = np.round(rng.normal(size=(n, 4)), 2)
    splits = {
        "valid": {"edge": valid, "weight": rng.integers(1, 4, 6), "year": np.full(6, 2018),
                  "edge_neg": rng.integers(0, n, (10, 2))},
        "test": {"edge": test, "weight": rng.integers(1, 4, 5), "year": np.full(5, 2019),
                 "edge_neg": rng.integers(0, n, (9, 2))},
    }
    if with_train:
        splits["train"] = {"edge": train, "weight": weight, "year": year}
    write_ogb(base, "time", num_nodes=n, edges=train, splits=splits, feat=feat,
              edge_files={"edge_weight": (weight, "%d"), "edge_year": (year, "%d")})
    return {"n": n, "train": train, "weight": weight, "year": year, "valid": valid, "test": test,
            "feat": feat, "splits": splits}


def mini_ppa(base: Path) -> dict:
    rng = np.random.default_rng(1)
    n = 25
    train = _distinct_pairs(rng, n, 30)
    valid = np.concatenate([_distinct_pairs(rng, n, 4, exclude=train), train[:1, ::-1]])  # one overlap
    test = _distinct_pairs(rng, n, 3, exclude=np.concatenate([train, valid]))
    feat = np.eye(6, dtype=np.int64)[rng.integers(0, 6, n)]  # one-hot species, as integers
    splits = {  # tensors, new zip format: what a user re-saving OGB's files would write
        "valid": {"edge": torch.from_numpy(valid.copy()), "edge_neg": torch.randint(0, n, (8, 2))},
        "test": {"edge": torch.from_numpy(test), "edge_neg": torch.randint(0, n, (7, 2))},
    }
    write_ogb(base, "throughput", num_nodes=n, edges=train, splits=splits, feat=feat, feat_fmt="%d",
              legacy=False)
    return {"n": n, "train": train, "valid": valid, "feat": feat}


def mini_citation2(base: Path, k: int = 7) -> dict:
    rng = np.random.default_rng(2)
    n, p = 40, 6
    src = rng.integers(20, n, 60)
    dst = rng.integers(0, 20, 60)  # a paper cites older ones
    edges = np.stack([src, dst], 1)
    vs, ts = rng.integers(20, n, p), rng.integers(20, n, p)
    splits = {
        "train": {"source_node": src, "target_node": dst},
        "valid": {"source_node": vs, "target_node": rng.integers(0, 20, p),
                  "target_node_neg": rng.integers(0, n, (p, k))},
        "test": {"source_node": ts, "target_node": rng.integers(0, 20, p),
                 "target_node_neg": rng.integers(0, n, (p, k))},
    }
    feat = np.round(rng.normal(size=(n, 5)), 2)
    year = rng.integers(1990, 2020, n)
    write_ogb(base, "time", num_nodes=n, edges=edges, splits=splits, feat=feat,
              node_files={"node_year": (year, "%d")})
    return {"n": n, "k": k, "edges": edges, "splits": splits, "feat": feat, "year": year}


def mini_ddi(base: Path) -> None:
    rng = np.random.default_rng(3)
    train = _distinct_pairs(rng, 12, 15)
    valid = _distinct_pairs(rng, 12, 3, exclude=train)
    split = {"edge": valid, "edge_neg": rng.integers(0, 12, (4, 2))}
    write_ogb(base, "target", num_nodes=12, edges=train, splits={"valid": split, "test": split})


def _pairs(t: torch.Tensor) -> set[tuple[int, int]]:
    return set(map(tuple, t.t().tolist()))


def _isin(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """torch.isin via one sort and a binary search (torch.isin takes seconds on these sizes)."""
    b = torch.sort(b).values
    return b[torch.searchsorted(b, a).clamp_max(b.numel() - 1)] == a


def _keys(t: torch.Tensor, n: int) -> torch.Tensor:
    return torch.minimum(t[0], t[1]) * n + torch.maximum(t[0], t[1])


# --------------------------------------------------------------------------- real ogbl-ddi


@pytest.fixture
def ddi(real_data_root):
    if not (real_data_root / DDI_SPLIT / "valid.pt").is_file():
        pytest.skip(f"ogbl-ddi not under {real_data_root}")
    return datasets.load("ogbl-ddi", root=real_data_root)


@pytest.mark.data
def test_ddi_counts_and_protocol(ddi):
    assert ddi.num_nodes == 4267 and ddi.x is None and ddi.num_features == 0
    assert ddi.train_pos.shape == (2, 1_067_911) and ddi.edge_index.shape == (2, 2_135_822)
    assert ddi.valid_pos.shape == (2, 133_489) and ddi.valid_neg.shape == (2, 101_882)
    assert ddi.test_pos.shape == (2, 133_489) and ddi.test_neg.shape == (2, 95_599)
    # 1,067,911 + 2 * 133,489 = OGB's 1,334,889 edges in all
    assert ddi.train_pos.size(1) + ddi.valid_pos.size(1) + ddi.test_pos.size(1) == 1_334_889
    assert ddi.neg_per_positive is None and ddi.test_edge_index is None
    assert ddi.extra["metric"] == ogb.METRICS["ogbl-ddi"] == "hits@20"
    assert ddi.extra["train_source"] == "raw"  # the shared copy has no train.pt
    assert ddi.extra["valid_in_train"] == 0 and ddi.extra["test_in_train"] == 0
    assert all(t.dtype == torch.long for t in (ddi.edge_index, ddi.train_pos, ddi.valid_neg, ddi.test_neg))
    assert repr(ddi) == ("LinkSplit(ogbl-ddi, num_nodes=4267, num_features=0, train=1067911, "
                         "valid=133489/101882, test=133489/95599)")


@pytest.mark.data
def test_ddi_splits_disjoint_and_graph_symmetric(ddi):
    n = ddi.num_nodes
    train, valid, test = (_keys(t, n) for t in (ddi.train_pos, ddi.valid_pos, ddi.test_pos))
    assert train.unique().numel() == train.numel()
    assert not _isin(valid, train).any() and not _isin(test, train).any()
    assert not _isin(valid, test).any()
    graph = _keys(ddi.edge_index, n)
    assert not _isin(torch.cat([valid, test]), graph).any()  # no evaluation positive leaks
    negs = torch.cat([_keys(ddi.valid_neg, n), _keys(ddi.test_neg, n)])
    assert not _isin(negs, torch.cat([train, valid, test])).any()
    # symmetric: (u, v) present iff (v, u) present; exactly the training edges both ways
    row, col = ddi.edge_index
    fwd, bwd = torch.sort(row * n + col).values, torch.sort(col * n + row).values
    assert torch.equal(fwd, bwd)
    assert torch.equal(ddi.edge_index, torch.cat([ddi.train_pos, ddi.train_pos.flip(0)], 1))


@pytest.mark.data
def test_ddi_matches_plain_torch_load(ddi, real_data_root):
    # the files are trusted here: compare the restricted reader with an unrestricted one
    for stage, pos, neg in (("valid", ddi.valid_pos, ddi.valid_neg), ("test", ddi.test_pos, ddi.test_neg)):
        ref = torch.load(real_data_root / DDI_SPLIT / f"{stage}.pt", weights_only=False)
        assert isinstance(ref["edge"], np.ndarray)  # OGB ships numpy arrays in legacy torch pickles
        assert torch.equal(pos, torch.from_numpy(ref["edge"]).t())
        assert torch.equal(neg, torch.from_numpy(ref["edge_neg"]).t())


@pytest.mark.data
def test_ddi_second_load_reads_the_cache(real_data_root, monkeypatch, tmp_path):
    if not (real_data_root / DDI_SPLIT / "valid.pt").is_file():
        pytest.skip(f"ogbl-ddi not under {real_data_root}")
    monkeypatch.setenv("GRAPHKIT_CACHE", str(tmp_path / "cache"))
    calls = []
    build = ogb._build
    monkeypatch.setattr(ogb, "_build", lambda *a: calls.append(1) or build(*a))
    first = datasets.load("ogbl-ddi", root=real_data_root)
    assert calls == [1] and len(list((tmp_path / "cache").glob("ogbl-ddi-*.pt"))) == 1

    def refuse(*args):
        raise AssertionError("the second load rebuilt instead of reading the cache")

    monkeypatch.setattr(ogb, "_build", refuse)
    second = datasets.load("ogbl-ddi", root=real_data_root)
    assert torch.equal(first.edge_index, second.edge_index) and torch.equal(first.test_neg, second.test_neg)


def test_registered_names_and_unknown_option(tmp_path):
    assert set(ogb.METRICS) <= set(datasets.names("link"))
    assert ogb.METRICS == {"ogbl-ddi": "hits@20", "ogbl-collab": "hits@50", "ogbl-ppa": "hits@100",
                           "ogbl-citation2": "mrr"}
    with pytest.raises(TypeError, match="split"):
        datasets.load("ogbl-ddi", root=tmp_path, split="random")
    with pytest.raises(TypeError, match="download must be True or False"):
        datasets.load("ogbl-ddi", root=tmp_path, download="yes")


# --------------------------------------------------------------------------- miniature copies


def test_collab_features_weights_and_validation_edges_at_test_time(tmp_path):
    m = mini_collab(tmp_path / "ogbl-collab" / "ogbl_collab")
    s = datasets.load("ogbl-collab", root=tmp_path, check_counts=False)
    e = len(m["train"])
    assert s.num_nodes == m["n"] and s.extra["metric"] == "hits@50" and s.extra["train_source"] == "train.pt"
    assert s.x.dtype == torch.float32 and torch.allclose(s.x, torch.tensor(m["feat"], dtype=torch.float32))
    assert torch.equal(s.train_pos, torch.from_numpy(m["train"]).t())
    assert torch.equal(s.edge_index, torch.cat([s.train_pos, s.train_pos.flip(0)], 1))
    assert s.edge_index.size(1) == 2 * e  # the repeated pair is kept, once per year
    assert torch.equal(s.extra["edge_weight"], torch.tensor(np.concatenate([m["weight"]] * 2),
                                                            dtype=torch.float32))
    assert torch.equal(s.extra["edge_year"], torch.from_numpy(np.concatenate([m["year"]] * 2)))
    assert torch.equal(s.extra["train_year"], torch.from_numpy(m["year"]))
    assert torch.equal(s.extra["valid_year"], torch.full((6,), 2018))
    assert s.valid_neg.shape == (2, 10) and s.test_neg.shape == (2, 9)
    # validation edges: absent from the training graph, present (both ways) in the test graph
    valid = _pairs(s.valid_pos) | _pairs(s.valid_pos.flip(0))
    assert not valid & _pairs(s.edge_index)
    assert valid <= _pairs(s.test_edge_index) and _pairs(s.edge_index) <= _pairs(s.test_edge_index)
    assert s.test_edge_index.size(1) == 2 * e + 2 * 6
    assert s.graph_for("valid") is s.edge_index and s.graph_for("test") is s.test_edge_index
    assert s.extra["test_edge_weight"].numel() == s.test_edge_index.size(1)
    off = datasets.load("ogbl-collab", root=tmp_path, check_counts=False, use_valedges_as_input=False)
    assert off.test_edge_index is None and off.graph_for("test") is off.edge_index


def test_collab_without_train_pt_uses_raw_edges(tmp_path):
    m = mini_collab(tmp_path / "ogbl-collab" / "ogbl_collab", with_train=False)
    s = datasets.load("ogbl-collab", root=tmp_path, check_counts=False)
    assert s.extra["train_source"] == "raw" and torch.equal(s.train_pos, torch.from_numpy(m["train"]).t())
    assert torch.equal(s.extra["train_weight"], torch.tensor(m["weight"], dtype=torch.float32))


def test_published_counts_are_enforced(tmp_path):
    mini_collab(tmp_path / "ogbl-collab" / "ogbl_collab")
    with pytest.raises(ValueError, match=r"published counts \(num_nodes: expected 235,868, found 30;.*"
                                         r"check_counts=False"):
        datasets.load("ogbl-collab", root=tmp_path)


def test_ppa_one_hot_features_tensor_splits_overlap_and_flat_layout(tmp_path):
    m = mini_ppa(tmp_path / "ogbl_ppa")  # without the outer ogbl-ppa/ folder
    s = datasets.load("ogbl-ppa", root=tmp_path, check_counts=False)
    assert s.extra["metric"] == "hits@100" and s.extra["split_type"] == "throughput"
    assert s.x.dtype == torch.float32 and torch.equal(s.x, torch.tensor(m["feat"], dtype=torch.float32))
    assert s.extra["train_source"] == "raw" and torch.equal(s.train_pos, torch.from_numpy(m["train"]).t())
    assert torch.equal(s.valid_pos, torch.from_numpy(m["valid"].copy()).t())
    assert s.extra["valid_in_train"] == 1 and s.extra["test_in_train"] == 0  # reported, not dropped
    assert s.test_edge_index is None and s.neg_per_positive is None


def test_citation2_directed_training_pairs_and_per_positive_negatives(tmp_path):
    m = mini_citation2(tmp_path / "ogbl-citation2" / "ogbl_citation2")
    s = datasets.load("ogbl-citation2", root=tmp_path, check_counts=False)
    k, sp = m["k"], m["splits"]
    assert s.extra["metric"] == "mrr" and s.neg_per_positive == k
    assert torch.equal(s.extra["node_year"], torch.from_numpy(m["year"]))
    assert torch.equal(s.train_pos, torch.from_numpy(np.stack([sp["train"]["source_node"],
                                                               sp["train"]["target_node"]])))
    directed = torch.from_numpy(m["edges"]).t()
    assert torch.equal(s.edge_index, torch.cat([directed, directed.flip(0)], 1))  # symmetrised, as NCN
    for stage, neg in (("valid", s.valid_neg), ("test", s.test_neg)):
        d = sp[stage]
        p = len(d["source_node"])
        assert neg.shape == (2, p * k)
        for i in range(p):
            for j in range(k):
                assert neg[:, i * k + j].tolist() == [d["source_node"][i], d["target_node_neg"][i, j]]


class _Dot(nn.Module):
    def encode(self, x, edge_index):
        return x

    def score(self, h, edge_index, pairs):
        return (h[pairs[0]] * h[pairs[1]]).sum(-1)


def test_citation2_mrr_through_evaluate_link_matches_direct_computation(tmp_path):
    m = mini_citation2(tmp_path / "ogbl-citation2" / "ogbl_citation2", k=9)
    s = datasets.load("ogbl-citation2", root=tmp_path, check_counts=False)
    x = torch.tensor(m["feat"], dtype=torch.float32)
    for stage in ("valid", "test"):
        d = m["splits"][stage]
        ranks = []
        for src, dst, negs in zip(d["source_node"], d["target_node"], d["target_node_neg"], strict=True):
            pos = float(x[src] @ x[dst])
            neg = [float(x[src] @ x[t]) for t in negs]
            ranks.append(1 + 0.5 * (sum(v > pos for v in neg) + sum(v >= pos for v in neg)))
        expected = float(np.mean([1 / r for r in ranks]))
        got = evaluate_link(_Dot(), s, stage, s.extra["metric"], batch_size=7)
        assert got == pytest.approx(expected, abs=1e-6)


# --------------------------------------------------------------------------- safety and errors


class _Evil:
    marker: Path

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("fmt", ["torch-zip", "raw-pickle"])
def test_malicious_split_file_is_refused(tmp_path, fmt):
    base = tmp_path / "ogbl-ddi" / "ogbl_ddi"
    mini_ddi(base)
    evil = _Evil()
    evil.marker = tmp_path / "pwned"
    target = base / "split" / "target" / "valid.pt"
    if fmt == "torch-zip":
        torch.save({"edge": evil}, target)
    else:
        target.write_bytes(pickle.dumps({"edge": evil}, protocol=2))
    with pytest.raises(UnsafePickleError, match=r"valid\.pt: refusing to load it \(.*posix\.system"):
        datasets.load("ogbl-ddi", root=tmp_path, check_counts=False)
    assert not evil.marker.exists()


def test_mini_ddi_loads_and_legacy_numpy_pickles_are_accepted(tmp_path):
    mini_ddi(tmp_path / "ogbl-ddi" / "ogbl_ddi")
    s = datasets.load("ogbl-ddi", root=tmp_path, check_counts=False)
    assert s.x is None and s.train_pos.shape == (2, 15) and s.valid_pos.shape == (2, 3)


def test_truncated_files_raise_value_error_naming_them(tmp_path):
    base = tmp_path / "ogbl-ddi" / "ogbl_ddi"
    mini_ddi(base)
    edge = base / "raw" / "edge.csv.gz"
    blob = edge.read_bytes()
    edge.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(ValueError, match=r"edge\.csv\.gz: cannot parse.*truncated or corrupt"):
        datasets.load("ogbl-ddi", root=tmp_path, check_counts=False)
    edge.write_bytes(blob)
    pt = base / "split" / "target" / "test.pt"
    pt.write_bytes(pt.read_bytes()[:100])
    with pytest.raises(ValueError, match=r"test\.pt: not a readable split file"):
        datasets.load("ogbl-ddi", root=tmp_path, check_counts=False)


def test_row_count_mismatch_and_bad_ids_are_errors(tmp_path):
    base = tmp_path / "ogbl-ddi" / "ogbl_ddi"
    mini_ddi(base)
    _csv_gz(base / "raw" / "num-edge-list.csv.gz", [99], "%d")
    with pytest.raises(ValueError, match=r"edge\.csv\.gz: expected 99 rows"):
        datasets.load("ogbl-ddi", root=tmp_path, check_counts=False)
    _csv_gz(base / "raw" / "num-edge-list.csv.gz", [15], "%d")
    _csv_gz(base / "raw" / "num-node-list.csv.gz", [5], "%d")
    with pytest.raises(ValueError, match=r"node ids must lie in \[0, 5\)"):
        datasets.load("ogbl-ddi", root=tmp_path, check_counts=False)


def test_missing_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        datasets.load("ogbl-collab", root=tmp_path)
    msg = str(info.value)
    base = tmp_path / "ogbl-collab" / "ogbl_collab"
    for rel in ("raw/edge.csv.gz", "raw/node-feat.csv.gz", "raw/edge_weight.csv.gz", "raw/edge_year.csv.gz",
                "split/time/valid.pt", "split/time/test.pt"):
        assert str(base / rel) in msg
    assert "http://snap.stanford.edu/ogb/data/linkproppred/collab.zip" in msg and "download=True" in msg
    mini_ddi(tmp_path / "ogbl-ddi" / "ogbl_ddi")
    (tmp_path / "ogbl-ddi" / "ogbl_ddi" / "split" / "target" / "test.pt").unlink()
    with pytest.raises(FileNotFoundError, match=r"split/target/test\.pt"):
        datasets.load("ogbl-ddi", root=tmp_path, check_counts=False)


def test_numpy_fallback_parses_like_pandas(tmp_path, monkeypatch):
    mini_ppa(tmp_path / "ogbl-ppa" / "ogbl_ppa")
    with_pandas = datasets.load("ogbl-ppa", root=tmp_path, check_counts=False)
    monkeypatch.setenv("GRAPHKIT_CACHE", str(tmp_path / "fresh-cache"))
    monkeypatch.setitem(sys.modules, "pandas", None)  # `import pandas` now raises ImportError
    without = datasets.load("ogbl-ppa", root=tmp_path, check_counts=False)
    assert torch.equal(with_pandas.x, without.x) and torch.equal(with_pandas.edge_index, without.edge_index)


# --------------------------------------------------------------------------- download (offline)


def _zip_tree(folder: Path, archive: Path, top: str) -> None:
    with zipfile.ZipFile(archive, "w") as zf:
        for f in sorted(folder.rglob("*")):
            zf.write(f, Path(top) / f.relative_to(folder))


def test_download_fetches_ogb_archive_and_unpacks_it(tmp_path, monkeypatch):
    m = mini_collab(tmp_path / "src" / "collab")
    archive = tmp_path / "collab.zip"
    _zip_tree(tmp_path / "src" / "collab", archive, "collab")  # OGB zips hold a '<download_name>/' folder
    urls = []

    def fake_fetch(url, dest):
        urls.append(url)
        shutil.copy(archive, dest)

    monkeypatch.setattr(ogb, "_fetch", fake_fetch)
    root = tmp_path / "root"
    with pytest.raises(FileNotFoundError):  # never downloads by default
        datasets.load("ogbl-collab", root=root, check_counts=False)
    assert urls == []
    s = datasets.load("ogbl-collab", root=root, check_counts=False, download=True)
    assert urls == ["http://snap.stanford.edu/ogb/data/linkproppred/collab.zip"]
    base = root / "ogbl-collab" / "ogbl_collab"
    assert (base / "raw" / "edge.csv.gz").is_file() and (base / "split" / "time" / "train.pt").is_file()
    assert sorted(p.name for p in (root / "ogbl-collab").iterdir()) == ["ogbl_collab"]  # zip removed
    assert torch.equal(s.train_pos, torch.from_numpy(m["train"]).t())
    monkeypatch.setattr(ogb, "_fetch", lambda url, dest: pytest.fail("files are present: no download"))
    datasets.load("ogbl-collab", root=root, check_counts=False, download=True)


def test_download_refuses_paths_outside_the_folder(tmp_path, monkeypatch):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("ddi/raw/edge.csv.gz", b"")
        zf.writestr("../../escaped.txt", b"x")
    monkeypatch.setattr(ogb, "_fetch", lambda url, dest: shutil.copy(archive, dest))
    with pytest.raises(ValueError, match="outside the extraction folder"):
        datasets.load("ogbl-ddi", root=tmp_path / "root", download=True)
    assert not list(tmp_path.rglob("escaped.txt"))
