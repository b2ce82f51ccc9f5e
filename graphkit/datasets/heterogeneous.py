"""Heterogeneous graphs in the HeCo / MEOW layout, returned as PyG ``HeteroData``.

Registered names (task ``'hetero'``), with the target type first:

* ``acm``: paper 4019 (3 classes), author 7167, subject 60; meta-paths pap, psp.
* ``dblp``: author 4057 (4 classes), paper 14328, conference 20, term 7723; apa, apcpa, aptpa.
* ``aminer``: paper 6564 (4 classes), author 13329, reference 35890; pap, prp.
* ``freebase``: movie 3492 (3 classes), actor 33401, director 2502, writer 4459; mam, mdm, mwm.
* ``imdb``: movie 4275 (3 classes), actor 5432, director 2083, keyword 7313; mam, mdm, mkm.

``acm``, ``dblp``, ``aminer`` and ``freebase`` read ``<root>/HeCo/<name>/`` by
default (``layout='heco'``). ``imdb`` reads ``<root>/MEOW/imdb/``. ``acm``, ``dblp``
and ``aminer`` also accept ``layout='meow'`` (``<root>/MEOW/<name>/``), where the
meta-path files hold path counts instead of booleans and the neighbour lists
are sparse matrices.

Files per data set: ``labels.npy``; features ``<t>_feat.npz``; relation edge
lists ``<ab>.txt`` (two integer columns: an ``a`` id and a ``b`` id); meta-path
adjacencies ``<mp>.npz``; neighbour lists ``nei_<t>.npy`` (HeCo: an object array
of per-target-node id arrays; ACM's ``nei_s.npy`` is a plain ``4019 × 1`` int
array) or ``nei_<path>.npz`` (MEOW: sparse target × type matrix); HeCo's
positive pairs ``pos.npz``; splits ``{train,val,test}_{20,40,60}.npy``.

What the returned ``HeteroData`` holds:

* ``data[t].num_nodes`` for every node type, and ``data[t].x``:
  - the feature file's matrix as dense float32, unnormalised (HeCo and MEOW
    row-normalise in their code; do that in your model or transform if you want
    it);
  - for types without a feature file, HeCo's one-hot features, as a sparse COO
    identity ``[n, n]`` (dense would be 5 GB for AMiner's references). Pass
    ``featureless='none'`` to leave ``x`` unset, e.g. when you use an
    ``Embedding`` instead.
  HeCo's code ignores two files that exist, ACM ``a_feat`` and DBLP ``p_feat``,
  and gives those types one-hot features. MEOW uses both files. graphkit loads
  every feature file present; to reproduce HeCo, replace them with
  :func:`identity_features`.
* MEOW's AMiner input, when present in ``<root>/MEOW/aminer/`` (the files are over
  GitHub's size limit and missing from the public copies): 64-d metapath2vec
  embeddings ``feat_p_pap.w1000.l100.npy`` / ``feat_p_prp.w1000.l100.npy`` (one
  paper feature matrix per meta-path), ``feat_a.w1000.l100.npy`` and
  ``feat_r.w1000.l100.npy``. They become ``data['paper'].x_pap`` /
  ``data['paper'].x_prp`` (MEOW projects each with its own layer), ``data['paper'].x``
  (their concatenation, for methods with one target input), ``data['author'].x`` and
  ``data['reference'].x``. The two paper files come together or not at all.
* ``data[target].y`` as int64 classes ``0..C-1``. ACM's labels are stored as
  float, and IMDB's as ``1..3``; both are mapped to ``0..C-1`` in sorted order,
  as the official one-hot encoders do.
* ``data[target].train_mask_{20,40,60}`` / ``val_mask_*`` / ``test_mask_*`` for
  all three splits (20/40/60 labelled nodes per class, 1000 validation and 1000
  test nodes). ``train_mask`` / ``val_mask`` / ``test_mask`` alias the one chosen
  by ``split=`` (default 20). IMDB's ``train_40``/``train_60`` files list some
  nodes twice (MEOW drew them with replacement): 119 and 175 distinct training
  nodes instead of 120 and 180.
* Every relation in both directions: ``(a, 'to', b)`` in file order and
  ``(b, 'to', a)`` its flip, e.g. ``('paper', 'to', 'author')`` and
  ``('author', 'to', 'paper')``.
* Every meta-path as ``(target, '<mp>', target)``, e.g. ``('paper', 'pap', 'paper')``,
  with ``edge_index`` sorted by ``(row, col)`` and ``edge_weight`` (float32: 1.0
  for HeCo's boolean files, path counts for MEOW's). The ``i``–``i`` pairs the files
  store (a node reaches itself along any meta-path) are kept.
  ``data.metapaths`` lists these edge types.
* Neighbour lists as ``data[target].nei_<type>_index`` ``[2, nnz]`` (row 0 the
  target node, row 1 the neighbour id of that type) plus ``nei_<type>_weight``
  (ones for HeCo). MEOW's DBLP files name the path from the target: ``nei_ap``
  becomes ``nei_paper_index``, and the multi-hop ones keep their letters, e.g.
  ``nei_apc_index`` (author → conference via paper, with path counts as weights).
* HeCo's positive pairs as ``data[target].pos_edge_index`` ``[2, nnz]``, sorted
  by row. MEOW ships no ``pos.npz``.
* ``data.name``, ``data.layout``, ``data.target_node_type``, and
  ``data.recomputed``: the meta-paths that were not on disk and were rebuilt.

**Recomputed meta-paths.** DBLP's ``aptpa.npz`` (HeCo) and ``apcpa.npz`` /
``aptpa.npz`` (MEOW) are over GitHub's size limit and often missing. When they
are absent, graphkit rebuilds them from ``pa.txt`` / ``pc.txt`` / ``pt.txt`` with
sparse products. For HeCo it follows HeCo's ``data/mp_gen.py``: the half path is
binarised, ``H = [Paᵀ·Pt > 0]``, and then ``APTPA = [H·Hᵀ > 0]``, stored as
booleans. For MEOW, whose files hold path counts, it uses ``H·Hᵀ`` with
``H = Paᵀ·Pt`` and no binarising. The rule was checked on every meta-path file
present: HeCo's equal ``[R·Rᵀ > 0]`` and MEOW's equal ``R·Rᵀ``. The recomputed
``apcpa`` must match its published number of pairs (5,000,495). No published
count exists for ``aptpa``. MEOW's DBLP prefix-path files ``nei_apcp.npz`` /
``nei_aptp.npz`` are loaded when present and skipped when absent: derive them
from the relation edge types if your model needs them.

Every count listed in ``SOURCES.md`` is checked: node types, relation rows,
meta-path pairs, positive pairs, classes and split sizes. A mismatch raises
``ValueError``. Processed tensors are cached, keyed by the raw files' sizes and
mtimes (see :func:`graphkit.datasets._io.cached`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import torch
from torch_geometric.data import HeteroData

from graphkit.datasets._io import cached, read_sparse_npz, require, safe_np_load
from graphkit.datasets.registry import register

__all__ = ["HeteroSpec", "SPECS", "load_hetero", "identity_features"]

SPLITS = (20, 40, 60)
LAYOUTS = ("heco", "meow")
FEATURELESS = ("identity", "none")
_CACHE_VERSION = 2
_HOW = {
    "heco": "Get them from https://github.com/liun-online/HeCo (folder data/<name>/) into <root>/HeCo/<name>/.",
    "meow": "Get them from https://github.com/jianxiangyu/MEOW (folder data/<name>/) into <root>/MEOW/<name>/.",
}


@dataclass(frozen=True)
class HeteroSpec:
    """Layout and published counts of one HeCo/MEOW data set."""

    name: str
    types: dict[str, tuple[str, int]]  # letter -> (node type, count); the first is the target
    relations: dict[str, int]  # '<ab>' -> rows of <ab>.txt
    metapaths: dict[str, int | None]  # '<mp>' -> stored pairs (None: not published)
    features: dict[str, str]  # letter -> feature file stem
    neighbours: dict[str, tuple[str, ...]]  # layout -> required nei_* stems
    classes: int
    pos: int | None  # pairs in pos.npz (HeCo layout)
    layouts: tuple[str, ...]
    derivable: tuple[str, ...] = ()  # meta-paths rebuilt from relations when missing
    optional_neighbours: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # layout -> {'<letter>' or '<target letter>/<mp>': .npy stem}: dense features read when present;
    # '<letter>/<mp>' is a per-meta-path target feature (all of them or none)
    optional_features: dict[str, dict[str, str]] = field(default_factory=dict)
    # entries of train/val/test_<r>.npy; None: r per class for training, 1000 validation, 1000 test
    split_entries: dict[int, tuple[int, int, int]] | None = None

    def split_sizes(self, per_class: int) -> dict[str, int]:
        """Entries of ``train/val/test_<per_class>.npy``."""
        if self.split_entries is not None:
            sizes = self.split_entries[per_class]
        else:
            sizes = (per_class * self.classes, 1000, 1000)
        return dict(zip(("train", "val", "test"), sizes, strict=True))

    @property
    def target(self) -> str:
        return next(iter(self.types.values()))[0]

    @property
    def target_letter(self) -> str:
        return next(iter(self.types))


SPECS: dict[str, HeteroSpec] = {
    "acm": HeteroSpec(
        "acm", {"p": ("paper", 4019), "a": ("author", 7167), "s": ("subject", 60)},
        {"pa": 13407, "ps": 4019}, {"pap": 57853, "psp": 4338213}, {"p": "p_feat", "a": "a_feat"},
        {"heco": ("nei_a", "nei_s"), "meow": ("nei_a", "nei_s")}, 3, 20053, ("heco", "meow")),
    "dblp": HeteroSpec(
        "dblp", {"a": ("author", 4057), "p": ("paper", 14328), "c": ("conference", 20), "t": ("term", 7723)},
        {"pa": 19645, "pc": 14328, "pt": 85810}, {"apa": 11113, "apcpa": 5000495, "aptpa": None},
        {"a": "a_feat", "p": "p_feat", "t": "t_feat"},
        {"heco": ("nei_p",), "meow": ("nei_ap", "nei_apc", "nei_apt")}, 4, 4046685, ("heco", "meow"),
        derivable=("apcpa", "aptpa"), optional_neighbours={"meow": ("nei_apcp", "nei_aptp")}),
    "aminer": HeteroSpec(
        "aminer", {"p": ("paper", 6564), "a": ("author", 13329), "r": ("reference", 35890)},
        {"pa": 18007, "pr": 58831}, {"pap": 21976, "prp": 129824}, {},
        {"heco": ("nei_a", "nei_r"), "meow": ("nei_a", "nei_r")}, 4, 67730, ("heco", "meow"),
        optional_features={"meow": {"p/pap": "feat_p_pap.w1000.l100", "p/prp": "feat_p_prp.w1000.l100",
                                    "a": "feat_a.w1000.l100", "r": "feat_r.w1000.l100"}}),
    "freebase": HeteroSpec(
        "freebase", {"m": ("movie", 3492), "a": ("actor", 33401), "d": ("director", 2502),
                     "w": ("writer", 4459)},
        {"ma": 65341, "md": 3762, "mw": 6414}, {"mam": 254702, "mdm": 8404, "mwm": 10706}, {},
        {"heco": ("nei_a", "nei_d", "nei_w")}, 3, 163294, ("heco",)),
    "imdb": HeteroSpec(
        "imdb", {"m": ("movie", 4275), "a": ("actor", 5432), "d": ("director", 2083), "k": ("keyword", 7313)},
        {"ma": 12831, "md": 4181, "mk": 20428}, {"mam": 81360, "mdm": 16498, "mkm": 319435}, {"m": "m_feat"},
        {"meow": ("nei_a", "nei_d", "nei_k")}, 3, None, ("meow",)),
}


def identity_features(num_nodes: int) -> torch.Tensor:
    """HeCo's one-hot features for a featureless type: a sparse COO float32 identity ``[n, n]``."""
    idx = torch.arange(num_nodes).repeat(2, 1)
    return torch.sparse_coo_tensor(idx, torch.ones(num_nodes), (num_nodes, num_nodes),
                                   check_invariants=True).coalesce()


# --------------------------------------------------------------------------- readers


def _read_relation(path: Path, rows: int, n_src: int, n_dst: int) -> np.ndarray:
    """``[2, rows]`` int64 ids of a two-column text edge list, validated."""
    try:
        arr = np.loadtxt(path, dtype=np.int64, ndmin=2)
    except ValueError:
        try:
            flt = np.loadtxt(path, dtype=np.float64, ndmin=2)
        except Exception as exc:
            raise ValueError(f"{path}: not a two-column integer edge list ({exc})") from exc
        if not np.all(np.isfinite(flt)) or not np.all(flt == np.round(flt)):
            raise ValueError(f"{path}: edge list holds non-integer ids") from None
        arr = flt.astype(np.int64)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"{path}: expected two columns, found shape {arr.shape}")
    if arr.shape[0] != rows:
        raise ValueError(f"{path}: {arr.shape[0]} edges, expected {rows}")
    if arr.size and (arr.min() < 0 or arr[:, 0].max() >= n_src or arr[:, 1].max() >= n_dst):
        raise ValueError(f"{path}: ids out of range (expected [0, {n_src}) x [0, {n_dst}))")
    return np.ascontiguousarray(arr.T)


def _read_features(path: Path, n: int):
    """Dense ndarray (DBLP's ``t_feat.npz`` is really a plain .npy) or scipy CSR, ``n`` rows."""
    arrays = safe_np_load(path)
    if isinstance(arrays, dict):
        mat = read_sparse_npz(path)
    else:
        mat = np.asarray(arrays)
        if mat.ndim != 2 or not np.issubdtype(mat.dtype, np.number):
            raise ValueError(f"{path}: expected a 2-D numeric feature matrix, found {mat.dtype} {mat.shape}")
    if mat.shape[0] != n:
        raise ValueError(f"{path}: {mat.shape[0]} feature rows, expected {n}")
    if not np.isfinite(mat.data if sp.issparse(mat) else mat).all():
        raise ValueError(f"{path}: features hold NaN or inf")
    return mat


def _read_index_array(path: Path, size: int | None = None, high: int | None = None) -> np.ndarray:
    arr = safe_np_load(path)
    if isinstance(arr, dict) or arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
        raise ValueError(f"{path}: expected a numeric index array")
    arr = np.asarray(arr).ravel()
    if not np.all(arr == np.round(arr)):
        raise ValueError(f"{path}: holds non-integer ids")
    arr = arr.astype(np.int64)
    if size is not None and arr.size != size:
        raise ValueError(f"{path}: {arr.size} entries, expected {size}")
    if high is not None and arr.size and (arr.min() < 0 or arr.max() >= high):
        raise ValueError(f"{path}: ids outside [0, {high})")
    return arr


def _read_neighbours(path: Path, n_target: int, n_type: int) -> tuple[np.ndarray, np.ndarray]:
    """``(index [2, nnz], weight [nnz])`` from HeCo's object array or MEOW's sparse matrix."""
    if path.suffix == ".npz":
        mat = read_sparse_npz(path)
        if mat.shape != (n_target, n_type):
            raise ValueError(f"{path}: shape {mat.shape}, expected ({n_target}, {n_type})")
        coo = mat.tocoo()
        return np.vstack([coo.row, coo.col]).astype(np.int64), coo.data.astype(np.float32)
    arr = safe_np_load(path)
    if isinstance(arr, dict):
        raise ValueError(f"{path}: expected a .npy neighbour list, found an .npz archive")
    if len(arr) != n_target:
        raise ValueError(f"{path}: {len(arr)} neighbour lists, expected {n_target}")
    try:
        lists = [np.asarray(v, dtype=np.int64).ravel() for v in arr]
    except Exception as exc:
        raise ValueError(f"{path}: neighbour lists are not integer arrays") from exc
    lengths = np.fromiter((v.size for v in lists), dtype=np.int64, count=len(lists))
    cols = np.concatenate(lists) if lists else np.zeros(0, dtype=np.int64)
    if cols.size and (cols.min() < 0 or cols.max() >= n_type):
        raise ValueError(f"{path}: neighbour ids outside [0, {n_type})")
    rows = np.repeat(np.arange(n_target, dtype=np.int64), lengths)
    return np.vstack([rows, cols]), np.ones(cols.size, dtype=np.float32)


def _incidence(edges: np.ndarray, n_src: int, n_dst: int) -> sp.csr_matrix:
    return sp.csr_matrix((np.ones(edges.shape[1], dtype=np.float64), (edges[0], edges[1])),
                         shape=(n_src, n_dst))


def _derive_metapath(mp: str, spec: HeteroSpec, relations: dict[str, np.ndarray], layout: str) -> sp.csr_matrix:
    """Rebuild a symmetric meta-path ``mp`` from the relation edge lists (see the module doc)."""
    if len(mp) % 2 == 0 or mp != mp[::-1]:
        raise ValueError(f"cannot derive meta-path {mp!r}: only symmetric paths of odd length are supported")
    half = None
    for a, b in zip(mp[: len(mp) // 2], mp[1: len(mp) // 2 + 1], strict=True):
        na, nb = spec.types[a][1], spec.types[b][1]
        if a + b in relations:
            hop = _incidence(relations[a + b], na, nb)
        elif b + a in relations:
            hop = _incidence(relations[b + a], nb, na).T.tocsr()
        else:
            raise ValueError(f"cannot derive meta-path {mp!r}: no relation file for {a}-{b}")
        half = hop if half is None else (half @ hop).tocsr()
    if layout == "heco":  # HeCo's mp_gen.py: binarise the half path, then the product
        half.data[:] = 1.0
        out = (half @ half.T).tocsr()
        out.data[:] = 1.0
    else:
        out = (half @ half.T).tocsr()
    out.sort_indices()
    return out


def _csr_to_index(mat: sp.csr_matrix, dtype=np.int64) -> tuple[torch.Tensor, torch.Tensor]:
    """``(edge_index [2, nnz] sorted by (row, col), values [nnz] float32)`` of ``mat``."""
    mat = mat.tocsr()
    mat.sort_indices()
    rows = np.repeat(np.arange(mat.shape[0], dtype=dtype), np.diff(mat.indptr))
    index = torch.from_numpy(np.vstack([rows, mat.indices.astype(dtype)]))
    return index, torch.from_numpy(mat.data.astype(np.float32))


def _pack_pairs(mat: sp.csr_matrix) -> dict:
    """Cache form of a target x target matrix: int32 ids (they fit), values only when not all 1."""
    index, weight = _csr_to_index(mat, dtype=np.int32)
    out = {"index": index}
    if not bool((weight == 1).all()):
        out["weight"] = weight
    return out


def _unpack_pairs(packed: dict) -> tuple[torch.Tensor, torch.Tensor]:
    index = packed["index"].long()
    weight = packed.get("weight")
    return index, (torch.ones(index.shape[1]) if weight is None else weight)


# --------------------------------------------------------------------------- build + assemble


def _files(spec: HeteroSpec, folder: Path, layout: str) -> tuple[list[Path], dict[str, Path], list[Path]]:
    """(required files, meta-path files to derive if missing, optional files present)."""
    required = [folder / "labels.npy"]
    required += [folder / f"{stem}.npz" for stem in spec.features.values()]
    required += [folder / f"{rel}.txt" for rel in spec.relations]
    derive = {}
    for mp in spec.metapaths:
        path = folder / f"{mp}.npz"
        if mp in spec.derivable and not path.is_file():
            derive[mp] = path
        else:
            required.append(path)
    ext = ".npy" if layout == "heco" else ".npz"
    required += [folder / f"{stem}{ext}" for stem in spec.neighbours[layout]]
    if layout == "heco":
        required.append(folder / "pos.npz")
    required += [folder / f"{part}_{r}.npy" for r in SPLITS for part in ("train", "val", "test")]
    optional = [folder / f"{stem}{ext}" for stem in spec.optional_neighbours.get(layout, ())]
    optional += [folder / f"{stem}.npy" for stem in spec.optional_features.get(layout, {}).values()]
    return required, derive, [p for p in optional if p.is_file()]


def _nei_name(stem: str, spec: HeteroSpec) -> str:
    """``nei_a`` (HeCo) and ``nei_ap`` (MEOW, path from the target) -> ``nei_author``/``nei_paper``;
    multi-hop MEOW paths keep their letters (``nei_apc``)."""
    letters = stem[len("nei_"):]
    if len(letters) == 2 and letters[0] == spec.target_letter:
        letters = letters[1]
    return f"nei_{spec.types[letters][0]}" if len(letters) == 1 else stem


def _read_optional_features(spec: HeteroSpec, folder: Path, layout: str, present: list[Path],
                            counts: dict[str, int], out: dict) -> None:
    """The ``optional_features`` files in ``present`` into ``out``: ``x/<letter>/dense`` (a type's features)
    and ``xmp/<mp>`` (per-meta-path target features, all or none, one width)."""
    stems = spec.optional_features.get(layout, {})
    per_path = {key: folder / f"{stem}.npy" for key, stem in stems.items() if "/" in key}
    found = [p for p in per_path.values() if p in present]
    if found and len(found) != len(per_path):
        missing = [p.name for p in per_path.values() if p not in present]
        raise ValueError(f"{folder}: found {[p.name for p in found]} but not {missing}; the per-meta-path "
                         f"target features come together (give every file or none)")
    widths = set()
    for key, stem in stems.items():
        path = folder / f"{stem}.npy"
        if path not in present:
            continue
        letter, _, mp = key.partition("/")
        mat = _read_features(path, counts[letter])
        if sp.issparse(mat):
            raise ValueError(f"{path}: expected a dense .npy feature matrix")
        dense = torch.from_numpy(np.ascontiguousarray(mat, dtype=np.float32))
        if mp:
            widths.add(dense.shape[1])
            out[f"xmp/{mp}"] = dense
        else:
            out[f"x/{letter}/dense"] = dense
    if len(widths) > 1:
        raise ValueError(f"{folder}: the per-meta-path target features differ in width ({sorted(widths)})")


def _build(spec: HeteroSpec, folder: Path, layout: str, derive: dict[str, Path], optional: list[Path]) -> dict:
    counts = {letter: n for letter, (_, n) in spec.types.items()}
    n_target = counts[spec.target_letter]
    out: dict = {"recomputed": sorted(derive)}

    # labels -> 0..C-1
    labels_path = folder / "labels.npy"
    raw = safe_np_load(labels_path)
    if isinstance(raw, dict) or raw.dtype == object or not np.issubdtype(raw.dtype, np.number):
        raise ValueError(f"{labels_path}: expected a numeric label array")
    raw = np.asarray(raw).ravel()
    if raw.size != n_target:
        raise ValueError(f"{labels_path}: {raw.size} labels, expected {n_target} target nodes")
    if not np.all(raw == np.round(raw)):
        raise ValueError(f"{labels_path}: labels are not integers")
    values, y = np.unique(raw.astype(np.int64), return_inverse=True)
    if values.size != spec.classes:
        raise ValueError(f"{labels_path}: {values.size} classes {values.tolist()}, expected {spec.classes}")
    out["y"] = torch.from_numpy(y.astype(np.int64).ravel())

    # splits
    for r in SPLITS:
        masks = {}
        for part, size in spec.split_sizes(r).items():
            idx = _read_index_array(folder / f"{part}_{r}.npy", size=size, high=n_target)
            mask = torch.zeros(n_target, dtype=torch.bool)
            mask[torch.from_numpy(idx)] = True
            masks[part] = mask
        if bool((masks["train"] & masks["val"]).any() | (masks["train"] & masks["test"]).any()
                | (masks["val"] & masks["test"]).any()):
            raise ValueError(f"{folder}: train/val/test_{r}.npy overlap")
        for part, mask in masks.items():
            out[f"{part}_mask_{r}"] = mask

    # features
    for letter, stem in spec.features.items():
        mat = _read_features(folder / f"{stem}.npz", counts[letter])
        if sp.issparse(mat):
            coo = mat.tocoo()
            out[f"x/{letter}/index"] = torch.from_numpy(np.vstack([coo.row, coo.col]).astype(np.int64))
            out[f"x/{letter}/value"] = torch.from_numpy(coo.data.astype(np.float32))
            out[f"x/{letter}/shape"] = list(mat.shape)
        else:
            out[f"x/{letter}/dense"] = torch.from_numpy(np.ascontiguousarray(mat, dtype=np.float32))

    # relations
    relations = {}
    for rel, rows in spec.relations.items():
        a, b = rel
        relations[rel] = _read_relation(folder / f"{rel}.txt", rows, counts[a], counts[b])
        out[f"rel/{rel}"] = torch.from_numpy(relations[rel])

    # meta-paths
    for mp, expected in spec.metapaths.items():
        path = folder / f"{mp}.npz"
        mat = _derive_metapath(mp, spec, relations, layout) if mp in derive else read_sparse_npz(path)
        where = f"{path} (recomputed from {', '.join(f'{r}.txt' for r in spec.relations)})" \
            if mp in derive else str(path)
        if mat.shape != (n_target, n_target):
            raise ValueError(f"{where}: shape {mat.shape}, expected ({n_target}, {n_target})")
        if expected is not None and mat.nnz != expected:
            raise ValueError(f"{where}: {mat.nnz} meta-path pairs, expected {expected}")
        out[f"mp/{mp}"] = _pack_pairs(mat)

    _read_optional_features(spec, folder, layout, optional, counts, out)

    # neighbour lists
    ext = ".npy" if layout == "heco" else ".npz"
    optional_neighbours = [p for p in optional if p.stem.startswith("nei_")]
    for path in [folder / f"{stem}{ext}" for stem in spec.neighbours[layout]] + optional_neighbours:
        stem = path.stem
        last = stem[-1]
        if last not in counts:
            raise ValueError(f"{path}: unknown node type letter {last!r}")
        index, weight = _read_neighbours(path, n_target, counts[last])
        name = _nei_name(stem, spec)
        out[f"nei/{name}/index"] = torch.from_numpy(index)
        out[f"nei/{name}/weight"] = torch.from_numpy(weight)

    # positive pairs (HeCo)
    if layout == "heco":
        path = folder / "pos.npz"
        pos = read_sparse_npz(path)
        if pos.shape != (n_target, n_target):
            raise ValueError(f"{path}: shape {pos.shape}, expected ({n_target}, {n_target})")
        if spec.pos is not None and pos.nnz != spec.pos:
            raise ValueError(f"{path}: {pos.nnz} positive pairs, expected {spec.pos}")
        out["pos"] = _pack_pairs(pos)
    return out


def _check_options(spec: HeteroSpec, layout, split, featureless) -> str:
    layout = spec.layouts[0] if layout is None else layout
    if layout not in spec.layouts:
        raise ValueError(f"{spec.name}: layout {layout!r} is not available; valid values: {list(spec.layouts)}")
    if isinstance(split, bool) or split not in SPLITS:
        raise ValueError(f"{spec.name}: split must be one of {list(SPLITS)} (labelled nodes per class), "
                         f"got {split!r}")
    if featureless not in FEATURELESS:
        raise ValueError(f"{spec.name}: featureless must be one of {list(FEATURELESS)}, got {featureless!r}")
    return layout


def load_hetero(root: str | Path, name: str, *, layout: str | None = None, split: int = 20,
                featureless: str = "identity") -> HeteroData:
    """Load a HeCo/MEOW heterogeneous graph (see the module docstring for the returned layout).

    Args:
        root: raw-data root holding ``HeCo/<name>/`` or ``MEOW/<name>/``.
        name: ``'acm'``, ``'dblp'``, ``'aminer'``, ``'freebase'`` or ``'imdb'``.
        layout: ``'heco'`` or ``'meow'``; default ``'heco'`` (``'meow'`` for imdb).
        split: labelled nodes per class aliased as ``train_mask``/``val_mask``/``test_mask``: 20, 40 or 60.
            All three are always present as ``train_mask_20`` etc.
        featureless: ``'identity'`` (sparse one-hot ``x`` for types without a feature file) or ``'none'``.
    """
    key = str(name).lower()
    if key not in SPECS:
        raise ValueError(f"unknown heterogeneous data set {name!r}; valid: {sorted(SPECS)}")
    spec = SPECS[key]
    layout = _check_options(spec, layout, split, featureless)
    folder = Path(root) / ("HeCo" if layout == "heco" else "MEOW") / spec.name
    required, derive, optional = _files(spec, folder, layout)
    how = _HOW[layout].replace("<name>", spec.name)
    if spec.derivable:
        how += f" Optional (recomputed from the relation files when absent): " \
               f"{', '.join(f'{mp}.npz' for mp in spec.derivable)}."
    require(required, dataset=spec.name, how=how)
    out = cached(f"{spec.name}-{layout}", required + optional,
                 lambda: _build(spec, folder, layout, derive, optional),
                 options={"layout": layout, "derive": sorted(derive),
                          "optional": [p.name for p in optional]},
                 version=_CACHE_VERSION)

    data = HeteroData()
    target = spec.target
    path_features = {key[len("xmp/"):]: value for key, value in out.items() if key.startswith("xmp/")}
    for letter, (ntype, n) in spec.types.items():
        store = data[ntype]
        store.num_nodes = n
        if letter == spec.target_letter and path_features:  # one target input: the concatenation
            store.x = torch.cat(list(path_features.values()), dim=1)
        elif f"x/{letter}/dense" in out:
            store.x = out[f"x/{letter}/dense"]
        elif f"x/{letter}/index" in out:
            x = torch.zeros(tuple(out[f"x/{letter}/shape"]), dtype=torch.float32)
            index = out[f"x/{letter}/index"]
            x.index_put_((index[0], index[1]), out[f"x/{letter}/value"], accumulate=True)
            store.x = x
        elif featureless == "identity":
            store.x = identity_features(n)
    tstore = data[target]
    tstore.y = out["y"]
    for mp, x in path_features.items():
        tstore[f"x_{mp}"] = x
    for r in SPLITS:
        for part in ("train", "val", "test"):
            tstore[f"{part}_mask_{r}"] = out[f"{part}_mask_{r}"]
    for part in ("train", "val", "test"):
        tstore[f"{part}_mask"] = out[f"{part}_mask_{split}"]
    for rel in spec.relations:
        a, b = (spec.types[c][0] for c in rel)
        edges = out[f"rel/{rel}"]
        data[a, "to", b].edge_index = edges
        data[b, "to", a].edge_index = edges.flip(0)
    metapaths = []
    for mp in spec.metapaths:
        index, weight = _unpack_pairs(out[f"mp/{mp}"])
        data[target, mp, target].edge_index = index
        data[target, mp, target].edge_weight = weight
        metapaths.append((target, mp, target))
    for key_ in out:
        if key_.startswith("nei/") and key_.endswith("/index"):
            nei = key_[len("nei/"):-len("/index")]
            tstore[f"{nei}_index"] = out[key_]
            tstore[f"{nei}_weight"] = out[f"nei/{nei}/weight"]
    if "pos" in out:
        tstore.pos_edge_index = _unpack_pairs(out["pos"])[0]
    data.name = spec.name
    data.layout = layout
    data.target_node_type = target
    data.metapaths = metapaths
    data.recomputed = list(out["recomputed"])
    return data


def _register(key: str, description: str) -> None:
    @register(key, task="hetero", description=description)
    def _load(root: Path, *, layout: str | None = None, split: int = 20,
              featureless: str = "identity") -> HeteroData:
        return load_hetero(root, key, layout=layout, split=split, featureless=featureless)

    _load.__name__ = f"load_{key}"
    _load.__doc__ = f"{description}. See :func:`graphkit.datasets.heterogeneous.load_hetero`."


_register("acm", "ACM (HeCo): 4019 papers / 3 classes, authors and subjects, meta-paths PAP and PSP")
_register("dblp", "DBLP (HeCo): 4057 authors / 4 classes, papers, conferences, terms; APA, APCPA, APTPA")
_register("aminer", "AMiner (HeCo): 6564 papers / 4 classes, authors and references; PAP and PRP")
_register("freebase", "Freebase (HeCo): 3492 movies / 3 classes, actors, directors, writers; MAM, MDM, MWM")
_register("imdb", "IMDB (MEOW): 4275 movies / 3 classes, actors, directors, keywords; MAM, MDM, MKM")
