"""graphkit.datasets.citation_full: CitationFull Cora-ML as PyG builds it, with ForwardGNN's folds."""

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from graphkit import datasets
from graphkit.datasets.citation_full import PUBLISHED, load_cora_ml, raw_candidates
from graphkit.datasets.kfold import kfold_split
from graphkit.datasets.npz_graphs import GraphCounts


def write_mini(path: Path, n: int = 40, f: int = 9, seed: int = 0):
    rng = np.random.default_rng(seed)
    row, col = rng.integers(0, n, 3 * n), rng.integers(0, n, 3 * n)
    row[:2], col[:2] = [4, 6], [4, 7]  # a self-loop, and an arc stored in one direction only
    adj = sp.csr_matrix((np.ones(row.size, dtype=np.float32), (row, col)), shape=(n, n))
    attr = sp.csr_matrix(rng.random((n, f)) * (rng.random((n, f)) < 0.3), dtype=np.float32)  # real-valued weights
    labels = rng.integers(0, 3, n)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, adj_data=adj.data, adj_indices=adj.indices, adj_indptr=adj.indptr, adj_shape=adj.shape,
             attr_data=attr.data, attr_indices=attr.indices, attr_indptr=attr.indptr, attr_shape=attr.shape,
             labels=labels)
    return path


def test_miniature_equals_pyg_read_npz(tmp_path):
    from torch_geometric.io import read_npz

    path = write_mini(tmp_path / "gnn-meta-attack" / "cora_ml.npz")
    data = load_cora_ml(tmp_path, expected=False, fold=2)
    theirs = read_npz(str(path))
    for key in ("x", "edge_index", "y"):
        assert torch.equal(getattr(data, key), getattr(theirs, key)), key
    assert set(data.x.unique().tolist()) <= {0.0, 1.0}
    for got, want in zip((data.train_mask, data.val_mask, data.test_mask), kfold_split(40, 2), strict=True):
        assert torch.equal(got, want)


def test_pyg_layout_is_found_first(tmp_path):
    write_mini(tmp_path / "gnn-meta-attack" / "cora_ml.npz", n=40)
    write_mini(tmp_path / "CitationFull" / "cora_ml" / "raw" / "cora_ml.npz", n=30)
    assert raw_candidates(tmp_path)[0].is_file()
    assert load_cora_ml(tmp_path, expected=False).num_nodes == 30


def test_miniature_under_the_registered_name_is_a_count_mismatch(tmp_path):
    write_mini(tmp_path / "gnn-meta-attack" / "cora_ml.npz")
    with pytest.raises(ValueError, match=r"'cora-ml'.*published counts \(num_nodes: expected 2995, got 40"):
        datasets.load("cora-ml", root=tmp_path)
    assert load_cora_ml(tmp_path, expected=GraphCounts(40, None, 9, None)).num_nodes == 40


def test_missing_and_corrupt_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="cora_ml.npz") as info:
        datasets.load("cora-ml", root=tmp_path)
    assert "gnn-meta-attack" in str(info.value) and "CitationFull" in str(info.value)
    path = write_mini(tmp_path / "gnn-meta-attack" / "cora_ml.npz")
    blob = path.read_bytes()
    path.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(ValueError, match="cora_ml.npz"):
        load_cora_ml(tmp_path, expected=False)
    np.savez(path, labels=np.zeros(3))
    with pytest.raises(ValueError, match="lacks .*adj_data"):
        load_cora_ml(tmp_path, expected=False)
    with pytest.raises(TypeError, match="unexpected keyword"):
        datasets.load("cora-ml", root=tmp_path, split="public")


def test_real_cora_ml_equals_pyg_citationfull(real_data_root):
    from torch_geometric.io import read_npz

    path = real_data_root / "gnn-meta-attack" / "cora_ml.npz"
    if not path.is_file():
        pytest.skip(f"{path} not present")
    data = datasets.load("cora-ml", root=real_data_root, fold=1)
    assert (data.num_nodes, data.edge_index.size(1), data.num_features, int(data.y.max()) + 1) == (
        PUBLISHED.num_nodes, PUBLISHED.num_edges, PUBLISHED.num_features, PUBLISHED.num_classes)
    theirs = read_npz(str(path))  # what torch_geometric.datasets.CitationFull('Cora_ML') processes
    for key in ("x", "edge_index", "y"):
        assert torch.equal(getattr(data, key), getattr(theirs, key)), key
    sizes = [int(data[m].sum()) for m in ("train_mask", "val_mask", "test_mask")]
    assert sizes == [1916, 480, 599]
