"""The model registry: name → task and builder, used by the benchmark runner.

A builder receives a :class:`GraphInfo` (sizes of the loaded data) and the
merged config dict and returns an ``nn.Module`` that follows its task's
interface (see :mod:`graphkit.train.node_classification` and
:mod:`graphkit.train.link_prediction`). A method whose training procedure is
part of the method (NCNC's target-link removal, distillation stages, FastRP's
fit-then-evaluate) registers a ``fit`` procedure instead, which the runner calls
in place of the task's generic loop:
``fit(data, cfg, *, seed, device, progress) -> RunResult``. A model can also be
given a procedure for one more kind of data set with :func:`register_fit` (the
MLP baseline on hypergraphs, under LightHGNN's split). A new paper is a new
model file plus one :func:`register_model` entry here.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass

from torch import nn

from graphkit.models.baselines import GCN, MLP, SAGE
from graphkit.models.gae import GAE

TASKS = ("node", "link", "embedding", "hyper", "hetero")
# data-set tasks each model task runs on by default (link models split node data sets' edges)
DEFAULT_ACCEPTS = {"node": ("node", "multilabel"), "link": ("link", "node", "multilabel", "graph"),
                   "embedding": ("node", "multilabel"), "hyper": ("hyper",), "hetero": ("hetero",)}


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
    build: Callable[[GraphInfo, dict], nn.Module] | None
    description: str
    fit: Callable | None = None
    accepts: tuple[str, ...] = ()

    @property
    def dataset_tasks(self) -> tuple[str, ...]:
        """The data-set tasks this model runs on."""
        extra = tuple(t for (name, t) in _TASK_FITS if name == self.name)
        return tuple(dict.fromkeys((self.accepts or DEFAULT_ACCEPTS[self.task]) + extra))

    def fit_for(self, dataset_task: str) -> Callable | None:
        """The procedure that trains this model on a data set of ``dataset_task`` (None: the generic loop)."""
        return _TASK_FITS.get((self.name, dataset_task), self.fit)


_MODELS: dict[str, ModelSpec] = {}
_TASK_FITS: dict[tuple[str, str], Callable] = {}


def register_model(name: str, *, task: str, description: str, fit: Callable | None = None,
                   accepts: tuple[str, ...] = ()):
    """Decorator registering ``build(info, config) -> nn.Module`` under ``name``.

    Args:
        task: the model's task; ``'node'`` and ``'link'`` have generic loops, the
            others need ``fit``.
        fit: optional method-specific procedure
            ``fit(data, cfg, *, seed, device, progress) -> RunResult`` that the
            runner calls instead of the generic loop.
        accepts: data-set tasks the model runs on (default: by ``task``).
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    if fit is None and task not in ("node", "link"):
        raise ValueError(f"a {task!r} model needs a fit procedure: there is no generic {task} loop")

    def wrap(build):
        if name in _MODELS:
            raise ValueError(f"model {name!r} is registered twice")
        _MODELS[name] = ModelSpec(name, task, build, description, fit=fit, accepts=tuple(accepts))
        return build

    return wrap


def register_fit(name: str, dataset_task: str, fit: Callable) -> None:
    """Train the registered model ``name`` with ``fit`` on data sets of ``dataset_task``.

    ``fit`` has the signature of :func:`register_model`'s; it adds ``dataset_task``
    to the data sets the model accepts.
    """
    if dataset_task not in TASKS:
        raise ValueError(f"dataset_task must be one of {TASKS}, got {dataset_task!r}")
    key = (get_model(name).name, dataset_task)
    if key in _TASK_FITS:
        raise ValueError(f"model {name!r} already has a fit for {dataset_task!r} data sets")
    _TASK_FITS[key] = fit


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
