"""The synthetic heterogeneous graph: the HeCo/MEOW layout, seeded, with path counts."""

from __future__ import annotations

import pytest
import torch

from graphkit import datasets
from graphkit.datasets.hetero_synthetic import hetero_csbm


def test_layout_counts_and_splits():
    data = datasets.load("hetero-csbm", num_nodes=300, seed=1)
    assert datasets.spec("hetero-csbm").task == "hetero" and datasets.spec("hetero-csbm").synthetic
    assert data.target_node_type == "paper" and data.metapaths == [("paper", "pap", "paper"), ("paper", "psp", "paper")]
    store = data["paper"]
    y = store.y
    for r in (20, 40, 60):
        train, val, test = store[f"train_mask_{r}"], store[f"val_mask_{r}"], store[f"test_mask_{r}"]
        assert torch.bincount(y[train]).tolist() == [r] * 3
        assert not bool((train & val).any() | (train & test).any() | (val & test).any())
    # pap holds R R^T path counts, diagonal included
    pa = torch.zeros(300, data["author"].num_nodes)
    pa[data["paper", "to", "author"].edge_index[0], data["paper", "to", "author"].edge_index[1]] = 1
    m = torch.zeros(300, 300)
    ei = data["paper", "pap", "paper"].edge_index
    m[ei[0], ei[1]] = data["paper", "pap", "paper"].edge_weight
    assert torch.equal(m, pa @ pa.t())
    assert torch.equal(store.nei_author_index, data["paper", "to", "author"].edge_index)


def test_seeded_and_bad_sizes():
    a, b = hetero_csbm(250, seed=3), hetero_csbm(250, seed=3)
    assert torch.equal(a["paper"].x, b["paper"].x) and torch.equal(a["paper"].y, b["paper"].y)
    assert not torch.equal(a["paper"].y, hetero_csbm(250, seed=4)["paper"].y)
    with pytest.raises(ValueError, match="60-per-class"):
        hetero_csbm(100)
    with pytest.raises(ValueError, match="exceeds"):
        hetero_csbm(300, num_val=100, num_test=100)
