r"""Structure attacks for graphs that come without a pre-attacked version: random flips and DICE (seeded),
and a thin adapter to PyG's PRBCD.

Every function takes an **undirected** graph stored in both directions
(``edge_index [2, 2M]``, no self-loops) and returns one in the same form
(sorted by ``(row, col)``). The budget is a number of undirected edge flips,
either given (``num_perturbations``) or as a share of the graph's edges,
``int(ptb_rate · M)`` (DeepRobust's and STABLE's ``generate_attack.py`` rule).

- :func:`random_perturbation`: DeepRobust's ``Random`` attack: ``'add'`` random
  non-edges, ``'remove'`` random edges, or ``'flip'`` random node pairs (each
  pair uniform among all :math:`N(N-1)/2`).
- :func:`dice_perturbation`: DICE, "delete internally, connect externally"
  (Waniek et al., Nature Human Behaviour 2018; DeepRobust's ``DICE``): each flip
  is a removal of an edge inside a class or an insertion of an edge between
  classes, with probability ½ each.
- :func:`prbcd_perturbation`: projected randomised block coordinate descent
  (Geisler et al., NeurIPS 2021) through ``torch_geometric.contrib.nn.PRBCDAttack``
  against a trained model.

A budget larger than the number of possible flips raises ``ValueError``. Pairs
are drawn with a ``torch.Generator`` seeded from ``seed``: the same seed gives the
same graph. Sampling without replacement uses all pairs when there are at most
:math:`2^{22}` of them, else rejection sampling (the graphs are sparse); memory
:math:`O(M + \text{budget})`.
"""

from __future__ import annotations

import warnings

import torch
from torch import Tensor

from graphkit._validation import check_edge_index, check_int, check_real

__all__ = ["perturbation_budget", "random_perturbation", "dice_perturbation", "prbcd_perturbation"]

_ENUMERATE_PAIRS = 1 << 22
_MODES = ("add", "remove", "flip")


def _undirected_keys(edge_index: Tensor, num_nodes: int) -> Tensor:
    """Sorted unique keys ``lo * N + hi`` (lo < hi) of the undirected edges; rejects self-loops."""
    check_edge_index(edge_index, num_nodes)
    row, col = edge_index
    if bool((row == col).any()):
        raise ValueError("edge_index has self-loops; attacks perturb simple undirected graphs — remove them "
                         "first (torch_geometric.utils.remove_self_loops)")
    lo, hi = torch.minimum(row, col), torch.maximum(row, col)
    return torch.unique(lo * num_nodes + hi)


def _to_edge_index(keys: Tensor, num_nodes: int) -> Tensor:
    lo, hi = keys // num_nodes, keys % num_nodes
    n = max(num_nodes, 1)
    both = torch.unique(torch.cat([lo * n + hi, hi * n + lo]))
    return torch.stack([both // n, both % n])


def perturbation_budget(num_edges: int, ptb_rate: float) -> int:
    """``int(ptb_rate · num_edges)`` undirected flips; ``ptb_rate`` must lie in ``[0, 1]``.

    Example:
        >>> perturbation_budget(5069, 0.05)
        253
    """
    num_edges = check_int("num_edges", num_edges, minimum=0)
    ptb_rate = check_real("ptb_rate", ptb_rate)
    if not 0 <= ptb_rate <= 1:
        raise ValueError(f"ptb_rate must be in [0, 1] (a share of the graph's edges), got {ptb_rate}")
    return int(ptb_rate * num_edges)


def _budget(num_edges: int, ptb_rate, num_perturbations) -> int:
    if (ptb_rate is None) == (num_perturbations is None):
        raise ValueError("give exactly one of ptb_rate (a share of the edges) or num_perturbations (a count)")
    if num_perturbations is not None:
        return check_int("num_perturbations", num_perturbations, minimum=0)
    return perturbation_budget(num_edges, ptb_rate)


def _sample_pairs(num_nodes: int, count: int, accept, gen: torch.Generator, device) -> Tensor:
    """``count`` distinct pair keys ``lo * N + hi`` (lo < hi), uniform among the pairs ``accept(lo, hi)`` admits.

    ``accept`` maps ``[B]`` lo / hi tensors to a ``[B]`` bool mask. The caller
    guarantees that at least ``count`` pairs are admissible.
    """
    empty = torch.empty(0, dtype=torch.long, device=device)
    if count == 0:
        return empty
    n = num_nodes
    total = n * (n - 1) // 2
    if total <= _ENUMERATE_PAIRS:
        lo, hi = torch.triu_indices(n, n, 1, device=device)
        ok = accept(lo, hi)
        keys = (lo * n + hi)[ok]
        pick = torch.randperm(keys.numel(), generator=gen, device="cpu")[:count].to(device)
        return keys[pick]
    seen = empty
    while seen.numel() < count:
        batch = max(2 * (count - seen.numel()), 1024)
        u = torch.randint(n, (batch,), generator=gen, device="cpu").to(device)
        v = torch.randint(n, (batch,), generator=gen, device="cpu").to(device)
        lo, hi = torch.minimum(u, v), torch.maximum(u, v)
        ok = (lo != hi) & accept(lo, hi)
        keys = (lo * n + hi)[ok]
        # first occurrences, in drawing order, not drawn before
        uniq, inverse = torch.unique(keys, return_inverse=True)
        first = torch.full((uniq.numel(),), keys.numel(), dtype=torch.long, device=device)
        first.scatter_reduce_(0, inverse, torch.arange(keys.numel(), device=device), "amin")
        fresh = uniq[first.argsort()]
        fresh = fresh[~torch.isin(fresh, seen)]
        seen = torch.cat([seen, fresh])
    return seen[:count]


def _in_sorted(keys: Tensor, sorted_keys: Tensor) -> Tensor:
    if sorted_keys.numel() == 0:
        return torch.zeros_like(keys, dtype=torch.bool)
    pos = torch.searchsorted(sorted_keys, keys).clamp(max=sorted_keys.numel() - 1)
    return sorted_keys[pos] == keys


def random_perturbation(edge_index: Tensor, num_nodes: int, ptb_rate: float | None = None, *,
                        num_perturbations: int | None = None, mode: str = "flip", seed: int = 0) -> Tensor:
    r"""Random structure attack (DeepRobust's ``Random``): add, remove or flip random node pairs.

    Args:
        edge_index: ``[2, 2M]`` undirected graph, both directions stored, no self-loops.
        num_nodes: number of nodes ``N``.
        ptb_rate: the budget as a share of the ``M`` undirected edges, in ``[0, 1]``.
        num_perturbations: the budget as a count (instead of ``ptb_rate``).
        mode: ``'add'`` (random non-edges), ``'remove'`` (random edges) or ``'flip'``
            (random pairs, edge or not, each toggled). (default: ``'flip'``)
        seed: seeds the generator that draws the pairs. (default: ``0``)

    Returns:
        ``[2, 2M']`` the attacked graph, both directions, sorted.

    Raises:
        ValueError: ``ptb_rate`` outside ``[0, 1]``, or a budget larger than the
            pairs the mode can flip (``M`` to remove, :math:`N(N-1)/2 - M` to add,
            :math:`N(N-1)/2` to flip).

    Example:
        >>> ring = torch.tensor([[0, 1, 1, 2, 2, 3, 3, 0], [1, 0, 2, 1, 3, 2, 0, 3]])
        >>> random_perturbation(ring, 4, num_perturbations=1, mode="remove", seed=0).size(1)
        6
    """
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {list(_MODES)}, got {mode!r}")
    num_nodes = check_int("num_nodes", num_nodes, minimum=0)
    seed = check_int("seed", seed, minimum=0)
    keys = _undirected_keys(edge_index, num_nodes)
    m = keys.numel()
    budget = _budget(m, ptb_rate, num_perturbations)
    pairs = num_nodes * (num_nodes - 1) // 2
    limit = {"add": pairs - m, "remove": m, "flip": pairs}[mode]
    if budget > limit:
        what = {"add": "non-edges", "remove": "edges", "flip": "node pairs"}[mode]
        raise ValueError(f"budget of {budget} flips exceeds the {limit} {what} this graph has for mode={mode!r}; "
                         f"lower ptb_rate / num_perturbations")
    gen = torch.Generator().manual_seed(seed)
    device = edge_index.device
    if mode == "remove":
        drop = keys[torch.randperm(m, generator=gen)[:budget].to(device)]
        return _to_edge_index(keys[~torch.isin(keys, drop)], num_nodes)
    if mode == "add":
        new = _sample_pairs(num_nodes, budget, lambda lo, hi: ~_in_sorted(lo * num_nodes + hi, keys), gen, device)
        return _to_edge_index(torch.cat([keys, new]), num_nodes)
    flips = _sample_pairs(num_nodes, budget, lambda lo, hi: torch.ones_like(lo, dtype=torch.bool), gen, device)
    present = torch.isin(flips, keys)
    kept = keys[~torch.isin(keys, flips[present])]
    return _to_edge_index(torch.cat([kept, flips[~present]]), num_nodes)


def dice_perturbation(edge_index: Tensor, y: Tensor, ptb_rate: float | None = None, *,
                      num_perturbations: int | None = None, seed: int = 0) -> Tensor:
    r"""DICE: remove edges inside classes, insert edges between classes (DeepRobust's ``DICE``).

    Each of the ``budget`` flips is a removal with probability ½ (the number of
    removals is drawn as DeepRobust's ``np.random.choice(2, n).sum()``), else an
    insertion. Removals are uniform among the edges whose ends share a label;
    insertions uniform among the non-adjacent pairs with different labels. When
    the draw asks for more removals than there are intra-class edges, the rest
    become insertions (DeepRobust silently flips fewer).

    Args:
        edge_index: ``[2, 2M]`` undirected graph, both directions stored, no self-loops.
        y: ``[N]`` integer labels (``N`` = number of nodes).
        ptb_rate: the budget as a share of the ``M`` edges, in ``[0, 1]``.
        num_perturbations: the budget as a count (instead of ``ptb_rate``).
        seed: seeds the generator. (default: ``0``)

    Returns:
        ``[2, 2M']`` the attacked graph, both directions, sorted.

    Raises:
        ValueError: ``ptb_rate`` outside ``[0, 1]``, labels of the wrong shape, or a
            budget larger than intra-class edges plus inter-class non-edges.

    Example:
        >>> ring = torch.tensor([[0, 1, 1, 2, 2, 3, 3, 0], [1, 0, 2, 1, 3, 2, 0, 3]])
        >>> dice_perturbation(ring, torch.tensor([0, 0, 1, 1]), num_perturbations=2, seed=0).size(1)
        8
    """
    if not isinstance(y, Tensor) or y.dim() != 1 or y.is_floating_point():
        raise ValueError("y must be a [N] tensor of integer labels")
    num_nodes = y.numel()
    seed = check_int("seed", seed, minimum=0)
    keys = _undirected_keys(edge_index, num_nodes)
    m = keys.numel()
    budget = _budget(m, ptb_rate, num_perturbations)
    y = y.to(edge_index.device)
    lo, hi = keys // max(num_nodes, 1), keys % max(num_nodes, 1)
    intra = keys[y[lo] == y[hi]]
    counts = torch.bincount(y.long() - int(y.min()) if num_nodes else y.long())
    inter_pairs = (num_nodes * num_nodes - int((counts * counts).sum())) // 2
    inter_free = inter_pairs - (m - intra.numel())
    if budget > intra.numel() + inter_free:
        raise ValueError(f"budget of {budget} flips exceeds the {intra.numel()} intra-class edges plus "
                         f"{inter_free} inter-class non-edges DICE can flip; lower ptb_rate / num_perturbations")
    gen = torch.Generator().manual_seed(seed)
    n_remove = int(torch.randint(2, (budget,), generator=gen).sum()) if budget else 0
    n_remove = min(n_remove, intra.numel())
    n_insert = budget - n_remove
    if n_insert > inter_free:
        n_insert, n_remove = inter_free, budget - inter_free
    drop = intra[torch.randperm(intra.numel(), generator=gen)[:n_remove].to(edge_index.device)]
    new = _sample_pairs(num_nodes, n_insert,
                        lambda a, b: (y[a] != y[b]) & ~_in_sorted(a * num_nodes + b, keys), gen, edge_index.device)
    kept = keys[~torch.isin(keys, drop)]
    return _to_edge_index(torch.cat([kept, new]), num_nodes)


class _EdgeWeightModel(torch.nn.Module):
    """``model(x, edge_index, edge_weight)`` for PRBCD: a graphkit GCN/SAGE's PyG network, or the model itself."""

    def __init__(self, model: torch.nn.Module):
        super().__init__()
        from torch_geometric.nn.models.basic_gnn import BasicGNN

        net = getattr(model, "net", None)
        self.inner = net if isinstance(net, BasicGNN) else model

    def forward(self, x, edge_index, edge_weight=None):
        return self.inner(x, edge_index, edge_weight=edge_weight)


def prbcd_perturbation(model: torch.nn.Module, x: Tensor, edge_index: Tensor, y: Tensor,
                       ptb_rate: float | None = None, *, num_perturbations: int | None = None,
                       idx_attack: Tensor | None = None, seed: int = 0, epochs: int = 125,
                       epochs_resampling: int = 100, block_size: int = 250_000, **kwargs) -> Tensor:
    r"""PRBCD (Geisler et al., NeurIPS 2021, https://arxiv.org/abs/2110.14038) via PyG's ``PRBCDAttack``.

    A thin adapter: the budget rule of this module, a seeded run (PyG draws
    from torch's global generator; the state is restored afterwards), and the
    result in this module's form. ``model`` is a trained node classifier called as
    ``model(x, edge_index, edge_weight=...)``; graphkit's :class:`~graphkit.GCN` and
    :class:`~graphkit.SAGE` are accepted as they are (their PyG network takes the
    weights). ``kwargs`` go to ``PRBCDAttack`` (``loss``, ``lr``, ...).

    Args:
        model: the attacked (surrogate) model, in eval mode during the attack.
        x, edge_index, y: features, the undirected graph (both directions), labels.
        ptb_rate / num_perturbations: the budget (one of them).
        idx_attack: nodes whose loss the attack maximises (default: all).
        seed: seeds the attack. (default: ``0``)
        epochs, epochs_resampling, block_size: PyG's settings (defaults: PyG's
            ``125`` / ``100`` and a 250k-pair block, PyG's example).

    Returns:
        ``[2, 2M']`` the attacked graph, both directions, sorted.

    Example:
        >>> from graphkit import GCN
        >>> ring = torch.tensor([[0, 1, 1, 2, 2, 3, 3, 0], [1, 0, 2, 1, 3, 2, 0, 3]])
        >>> out = prbcd_perturbation(GCN(2, 4, 2), torch.randn(4, 2), ring, torch.tensor([0, 0, 1, 1]),
        ...                          num_perturbations=1, epochs=2, epochs_resampling=1, block_size=6)
        >>> out.size(1) in (6, 8, 10)
        True
    """
    num_nodes = x.size(0)
    seed = check_int("seed", seed, minimum=0)
    keys = _undirected_keys(edge_index, num_nodes)
    budget = _budget(keys.numel(), ptb_rate, num_perturbations)
    pairs = num_nodes * (num_nodes - 1) // 2
    if budget > pairs:
        raise ValueError(f"budget of {budget} flips exceeds the {pairs} node pairs of this graph")
    if budget == 0:
        return _to_edge_index(keys, num_nodes)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*contrib.*experimental.*")
        from torch_geometric.contrib.nn import PRBCDAttack
    wrapped = _EdgeWeightModel(model)
    was_training = model.training
    model.eval()
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            attack = PRBCDAttack(wrapped, block_size=min(block_size, pairs), epochs=epochs,
                                 epochs_resampling=min(epochs_resampling, epochs), log=False, **kwargs)
            perturbed, _ = attack.attack(x, edge_index, y, budget, idx_attack)
    finally:
        model.train(was_training)
    return _to_edge_index(_undirected_keys(perturbed, num_nodes), num_nodes)
