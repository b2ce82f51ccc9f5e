"""The one signature of every method's procedure, and the sizes a model is built from.

Every ``fit_<method>`` is declared with :func:`procedure`, which gives it the
same public signature and behaviour::

    fit_dagnn(model, data, config=None, *, seed=0, device=None, progress=None, warm_start=False,
              threads=None) -> FitResult

- ``model`` must be an instance of the method's model class (else a one-line
  ``TypeError`` that names the right class and procedure); it is trained **in
  place** and returned as ``result.model``.
- ``config`` is the method's config, a ``dict`` of its keys, or ``None`` (the
  defaults); unknown keys raise with the valid list.
- ``seed`` seeds every generator the call uses (python, numpy, torch). Unless
  ``warm_start``, the procedure redraws the model's initial parameters from it
  (:func:`graphkit.nn.model.reinitialize`), so the same seed gives the same
  result whatever was done to the module before — scikit-learn's ``fit``.
- ``device``: ``None`` trains where the model is; ``'cpu'``, ``'cuda[:N]'`` or
  ``'auto'`` move it there.
- ``progress``: a progress bar; ``None`` shows it on a terminal only.
- ``threads``: CPU threads of the call; ``None`` chooses them
  (:func:`graphkit.threads.choose_threads`: one for a small input, else no more
  than the cores idle at the start), the previous count is restored after.
- ``data``: a PyG ``Data`` (or what the method documents: a ``LinkSplit``, a
  hypergraph ``Data``), or a networkx graph, converted by
  :func:`graphkit.datasets.from_networkx` (edge weights as ``edge_weight``,
  node attributes ``x``, ``y`` and the masks). Before anything is seeded or
  trained, every tensor it carries is checked to agree on the number of nodes
  (:func:`graphkit._validation.check_data`: ``x`` finite, ``y`` one row per node,
  bool masks, ``edge_index`` ids in range); integer features, and features in
  another floating dtype than the model's parameters, are cast to the model's
  dtype (a shallow copy: the caller's ``data`` is not changed). The method's own
  checks (widths against the model, label range, masks) follow in its body,
  still before training.
- The result carries the peak memory of the call (RSS on CPU, max allocated on CUDA)
  and the threads it ran on.
- Under ``torchrun`` (``RANK`` / ``WORLD_SIZE`` set) the default process group is
  initialised first (:func:`graphkit.distributed.init`: gloo on the CPU, NCCL on
  CUDA, ``cuda`` pinned to ``cuda:LOCAL_RANK``) and the procedure trains
  data-parallel on :func:`graphkit.train.loop.run_epochs`. Every rank is seeded
  with the same ``seed``.
"""

from __future__ import annotations

import copy
import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn
from torch_geometric.data import Data

from graphkit import distributed
from graphkit._validation import check_bool, check_data, check_edge_index, check_features, param_dtype
from graphkit.datasets.convert import from_networkx, is_networkx
from graphkit.datasets.splits import LinkSplit
from graphkit.threads import choose_threads, thread_limit, work_of
from graphkit.train.config import Config
from graphkit.train.device import resolve_device
from graphkit.train.memory import PeakMemory
from graphkit.train.result import FitResult
from graphkit.train.seed import seed_everything

__all__ = ["GraphInfo", "graph_info", "prepare_data", "procedure"]


@dataclass(frozen=True)
class GraphInfo:
    """The sizes a model is built from: nodes, feature width, classes (or label columns)."""

    num_nodes: int
    num_features: int
    num_classes: int = 0
    multilabel: bool = False


def graph_info(data) -> GraphInfo:
    """:class:`GraphInfo` of a ``Data`` (graph or hypergraph), a ``LinkSplit`` or a ``GraphInfo``."""
    if isinstance(data, GraphInfo):
        return data
    x = getattr(data, "x", None)
    num_features = 0 if x is None else int(x.size(1)) if x.dim() == 2 else 0
    y = getattr(data, "y", None)
    num_classes, multilabel = 0, False
    if isinstance(y, torch.Tensor) and y.numel():
        multilabel = y.dim() == 2
        num_classes = int(y.size(1)) if multilabel else int(y.max()) + 1
    return GraphInfo(int(data.num_nodes), num_features, num_classes, multilabel)


def prepare_data(data, model=None):
    """What every procedure does with ``data`` first (module docstring): convert, check, cast.

    A networkx graph becomes a ``Data`` (:func:`graphkit.datasets.from_networkx`);
    a ``Data``'s tensors are checked to agree (:func:`graphkit._validation.check_data`)
    and its features cast to ``model``'s dtype when they differ; a ``LinkSplit``'s
    features, graph and pairs are checked against its ``num_nodes``. Raw tensors,
    arrays and ``None`` are refused with the way to build a ``Data``.
    """
    if is_networkx(data):
        data = from_networkx(data)
    if data is None or isinstance(data, (torch.Tensor, np.ndarray)) or sp.issparse(data):
        raise TypeError(f"data must be a torch_geometric.data.Data (graphkit.datasets.load(name) gives one), "
                        f"a networkx graph or what the method documents, got {type(data).__name__}; wrap an "
                        f"edge_index as Data(x=..., edge_index=..., y=..., num_nodes=N)")
    if isinstance(data, LinkSplit):
        _check_link_split(data)
    elif isinstance(data, Data):
        check_data(data)
        x = data.get("x")
        dtype = param_dtype(model) or torch.get_default_dtype()
        if isinstance(x, torch.Tensor) and x.layout == torch.strided and x.dtype != dtype and \
                (not x.is_floating_point() or param_dtype(model) is not None):
            data = copy.copy(data)  # the caller's Data keeps its own x
            data.x = x.to(dtype)
    return data


def _check_link_split(split: LinkSplit) -> None:
    n = split.num_nodes
    if split.x is not None:
        check_features(split.x, n, name="split.x")
    check_edge_index(split.edge_index, n, name="split.edge_index")
    for name in ("train_pos", "valid_pos", "valid_neg", "test_pos", "test_neg", "test_edge_index"):
        pairs = getattr(split, name)
        if pairs is not None:
            check_edge_index(pairs, n, name=f"split.{name}")


def _model_device(model) -> torch.device:
    """Where the model computes: its parameters' device, an estimator's ``device``, else the CPU."""
    if isinstance(model, nn.Module):
        for tensor in model.parameters():
            return tensor.device
    elif getattr(model, "device", None) is not None:
        return resolve_device(model.device)
    return torch.device("cpu")


def procedure(model_type: type | tuple[type, ...], config_type: type[Config] | dict[type, type[Config]], *,
              work: Callable[[object], int | None] = work_of):
    """Declare ``fit(model, data, config, *, seed, device, progress, warm_start) -> FitResult`` (see module doc;
    the public function adds ``threads``).

    The body receives the resolved ``config`` and ``device`` (a ``torch.device``),
    runs after seeding, and is measured for peak memory. ``config_type`` is the
    config class, or ``{model class: config class}`` when variants of a method
    have their own (the most specific class first): a dict or ``None`` config then
    becomes the variant's own config. ``work(data)`` sizes the input for the thread
    policy (default :func:`~graphkit.threads.work_of`); a method whose cost is not
    its features plus its edges (one that densifies ``x``, or holds an ``N × N``
    matrix) says so here, so that it is not held to one thread on a quiet machine.
    """
    types_ = model_type if isinstance(model_type, tuple) else (model_type,)
    expected = " or ".join(t.__name__ for t in types_)
    by_model = config_type if isinstance(config_type, dict) else {t: config_type for t in types_}

    def config_type_for(cls: type) -> type[Config]:
        return next(c for t, c in by_model.items() if issubclass(cls, t))

    def wrap(body: Callable[..., FitResult]):
        @functools.wraps(body)
        def fit(model, data, config=None, *, seed: int = 0, device=None, progress: bool | None = None,
                warm_start: bool = False, threads: int | None = None) -> FitResult:
            if not isinstance(model, types_):
                raise TypeError(f"{body.__name__} trains a {expected}, got {type(model).__name__}: build one with "
                                f"{types_[0].__name__}.from_config(config, data), or {_fix_for(model)}")
            config = config_type_for(type(model)).coerce(config)
            dev = _model_device(model) if device is None else resolve_device(device)
            if distributed.launched_by_torchrun() and distributed.init(dev):
                dev = distributed.device_for(dev)
            if progress is not None:
                check_bool("progress", progress)
            check_bool("warm_start", warm_start)
            data = prepare_data(data, model)
            n_threads = choose_threads(work(data), threads)
            seed_everything(seed)
            with thread_limit(n_threads), PeakMemory(dev) as memory:
                result = body(model, data, config, seed=seed, device=dev, progress=progress, warm_start=warm_start)
            result.peak_memory_mb, result.threads = memory.peak_mb, n_threads
            result.model, result.config = model, config
            return result

        fit.model_type, fit.config_type_for = types_, config_type_for
        # help() and inspect show the public signature, not the body's (functools.wraps points them at it)
        fit.__signature__ = inspect.signature(fit, follow_wrapped=False)
        return fit

    return wrap


def _fix_for(model) -> str:
    from graphkit.models.registry import procedure_for  # same layer; imported late to avoid a cycle

    name = procedure_for(model)
    return f"train a {type(model).__name__} with graphkit.{name}" if name else \
        f"use a graphkit model ({type(model).__name__} has no procedure)"
