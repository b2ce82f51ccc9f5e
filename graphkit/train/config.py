"""Typed, validated method configs with paper presets.

Every method has one frozen dataclass deriving from :class:`Config`: its fields
are the method's hyperparameters with the library defaults, and ``presets``
holds the published settings per data set, each naming its source::

    @dataclass(frozen=True)
    class DAGNNConfig(Config):
        hidden_channels: int = 64
        num_hops: int = 10
        ...
        source: ClassVar[str] = "official code divelab/DeeperGNN (run.sh)"
        presets: ClassVar[dict[str, Preset]] = {"cora": Preset(num_hops=10, dropout=0.8)}

    DAGNNConfig.paper("cora")                  # the published setting (raises if there is none)
    DAGNNConfig.for_dataset("csbm")             # the preset when there is one, else the defaults
    DAGNNConfig.from_dict({"epochs": 5})        # unknown keys raise with the valid list
    config.replace(epochs=5)                    # a validated copy

Values are checked against the field annotations when a config is built (ints
are accepted for floats, lists for tuples, ``Literal`` choices are enforced),
then by the subclass's :meth:`Config.check` for ranges. Errors are one line
that names the key and the fix.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Literal, Union

__all__ = ["Config", "Preset", "config_error"]


class Preset(dict):
    """Values of one published setting (a ``dict``) and the ``source`` they come from.

    ``Preset(source="official README, cora command", lr=0.01)``; without
    ``source`` the config class's ``source`` applies.
    """

    def __init__(self, source: str | None = None, **values):
        super().__init__(values)
        self.source = source


def config_error(cls_or_name, message: str) -> ValueError:
    name = cls_or_name if isinstance(cls_or_name, str) else cls_or_name.__name__
    return ValueError(f"{name}: {message}")


def _describe(tp) -> str:
    origin = typing.get_origin(tp)
    if origin is Literal:
        return " | ".join(repr(a) for a in typing.get_args(tp))
    if origin in (Union, types.UnionType):
        return " | ".join(_describe(a) for a in typing.get_args(tp))
    if origin is tuple:
        return "a list of " + _describe(typing.get_args(tp)[0]) if typing.get_args(tp) else "a list"
    if tp is type(None):
        return "null"
    return getattr(tp, "__name__", str(tp))


_NO = object()


def _coerce(tp, value):
    """``value`` as type ``tp`` (lossless conversions only), else ``_NO``."""
    origin = typing.get_origin(tp)
    if tp is Any:
        return value
    if origin is Literal:
        return value if any(value == a and type(value) is type(a) for a in typing.get_args(tp)) else _NO
    if origin in (Union, types.UnionType):
        for arm in typing.get_args(tp):
            out = _coerce(arm, value)
            if out is not _NO:
                return out
        return _NO
    if tp is type(None):
        return None if value is None else _NO
    if tp is bool:
        return value if isinstance(value, bool) else _NO
    if tp is int:
        return value if isinstance(value, int) and not isinstance(value, bool) else _NO
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return _NO
        return float(value)
    if tp is str:
        return value if isinstance(value, str) else _NO
    if origin is tuple or tp is tuple:
        if not isinstance(value, (list, tuple)):
            return _NO
        arms = typing.get_args(tp)
        if not arms:
            return tuple(value)
        item = arms[0]
        out = tuple(_coerce(item, v) for v in value)
        return _NO if any(v is _NO for v in out) else out
    if origin is dict or tp is dict:
        return dict(value) if isinstance(value, Mapping) else _NO
    raise TypeError(f"unsupported config annotation {tp!r}")


@dataclasses.dataclass(frozen=True)
class Config:
    """Base of every method config (see the module docstring).

    Fields shared by all methods:
        runs: seeded runs the paper averages (the runner's default ``--runs``). (default: ``1``)
    """

    runs: int = 1

    source: ClassVar[str] = ""
    presets: ClassVar[dict[str, Preset]] = {}
    # official or former key names still accepted: alias -> field, or alias -> (field, value map)
    aliases: ClassVar[dict[str, str | tuple[str, Callable[[Any], Any]]]] = {}

    # ------------------------------------------------------------------ building

    def __post_init__(self):
        hints = typing.get_type_hints(type(self))
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            out = _coerce(hints[f.name], value)
            if out is _NO:
                raise config_error(self.__class__, f"{f.name}={value!r} is not {_describe(hints[f.name])}; "
                                                   f"set it to {_describe(hints[f.name])}")
            if out is not value:
                object.__setattr__(self, f.name, out)
        if self.runs < 1:
            raise config_error(self.__class__, f"runs must be >= 1, got {self.runs}")
        self.check()

    def check(self) -> None:
        """Range checks of the subclass; raise :func:`config_error` with the key and the fix."""

    @classmethod
    def keys(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def from_dict(cls, values: Mapping[str, Any] | None = None, **more) -> Config:
        """A config from ``values`` over the defaults; unknown keys raise with the valid list."""
        merged = dict(values or {}) | more
        valid = cls.keys()
        out = {}
        for key, value in merged.items():
            if key in cls.aliases:
                target = cls.aliases[key]
                key, value = (target, value) if isinstance(target, str) else (target[0], target[1](value))
            if key not in valid:
                close = difflib.get_close_matches(key, valid + list(cls.aliases), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise config_error(cls, f"unknown key {key!r}{hint}; valid keys: {', '.join(valid)}")
            out[key] = value
        return cls(**out)

    @classmethod
    def coerce(cls, config: Config | Mapping[str, Any] | None) -> Config:
        """``None`` → defaults, a mapping → :meth:`from_dict`, an instance of ``cls`` as is."""
        if config is None:
            return cls()
        if isinstance(config, cls):
            return config
        if isinstance(config, Config):
            raise TypeError(f"expected a {cls.__name__}, got a {type(config).__name__}; "
                            f"build one with {cls.__name__}.paper(dataset) or {cls.__name__}(...)")
        if isinstance(config, Mapping):
            return cls.from_dict(config)
        raise TypeError(f"config must be a {cls.__name__}, a dict or None, got {type(config).__name__}")

    def replace(self, **changes) -> Config:
        """A validated copy with ``changes`` (official aliases accepted)."""
        return type(self).from_dict(self.to_dict(), **changes)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def __getattr__(self, name: str):
        # only reached for names that are not fields: say which keys exist
        if name.startswith("__"):
            raise AttributeError(name)
        valid = type(self).keys()
        close = difflib.get_close_matches(name, valid, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise AttributeError(f"{type(self).__name__} has no key {name!r}{hint}; keys: {', '.join(valid)}")

    # ------------------------------------------------------------------ presets

    @classmethod
    def preset_name(cls, dataset: str, data_options: Mapping[str, Any] | None = None) -> str:
        """The preset key for a data set loaded with ``data_options`` (override for per-option presets)."""
        return dataset

    @classmethod
    def paper(cls, dataset: str, **data_options) -> Config:
        """The published setting for ``dataset``; raises when the method has none for it."""
        key = cls.preset_name(dataset, data_options)
        if key not in cls.presets:
            names = ", ".join(sorted(cls.presets)) or "none"
            raise config_error(cls, f"no preset for {key!r}; presets: {names}. "
                                    f"Use {cls.__name__}() for the library defaults")
        return cls.from_dict(cls.presets[key])

    @classmethod
    def for_dataset(cls, dataset: str, **data_options) -> Config:
        """The preset for ``dataset`` when there is one, else the defaults (what the runner uses)."""
        key = cls.preset_name(dataset, data_options)
        return cls.from_dict(cls.presets.get(key, {}))

    @classmethod
    def source_for(cls, dataset: str, **data_options) -> str:
        """Where the values of :meth:`for_dataset` come from."""
        preset = cls.presets.get(cls.preset_name(dataset, data_options))
        if preset is not None and preset.source:
            return preset.source
        return cls.source
