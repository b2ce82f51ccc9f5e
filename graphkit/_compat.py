"""Optional accelerators (torch-scatter, torch-sparse), detected once at import.

Call sites must read the flags as attributes of this module at call time
(``from graphkit import _compat`` then ``_compat.WITH_TORCH_SCATTER``), never
bind them with ``from graphkit._compat import WITH_...``: tests switch the flags
off to prove that every accelerated path has a pure-torch twin with the same
output.
"""

from __future__ import annotations

import importlib
import warnings
from types import ModuleType


def _probe(name: str) -> ModuleType | None:
    """Import ``name`` if it is installed and loads; warn and disable it if it is broken."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None
    except Exception as exc:  # an ABI mismatch surfaces as OSError/RuntimeError
        warnings.warn(
            f"graphkit: '{name}' is installed but failed to load ({exc}); "
            f"falling back to pure torch. Rebuild it against your torch version "
            f"or uninstall it.",
            RuntimeWarning,
            stacklevel=2,
        )
        return None


torch_scatter = _probe("torch_scatter")
torch_sparse = _probe("torch_sparse")

WITH_TORCH_SCATTER: bool = torch_scatter is not None
WITH_TORCH_SPARSE: bool = torch_sparse is not None


def extensions() -> dict[str, bool]:
    """The accelerators in use right now (after any test override)."""
    return {"torch_scatter": WITH_TORCH_SCATTER, "torch_sparse": WITH_TORCH_SPARSE}
