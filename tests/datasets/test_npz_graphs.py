"""Tests for graphkit.datasets.npz_graphs: Amazon / Coauthor from the GraphData npz files.

Amazon Photo and Coauthor Physics are not in the shared folder; those paths run
on miniature npz files written here in the same schema (pickled scipy CSR in
object arrays). Every result is compared with PyG's ``read_npz`` (what PyG's
``Amazon`` / ``Coauthor`` call) on the same matrices in PyG's npz schema.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from graphkit import datasets
from graphkit.datasets import npz_graphs
from graphkit.datasets._io import UnsafePickleError, safe_np_load
from graphkit.datasets.npz_graphs import FILES, GraphCounts, load_npz_graph


def mini_matrices(seed: int = 0, num_classes: int = 3, per_class: int = 60, num_features: int = 9):
    rng = np.random.default_rng(seed)
    n = num_classes * per_class
    labels = rng.permutation(np.repeat(np.arange(num_classes), per_class)).astype(np.int32)
    row, col = rng.integers(0, n, 4 * n), rng.integers(0, n, 4 * n)
    row[:3], col[:3] = [5, 7, 7], [5, 8, 8]  # a self-loop and a repeated arc
    adj = sp.csr_matrix((np.ones(row.size, dtype=np.float32), (row, col)), shape=(n, n))
    adj.data[:] = 1
    attr = sp.csr_matrix((rng.random((n, num_features)) < 0.3) * rng.integers(1, 4, (n, num_features)),
                         dtype=np.float32)  # word counts: PyG binarises them
    return adj, attr, labels


def write_graphdata(path: Path, adj, attr, labels) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    obj = np.empty((), dtype=object)
    adj_obj, attr_obj, meta = obj.copy(), obj.copy(), obj.copy()
    adj_obj[()], attr_obj[()], meta[()] = adj, attr, {"class_names": np.array(["a", "b", "c"])}
    np.savez(path, adj_matrix=adj_obj, node_attr=attr_obj, node_label=labels, metadata=meta)


def pyg_read_npz(tmp_path: Path, adj, attr, labels):
    """PyG's own reader on the same matrices, written in its (shchur) npz schema."""
    from torch_geometric.io import read_npz

    adj, attr = sp.csr_matrix(adj), sp.csr_matrix(attr)
    path = tmp_path / "pyg_schema.npz"
    np.savez(path, adj_data=adj.data, adj_indices=adj.indices, adj_indptr=adj.indptr, adj_shape=adj.shape,
             attr_data=attr.data, attr_indices=attr.indices, attr_indptr=attr.indptr, attr_shape=attr.shape,
             labels=labels)
    return read_npz(str(path))


def true_counts(adj, attr, labels) -> GraphCounts:
    coo = adj.tocoo()
    pairs = {(int(a), int(b)) for a, b in zip(coo.row, coo.col, strict=True) if a != b}
    pairs |= {(b, a) for a, b in pairs}
    return GraphCounts(adj.shape[0], len(pairs), attr.shape[1], int(labels.max()) + 1)


def assert_split(data, train_per_class: int = 20, val_per_class: int = 30) -> None:
    c = int(data.y.max()) + 1
    assert torch.bincount(data.y[data.train_mask], minlength=c).tolist() == [train_per_class] * c
    assert torch.bincount(data.y[data.val_mask], minlength=c).tolist() == [val_per_class] * c
    assert torch.equal(data.train_mask | data.val_mask | data.test_mask, torch.ones_like(data.train_mask))
    assert int(data.train_mask.sum() + data.val_mask.sum() + data.test_mask.sum()) == data.num_nodes


@pytest.mark.parametrize("name", ["amazon-photo", "coauthor-physics"])
def test_mini_equals_pyg_and_split(tmp_path, name):
    adj, attr, labels = mini_matrices(seed=len(name))
    write_graphdata(tmp_path / "GraphData" / FILES[name], adj, attr, labels)
    data = load_npz_graph(tmp_path, name, expected=true_counts(adj, attr, labels), seed=4)
    theirs = pyg_read_npz(tmp_path, adj, attr, labels)
    for key in ("x", "edge_index", "y"):
        assert getattr(data, key).dtype == getattr(theirs, key).dtype
        assert torch.equal(getattr(data, key), getattr(theirs, key)), key
    assert set(data.x.unique().tolist()) == {0.0, 1.0}, "features are binarised like PyG"
    row, col = data.edge_index
    key = row * data.num_nodes + col
    assert not bool((row == col).any()) and bool((key[1:] > key[:-1]).all())
    assert torch.equal(torch.sort(col * data.num_nodes + row).values, key), "undirected"
    assert_split(data)
    again = load_npz_graph(tmp_path, name, expected=False, seed=4)
    other = load_npz_graph(tmp_path, name, expected=False, seed=5)
    assert torch.equal(again.train_mask, data.train_mask) and not torch.equal(other.train_mask, data.train_mask)
    small = load_npz_graph(tmp_path, name, expected=False, train_per_class=5, val_per_class=10)
    assert_split(small, 5, 10)


def test_sparse_features_are_the_same_features_in_csr(tmp_path):
    adj, attr, labels = mini_matrices(seed=3)
    write_graphdata(tmp_path / "GraphData" / FILES["coauthor-physics"], adj, attr, labels)
    dense = load_npz_graph(tmp_path, "coauthor-physics", expected=False, seed=1, sparse_features=False)
    sparse = load_npz_graph(tmp_path, "coauthor-physics", expected=False, seed=1, sparse_features=True)
    assert sparse.x.layout == torch.sparse_csr and sparse.x.dtype == torch.float32
    assert torch.equal(sparse.x.to_dense(), dense.x) and torch.equal(sparse.train_mask, dense.train_mask)
    assert sparse.x.values().numel() == int(torch.count_nonzero(dense.x))  # no explicit zeros stored
    with pytest.raises(TypeError, match="sparse_features"):
        load_npz_graph(tmp_path, "coauthor-physics", expected=False, sparse_features="yes")


def test_features_under_the_density_threshold_load_sparse_by_default(tmp_path):
    """sparse_features=None (the default): CSR below SPARSE_DENSITY (5 %) non-zero, dense above; False / True force."""
    from graphkit.datasets.npz_graphs import SPARSE_DENSITY

    assert SPARSE_DENSITY == 0.05
    adj, attr, labels = mini_matrices(seed=3)  # 30 % non-zero, like the Amazon graphs
    write_graphdata(tmp_path / "a" / "GraphData" / FILES["coauthor-cs"], adj, attr, labels)
    assert load_npz_graph(tmp_path / "a", "coauthor-cs", expected=False).x.layout == torch.strided
    attr = attr.tolil()
    attr[:, 1:] = 0  # 1 of 9 columns at 30 %: about 3.3 % non-zero, like a bag of words
    write_graphdata(tmp_path / "b" / "GraphData" / FILES["coauthor-cs"], adj, attr.tocsr(), labels)
    data = load_npz_graph(tmp_path / "b", "coauthor-cs", expected=False)
    assert data.x.layout == torch.sparse_csr
    assert data.x.values().numel() < SPARSE_DENSITY * data.x.size(0) * data.x.size(1)
    dense = load_npz_graph(tmp_path / "b", "coauthor-cs", expected=False, sparse_features=False)
    assert dense.x.layout == torch.strided and torch.equal(data.x.to_dense(), dense.x)
    forced = load_npz_graph(tmp_path / "a", "coauthor-cs", expected=False, sparse_features=True)
    assert forced.x.layout == torch.sparse_csr


def test_mini_under_published_name_is_a_count_mismatch(tmp_path):
    write_graphdata(tmp_path / "GraphData" / "amazon_photo.npz", *mini_matrices())
    with pytest.raises(ValueError, match=r"'amazon-photo'.*published counts \(num_nodes: expected 7650, got 180"):
        datasets.load("amazon-photo", root=tmp_path)


def test_missing_file_names_path_and_source(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        datasets.load("coauthor-physics", root=tmp_path)
    assert str(tmp_path / "GraphData" / "coauthor_phy.npz") in str(info.value)
    assert "EdisonLeeeee/GraphData" in str(info.value)


def test_truncated_and_malformed_files_name_the_file(tmp_path):
    path = tmp_path / "GraphData" / "amazon_photo.npz"
    write_graphdata(path, *mini_matrices())
    blob = path.read_bytes()
    path.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(ValueError, match=r"amazon_photo\.npz.*truncated or corrupt"):
        load_npz_graph(tmp_path, "amazon-photo", expected=False)
    adj, attr, labels = mini_matrices()
    np.savez(path, adj_matrix=np.array(adj.toarray()), node_label=labels)
    with pytest.raises(ValueError, match=r"amazon_photo\.npz: no array 'node_attr'"):
        load_npz_graph(tmp_path, "amazon-photo", expected=False)
    write_graphdata(path, adj, attr, labels[:-1])
    with pytest.raises(ValueError, match=r"amazon_photo\.npz: node_label must be 180 integers"):
        load_npz_graph(tmp_path, "amazon-photo", expected=False)


class _Evil:
    def __reduce__(self):
        return (os.getcwd, ())


def test_malicious_object_array_is_refused(tmp_path):
    path = tmp_path / "GraphData" / "amazon_photo.npz"
    adj, attr, labels = mini_matrices()
    path.parent.mkdir(parents=True)
    evil = np.empty((), dtype=object)
    evil[()] = _Evil()
    np.savez(path, adj_matrix=evil, node_attr=evil, node_label=labels)
    with pytest.raises(UnsafePickleError, match="refusing to load global 'posix.getcwd'"):
        load_npz_graph(tmp_path, "amazon-photo", expected=False)


def test_unknown_option_and_registration(tmp_path):
    write_graphdata(tmp_path / "GraphData" / "amazon_photo.npz", *mini_matrices())
    with pytest.raises(TypeError, match="unexpected keyword argument 'split'"):
        datasets.load("amazon-photo", root=tmp_path, split="public")
    for name in FILES:
        assert datasets.spec(name).task == "node"


def test_second_load_reads_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GRAPHKIT_CACHE", str(tmp_path / "cache"))
    write_graphdata(tmp_path / "GraphData" / "coauthor_phy.npz", *mini_matrices())
    calls = []
    real = npz_graphs.read_graphdata_npz
    monkeypatch.setattr(npz_graphs, "read_graphdata_npz", lambda p: calls.append(p) or real(p))
    first = load_npz_graph(tmp_path, "coauthor-physics", expected=False)
    second = load_npz_graph(tmp_path, "coauthor-physics", expected=False)
    assert len(calls) == 1 and len(list((tmp_path / "cache").glob("npz-coauthor-physics-*.pt"))) == 1
    assert torch.equal(first.x, second.x) and torch.equal(first.edge_index, second.edge_index)


@pytest.mark.data
@pytest.mark.parametrize("name, counts, train_val",
                         [("amazon-computers", (13752, 491722, 767, 10), (200, 300)),
                          ("coauthor-cs", (18333, 163788, 6805, 15), (300, 450))])
def test_real_files(real_data_root, tmp_path, name, counts, train_val):
    path = real_data_root / "GraphData" / FILES[name]
    if not path.is_file():
        pytest.skip(f"{path} not present")
    data = datasets.load(name, root=real_data_root)
    # the default layout: Coauthor CS (0.88 % non-zero) stays CSR, Amazon Computers (35 %) is dense
    assert data.x.layout == (torch.sparse_csr if name == "coauthor-cs" else torch.strided)
    data.x = data.x.to_dense()
    assert (data.num_nodes, data.edge_index.size(1), data.x.size(1), int(data.y.max()) + 1) == counts
    assert (int(data.train_mask.sum()), int(data.val_mask.sum())) == train_val
    assert_split(data)
    raw = safe_np_load(path)
    adj, attr, labels = raw["adj_matrix"].item(), raw["node_attr"].item(), raw["node_label"]
    # x is exactly the binarised attributes: 1 at every stored position, nothing else
    coo = attr.tocoo()
    assert bool((data.x[torch.from_numpy(coo.row).long(), torch.from_numpy(coo.col).long()] == 1).all())
    assert float(data.x.sum(dtype=torch.float64)) == attr.nnz
    if name == "amazon-computers":  # PyG densifies too: one PyG comparison keeps the test fast
        theirs = pyg_read_npz(tmp_path, adj, attr, labels)
        for key in ("x", "edge_index", "y"):
            assert torch.equal(getattr(data, key), getattr(theirs, key)), key
    else:
        from torch_geometric.utils import remove_self_loops, to_undirected

        a = adj.tocoo()
        edge_index = torch.from_numpy(np.stack([a.row, a.col]).astype(np.int64))
        assert torch.equal(data.edge_index, to_undirected(remove_self_loops(edge_index)[0], num_nodes=adj.shape[0]))
        assert torch.equal(data.y, torch.from_numpy(labels).long())
