"""node_order / permute_rows against dense permuted matrices and scipy's RCM."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from graphkit.ops.csr import as_csr
from graphkit.ops.node_order import node_order, permute_rows
from tests.conftest import random_graph


def graph(n=40, m=150, seed=0, undirected=False):
    adj = as_csr(random_graph(n - 2, m, seed=seed, undirected=undirected), n)  # two isolated nodes
    value = torch.rand(adj.nnz, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return adj.with_value(value)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_permute_rows_is_a_dense_row_permutation_and_relabelling(seed):
    adj = graph(seed=seed)
    perm = torch.randperm(adj.num_rows, generator=torch.Generator().manual_seed(seed))
    rowptr, index = permute_rows(adj.rowptr, perm)
    dense = adj.to_dense(torch.float64)
    rows = adj._replace(rowptr=rowptr, col=adj.col[index], value=adj.value[index])
    assert torch.equal(rows.to_dense(torch.float64), dense[perm])  # P A
    # entries keep their order within each row
    old_row = adj.row()[index]
    assert torch.equal(old_row, perm[rows.row()])
    assert bool(((index.diff() == 1) | (rows.row().diff() != 0)).all())
    # relabelling columns too gives P A P^T
    inverse = torch.empty_like(perm)
    inverse[perm] = torch.arange(perm.numel())
    relabelled = rows._replace(col=inverse[rows.col])
    assert torch.equal(relabelled.to_dense(torch.float64), dense[perm][:, perm])


def test_permute_rows_subset_and_empty():
    rowptr = torch.tensor([0, 2, 2, 5])
    new, index = permute_rows(rowptr, torch.tensor([2, 2, 0]))
    assert new.tolist() == [0, 3, 6, 8] and index.tolist() == [2, 3, 4, 2, 3, 4, 0, 1]
    new, index = permute_rows(torch.zeros(4, dtype=torch.long), torch.tensor([2, 0, 1]))
    assert new.tolist() == [0, 0, 0, 0] and index.numel() == 0


def test_degree_order_is_a_stable_decreasing_sort():
    adj = graph(seed=3)
    degree = adj.degree()
    perm = node_order("degree", adj.rowptr, adj.col, degree)
    assert sorted(perm.tolist()) == list(range(adj.num_rows))
    d = degree[perm]
    assert bool((d.diff() <= 0).all())
    ties = d[1:] == d[:-1]
    assert bool((perm[1:][ties] > perm[:-1][ties]).all())  # ties keep their id order
    assert not torch.equal(perm, torch.arange(adj.num_rows))


def test_rcm_is_scipys_and_reduces_the_bandwidth():
    adj = graph(n=120, m=300, seed=4, undirected=True)
    perm = node_order("rcm", adj.rowptr, adj.col, adj.degree())
    pattern = sp.csr_matrix((np.ones(adj.nnz), adj.col.numpy(), adj.rowptr.numpy()), shape=(120, 120))
    from scipy.sparse.csgraph import reverse_cuthill_mckee

    assert perm.tolist() == reverse_cuthill_mckee(pattern, symmetric_mode=False).tolist()
    dense = adj.to_dense()

    def bandwidth(m):
        i, j = m.nonzero(as_tuple=True)
        return int((i - j).abs().max())

    assert bandwidth(dense[perm][:, perm]) < bandwidth(dense)


def test_keep_the_order_and_errors():
    adj = graph()
    for method in (None, "none"):
        assert node_order(method, adj.rowptr, adj.col, adj.degree()) is None
    one = as_csr(torch.tensor([[0], [0]]), 1)
    assert node_order("degree", one.rowptr, one.col, one.degree()) is None
    with pytest.raises(ValueError, match="method must be one of"):
        node_order("metis", adj.rowptr, adj.col, adj.degree())
