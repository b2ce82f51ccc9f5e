"""Graphs for adversarial-robustness benchmarks, in the DeepRobust / Pro-GNN setting.

Registered names (task ``'node'``): ``prognn-cora``, ``prognn-citeseer``,
``prognn-cora-ml``, ``prognn-polblogs`` and ``prognn-pubmed``.

**Clean graph.** The raw ``gnn-meta-attack/<name>.npz`` (Zügner & Günnemann;
keys ``adj_data/adj_indices/adj_indptr/adj_shape``, ``attr_*`` when the data set
has attributes, ``labels``) is processed exactly as
``deeprobust.graph.data.Dataset(setting='prognn')`` does: the adjacency is
symmetrised (``A + Aᵀ``), made binary, its diagonal dropped, and only the
largest connected component (LCC) is kept, **its nodes in ascending order of
their raw index**. This order is the one Pro-GNN's pre-attacked adjacencies and
split files are written in (the loader checks shapes and counts; the tests check
that ≥ 90 % of clean edges survive in the 5 % Metattack graph, and that the LCC
features and labels equal the copies the STABLE repository ships). PolBlogs has
no attributes: as in DeepRobust its features are the identity rows of the
*raw* graph restricted to the LCC (``1222 × 1490``).

**Splits.** ``Pro-GNN/splits/<name>_prognn_splits.json`` (``idx_train`` /
``idx_val`` / ``idx_test``, 10 % / 10 % / 80 % of the LCC, stratified) become
``train_mask`` / ``val_mask`` / ``test_mask``.

**Attacks.** ``attack='meta'`` with ``ptb_rate`` in ``{0.05, 0.1, 0.15, 0.2, 0.25}``
reads ``Pro-GNN/meta/<name>_meta_adj_<rate>.npz``; ``attack='nettack'`` with
``ptb_rate`` in ``{1, 2, 3, 4, 5}`` (perturbations per target node) reads
``Pro-GNN/nettack/<name>_nettack_adj_<rate>.0.npz`` and
``<name>_nettacked_nodes.json``. The attacked adjacency replaces ``edge_index``;
``x``, ``y`` and the node order stay those of the clean graph. For nettack the
attacked target nodes are ``data.target_nodes`` (and ``data.target_mask``), and
the masks come from the nettack json's own ``idx_train/idx_val/idx_test``. For
Cora, CiteSeer and PolBlogs these are identical to the Pro-GNN split, so the
clean, Metattack and Nettack graphs share one split, as in Pro-GNN. For PubMed
they differ: Pro-GNN's ``train.py`` evaluates on the target nodes while
training on the ``prognn`` split, and 14 of PubMed's 186 target nodes lie in that
training set (17 in its validation set). graphkit uses the json's split, in
which every target node is a test node. Cora-ML has no Nettack graphs.

**Counts.** Every count is checked against the published one (LCC nodes and
undirected edges, feature width, classes, split sizes, edges of each attacked
file; see ``SOURCES.md``). A mismatch raises ``ValueError``. PubMed's raw npz is
not distributed by gnn-meta-attack: DeepRobust reads PubMed from the Planetoid
``ind.pubmed.*`` files, in Planetoid (PyG) node order, and keeps the whole
graph, which is connected. To use ``prognn-pubmed``, write that graph as
``gnn-meta-attack/pubmed.npz`` in the layout above (19,717 nodes, 44,324
undirected edges without self-loops, 500 features, 3 classes). Those counts come
from the pre-attacked files: each Metattack graph has
``⌊(1 + rate) · 44,324⌋`` edges, and the 5 % Metattack and 1-per-node Nettack
graphs share 44,324 edges. Upstream ships a stray
``nettack/citeseer_nettack_adj_adj.npz.npz``; graphkit ignores it.

Returned ``Data``: ``x [N, F]`` float32, ``edge_index [2, 2E]`` int64 (both
directions, no self-loops, sorted by ``(row, col)``), ``y [N]`` int64,
``train_mask`` / ``val_mask`` / ``test_mask [N]`` bool, ``num_nodes``, ``name``,
``attack`` (``'clean'``, ``'meta'`` or ``'nettack'``), ``ptb_rate`` (``0.0`` when
clean, else the float rate), and for nettack ``target_nodes [T]`` int64 plus
``target_mask [N]``. Processed tensors are cached (see
:func:`graphkit.datasets._io.cached`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import torch
from torch_geometric.data import Data

from graphkit.datasets._io import cached, read_sparse_npz, require, safe_np_load
from graphkit.datasets.registry import register
from graphkit.ops.components import connected_components

__all__ = ["load_prognn", "largest_connected_component", "ATTACKS"]

META_RATES = (0.05, 0.1, 0.15, 0.2, 0.25)
NETTACK_RATES = (1, 2, 3, 4, 5)
ATTACKS = (None, "meta", "nettack")
_CACHE_VERSION = 1

_HOW = (
    "Get the clean graph from https://github.com/danielzuegner/gnn-meta-attack (data/<name>.npz) into "
    "<root>/gnn-meta-attack/, and the splits and pre-attacked graphs from "
    "https://github.com/ChandlerBang/Pro-GNN (splits/, meta/, nettack/) into <root>/Pro-GNN/."
)


@dataclass(frozen=True)
class _Published:
    """Published counts of one data set (``SOURCES.md``); every load is checked against them."""

    raw_nodes: int
    nodes: int  # LCC
    edges: int  # undirected, LCC
    features: int
    classes: int
    split: tuple[int, int, int]
    meta: dict[float, int] = field(default_factory=dict)  # ptb_rate -> undirected edges
    nettack: dict[int, int] = field(default_factory=dict)
    targets: int | None = None  # attacked_test_nodes in the nettack json


# File stem -> counts. PubMed's clean counts are derived from the attacked files (see the module doc).
PUBLISHED: dict[str, _Published] = {
    "cora": _Published(2708, 2485, 5069, 1433, 7, (247, 249, 1988),
                       dict(zip(META_RATES, (5322, 5567, 5809, 6040, 6246), strict=True)),
                       dict(zip(NETTACK_RATES, (5152, 5225, 5304, 5375, 5440), strict=True)), 83),
    "citeseer": _Published(3312, 2110, 3668, 3703, 6, (210, 211, 1688),
                           dict(zip(META_RATES, (3851, 4032, 4196, 4375, 4549), strict=True)),
                           dict(zip(NETTACK_RATES, (3731, 3794, 3857, 3916, 3963), strict=True)), 63),
    "cora_ml": _Published(2995, 2810, 7981, 2879, 7, (280, 282, 2248),
                          dict(zip(META_RATES, (8374, 8683, 8864, 9019, 9278), strict=True))),
    "polblogs": _Published(1490, 1222, 16714, 1490, 2, (121, 123, 978),
                           dict(zip(META_RATES, (17349, 17813, 18131, 17794, 17636), strict=True)),
                           dict(zip(NETTACK_RATES, (17192, 17652, 18110, 18554, 18978), strict=True)), 540),
    "pubmed": _Published(19717, 19717, 44324, 500, 3, (1971, 1972, 15774),
                         dict(zip(META_RATES, (46540, 48756, 50972, 53188, 55395), strict=True)),
                         dict(zip(NETTACK_RATES, (44510, 44696, 44880, 45062, 45232), strict=True)), 186),
}


# --------------------------------------------------------------------------- raw readers


def _read_meta_attack_npz(path: Path) -> tuple[sp.csr_matrix, sp.csr_matrix | None, np.ndarray]:
    """Adjacency, attributes (``None`` when absent) and labels of a gnn-meta-attack npz."""
    arrays = safe_np_load(path)
    if not isinstance(arrays, dict):
        raise ValueError(f"{path}: expected a gnn-meta-attack .npz archive, found a plain .npy array")
    missing = [k for k in ("adj_data", "adj_indices", "adj_indptr", "adj_shape", "labels") if k not in arrays]
    if missing:
        raise ValueError(f"{path}: gnn-meta-attack archive lacks {missing} (keys: {sorted(arrays)})")

    def csr(prefix: str) -> sp.csr_matrix:
        try:
            shape = tuple(int(s) for s in arrays[f"{prefix}_shape"])
            mat = sp.csr_matrix((arrays[f"{prefix}_data"], arrays[f"{prefix}_indices"],
                                 arrays[f"{prefix}_indptr"]), shape=shape)
            mat.check_format(full_check=True)
        except Exception as exc:
            raise ValueError(f"{path}: inconsistent '{prefix}_*' CSR arrays ({type(exc).__name__}: {exc}); "
                             f"the file may be truncated or corrupt") from exc
        return mat

    adj = csr("adj")
    attr = csr("attr") if "attr_data" in arrays else None
    labels = np.asarray(arrays["labels"])
    if labels.ndim != 1 or labels.shape[0] != adj.shape[0] or adj.shape[0] != adj.shape[1]:
        raise ValueError(f"{path}: adjacency {adj.shape} and labels {labels.shape} do not match")
    if attr is not None and attr.shape[0] != adj.shape[0]:
        raise ValueError(f"{path}: attributes {attr.shape} do not match adjacency {adj.shape}")
    if attr is not None and not np.isfinite(attr.data).all():
        raise ValueError(f"{path}: attributes hold NaN or inf")
    return adj, attr, labels.astype(np.int64)


def largest_connected_component(adj: sp.spmatrix) -> np.ndarray:
    """Node ids of the largest connected component of symmetric ``adj``, ascending.

    Same rule as DeepRobust's ``largest_connected_components``: the component
    ``np.argsort(sizes)[::-1][0]`` is kept (ties at the top, which none of the
    benchmark graphs has, are broken the same way), and its nodes keep their
    original relative order.
    """
    _, comp = connected_components(adj)
    comp = comp.numpy()
    sizes = np.bincount(comp)
    keep = np.argsort(sizes)[::-1][0]
    return np.flatnonzero(comp == keep)


def _clean_adjacency(adj: sp.csr_matrix) -> sp.csr_matrix:
    """Symmetrise, binarise, drop the diagonal."""
    sym = (adj + adj.T).tocsr()
    sym.data = (sym.data != 0).astype(np.float32)
    sym.setdiag(0)
    sym.eliminate_zeros()
    sym.sort_indices()
    return sym


def _undirected_edges(adj: sp.csr_matrix) -> int:
    return adj.nnz // 2


def _edge_index(adj: sp.csr_matrix) -> torch.Tensor:
    coo = adj.tocoo()  # CSR with sorted indices -> sorted by (row, col)
    return torch.from_numpy(np.vstack([coo.row, coo.col]).astype(np.int64))


def _read_json(path: Path, keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    try:
        raw = json.loads(path.read_text())
    except Exception as exc:
        raise ValueError(f"{path}: not readable JSON ({type(exc).__name__}: {exc}); "
                         f"the file may be truncated or corrupt") from exc
    if not isinstance(raw, dict) or any(k not in raw for k in keys):
        found = sorted(raw) if isinstance(raw, dict) else type(raw).__name__
        raise ValueError(f"{path}: expected keys {list(keys)}, found {found}")
    out = {}
    for k in keys:
        try:
            out[k] = np.asarray(raw[k], dtype=np.int64).ravel()
        except Exception as exc:
            raise ValueError(f"{path}: '{k}' is not a list of node ids") from exc
    return out


def _mask(idx: np.ndarray, n: int, path: Path, key: str) -> torch.Tensor:
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise ValueError(f"{path}: '{key}' holds node ids outside [0, {n}) — the split does not belong to "
                         f"this graph's largest connected component")
    if np.unique(idx).size != idx.size:
        raise ValueError(f"{path}: '{key}' holds duplicate node ids")
    mask = torch.zeros(n, dtype=torch.bool)
    mask[torch.from_numpy(idx)] = True
    return mask


# --------------------------------------------------------------------------- options


def _check_attack(display: str, stem: str, attack, ptb_rate) -> tuple[str | None, float | int | None]:
    counts = PUBLISHED[stem]
    valid_attacks = [None, "meta"] + (["nettack"] if counts.nettack else [])
    if attack is not None and not isinstance(attack, str):
        raise ValueError(f"{display}: attack must be one of {valid_attacks}, got {attack!r}")
    if attack not in valid_attacks:
        extra = " (Pro-GNN ships no Nettack graphs for cora-ml)" if attack == "nettack" else ""
        raise ValueError(f"{display}: unknown attack {attack!r}{extra}; valid values: {valid_attacks}")
    if attack is None:
        if ptb_rate not in (None, 0, 0.0) or isinstance(ptb_rate, bool):
            raise ValueError(f"{display}: ptb_rate={ptb_rate!r} needs attack='meta' or 'nettack'")
        return None, None
    valid = META_RATES if attack == "meta" else NETTACK_RATES
    if ptb_rate is None:
        raise ValueError(f"{display}: attack={attack!r} needs ptb_rate, one of {list(valid)}")
    if isinstance(ptb_rate, bool) or not isinstance(ptb_rate, (int, float)):
        raise ValueError(f"{display}: ptb_rate must be one of {list(valid)}, got {ptb_rate!r}")
    for value in valid:
        if math.isclose(float(ptb_rate), value, rel_tol=0, abs_tol=1e-9):
            return attack, value
    raise ValueError(f"{display}: ptb_rate={ptb_rate!r} is not available for attack={attack!r}; "
                     f"valid values: {list(valid)}")


def _attack_files(root: Path, stem: str, attack: str | None, rate) -> list[Path]:
    if attack == "meta":
        return [root / "Pro-GNN" / "meta" / f"{stem}_meta_adj_{rate}.npz"]
    if attack == "nettack":
        return [root / "Pro-GNN" / "nettack" / f"{stem}_nettack_adj_{rate:.1f}.npz",
                root / "Pro-GNN" / "nettack" / f"{stem}_nettacked_nodes.json"]
    return []


# --------------------------------------------------------------------------- the loader


def _build(display: str, stem: str, raw: Path, split_file: Path, attack: str | None, rate,
           attack_files: list[Path]) -> dict:
    counts = PUBLISHED[stem]
    adj, attr, labels = _read_meta_attack_npz(raw)
    if adj.shape[0] != counts.raw_nodes:
        raise ValueError(f"{raw}: {adj.shape[0]} nodes, expected {counts.raw_nodes} for {display}")
    adj = _clean_adjacency(adj)
    lcc = largest_connected_component(adj)
    adj = adj[lcc][:, lcc].tocsr()
    adj.sort_indices()
    n, e = adj.shape[0], _undirected_edges(adj)
    if (n, e) != (counts.nodes, counts.edges):
        raise ValueError(f"{raw}: largest connected component has {n} nodes / {e} undirected edges, "
                         f"expected {counts.nodes} / {counts.edges} for {display}")
    if attr is None:  # DeepRobust: identity features of the raw graph, restricted to the LCC
        x = np.zeros((n, counts.raw_nodes), dtype=np.float32)
        x[np.arange(n), lcc] = 1.0
    else:
        x = np.asarray(attr[lcc].todense(), dtype=np.float32)
    if x.shape[1] != counts.features:
        raise ValueError(f"{raw}: {x.shape[1]} features, expected {counts.features} for {display}")
    y = labels[lcc]
    if y.min() < 0 or np.unique(y).size != counts.classes or y.max() != counts.classes - 1:
        raise ValueError(f"{raw}: labels take values {np.unique(y).tolist()}, expected 0..{counts.classes - 1}")

    out: dict = {"x": torch.from_numpy(x), "y": torch.from_numpy(y), "num_nodes": n}

    split_path, split_keys = split_file, ("idx_train", "idx_val", "idx_test")
    if attack == "nettack":
        split_path, split_keys = attack_files[1], split_keys + ("attacked_test_nodes",)
    idx = _read_json(split_path, split_keys)
    sizes = tuple(int(idx[k].size) for k in split_keys[:3])
    if sizes != counts.split:
        raise ValueError(f"{split_path}: split sizes {sizes}, expected {counts.split} for {display}")
    for name, key in zip(("train_mask", "val_mask", "test_mask"), split_keys[:3], strict=True):
        out[name] = _mask(idx[key], n, split_path, key)
    if bool((out["train_mask"] & out["val_mask"]).any() | (out["train_mask"] & out["test_mask"]).any()
            | (out["val_mask"] & out["test_mask"]).any()):
        raise ValueError(f"{split_path}: train, validation and test node sets overlap")

    if attack is None:
        out["edge_index"] = _edge_index(adj)
        return out

    ptb = read_sparse_npz(attack_files[0])
    if ptb.shape != (n, n):
        raise ValueError(f"{attack_files[0]}: shape {ptb.shape}, expected ({n}, {n}) — the LCC of {raw}")
    if ptb.diagonal().any():
        raise ValueError(f"{attack_files[0]}: attacked adjacency has self-loops")
    if (ptb != ptb.T).nnz:
        raise ValueError(f"{attack_files[0]}: attacked adjacency is not symmetric")
    ptb.data = (ptb.data != 0).astype(np.float32)
    ptb.eliminate_zeros()
    ptb.sort_indices()
    expected = (counts.meta if attack == "meta" else counts.nettack)[rate]
    if _undirected_edges(ptb) != expected:
        raise ValueError(f"{attack_files[0]}: {_undirected_edges(ptb)} undirected edges, expected {expected} "
                         f"for {display} {attack} ptb_rate={rate}")
    out["edge_index"] = _edge_index(ptb)
    if attack == "nettack":
        targets = idx["attacked_test_nodes"]
        if targets.size != counts.targets:
            raise ValueError(f"{attack_files[1]}: {targets.size} attacked target nodes, expected {counts.targets}")
        target_mask = _mask(targets, n, attack_files[1], "attacked_test_nodes")
        if bool((target_mask & ~out["test_mask"]).any()):
            raise ValueError(f"{attack_files[1]}: some attacked target nodes are not test nodes")
        out["target_nodes"] = torch.from_numpy(targets)
        out["target_mask"] = target_mask
    return out


def load_prognn(root: str | Path, name: str, *, attack: str | None = None,
                ptb_rate: float | int | None = None) -> Data:
    """Load a DeepRobust / Pro-GNN graph (see the module docstring).

    Args:
        root: raw-data root holding ``gnn-meta-attack/`` and ``Pro-GNN/``.
        name: ``'cora'``, ``'citeseer'``, ``'cora_ml'`` (or ``'cora-ml'``), ``'polblogs'`` or ``'pubmed'``.
        attack: ``None`` (clean graph), ``'meta'`` (Metattack, global) or ``'nettack'`` (targeted).
        ptb_rate: for ``'meta'`` the fraction of edges perturbed, one of ``0.05, 0.1, 0.15, 0.2, 0.25``;
            for ``'nettack'`` perturbations per target node, one of ``1, 2, 3, 4, 5``.

    Returns:
        ``Data`` with ``x``, ``edge_index``, ``y``, ``train_mask``, ``val_mask``, ``test_mask``,
        ``num_nodes``, ``name``, ``attack``, ``ptb_rate`` and, for Nettack, ``target_nodes`` and
        ``target_mask``.
    """
    root = Path(root)
    stem = str(name).lower().replace("-", "_")
    if stem not in PUBLISHED:
        raise ValueError(f"unknown Pro-GNN data set {name!r}; valid: {sorted(PUBLISHED)}")
    display = f"prognn-{stem.replace('_', '-')}"
    attack, rate = _check_attack(display, stem, attack, ptb_rate)
    raw = root / "gnn-meta-attack" / f"{stem}.npz"
    split_file = root / "Pro-GNN" / "splits" / f"{stem}_prognn_splits.json"
    extra = _attack_files(root, stem, attack, rate)
    files = [raw, split_file, *extra]
    require(files, dataset=display, how=_HOW)

    out = cached(f"{display}-{attack or 'clean'}-{rate or 0}", files,
                 lambda: _build(display, stem, raw, split_file, attack, rate, extra),
                 options={"attack": attack, "ptb_rate": rate}, version=_CACHE_VERSION)
    data = Data(x=out["x"], edge_index=out["edge_index"], y=out["y"], train_mask=out["train_mask"],
                val_mask=out["val_mask"], test_mask=out["test_mask"], num_nodes=int(out["num_nodes"]))
    if "target_nodes" in out:
        data.target_nodes = out["target_nodes"]
        data.target_mask = out["target_mask"]
    data.name = display
    data.attack = attack or "clean"
    data.ptb_rate = float(rate) if rate is not None else 0.0
    return data


def _register(stem: str, description: str) -> None:
    display = f"prognn-{stem.replace('_', '-')}"

    @register(display, task="node", description=description)
    def _load(root: Path, *, attack: str | None = None, ptb_rate: float | int | None = None) -> Data:
        return load_prognn(root, stem, attack=attack, ptb_rate=ptb_rate)

    _load.__name__ = f"load_{display.replace('-', '_')}"
    _load.__doc__ = f"{description}. Options: ``attack=None|'meta'|'nettack'``, ``ptb_rate``; see " \
                    f":func:`graphkit.datasets.attacked.load_prognn`."


_register("cora", "Cora LCC (2485 nodes) in the Pro-GNN setting, clean or Metattack/Nettack-perturbed")
_register("citeseer", "CiteSeer LCC (2110 nodes) in the Pro-GNN setting, clean or Metattack/Nettack-perturbed")
_register("cora_ml", "Cora-ML LCC (2810 nodes) in the Pro-GNN setting, clean or Metattack-perturbed")
_register("polblogs", "PolBlogs LCC (1222 nodes, identity features) in the Pro-GNN setting, clean or attacked")
_register("pubmed", "PubMed (19717 nodes) in the Pro-GNN setting, clean or Metattack/Nettack-perturbed")
