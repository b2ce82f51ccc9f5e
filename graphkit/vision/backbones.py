r"""Backbone taps: the intermediate feature maps of a torchvision model, as an ordered dict.

:func:`feature_extractor` wraps torchvision's ``create_feature_extractor`` (an FX
graph of the model cut after the requested nodes, so nothing past the last tap is
computed); :func:`mobilenet_v2_features` is the MobileNetV2 (Sandler et al.,
CVPR 2018, https://arxiv.org/abs/1801.04381) instance with its four stage outputs:

======  ===============  ========  ======
name    torchvision node  channels  stride
======  ===============  ========  ======
``c2``  ``features.3``   24        4
``c3``  ``features.6``   32        8
``c4``  ``features.13``  96        16
``c5``  ``features.18``  1280      32
======  ===============  ========  ======

Any torchvision backbone works the same way: pass the model and its node names
(``torchvision.models.feature_extraction.get_graph_node_names(model)`` lists
them), e.g. ``feature_extractor(resnet50(), {"layer2": "c3", "layer3": "c4",
"layer4": "c5"})`` for the C3–C5 inputs of :class:`~graphkit.vision.RCNet`.

**Weights.** ``weights=None`` keeps the random initialisation (``seed`` fixes
it). ``weights=PATH`` loads a local torchvision state dict (``torch.save(model.state_dict(), PATH)``) with
``torch.load(..., weights_only=True)``: no pickled code runs, and nothing is ever
downloaded. A file for another architecture is refused with the keys it lacks
(and those it has in excess) before anything is loaded.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from pathlib import Path

import torch
from torch import Tensor, nn

from graphkit._validation import check_int
from graphkit.vision._torchvision import feature_extraction, torchvision
from graphkit.vision.spp import check_images

__all__ = ["MOBILENET_V2_TAPS", "FeatureTaps", "feature_extractor", "load_state_dict_file", "mobilenet_v2_features"]

#: MobileNetV2's stage outputs: tap name -> (torchvision node, channels, stride)
MOBILENET_V2_TAPS: dict[str, tuple[str, int, int]] = {
    "c2": ("features.3", 24, 4),
    "c3": ("features.6", 32, 8),
    "c4": ("features.13", 96, 16),
    "c5": ("features.18", 1280, 32),
}
_PROBE_SIZE = 64


def _listing(keys, limit: int = 8) -> str:
    keys = sorted(keys)
    shown = ", ".join(keys[:limit])
    return f"{shown}, ... ({len(keys)} in all)" if len(keys) > limit else shown


def _read_state_dict(weights) -> tuple[dict[str, Tensor], str]:
    if isinstance(weights, Mapping):
        return dict(weights), "the state dict passed"
    if not isinstance(weights, (str, os.PathLike)):
        kind = type(weights).__name__
        hint = ""
        if "Weights" in kind or hasattr(weights, "get_state_dict"):
            hint = (" graphkit never downloads weights: save them once where you have network access with "
                    "torch.save(model.state_dict(), 'file.pth') and pass the file path")
        raise TypeError(f"weights must be None, a path to a local state-dict file or a state dict, got {kind}.{hint}")
    path = Path(weights).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"weights file {str(path)!r} does not exist (graphkit never downloads weights; "
                                f"pass the path of a local torchvision state dict)")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ValueError(f"{path} is not a readable state-dict file (torch.load(weights_only=True) refused it: "
                         f"{str(exc).splitlines()[0]})") from exc
    if isinstance(state, Mapping) and not any(isinstance(v, Tensor) for v in state.values()):
        for key in ("state_dict", "model"):  # common checkpoint wrappers
            if isinstance(state.get(key), Mapping):
                state = state[key]
                break
    if not isinstance(state, Mapping):
        raise ValueError(f"{path} holds a {type(state).__name__}, not a state dict (name -> tensor)")
    return dict(state), str(path)


def load_state_dict_file(module: nn.Module, weights, *, accepted: Sequence[str] = (), architecture: str = "") -> None:
    """Load a local state dict (file path or mapping) into ``module``, strictly, with readable errors.

    Args:
        module: the module to fill (every key of its ``state_dict()`` must be present).
        weights: a file path (read with ``torch.load(weights_only=True)``; ``{"state_dict": ...}`` /
            ``{"model": ...}`` wrappers and DataParallel's ``module.`` prefixes are unwrapped) or a mapping.
        accepted: further keys the file may hold without ``module`` using them (the parts of the
            full model a feature extractor cuts off, e.g. a classifier).
        architecture: the model's name, for the messages.

    Raises:
        ValueError: keys are missing, unknown, or of another shape (the message names them).
        FileNotFoundError: the file does not exist.
    """
    state, source = _read_state_dict(weights)
    if state and all(k.startswith("module.") for k in state):
        state = {k[len("module."):]: v for k, v in state.items()}
    needed = module.state_dict()
    what = f" {architecture}" if architecture else ""
    missing = set(needed) - set(state)
    unexpected = set(state) - set(needed) - set(accepted)
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"missing keys: {_listing(missing)}")
        if unexpected:
            parts.append(f"unexpected keys: {_listing(unexpected)}")
        raise ValueError(f"{source} does not fit the{what} model ({'; '.join(parts)}); is it a checkpoint of "
                         f"another architecture?")
    wrong = [f"{k} {list(state[k].shape)} (model: {list(v.shape)})" for k, v in needed.items()
             if isinstance(state[k], Tensor) and state[k].shape != v.shape]
    if wrong:
        raise ValueError(f"{source} does not fit the{what} model: tensors of another shape: {_listing(wrong, 4)}")
    module.load_state_dict({k: state[k] for k in needed}, strict=True)


def _first_conv_channels(model: nn.Module) -> int | None:
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            return m.in_channels
    return None


class FeatureTaps(nn.Module):
    """A backbone cut after its tap nodes: ``forward(images) -> OrderedDict(name -> [B, C_l, H_l, W_l])``.

    Built by :func:`feature_extractor` / :func:`mobilenet_v2_features`.

    Attributes:
        body: the torchvision FX feature extractor (``create_feature_extractor``).
        return_nodes: tap name -> torchvision node name.
        channels, strides: tap name -> channels / downsampling factor (measured once on a
            64 × 64 probe at construction).
        in_channels: image channels the first convolution takes (3 for RGB).

    Example:
        >>> taps = mobilenet_v2_features(seed=0)
        >>> out = taps(torch.randn(1, 3, 64, 64))
        >>> [(name, tuple(t.shape[1:])) for name, t in out.items()]
        [('c2', (24, 16, 16)), ('c3', (32, 8, 8)), ('c4', (96, 4, 4)), ('c5', (1280, 2, 2))]
    """

    def __init__(self, body: nn.Module, return_nodes: Mapping[str, str], in_channels: int | None,
                 architecture: str = ""):
        super().__init__()
        self.body = body
        self.return_nodes = dict(return_nodes)
        self.in_channels = in_channels
        self.architecture = architecture
        self.channels, self.strides = self._probe()

    @torch.no_grad()
    def _probe(self) -> tuple[dict[str, int], dict[str, int]]:
        training = self.body.training
        self.body.eval()
        try:
            param = next(self.body.parameters(), None)
            probe = torch.zeros(1, self.in_channels or 3, _PROBE_SIZE, _PROBE_SIZE,
                                device=param.device if param is not None else None,
                                dtype=param.dtype if param is not None else None)
            out = self.body(probe)
        finally:
            self.body.train(training)
        channels = {name: int(out[name].size(1)) for name in self.return_nodes}
        strides = {name: max(1, round(_PROBE_SIZE / out[name].size(-1))) for name in self.return_nodes}
        return channels, strides

    def forward(self, images: Tensor) -> OrderedDict[str, Tensor]:
        check_images(images, name="images", channels=self.in_channels)
        out = self.body(images)
        return OrderedDict((name, out[name]) for name in self.return_nodes)

    def extra_repr(self) -> str:
        taps = ", ".join(f"{n}={node!r} ({self.channels[n]} ch, /{self.strides[n]})"
                         for n, node in self.return_nodes.items())
        return f"{self.architecture or 'backbone'}: {taps}"


def feature_extractor(model: nn.Module, return_nodes: Mapping[str, str] | Sequence[str], *, weights=None,
                      architecture: str | None = None) -> FeatureTaps:
    """Tap any torchvision model at named nodes (``torchvision.models.feature_extraction``).

    Args:
        model: a torchvision model (or any FX-traceable module), e.g. ``torchvision.models.resnet18()``.
        return_nodes: ``{node: tap_name}`` as torchvision takes it, or a list of node names
            (tap names = node names). Order is the output order.
        weights: ``None`` (keep ``model``'s parameters), a local state-dict file of the **full**
            model, or a state dict; see :func:`load_state_dict_file`.
        architecture: the model's name for messages. (default: its class name)

    Returns:
        A :class:`FeatureTaps`.

    Example:
        >>> from torchvision.models import resnet18
        >>> taps = feature_extractor(resnet18(), {"layer2": "c3", "layer3": "c4", "layer4": "c5"})
        >>> taps.channels, taps.strides
        ({'c3': 128, 'c4': 256, 'c5': 512}, {'c3': 8, 'c4': 16, 'c5': 32})
    """
    fx = feature_extraction()
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module (a torchvision model), got {type(model).__name__}")
    if isinstance(return_nodes, Mapping):
        nodes = {str(k): str(v) for k, v in return_nodes.items()}
    elif isinstance(return_nodes, Sequence) and not isinstance(return_nodes, str):
        nodes = {str(k): str(k) for k in return_nodes}
    else:
        raise TypeError(f"return_nodes must be a mapping node -> name or a list of node names, got {return_nodes!r}")
    if not nodes:
        raise ValueError("return_nodes is empty: name at least one node to tap")
    if len(set(nodes.values())) != len(nodes):
        raise ValueError(f"tap names must be distinct, got {list(nodes.values())}")
    architecture = architecture or type(model).__name__
    _, eval_nodes = fx.get_graph_node_names(model)
    known = set(eval_nodes)
    for name in eval_nodes:  # a module's name taps its last node (torchvision's convention)
        parts = name.split(".")
        known.update(".".join(parts[:i]) for i in range(1, len(parts)))
    unknown = [n for n in nodes if n not in known]
    if unknown:
        raise ValueError(f"{architecture} has no node(s) {unknown}; valid names include "
                         f"{_listing(n for n in known if n.count('.') <= 1)} "
                         f"(torchvision.models.feature_extraction.get_graph_node_names lists all)")
    body = fx.create_feature_extractor(model, return_nodes=nodes)
    if weights is not None:
        load_state_dict_file(body, weights, accepted=model.state_dict().keys(), architecture=architecture)
    taps = FeatureTaps(body, {name: node for node, name in nodes.items()}, _first_conv_channels(model),
                       architecture)
    return taps


def mobilenet_v2_features(weights=None, *, taps: Sequence[str] = ("c2", "c3", "c4", "c5"),
                          seed: int | None = None) -> FeatureTaps:
    """MobileNetV2's stage outputs (24 ch /4, 32 ch /8, 96 ch /16, 1280 ch /32) as an ordered dict.

    Args:
        weights: ``None`` (random initialisation, torchvision's), or the path of a local
            torchvision ``mobilenet_v2`` state dict (e.g. ``IMAGENET1K_V1`` saved with
            ``torch.save(model.state_dict(), path)``); loaded with ``weights_only=True``, never
            downloaded. (default: ``None``)
        taps: which of ``'c2'``, ``'c3'``, ``'c4'``, ``'c5'`` to return, in that order; the network
            is cut after the last one. (default: all four)
        seed: seeds the random initialisation (``None``: torch's global generator). (default: ``None``)

    Returns:
        A :class:`FeatureTaps`: ``taps(images [B, 3, H, W])`` → ``OrderedDict`` of ``[B, C, H/s, W/s]``
        (sizes rounded up).

    Raises:
        ValueError: a weight file for another architecture (missing keys named), an unknown tap.

    Example:
        >>> taps = mobilenet_v2_features(taps=("c3",), seed=0)
        >>> taps(torch.randn(2, 3, 32, 32))["c3"].shape
        torch.Size([2, 32, 4, 4])
    """
    tv = torchvision()
    if isinstance(taps, str) or not taps or any(t not in MOBILENET_V2_TAPS for t in taps):
        raise ValueError(f"taps must be a non-empty list of {list(MOBILENET_V2_TAPS)}, got {taps!r}")
    taps = [t for t in MOBILENET_V2_TAPS if t in set(taps)]
    if seed is not None:
        seed = check_int("seed", seed)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = tv.models.mobilenet_v2(weights=None)
    else:
        model = tv.models.mobilenet_v2(weights=None)
    model.eval()
    return feature_extractor(model, {MOBILENET_V2_TAPS[t][0]: t for t in taps}, weights=weights,
                             architecture="mobilenet_v2")
