"""The model registry: name → task and builder, used by the benchmark runner.

A builder receives a :class:`GraphInfo` (sizes of the loaded data) and the
merged config dict and returns an ``nn.Module`` that follows its task's
interface (see :mod:`graphkit.train.node_classification` and
:mod:`graphkit.train.link_prediction`). A new paper is a new model file plus
one :func:`register_model` entry here.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass

from torch import nn

from graphkit.models.baselines import GCN, MLP, SAGE
from graphkit.models.gae import GAE

TASKS = ("node", "link")


@dataclass(frozen=True)
class GraphInfo:
    num_nodes: int
    num_features: int
    num_classes: int = 0
    multilabel: bool = False


@dataclass(frozen=True)
class ModelSpec:
    name: str
    task: str
    build: Callable[[GraphInfo, dict], nn.Module]
    description: str


_MODELS: dict[str, ModelSpec] = {}


def register_model(name: str, *, task: str, description: str):
    """Decorator registering ``build(info, config) -> nn.Module`` under ``name``."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")

    def wrap(build):
        if name in _MODELS:
            raise ValueError(f"model {name!r} is registered twice")
        _MODELS[name] = ModelSpec(name, task, build, description)
        return build

    return wrap


def model_names(task: str | None = None) -> list[str]:
    return sorted(n for n, s in _MODELS.items() if task is None or s.task == task)


def get_model(name: str) -> ModelSpec:
    """The registry entry for ``name``; unknown names raise with the valid list."""
    key = name.lower()
    if key not in _MODELS:
        close = difflib.get_close_matches(key, _MODELS, n=3)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise ValueError(f"unknown model {name!r}.{hint} Valid names: {', '.join(model_names())}")
    return _MODELS[key]


def _node_baseline(cls):
    def build(info: GraphInfo, cfg: dict) -> nn.Module:
        if info.num_features < 1:
            raise ValueError(f"{cls.__name__} needs node features; this data set has none")
        return cls(info.num_features, cfg["hidden_channels"], info.num_classes,
                   num_layers=cfg["num_layers"], dropout=cfg["dropout"])

    return build


register_model("mlp", task="node", description="MLP on node features (no graph)")(_node_baseline(MLP))
register_model("gcn", task="node", description="GCN, Kipf & Welling 2017 (PyG GCNConv)")(_node_baseline(GCN))
register_model("sage", task="node", description="GraphSAGE-mean, Hamilton et al. 2017 (PyG SAGEConv)")(
    _node_baseline(SAGE)
)


@register_model("gae", task="link", description="GAE: GNN encoder + dot-product decoder")
def _build_gae(info: GraphInfo, cfg: dict) -> nn.Module:
    return GAE(info.num_features, cfg["hidden_channels"], num_layers=cfg["num_layers"],
               dropout=cfg["dropout"], encoder=cfg.get("encoder", "gcn"), num_nodes=info.num_nodes)
