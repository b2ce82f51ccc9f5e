"""Tests for graphkit.datasets.hypergraphs: HyperGCN pickles and the LightHGNN graph → hypergraph converter.

Co-citation CiteSeer / PubMed features and co-authorship DBLP are not in the
shared folder: those paths run on miniature folders written here in the
HyperGCN format (protocol-2 pickles of a scipy CSR, a dict of hyperedges, a
label list and 10 split dicts).
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from graphkit import datasets
from graphkit.datasets import hypergraphs
from graphkit.datasets.hypergraphs import (
    FOLDERS,
    PUBLISHED,
    HypergraphCounts,
    graph_to_hypergraph,
    load_hypergraph,
)
from tests.conftest import random_graph


def _dump(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        pickle.dump(obj, fh, protocol=2)


def write_mini(root: Path, name: str, *, n: int = 90, num_edges: int = 25, num_features: int = 8,
               num_classes: int = 3, num_train: int = 12, seed: int = 0) -> dict:
    """A HyperGCN folder for ``name``; returns the raw objects and the true counts."""
    rng = np.random.default_rng(seed)
    folder = root.joinpath("HyperGCN", *FOLDERS[name])
    features = sp.csr_matrix((rng.random((n, num_features)) < 0.3).astype(np.float32))
    labels = [int(c) for c in rng.integers(0, num_classes, n)]
    labels[:num_classes] = list(range(num_classes))
    hypergraph = {}
    for j in range(num_edges):
        members = [int(v) for v in rng.choice(n, rng.integers(2, 7), replace=False)]
        if name.startswith("cocitation"):  # int32 paper ids → sets, as in the real co-citation files
            hypergraph[np.int32(1000 - 7 * j)] = {np.int32(v) for v in members}
        else:  # author names → lists (one with a repeated member)
            hypergraph[f"Author {j}"] = members + ([members[0]] if j == 3 else [])
    splits = []
    for k in range(1, 11):
        perm = rng.permutation(n)
        split = {"train": [np.int64(v) for v in perm[:num_train]], "test": [np.int64(v) for v in perm[num_train:]]}
        splits.append(split)
        _dump(folder / "splits" / f"{k}.pickle", split)
    _dump(folder / "features.pickle", features)
    _dump(folder / "hypergraph.pickle", hypergraph)
    _dump(folder / "labels.pickle", labels)
    sizes = [len(set(m)) for m in hypergraph.values()]
    counts = HypergraphCounts(n, num_features, num_edges, min(sizes), max(sizes), num_classes, num_train,
                              n - num_train)
    return {"folder": folder, "features": features, "labels": labels, "hypergraph": hypergraph,
            "splits": splits, "counts": counts}


def reference_incidence(hypergraph: dict) -> torch.Tensor:
    cols = [(int(v), j) for j, members in enumerate(hypergraph.values()) for v in sorted({int(m) for m in members})]
    return torch.tensor(cols, dtype=torch.long).t()


def check_against_raw(data, raw: dict, split: int = 1) -> None:
    assert torch.equal(data.x, torch.from_numpy(raw["features"].toarray()))
    assert torch.equal(data.y, torch.tensor(raw["labels"]))
    assert torch.equal(data.hyperedge_index, reference_incidence(raw["hypergraph"]))
    assert data.num_hyperedges == len(raw["hypergraph"])
    assert data.hyperedge_names == [str(k) for k in raw["hypergraph"]]
    for key in ("train", "test"):
        mask = torch.zeros(data.num_nodes, dtype=torch.bool)
        mask[torch.tensor([int(v) for v in raw["splits"][split - 1][key]])] = True
        assert torch.equal(getattr(data, f"{key}_mask"), mask), key


@pytest.mark.parametrize("name", ["cocitation-citeseer", "coauthorship-dblp", "cocitation-pubmed"])
def test_mini_matches_the_raw_objects(tmp_path, name):
    raw = write_mini(tmp_path, name, seed=len(name))
    data = load_hypergraph(tmp_path, name, expected=raw["counts"])
    check_against_raw(data, raw)
    assert data.x.dtype == torch.float32 and data.y.dtype == torch.long and data.hyperedge_index.dtype == torch.long
    for split in (2, 10):
        check_against_raw(load_hypergraph(tmp_path, name, split=split, expected=raw["counts"]), raw, split)


def test_repeated_member_counted_once(tmp_path):
    raw = write_mini(tmp_path, "coauthorship-dblp")
    data = load_hypergraph(tmp_path, "coauthorship-dblp", expected=False)
    he3 = data.hyperedge_index[0, data.hyperedge_index[1] == 3]
    assert len(raw["hypergraph"]["Author 3"]) == he3.numel() + 1
    assert torch.equal(he3, torch.tensor(sorted(set(raw["hypergraph"]["Author 3"]))))


def test_bad_split_and_unknown_option(tmp_path):
    write_mini(tmp_path, "coauthorship-dblp")
    for bad in (0, 11, "1", True):
        with pytest.raises(ValueError, match=r"split must be an int in 1\.\.10"):
            datasets.load("coauthorship-dblp", root=tmp_path, split=bad)
    with pytest.raises(TypeError, match="unexpected keyword argument 'seed'"):
        datasets.load("coauthorship-dblp", root=tmp_path, seed=1)


def test_mini_under_published_name_is_a_count_mismatch(tmp_path):
    write_mini(tmp_path, "cocitation-citeseer")
    with pytest.raises(ValueError, match=r"'cocitation-citeseer'.*published counts \(num_nodes: expected 3312, got 90"):
        datasets.load("cocitation-citeseer", root=tmp_path)


def test_missing_and_corrupt_files(tmp_path):
    raw = write_mini(tmp_path, "cocitation-pubmed")
    os.remove(raw["folder"] / "features.pickle")
    with pytest.raises(FileNotFoundError) as info:
        load_hypergraph(tmp_path, "cocitation-pubmed", expected=False)
    assert str(raw["folder"] / "features.pickle") in str(info.value)
    assert "hypergraph.pickle" not in str(info.value) and "malllabiisc/HyperGCN" in str(info.value)
    _dump(raw["folder"] / "features.pickle", raw["features"])
    path = raw["folder"] / "hypergraph.pickle"
    blob = path.read_bytes()
    path.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(ValueError, match=r"hypergraph\.pickle.*truncated or corrupt"):
        load_hypergraph(tmp_path, "cocitation-pubmed", expected=False)
    _dump(path, {0: [1, 90]})
    with pytest.raises(ValueError, match=r"hypergraph\.pickle: node ids must be in \[0, 90\)"):
        load_hypergraph(tmp_path, "cocitation-pubmed", expected=False)
    _dump(path, raw["hypergraph"])
    _dump(raw["folder"] / "labels.pickle", raw["labels"][:-1])
    with pytest.raises(ValueError, match=r"labels\.pickle has 89 labels but .*features\.pickle has 90 rows"):
        load_hypergraph(tmp_path, "cocitation-pubmed", expected=False)
    _dump(raw["folder"] / "labels.pickle", raw["labels"])
    _dump(raw["folder"] / "splits" / "4.pickle", {"train": [0, 1], "test": [1, 2]})
    with pytest.raises(ValueError, match=r"splits/4\.pickle: train and test share nodes"):
        load_hypergraph(tmp_path, "cocitation-pubmed", split=4, expected=False)


def test_second_load_reads_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GRAPHKIT_CACHE", str(tmp_path / "cache"))
    write_mini(tmp_path, "cocitation-citeseer")
    calls = []
    real = hypergraphs.read_hypergcn
    monkeypatch.setattr(hypergraphs, "read_hypergcn", lambda f: calls.append(f) or real(f))
    first = load_hypergraph(tmp_path, "cocitation-citeseer", expected=False)
    second = load_hypergraph(tmp_path, "cocitation-citeseer", split=2, expected=False)
    assert len(calls) == 1 and torch.equal(first.hyperedge_index, second.hyperedge_index)
    assert first.hyperedge_names == second.hyperedge_names


def test_registered_names():
    assert set(FOLDERS) <= set(datasets.names("hyper"))


@pytest.mark.data
@pytest.mark.parametrize("name, nnz", [("cocitation-cora", 4786), ("coauthorship-cora", 4585)])
def test_real_hypergraphs(real_data_root, name, nnz):
    from graphkit.datasets._io import safe_pickle_load

    folder = real_data_root.joinpath("HyperGCN", *FOLDERS[name])
    if not folder.is_dir():
        pytest.skip(f"{folder} not present")
    c = PUBLISHED[name]
    data = datasets.load(name, root=real_data_root, split=5)
    assert (data.num_nodes, data.x.size(1), data.num_hyperedges, int(data.y.max()) + 1) == (
        c.num_nodes, c.num_features, c.num_hyperedges, c.num_classes)
    assert data.hyperedge_index.size(1) == nnz
    assert (int(data.train_mask.sum()), int(data.test_mask.sum())) == (140, 2568)
    raw = {key: safe_pickle_load(folder / f"{key}.pickle") for key in ("features", "labels", "hypergraph")}
    raw["splits"] = [safe_pickle_load(folder / "splits" / f"{k}.pickle") for k in range(1, 11)]
    check_against_raw(data, raw, split=5)


@pytest.mark.data
def test_real_pubmed_lacks_features(real_data_root):
    folder = real_data_root / "HyperGCN" / "cocitation" / "pubmed"
    if not (folder / "hypergraph.pickle").is_file() or (folder / "features.pickle").is_file():
        pytest.skip("needs the shared copy of cocitation/pubmed without features.pickle")
    with pytest.raises(FileNotFoundError, match=r"cocitation/pubmed/features\.pickle"):
        datasets.load("cocitation-pubmed", root=real_data_root)


# --------------------------------------------------------------------------- graph → hypergraph


def brute_force(edge_index: torch.Tensor, n: int, include_edges: bool, include_neighborhoods: bool):
    adj = [set() for _ in range(n)]
    edges = set()
    for u, v in edge_index.t().tolist():
        if u != v:
            edges.add((min(u, v), max(u, v)))
            adj[u].add(v)
            adj[v].add(u)
    hyper = [[u, v] for u, v in sorted(edges)] if include_edges else []
    if include_neighborhoods:
        hyper += [sorted({i} | adj[i]) for i in range(n)]
    cols = [(v, j) for j, members in enumerate(hyper) for v in members]
    return torch.tensor(cols, dtype=torch.long).reshape(-1, 2).t(), len(hyper)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("flags", [(True, True), (True, False), (False, True)])
def test_graph_to_hypergraph_matches_brute_force(seed, flags):
    n = 5 + 4 * seed
    edge_index = random_graph(n, 2 * n, seed, undirected=seed % 2 == 0)  # self-loops, repeats, one direction
    edge_index = torch.cat([edge_index, torch.tensor([[1, 1], [1, 2]])], dim=1)
    got, num = graph_to_hypergraph(edge_index, n + 2, include_edges=flags[0], include_neighborhoods=flags[1])
    want, want_num = brute_force(edge_index, n + 2, *flags)  # two extra isolated nodes → singletons
    assert num == want_num and torch.equal(got, want)


def test_graph_to_hypergraph_small_example_and_errors():
    edge_index = torch.tensor([[0, 1, 2, 2], [1, 0, 1, 2]])  # 0-1 twice, 1-2, self-loop 2-2
    hei, num = graph_to_hypergraph(edge_index, 4)
    # edges {0,1}, {1,2}; neighbourhoods {0,1}, {0,1,2}, {1,2}, {3}
    assert num == 6
    assert hei.tolist() == [[0, 1, 1, 2, 0, 1, 0, 1, 2, 1, 2, 3], [0, 0, 1, 1, 2, 2, 3, 3, 3, 4, 4, 5]]
    empty, num = graph_to_hypergraph(torch.empty(2, 0, dtype=torch.long), 3, include_edges=False)
    assert num == 3 and empty.tolist() == [[0, 1, 2], [0, 1, 2]]
    with pytest.raises(ValueError, match="both False"):
        graph_to_hypergraph(edge_index, 4, include_edges=False, include_neighborhoods=False)
    with pytest.raises(ValueError, match="contains node id 2 but num_nodes is 2"):
        graph_to_hypergraph(edge_index, 2)
    with pytest.raises(TypeError, match="dtype torch.int64"):
        graph_to_hypergraph(edge_index.int(), 4)
