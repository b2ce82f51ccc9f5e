"""graphkit.ops.distributed_fastrp with one process (the 2-process gloo run is in tests/test_distributed.py)."""

from __future__ import annotations

import pytest
import torch

from graphkit.ops.csr import as_csr
from graphkit.ops.distributed_fastrp import distributed_fastrp_embedding, gather_rows, row_block
from graphkit.ops.fastrp import fastrp_embedding


def _graph(n=300, m=2000, seed=0):
    gen = torch.Generator().manual_seed(seed)
    edges = torch.randint(0, n, (2, m), generator=gen)
    edges = edges[:, edges[0] != 5]  # a degree-0 node
    return as_csr(torch.cat([edges, edges.flip(0)], 1), n), torch.randn(n, 6, generator=gen)


@pytest.mark.parametrize("case", [{"s": "sqrt"}, {"s": 1.0, "self_influence": 0.3, "normalization_strength": -0.5},
                                  {"s": 3.0, "normalize_rows": False}, {"s": 2.0, "feature_dim": 4},
                                  {"s": 1.0, "standardize": False}])
def test_one_process_equals_fastrp_embedding(case):
    adj, x = _graph()
    feats = x if case.get("feature_dim") else None
    ref = fastrp_embedding(adj, 16, (0.0, 1.0, 0.5, 1.0), seed=7, x=feats, **case)
    out = distributed_fastrp_embedding(adj, 16, (0.0, 1.0, 0.5, 1.0), seed=7, x=feats, **case)
    assert out.shape == ref.shape
    assert float((out - ref).abs().max()) < 1e-5


def test_weighted_graph_equals_fastrp_embedding():
    adj, _ = _graph(seed=2)
    adj = adj.with_value(torch.rand(adj.nnz, generator=torch.Generator().manual_seed(0)) + 0.1)
    ref = fastrp_embedding(adj, 8, (1.0, 1.0), seed=1, s=1.0)
    assert float((distributed_fastrp_embedding(adj, 8, (1.0, 1.0), seed=1, s=1.0) - ref).abs().max()) < 1e-5


def test_row_blocks_partition_the_rows():
    adj, _ = _graph(n=11, m=40)
    blocks = [row_block(adj, rank=r, world=3) for r in range(3)]
    assert [b.num_rows for b in blocks] == [4, 4, 3] and all(b.num_cols == 11 for b in blocks)
    dense = torch.cat([b.to_dense() for b in blocks])
    assert torch.equal(dense, adj.to_dense())


def test_a_block_of_the_wrong_size_is_refused():
    adj, _ = _graph(n=11, m=40)
    with pytest.raises(ValueError, match="row_block"):
        distributed_fastrp_embedding(row_block(adj, rank=0, world=2), 8, (1.0,))


def test_gather_rows_without_a_group_is_the_block():
    block = torch.randn(4, 3)
    assert gather_rows(block, 4) is block
