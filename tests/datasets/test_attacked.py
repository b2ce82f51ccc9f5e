"""Tests for graphkit.datasets.attacked: DeepRobust / Pro-GNN clean and pre-attacked graphs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import torch

import graphkit.datasets.attacked as attacked
from graphkit.datasets import load, names, spec
from graphkit.datasets._io import read_sparse_npz, safe_np_load
from graphkit.datasets.attacked import PUBLISHED, _Published, largest_connected_component

STEMS = {"prognn-cora": "cora", "prognn-citeseer": "citeseer", "prognn-cora-ml": "cora_ml",
         "prognn-polblogs": "polblogs", "prognn-pubmed": "pubmed"}


def _edge_set(edge_index: torch.Tensor) -> set[tuple[int, int]]:
    return set(map(tuple, edge_index.t().tolist()))


def _kept(clean: torch.Tensor, other: torch.Tensor, n: int) -> float:
    """Fraction of the directed edges of ``clean`` that are also in ``other``."""
    return torch.isin(clean[0] * n + clean[1], other[0] * n + other[1]).float().mean().item()


def _assert_simple_symmetric_sorted(edge_index: torch.Tensor, n: int) -> None:
    assert edge_index.dtype == torch.long and edge_index.shape[0] == 2
    row, col = edge_index
    assert int(edge_index.min()) >= 0 and int(edge_index.max()) < n
    assert not bool((row == col).any()), "self-loops"
    key = row * n + col
    assert bool((key[1:] > key[:-1]).all()), "not strictly sorted by (row, col)"
    assert torch.equal(torch.sort(key).values, torch.sort(col * n + row).values), "not symmetric"


def _check_attacked_order(clean, data, budget: int) -> None:
    """The attacked graph is in the clean graph's node order: every perturbation flips at most one undirected
    edge, so at least ``1 - budget / edges`` of the clean edges survive (a relabelled order keeps almost none,
    test_meta_attack_on_a_shuffled_order_would_fail). The bound holds for any file the attack could have written:
    PolBlogs' Nettack graphs keep 98.7 % of the clean edges, Cora's about 99.6 %."""
    edges = clean.edge_index.size(1) // 2
    assert _kept(clean.edge_index, data.edge_index, clean.num_nodes) >= 1 - budget / edges


def _require_files(root: Path, *rel: str) -> None:
    missing = [r for r in rel if not (root / r).is_file()]
    if missing:
        pytest.skip(f"not in this copy of the data (kept back): {missing}")


# --------------------------------------------------------------------------- registry


def test_registered_names_and_task():
    for name in STEMS:
        assert name in names("node")
        assert spec(name).task == "node"


# --------------------------------------------------------------------------- real files


@pytest.mark.data
@pytest.mark.parametrize("name", ["prognn-cora", "prognn-citeseer", "prognn-cora-ml", "prognn-polblogs"])
def test_clean_lcc_counts(real_data_root, name):
    stem = STEMS[name]
    _require_files(real_data_root, f"gnn-meta-attack/{stem}.npz", f"Pro-GNN/splits/{stem}_prognn_splits.json")
    expected = {  # nodes, undirected edges, features, classes, train/val/test (Pro-GNN Table 1, SOURCES.md)
        "cora": (2485, 5069, 1433, 7, (247, 249, 1988)),
        "citeseer": (2110, 3668, 3703, 6, (210, 211, 1688)),
        "cora_ml": (2810, 7981, 2879, 7, (280, 282, 2248)),
        "polblogs": (1222, 16714, 1490, 2, (121, 123, 978)),
    }[stem]
    data = load(name, root=real_data_root)
    n, e, f, c, split = expected
    assert data.num_nodes == n and data.x.shape == (n, f) and data.x.dtype == torch.float32
    assert data.edge_index.shape == (2, 2 * e)
    _assert_simple_symmetric_sorted(data.edge_index, n)
    assert data.y.dtype == torch.long and int(data.y.max()) == c - 1 and data.y.unique().numel() == c
    sizes = (int(data.train_mask.sum()), int(data.val_mask.sum()), int(data.test_mask.sum()))
    assert sizes == split
    assert not bool((data.train_mask & data.val_mask).any() | (data.train_mask & data.test_mask).any()
                    | (data.val_mask & data.test_mask).any())
    # the LCC has no isolated nodes
    assert torch.bincount(data.edge_index[0], minlength=n).min() > 0
    assert data.attack == "clean" and data.ptb_rate == 0.0 and data.name == name
    # the masks are exactly the json's ids
    idx = json.loads((real_data_root / f"Pro-GNN/splits/{stem}_prognn_splits.json").read_text())
    assert torch.equal(data.train_mask.nonzero().view(-1), torch.tensor(sorted(idx["idx_train"])))


@pytest.mark.data
@pytest.mark.parametrize("name", ["prognn-cora", "prognn-citeseer", "prognn-polblogs"])
def test_lcc_features_and_labels_equal_stable(real_data_root, name):
    """STABLE ships LCC features/labels computed by DeepRobust: an independent check of the LCC order."""
    stem = STEMS[name]
    _require_files(real_data_root, f"gnn-meta-attack/{stem}.npz", f"STABLE/ptb_graphs/{stem}_features.npz",
                   f"STABLE/ptb_graphs/{stem}_labels.npy")
    data = load(name, root=real_data_root)
    feats = read_sparse_npz(real_data_root / f"STABLE/ptb_graphs/{stem}_features.npz")
    labels = safe_np_load(real_data_root / f"STABLE/ptb_graphs/{stem}_labels.npy")
    assert feats.shape == tuple(data.x.shape)
    assert torch.equal(torch.from_numpy(feats.toarray().astype(np.float32)), data.x)
    assert torch.equal(torch.from_numpy(labels.astype(np.int64)), data.y)


META = [(n, r) for n in ("prognn-cora", "prognn-citeseer", "prognn-cora-ml", "prognn-polblogs", "prognn-pubmed")
        for r in attacked.META_RATES]
NETTACK = [(n, r) for n in ("prognn-cora", "prognn-citeseer", "prognn-polblogs", "prognn-pubmed")
           for r in attacked.NETTACK_RATES]


@pytest.mark.data
@pytest.mark.parametrize(("name", "rate"), META)
def test_meta_attacked_graph_counts_and_order(real_data_root, name, rate):
    stem = STEMS[name]
    _require_files(real_data_root, f"gnn-meta-attack/{stem}.npz", f"Pro-GNN/meta/{stem}_meta_adj_{rate}.npz")
    clean = load(name, root=real_data_root)
    data = load(name, root=real_data_root, attack="meta", ptb_rate=rate)
    assert data.attack == "meta" and data.ptb_rate == rate
    assert data.edge_index.shape[1] == 2 * PUBLISHED[stem].meta[rate]
    _assert_simple_symmetric_sorted(data.edge_index, clean.num_nodes)
    for key in ("x", "y", "train_mask", "val_mask", "test_mask"):
        assert torch.equal(data[key], clean[key]), key
    # same node order: Metattack's budget is rate x the clean edges (DeepRobust/Pro-GNN)
    _check_attacked_order(clean, data, int(rate * PUBLISHED[stem].edges))


@pytest.mark.data
def test_meta_attack_on_a_shuffled_order_would_fail(real_data_root):
    """The ≥ 90 % survival check is not vacuous: a random relabelling keeps almost no edges."""
    _require_files(real_data_root, "gnn-meta-attack/cora.npz", "Pro-GNN/meta/cora_meta_adj_0.05.npz")
    clean = load("prognn-cora", root=real_data_root)
    data = load("prognn-cora", root=real_data_root, attack="meta", ptb_rate=0.05)
    perm = torch.randperm(clean.num_nodes, generator=torch.Generator().manual_seed(0))
    assert _kept(perm[clean.edge_index], data.edge_index, clean.num_nodes) < 0.05


@pytest.mark.data
@pytest.mark.parametrize(("name", "rate"), NETTACK)
def test_nettack_graph_targets_and_split(real_data_root, name, rate):
    stem = STEMS[name]
    _require_files(real_data_root, f"gnn-meta-attack/{stem}.npz",
                   f"Pro-GNN/nettack/{stem}_nettack_adj_{rate}.0.npz", f"Pro-GNN/nettack/{stem}_nettacked_nodes.json")
    clean = load(name, root=real_data_root)
    data = load(name, root=real_data_root, attack="nettack", ptb_rate=rate)
    assert data.attack == "nettack" and data.ptb_rate == float(rate)
    assert data.edge_index.shape[1] == 2 * PUBLISHED[stem].nettack[rate]
    _assert_simple_symmetric_sorted(data.edge_index, clean.num_nodes)
    assert data.target_nodes.numel() == {"cora": 83, "citeseer": 63, "polblogs": 540, "pubmed": 186}[stem]
    assert bool(data.test_mask[data.target_nodes].all())
    assert int(data.target_mask.sum()) == data.target_nodes.numel()
    assert torch.equal(data.x, clean.x) and torch.equal(data.y, clean.y)
    # the split is the nettack json's own (for Cora and CiteSeer it equals the Pro-GNN split, for PubMed it does
    # not; the test holds for whichever a supplied file has)
    idx = json.loads((real_data_root / f"Pro-GNN/nettack/{stem}_nettacked_nodes.json").read_text())
    for key, ids in (("train_mask", "idx_train"), ("val_mask", "idx_val"), ("test_mask", "idx_test")):
        assert torch.equal(data[key].nonzero().view(-1), torch.tensor(sorted(idx[ids]))), key
    # Nettack's budget: rate perturbations per attacked node
    _check_attacked_order(clean, data, int(rate) * data.target_nodes.numel())


@pytest.mark.data
def test_pubmed_attacked_files_match_the_published_counts(real_data_root):
    """PubMed's raw npz is absent here; its attacked files still pin the counts the loader checks."""
    paths = [real_data_root / f"Pro-GNN/meta/pubmed_meta_adj_{r}.npz" for r in attacked.META_RATES]
    paths += [real_data_root / f"Pro-GNN/nettack/pubmed_nettack_adj_{r}.0.npz" for r in attacked.NETTACK_RATES]
    _require_files(real_data_root, *(str(p.relative_to(real_data_root)) for p in paths))
    mats = [read_sparse_npz(p) for p in paths]
    counts = PUBLISHED["pubmed"]
    assert all(m.shape == (counts.nodes, counts.nodes) for m in mats)
    assert [m.nnz // 2 for m in mats] == [*counts.meta.values(), *counts.nettack.values()]
    # the clean graph (44,324 edges) is what the mildest Metattack and Nettack graphs share
    assert mats[0].multiply(mats[5]).nnz // 2 == counts.edges
    assert [int(np.floor((1 + r) * counts.edges)) for r in attacked.META_RATES[:4]] == \
        list(counts.meta.values())[:4]


@pytest.mark.data
def test_second_load_reads_the_cache(real_data_root, tmp_path, monkeypatch):
    import time

    _require_files(real_data_root, "gnn-meta-attack/cora.npz")
    monkeypatch.setenv("GRAPHKIT_CACHE", str(tmp_path / "cache"))
    first = load("prognn-cora", root=real_data_root, attack="meta", ptb_rate=0.1)
    assert len(list((tmp_path / "cache").glob("prognn-cora-meta-0.1-*.pt"))) == 1
    t0 = time.perf_counter()
    second = load("prognn-cora", root=real_data_root, attack="meta", ptb_rate=0.1)
    assert time.perf_counter() - t0 < 0.5
    for key in ("x", "edge_index", "y", "train_mask", "val_mask", "test_mask"):
        assert torch.equal(first[key], second[key])


# --------------------------------------------------------------------------- miniature fixtures


def _save_meta_attack_npz(path: Path, adj: sp.csr_matrix, labels, attr: sp.csr_matrix | None = None) -> None:
    arrays = dict(adj_data=adj.data, adj_indices=adj.indices, adj_indptr=adj.indptr,
                  adj_shape=np.array(adj.shape), labels=np.asarray(labels))
    if attr is not None:
        arrays.update(attr_data=attr.data, attr_indices=attr.indices, attr_indptr=attr.indptr,
                      attr_shape=np.array(attr.shape))
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **arrays)


def _sym(n: int, edges) -> sp.csr_matrix:
    r, c = np.array(edges).T
    m = sp.coo_matrix((np.ones(2 * len(r), dtype=np.float32), (np.r_[r, c], np.r_[c, r])), shape=(n, n)).tocsr()
    m.sum_duplicates()
    return m


# raw graph: 8 nodes; LCC {0, 1, 2, 4, 5} (edges 0-1, 1-2, 2-4, 4-5), small component {3, 6}, isolated 7;
# a self-loop on 3 and 5, an arc stored in both directions, an arc with weight 2.
RAW_ARCS = [(0, 1, 1.0), (1, 0, 1.0), (1, 2, 2.0), (3, 3, 1.0), (2, 4, 1.0), (5, 4, 1.0), (5, 5, 1.0), (3, 6, 1.0)]
LCC = [0, 1, 2, 4, 5]
LABELS = [0, 1, 0, 1, 0, 1, 0, 1]


@pytest.fixture
def mini_root(tmp_path, monkeypatch):
    """A polblogs-like (no attributes) and a pubmed-like (attributes) data set in the Pro-GNN layout."""
    root = tmp_path / "data"
    r, c, w = zip(*RAW_ARCS, strict=True)
    raw = sp.csr_matrix((np.array(w, dtype=np.float32), (r, c)), shape=(8, 8))
    _save_meta_attack_npz(root / "gnn-meta-attack" / "polblogs.npz", raw, LABELS)
    attr = sp.csr_matrix(np.arange(24, dtype=np.float32).reshape(8, 3) % 5)
    _save_meta_attack_npz(root / "gnn-meta-attack" / "pubmed.npz", raw, LABELS, attr)
    split = {"idx_train": [0], "idx_val": [1], "idx_test": [2, 3, 4]}
    (root / "Pro-GNN" / "splits").mkdir(parents=True)
    (root / "Pro-GNN" / "meta").mkdir(parents=True)
    (root / "Pro-GNN" / "nettack").mkdir(parents=True)
    lcc_edges = [(0, 1), (1, 2), (2, 3), (3, 4)]  # the clean edges in LCC ids
    for stem in ("polblogs", "pubmed"):
        (root / "Pro-GNN" / "splits" / f"{stem}_prognn_splits.json").write_text(json.dumps(split))
        sp.save_npz(root / "Pro-GNN" / "meta" / f"{stem}_meta_adj_0.05.npz", _sym(5, lcc_edges + [(0, 4)]))
        sp.save_npz(root / "Pro-GNN" / "nettack" / f"{stem}_nettack_adj_1.0.npz", _sym(5, lcc_edges + [(1, 3)]))
        nettacked = {"idx_train": [1], "idx_val": [0], "idx_test": [2, 3, 4], "attacked_test_nodes": [3]}
        (root / "Pro-GNN" / "nettack" / f"{stem}_nettacked_nodes.json").write_text(json.dumps(nettacked))
    monkeypatch.setitem(PUBLISHED, "polblogs", _Published(8, 5, 4, 8, 2, (1, 1, 3), {0.05: 5}, {1: 5}, 1))
    monkeypatch.setitem(PUBLISHED, "pubmed", _Published(8, 5, 4, 3, 2, (1, 1, 3), {0.05: 5}, {1: 5}, 1))
    return root


def _tree(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*")}


def test_lcc_pipeline_on_miniature(mini_root):
    before = _tree(mini_root)
    data = load("prognn-polblogs", root=mini_root)
    load("prognn-polblogs", root=mini_root, attack="nettack", ptb_rate=1)
    assert _tree(mini_root) == before  # nothing is written next to the raw files
    assert data.num_nodes == 5
    # symmetrised, binary, no diagonal, LCC nodes in ascending raw order
    assert _edge_set(data.edge_index) == _edge_set(torch.tensor([[0, 1], [1, 2], [2, 3], [3, 4]]).t()) | \
        _edge_set(torch.tensor([[1, 0], [2, 1], [3, 2], [4, 3]]).t())
    _assert_simple_symmetric_sorted(data.edge_index, 5)
    # no attributes: DeepRobust's identity rows of the raw graph, restricted to the LCC
    expected_x = torch.zeros(5, 8)
    expected_x[torch.arange(5), torch.tensor(LCC)] = 1
    assert torch.equal(data.x, expected_x)
    assert data.y.tolist() == [LABELS[i] for i in LCC]
    assert data.train_mask.tolist() == [True, False, False, False, False]
    assert data.test_mask.nonzero().view(-1).tolist() == [2, 3, 4]


def test_attributes_follow_the_lcc(mini_root):
    data = load("prognn-pubmed", root=mini_root)
    attr = np.arange(24, dtype=np.float32).reshape(8, 3) % 5
    assert torch.equal(data.x, torch.from_numpy(attr[LCC]))


def test_meta_and_nettack_on_miniature(mini_root):
    clean = load("prognn-pubmed", root=mini_root)
    meta = load("prognn-pubmed", root=mini_root, attack="meta", ptb_rate=0.05)
    assert _edge_set(meta.edge_index) - _edge_set(clean.edge_index) == {(0, 4), (4, 0)}
    assert torch.equal(meta.x, clean.x) and torch.equal(meta.train_mask, clean.train_mask)
    net = load("prognn-pubmed", root=mini_root, attack="nettack", ptb_rate=1)
    assert _edge_set(net.edge_index) - _edge_set(clean.edge_index) == {(1, 3), (3, 1)}
    assert net.target_nodes.tolist() == [3]
    # nettack uses its json's own split (here deliberately different from the Pro-GNN split)
    assert net.train_mask.nonzero().view(-1).tolist() == [1]
    assert net.val_mask.nonzero().view(-1).tolist() == [0]
    assert net.ptb_rate == 1.0 and net.attack == "nettack"


def test_order_check_holds_for_an_attack_that_removes_edges(mini_root, monkeypatch):
    """A Nettack file that removes a clean edge (as PolBlogs' do: 98.7 % survive at 5 per node) passes the check
    the real-file tests use; the same edges under a relabelled order do not."""
    sp.save_npz(mini_root / "Pro-GNN" / "nettack" / "polblogs_nettack_adj_1.0.npz",
                _sym(5, [(1, 2), (2, 3), (3, 4), (1, 3), (0, 2)]))  # (0, 1) removed, two added: 3 perturbations
    nettacked = {"idx_train": [0], "idx_val": [1], "idx_test": [2, 3, 4], "attacked_test_nodes": [2, 3, 4]}
    (mini_root / "Pro-GNN" / "nettack" / "polblogs_nettacked_nodes.json").write_text(json.dumps(nettacked))
    monkeypatch.setitem(PUBLISHED, "polblogs", _Published(8, 5, 4, 8, 2, (1, 1, 3), {0.05: 5}, {1: 5}, 3))
    clean = load("prognn-polblogs", root=mini_root)
    data = load("prognn-polblogs", root=mini_root, attack="nettack", ptb_rate=1)
    assert _kept(clean.edge_index, data.edge_index, clean.num_nodes) == 0.75
    _check_attacked_order(clean, data, 1 * data.target_nodes.numel())
    shuffled = data.clone()
    shuffled.edge_index = torch.tensor([2, 0, 4, 1, 3])[data.edge_index]
    with pytest.raises(AssertionError):
        _check_attacked_order(clean, shuffled, 1)


def test_lcc_helper_matches_scipy_components():
    adj = _sym(7, [(0, 1), (2, 3), (3, 4), (5, 6)])
    assert largest_connected_component(adj).tolist() == [2, 3, 4]


def test_count_mismatch_is_an_error(mini_root, monkeypatch):
    monkeypatch.setitem(PUBLISHED, "polblogs", _Published(8, 5, 5, 8, 2, (1, 1, 3), {0.05: 5}, {1: 5}, 1))
    with pytest.raises(ValueError, match=r"polblogs\.npz: largest connected component has 5 nodes / 4 undirected"):
        load("prognn-polblogs", root=mini_root)


def test_attacked_edge_count_mismatch_is_an_error(mini_root, monkeypatch):
    monkeypatch.setitem(PUBLISHED, "polblogs", _Published(8, 5, 4, 8, 2, (1, 1, 3), {0.05: 6}, {1: 5}, 1))
    with pytest.raises(ValueError, match=r"polblogs_meta_adj_0\.05\.npz: 5 undirected edges, expected 6"):
        load("prognn-polblogs", root=mini_root, attack="meta", ptb_rate=0.05)


def test_attacked_shape_and_symmetry_are_checked(mini_root):
    path = mini_root / "Pro-GNN" / "meta" / "polblogs_meta_adj_0.05.npz"
    sp.save_npz(path, _sym(6, [(0, 1)]))
    with pytest.raises(ValueError, match=r"shape \(6, 6\), expected \(5, 5\)"):
        load("prognn-polblogs", root=mini_root, attack="meta", ptb_rate=0.05)
    sp.save_npz(path, sp.csr_matrix(([1.0], ([0], [1])), shape=(5, 5)))
    with pytest.raises(ValueError, match="not symmetric"):
        load("prognn-polblogs", root=mini_root, attack="meta", ptb_rate=0.05)


def test_target_outside_test_split_is_an_error(mini_root):
    path = mini_root / "Pro-GNN" / "nettack" / "polblogs_nettacked_nodes.json"
    path.write_text(json.dumps({"idx_train": [1], "idx_val": [0], "idx_test": [2, 3, 4],
                                "attacked_test_nodes": [1]}))
    with pytest.raises(ValueError, match="attacked target nodes are not test nodes"):
        load("prognn-polblogs", root=mini_root, attack="nettack", ptb_rate=1)


def test_missing_files_name_the_paths(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"gnn-meta-attack/cora\.npz[\s\S]*cora_prognn_splits\.json"):
        load("prognn-cora", root=tmp_path)
    with pytest.raises(FileNotFoundError, match=r"cora_nettacked_nodes\.json"):
        load("prognn-cora", root=tmp_path, attack="nettack", ptb_rate=2)
    with pytest.raises(FileNotFoundError, match=r"meta/cora_meta_adj_0\.15\.npz"):
        load("prognn-cora", root=tmp_path, attack="meta", ptb_rate=0.15)


def test_corrupt_files_name_the_file(mini_root):
    (mini_root / "Pro-GNN" / "splits" / "polblogs_prognn_splits.json").write_text("{not json")
    with pytest.raises(ValueError, match=r"polblogs_prognn_splits\.json: not readable JSON"):
        load("prognn-polblogs", root=mini_root)
    (mini_root / "gnn-meta-attack" / "pubmed.npz").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(ValueError, match=r"pubmed\.npz"):
        load("prognn-pubmed", root=mini_root)
    np.savez(mini_root / "gnn-meta-attack" / "pubmed.npz", labels=np.zeros(3))
    with pytest.raises(ValueError, match=r"pubmed\.npz: gnn-meta-attack archive lacks"):
        load("prognn-pubmed", root=mini_root)


def test_read_sparse_npz_rejects_bad_archives(tmp_path):
    np.save(tmp_path / "plain.npy", np.zeros(3))
    (tmp_path / "plain.npy").rename(tmp_path / "plain.npz")
    with pytest.raises(ValueError, match=r"plain\.npz: expected a scipy\.sparse\.save_npz archive"):
        read_sparse_npz(tmp_path / "plain.npz")
    np.savez(tmp_path / "bad.npz", format=np.array(b"csr"), shape=np.array([2, 2]), data=np.ones(1),
             indices=np.array([5]), indptr=np.array([0, 1, 1]))
    with pytest.raises(ValueError, match=r"bad\.npz: inconsistent csr sparse matrix"):
        read_sparse_npz(tmp_path / "bad.npz")
    np.savez(tmp_path / "dia.npz", format=np.array(b"dia"), shape=np.array([2, 2]))
    with pytest.raises(ValueError, match="unsupported sparse format 'dia'"):
        read_sparse_npz(tmp_path / "dia.npz")


@pytest.mark.parametrize(("name", "options", "message"), [
    ("prognn-cora", {"attack": "random"}, r"unknown attack 'random'.*valid values: \[None, 'meta', 'nettack'\]"),
    ("prognn-cora-ml", {"attack": "nettack", "ptb_rate": 1}, r"no Nettack graphs for cora-ml.*\[None, 'meta'\]"),
    ("prognn-cora", {"attack": "meta", "ptb_rate": 0.3}, r"ptb_rate=0\.3 .*\[0\.05, 0\.1, 0\.15, 0\.2, 0\.25\]"),
    ("prognn-cora", {"attack": "nettack", "ptb_rate": 0.05}, r"valid values: \[1, 2, 3, 4, 5\]"),
    ("prognn-cora", {"attack": "meta"}, r"needs ptb_rate, one of \[0\.05"),
    ("prognn-cora", {"ptb_rate": 0.05}, r"ptb_rate=0\.05 needs attack="),
    ("prognn-cora", {"attack": "meta", "ptb_rate": True}, r"ptb_rate must be one of"),
])
def test_bad_options_list_valid_values(tmp_path, name, options, message):
    with pytest.raises(ValueError, match=message):
        load(name, root=tmp_path, **options)


def test_unknown_option_is_a_type_error(tmp_path):
    with pytest.raises(TypeError):
        load("prognn-cora", root=tmp_path, seed=1)


# --------------------------------------------------------------------------- kept-back files, generated (#20)


def write_polblogs_like(root: Path, seed: int = 0) -> Path:
    """Every PolBlogs file of the documented layout (gnn-meta-attack, Pro-GNN meta/nettack/splits, STABLE),
    generated with PolBlogs' published counts (PUBLISHED["polblogs"], SOURCES.md): 1490 raw nodes without
    attributes, an LCC of 1222 nodes / 16714 edges, 2 classes, the 121/123/978 split, 540 Nettack targets, and
    attacked graphs with the published edge counts that spend their budget as the real ones do (PolBlogs' Nettack
    graphs remove clean edges: 98.7 % survive at 5 per node)."""
    rng = np.random.default_rng(seed)
    c = PUBLISHED["polblogs"]
    raw_n, n = c.raw_nodes, c.nodes
    lcc = np.sort(rng.choice(raw_n, n, replace=False))  # the LCC keeps the raw order
    # a connected graph on the LCC: a random spanning tree, then random extra edges up to the published count
    order = rng.permutation(n)
    edges = {(min(a, b), max(a, b)) for a, b in zip(order[1:], order[rng.integers(0, np.arange(1, n))], strict=True)}
    while len(edges) < c.edges:
        a, b = (int(v) for v in rng.integers(0, n, 2))
        if a != b:
            edges.add((min(a, b), max(a, b)))
    rest = np.setdiff1d(np.arange(raw_n), lcc)
    arcs = [(lcc[a], lcc[b]) for a, b in edges] + [(rest[0], rest[1])]  # a 2-node component outside the LCC
    r, col = np.array(arcs).T
    raw = sp.csr_matrix((np.ones(len(r), np.float32), (r, col)), shape=(raw_n, raw_n))  # one direction stored
    labels = rng.integers(0, c.classes, raw_n)
    _save_meta_attack_npz(root / "gnn-meta-attack" / "polblogs.npz", raw, labels)
    perm = rng.permutation(n)
    tr, va, te = np.split(perm, np.cumsum(c.split[:2]))
    split = {"idx_train": tr.tolist(), "idx_val": va.tolist(), "idx_test": te.tolist()}
    for folder in ("splits", "meta", "nettack"):
        (root / "Pro-GNN" / folder).mkdir(parents=True, exist_ok=True)
    (root / "Pro-GNN" / "splits" / "polblogs_prognn_splits.json").write_text(json.dumps(split))
    targets = rng.choice(te, c.targets, replace=False)
    (root / "Pro-GNN" / "nettack" / "polblogs_nettacked_nodes.json").write_text(
        json.dumps({**split, "attacked_test_nodes": targets.tolist()}))
    clean = sorted(edges)

    def attacked(total: int, budget: int) -> sp.csr_matrix:
        removed = max(0, (budget - (total - c.edges)) // 2)  # spend the budget: removals and additions
        keep = [clean[i] for i in np.sort(rng.choice(len(clean), c.edges - removed, replace=False))]
        out = set(keep)
        while len(out) < total:
            a, b = (int(v) for v in rng.integers(0, n, 2))
            if a != b and (min(a, b), max(a, b)) not in edges:
                out.add((min(a, b), max(a, b)))
        return _sym(n, sorted(out))

    for rate, total in c.meta.items():
        sp.save_npz(root / "Pro-GNN" / "meta" / f"polblogs_meta_adj_{rate}.npz", attacked(total, int(rate * c.edges)))
    for rate, total in c.nettack.items():
        sp.save_npz(root / "Pro-GNN" / "nettack" / f"polblogs_nettack_adj_{rate}.0.npz",
                    attacked(total, rate * c.targets))
    features = sp.csr_matrix((np.ones(n, np.float32), (np.arange(n), lcc)), shape=(n, raw_n))
    (root / "STABLE" / "ptb_graphs").mkdir(parents=True, exist_ok=True)
    sp.save_npz(root / "STABLE" / "ptb_graphs" / "polblogs_features.npz", features)
    np.save(root / "STABLE" / "ptb_graphs" / "polblogs_labels.npy", labels[lcc])
    return root


def test_the_real_file_tests_pass_on_polblogs_files_in_the_documented_layout(tmp_path, monkeypatch):
    """PolBlogs is kept back from ../shared/datasets: its files, generated with the published counts, pass every
    real-file test above (a user who supplies them runs exactly these), and the loader reads them."""
    monkeypatch.setenv("GRAPHKIT_CACHE", str(tmp_path / "cache"))
    root = write_polblogs_like(tmp_path / "data")
    name = "prognn-polblogs"
    test_clean_lcc_counts(root, name)
    test_lcc_features_and_labels_equal_stable(root, name)
    for rate in attacked.META_RATES:
        test_meta_attacked_graph_counts_and_order(root, name, rate)
    survived = []
    for rate in attacked.NETTACK_RATES:
        test_nettack_graph_targets_and_split(root, name, rate)
        clean = load(name, root=root)
        survived.append(_kept(clean.edge_index, load(name, root=root, attack="nettack", ptb_rate=rate).edge_index,
                              clean.num_nodes))
    assert survived[-1] < 0.99, "the generated attack removes clean edges as PolBlogs' does (98.7 % at 5)"
