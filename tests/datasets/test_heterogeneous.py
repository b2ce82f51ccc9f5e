"""Tests for graphkit.datasets.heterogeneous: HeCo / MEOW heterogeneous graphs as HeteroData."""

from __future__ import annotations

import dataclasses
import os
import pickle
import time
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from torch_geometric.data import HeteroData

import graphkit.datasets.heterogeneous as het
from graphkit.datasets import load, names, spec

HET_NAMES = ["acm", "dblp", "aminer", "freebase", "imdb"]


def _require_dir(root: Path, rel: str) -> Path:
    folder = root / rel
    if not folder.is_dir():
        pytest.skip(f"{rel} is not in this copy of the data (kept back)")
    return folder


def _pairs(edge_index: torch.Tensor) -> torch.Tensor:
    """The distinct ``(row, col)`` pairs, as sorted int64 keys (set comparison by ``torch.equal``)."""
    return torch.unique(edge_index[0] * (1 << 32) + edge_index[1])


def _same_pairs(a: torch.Tensor, b) -> bool:
    b = b if isinstance(b, torch.Tensor) else torch.tensor(sorted(b)).t()
    return torch.equal(_pairs(a), _pairs(b))


def _check_common(data: HeteroData, name: str, layout: str, split: int = 20) -> None:
    s = het.SPECS[name]
    target = s.target
    assert data.name == name and data.layout == layout and data.target_node_type == target
    for ntype, n in s.types.values():
        assert data[ntype].num_nodes == n
    # both directions of every relation
    for rel, rows in s.relations.items():
        a, b = (s.types[c][0] for c in rel)
        fwd, bwd = data[a, "to", b].edge_index, data[b, "to", a].edge_index
        assert fwd.shape == (2, rows) and fwd.dtype == torch.long
        assert torch.equal(bwd, fwd.flip(0))
        assert int(fwd[0].max()) < data[a].num_nodes and int(fwd[1].max()) < data[b].num_nodes
    # meta-paths with their published number of pairs, symmetric, sorted
    assert data.metapaths == [(target, mp, target) for mp in s.metapaths]
    n = s.types[s.target_letter][1]
    for mp, nnz in s.metapaths.items():
        store = data[target, mp, target]
        if nnz is not None:
            assert store.edge_index.shape == (2, nnz)
        key = store.edge_index[0] * n + store.edge_index[1]
        assert bool((key[1:] > key[:-1]).all())
        if key.numel() <= 1_000_000:  # symmetry (sorting ACM's 4.3M PSP pairs twice costs 1.6 s)
            assert torch.equal(key, torch.sort(store.edge_index[1] * n + store.edge_index[0]).values)
        assert store.edge_weight.shape == (store.edge_index.shape[1],) and bool((store.edge_weight > 0).all())
    # labels and the three splits
    y = data[target].y
    assert y.dtype == torch.long and y.shape == (n,) and sorted(y.unique().tolist()) == list(range(s.classes))
    for r in het.SPLITS:
        tr, va, te = (data[target][f"{p}_mask_{r}"] for p in ("train", "val", "test"))
        assert int(va.sum()) == 1000 and int(te.sum()) == 1000
        assert not bool((tr & va).any() | (tr & te).any() | (va & te).any())
    for p in ("train", "val", "test"):
        assert torch.equal(data[target][f"{p}_mask"], data[target][f"{p}_mask_{split}"])
    data.validate()


# --------------------------------------------------------------------------- registry


def test_registered_names_and_task():
    for name in HET_NAMES:
        assert name in names("hetero") and spec(name).task == "hetero"


# --------------------------------------------------------------------------- real files


@pytest.mark.data
def test_acm_heco(real_data_root):
    _require_dir(real_data_root, "HeCo/acm")
    data = load("acm", root=real_data_root)
    _check_common(data, "acm", "heco")
    assert data["paper"].num_nodes == 4019 and int(data["paper"].y.max()) + 1 == 3
    assert torch.bincount(data["paper"].y).tolist() == [1993, 965, 1061]
    assert [int(data["paper"][f"train_mask_{r}"].sum()) for r in het.SPLITS] == [60, 120, 180]
    assert data["paper"].x.shape == (4019, 1902) and data["paper"].x.layout == torch.strided
    assert int((data["paper"].x != 0).sum()) == 340377
    assert data["author"].x.shape == (7167, 1902)  # a_feat.npz (HeCo's code uses one-hot instead)
    subject = data["subject"].x
    assert subject.is_sparse and subject.shape == (60, 60) and torch.equal(subject.to_dense(), torch.eye(60))
    # neighbour lists are the relation edges, grouped per paper
    assert _same_pairs(data["paper"].nei_author_index, data["paper", "to", "author"].edge_index)
    assert _same_pairs(data["paper"].nei_subject_index, data["paper", "to", "subject"].edge_index)
    assert torch.equal(data["paper"].nei_author_weight, torch.ones(13407))
    assert data["paper"].pos_edge_index.shape == (2, 20053)
    assert bool((data["paper", "pap", "paper"].edge_weight == 1).all())  # HeCo stores booleans
    assert data.recomputed == []


@pytest.mark.data
def test_acm_meow_layout_holds_path_counts(real_data_root):
    _require_dir(real_data_root, "MEOW/acm")
    _require_dir(real_data_root, "HeCo/acm")
    heco = load("acm", root=real_data_root)
    meow = load("acm", root=real_data_root, layout="meow")
    _check_common(meow, "acm", "meow")
    pap_h, pap_m = heco["paper", "pap", "paper"], meow["paper", "pap", "paper"]
    assert torch.equal(pap_h.edge_index, pap_m.edge_index)  # same pattern
    assert float(pap_m.edge_weight.max()) > 1  # counts of shared authors
    assert not hasattr(meow["paper"], "pos_edge_index")
    assert _same_pairs(meow["paper"].nei_author_index, heco["paper"].nei_author_index)
    assert torch.equal(meow["paper"].y, heco["paper"].y)


@pytest.mark.data
def test_aminer(real_data_root):
    _require_dir(real_data_root, "HeCo/aminer")
    data = load("aminer", root=real_data_root)
    _check_common(data, "aminer", "heco")
    assert [int(data["paper"][f"train_mask_{r}"].sum()) for r in het.SPLITS] == [80, 160, 240]
    assert data["reference"].x.is_sparse and data["reference"].x.shape == (35890, 35890)
    assert data["reference"].x._nnz() == 35890
    assert data["paper"].pos_edge_index.shape == (2, 67730)
    assert _same_pairs(data["paper"].nei_reference_index, data["paper", "to", "reference"].edge_index)


@pytest.mark.data
def test_freebase(real_data_root):
    _require_dir(real_data_root, "HeCo/freebase")
    data = load("freebase", root=real_data_root, split=60)
    _check_common(data, "freebase", "heco", split=60)
    assert set(data.node_types) == {"movie", "actor", "director", "writer"}
    assert [data[t].num_nodes for t in ("movie", "actor", "director", "writer")] == [3492, 33401, 2502, 4459]
    assert torch.equal(data["movie"].train_mask, data["movie"].train_mask_60)
    assert int(data["movie"].train_mask.sum()) == 180
    assert [data["movie", mp, "movie"].edge_index.shape[1] for mp in ("mam", "mdm", "mwm")] == \
        [254702, 8404, 10706]
    assert data["movie"].pos_edge_index.shape == (2, 163294)
    assert all(data[t].x.is_sparse for t in ("movie", "actor", "director", "writer"))


@pytest.mark.data
def test_imdb_meow(real_data_root):
    _require_dir(real_data_root, "MEOW/imdb")
    data = load("imdb", root=real_data_root)
    _check_common(data, "imdb", "meow")
    assert data["movie"].x.shape == (4275, 5927)
    assert torch.bincount(data["movie"].y).tolist() == [1112, 1594, 1569]  # raw labels 1..3 -> 0..2
    # MEOW drew IMDB's 40/60 training nodes with replacement: duplicates collapse in the masks
    assert [int(data["movie"][f"train_mask_{r}"].sum()) for r in het.SPLITS] == [60, 119, 175]
    assert _same_pairs(data["movie"].nei_keyword_index, data["movie", "to", "keyword"].edge_index)
    assert data["actor"].x.is_sparse
    assert not hasattr(data["movie"], "pos_edge_index")


@pytest.mark.data
@pytest.mark.parametrize(("name", "layout", "mp"), [
    ("acm", "heco", "pap"), ("acm", "meow", "pap"), ("aminer", "heco", "prp"),
    ("freebase", "heco", "mdm"), ("imdb", "meow", "mkm"), ("imdb", "meow", "mam"),
])
def test_recompute_rule_reproduces_shipped_metapaths(real_data_root, name, layout, mp):
    """The rule used for DBLP's missing files rebuilds every shipped meta-path exactly."""
    _require_dir(real_data_root, f"{'HeCo' if layout == 'heco' else 'MEOW'}/{name}")
    data = load(name, root=real_data_root, layout=layout)
    s = het.SPECS[name]
    relations = {}
    for rel in s.relations:
        a, b = (s.types[c][0] for c in rel)
        relations[rel] = data[a, "to", b].edge_index.numpy()
    derived = het._derive_metapath(mp, s, relations, layout)
    index, weight = het._csr_to_index(derived)
    store = data[s.target, mp, s.target]
    assert torch.equal(index, store.edge_index)
    assert torch.equal(weight, store.edge_weight)


@pytest.mark.data
def test_first_and_second_load_times(real_data_root, tmp_path, monkeypatch):
    _require_dir(real_data_root, "HeCo/acm")
    monkeypatch.setenv("GRAPHKIT_CACHE", str(tmp_path / "cache"))
    t0 = time.perf_counter()
    first = load("acm", root=real_data_root)
    t1 = time.perf_counter()
    second = load("acm", root=real_data_root)
    t2 = time.perf_counter()
    assert t1 - t0 < 10 and t2 - t1 < t1 - t0
    assert len(list((tmp_path / "cache").glob("acm-heco-*.pt"))) == 1
    assert torch.equal(first["paper", "psp", "paper"].edge_index, second["paper", "psp", "paper"].edge_index)
    assert torch.equal(first["author"].x, second["author"].x)


@pytest.mark.data
def test_featureless_none(real_data_root):
    _require_dir(real_data_root, "HeCo/acm")
    data = load("acm", root=real_data_root, featureless="none", split=40)
    assert "x" not in data["subject"] and data["paper"].x.shape == (4019, 1902)
    assert torch.equal(data["paper"].train_mask, data["paper"].train_mask_40)


# --------------------------------------------------------------------------- DBLP miniature


MINI = {"a": 5, "p": 6, "c": 2, "t": 4}
PA = [(0, 0), (0, 1), (1, 1), (2, 2), (3, 3), (4, 4), (5, 0), (5, 4)]
PC = [(0, 0), (1, 0), (2, 1), (3, 1), (4, 0), (5, 1)]
PT = [(0, 0), (1, 1), (2, 1), (3, 2), (4, 3), (5, 0), (2, 3)]
SPLIT_IDS = {20: ([0, 1], [2], [3]), 40: ([1, 2], [0], [4]), 60: ([0, 1, 2], [3], [4])}


def _dense(pairs, shape) -> np.ndarray:
    m = np.zeros(shape)
    for i, j in pairs:
        m[i, j] += 1
    return m


def _reference_metapaths(layout: str) -> dict[str, np.ndarray]:
    pa, pc, pt = _dense(PA, (6, 5)), _dense(PC, (6, 2)), _dense(PT, (6, 4))
    out = {}
    for mp, half in (("apa", pa.T), ("apcpa", pa.T @ pc), ("aptpa", pa.T @ pt)):
        if layout == "heco":
            h = (half > 0).astype(float)
            out[mp] = ((h @ h.T) > 0).astype(float)
        else:
            out[mp] = half @ half.T
    return out


def _write_txt(path: Path, pairs) -> None:
    path.write_text("".join(f"{i}\t{j}\n" for i, j in pairs))


def _write_dblp(folder: Path, layout: str, with_aptpa: bool = False) -> None:
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    _write_txt(folder / "pa.txt", PA)
    _write_txt(folder / "pc.txt", PC)
    _write_txt(folder / "pt.txt", PT)
    sp.save_npz(folder / "a_feat.npz", sp.csr_matrix(rng.integers(0, 2, (5, 3)).astype(np.float32)))
    sp.save_npz(folder / "p_feat.npz", sp.coo_matrix(rng.integers(0, 2, (6, 4)).astype(np.float32)))
    with open(folder / "t_feat.npz", "wb") as fh:  # the real file is a plain .npy under an .npz name
        np.save(fh, rng.normal(size=(4, 2)))
    np.save(folder / "labels.npy", np.array([0, 1, 2, 3, 0]))
    ref = _reference_metapaths(layout)
    for mp in ("apa",) + (("apcpa",) if layout == "heco" else ()) + (("aptpa",) if with_aptpa else ()):
        m = sp.coo_matrix(ref[mp])
        sp.save_npz(folder / f"{mp}.npz", m.astype(bool) if layout == "heco" else m)
    pa = _dense(PA, (6, 5))
    if layout == "heco":
        nei = np.empty(5, dtype=object)
        for a in range(5):
            nei[a] = np.flatnonzero(pa[:, a])
        np.save(folder / "nei_p.npy", nei, allow_pickle=True)
        sp.save_npz(folder / "pos.npz", sp.coo_matrix(np.eye(5) + np.eye(5, k=1)))
    else:
        sp.save_npz(folder / "nei_ap.npz", sp.coo_matrix(pa.T))
        sp.save_npz(folder / "nei_apc.npz", sp.coo_matrix(pa.T @ _dense(PC, (6, 2))))
        sp.save_npz(folder / "nei_apt.npz", sp.coo_matrix(pa.T @ _dense(PT, (6, 4))))
    for r, parts in SPLIT_IDS.items():
        for part, ids in zip(("train", "val", "test"), parts, strict=True):
            np.save(folder / f"{part}_{r}.npy", np.array(ids))


@pytest.fixture
def mini_dblp(tmp_path, monkeypatch):
    root = tmp_path / "data"
    _write_dblp(root / "HeCo" / "dblp", "heco")
    _write_dblp(root / "MEOW" / "dblp", "meow")
    ref = _reference_metapaths("heco")
    monkeypatch.setitem(het.SPECS, "dblp", dataclasses.replace(
        het.SPECS["dblp"],
        types={"a": ("author", 5), "p": ("paper", 6), "c": ("conference", 2), "t": ("term", 4)},
        relations={"pa": len(PA), "pc": len(PC), "pt": len(PT)},
        metapaths={"apa": int((ref["apa"] > 0).sum()), "apcpa": int((ref["apcpa"] > 0).sum()), "aptpa": None},
        pos=9, split_entries={r: tuple(len(p) for p in parts) for r, parts in SPLIT_IDS.items()}))
    return root


def _as_dense(data: HeteroData, mp: str) -> np.ndarray:
    store = data["author", mp, "author"]
    out = np.zeros((5, 5))
    out[store.edge_index[0].numpy(), store.edge_index[1].numpy()] = store.edge_weight.numpy()
    return out


def test_dblp_heco_recomputes_aptpa(mini_dblp):
    before = {str(p): p.stat().st_mtime_ns for p in mini_dblp.rglob("*")}
    data = load("dblp", root=mini_dblp)
    assert {str(p): p.stat().st_mtime_ns for p in mini_dblp.rglob("*")} == before  # no aptpa.npz written
    assert data.recomputed == ["aptpa"]
    ref = _reference_metapaths("heco")
    for mp in ("apa", "apcpa", "aptpa"):
        np.testing.assert_array_equal(_as_dense(data, mp), ref[mp], err_msg=mp)
    assert data["term"].x.shape == (4, 2) and data["term"].x.dtype == torch.float32  # .npy under .npz
    assert data["paper"].x.shape == (6, 4) and data["author"].x.shape == (5, 3)
    assert data["conference"].x.is_sparse
    assert _same_pairs(data["author"].nei_paper_index, {(a, p) for p, a in PA})
    assert data["author"].pos_edge_index.shape == (2, 9)
    assert [data["paper", "to", r].edge_index.shape[1] for r in ("author", "conference", "term")] == [8, 6, 7]
    assert torch.equal(data["author"].train_mask, data["author"].train_mask_20)
    assert data["author"].train_mask.nonzero().view(-1).tolist() == [0, 1]
    data.validate()


def test_dblp_meow_recomputes_path_counts(mini_dblp):
    data = load("dblp", root=mini_dblp, layout="meow")
    assert data.recomputed == ["apcpa", "aptpa"]
    ref = _reference_metapaths("meow")
    for mp in ("apa", "apcpa", "aptpa"):
        np.testing.assert_array_equal(_as_dense(data, mp), ref[mp], err_msg=mp)
    assert float(data["author", "aptpa", "author"].edge_weight.max()) > 1  # counts, not booleans
    assert data["author"].nei_paper_index.shape[1] == 8
    assert data["author"].nei_apc_index.shape[1] == int((_dense(PA, (6, 5)).T @ _dense(PC, (6, 2)) > 0).sum())
    assert not hasattr(data["author"], "pos_edge_index")


def test_dblp_shipped_aptpa_is_used(mini_dblp, tmp_path):
    root = tmp_path / "with_aptpa"
    _write_dblp(root / "HeCo" / "dblp", "heco", with_aptpa=True)
    data = load("dblp", root=root)
    assert data.recomputed == []
    np.testing.assert_array_equal(_as_dense(data, "aptpa"), _reference_metapaths("heco")["aptpa"])


def test_metapath_count_mismatch_is_an_error(mini_dblp, monkeypatch):
    monkeypatch.setitem(het.SPECS, "dblp", dataclasses.replace(
        het.SPECS["dblp"], metapaths={"apa": 1, "apcpa": None, "aptpa": None}))
    with pytest.raises(ValueError, match=r"apa\.npz: \d+ meta-path pairs, expected 1"):
        load("dblp", root=mini_dblp)


def test_corrupt_and_inconsistent_files_name_the_file(mini_dblp):
    folder = mini_dblp / "HeCo" / "dblp"
    (folder / "apa.npz").write_bytes(b"PK\x03\x04 broken")
    with pytest.raises(ValueError, match=r"apa\.npz"):
        load("dblp", root=mini_dblp)
    folder = mini_dblp / "MEOW" / "dblp"
    (folder / "pt.txt").write_text("0 0 1\n")
    with pytest.raises(ValueError, match=r"pt\.txt: expected two columns|pt\.txt: not a two-column"):
        load("dblp", root=mini_dblp, layout="meow")
    _write_txt(folder / "pt.txt", PT[:-1] + [(5, 99)])
    with pytest.raises(ValueError, match=r"pt\.txt: ids out of range"):
        load("dblp", root=mini_dblp, layout="meow")
    _write_txt(folder / "pt.txt", PT)
    np.save(folder / "labels.npy", np.array([0, 1, 2, 3]))
    with pytest.raises(ValueError, match=r"labels\.npy: 4 labels, expected 5"):
        load("dblp", root=mini_dblp, layout="meow")


def test_overlapping_splits_are_an_error(mini_dblp):
    np.save(mini_dblp / "HeCo" / "dblp" / "val_40.npy", np.array([1]))
    with pytest.raises(ValueError, match=r"train/val/test_40\.npy overlap"):
        load("dblp", root=mini_dblp)


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo owned",))


def test_planted_pickle_in_neighbour_list_is_refused(mini_dblp):
    nei = np.empty(5, dtype=object)
    nei[:] = [np.array([0])] * 4 + [_Evil()]
    np.save(mini_dblp / "HeCo" / "dblp" / "nei_p.npy", nei, allow_pickle=True)
    with pytest.raises(pickle.UnpicklingError, match=r"nei_p\.npy.*refusing to load global"):
        load("dblp", root=mini_dblp)


# --------------------------------------------------------------------------- AMiner miniature (MEOW layout)


AMINER_PA = [(0, 0), (1, 0), (1, 1), (2, 2), (3, 2), (4, 3), (5, 4), (5, 0)]
AMINER_PR = [(0, 0), (1, 0), (2, 1), (3, 1), (4, 2), (5, 3), (0, 3)]
AMINER_SPLITS = {20: ([0, 1], [2], [3]), 40: ([1, 2], [0], [4]), 60: ([0, 1, 2], [3], [5])}
AMINER_FEATURES = {"p_pap": (6, 3), "p_prp": (6, 3), "a": (5, 3), "r": (4, 3)}


def write_mini_aminer(folder: Path, features=tuple(AMINER_FEATURES)) -> dict[str, np.ndarray]:
    """AMiner in MEOW's layout (6 papers, 5 authors, 4 references), with the named ``feat_*.w1000.l100.npy``
    files; returns the feature matrices written (signed, as metapath2vec embeddings are)."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(1)
    _write_txt(folder / "pa.txt", AMINER_PA)
    _write_txt(folder / "pr.txt", AMINER_PR)
    np.save(folder / "labels.npy", np.array([0, 1, 2, 3, 0, 1]))
    pa, pr = _dense(AMINER_PA, (6, 5)), _dense(AMINER_PR, (6, 4))
    sp.save_npz(folder / "pap.npz", sp.coo_matrix(pa @ pa.T))
    sp.save_npz(folder / "prp.npz", sp.coo_matrix(pr @ pr.T))
    sp.save_npz(folder / "nei_a.npz", sp.coo_matrix(pa))
    sp.save_npz(folder / "nei_r.npz", sp.coo_matrix(pr))
    for r, parts in AMINER_SPLITS.items():
        for part, ids in zip(("train", "val", "test"), parts, strict=True):
            np.save(folder / f"{part}_{r}.npy", np.array(ids))
    written = {}
    for key in features:
        written[key] = rng.normal(size=AMINER_FEATURES[key])
        np.save(folder / f"feat_{key}.w1000.l100.npy", written[key])
    return written


@pytest.fixture
def mini_aminer_spec(monkeypatch):
    use_mini_aminer_spec(monkeypatch)


def use_mini_aminer_spec(monkeypatch) -> None:
    """Point the ``aminer`` spec at :func:`write_mini_aminer`'s counts for the test."""
    pa, pr = _dense(AMINER_PA, (6, 5)), _dense(AMINER_PR, (6, 4))
    monkeypatch.setitem(het.SPECS, "aminer", dataclasses.replace(
        het.SPECS["aminer"], types={"p": ("paper", 6), "a": ("author", 5), "r": ("reference", 4)},
        relations={"pa": len(AMINER_PA), "pr": len(AMINER_PR)},
        metapaths={"pap": int(((pa @ pa.T) > 0).sum()), "prp": int(((pr @ pr.T) > 0).sum())}, pos=None,
        split_entries={r: tuple(len(p) for p in parts) for r, parts in AMINER_SPLITS.items()}))


def test_aminer_meow_features_per_metapath(tmp_path, mini_aminer_spec):
    written = write_mini_aminer(tmp_path / "MEOW" / "aminer")
    data = load("aminer", root=tmp_path, layout="meow")
    paper = data["paper"]
    assert torch.allclose(paper.x_pap, torch.tensor(written["p_pap"], dtype=torch.float32))
    assert torch.allclose(paper.x_prp, torch.tensor(written["p_prp"], dtype=torch.float32))
    assert torch.equal(paper.x, torch.cat([paper.x_pap, paper.x_prp], 1)) and not paper.x.is_sparse
    assert torch.allclose(data["author"].x, torch.tensor(written["a"], dtype=torch.float32))
    assert torch.allclose(data["reference"].x, torch.tensor(written["r"], dtype=torch.float32))
    assert paper.x.dtype == data["author"].x.dtype == torch.float32
    # pap holds the path counts of the file
    store = data["paper", "pap", "paper"]
    pa = _dense(AMINER_PA, (6, 5))
    dense = np.zeros((6, 6))
    dense[store.edge_index[0].numpy(), store.edge_index[1].numpy()] = store.edge_weight.numpy()
    assert np.array_equal(dense, pa @ pa.T)


def test_aminer_meow_without_features_is_one_hot(tmp_path, mini_aminer_spec):
    write_mini_aminer(tmp_path / "MEOW" / "aminer", features=())
    data = load("aminer", root=tmp_path, layout="meow")
    assert "x_pap" not in data["paper"] and data["paper"].x.is_sparse
    assert torch.equal(data["reference"].x.to_dense(), torch.eye(4))
    # only the type files: those types get them, the papers stay one-hot
    folder = tmp_path / "only_types"
    write_mini_aminer(folder / "MEOW" / "aminer", features=("a", "r"))
    data = load("aminer", root=folder, layout="meow")
    assert "x_pap" not in data["paper"] and data["paper"].x.is_sparse and data["author"].x.shape == (5, 3)


@pytest.mark.parametrize(("change", "message"), [
    ("drop_prp", r"found \['feat_p_pap\.w1000\.l100\.npy'\] but not \['feat_p_prp\.w1000\.l100\.npy'\]"),
    ("short", r"feat_p_prp\.w1000\.l100\.npy: 5 feature rows, expected 6"),
    ("wide", r"differ in width \(\[3, 4\]\)"),
    ("nan", r"feat_a\.w1000\.l100\.npy: features hold NaN"),
])
def test_aminer_meow_bad_feature_files_name_the_file(tmp_path, mini_aminer_spec, change, message):
    folder = tmp_path / "MEOW" / "aminer"
    write_mini_aminer(folder)
    if change == "drop_prp":
        (folder / "feat_p_prp.w1000.l100.npy").unlink()
    elif change == "short":
        np.save(folder / "feat_p_prp.w1000.l100.npy", np.zeros((5, 3)))
    elif change == "wide":
        np.save(folder / "feat_p_prp.w1000.l100.npy", np.zeros((6, 4)))
    else:
        np.save(folder / "feat_a.w1000.l100.npy", np.full((5, 3), np.nan))
    with pytest.raises(ValueError, match=message):
        load("aminer", root=tmp_path, layout="meow")


# --------------------------------------------------------------------------- errors without data


def test_missing_files_name_the_paths(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"HeCo/acm/labels\.npy[\s\S]*HeCo/acm/pap\.npz"):
        load("acm", root=tmp_path)
    with pytest.raises(FileNotFoundError, match=r"MEOW/imdb/nei_k\.npz"):
        load("imdb", root=tmp_path)
    # the derivable DBLP meta-paths are not required, everything else is
    with pytest.raises(FileNotFoundError) as info:
        load("dblp", root=tmp_path)
    listed = str(info.value).split("Get them")[0]
    assert "dblp/apa.npz" in listed and "apcpa.npz" not in listed and "aptpa.npz" not in listed
    assert "Optional (recomputed from the relation files when absent): apcpa.npz, aptpa.npz" in str(info.value)


@pytest.mark.parametrize(("name", "options", "message"), [
    ("freebase", {"layout": "meow"}, r"layout 'meow' is not available; valid values: \['heco'\]"),
    ("imdb", {"layout": "heco"}, r"valid values: \['meow'\]"),
    ("acm", {"split": 30}, r"split must be one of \[20, 40, 60\]"),
    ("acm", {"split": True}, r"split must be one of"),
    ("acm", {"featureless": "dense"}, r"featureless must be one of \['identity', 'none'\]"),
])
def test_bad_options_list_valid_values(tmp_path, name, options, message):
    with pytest.raises(ValueError, match=message):
        load(name, root=tmp_path, **options)


def test_identity_features():
    x = het.identity_features(4)
    assert x.is_sparse and torch.equal(x.to_dense(), torch.eye(4))
