r"""A seeded synthetic heterogeneous graph in the HeCo/MEOW layout (``hetero-csbm``).

An ACM-shaped contextual stochastic block model: ``num_nodes`` target nodes of type ``paper`` in
``num_classes`` balanced classes, ``author`` and ``subject`` context nodes that each belong to a
class, and the relations paper–author (each paper has :math:`1 + \mathrm{Poisson}(\bar a - 1)`
authors) and paper–subject (one subject per paper). Each link goes to a context node of the
paper's own class with probability ``homophily``, else to a uniformly random one. Paper and
author features are non-negative bag-of-words counts whose word distribution leans towards a
class-specific block of words (``feature_signal``); subjects have no feature file and get HeCo's
sparse identity features.

The returned ``HeteroData`` has exactly the layout of :func:`graphkit.datasets.heterogeneous.load_hetero`
(``layout='meow'``): every relation in both directions, the meta-paths ``pap`` and ``psp`` with
path counts as ``edge_weight`` (diagonal included), neighbour lists ``nei_author_index`` /
``nei_subject_index``, ``y`` and ``train/val/test_mask_{20,40,60}`` (20/40/60 labelled nodes per
class; ``num_val`` / ``num_test`` nodes shared by the three splits), ``name``, ``layout``,
``target_node_type``, ``metapaths`` and ``recomputed``. It is the small heterogeneous graph that
tests, docstring examples and the runner's smoke runs use.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.sparse as sp
import torch
from torch_geometric.data import HeteroData

from graphkit._validation import check_int, check_real
from graphkit.datasets.heterogeneous import SPLITS, identity_features
from graphkit.datasets.registry import register

__all__ = ["hetero_csbm"]


def _links(rng, owners: np.ndarray, counts: np.ndarray, ctx_class: np.ndarray, homophily: float) -> np.ndarray:
    """``[2, E]`` (owner, context) pairs: each owner ``counts[i]`` links, own class with prob. ``homophily``."""
    by_class = [np.flatnonzero(ctx_class == c) for c in range(int(ctx_class.max()) + 1)]
    src = np.repeat(np.arange(owners.size), counts)
    same = rng.random(src.size) < homophily
    dst = rng.integers(0, ctx_class.size, src.size)
    for c, members in enumerate(by_class):
        pick = same & (owners[src] == c)
        dst[pick] = members[rng.integers(0, members.size, int(pick.sum()))]
    pairs = np.unique(np.vstack([src, dst]).T, axis=0).T
    return pairs


def _features(rng, classes: np.ndarray, num_classes: int, num_features: int, signal: float, words: int) -> np.ndarray:
    block = max(num_features // num_classes, 1)
    probs = np.ones((num_classes, num_features))
    for c in range(num_classes):
        probs[c, c * block:(c + 1) * block] += signal * num_classes
    probs /= probs.sum(1, keepdims=True)
    return np.stack([rng.multinomial(words, probs[c]) for c in classes]).astype(np.float32)


def hetero_csbm(num_nodes: int = 600, num_classes: int = 3, *, num_features: int = 64,
                num_authors: int | None = None, num_subjects: int | None = None, avg_authors: float = 3.0,
                homophily: float = 0.8, feature_signal: float = 0.5, words: int = 20,
                num_val: int | None = None, num_test: int | None = None, seed: int = 0) -> HeteroData:
    """Generate the graph of the module doc.

    Args:
        num_nodes: target (``paper``) nodes; each class needs at least 60 of them (the 60-per-class split)
            plus its share of validation and test nodes. (default: ``600``)
        num_classes: classes of the targets. (default: ``3``)
        num_features: words of the paper / author bag-of-words features. (default: ``64``)
        num_authors, num_subjects: context nodes (default: ``num_nodes`` and ``4 * num_classes``).
        avg_authors: mean authors per paper (at least 1). (default: ``3``)
        homophily: probability that a link goes to a context node of the paper's class. (default: ``0.8``)
        feature_signal: extra weight of a class's own block of words. (default: ``0.5``)
        words: words drawn per feature row. (default: ``20``)
        num_val, num_test: validation / test nodes, shared by the three splits (default: half each of
            the nodes outside the 60-per-class training set, at most 1000).
        seed: seed of every draw. (default: ``0``)

    Example:
        >>> data = hetero_csbm(300, seed=0)
        >>> data["paper"].num_nodes, data.metapaths, int(data["paper"].train_mask_20.sum())
        (300, [('paper', 'pap', 'paper'), ('paper', 'psp', 'paper')], 60)
    """
    n = check_int("num_nodes", num_nodes, minimum=1)
    c = check_int("num_classes", num_classes, minimum=2)
    f = check_int("num_features", num_features, minimum=1)
    na = check_int("num_authors", n if num_authors is None else num_authors, minimum=c)
    ns = check_int("num_subjects", 4 * c if num_subjects is None else num_subjects, minimum=c)
    avg_authors = check_real("avg_authors", avg_authors, low=1.0)
    homophily = check_real("homophily", homophily, low=0.0, high=1.0)
    feature_signal = check_real("feature_signal", feature_signal, low=0.0)
    words = check_int("words", words, minimum=1)
    seed = check_int("seed", seed, minimum=0)
    train_max = max(SPLITS) * c
    if n // c < max(SPLITS) + 1:
        raise ValueError(f"hetero-csbm: num_nodes={n} gives {n // c} nodes per class; the 60-per-class split "
                         f"needs more than 60, so use num_nodes >= {(max(SPLITS) + 1) * c} (or fewer classes)")
    pool = n - train_max
    num_val = check_int("num_val", min(pool // 2, 1000) if num_val is None else num_val, minimum=1)
    num_test = check_int("num_test", min(pool - num_val, 1000) if num_test is None else num_test, minimum=1)
    if num_val + num_test > pool:
        raise ValueError(f"hetero-csbm: num_val + num_test = {num_val + num_test} exceeds the {pool} nodes outside "
                         f"the 60-per-class training set")
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.arange(n) % c)
    author_class = rng.permutation(np.arange(na) % c)
    subject_class = rng.permutation(np.arange(ns) % c)
    pa = _links(rng, y, 1 + rng.poisson(avg_authors - 1, n), author_class, homophily)
    ps = _links(rng, y, np.ones(n, dtype=np.int64), subject_class, homophily)

    data = HeteroData()
    data["paper"].num_nodes, data["author"].num_nodes, data["subject"].num_nodes = n, na, ns
    data["paper"].x = torch.from_numpy(_features(rng, y, c, f, feature_signal, words))
    data["author"].x = torch.from_numpy(_features(rng, author_class, c, f, feature_signal, words))
    data["subject"].x = identity_features(ns)
    data["paper"].y = torch.from_numpy(y.astype(np.int64))

    # splits: one permutation per class; train_r = the first r of each class, val/test from the rest
    order = [rng.permutation(np.flatnonzero(y == k)) for k in range(c)]
    rest = rng.permutation(np.concatenate([o[max(SPLITS):] for o in order]))
    val_ids, test_ids = rest[:num_val], rest[num_val:num_val + num_test]
    store = data["paper"]
    for r in SPLITS:
        train_ids = np.concatenate([o[:r] for o in order])
        for part, ids in (("train", train_ids), ("val", val_ids), ("test", test_ids)):
            mask = torch.zeros(n, dtype=torch.bool)
            mask[torch.from_numpy(ids)] = True
            store[f"{part}_mask_{r}"] = mask
    for part in ("train", "val", "test"):
        store[f"{part}_mask"] = store[f"{part}_mask_20"]

    metapaths = []
    for rel, ctx, count in ((pa, "author", na), (ps, "subject", ns)):
        edges = torch.from_numpy(rel.astype(np.int64))
        data["paper", "to", ctx].edge_index = edges
        data[ctx, "to", "paper"].edge_index = edges.flip(0)
        store[f"nei_{ctx}_index"] = edges
        store[f"nei_{ctx}_weight"] = torch.ones(edges.size(1))
        inc = sp.csr_matrix((np.ones(rel.shape[1]), (rel[0], rel[1])), shape=(n, count))
        m = (inc @ inc.T).tocsr()
        m.sort_indices()
        rows = np.repeat(np.arange(n), np.diff(m.indptr))
        name = f"p{ctx[0]}p"
        data["paper", name, "paper"].edge_index = torch.from_numpy(np.vstack([rows, m.indices]).astype(np.int64))
        data["paper", name, "paper"].edge_weight = torch.from_numpy(m.data.astype(np.float32))
        metapaths.append(("paper", name, "paper"))
    data.name, data.layout, data.target_node_type = "hetero-csbm", "meow", "paper"
    data.metapaths, data.recomputed = metapaths, []
    return data


@register("hetero-csbm", task="hetero", synthetic=True,
          description="synthetic ACM-shaped heterogeneous graph (papers/authors/subjects, pap + psp), HeCo/MEOW layout")
def _load_hetero_csbm(root: Path, **options) -> HeteroData:
    return hetero_csbm(**options)
