r"""DGMLP (Zhang et al., "Evaluating Deep Graph Neural Networks", 2021, https://arxiv.org/abs/2108.00955).

What the released code (PKU-DAIR/DGMLP ``src/train.py``) computes:

.. math::
    \tilde X = \sum_{k=0}^{K} \operatorname{diag}(w_{\cdot k})\, \hat A^k X,\qquad
    w_v = \operatorname{softmax}_k\Bigl(\cos(x_v, x^{(k)}_v)\,\bigl(1 - \cos(x^\infty_v, x^{(k)}_v)\bigr)\Bigr)

    \mathrm{logits} = \mathrm{Lin}(\mathrm{Drop}(\tilde X))

with :math:`x^\infty` the per-component stationary state (see
:mod:`graphkit.ops.hop_weighting`, which computes :math:`\tilde X` vectorised and
streaming the hops). The weighting has no parameters, so it is precomputed once.

``num_layers > 1`` gives the deeper transformation the paper recommends
(initial residual + identity skip). That is *not* in the released DGMLP code;
it follows the successor AIR code's ``FeedForwardNetII`` middle layers,
:math:`h \leftarrow \mathrm{Drop}(\mathrm{ReLU}(\mathrm{BN}((h + h_0) W) + h))`,
with :math:`h_0 = \mathrm{Drop}(\mathrm{ReLU}(\mathrm{Lin}_{in}(\mathrm{Drop}(\tilde X))))`
and a final linear layer.

The registered procedure :func:`fit_dgmlp` (``dgmlp``) precomputes
:math:`\tilde X` from the raw features, then trains the head full batch with
Adam and reports the test accuracy at the best validation accuracy, as the
official code.
"""

from __future__ import annotations

import time

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.data import Data

from graphkit import metrics
from graphkit.models.registry import GraphInfo, register_model
from graphkit.ops.hop_weighting import node_adaptive_hop_weighting
from graphkit.ops.propagate import _check_num_hops
from graphkit.train.node_classification import check_node_data
from graphkit.train.result import RunResult
from graphkit.train.selection import train_with_selection
from graphkit.train.timing import Timer

__all__ = ["DGMLP", "fit_dgmlp"]


class DGMLP(nn.Module):
    r"""DGMLP: parameter-free node-adaptive hop weighting, then dropout + linear (see the module docstring).

    Args:
        in_channels: :math:`F`.
        out_channels: :math:`C`.
        num_hops: :math:`K \geq 0` (official: 20 on Cora and PubMed, 15 on CiteSeer).
        dropout: dropout on the input of each linear layer (official: 0.2 / 0.1 / 0.5).
        hidden_channels: hidden size for ``num_layers > 1``.
        num_layers: 1 (default) is the released DGMLP (a single linear layer);
            ``L > 1`` is the AIR-style deep head with ``L - 2`` residual middle layers.
        cached: precompute :math:`\tilde X` at the first call and reuse it
            (transductive use, like PyG's ``cached=True``); default ``False``.

    Shapes:
        - x: :math:`[N, F]`, edge_index: :math:`[2, E]`, output: :math:`[N, C]` logits.
    """

    def __init__(self, in_channels: int, out_channels: int, num_hops: int = 20, *, dropout: float = 0.2,
                 hidden_channels: int | None = None, num_layers: int = 1, cached: bool = False):
        super().__init__()
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels),
                            ("num_layers", num_layers)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if num_layers > 1 and (not isinstance(hidden_channels, int) or hidden_channels < 1):
            raise ValueError(f"num_layers={num_layers} needs a positive hidden_channels, got {hidden_channels!r}")
        if not 0 <= dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.num_hops = _check_num_hops(num_hops)
        self.dropout, self.num_layers, self.cached = float(dropout), num_layers, bool(cached)
        self.hidden_channels = hidden_channels if num_layers > 1 else None
        if num_layers == 1:
            self.lin = nn.Linear(in_channels, out_channels)
        else:
            self.lin_in = nn.Linear(in_channels, hidden_channels)
            self.mids = nn.ModuleList(nn.Linear(hidden_channels, hidden_channels) for _ in range(num_layers - 2))
            self.norms = nn.ModuleList(nn.BatchNorm1d(hidden_channels) for _ in range(num_layers - 2))
            self.lin_out = nn.Linear(hidden_channels, out_channels)
        self._cached_x: Tensor | None = None

    def reset_parameters(self) -> None:
        for module in self.modules():
            if module is not self and hasattr(module, "reset_parameters"):
                module.reset_parameters()
        self._cached_x = None

    def precompute(self, x: Tensor, edge_index, *, num_nodes: int | None = None) -> Tensor:
        r""":math:`\tilde X` (see :func:`graphkit.ops.hop_weighting.node_adaptive_hop_weighting`)."""
        self._check_x(x)
        return node_adaptive_hop_weighting(edge_index, x, self.num_hops, num_nodes=num_nodes)

    def _check_x(self, x: Tensor) -> None:
        if not isinstance(x, Tensor) or x.dim() != 2:
            raise ValueError(f"x must be a [N, F] tensor, got {getattr(x, 'shape', type(x).__name__)}")
        if x.size(1) != self.in_channels:
            raise ValueError(f"DGMLP was built for {self.in_channels} input features but x has {x.size(1)}; "
                             f"pass in_channels={x.size(1)}")

    def head(self, x_tilde: Tensor) -> Tensor:
        """The transformation applied to the precomputed :math:`\\tilde X`."""
        self._check_x(x_tilde)
        h = F.dropout(x_tilde, self.dropout, self.training)
        if self.num_layers == 1:
            return self.lin(h)
        h0 = h = F.dropout(F.relu(self.lin_in(h)), self.dropout, self.training)
        for lin, norm in zip(self.mids, self.norms, strict=False):
            h = F.dropout(F.relu(norm(lin(h + h0)) + h), self.dropout, self.training)
        return self.lin_out(h)

    def forward(self, x: Tensor, edge_index=None, *, x_tilde: Tensor | None = None) -> Tensor:
        if x_tilde is None:
            if self.cached and self._cached_x is not None:
                if self._cached_x.size(0) != x.size(0):
                    raise ValueError(f"the cached features have {self._cached_x.size(0)} rows but x has "
                                     f"{x.size(0)}; call reset_parameters() or use cached=False")
                x_tilde = self._cached_x
            else:
                if edge_index is None:
                    raise ValueError("DGMLP needs edge_index (or the precomputed x_tilde=)")
                with torch.no_grad():
                    x_tilde = self.precompute(x, edge_index, num_nodes=x.size(0))
                if self.cached:
                    self._cached_x = x_tilde
        return self.head(x_tilde)

    def extra_repr(self) -> str:
        deep = f", hidden_channels={self.hidden_channels}" if self.num_layers > 1 else ""
        return (f"{self.in_channels}, {self.out_channels}, num_hops={self.num_hops}, dropout={self.dropout}, "
                f"num_layers={self.num_layers}{deep}")


def build_dgmlp(info: GraphInfo, cfg: dict) -> DGMLP:
    if info.num_features < 1:
        raise ValueError("DGMLP needs node features; this data set has none")
    return DGMLP(info.num_features, info.num_classes, cfg["num_hops"], dropout=cfg["dropout"],
                 hidden_channels=cfg.get("hidden_channels"), num_layers=cfg.get("num_layers", 1), cached=True)


def fit_dgmlp(data: Data, cfg: dict, *, seed: int, device, progress: bool = False) -> RunResult:
    """Precompute :math:`\\tilde X` once (timed as ``precompute_s``), then train the head; select on validation.

    The head is row-wise (dropout and linear layers act on each node alone; BatchNorm,
    in the deep head, sees the training rows as its batch), so each epoch runs it on
    the training rows only and evaluates it on the validation rows only: the loss and
    the selection are those of the official full-matrix loop, but dropout draws
    ``|train| x F`` instead of ``N x F`` random numbers (on Cora 140 rows instead of
    2,708: an epoch drops from ~75 ms to a few ms on 2 cores). Test accuracy at the
    epoch of best validation accuracy (first such epoch), as the official code.
    """
    torch.manual_seed(seed)
    check_node_data(data)
    if data.y.dim() != 1:
        raise ValueError("DGMLP's procedure is for single-label node classification (y of shape [N])")
    device = torch.device(device)
    info = GraphInfo(data.num_nodes, data.num_features, int(data.y.max()) + 1)
    model = build_dgmlp(info, cfg).to(device)
    timer = Timer(device)
    start = time.perf_counter()
    x_tilde = model.precompute(data.x.to(device), data.edge_index.to(device), num_nodes=data.num_nodes)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    precompute_s = time.perf_counter() - start
    y = data.y.to(device)
    rows = {s: getattr(data, f"{s}_mask").to(device).nonzero().view(-1) for s in ("train", "val", "test")}
    x_train, y_train = x_tilde[rows["train"]], y[rows["train"]]
    x_val, y_val = x_tilde[rows["val"]], y[rows["val"]]
    epochs = cfg["epochs"]
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    model, history, best_epoch = train_with_selection(
        model, lambda epoch: F.cross_entropy(model.head(x_train), y_train),
        lambda: metrics.accuracy(model.head(x_val), y_val), epochs=epochs, lr=cfg["lr"],
        weight_decay=cfg.get("weight_decay", 0.0), patience=cfg.get("patience"), desc="DGMLP", progress=progress,
        timer=timer)
    with torch.no_grad(), timer.inference():
        logits = model.head(x_tilde)
    result = {f"{key}_accuracy": metrics.accuracy(logits[rows[stage]], y[rows[stage]])
              for stage, key in (("val", "valid"), ("test", "test"))}
    time_summary = timer.summary()
    time_summary["precompute_s"] = precompute_s
    return RunResult(result, time_summary, best_epoch, len(history), history=history)


register_model("dgmlp", task="node", fit=fit_dgmlp,
               description="DGMLP, Zhang et al. 2021: node-adaptive hop weighting (parameter-free) + linear")(build_dgmlp)
