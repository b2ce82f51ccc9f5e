"""What node-classification procedures share: input checks, the seeded per-class split, scores.

Model interface: ``model(x, edge_index) -> logits [N, C]``. Single-label
targets ``y [N]`` use cross-entropy and report accuracy; multi-label targets
``y [N, L]`` (0/1) use binary cross-entropy and report micro- and macro-F1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.data import Data

from graphkit import distributed, metrics
from graphkit._validation import check_data, check_edge_index, check_features, check_labels
from graphkit.datasets.node_splits import per_class_split

__all__ = ["check_node_data", "check_node_inputs", "full_batch_loss", "neighbor_sampled_training", "node_loss",
           "node_scores", "sharded_cross_entropy", "with_per_class_split"]

SAMPLERS = ("torch", "torch_sparse")

_MASKS = ("train_mask", "val_mask", "test_mask")


def check_node_inputs(data, *, num_features: int | None = None, num_classes: int | None = None,
                      owner: str | None = None, needs_graph: bool = True, needs_masks: bool | tuple[str, ...] = True,
                      split_hint: str | None = None, multilabel: bool | None = None) -> None:
    """Everything a node-classification procedure needs, checked before anything trains.

    One call at the top of every node procedure (baselines, DAGNN, DGMLP, the
    distillation methods), so that a bad input fails in a second with a message
    that names the argument and the fix, not after a teacher has trained:

    - ``data`` is a PyG ``Data`` whose tensors agree on the number of nodes
      (:func:`graphkit._validation.check_data`: ``x``, ``y``, masks, ``edge_index``);
    - ``data.x`` is present, finite and ``num_features`` wide (the model's input);
    - ``data.edge_index`` is present when ``needs_graph``;
    - ``data.y`` holds one integer class id per node, every id below
      ``num_classes`` (the model's outputs); multi-label ``y [N, L]`` (0/1) has
      ``L = num_classes`` columns;
    - with ``needs_masks`` (``True`` or the names of the masks needed) each mask is
      present and selects at least one node, and every node it selects is labelled
      (``y >= 0``): a negative label inside a mask is an error. Nodes outside the
      masks may carry ``-1`` (unlabelled).
    - without masks (the procedure draws its own split) the split is drawn among
      labelled nodes, so ``-1`` means *unlabelled* (a procedure that draws says so in
      its docstring); a label below ``-1`` is an error, and at least one node must be
      labelled.

    Args:
        num_features, num_classes, owner: the model's input width, its number of
            outputs and its class name (for the messages).
        split_hint: how to draw a split instead of the data's masks — the config
            keys that switch it (e.g. ``"set train_per_class and val_per_class"``);
            shown when a mask is missing or empty.
        multilabel: whether ``y`` must be ``[N, L]`` (``True``), ``[N]`` (``False``) or
            either (``None``).
    """
    from torch_geometric.data import Data

    if not isinstance(data, Data):
        raise TypeError(f"data must be a torch_geometric.data.Data with x, y and masks, got {type(data).__name__}; "
                        f"graphkit.datasets.load(name) gives one, graphkit.datasets.from_networkx(graph) converts "
                        f"a networkx graph")
    check_data(data)
    if getattr(data, "x", None) is None:
        raise ValueError("node classification needs node features data.x")
    n = data.num_nodes
    check_features(data.x, n, name="data.x", num_features=num_features, owner=owner, allow_sparse=True)
    if needs_graph:
        if getattr(data, "edge_index", None) is None:
            raise ValueError(f"{owner or 'this model'} needs a graph: data.edge_index is missing")
        check_edge_index(data.edge_index, n, name="data.edge_index")
    y = getattr(data, "y", None)
    if y is None:
        raise ValueError("node classification needs labels data.y (one class id per node)")
    if multilabel is False and y.dim() != 1:
        raise ValueError(f"{owner or 'this procedure'} is for single-label node classification: data.y must have "
                         f"shape [N], got {list(y.shape)}")
    if multilabel is True and y.dim() != 2:
        raise ValueError(f"data.y must have shape [N, L] (0/1 multi-label targets), got {list(y.shape)}")
    if y.dim() == 2:
        if y.size(0) != n:
            raise ValueError(f"data.y has {y.size(0)} rows but the graph has {n} nodes")
        if num_classes is not None and y.size(1) != num_classes:
            raise ValueError(f"data.y has {y.size(1)} label columns but {owner or 'the model'} predicts "
                             f"{num_classes}; build the model for these labels (from_config(config, data))")
        if y.numel() and not bool(((y == 0) | (y == 1)).all()):
            raise ValueError("multi-label data.y [N, L] must hold 0/1 entries")
    fix = f"; {split_hint} to draw a split instead" if split_hint else ""
    wanted = _MASKS if needs_masks is True else tuple(needs_masks or ())
    for mask in wanted:
        m = getattr(data, mask, None)
        if m is None:
            raise ValueError(f"data.{mask} is missing: this procedure uses the data's own split{fix}")
        if not bool(m.any()):
            raise ValueError(f"data.{mask} selects no node{fix}")
        if y.dim() == 1:
            check_labels(y, n, name="data.y", num_classes=num_classes, owner=owner, mask=m,
                         mask_name=f"data.{mask}")
    if not wanted and y.dim() == 1:
        check_labels(y, n, name="data.y", num_classes=num_classes, owner=owner, unlabelled=True)


def check_node_data(data: Data, *, needs_graph: bool = True) -> None:
    """Validate what node classification needs: x, y, the three masks and (``needs_graph``) edge_index.

    :func:`check_node_inputs` without the model's sizes (kept for callers that have no model).
    """
    check_node_inputs(data, needs_graph=needs_graph)


def with_per_class_split(data: Data, train_per_class: int | None, val_per_class: int | None, *, seed: int,
                         keys: tuple[str, str] = ("train_per_class", "val_per_class")) -> Data:
    """``data`` with a seeded ``train_per_class`` / ``val_per_class`` / rest split (a shallow copy), or as is.

    Nodes labelled ``-1`` are unlabelled and never drawn. A class with too
    few labelled nodes raises a ``ValueError`` that names the config ``keys`` to change.
    """
    if train_per_class is None:
        return data
    if val_per_class is None:
        raise ValueError(f"{keys[0]} needs {keys[1]} (validation nodes per class) as well")
    try:
        train, val, test = per_class_split(data.y, train_per_class, val_per_class=val_per_class, seed=seed)
    except ValueError as exc:
        raise ValueError(f"cannot draw the per-class split ({keys[0]}={train_per_class}, "
                         f"{keys[1]}={val_per_class}): {exc}. Lower {keys[0]} / {keys[1]} in the config, or set "
                         f"them to null to use the data's own masks") from None
    out = Data(**{k: v for k, v in data.items()})
    out.train_mask, out.val_mask, out.test_mask = train, val, test
    return out


def node_loss(logits: Tensor, target: Tensor) -> Tensor:
    """Cross-entropy for ``[B]`` class targets, binary cross-entropy for ``[B, L]`` 0/1 targets."""
    if target.dim() == 2:
        return F.binary_cross_entropy_with_logits(logits, target.float())
    return F.cross_entropy(logits, target)


def sharded_cross_entropy(logits: Tensor, y: Tensor, nodes: Tensor, share: float) -> Tensor:
    """Cross-entropy over ``nodes`` times ``share``: a rank's part of a full-batch node loss.

    ``nodes, share`` come from :func:`graphkit.distributed.shard_nodes` (with one process the mask
    itself and 1.0: the unsharded loss, the same numbers). A rank whose part is empty (fewer nodes
    than ranks) contributes a zero that stays connected to the graph.
    """
    if share == 1.0:
        return F.cross_entropy(logits[nodes], y[nodes])
    if nodes.numel() == 0:
        return logits.sum() * 0.0
    return F.cross_entropy(logits[nodes], y[nodes]) * share


def node_scores(logits: Tensor, y: Tensor) -> dict[str, float]:
    """``accuracy`` (single-label) or ``micro_f1`` and ``macro_f1`` (multi-label)."""
    if y.dim() == 2:
        pred = (logits > 0).long()
        return {"micro_f1": metrics.f1_score(pred, y.long(), average="micro"),
                "macro_f1": metrics.f1_score(pred, y.long(), average="macro")}
    return {"accuracy": metrics.accuracy(logits, y)}


def full_batch_loss(model: nn.Module, x: Tensor, edge_index: Tensor | None, y: Tensor,
                    train: Tensor) -> Callable[[object, int], Tensor]:
    """``loss(batch, epoch)`` of full-batch training on the ``train`` mask, for :func:`~graphkit.train.loop.run_epochs`.

    With one process: :func:`node_loss` of ``model(x, edge_index)`` on the
    training nodes. Under a process group of ``p`` ranks every rank runs the same
    full-graph forward (same dropout draws), keeps its shard of the training
    nodes (:func:`graphkit.distributed.shard`) and scales its mean loss by
    :func:`graphkit.distributed.share`, so the averaged gradient is the
    full-batch one up to the float summation order.
    """
    if not distributed.is_distributed():
        return lambda batch, epoch: node_loss(model(x, edge_index)[train], y[train])
    nodes = train.nonzero().view(-1) if train.dtype == torch.bool else train
    local = distributed.shard(nodes)
    scale = distributed.share(local.numel(), nodes.numel())

    def loss(batch, epoch):
        out = model(x, edge_index)
        if local.numel() == 0:  # fewer training nodes than ranks: this rank contributes nothing
            return out.sum() * 0.0
        return node_loss(out[local], y[local]) * scale

    return loss


def neighbor_sampled_training(model: nn.Module, x: Tensor, edge_index: Tensor, y: Tensor, train: Tensor, *,
                              batch_size: int, fan_out: Sequence[int], sampler: str = "torch",
                              generator: torch.Generator | None = None
                              ) -> tuple[Callable[[int], Iterator[Tensor]], Callable[[Tensor, int], Tensor]]:
    """``(batches, loss)`` of GraphSAGE-style mini-batch training for :func:`~graphkit.train.loop.run_epochs`.

    Per epoch the training nodes are shuffled (``generator``) and cut into batches
    of ``batch_size`` seed nodes; per batch, a ``len(fan_out)``-hop subgraph is sampled
    around the seeds (up to ``fan_out[l]`` in-neighbours per node at hop ``l``, without
    replacement) and the loss is :func:`node_loss` of ``model(x[sub], sub_edges)`` on the
    seeds. ``sampler``: ``'torch'`` (:func:`graphkit.ops.neighbor_sampling.sample_subgraph`,
    vectorised pure torch, on ``x``'s device, uniform without replacement) or
    ``'torch_sparse'`` (``torch.ops.torch_sparse.neighbor_sample``, what PyG's
    ``NeighborLoader`` calls without pyg-lib; CPU only). The pure-torch sampler is the
    default: torch-sparse 0.6's draw is not uniform (of 10 neighbours, 3 drawn, the last
    three are drawn with probability 0.22 instead of 0.30, ``benchmarks/results/scale.md``)
    and it was 2.9x slower on a 100k-node graph here. The pure-torch sampler draws from
    its own generator (seeded from ``generator``), torch-sparse from torch's global one
    (seeded by the procedure).

    A model with a ``subgraph_forward(x_sub, sub_edges, in_degree)`` (:meth:`graphkit.models.baselines.GCN.
    subgraph_forward`) is trained through it, given the full graph's in-degrees of the subgraph's nodes: GCN's
    normalisation then matches the full-graph evaluation's instead of counting a frontier node as degree 1.

    Under a process group each rank keeps its shard of every batch's seeds and scales
    its loss (:func:`graphkit.distributed.share`), as :func:`full_batch_loss`.
    """
    from graphkit import _compat
    from graphkit.ops.csr import as_csr
    from graphkit.ops.neighbor_sampling import sample_subgraph
    from graphkit.ops.rows import select_rows
    from graphkit.train.batching import iter_batches

    if sampler not in SAMPLERS:
        raise ValueError(f"sampler must be one of {SAMPLERS}, got {sampler!r}")
    if sampler == "torch_sparse" and not _compat.WITH_TORCH_SPARSE:
        raise ImportError("sampler='torch_sparse' needs torch-sparse (the graphkit-pyg[ext] extra); use "
                          "sampler='torch' (pure torch)")
    use_ext = sampler == "torch_sparse"
    n = x.size(0)
    fan_out = [int(k) for k in fan_out]
    device = x.device
    adj = as_csr(edge_index.flip(0).cpu() if use_ext else edge_index.flip(0), n)  # row v: the nodes sending to v
    nodes = train.nonzero().view(-1) if train.dtype == torch.bool else train
    sample_gen = None
    if not use_ext and generator is not None:  # its own stream, on the sampling device
        sample_gen = torch.Generator(device=device).manual_seed(int(generator.initial_seed()) + 1)

    def batches(epoch: int) -> Iterator[Tensor]:
        for index in iter_batches(nodes.numel(), batch_size, shuffle=True, generator=generator):
            yield nodes[index.to(nodes.device)]

    def subgraph(seeds: Tensor) -> tuple[Tensor, Tensor]:
        if use_ext:
            node, row, col, _ = torch.ops.torch_sparse.neighbor_sample(
                adj.rowptr, adj.col, seeds.cpu(), fan_out, False, True)
            return node.to(device), torch.stack([row, col]).to(device)
        sub = sample_subgraph(adj, seeds, fan_out, generator=sample_gen)
        return sub.node, sub.edge_index

    subgraph_forward = getattr(model, "subgraph_forward", None)  # GCN: the full graph's normalisation
    if subgraph_forward is not None:
        in_degree = torch.bincount(edge_index[1][edge_index[0] != edge_index[1]], minlength=n)

    def loss(batch: Tensor, epoch: int) -> Tensor:
        local = distributed.shard(batch)
        if local.numel() == 0:  # a batch smaller than the number of ranks
            return sum(p.sum() for p in model.parameters()) * 0.0
        node, sub_edges = subgraph(local)
        x_sub = select_rows(x, node)  # x dense or torch.sparse_csr
        if subgraph_forward is None:
            out = model(x_sub, sub_edges)[: local.numel()]
        else:
            out = subgraph_forward(x_sub, sub_edges, in_degree[node])[: local.numel()]
        value = node_loss(out, y[local])
        return value if not distributed.is_distributed() else value * distributed.share(local.numel(), batch.numel())

    return batches, loss
