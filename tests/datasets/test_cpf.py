"""Tests for graphkit.datasets.cpf: Cora / CiteSeer as GLNN, VQGraph and CPF read the gnn-benchmark npz files.

The miniature files are written here in the gnn-benchmark schema; every result is compared with
PyG's ``read_npz`` (the same reader ``CitationFull`` uses) restricted to the largest component.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from torch_geometric.utils import subgraph

from graphkit import datasets
from graphkit.datasets import cpf
from graphkit.datasets.cpf import FILES, load_cpf_graph
from graphkit.datasets.npz_graphs import GraphCounts
from graphkit.ops.components import largest_component


def mini(seed: int = 0, per_class: int = 60, num_classes: int = 3, num_features: int = 7):
    """A graph of one big component plus a separate triangle and an isolated node, stored one-directional."""
    rng = np.random.default_rng(seed)
    n_big = per_class * num_classes
    n = n_big + 4
    row = np.concatenate([np.arange(n_big - 1), rng.integers(0, n_big, 2 * n_big), [n_big, n_big + 1, n_big + 2, 7]])
    col = np.concatenate([np.arange(1, n_big), rng.integers(0, n_big, 2 * n_big), [n_big + 1, n_big + 2, n_big, 7]])
    adj = sp.csr_matrix((np.ones(row.size, dtype=np.float32), (row, col)), shape=(n, n))  # 7-7: a self-loop
    attr = sp.csr_matrix((rng.random((n, num_features)) < 0.4).astype(np.float32))
    labels = np.concatenate([rng.permutation(np.repeat(np.arange(num_classes), per_class)), [0, 1, 2, 0]])
    return adj, attr, labels.astype(np.int8)


def write(path: Path, adj, attr, labels) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    adj, attr = sp.csr_matrix(adj), sp.csr_matrix(attr)
    np.savez(path, adj_data=adj.data, adj_indices=adj.indices, adj_indptr=adj.indptr, adj_shape=adj.shape,
             attr_data=attr.data, attr_indices=attr.indices, attr_indptr=attr.indptr, attr_shape=attr.shape,
             labels=labels, node_names=np.array([f"n{i}" for i in range(adj.shape[0])]),
             class_names=np.array(["a", "b", "c"]))


def pyg_lcc(path: Path):
    from torch_geometric.io import read_npz

    theirs = read_npz(str(path))
    keep = largest_component(theirs.edge_index, theirs.num_nodes)
    ei, _ = subgraph(keep, theirs.edge_index, relabel_nodes=True, num_nodes=theirs.num_nodes)
    return theirs, keep, ei


@pytest.mark.parametrize("name", list(FILES))
def test_mini_is_pyg_read_npz_on_the_largest_component(tmp_path, name):
    path = tmp_path / "gnn-benchmark" / "npz" / FILES[name]
    adj, attr, labels = mini(seed=len(name))
    write(path, adj, attr, labels)
    data = load_cpf_graph(tmp_path, name, expected=GraphCounts(180, _directed(adj, 180), 7, 3), seed=3)
    theirs, keep, ei = pyg_lcc(path)
    assert int(keep.sum()) == 180 and bool(keep[:180].all()), "the triangle and the isolated node are dropped"
    assert torch.equal(data.x, theirs.x[keep]) and torch.equal(data.y, theirs.y[keep])
    assert torch.equal(data.edge_index, ei)
    assert data.x.dtype == torch.float32 and data.y.dtype == data.edge_index.dtype == torch.int64
    c = 3
    assert torch.bincount(data.y[data.train_mask], minlength=c).tolist() == [20] * c
    assert torch.bincount(data.y[data.val_mask], minlength=c).tolist() == [30] * c
    assert bool((data.train_mask | data.val_mask | data.test_mask).all())
    other = load_cpf_graph(tmp_path, name, expected=False, seed=4)
    assert not torch.equal(other.train_mask, data.train_mask)
    full = load_cpf_graph(tmp_path, name, expected=False, lcc=False)
    assert full.num_nodes == 184 and torch.equal(full.edge_index, theirs.edge_index)


def _directed(adj, n_keep: int) -> int:
    a = sp.csr_matrix(adj)[:n_keep, :n_keep]
    a = ((a + a.T) > 0).astype(np.int8)
    a.setdiag(0)
    a.eliminate_zeros()
    return int(a.nnz)


def test_published_counts_are_checked(tmp_path):
    write(tmp_path / "gnn-benchmark" / "npz" / "citeseer.npz", *mini())
    with pytest.raises(ValueError, match=r"'cpf-citeseer'.*num_nodes: expected 2110, got 180"):
        datasets.load("cpf-citeseer", root=tmp_path)


def test_missing_truncated_and_malformed_files(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        datasets.load("cpf-citeseer", root=tmp_path)
    assert str(tmp_path / "gnn-benchmark" / "npz" / "citeseer.npz") in str(info.value)
    assert "shchur/gnn-benchmark" in str(info.value)
    path = tmp_path / "gnn-benchmark" / "npz" / "cora.npz"
    write(path, *mini())
    blob = path.read_bytes()
    path.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(ValueError, match=r"cora\.npz.*truncated or corrupt"):
        load_cpf_graph(tmp_path, "cpf-cora", expected=False)
    adj, attr, labels = mini()
    np.savez(path, adj_data=adj.data, adj_indices=adj.indices, adj_indptr=adj.indptr, adj_shape=adj.shape,
             labels=labels)
    with pytest.raises(ValueError, match=r"cora\.npz: lacks \['attr_data'"):
        load_cpf_graph(tmp_path, "cpf-cora", expected=False)
    write(path, adj, attr, labels[:-1])
    with pytest.raises(ValueError, match=r"cora\.npz: adjacency \(184, 184\).*labels int8 \(183,\) do not match"):
        load_cpf_graph(tmp_path, "cpf-cora", expected=False)
    with pytest.raises(ValueError, match="unknown gnn-benchmark graph 'pubmed'"):
        load_cpf_graph(tmp_path, "pubmed")


def test_registration_and_cache(tmp_path, monkeypatch):
    for name in FILES:
        assert datasets.spec(name).task == "node"
    write(tmp_path / "gnn-benchmark" / "npz" / "cora.npz", *mini())
    calls = []
    real = cpf.read_gnn_benchmark_npz
    monkeypatch.setattr(cpf, "read_gnn_benchmark_npz", lambda p, lcc: calls.append(p) or real(p, lcc=lcc))
    first = load_cpf_graph(tmp_path, "cpf-cora", expected=False)
    second = load_cpf_graph(tmp_path, "cpf-cora", expected=False)
    assert len(calls) == 1 and torch.equal(first.x, second.x)


@pytest.mark.data
@pytest.mark.parametrize("name, counts, planetoid_nodes", [("cpf-cora", (2485, 10138, 1433, 7), 2708),
                                                           ("cpf-citeseer", (2110, 7336, 3703, 6), 3327)])
def test_real_files(real_data_root, name, counts, planetoid_nodes):
    path = real_data_root / "gnn-benchmark" / "npz" / FILES[name]
    if not path.is_file():
        pytest.skip(f"{path} not present")
    data = datasets.load(name, root=real_data_root, seed=0)
    assert (data.num_nodes, data.edge_index.size(1), data.x.size(1), int(data.y.max()) + 1) == counts
    assert int(data.train_mask.sum()) == 20 * counts[3] and int(data.val_mask.sum()) == 30 * counts[3]
    theirs, keep, ei = pyg_lcc(path)
    assert torch.equal(data.edge_index, ei) and torch.equal(data.x, theirs.x[keep])
    assert (theirs.num_nodes == planetoid_nodes) == (name == "cpf-cora")  # CiteSeer: 3312 nodes, Planetoid 3327
