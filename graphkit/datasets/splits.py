"""Link-prediction splits: the :class:`LinkSplit` container and a seeded random edge split."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor
from torch_geometric.data import Data

from graphkit._validation import check_edge_index
from graphkit.ops.negative_sampling import sample_negatives


@dataclass
class LinkSplit:
    """A link-prediction data set with its evaluation split.

    Attributes:
        num_nodes: number of nodes.
        x: node features ``[N, F]`` or ``None`` for feature-less graphs.
        edge_index: the message-passing graph for training and validation,
            both directions stored ``[2, 2·E_train]``. Never contains a
            validation or test positive.
        train_pos: training positives, one orientation per edge ``[2, E_train]``.
        valid_pos, valid_neg, test_pos, test_neg: evaluation pairs ``[2, *]``.
        test_edge_index: the graph used for test-time predictions; defaults to
            ``edge_index`` (ogbl-collab adds the validation edges here).
        neg_per_positive: ``None`` when the negatives form one pool shared by
            all positives (Hits@K); ``K`` when each positive has its own ``K``
            negatives (MRR, ogbl-citation2): then ``valid_neg`` holds ``P·K``
            pairs ordered so that negative ``k`` of positive ``p`` is column
            ``p·K + k``.
        name: data set name, for reports.
        extra: loader-specific tensors (edge weights, years, ...).
    """

    num_nodes: int
    x: Tensor | None
    edge_index: Tensor
    train_pos: Tensor
    valid_pos: Tensor
    valid_neg: Tensor
    test_pos: Tensor
    test_neg: Tensor
    test_edge_index: Tensor | None = None
    neg_per_positive: int | None = None
    name: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def num_features(self) -> int:
        return 0 if self.x is None else self.x.size(1)

    def graph_for(self, stage: str) -> Tensor:
        """The message-passing graph for ``stage`` in {'train', 'valid', 'test'}."""
        if stage not in ("train", "valid", "test"):
            raise ValueError(f"stage must be 'train', 'valid' or 'test', got {stage!r}")
        if stage == "test" and self.test_edge_index is not None:
            return self.test_edge_index
        return self.edge_index

    def pairs(self, stage: str) -> tuple[Tensor, Tensor]:
        """(positives, negatives) of ``stage`` in {'valid', 'test'}."""
        if stage == "valid":
            return self.valid_pos, self.valid_neg
        if stage == "test":
            return self.test_pos, self.test_neg
        raise ValueError(f"stage must be 'valid' or 'test', got {stage!r}")

    def __repr__(self) -> str:
        return (
            f"LinkSplit({self.name or 'graph'}, num_nodes={self.num_nodes}, "
            f"num_features={self.num_features}, train={self.train_pos.size(1)}, "
            f"valid={self.valid_pos.size(1)}/{self.valid_neg.size(1)}, "
            f"test={self.test_pos.size(1)}/{self.test_neg.size(1)})"
        )


def undirected_edges(edge_index: Tensor, num_nodes: int) -> Tensor:
    """Unique undirected edges ``(u < v)`` of a graph, self-loops removed, sorted."""
    row, col = edge_index
    lo, hi = torch.minimum(row, col), torch.maximum(row, col)
    keys = torch.unique(lo[lo != hi] * num_nodes + hi[lo != hi])
    return torch.stack([keys // num_nodes, keys % num_nodes])


def random_link_split(
    data: Data,
    *,
    val_ratio: float = 0.1,
    test_ratio: float = 0.2,
    seed: int = 0,
    neg_ratio: float = 1.0,
    name: str = "",
) -> LinkSplit:
    """Seeded random split of an undirected graph's edges into train/valid/test.

    Each undirected edge (self-loops dropped, duplicates merged) lands in exactly
    one part. The message-passing graph holds only the training edges (both
    directions), so no evaluation positive leaks into it. Negatives are pairs
    that are not edges of the *full* graph, ``neg_ratio`` per positive, with
    validation and test negatives disjoint. ``val_ratio=0.1, test_ratio=0.2``
    is the 70/10/20 protocol of NCN on Planetoid; ``0.05, 0.1`` gives 85/5/10.

    Args:
        data: a PyG ``Data`` with ``edge_index`` (and optionally ``x``).
        val_ratio, test_ratio: shares of the undirected edges.
        seed: seeds the permutation and the negatives.
        neg_ratio: negatives per positive for validation and test.
    """
    if not isinstance(data, Data):
        hint = (" (an edge_index: wrap it as Data(edge_index=edge_index, num_nodes=N))"
                if isinstance(data, Tensor) else "")
        raise TypeError(f"data must be a torch_geometric.data.Data with edge_index, got {type(data).__name__}{hint}")
    if getattr(data, "edge_index", None) is None:
        raise ValueError("data has no edge_index: random_link_split splits the edges of a graph")
    if not (0 <= val_ratio < 1 and 0 <= test_ratio < 1 and val_ratio + test_ratio < 1):
        raise ValueError(
            f"val_ratio and test_ratio must be in [0, 1) with a sum below 1, got {val_ratio}, {test_ratio}"
        )
    if neg_ratio <= 0:
        raise ValueError(f"neg_ratio must be positive, got {neg_ratio}")
    num_nodes = check_edge_index(data.edge_index, data.num_nodes)
    edges = undirected_edges(data.edge_index, num_nodes)
    num_edges = edges.size(1)
    num_val, num_test = int(val_ratio * num_edges), int(test_ratio * num_edges)
    if num_edges - num_val - num_test < 1:
        raise ValueError(f"graph has {num_edges} undirected edges: too few to split")
    gen = torch.Generator().manual_seed(seed)
    edges = edges[:, torch.randperm(num_edges, generator=gen)]
    valid_pos = edges[:, :num_val]
    test_pos = edges[:, num_val : num_val + num_test]
    train_pos = edges[:, num_val + num_test :]

    num_val_neg, num_test_neg = round(neg_ratio * num_val), round(neg_ratio * num_test)
    want = num_val_neg + num_test_neg
    # a few spare draws: (u, v) and (v, u) collapse into one undirected negative
    neg = sample_negatives(num_nodes, int(want * 1.05) + 8, exclude=edges, generator=gen)
    keys = torch.unique(torch.minimum(neg[0], neg[1]) * num_nodes + torch.maximum(neg[0], neg[1]))
    if keys.numel() < want:
        raise ValueError(f"graph is too dense to draw {want} distinct negative pairs")
    keys = keys[torch.randperm(keys.numel(), generator=gen)[:want]]  # unique() sorted them
    neg = torch.stack([keys // num_nodes, keys % num_nodes])
    x = data.x if "x" in data else None
    return LinkSplit(
        num_nodes=num_nodes,
        x=x,
        edge_index=torch.cat([train_pos, train_pos.flip(0)], dim=1),
        train_pos=train_pos,
        valid_pos=valid_pos,
        valid_neg=neg[:, num_test_neg:],
        test_pos=test_pos,
        test_neg=neg[:, :num_test_neg],
        name=name,
    )
