"""Safe, offline reading of raw data files and a tensor cache for processed results.

Three things every loader needs:

- :func:`require` checks that raw files exist and otherwise raises
  ``FileNotFoundError`` naming every missing path and how to obtain it.
- :func:`safe_pickle_load` / :func:`safe_np_load` read pickles and ``.npz`` /
  ``.npy`` files through a **restricted unpickler** that admits only the
  numpy, scipy and builtin globals real benchmark files need
  (:data:`ALLOWED_GLOBALS`) and refuses anything else. This is stricter than
  PyG and ogb, which call plain ``pickle.load`` / ``np.load(allow_pickle=True)``:
  a pickle can run arbitrary code, and raw files come from the internet.
- :func:`cached` stores a loader's processed tensors under
  :func:`~graphkit.datasets.registry.cache_dir`, keyed by the size and mtime
  of the raw files and a format version, and reads them back with
  ``torch.load(weights_only=True)``. The raw root may be read-only. A cache is
  written to a private temporary file and renamed into place, so a killed
  process never leaves a half-written cache that a later load trusts, and two
  processes loading the same data set at once both succeed.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import pickle
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch

from graphkit.datasets.registry import cache_dir

# (module, name) pairs a benchmark pickle may reference. Python-2 pickles name
# `__builtin__` and `copy_reg`; numpy 2 moved `numpy.core` to `numpy._core`;
# scipy moved `scipy.sparse.csr` to `scipy.sparse._csr`. Each alias maps to
# the object in the installed version.
ALLOWED_GLOBALS: dict[tuple[str, str], Callable[[], Any]] = {}


def _allow(names: Iterable[tuple[str, str]], resolve: Callable[[], Any]) -> None:
    for key in names:
        ALLOWED_GLOBALS[key] = resolve


def _numpy_attr(path: str):
    def get():
        mod = np
        for part in path.split("."):
            mod = getattr(mod, part)
        return mod

    return get


def _scipy_sparse(name: str):
    def get():
        import scipy.sparse

        return getattr(scipy.sparse, name)

    return get


def _builtin(name: str):
    import builtins

    return lambda: getattr(builtins, name)


_allow([("numpy", "ndarray")], lambda: np.ndarray)
_allow([("numpy", "dtype")], lambda: np.dtype)
for _mod in ("numpy.core.multiarray", "numpy._core.multiarray"):
    _allow([(_mod, "_reconstruct")], _numpy_attr("_core.multiarray._reconstruct"
                                                 if hasattr(np, "_core") else "core.multiarray._reconstruct"))
    _allow([(_mod, "scalar")], _numpy_attr("_core.multiarray.scalar"
                                           if hasattr(np, "_core") else "core.multiarray.scalar"))
for _kind in ("csr", "csc", "coo"):
    for _mod in (f"scipy.sparse.{_kind}", f"scipy.sparse._{_kind}"):
        _allow([(_mod, f"{_kind}_matrix")], _scipy_sparse(f"{_kind}_matrix"))
_allow([("collections", "defaultdict")], lambda: __import__("collections").defaultdict)
_allow([("collections", "OrderedDict")], lambda: __import__("collections").OrderedDict)
for _mod in ("builtins", "__builtin__"):
    for _name in ("list", "set", "dict", "tuple", "int", "float", "str", "frozenset", "bytearray", "object"):
        _allow([(_mod, _name)], _builtin(_name))
_allow([("_codecs", "encode")], lambda: __import__("codecs").encode)
for _mod in ("copyreg", "copy_reg"):
    _allow([(_mod, "_reconstructor")], lambda: __import__("copyreg")._reconstructor)


class UnsafePickleError(pickle.UnpicklingError):
    """Raised when a pickle references a global outside :data:`ALLOWED_GLOBALS`."""


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that resolves only allow-listed globals."""

    def __init__(self, file, *, source: str = "<pickle>", **kwargs):
        super().__init__(file, **kwargs)
        self._source = source

    def find_class(self, module: str, name: str):
        resolve = ALLOWED_GLOBALS.get((module, name))
        if resolve is None:
            raise UnsafePickleError(
                f"{self._source}: refusing to load global '{module}.{name}': graphkit only unpickles "
                f"numpy arrays, scipy sparse matrices and builtin containers. If you trust this file, "
                f"convert it to .npz without objects first."
            )
        return resolve()


def safe_pickle_load(path: str | Path, *, encoding: str = "latin1") -> Any:
    """Unpickle ``path`` with :class:`RestrictedUnpickler` (``latin1`` reads Python-2 pickles)."""
    path = Path(path)
    with path.open("rb") as fh:
        try:
            return RestrictedUnpickler(fh, source=str(path), encoding=encoding).load()
        except UnsafePickleError:
            raise
        except Exception as exc:
            raise ValueError(f"{path}: not a readable pickle ({type(exc).__name__}: {exc}); "
                             f"the file may be truncated or corrupt — download it again") from exc


def _safe_npy(fh, source: str) -> np.ndarray:
    version = np.lib.format.read_magic(fh)
    read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                   else np.lib.format.read_array_header_2_0)
    shape, fortran, dtype = read_header(fh)
    if not dtype.hasobject:
        count = int(np.prod(shape)) if shape else 1
        data = fh.read(count * dtype.itemsize)
        if len(data) != count * dtype.itemsize:
            raise ValueError(f"{source}: truncated array (expected {count * dtype.itemsize} bytes, "
                             f"got {len(data)})")
        array = np.frombuffer(data, dtype=dtype, count=count).copy()
        return array.reshape(shape, order="F" if fortran else "C")
    obj = RestrictedUnpickler(fh, source=source, encoding="latin1").load()
    return obj


def safe_np_load(path: str | Path) -> np.ndarray | dict[str, np.ndarray]:
    """Load ``.npy`` (an array) or ``.npz`` (a dict of arrays); object arrays go through the
    restricted unpickler instead of ``allow_pickle=True``."""
    path = Path(path)
    try:
        if zipfile.is_zipfile(path):
            out = {}
            with zipfile.ZipFile(path) as zf:
                for member in zf.namelist():
                    key = member[:-4] if member.endswith(".npy") else member
                    with zf.open(member) as fh:
                        out[key] = _safe_npy(io.BytesIO(fh.read()), f"{path}[{key}]")
            return out
        with path.open("rb") as fh:
            return _safe_npy(fh, str(path))
    except UnsafePickleError:
        raise
    except FileNotFoundError:
        raise
    except Exception as exc:
        raise ValueError(f"{path}: not a readable .npy/.npz file ({type(exc).__name__}: {exc}); "
                         f"it may be truncated or corrupt — download it again") from exc


def _format_name(value) -> str:
    value = value.item() if isinstance(value, np.ndarray) else value
    return value.decode() if isinstance(value, bytes) else str(value)


def read_sparse_npz(path: str | Path) -> sp.csr_matrix:
    """Read a ``scipy.sparse.save_npz`` archive (csr, csc or coo) without pickle, as CSR.

    Duplicate COO entries are summed, as ``scipy.sparse.load_npz(...).tocsr()`` does.
    Raises ``ValueError`` naming the file when it is not such an archive or is inconsistent.
    """
    path = Path(path)
    arrays = safe_np_load(path)
    if not isinstance(arrays, dict):
        raise ValueError(f"{path}: expected a scipy.sparse.save_npz archive (.npz), found a plain .npy array")
    if "format" not in arrays or "shape" not in arrays:
        raise ValueError(f"{path}: not a scipy.sparse.save_npz archive (keys {sorted(arrays)}; "
                         f"expected 'format', 'shape' and the matrix arrays)")
    fmt = _format_name(arrays["format"])
    needed = {"csr": ("data", "indices", "indptr"), "csc": ("data", "indices", "indptr"),
              "coo": ("data", "row", "col")}.get(fmt)
    if needed is None:
        raise ValueError(f"{path}: unsupported sparse format {fmt!r} (expected csr, csc or coo)")
    missing = [k for k in needed if k not in arrays]
    if missing:
        raise ValueError(f"{path}: {fmt} archive lacks {missing}")
    try:
        shape = tuple(int(s) for s in np.asarray(arrays["shape"]).ravel())
        if len(shape) != 2 or min(shape) < 0:
            raise ValueError(f"bad shape {shape}")
        if fmt == "coo":
            mat = sp.coo_matrix((arrays["data"], (arrays["row"], arrays["col"])), shape=shape).tocsr()
        else:
            cls = sp.csr_matrix if fmt == "csr" else sp.csc_matrix
            mat = cls((arrays["data"], arrays["indices"], arrays["indptr"]), shape=shape)
            mat.check_format(full_check=True)
            mat = mat.tocsr()
    except Exception as exc:
        raise ValueError(f"{path}: inconsistent {fmt} sparse matrix ({type(exc).__name__}: {exc}); "
                         f"the file may be truncated or corrupt — download it again") from exc
    mat.sum_duplicates()
    return mat


def check_counts(dataset: str, got, expected, *, source: str = "the raw files") -> None:
    """Raise ``ValueError`` when any published count (a dataclass or mapping; ``None`` = unchecked)
    differs from what was loaded; the message lists every mismatch."""
    got = asdict(got) if is_dataclass(got) else dict(got)
    expected = asdict(expected) if is_dataclass(expected) else dict(expected)
    wrong = {k: (v, got[k]) for k, v in expected.items() if v is not None and got[k] != v}
    if wrong:
        detail = ", ".join(f"{k}: expected {e}, got {g}" for k, (e, g) in wrong.items())
        raise ValueError(f"data set {dataset!r}: {source} do not match the published counts ({detail}); "
                         f"they are corrupt, truncated or not the originals — download them again.")


def require(paths: Iterable[Path], *, dataset: str, how: str) -> None:
    """Raise ``FileNotFoundError`` listing every missing path, with how to obtain the files."""
    missing = [str(p) for p in paths if not Path(p).is_file()]
    if missing:
        listing = "\n  ".join(missing)
        raise FileNotFoundError(
            f"data set {dataset!r}: raw file(s) not found:\n  {listing}\n{how}\n"
            f"Set GRAPHKIT_DATA or pass root= to point at the folder that holds them."
        )


def _fingerprint(files: Iterable[Path], options: dict, version: int) -> str:
    h = hashlib.sha256()
    h.update(json.dumps({"options": options, "version": version}, sort_keys=True, default=str).encode())
    for f in sorted(Path(p) for p in files):
        st = f.stat()
        h.update(f"{f.resolve()}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:20]


def cached(name: str, files: Iterable[Path], build: Callable[[], dict[str, Any]], *,
           options: dict | None = None, version: int = 1) -> dict[str, Any]:
    """Return ``build()``'s dict of tensors, from the cache when the raw files are unchanged.

    The key hashes each raw file's path, size and mtime, the ``options`` and a
    format ``version`` (bump it when the processing changes). Values must be
    what ``torch.load(weights_only=True)`` accepts: tensors, numbers, strings
    and containers of them. A corrupt cache file is rebuilt, never trusted.
    """
    files = list(files)
    path = cache_dir() / f"{name}-{_fingerprint(files, options or {}, version)}.pt"
    if path.is_file():
        try:
            return torch.load(path, weights_only=True)
        except Exception:
            # a corrupt or foreign file: rebuilt below, never trusted (and only ever replaced atomically)
            pass
    out = build()
    _write_atomically(path, out)
    return out


def _write_atomically(path: Path, value) -> None:
    """``torch.save`` to a private temporary file in ``path``'s folder, then rename it onto ``path``.

    A process killed mid-write leaves only a ``.tmp`` file that no load reads; two
    processes writing the same cache each rename a whole file (the last one wins,
    both are identical). An unwritable cache folder warns and leaves no cache.
    """
    fd, tmp_name = None, None
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fd = None
            torch.save(value, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp_name, path)  # atomic: a concurrent reader never sees half a file
        tmp_name = None
    except (OSError, RuntimeError) as exc:
        warnings.warn(f"could not write the processed cache {path} ({type(exc).__name__}: {exc}); the data set is "
                      f"loaded but not cached, so the next load processes the raw files again. Set "
                      f"GRAPHKIT_CACHE to a writable directory to cache it.", CacheWarning, stacklevel=3)
    finally:
        if fd is not None:
            os.close(fd)
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)


class CacheWarning(UserWarning):
    """A processed cache could not be written (the data set still loads)."""
