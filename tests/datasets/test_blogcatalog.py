"""Tests for graphkit.datasets.blogcatalog: the DeepWalk BlogCatalog ``.mat`` file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp
import torch

from graphkit import datasets
from graphkit.datasets import blogcatalog
from graphkit.datasets.blogcatalog import load_blogcatalog


def write_mat(root: Path, *, n: int = 40, labels: int = 5, weighted: bool = False, seed: int = 0):
    rng = np.random.default_rng(seed)
    upper = sp.triu(sp.random(n, n, density=0.15, random_state=seed, format="csr"), k=1)
    upper.data[:] = rng.integers(1, 4, upper.nnz) if weighted else 1.0
    network = sp.csc_matrix(upper + upper.T)
    group = sp.csc_matrix((rng.random((n, labels)) < 0.2).astype(np.float64))
    path = root / "BlogCatalog" / "blogcatalog.mat"
    path.parent.mkdir(parents=True, exist_ok=True)
    scipy.io.savemat(path, {"network": network, "group": group})
    return network, group


def counts(network, group) -> dict:
    return {"num_nodes": network.shape[0], "num_edges": network.nnz, "num_labels": group.shape[1],
            "num_label_pairs": group.nnz}


def test_mini_unweighted(tmp_path):
    network, group = write_mat(tmp_path)
    data = load_blogcatalog(tmp_path, expected=counts(network, group))
    assert data.x is None and data.num_nodes == 40 and "edge_weight" not in data
    coo = sp.csr_matrix(network).tocoo()
    assert torch.equal(data.edge_index, torch.from_numpy(np.stack([coo.row, coo.col]).astype(np.int64)))
    row, col = data.edge_index
    key = row * 40 + col
    assert bool((key[1:] > key[:-1]).all()), "sorted by (row, col)"
    assert data.y.dtype == torch.long and data.y.shape == (40, 5)
    assert torch.equal(data.y, torch.from_numpy(group.toarray().astype(np.int64)))


def test_mini_weighted_keeps_the_weights(tmp_path):
    network, group = write_mat(tmp_path, weighted=True, seed=2)
    data = load_blogcatalog(tmp_path, expected=False)
    dense = torch.zeros(40, 40)
    dense[data.edge_index[0], data.edge_index[1]] = data.edge_weight
    assert torch.equal(dense, torch.from_numpy(network.toarray()).float())
    assert data.edge_weight.dtype == torch.float32 and float(data.edge_weight.max()) > 1


def test_count_mismatch_missing_and_corrupt(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"(?s)BlogCatalog/blogcatalog\.mat.*phanein/deepwalk"):
        datasets.load("blogcatalog", root=tmp_path)
    write_mat(tmp_path)
    with pytest.raises(ValueError, match=r"'blogcatalog'.*published counts \(num_nodes: expected 10312, got 40"):
        datasets.load("blogcatalog", root=tmp_path)
    path = tmp_path / "BlogCatalog" / "blogcatalog.mat"
    blob = path.read_bytes()
    path.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(ValueError, match=r"blogcatalog\.mat: not a readable MATLAB \.mat file"):
        load_blogcatalog(tmp_path, expected=False)
    scipy.io.savemat(path, {"network": sp.csc_matrix(np.eye(3))})
    with pytest.raises(ValueError, match=r"blogcatalog\.mat: no variable 'group' \(found \['network'\]\)"):
        load_blogcatalog(tmp_path, expected=False)
    scipy.io.savemat(path, {"network": sp.csc_matrix(np.eye(3)), "group": sp.csc_matrix(np.ones((4, 2)))})
    with pytest.raises(ValueError, match="'group' must have one row per node"):
        load_blogcatalog(tmp_path, expected=False)


def test_unknown_option_cache_and_registration(tmp_path, monkeypatch):
    monkeypatch.setenv("GRAPHKIT_CACHE", str(tmp_path / "cache"))
    write_mat(tmp_path)
    with pytest.raises(TypeError, match="unexpected keyword argument 'seed'"):
        datasets.load("blogcatalog", root=tmp_path, seed=0)
    calls = []
    real = blogcatalog.read_blogcatalog
    monkeypatch.setattr(blogcatalog, "read_blogcatalog", lambda p: calls.append(p) or real(p))
    first = load_blogcatalog(tmp_path, expected=False)
    second = load_blogcatalog(tmp_path, expected=False)
    assert len(calls) == 1 and torch.equal(first.edge_index, second.edge_index)
    assert datasets.spec("blogcatalog").task == "multilabel"


@pytest.mark.data
def test_real_blogcatalog(real_data_root):
    path = real_data_root / "BlogCatalog" / "blogcatalog.mat"
    if not path.is_file():
        pytest.skip(f"{path} not present")
    data = datasets.load("blogcatalog", root=real_data_root)
    assert data.num_nodes == 10312 and data.edge_index.shape == (2, 667966)
    assert data.y.shape == (10312, 39) and data.y.dtype == torch.long and int(data.y.sum()) == 14476
    assert set(data.y.unique().tolist()) == {0, 1} and "edge_weight" not in data
    row, col = data.edge_index
    assert not bool((row == col).any())
    fwd, bwd = row * 10312 + col, col * 10312 + row
    assert torch.equal(torch.sort(bwd).values, fwd), "symmetric and sorted"
    mat = scipy.io.loadmat(path)
    assert torch.equal(data.y, torch.from_numpy(mat["group"].toarray().astype(np.int64)))
