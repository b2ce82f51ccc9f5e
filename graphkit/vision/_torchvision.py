"""torchvision, imported when first needed (``graphkit.vision`` itself imports without it)."""

from __future__ import annotations

import importlib
from types import ModuleType

INSTALL_HINT = ("graphkit.vision needs torchvision: pip install 'graphkit-pyg[vision]' (a torchvision built for your "
                "torch; on these machines torch 2.14.1 with torchvision 0.29.1)")


def torchvision() -> ModuleType:
    """The ``torchvision`` module, or an ``ImportError`` that says how to install it."""
    try:
        return importlib.import_module("torchvision")
    except ImportError as exc:
        raise ImportError(f"{INSTALL_HINT} ({exc})") from exc
    except Exception as exc:  # a torchvision built for another torch fails to load its operators
        raise ImportError(f"torchvision is installed but does not load ({exc}); {INSTALL_HINT}") from exc


def deform_conv2d(*args, **kwargs):
    """``torchvision.ops.deform_conv2d`` (DCNv1; DCNv2 with ``mask=``)."""
    return torchvision().ops.deform_conv2d(*args, **kwargs)


def feature_extraction() -> ModuleType:
    """``torchvision.models.feature_extraction`` (``create_feature_extractor``, ``get_graph_node_names``)."""
    torchvision()
    return importlib.import_module("torchvision.models.feature_extraction")
