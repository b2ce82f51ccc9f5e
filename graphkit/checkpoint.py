"""Checkpoints: a trained model and its config in one file that ``torch.load(weights_only=True)`` reads.

    >>> import tempfile, torch
    >>> from graphkit import GCN, GCNConfig, datasets, fit_node_classifier, load, save
    >>> data = datasets.load("csbm", num_nodes=200, seed=0)
    >>> config = GCNConfig(epochs=3, hidden_channels=8)
    >>> model = GCN.from_config(config, data)
    >>> _ = fit_node_classifier(model, data, config, progress=False)
    >>> path = save(model, tempfile.mkdtemp() + "/gcn.pt", config)
    >>> restored, restored_config = load(path)
    >>> restored_config == config
    True
    >>> torch.equal(restored.eval()(data.x, data.edge_index), model.eval()(data.x, data.edge_index))
    True

Every graphkit model records its constructor arguments
(:class:`graphkit.nn.model.Model`), so a checkpoint is: the model's class (a
``graphkit.*`` path), those arguments, its ``state_dict`` and the config's
class and values — tensors, numbers, strings and containers only. Loading
never unpickles code: :func:`load` reads the file with
``torch.load(weights_only=True)`` and only rebuilds classes defined inside
graphkit. :class:`~graphkit.FastRP` (an estimator, not a module) is saved as
its parameters and its ``embedding_``.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch

__all__ = ["Checkpoint", "load", "save", "to_state", "from_state"]

FORMAT = "graphkit-checkpoint"
VERSION = 1


class Checkpoint:
    """What :func:`load` returns: ``model, config = graphkit.load(path)``; ``.extra``: what was saved beside.

    Example:
        >>> import tempfile
        >>> from graphkit import MLP, load, save
        >>> path = save(MLP(4, 8, 2), tempfile.mkdtemp() + "/mlp.pt", extra={"note": "untrained"})
        >>> checkpoint = load(path)
        >>> checkpoint.model, checkpoint.extra
        (MLP(4, 8, 2, num_layers=2, dropout=0.5), {'note': 'untrained'})
    """

    __slots__ = ("model", "config", "extra")

    def __init__(self, model, config=None, extra: dict | None = None):
        self.model, self.config, self.extra = model, config, extra

    def __iter__(self):  # unpacks as (model, config)
        return iter((self.model, self.config))

    def __repr__(self) -> str:
        return f"Checkpoint(model={type(self.model).__name__}, config={type(self.config).__name__})"


def _class_path(obj) -> str:
    cls = obj if isinstance(obj, type) else type(obj)
    return f"{cls.__module__}:{cls.__qualname__}"


def _resolve(path: str, base: type | tuple[type, ...], what: str) -> type:
    """The class at ``module:qualname``; only graphkit's own classes deriving from ``base``."""
    module, _, qualname = path.partition(":")
    if not (module == "graphkit" or module.startswith("graphkit.")) or not qualname:
        raise ValueError(f"checkpoint names {what} class {path!r}, which is not a graphkit class; "
                         f"graphkit.load only rebuilds graphkit's own classes")
    obj = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part, None)
    if not isinstance(obj, type) or not issubclass(obj, base):
        raise ValueError(f"checkpoint names {what} class {path!r}, which does not exist in this graphkit version")
    return obj


def _encode(value, where: str):
    """Constructor arguments as what ``torch.load(weights_only=True)`` reads (tagged dicts for the rest)."""
    from graphkit.nn.model import Model

    if value is None or isinstance(value, (bool, int, float, str, torch.Tensor)):
        return value
    if isinstance(value, (list, tuple)):
        items = [_encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
        return items if isinstance(value, list) else {"__tuple__": items}
    if isinstance(value, dict):
        return {"__dict__": {str(k): _encode(v, f"{where}[{k!r}]") for k, v in value.items()}}
    if isinstance(value, torch.dtype):
        return {"__dtype__": str(value).removeprefix("torch.")}
    if isinstance(value, torch.device):
        return {"__device__": str(value)}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return {"__ndarray__": torch.from_numpy(np.ascontiguousarray(value))}
    if isinstance(value, Model):
        args, kwargs = value.init_args, value.init_kwargs
        return {"__model__": _class_path(value), "args": _encode(list(args), f"{where}.args"),
                "kwargs": _encode(dict(kwargs), f"{where}.kwargs")}
    raise TypeError(f"cannot save {where}: a {type(value).__name__} is not a tensor, number, string, dtype, "
                    f"container or graphkit model")


def _decode(value):
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "__tuple__" in value:
        return tuple(_decode(v) for v in value["__tuple__"])
    if "__dict__" in value:
        return {k: _decode(v) for k, v in value["__dict__"].items()}
    if "__dtype__" in value:
        dtype = getattr(torch, value["__dtype__"], None)
        if not isinstance(dtype, torch.dtype):
            raise ValueError(f"checkpoint holds an unknown dtype {value['__dtype__']!r}")
        return dtype
    if "__device__" in value:
        return torch.device(value["__device__"])
    if "__ndarray__" in value:
        return value["__ndarray__"].numpy()
    if "__model__" in value:
        from graphkit.nn.model import Model

        cls = _resolve(value["__model__"], Model, "a model")
        return cls(*_decode(value["args"]), **_decode(value["kwargs"]))
    raise ValueError(f"checkpoint holds an unknown entry with keys {sorted(value)}")


def to_state(model, config=None, *, extra: dict | None = None) -> dict:
    """The checkpoint of ``model`` (and ``config``) as a dict of tensors, numbers, strings and containers."""
    from graphkit.models.fastrp import FastRP
    from graphkit.nn.model import Model, constructor_args
    from graphkit.train.config import Config

    state: dict[str, Any] = {"format": FORMAT, "version": VERSION, "class": _class_path(model)}
    if isinstance(model, FastRP):
        state["params"] = _encode(model.get_params(), "FastRP.get_params()")
        emb = getattr(model, "embedding_", None)
        if emb is not None:
            state["embedding"] = _encode(emb.detach().cpu() if isinstance(emb, torch.Tensor) else emb,
                                         "FastRP.embedding_")
            state["fitted"] = {"n_nodes_": model.n_nodes_, "n_features_in_": model.n_features_in_}
    elif isinstance(model, Model):
        args, kwargs = constructor_args(model)
        state["args"] = _encode(list(args), f"{type(model).__name__}'s constructor arguments")
        state["kwargs"] = _encode(dict(kwargs), f"{type(model).__name__}'s constructor arguments")
        state["state_dict"] = {k: v.detach().cpu() for k, v in model.state_dict().items()}
        state["training"] = model.training
    else:
        raise TypeError(f"graphkit.save saves graphkit models (graphkit.nn.Model subclasses and FastRP), got "
                        f"{type(model).__name__}; for another module save model.state_dict() with torch.save")
    if config is not None:
        if not isinstance(config, Config):
            raise TypeError(f"config must be a graphkit Config (e.g. GCNConfig), got {type(config).__name__}")
        state["config_class"] = _class_path(config)
        state["config"] = _encode(config.to_dict(), "config")
    if extra is not None:
        state["extra"] = _encode(dict(extra), "extra")
    return state


def from_state(state: dict, *, map_location: str | torch.device | None = "cpu") -> Checkpoint:
    """Rebuild what :func:`to_state` stored: ``Checkpoint(model, config, extra)``."""
    from graphkit._validation import check_device
    from graphkit.models.fastrp import FastRP
    from graphkit.nn.model import Model
    from graphkit.train.config import Config

    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError("not a graphkit checkpoint (written by graphkit.save); for a bare state_dict build the "
                         "model and call model.load_state_dict(torch.load(path, weights_only=True))")
    if state.get("version", 0) > VERSION:
        raise ValueError(f"checkpoint format version {state['version']} is newer than this graphkit reads "
                         f"({VERSION}); upgrade graphkit-pyg")
    device = None if map_location is None else check_device(map_location, name="map_location")
    cls = _resolve(state["class"], (Model, FastRP), "a model")
    if issubclass(cls, FastRP):
        model = cls(**_decode(state["params"]))
        if "embedding" in state:
            emb = _decode(state["embedding"])
            if isinstance(emb, torch.Tensor) and device is not None:
                emb = emb.to(device)
            model.embedding_ = emb
            model.n_nodes_ = state["fitted"]["n_nodes_"]
            model.n_features_in_ = state["fitted"]["n_features_in_"]
    else:
        model = cls(*_decode(state["args"]), **_decode(state["kwargs"]))
        try:
            model.load_state_dict(state["state_dict"])
        except RuntimeError as exc:
            raise ValueError(f"the checkpoint's weights do not fit {cls.__name__} as this graphkit version builds "
                             f"it: {exc}") from None
        model.train(bool(state.get("training", False)))
        if device is not None:
            model.to(device)
    config = None
    if "config_class" in state:
        config_cls = _resolve(state["config_class"], Config, "a config")
        config = config_cls.from_dict(_decode(state["config"]))
    extra = _decode(state["extra"]) if "extra" in state else None
    return Checkpoint(model, config, extra)


def save(model, path: str | os.PathLike, config=None, *, extra: dict | None = None) -> Path:
    """Write ``model`` (its class, constructor arguments and weights) and ``config`` to ``path``.

    The file is written to a temporary name and renamed, so a killed process
    never leaves half a checkpoint. ``extra``: a dict of numbers, strings and
    tensors stored beside (e.g. the metrics). Returns the path.

    Args:
        model: a graphkit model (any :class:`graphkit.nn.Model`, e.g. one a
            ``fit_*`` procedure trained) or a :class:`~graphkit.FastRP`.
        path: the file to write (its folder must exist).
        config: the method's config (e.g. ``result.config``). (default: ``None``)

    Example:
        >>> import tempfile
        >>> from graphkit import DAGNN, DAGNNConfig
        >>> path = save(DAGNN(16, 8, 3), tempfile.mkdtemp() + "/dagnn.pt", DAGNNConfig.paper("cora"))
        >>> path.suffix
        '.pt'
    """
    import tempfile

    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file path (str or os.PathLike), got {type(path).__name__}")
    path = Path(path)
    if not path.parent.is_dir():
        raise ValueError(f"path={str(path)!r}: the folder {str(path.parent)!r} does not exist; create it first")
    state = to_state(model, config, extra=extra)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            torch.save(state, fh)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load(path: str | os.PathLike, *, map_location: str | torch.device | None = "cpu") -> Checkpoint:
    """Read a checkpoint written by :func:`save`: ``model, config = graphkit.load(path)``.

    Read with ``torch.load(weights_only=True)`` (no code is unpickled) and rebuilt
    from graphkit's own classes only. The model is on ``map_location`` (default the
    CPU) in the train/eval mode it was saved in.

    Args:
        path: a file written by :func:`save`.
        map_location: where the model goes (``'cpu'``, ``'cuda'``, ...; ``None``: the CPU
            without moving). (default: ``'cpu'``)

    Returns:
        :class:`Checkpoint` ``(model, config, extra)``; unpacking gives ``(model, config)``.

    Example:
        >>> import tempfile
        >>> from graphkit import NCNC, NCNCConfig
        >>> path = save(NCNC(8, 16, pt=0.75), tempfile.mkdtemp() + "/ncnc.pt", NCNCConfig())
        >>> model, config = load(path)
        >>> float(model.predictor.pt), config.predictor
        (0.75, 'ncnc')
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file path (str or os.PathLike), got {type(path).__name__}")
    if not Path(path).is_file():
        raise FileNotFoundError(f"no checkpoint at {str(path)!r}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ValueError(f"{path}: not a readable graphkit checkpoint ({type(exc).__name__}: "
                         f"{str(exc).splitlines()[0] if str(exc) else ''}); it may be truncated or not written by "
                         f"graphkit.save") from None
    return from_state(state, map_location=map_location)

