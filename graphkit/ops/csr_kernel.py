r"""A CSR x dense product :math:`Y = S X` on the CPU with a small compiled gather kernel.

:math:`Y_{i\cdot} = \sum_{j} s_{ij} X_{j\cdot}` over the stored entries of row
:math:`i` (empty rows give 0). This is the product FastRP's power sum spends its time
in: at 1M nodes, 20M stored entries and 128 columns every product gathers 20M rows
of :math:`X` (512 bytes each, about 10 GB) in random order, and torch's CPU path
(MKL's CSR kernel) waits one DRAM latency per gathered row. The kernel here issues
software prefetches for the rows of the entries a fixed distance ahead
(``__builtin_prefetch`` of every cache line of :math:`X_{c_{j+D}\cdot}`), so that
several gathers are in flight per thread.

How it is built and run:

* The C++ source below is compiled on first use with the system compiler (``$CXX``,
  else Python's configured ``CXX``, else ``c++`` / ``g++``), ``-O3``, into a shared
  library cached under ``$GRAPHKIT_CACHE/kernels`` (else ``~/.cache/graphkit/kernels``,
  else a per-user folder in the temp directory), named by a hash of the source, the
  compiler's version, the flags and the CPU flags (``-march=native``). It is written
  to a temporary file and renamed, so concurrent processes never load a half-written
  library. No new dependency: only ``ctypes`` and a C++ compiler, and nothing is
  required; no ``ninja``, no torch extension machinery.
* Threads are ``std::thread`` (no OpenMP runtime beside torch's), as many as
  ``torch.get_num_threads()`` (the count graphkit's thread policy sets), one for small
  products; rows are handed out in chunks of about equal stored entries from a shared
  counter, so a thread that the OS deschedules on a busy core does not hold the
  others up. ``ctypes`` releases the GIL during the call.
* :func:`sparse_dense_mm` falls back to ``torch.addmm`` (torch's MKL path) when the
  kernel is off, cannot be built (no compiler, a failed build: one debug log line),
  or the operands are not what it handles: not on the CPU, not float32 / float64,
  ``X`` needing grad. The kernel is switched off by ``GRAPHKIT_CSR_KERNEL=0`` in the
  environment or :func:`set_enabled` ``(False)``.

:func:`sparse_dense_merge` is the same product for a block of rows with FastRP's merge
step fused in (``out = o + w_s nu(X_rows) + w nu(S_rows X)``, row norms in float64), so
that the product's rows are used while they are in registers instead of in three
further passes over the block.

Numerics: each output element is the sum of its row's terms in stored order with
fused multiply-adds where the CPU has them, in the dtype of the operands; MKL sums in
a different order, so the two agree to float32 round-off, not bit for bit.

Complexity: :math:`O(\mathrm{nnz}(S) \cdot d + n d)` time, no memory beyond the output.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import threading
from pathlib import Path

import torch
from torch import Tensor

from graphkit.ops.csr import sparse_csr_tensor

__all__ = ["available", "enabled", "set_enabled", "sparse_dense_merge", "sparse_dense_mm"]

log = logging.getLogger(__name__)

#: products with fewer multiply-adds than this (stored entries x columns) run on one thread
SMALL_PRODUCT = 1 << 20
#: stored entries ahead whose rows of X are prefetched
PREFETCH_DISTANCE = 16

_SOURCE = r"""
// graphkit CSR x dense kernel: Y[r] = sum_j val[j] * X[col[j]] for rows r of a CSR matrix.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>
#if defined(__AVX__)
#include <immintrin.h>
#endif

namespace {

template <typename F>
inline void prefetch_row(const F* row, int64_t bytes) {
    // every cache line the row touches (a row need not start on a line)
    const uintptr_t first = (uintptr_t)row & ~(uintptr_t)63;
    const uintptr_t last = ((uintptr_t)row + bytes - 1) & ~(uintptr_t)63;
    for (uintptr_t a = first; a <= last; a += 64) __builtin_prefetch((const void*)a, 0, 3);
}

// y[0:D] = acc, with non-temporal stores when asked and possible (a full product's rows are not
// read again soon: writing around the cache saves reading the output lines in first)
template <typename F, int D>
inline void store_row(F* y, const F* acc, bool stream) {
#if defined(__AVX__)
    if (stream && ((uintptr_t)y & 31) == 0) {
        if constexpr (sizeof(F) == 4) {
            for (int k = 0; k < D; k += 8) _mm256_stream_ps((float*)y + k, _mm256_load_ps((const float*)acc + k));
        } else {
            for (int k = 0; k < D; k += 4) _mm256_stream_pd((double*)y + k, _mm256_load_pd((const double*)acc + k));
        }
        return;
    }
#endif
    (void)stream;
    std::memcpy(y, acc, sizeof(F) * D);
}

inline void store_fence() {
#if defined(__AVX__)
    _mm_sfence();
#endif
}

// what a merged product adds (gk_csr_dense_merge): out[r] = o + w_self nu(self[r]) + w_y nu(acc), with
// o = 0 (out_mode 0: out is not read), out[r] (1) or w_out nu(out[r]) (2); nu = x / ||x|| (0 for 0) or x
template <typename F>
struct Merge {
    const F* self;
    int64_t lds;
    int out_mode;
    double w_out, w_self, w_y;
    bool normalize;
};

template <typename F, int D>
inline F row_scale(const F* row, double w, bool normalize) {
    if (!normalize) return (F)w;
    double sq = 0;
    for (int k = 0; k < D; ++k) sq += (double)row[k] * (double)row[k];
    return sq > 0 ? (F)(w / std::sqrt(sq)) : F(0);
}

template <typename F, int D>
inline void merge_row(F* y, const F* self, const F* acc, const Merge<F>* m) {
    alignas(64) F res[D];
    if (m->out_mode == 0) {
        for (int k = 0; k < D; ++k) res[k] = F(0);
    } else {
        const F so = m->out_mode == 1 ? F(1) : row_scale<F, D>(y, m->w_out, m->normalize);
        for (int k = 0; k < D; ++k) res[k] = so * y[k];
    }
    if (m->w_self != 0) {
        const F ss = row_scale<F, D>(self, m->w_self, m->normalize);
        for (int k = 0; k < D; ++k) res[k] += ss * self[k];
    }
    if (m->w_y != 0) {
        const F sy = row_scale<F, D>(acc, m->w_y, m->normalize);
        for (int k = 0; k < D; ++k) res[k] += sy * acc[k];
    }
    std::memcpy(y, res, sizeof(F) * D);
}

// D > 0: the row width known at compile time, summed in a local (register / L1) accumulator
template <typename I, typename F, int D>
void rows_fixed(const I* crow, const I* col, const F* val, const F* x, int64_t ldx, F* out, int64_t ldo,
                int64_t r0, int64_t r1, int64_t dist, int64_t end, bool stream, const Merge<F>* merge) {
    alignas(64) F acc[D];
    for (int64_t r = r0; r < r1; ++r) {
        const int64_t e0 = (int64_t)crow[r], e1 = (int64_t)crow[r + 1];
        for (int k = 0; k < D; ++k) acc[k] = F(0);
        for (int64_t j = e0; j < e1; ++j) {
            if (j + dist < end) prefetch_row(x + (int64_t)col[j + dist] * ldx, D * (int64_t)sizeof(F));
            const F v = val[j];
            const F* __restrict xr = x + (int64_t)col[j] * ldx;
            for (int k = 0; k < D; ++k) acc[k] += v * xr[k];
        }
        if (merge != nullptr) merge_row<F, D>(out + r * ldo, merge->self + r * merge->lds, acc, merge);
        else store_row<F, D>(out + r * ldo, acc, stream);
    }
}

// any row width: summed in place in the output row
template <typename I, typename F>
void rows_any(const I* crow, const I* col, const F* val, const F* x, int64_t ldx, F* out, int64_t ldo,
              int64_t d, int64_t r0, int64_t r1, int64_t dist, int64_t end) {
    const int64_t bytes = d * (int64_t)sizeof(F);
    for (int64_t r = r0; r < r1; ++r) {
        F* __restrict y = out + r * ldo;
        const int64_t e0 = (int64_t)crow[r], e1 = (int64_t)crow[r + 1];
        for (int64_t k = 0; k < d; ++k) y[k] = F(0);
        for (int64_t j = e0; j < e1; ++j) {
            if (bytes > 0 && j + dist < end) prefetch_row(x + (int64_t)col[j + dist] * ldx, bytes);
            const F v = val[j];
            const F* __restrict xr = x + (int64_t)col[j] * ldx;
            for (int64_t k = 0; k < d; ++k) y[k] += v * xr[k];
        }
    }
}

template <typename I, typename F>
void rows(const I* crow, const I* col, const F* val, const F* x, int64_t ldx, F* out, int64_t ldo,
          int64_t d, int64_t r0, int64_t r1, int64_t dist, int64_t end, bool stream, const Merge<F>* merge) {
    if (d == 128) rows_fixed<I, F, 128>(crow, col, val, x, ldx, out, ldo, r0, r1, dist, end, stream, merge);
    else if (d == 64) rows_fixed<I, F, 64>(crow, col, val, x, ldx, out, ldo, r0, r1, dist, end, stream, merge);
    else if (d == 256) rows_fixed<I, F, 256>(crow, col, val, x, ldx, out, ldo, r0, r1, dist, end, stream, merge);
    else rows_any<I, F>(crow, col, val, x, ldx, out, ldo, d, r0, r1, dist, end);  // merge: never called
}

template <typename I, typename F>
int run(int64_t n, int64_t d, const void* crow_, const void* col_, const void* val_, const void* x_, int64_t ldx,
        void* out_, int64_t ldo, int threads, int64_t dist, bool stream, const Merge<F>* merge = nullptr) {
    const I* crow = (const I*)crow_;
    const I* col = (const I*)col_;
    const F* val = (const F*)val_;
    const F* x = (const F*)x_;
    F* out = (F*)out_;
    if (n <= 0) return 0;
    const int64_t base = (int64_t)crow[0], end = (int64_t)crow[n];
    const int64_t nnz = end - base;
    if (threads < 1) threads = 1;
    // chunks of about equal entries (+ rows, so that empty rows count), handed out from a counter
    const int64_t chunks = threads == 1 ? 1 : std::min<int64_t>(n, 16 * (int64_t)threads);
    std::vector<int64_t> bound(chunks + 1);
    const int64_t work = nnz + n;
    bound[0] = 0;
    for (int64_t c = 1; c < chunks; ++c) {
        const int64_t target = work * c / chunks;  // first row r with crow[r] - base + r >= target
        int64_t lo = bound[c - 1], hi = n;
        while (lo < hi) {
            const int64_t mid = (lo + hi) / 2;
            if ((int64_t)crow[mid] - base + mid < target) lo = mid + 1; else hi = mid;
        }
        bound[c] = lo;
    }
    bound[chunks] = n;
    std::atomic<int64_t> next(0);
    auto worker = [&]() {
        for (;;) {
            const int64_t c = next.fetch_add(1);
            if (c >= chunks) break;
            rows<I, F>(crow, col, val, x, ldx, out, ldo, d, bound[c], bound[c + 1], dist, end, stream, merge);
        }
        if (stream) store_fence();  // this thread's streamed rows are visible before it is joined
    };
    const int spawn = (int)std::min<int64_t>(threads, chunks) - 1;
    std::vector<std::thread> pool;
    pool.reserve(spawn);
    try {
        for (int t = 0; t < spawn; ++t) pool.emplace_back(worker);
    } catch (...) {
        // could not start a thread: the threads that did start and this one finish the work
    }
    worker();
    for (auto& t : pool) t.join();
    return 0;
}

}  // namespace

extern "C" int gk_csr_dense_mm(int64_t n, int64_t d, const void* crow, const void* col, int index_bytes,
                               const void* val, const void* x, int64_t ldx, void* out, int64_t ldo,
                               int value_bytes, int threads, int64_t dist, int stream) {
    if (index_bytes == 4 && value_bytes == 4)
        return run<int32_t, float>(n, d, crow, col, val, x, ldx, out, ldo, threads, dist, stream != 0);
    if (index_bytes == 8 && value_bytes == 4)
        return run<int64_t, float>(n, d, crow, col, val, x, ldx, out, ldo, threads, dist, stream != 0);
    if (index_bytes == 4 && value_bytes == 8)
        return run<int32_t, double>(n, d, crow, col, val, x, ldx, out, ldo, threads, dist, stream != 0);
    if (index_bytes == 8 && value_bytes == 8)
        return run<int64_t, double>(n, d, crow, col, val, x, ldx, out, ldo, threads, dist, stream != 0);
    return -1;
}

template <typename I, typename F>
int merge_run(int64_t n, int64_t d, const void* crow, const void* col, const void* val, const void* x, int64_t ldx,
              void* out, int64_t ldo, int threads, int64_t dist, const void* self, int64_t lds, int out_mode,
              double w_out, double w_self, double w_y, int normalize) {
    if (d != 64 && d != 128 && d != 256) return -2;
    const Merge<F> m{(const F*)self, lds, out_mode, w_out, w_self, w_y, normalize != 0};
    return run<I, F>(n, d, crow, col, val, x, ldx, out, ldo, threads, dist, false, &m);
}

// out[r] = o + w_self nu(self[r]) + w_y nu((S X)[r]) for the n rows of S from crow (see Merge); d 64, 128 or 256
extern "C" int gk_csr_dense_merge(int64_t n, int64_t d, const void* crow, const void* col, int index_bytes,
                                  const void* val, const void* x, int64_t ldx, void* out, int64_t ldo,
                                  int value_bytes, int threads, int64_t dist, const void* self, int64_t lds,
                                  int out_mode, double w_out, double w_self, double w_y, int normalize) {
    if (index_bytes == 4 && value_bytes == 4)
        return merge_run<int32_t, float>(n, d, crow, col, val, x, ldx, out, ldo, threads, dist, self, lds,
                                         out_mode, w_out, w_self, w_y, normalize);
    if (index_bytes == 8 && value_bytes == 4)
        return merge_run<int64_t, float>(n, d, crow, col, val, x, ldx, out, ldo, threads, dist, self, lds,
                                         out_mode, w_out, w_self, w_y, normalize);
    if (index_bytes == 4 && value_bytes == 8)
        return merge_run<int32_t, double>(n, d, crow, col, val, x, ldx, out, ldo, threads, dist, self, lds,
                                          out_mode, w_out, w_self, w_y, normalize);
    if (index_bytes == 8 && value_bytes == 8)
        return merge_run<int64_t, double>(n, d, crow, col, val, x, ldx, out, ldo, threads, dist, self, lds,
                                          out_mode, w_out, w_self, w_y, normalize);
    return -1;
}

extern "C" int gk_csr_kernel_version() { return 4; }
"""

_FLAGS = ["-O3", "-march=native", "-std=c++17", "-shared", "-fPIC", "-pthread", "-fno-math-errno"]

_enabled = os.environ.get("GRAPHKIT_CSR_KERNEL", "1").strip().lower() not in ("0", "false", "off", "no")
_lock = threading.Lock()
_library: ctypes.CDLL | None = None
_tried = False


def enabled() -> bool:
    """Whether :func:`sparse_dense_mm` may use the compiled kernel (``GRAPHKIT_CSR_KERNEL=0`` turns it off)."""
    return _enabled


def set_enabled(flag: bool) -> bool:
    """Switch the compiled kernel on or off for this process; returns the previous setting."""
    global _enabled
    previous, _enabled = _enabled, bool(flag)
    return previous


def _compiler() -> list[str] | None:
    for candidate in (os.environ.get("CXX"), sysconfig.get_config_var("CXX"), "c++", "g++", "clang++"):
        if not candidate:
            continue
        words = shlex.split(candidate)
        if words and shutil.which(words[0]):
            return words
    return None


def _cpu_flags() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith(("flags", "Features")):
                    return line
    except OSError:
        pass
    import platform

    return platform.processor() + platform.machine()


def _cache_dirs() -> list[Path]:
    env = os.environ.get("GRAPHKIT_CACHE")
    first = Path(env).expanduser() / "kernels" if env else Path.home() / ".cache" / "graphkit" / "kernels"
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return [first, Path(tempfile.gettempdir()) / f"graphkit-kernels-{uid}"]


def _build() -> ctypes.CDLL | None:
    """Build (or find in the cache) and load the library; ``None`` when that is not possible."""
    if sys.platform == "win32":
        log.debug("graphkit.ops.csr_kernel: not built on Windows; torch.addmm is used")
        return None
    cxx = _compiler()
    if cxx is None:
        log.debug("graphkit.ops.csr_kernel: no C++ compiler found; torch.addmm is used")
        return None
    try:
        version = subprocess.run([*cxx, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError) as err:
        log.debug("graphkit.ops.csr_kernel: %s --version failed (%s); torch.addmm is used", cxx[0], err)
        return None
    key = hashlib.sha256("\0".join([_SOURCE, " ".join(cxx), version, " ".join(_FLAGS), _cpu_flags()])
                         .encode()).hexdigest()[:20]
    name = f"csr_dense_mm_{key}.so"
    error = "no writable cache folder"
    for folder in _cache_dirs():
        path = folder / name
        if not path.exists():
            try:
                folder.mkdir(parents=True, exist_ok=True, mode=0o700)
                fd, tmp = tempfile.mkstemp(suffix=".so", prefix=".build-", dir=folder)
                os.close(fd)
                src = tmp[:-3] + ".cpp"
                try:
                    Path(src).write_text(_SOURCE)
                    proc = subprocess.run([*cxx, *_FLAGS, src, "-o", tmp], capture_output=True, text=True,
                                          timeout=300)
                    if proc.returncode != 0:
                        log.debug("graphkit.ops.csr_kernel: the build failed (%s); torch.addmm is used: %s",
                                  " ".join(cxx), proc.stderr.strip()[-500:])
                        return None
                    os.replace(tmp, path)
                finally:
                    for leftover in (tmp, src):
                        try:
                            os.unlink(leftover)
                        except OSError:
                            pass
            except (OSError, subprocess.SubprocessError) as err:
                error = str(err)
                continue
        try:
            lib = ctypes.CDLL(str(path))
            fn = lib.gk_csr_dense_mm
            lib.gk_csr_dense_merge  # noqa: B018 (present in this build)
        except (OSError, AttributeError) as err:
            error = str(err)
            continue
        fn.restype = ctypes.c_int
        i64, ptr, c_int = ctypes.c_int64, ctypes.c_void_p, ctypes.c_int
        fn.argtypes = [i64, i64, ptr, ptr, c_int, ptr, ptr, i64, ptr, i64, c_int, c_int, i64, c_int]
        merge, dbl = lib.gk_csr_dense_merge, ctypes.c_double
        merge.restype = ctypes.c_int
        merge.argtypes = [i64, i64, ptr, ptr, c_int, ptr, ptr, i64, ptr, i64, c_int, c_int, i64, ptr, i64, c_int,
                          dbl, dbl, dbl, c_int]
        return lib
    log.debug("graphkit.ops.csr_kernel: could not build or load the kernel (%s); torch.addmm is used", error)
    return None


def _get() -> ctypes.CDLL | None:
    global _library, _tried
    if not _tried:
        with _lock:
            if not _tried:
                _library = _build()
                _tried = True
    return _library


def available() -> bool:
    """Whether the compiled kernel is switched on and built (builds it on the first call)."""
    return _enabled and _get() is not None


def _kernel_operands(S: Tensor, x: Tensor, out: Tensor) -> bool:
    if S.device.type != "cpu" or x.device.type != "cpu" or out.device.type != "cpu":
        return False
    dtype = S.values().dtype
    if dtype not in (torch.float32, torch.float64) or x.dtype != dtype or out.dtype != dtype:
        return False
    if torch.is_grad_enabled() and (x.requires_grad or S.requires_grad):
        return False
    return out.dim() == 2 and (out.size(1) <= 1 or out.stride(1) == 1) and out.stride(0) >= 0


def _csr_arrays(S: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """``S``'s row pointers, columns (in the row pointers' dtype) and values, contiguous: what the kernel reads."""
    crow, col, value = S.crow_indices(), S.col_indices(), S.values()
    if not (crow.is_contiguous() and col.is_contiguous() and value.is_contiguous()):
        crow, col, value = crow.contiguous(), col.contiguous(), value.contiguous()
    return crow, col if col.dtype == crow.dtype else col.to(crow.dtype), value


def _kernel_threads(crow: Tensor, r0: int, r1: int, d: int, threads: int | None) -> int:
    """``threads``, or by default one for a product under :data:`SMALL_PRODUCT` multiply-adds, else torch's count."""
    if threads is not None:
        return threads
    work = (int(crow[r1]) - int(crow[r0])) * d
    return 1 if work < SMALL_PRODUCT else torch.get_num_threads()


def sparse_dense_mm(S: Tensor, x: Tensor, out: Tensor, *, rows: tuple[int, int] | None = None,
                    threads: int | None = None) -> Tensor:
    r"""``out = S[r0:r1] @ x`` for a ``torch.sparse_csr`` ``S [n, m]`` and a dense ``x [m, d]``.

    Args:
        S: ``torch.sparse_csr`` matrix, int32 or int64 indices, sorted or not.
        x: dense ``[m, d]``, the dtype of ``S``'s values; made contiguous by rows
            when its columns are not contiguous (a copy).
        out: dense ``[r1 - r0, d]`` buffer, overwritten (it must not overlap ``x``).
        rows: ``(r0, r1)``, a block of rows of ``S`` (default: all rows).
        threads: threads for the kernel (default ``torch.get_num_threads()``, one
            when the product has fewer than :data:`SMALL_PRODUCT` multiply-adds).

    Returns:
        ``out``.

    Uses the compiled kernel when it is on and built and the operands are CPU float32 /
    float64 tensors without grad; otherwise ``torch.addmm(out, S_block, x, beta=0)``.

    Complexity: :math:`O(\mathrm{nnz}(S_{r_0:r_1}) \cdot d + (r_1 - r_0)\, d)` time.
    """
    n = S.size(0)
    r0, r1 = (0, n) if rows is None else rows
    if not 0 <= r0 <= r1 <= n:
        raise ValueError(f"rows {rows} out of range for {n} rows")
    if x.dim() != 2 or x.size(0) != S.size(1) or out.shape != (r1 - r0, x.size(1)):
        raise ValueError(f"shapes do not match: S {list(S.shape)}, x {list(x.shape)}, rows {(r0, r1)}, "
                         f"out {list(out.shape)}")
    lib = _get() if _enabled and _kernel_operands(S, x, out) else None
    if lib is None:
        block = S
        if (r0, r1) != (0, n):
            crow, col, value = S.crow_indices(), S.col_indices(), S.values()
            e0, e1 = int(crow[r0]), int(crow[r1])
            block = sparse_csr_tensor(crow[r0:r1 + 1] - e0, col[e0:e1], value[e0:e1], (r1 - r0, S.size(1)))
        return torch.addmm(out, block, x, beta=0, out=out)
    if x.size(1) > 1 and x.stride(1) != 1:
        x = x.contiguous()
    crow, col, value = _csr_arrays(S)
    d = x.size(1)
    threads = _kernel_threads(crow, r0, r1, d, threads)
    status = lib.gk_csr_dense_mm(
        r1 - r0, d, crow.data_ptr() + r0 * crow.element_size(), col.data_ptr(), crow.element_size(),
        value.data_ptr(), x.data_ptr(), x.stride(0), out.data_ptr(), out.stride(0), value.element_size(),
        max(1, int(threads)), PREFETCH_DISTANCE, int(rows is None))
    if status != 0:  # not reachable for the dtypes admitted above
        raise RuntimeError(f"graphkit.ops.csr_kernel: the kernel returned {status}")
    return out


#: row widths the merged product is compiled for
MERGE_WIDTHS = (64, 128, 256)


def sparse_dense_merge(S: Tensor, x: Tensor, out: Tensor, rows: tuple[int, int], *, out_mode: int,
                       out_weight: float, self_weight: float, weight: float, normalize: bool,
                       threads: int | None = None) -> bool:
    r"""A row block of FastRP's merge in one pass: ``out = o + w_s nu(x[r0:r1]) + w nu(S[r0:r1] @ x)``.

    ``o`` is 0 (``out_mode`` 0: ``out`` is not read), ``out`` itself (1) or
    ``out_weight * nu(out)`` (2); :math:`\nu` is the row-wise L2 normalisation (0 for
    a zero row) with ``normalize``, else the identity. The product's rows never leave
    the thread that sums them (no ``[r1 - r0, d]`` temporary, no separate passes for
    the norms and the weighted sums). Norms are summed in float64.

    ``threads`` as in :func:`sparse_dense_mm`. Returns ``False`` (and does nothing)
    when the kernel cannot do it: switched off or not built, operands it does not
    take (see :func:`sparse_dense_mm`), a row width outside :data:`MERGE_WIDTHS`, or
    strided rows; the caller then computes the same with :func:`sparse_dense_mm` and
    torch.

    Complexity: :math:`O(\mathrm{nnz}(S_{r_0:r_1}) \cdot d + (r_1 - r_0)\, d)` time.
    """
    r0, r1 = rows
    d = x.size(1) if x.dim() == 2 else -1
    if (not _enabled or d not in MERGE_WIDTHS or not _kernel_operands(S, x, out) or x.stride(1) != 1
            or out.shape != (r1 - r0, d) or x.size(0) != S.size(1) or S.size(0) != S.size(1)
            or not 0 <= r0 <= r1 <= S.size(0) or out_mode not in (0, 1, 2)):
        return False
    lib = _get()
    if lib is None:
        return False
    crow, col, value = _csr_arrays(S)
    threads = _kernel_threads(crow, r0, r1, d, threads)
    status = lib.gk_csr_dense_merge(
        r1 - r0, d, crow.data_ptr() + r0 * crow.element_size(), col.data_ptr(), crow.element_size(),
        value.data_ptr(), x.data_ptr(), x.stride(0), out.data_ptr(), out.stride(0), value.element_size(),
        max(1, int(threads)), PREFETCH_DISTANCE, x.data_ptr() + r0 * x.stride(0) * x.element_size(), x.stride(0),
        out_mode, float(out_weight), float(self_weight), float(weight), int(normalize))
    if status != 0:
        raise RuntimeError(f"graphkit.ops.csr_kernel: the merge kernel returned {status}")
    return True
