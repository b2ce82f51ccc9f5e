"""OGB link prediction (``ogbl-ddi``, ``ogbl-collab``, ``ogbl-ppa``, ``ogbl-citation2``) from OGB's files.

Reads the on-disk layout that ``ogb`` downloads, with no ``ogb`` import, no
prompt and no network unless ``download=True``, and returns a
:class:`~graphkit.datasets.LinkSplit` with each data set's standard protocol.

Layout under the data root (both are accepted; the first is the one in
``../shared/datasets`` and the one ``download=True`` writes)::

    <root>/ogbl-ddi/ogbl_ddi/...     # <name>/<name with '_'>/
    <root>/ogbl_ddi/...              # <name with '_'>/ (ogb's own root=<root>)

with, inside ``ogbl_ddi/``::

    raw/edge.csv.gz                  # the training graph, one row "u,v" per edge
    raw/num-node-list.csv.gz         # one row: number of nodes
    raw/num-edge-list.csv.gz         # one row: number of rows of edge.csv.gz
    raw/node-feat.csv.gz             # collab, ppa, citation2: [N, F]
    raw/edge_weight.csv.gz           # collab: [E, 1]
    raw/edge_year.csv.gz             # collab: [E, 1]
    raw/node_year.csv.gz             # citation2: [N, 1]
    split/<type>/{train,valid,test}.pt   # type: ddi target, collab time, ppa throughput, citation2 time

Protocol per data set (OGB's ``master.csv`` and NCN's ``ogbdataset.py``):

=============== ====== =========== ========== ===============================================
name            x      split type  metric     notes
=============== ====== =========== ========== ===============================================
ogbl-ddi        None   target      hits@20    no features (NCN learns an embedding per node)
ogbl-collab     128-d  time        hits@50    validation edges join the graph at test time
ogbl-ppa        58-d   throughput  hits@100   one-hot species features, returned as float32
ogbl-citation2  128-d  time        mrr        directed; 1000 negatives per positive
=============== ====== =========== ========== ===============================================

The metric is in :data:`METRICS` and in ``LinkSplit.extra['metric']``.

What the returned :class:`LinkSplit` holds:

* ``edge_index``: ``raw/edge.csv.gz`` — in OGB the raw graph *is* the training
  graph — with both directions, ``cat([E, E.flip(0)])``. OGB stores each
  undirected edge once (``add_inverse_edge`` in ``master.csv``). ogbl-citation2
  is directed; it is symmetrised here the same way, as NCN does for message
  passing (``adj_t.to_symmetric()``). Duplicate pairs are kept, not merged:
  ogbl-collab repeats a pair once per year two authors collaborated, each with
  its own weight and year (``extra['edge_weight']`` / ``extra['edge_year']``,
  aligned with ``edge_index``). NCN coalesces them through ``SparseTensor``; use
  ``torch_geometric.utils.coalesce`` if a model needs a simple graph.
* ``train_pos``: ``split/<type>/train.pt`` (``'edge'``, or ``'source_node'`` /
  ``'target_node'`` for citation2) when the file exists, else the raw edges —
  by OGB's convention the same edges (``extra['train_source']`` says which).
  **The ogbl-ddi copy in ``../shared/datasets`` has no ``train.pt``: its
  training edges are the raw edge list.**
* ``valid_pos/valid_neg/test_pos/test_neg``: ``[2, *]`` from ``valid.pt`` /
  ``test.pt`` (``'edge'``, ``'edge_neg'``). ddi, collab and ppa have one
  negative pool per stage (``neg_per_positive=None``, Hits@K). citation2 has
  ``target_node_neg [P, 1000]``: ``neg_per_positive=1000`` and the negatives
  are laid out as ``[2, P·1000]`` pairs with the source repeated, negative
  ``k`` of positive ``p`` in column ``p·1000 + k``.
* ``test_edge_index``: with ``use_valedges_as_input`` (default ``True`` for
  ogbl-collab only, as OGB's collab example and NCN), the training graph plus
  the validation positives, both directions — used only for the test
  predictions; validation is scored on the training graph. Otherwise ``None``.
* ``extra``: ``metric``, ``split_type``, ``train_source``, ``valid_in_train`` /
  ``test_in_train`` (how many evaluation positives are also training edges —
  0 for ddi; the loader reports them, it does not drop them), and per data set:
  collab ``edge_weight``/``edge_year`` (aligned with ``edge_index``),
  ``train_weight``/``train_year``, ``valid_*``, ``test_*`` (aligned with the
  pairs) and, with validation edges as input, ``test_edge_weight``/``test_edge_year``;
  citation2 ``node_year [N]``.

Checks: every count is compared with OGB's published one (:data:`PUBLISHED`)
and a mismatch is a ``ValueError`` (``check_counts=False`` loads a modified or
miniature copy); node ids must lie in ``[0, N)``, ``edge.csv.gz`` must have
``num-edge-list`` rows, features ``N`` rows and finite values. A missing file
raises ``FileNotFoundError`` naming every expected path; a truncated or corrupt
file raises ``ValueError`` naming it.

Safety: the split ``.pt`` files are legacy torch pickles of dicts of numpy
arrays. They are read with ``torch.load(weights_only=True)`` and only the numpy
globals such arrays need (:func:`numpy_safe_globals`) — never
``weights_only=False``; anything else is refused with
:class:`~graphkit.datasets._io.UnsafePickleError`. ogb itself calls
``torch.load`` unrestricted (and fails on torch ≥ 2.6).

Caching: the parsed tensors go through :func:`~graphkit.datasets._io.cached`,
keyed by the raw files' paths, sizes and mtimes, so the second load reads one
``.pt`` file (ogbl-ddi: 0.7 s first load, 0.1 s cached, on 2 cores). CSVs are
parsed with pandas' C reader when pandas is installed, else with numpy's
``loadtxt`` (about 3x slower). Estimates for the big sets from measured parse
rates (pandas, 2 busy cores: ~5 M integer rows/s, ~4 M float values/s), not
measured on the real files: ogbl-collab ~10 s; ogbl-ppa (21 M edges,
576 k × 58 features) ~20 s; ogbl-citation2 (30 M edges, 2.9 M × 128 features)
~2 minutes and ~10 GB peak memory — its ``[2, 86,956,000]`` int64 negative
pairs alone are 1.4 GB per stage (expanded on each load from the cached
``[P, 1000]`` targets) and its cache file is ~3.5 GB.

Download: with files absent and ``download=True`` the archive named in OGB's
``master.csv`` (``http://snap.stanford.edu/ogb/data/linkproppred/ddi.zip``,
``collab.zip``, ``ppassoc.zip``, ``citation-v2.zip``) is fetched and unpacked
to ``<root>/<name>/<name with '_'>/`` (the archive's top folder is its
download name, e.g. ``collab/``, renamed like ogb does). The root must be
writable for that; nothing is ever downloaded by default.
"""

from __future__ import annotations

import gzip
import os
import pickle
import re
import shutil
import tempfile
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from graphkit.datasets._io import UnsafePickleError, cached, require
from graphkit.datasets.registry import data_root, register
from graphkit.datasets.splits import LinkSplit

__all__ = ["load_ogbl", "METRICS", "PUBLISHED", "OGB_URL", "numpy_safe_globals"]

OGB_URL = "http://snap.stanford.edu/ogb/data/linkproppred/{download_name}.zip"
_FORMAT_VERSION = 1


@dataclass(frozen=True)
class _Info:
    name: str
    download_name: str  # master.csv "download_name": the zip's name and top folder
    split_type: str
    metric: str
    directed: bool  # master.csv add_inverse_edge == False
    node_feat: bool
    edge_files: tuple[str, ...] = ()
    node_files: tuple[str, ...] = ()
    per_positive: bool = False  # citation2's source/target/target_node_neg split format

    @property
    def dir_name(self) -> str:
        return self.name.replace("-", "_")

    @property
    def url(self) -> str:
        return OGB_URL.format(download_name=self.download_name)


_INFO = {
    "ogbl-ddi": _Info("ogbl-ddi", "ddi", "target", "hits@20", False, False),
    "ogbl-collab": _Info("ogbl-collab", "collab", "time", "hits@50", False, True,
                         edge_files=("edge_weight", "edge_year")),
    "ogbl-ppa": _Info("ogbl-ppa", "ppassoc", "throughput", "hits@100", False, True),
    "ogbl-citation2": _Info("ogbl-citation2", "citation-v2", "time", "mrr", True, True,
                            node_files=("node_year",), per_positive=True),
}

#: Each data set's standard evaluation metric (OGB's ``Evaluator``; NCN reports the same).
METRICS: dict[str, str] = {name: info.metric for name, info in _INFO.items()}

#: OGB's published sizes (paper table / ``Data`` objects): nodes, features, training edges
#: (one orientation), validation and test positives and negatives (citation2: negatives per positive).
PUBLISHED: dict[str, dict[str, int]] = {
    "ogbl-ddi": dict(num_nodes=4267, num_features=0, train=1_067_911, valid=133_489, valid_neg=101_882,
                     test=133_489, test_neg=95_599),
    "ogbl-collab": dict(num_nodes=235_868, num_features=128, train=1_179_052, valid=60_084,
                        valid_neg=100_000, test=46_329, test_neg=100_000),
    "ogbl-ppa": dict(num_nodes=576_289, num_features=58, train=21_231_931, valid=6_062_562,
                     valid_neg=3_000_000, test=3_031_780, test_neg=3_000_000),
    "ogbl-citation2": dict(num_nodes=2_927_963, num_features=128, train=30_387_995, valid=86_956,
                           valid_neg=1000, test=86_956, test_neg=1000),
}


# --------------------------------------------------------------------------- safe split files


def numpy_safe_globals() -> list:
    """The numpy globals a pickled plain numeric ndarray needs, for ``torch.serialization.safe_globals``.

    ``_reconstruct`` under both its numpy-1 (``numpy.core``) and numpy-2 (``numpy._core``)
    names, ``ndarray``, ``dtype`` and the concrete numeric dtype classes that ``BUILD``
    restores. No object arrays, no other callables.
    """
    core = np._core if hasattr(np, "_core") else np.core
    reconstruct = core.multiarray._reconstruct
    out: list = [np.ndarray, np.dtype, reconstruct]
    out += [(reconstruct, f"{mod}.multiarray._reconstruct") for mod in ("numpy.core", "numpy._core")]
    kinds = (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64,
             np.float16, np.float32, np.float64)
    out += list(dict.fromkeys(type(np.dtype(k)) for k in kinds))
    return out


_REFUSAL_DETAIL = re.compile(r"GLOBAL|Unsupported|Can only build|not an allowed|blocked")


def _load_split_file(path: Path) -> dict:
    """``torch.load(weights_only=True)`` with numpy arrays allowed; refuse everything else."""
    try:
        with torch.serialization.safe_globals(numpy_safe_globals()):
            obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        # torch's restricted unpickler refused something (a global, an opcode, a class to
        # build); truncation shows up as EOFError / RuntimeError instead
        msg = str(exc)
        detail = next((line.strip() for line in msg.splitlines() if _REFUSAL_DETAIL.search(line)), msg.strip())
        raise UnsafePickleError(
            f"{path}: refusing to load it ({detail}): OGB split files hold only numpy arrays or tensors, "
            f"and graphkit reads them with torch.load(weights_only=True) allowing just the numpy globals "
            f"such arrays need. If you trust this file, re-save it as a dict of tensors."
        ) from None
    except Exception as exc:
        raise ValueError(f"{path}: not a readable split file ({type(exc).__name__}: {exc}); it may be "
                         f"truncated or corrupt — download it again") from exc
    if not isinstance(obj, dict):
        raise ValueError(f"{path}: expected a dict of arrays, got {type(obj).__name__}")
    return obj


def _as_tensor(obj: dict, key: str, path: Path, *, integer: bool, ndim: int, cols: int | None = None) -> Tensor:
    if key not in obj:
        raise ValueError(f"{path}: missing key {key!r} (found {sorted(obj)})")
    value = obj[key]
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            raise ValueError(f"{path}[{key!r}]: object arrays are not supported")
        value = _tensor(value)
    if not isinstance(value, Tensor):
        raise ValueError(f"{path}[{key!r}]: expected an array, got {type(value).__name__}")
    if integer and (value.is_floating_point() or value.is_complex() or value.dtype == torch.bool):
        raise ValueError(f"{path}[{key!r}]: expected integer node ids, got dtype {value.dtype}")
    if ndim == 1 and value.dim() == 2 and value.size(1) == 1:
        value = value.view(-1)
    if value.dim() != ndim or (cols is not None and value.size(1) != cols):
        want = "[E]" if ndim == 1 else f"[E, {cols if cols is not None else 'K'}]"
        raise ValueError(f"{path}[{key!r}]: expected shape {want}, got {list(value.shape)}")
    return value.long() if integer else value


# --------------------------------------------------------------------------- CSV


def _read_csv(path: Path, dtype) -> np.ndarray:
    """A gzip CSV without header as a 2-D array; pandas' C parser when installed, else numpy."""
    try:
        try:
            import pandas as pd
        except ImportError:
            pd = None
        if pd is not None:
            arr = pd.read_csv(path, header=None, compression="gzip", dtype=dtype, engine="c").to_numpy()
        else:
            with gzip.open(path, "rt") as fh:
                arr = np.loadtxt(fh, delimiter=",", dtype=dtype, ndmin=2)
    except Exception as exc:
        raise ValueError(f"{path}: cannot parse ({type(exc).__name__}: {exc}); the file may be truncated "
                         f"or corrupt — download it again") from exc
    if arr.ndim != 2 or arr.shape[0] == 0:
        raise ValueError(f"{path}: expected a non-empty table, got shape {list(arr.shape)}")
    return arr


def _tensor(arr: np.ndarray) -> Tensor:
    """``torch.from_numpy`` of a C-contiguous, writable copy where needed (pandas may hand out read-only views)."""
    return torch.from_numpy(np.require(arr, requirements=["C", "W"]))


def _read_column(path: Path, dtype, rows: int) -> np.ndarray:
    arr = _read_csv(path, dtype)
    if arr.shape != (rows, 1):
        raise ValueError(f"{path}: expected {rows} rows of one value, got shape {list(arr.shape)}")
    return arr[:, 0]


def _read_count(path: Path) -> int:
    arr = _read_csv(path, np.int64)
    if arr.shape != (1, 1):
        raise ValueError(f"{path}: expected one number (a single graph), got shape {list(arr.shape)}")
    return int(arr[0, 0])


# --------------------------------------------------------------------------- layout and download


def _candidates(root: Path, info: _Info) -> list[Path]:
    return [root / info.name / info.dir_name, root / info.dir_name]


def _locate(root: Path, info: _Info) -> Path:
    """The first layout whose ``raw/edge.csv.gz`` exists, else the preferred one."""
    for cand in _candidates(root, info):
        if (cand / "raw" / "edge.csv.gz").is_file():
            return cand
    return _candidates(root, info)[0]


def _required(directory: Path, info: _Info) -> list[Path]:
    raw = directory / "raw"
    names = ["edge", "num-node-list", "num-edge-list"]
    names += ["node-feat"] if info.node_feat else []
    names += [*info.edge_files, *info.node_files]
    split = directory / "split" / info.split_type
    return [raw / f"{n}.csv.gz" for n in names] + [split / "valid.pt", split / "test.pt"]


def _how(root: Path, info: _Info) -> str:
    first, second = _candidates(root, info)
    return (f"Download {info.url} and unzip it so that its '{info.download_name}/' folder becomes "
            f"{first} (or {second}), or call load({info.name!r}, download=True). "
            f"split/{info.split_type}/train.pt is optional: without it the training edges are the "
            f"raw edge list.")


def _fetch(url: str, dest: Path) -> None:
    """Stream ``url`` to ``dest`` (a module function so tests can serve a local archive)."""
    import urllib.request

    from tqdm.auto import tqdm

    tmp = dest.with_name(f".{dest.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.part")  # private to this process
    try:
        with urllib.request.urlopen(url, timeout=60) as resp, tmp.open("wb") as fh:
            total = int(resp.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=dest.name, disable=None) as bar:
                while chunk := resp.read(1 << 20):
                    fh.write(chunk)
                    bar.update(len(chunk))
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ConnectionError(f"could not download {url} ({exc}); without internet, fetch it elsewhere "
                              f"and unzip it under the data root") from exc
    tmp.replace(dest)


def _extract(archive: Path, parent: Path, info: _Info) -> Path:
    """Unpack ``archive`` and move its top folder to ``parent/<dir_name>`` (existing files are kept)."""
    target = parent / info.dir_name
    with tempfile.TemporaryDirectory(dir=parent, prefix=f".{info.dir_name}-") as tmp:
        tmp_path = Path(tmp).resolve()
        try:
            with zipfile.ZipFile(archive) as zf:
                for member in zf.namelist():
                    dest = (tmp_path / member).resolve()
                    if dest != tmp_path and tmp_path not in dest.parents:
                        raise ValueError(f"{archive}: refusing archive member {member!r} outside the "
                                         f"extraction folder")
                zf.extractall(tmp_path)
        except zipfile.BadZipFile as exc:
            raise ValueError(f"{archive}: not a readable zip archive ({exc}); download it again") from exc
        tops = [tmp_path / n for n in (info.download_name, info.dir_name) if (tmp_path / n).is_dir()]
        if not tops:
            raise ValueError(f"{archive}: expected a top folder {info.download_name!r}, found "
                             f"{sorted(p.name for p in tmp_path.iterdir())}")
        top = tops[0]
        for src in sorted(top.rglob("*")):
            dst = target / src.relative_to(top)
            if src.is_dir():
                dst.mkdir(parents=True, exist_ok=True)
            elif not dst.exists():
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(str(src), dst)
    return target


def _download(root: Path, info: _Info) -> Path:
    parent = root / info.name
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PermissionError(f"cannot download {info.name}: {parent} is not writable ({exc}); pass a "
                              f"writable root= or unzip {info.url} there yourself") from exc
    archive = parent / f"{info.download_name}.zip"
    _fetch(info.url, archive)
    try:
        return _extract(archive, parent, info)
    finally:
        archive.unlink(missing_ok=True)


# --------------------------------------------------------------------------- build (cached)


def _pair_keys(pairs: Tensor, num_nodes: int, directed: bool) -> Tensor:
    row, col = pairs
    if not directed:
        row, col = torch.minimum(row, col), torch.maximum(row, col)
    return row * num_nodes + col


def _check_ids(t: Tensor, num_nodes: int, what: str) -> None:
    if t.numel() and (int(t.min()) < 0 or int(t.max()) >= num_nodes):
        raise ValueError(f"{what}: node ids must lie in [0, {num_nodes}), found range "
                         f"[{int(t.min())}, {int(t.max())}]")


def _build(directory: Path, info: _Info) -> dict:
    """Parse the raw files and split dicts into a dict of tensors (what :func:`cached` stores)."""
    raw = directory / "raw"
    split = directory / "split" / info.split_type
    num_nodes = _read_count(raw / "num-node-list.csv.gz")
    num_edges = _read_count(raw / "num-edge-list.csv.gz")
    edge_file = raw / "edge.csv.gz"
    edges = _read_csv(edge_file, np.int64)
    if edges.shape != (num_edges, 2):
        raise ValueError(f"{edge_file}: expected {num_edges} rows of 'u,v' (num-edge-list.csv.gz), got "
                         f"shape {list(edges.shape)}; the file may be truncated")
    graph = _tensor(edges.T)
    _check_ids(graph, num_nodes, str(edge_file))
    out: dict = {"num_nodes": num_nodes, "graph": graph, "x": None}

    if info.node_feat:
        feat_file = raw / "node-feat.csv.gz"
        x = _read_csv(feat_file, np.float32)
        if x.shape[0] != num_nodes:
            raise ValueError(f"{feat_file}: expected {num_nodes} rows (one per node), got {x.shape[0]}")
        if not np.isfinite(x).all():
            raise ValueError(f"{feat_file}: features contain NaN or inf")
        out["x"] = _tensor(x)
    for name in info.edge_files:  # edge_weight, edge_year (collab)
        dtype = np.float32 if name == "edge_weight" else np.int64
        out[name] = _tensor(_read_column(raw / f"{name}.csv.gz", dtype, num_edges))
    for name in info.node_files:  # node_year (citation2)
        out[name] = _tensor(_read_column(raw / f"{name}.csv.gz", np.int64, num_nodes))

    train_file = split / "train.pt"
    if train_file.is_file():
        train = _load_split_file(train_file)
        if info.per_positive:
            out["train_pos"] = torch.stack([
                _as_tensor(train, "source_node", train_file, integer=True, ndim=1),
                _as_tensor(train, "target_node", train_file, integer=True, ndim=1)])
        else:
            out["train_pos"] = _as_tensor(train, "edge", train_file, integer=True, ndim=2, cols=2).t().contiguous()
        _check_ids(out["train_pos"], num_nodes, str(train_file))
        if "weight" in train:
            out["train_weight"] = _as_tensor(train, "weight", train_file, integer=False, ndim=1).float()
        if "year" in train:
            out["train_year"] = _as_tensor(train, "year", train_file, integer=True, ndim=1)
        out["train_source"] = "train.pt"
    else:
        out["train_pos"] = graph
        for name in info.edge_files:
            out[name.replace("edge_", "train_")] = out[name]
        out["train_source"] = "raw"

    for stage in ("valid", "test"):
        path = split / f"{stage}.pt"
        d = _load_split_file(path)
        if info.per_positive:
            src = _as_tensor(d, "source_node", path, integer=True, ndim=1)
            dst = _as_tensor(d, "target_node", path, integer=True, ndim=1)
            neg = _as_tensor(d, "target_node_neg", path, integer=True, ndim=2)
            if src.numel() != dst.numel() or neg.size(0) != src.numel():
                raise ValueError(f"{path}: source_node {list(src.shape)}, target_node {list(dst.shape)} "
                                 f"and target_node_neg {list(neg.shape)} must have the same length")
            pos = torch.stack([src, dst])
            _check_ids(neg, num_nodes, f"{path}['target_node_neg']")
            out[f"{stage}_neg_targets"] = neg.contiguous()
        else:
            pos = _as_tensor(d, "edge", path, integer=True, ndim=2, cols=2).t().contiguous()
            out[f"{stage}_neg"] = _as_tensor(d, "edge_neg", path, integer=True, ndim=2, cols=2).t().contiguous()
            _check_ids(out[f"{stage}_neg"], num_nodes, f"{path}['edge_neg']")
        _check_ids(pos, num_nodes, f"{path}")
        out[f"{stage}_pos"] = pos
        for key, integer in (("weight", False), ("year", True)):
            if key in d:
                value = _as_tensor(d, key, path, integer=integer, ndim=1)
                out[f"{stage}_{key}"] = value if integer else value.float()

    # torch.isin is slow here (1.3 s on ddi); one sort plus binary searches is ~20x faster
    train_keys = torch.sort(_pair_keys(graph, num_nodes, info.directed)).values
    for stage in ("valid", "test"):
        keys = _pair_keys(out[f"{stage}_pos"], num_nodes, info.directed)
        idx = torch.searchsorted(train_keys, keys).clamp_max(max(train_keys.numel() - 1, 0))
        out[f"{stage}_in_train"] = int((train_keys[idx] == keys).sum()) if train_keys.numel() else 0
    return out


# --------------------------------------------------------------------------- assembly


def _check_published(data: dict, info: _Info, directory: Path) -> None:
    pub = PUBLISHED[info.name]
    found = {
        "num_nodes": data["num_nodes"],
        "num_features": 0 if data["x"] is None else data["x"].size(1),
        "train": data["train_pos"].size(1),
        "valid": data["valid_pos"].size(1),
        "test": data["test_pos"].size(1),
    }
    if info.per_positive:
        found["valid_neg"] = data["valid_neg_targets"].size(1)
        found["test_neg"] = data["test_neg_targets"].size(1)
    else:
        found["valid_neg"] = data["valid_neg"].size(1)
        found["test_neg"] = data["test_neg"].size(1)
    wrong = [f"{k}: expected {pub[k]:,}, found {found[k]:,}" for k in pub if found[k] != pub[k]]
    if wrong:
        raise ValueError(f"{info.name} at {directory} does not match OGB's published counts "
                         f"({'; '.join(wrong)}). The files may be incomplete or from another version; "
                         f"pass check_counts=False to load a modified or miniature copy.")


def _both(t: Tensor) -> Tensor:
    return torch.cat([t, t.flip(0)], dim=1)


def _assemble(data: dict, info: _Info, use_valedges_as_input: bool) -> LinkSplit:
    graph = data["graph"]
    extra: dict = {"metric": info.metric, "split_type": info.split_type, "train_source": data["train_source"],
                   "valid_in_train": data["valid_in_train"], "test_in_train": data["test_in_train"]}
    for name in info.edge_files:  # aligned with edge_index = cat([E, E.flip(0)])
        extra[name] = torch.cat([data[name], data[name]])
    for name in info.node_files:
        extra[name] = data[name]
    for stage in ("train", "valid", "test"):
        for key in ("weight", "year"):
            if f"{stage}_{key}" in data:
                extra[f"{stage}_{key}"] = data[f"{stage}_{key}"]

    neg_per_positive = None
    if info.per_positive:
        negs = {}
        for stage in ("valid", "test"):
            targets = data[f"{stage}_neg_targets"]
            k = targets.size(1)
            source = data[f"{stage}_pos"][0].repeat_interleave(k)
            negs[stage] = torch.stack([source, targets.reshape(-1)])
        neg_per_positive = data["valid_neg_targets"].size(1)
        if data["test_neg_targets"].size(1) != neg_per_positive:
            raise ValueError(f"{info.name}: valid and test have different numbers of negatives per "
                             f"positive ({neg_per_positive} vs {data['test_neg_targets'].size(1)})")
        valid_neg, test_neg = negs["valid"], negs["test"]
    else:
        valid_neg, test_neg = data["valid_neg"], data["test_neg"]

    edge_index = _both(graph)
    test_edge_index = None
    if use_valedges_as_input:
        test_edge_index = torch.cat([edge_index, _both(data["valid_pos"])], dim=1)
        for name in info.edge_files:
            stage_key = name.replace("edge_", "valid_")
            if stage_key in data:
                extra[f"test_{name}"] = torch.cat([extra[name], data[stage_key], data[stage_key]])
    return LinkSplit(
        num_nodes=data["num_nodes"],
        x=data["x"],
        edge_index=edge_index,
        train_pos=data["train_pos"],
        valid_pos=data["valid_pos"],
        valid_neg=valid_neg,
        test_pos=data["test_pos"],
        test_neg=test_neg,
        test_edge_index=test_edge_index,
        neg_per_positive=neg_per_positive,
        name=info.name,
        extra=extra,
    )


def load_ogbl(
    name: str,
    root: str | os.PathLike | None = None,
    *,
    use_valedges_as_input: bool | None = None,
    download: bool = False,
    check_counts: bool = True,
) -> LinkSplit:
    """Load an OGB link-prediction data set as a :class:`~graphkit.datasets.LinkSplit`.

    See the module docstring for the layout, the protocol per data set and what
    each field holds. ``graphkit.datasets.load('ogbl-ddi', root=...)`` calls this.

    Args:
        name: ``'ogbl-ddi'``, ``'ogbl-collab'``, ``'ogbl-ppa'`` or ``'ogbl-citation2'``.
        root: data root; defaults to ``$GRAPHKIT_DATA``, else ``~/.cache/graphkit``.
        use_valedges_as_input: add the validation positives to the graph used for the
            test predictions (``LinkSplit.test_edge_index``). ``None`` (default): ``True``
            for ogbl-collab, ``False`` otherwise.
        download: fetch OGB's archive when the files are absent (never by default).
        check_counts: compare the sizes with OGB's published ones (:data:`PUBLISHED`) and
            raise ``ValueError`` on a mismatch.

    Raises:
        FileNotFoundError: raw files missing (the message lists them and says how to get them).
        ValueError: a file is truncated or corrupt, or the counts do not match.
        UnsafePickleError: a split file references anything but numpy arrays / tensors.
    """
    key = name.lower()
    if key not in _INFO:
        raise ValueError(f"unknown OGB link data set {name!r}; valid names: {', '.join(_INFO)}")
    info = _INFO[key]
    for opt, value in (("download", download), ("check_counts", check_counts)):
        if not isinstance(value, bool):
            raise TypeError(f"{opt} must be True or False, got {value!r}")
    if use_valedges_as_input is None:
        use_valedges_as_input = info.name == "ogbl-collab"
    elif not isinstance(use_valedges_as_input, bool):
        raise TypeError(f"use_valedges_as_input must be None, True or False, got {use_valedges_as_input!r}")

    root = data_root(root)
    directory = _locate(root, info)
    files = _required(directory, info)
    if download and not all(f.is_file() for f in files):
        directory = _download(root, info)
        files = _required(directory, info)
    require(files, dataset=info.name, how=_how(root, info))
    train_file = directory / "split" / info.split_type / "train.pt"
    if train_file.is_file():
        files.append(train_file)

    data = cached(info.name, files, lambda: _build(directory, info), version=_FORMAT_VERSION)
    if check_counts:
        _check_published(data, info, directory)
    return _assemble(data, info, use_valedges_as_input)


def _make_loader(info: _Info):
    def loader(root: Path, *, use_valedges_as_input: bool | None = None, download: bool = False,
               check_counts: bool = True) -> LinkSplit:
        return load_ogbl(info.name, root, use_valedges_as_input=use_valedges_as_input, download=download,
                         check_counts=check_counts)

    loader.__name__ = loader.__qualname__ = f"load_{info.dir_name}"
    loader.__doc__ = f"``{info.name}`` (metric {info.metric}); see :func:`load_ogbl`."
    return loader


_DESCRIPTIONS = {
    "ogbl-ddi": "OGB drug-drug interaction graph, 4,267 nodes, no features; Hits@20",
    "ogbl-collab": "OGB author collaboration graph, 235,868 nodes, 128-d features, time split, validation "
                   "edges join the test graph; Hits@50",
    "ogbl-ppa": "OGB protein association graph, 576,289 nodes, 58-d one-hot features; Hits@100",
    "ogbl-citation2": "OGB directed citation graph, 2,927,963 nodes, 128-d features, 1000 negatives per "
                      "positive; MRR",
}

for _info in _INFO.values():
    register(_info.name, task="link", description=_DESCRIPTIONS[_info.name])(_make_loader(_info))
