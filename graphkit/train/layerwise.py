"""Layer-local training: every layer of a stack learns from its own loss, with its own optimiser.

No gradient crosses layers: a layer sees its input **detached**, computes a local loss and updates
only its own parameters. Two schedules (Park et al., "Forward Learning of Graph Neural Networks",
ICLR 2024; Hinton's forward-forward), both on the one epoch loop :func:`graphkit.train.loop.run_epochs`:

- :func:`train_greedy` — layer ``ℓ`` trains to early stop (its own validation, its own kept state)
  before layer ``ℓ + 1`` starts; then the inputs are pushed through the frozen layer once
  (``advance``) and the old ones are dropped. Each layer is one :func:`run_epochs` call with the layer
  as the model and its optimiser.
- :func:`train_time_steps` — every layer updates at every step ("time step") from the previous step's
  states of the other layers (top-down signals), all layers together or in two alternating groups
  (even layers, then odd layers reading the fresh even outputs). One :func:`run_epochs` call over the
  whole stack: the stack's state is kept and restored on validation, and
  :class:`LayerOptimizers` steps each layer's optimiser.

**Memory.** Only one layer's autograd graph is alive at a time: in the greedy schedule by
construction, in the time-step schedule because each layer's local loss is back-propagated as soon as
it is computed (inside the loss hook; the hook then hands :func:`run_epochs` the summed value as a
graph-free leaf, whose ``backward()`` does nothing). What stays alive besides one layer's activations
is what the method stores: the detached inputs (greedy) or the per-layer states (time steps). Peak
memory therefore does not grow with depth beyond those, unlike back-propagation through the stack.

The helpers know no paper: they take the layers and hooks that compute a layer's local loss, the
validation value and the next inputs (:mod:`graphkit.models.forwardgnn` is the user).

Example (a greedy stack of linear layers, each trained to predict the target on its own)::

    >>> import torch
    >>> from torch import nn
    >>> from graphkit.train.loop import Selection
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> x, y = torch.randn(64, 3), torch.randn(64, 1)
    >>> layers = nn.ModuleList(nn.Linear(3 if i == 0 else 4, 4) for i in range(3))
    >>> heads = [lambda h: h.sum(1, keepdim=True)] * 3
    >>> trajectories = train_greedy(
    ...     layers, {"h": x},
    ...     loss=lambda i, inp: ((heads[i](layers[i](inp["h"])) - y) ** 2).mean(),
    ...     validate=lambda i, inp: -((heads[i](layers[i](inp["h"])) - y) ** 2).mean().item(),
    ...     advance=lambda i, inp: {"h": layers[i](inp["h"])},
    ...     optimizer=lambda params: torch.optim.SGD(params, lr=0.05), epochs=5, progress=False)
    >>> [t.epochs_run for t in trajectories]
    [5, 5, 5]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import torch
from torch import Tensor, nn

from graphkit.train.loop import Selection, Trajectory, run_epochs
from graphkit.train.timing import Timer

__all__ = ["LayerOptimizers", "backward_terms", "detach_all", "layer_groups", "train_greedy", "train_time_steps"]

OptimizerFactory = Callable[[Iterable[nn.Parameter]], torch.optim.Optimizer]


def detach_all(value: Any) -> Any:
    """``value`` with every tensor detached (dicts, lists and tuples are walked; ``None`` stays)."""
    if isinstance(value, Tensor):
        return value.detach()
    if isinstance(value, dict):
        return {k: detach_all(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(detach_all(v) for v in value)
    return value


def backward_terms(value: Tensor | Iterable[Tensor]) -> Tensor:
    """A loss for :func:`run_epochs`: a tensor as is, or the sum of an iterable of terms, each
    back-propagated as soon as it is produced (one term's graph alive at a time), returned as a
    graph-free leaf whose ``backward()`` adds nothing to the gradients already in place."""
    if isinstance(value, Tensor):
        return value
    total = 0.0
    for term in value:
        term.backward()
        total += float(term.detach())
    return torch.tensor(total, requires_grad=True)


class LayerOptimizers:
    """One optimiser per layer, used as one: ``zero_grad()`` and ``step()`` act on every layer.

    ``step()`` clips each layer's own gradient norm to ``grad_clip`` (when given) before stepping its
    optimiser, so a layer's update never depends on another layer's gradients.

    Args:
        layers: the layers, each with its own parameters.
        optimizer: ``optimizer(parameters) -> torch.optim.Optimizer``, called once per layer.
        grad_clip: maximum gradient norm per layer and step (``None``: no clipping).

    Example:
        >>> opts = LayerOptimizers([nn.Linear(2, 2), nn.Linear(2, 2)], lambda p: torch.optim.SGD(p, lr=0.1))
        >>> len(opts), type(opts[1]).__name__
        (2, 'SGD')
    """

    def __init__(self, layers: Sequence[nn.Module], optimizer: OptimizerFactory, *, grad_clip: float | None = None):
        self.layers = list(layers)
        self.optimizers = [optimizer(layer.parameters()) for layer in self.layers]
        self.grad_clip = grad_clip

    def zero_grad(self, set_to_none: bool = True) -> None:
        for opt in self.optimizers:
            opt.zero_grad(set_to_none=set_to_none)

    def step(self) -> None:
        for layer, opt in zip(self.layers, self.optimizers, strict=True):
            if self.grad_clip is not None:
                nn.utils.clip_grad_norm_(layer.parameters(), self.grad_clip)
            opt.step()

    def __getitem__(self, index: int) -> torch.optim.Optimizer:
        return self.optimizers[index]

    def __len__(self) -> int:
        return len(self.optimizers)


def layer_groups(num_layers: int, alternating: bool) -> list[list[int]]:
    """The update order of one time step: ``[[0, 1, ..., L-1]]``, or even layers then odd layers.

    Example:
        >>> layer_groups(5, False), layer_groups(5, True)
        ([[0, 1, 2, 3, 4]], [[0, 2, 4], [1, 3]])
    """
    if num_layers < 1:
        raise ValueError(f"num_layers must be >= 1, got {num_layers}")
    if not alternating:
        return [list(range(num_layers))]
    return [g for g in (list(range(0, num_layers, 2)), list(range(1, num_layers, 2))) if g]


def train_greedy(layers: Sequence[nn.Module], inputs: Any, *, loss: Callable[[int, Any], Tensor],
                 validate: Callable[[int, Any], float], advance: Callable[[int, Any], Any],
                 optimizer: OptimizerFactory, epochs: int, selection: Selection | None = None,
                 eval_every: int = 1, grad_clip: float | None = None, timer: Timer | None = None,
                 progress: bool | None = None, desc: str = "layer",
                 value_name: str = "valid") -> list[Trajectory]:
    """Greedy layer-local training: layer ``ℓ`` trains to early stop, then layer ``ℓ + 1``.

    For each layer ``ℓ`` in order: a fresh optimiser over its parameters; :func:`run_epochs` with the
    layer as the model, ``loss(ℓ, inputs)`` and ``validate(ℓ, inputs)``; the state that ``selection``
    keeps is restored; then, under ``torch.no_grad``, ``inputs = advance(ℓ, inputs)`` (the next layer's
    inputs, typically the frozen layer's output). Inputs are detached before every layer, so no
    gradient reaches an earlier layer; the old inputs are released when ``advance`` returns.

    Args:
        layers: the stack, trained in place.
        inputs: what layer 0 needs (any nesting of dicts / lists / tensors): its input and whatever the
            hooks carry along (e.g. cached evaluation inputs).
        loss: ``loss(ℓ, inputs)``, layer ``ℓ``'s local loss: a tensor, or an iterable (a generator) of
            terms that sum to it, back-propagated one by one as they are produced so that only one
            term's graph is alive (:func:`backward_terms`; e.g. one term per negative input).
        validate: ``validate(ℓ, inputs) -> float``, the value to select layer ``ℓ``'s state on
            (typically the prediction of layers ``0..ℓ``).
        advance: ``advance(ℓ, inputs) -> inputs`` for layer ``ℓ + 1`` (called after the last layer too).
        optimizer: ``optimizer(parameters)``, one per layer.
        epochs, selection, eval_every, grad_clip, timer, progress, value_name: per layer, as
            :func:`run_epochs`.
        desc: the progress bar's label (``"<desc> <ℓ>"``).

    Returns:
        one :class:`~graphkit.train.loop.Trajectory` per layer.
    """
    trajectories = []
    inputs = detach_all(inputs)
    for index, layer in enumerate(layers):
        def layer_loss(batch, epoch, index=index, inputs=inputs):
            return backward_terms(loss(index, inputs))

        def layer_value(index=index, inputs=inputs):
            return validate(index, inputs)

        trajectories.append(run_epochs(
            layer, optimizer(layer.parameters()), epochs=epochs, loss=layer_loss, validate=layer_value,
            selection=selection, eval_every=eval_every, grad_clip=grad_clip, timer=timer, progress=progress,
            desc=f"{desc} {index}", value_name=value_name))
        layer.zero_grad(set_to_none=True)  # a trained layer keeps no gradient buffers
        with torch.no_grad():
            inputs = detach_all(advance(index, inputs))
    return trajectories


def train_time_steps(stack: nn.Module, layers: Sequence[nn.Module], states: list[Tensor], *,
                     local_loss: Callable[[int, Callable[[int], Tensor]], tuple[Tensor, Tensor]],
                     validate: Callable[[], float], optimizer: OptimizerFactory, epochs: int,
                     alternating: bool = False, selection: Selection | None = None, eval_every: int = 1,
                     grad_clip: float | None = None, timer: Timer | None = None, progress: bool | None = None,
                     desc: str = "time steps", value_name: str = "valid") -> Trajectory:
    """Time-step layer-local training: every layer updates at every step from the others' states.

    ``states[j]`` is layer ``j``'s output at the previous step (detached; start them with a bottom-up
    pass). At each step the layers run in the order of :func:`layer_groups`; layer ``j`` calls
    ``local_loss(j, read) -> (loss, output)`` where ``read(k)`` is layer ``k``'s state to use: the
    previous step's, or with ``alternating`` the one computed earlier in this step when there is one
    (odd layers then read the fresh outputs of the even layers). The loss is back-propagated at once
    (one layer's graph alive at a time), the output becomes ``states[j]`` for the next step, and after
    all layers every layer's optimiser steps (:class:`LayerOptimizers`, per-layer ``grad_clip``).
    Stepping after the loop equals stepping right after each layer's backward: a layer's output is
    computed before its own update either way, and its update touches only its parameters.

    One :func:`run_epochs` call over ``stack`` (the module holding ``layers``, whose state is kept and
    restored on ``validate()``): ``epochs`` is the number of time steps.

    Returns:
        the :class:`~graphkit.train.loop.Trajectory` of the run (``history`` ``loss`` is the sum of the
        layers' local losses). ``states`` is updated in place to the last step's outputs.
    """
    if len(states) != len(layers):
        raise ValueError(f"one state per layer is needed: {len(layers)} layers, {len(states)} states")
    optimizers = LayerOptimizers(layers, optimizer, grad_clip=grad_clip)
    groups = layer_groups(len(layers), alternating)

    def step_loss(batch, epoch) -> Tensor:
        fresh: dict[int, Tensor] = {}

        def read(k: int) -> Tensor:
            return fresh[k] if alternating and k in fresh else states[k]

        total = 0.0
        for group in groups:
            for j in group:
                value, output = local_loss(j, read)
                value.backward()  # frees layer j's graph now: one layer's activations at a time
                total += float(value.detach())
                fresh[j] = output.detach()
        states[:] = [fresh.get(j, s) for j, s in enumerate(states)]
        # the gradients are in place; run_epochs' own backward of this graph-free leaf adds nothing
        return torch.tensor(total, requires_grad=True)

    return run_epochs(stack, optimizers, epochs=epochs, loss=step_loss, validate=validate, selection=selection,
                      eval_every=eval_every, timer=timer, progress=progress, desc=desc, value_name=value_name)
