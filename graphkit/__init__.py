"""graphkit: faithful, fast, tested implementations of graph-learning papers on PyG.

The public surface: every method's model, config and procedure (``NCNC``,
``NCNCConfig``, ``fit_ncn``, ...), ``FastRP``, ``graphkit.datasets.load``,
``graphkit.metrics``, :func:`methods` (the method table) and
:class:`FitResult`. Names are imported on first use, so ``import graphkit``
stays cheap and a method's module loads only when it is used.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS = {
    "MLP": "graphkit.models.baselines", "GCN": "graphkit.models.baselines", "SAGE": "graphkit.models.baselines",
    "NodeClassifierConfig": "graphkit.models.baselines", "MLPConfig": "graphkit.models.baselines",
    "GCNConfig": "graphkit.models.baselines", "SAGEConfig": "graphkit.models.baselines",
    "fit_node_classifier": "graphkit.models.baselines",
    "GAT": "graphkit.models.baselines", "GATConfig": "graphkit.models.baselines",
    "ForwardGNN": "graphkit.models.forwardgnn", "ForwardGNNConfig": "graphkit.models.forwardgnn",
    "fit_forwardgnn": "graphkit.models.forwardgnn",
    "GAE": "graphkit.models.gae", "GAEConfig": "graphkit.models.gae", "fit_link_predictor": "graphkit.models.gae",
    "NCN": "graphkit.models.ncn", "NCNC": "graphkit.models.ncn", "NCNConfig": "graphkit.models.ncn",
    "NCNCConfig": "graphkit.models.ncn", "fit_ncn": "graphkit.models.ncn",
    "DAGNN": "graphkit.models.dagnn", "DAGNNConfig": "graphkit.models.dagnn", "fit_dagnn": "graphkit.models.dagnn",
    "DGMLP": "graphkit.models.dgmlp", "DGMLPConfig": "graphkit.models.dgmlp", "fit_dgmlp": "graphkit.models.dgmlp",
    "FastRP": "graphkit.models.fastrp", "FastRPConfig": "graphkit.models.fastrp",
    "fit_fastrp": "graphkit.models.fastrp",
    "HGNN": "graphkit.models.lighthgnn", "HGNNConfig": "graphkit.models.lighthgnn",
    "fit_hgnn": "graphkit.models.lighthgnn", "LightHGNN": "graphkit.models.lighthgnn",
    "LightHGNNPlus": "graphkit.models.lighthgnn", "LightHGNNConfig": "graphkit.models.lighthgnn",
    "fit_lighthgnn": "graphkit.models.lighthgnn",
    "VQGraph": "graphkit.models.vqgraph", "VQGraphConfig": "graphkit.models.vqgraph",
    "fit_vqgraph": "graphkit.models.vqgraph", "GLNN": "graphkit.models.vqgraph",
    "GLNNConfig": "graphkit.models.vqgraph", "fit_glnn": "graphkit.models.vqgraph",
    "MEOW": "graphkit.models.meow", "AdaMEOW": "graphkit.models.meow", "MEOWConfig": "graphkit.models.meow",
    "AdaMEOWConfig": "graphkit.models.meow", "fit_meow": "graphkit.models.meow", "fit_adameow": "graphkit.models.meow",
    "STABLE": "graphkit.models.stable", "STABLEConfig": "graphkit.models.stable",
    "fit_stable": "graphkit.models.stable", "GCNJaccard": "graphkit.models.defenses",
    "GCNJaccardConfig": "graphkit.models.defenses", "fit_gcn_jaccard": "graphkit.models.defenses",
    "GCNSVD": "graphkit.models.defenses", "GCNSVDConfig": "graphkit.models.defenses",
    "fit_gcn_svd": "graphkit.models.defenses",
    "FitResult": "graphkit.train.result", "Config": "graphkit.train.config",
    "save": "graphkit.checkpoint", "load": "graphkit.checkpoint", "Checkpoint": "graphkit.checkpoint",
}
_SUBMODULES = ("datasets", "metrics", "vision")

__all__ = ["__version__", "methods", *_SUBMODULES, *_EXPORTS]


def methods() -> list[str]:
    """Names of every runnable method (the runner's ``--model`` values)."""
    from graphkit.models.registry import method_names

    return method_names()


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"graphkit.{name}")
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'graphkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
