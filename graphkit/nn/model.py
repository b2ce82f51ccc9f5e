"""The base of graphkit's method models: a module that can be rebuilt exactly as it was built.

Every procedure (``fit_<method>``) starts from the initialisation that its
``seed`` determines, as scikit-learn's ``fit`` does: the same seed gives the same
trained model, whatever was done to the module before. :func:`reinitialize`
redraws the parameters *exactly as construction drew them* — by constructing a
fresh module with the recorded constructor arguments and loading its state —
because ``reset_parameters()`` draws in a different order than ``__init__``
for most composite modules (PyG layers initialise in their constructors and
again in ``reset_parameters``). That keeps seeded figures identical whether a
model is built inside the procedure or by the user before it.

The recorded arguments also rebuild a saved model (:func:`constructor_args`).
"""

from __future__ import annotations

import functools
from typing import Any

import torch
from torch import nn

__all__ = ["Model", "constructor_args", "reinitialize"]


class Model(nn.Module):
    """``nn.Module`` that records the arguments of its outermost constructor call.

    Subclasses write a plain ``__init__``; nothing else changes. The record is
    ``model.init_args`` (positional) and ``model.init_kwargs`` (keyword).
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is None:
            return

        @functools.wraps(init)
        def recording_init(self, *args, **kw):
            if self.__dict__.get("_recording_init"):  # a super().__init__ inside the outermost call
                return init(self, *args, **kw)
            object.__setattr__(self, "_recording_init", True)
            try:
                init(self, *args, **kw)
            finally:
                object.__setattr__(self, "_recording_init", False)
            object.__setattr__(self, "init_args", args)
            object.__setattr__(self, "init_kwargs", dict(kw))

        cls.__init__ = recording_init


def constructor_args(model: nn.Module) -> tuple[tuple, dict[str, Any]]:
    """``(args, kwargs)`` of the call that built ``model`` (a :class:`Model`)."""
    if not isinstance(model, Model) or not hasattr(model, "init_args"):
        raise TypeError(f"{type(model).__name__} does not record its constructor arguments; "
                        "graphkit models derive from graphkit.nn.Model")
    return model.init_args, model.init_kwargs


def reinitialize(model: nn.Module) -> nn.Module:
    """Redraw ``model``'s parameters, buffers and generators as its constructor did; in place.

    Draws from torch's global generator exactly what ``type(model)(*args, **kwargs)``
    draws, so ``seed → reinitialize(model)`` equals ``seed → build``. The model
    keeps its device and dtype; data caches that depend only on the graph stay.
    """
    args, kwargs = constructor_args(model)
    fresh = type(model)(*args, **kwargs)
    model.load_state_dict(fresh.state_dict())  # copies into the model's own tensors: device and dtype stay
    for mine, theirs in zip(model.modules(), fresh.modules(), strict=True):
        for name, value in vars(theirs).items():
            if isinstance(value, torch.Generator):
                getattr(mine, name).set_state(value.get_state())
    return model
