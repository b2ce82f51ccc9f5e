r"""VQGraph (Yang et al., ICLR'24, https://arxiv.org/abs/2308.02117) and GLNN (Zhang et al., ICLR'22).

**Tokenizer / teacher** (:class:`VQGraphTokenizer`): a graph VQ-VAE.
Encoder :math:`h = \mathrm{Dropout}(\mathrm{ReLU}(\mathrm{GNN}(X, A)))` (GraphSAGE
or GCN, ``[N, d]``); :class:`~graphkit.nn.VectorQuantizer` (cosine, EMA decay
0.8, commitment 0.25) gives codes :math:`q_v = e_{k(v)}`; two decoders
reconstruct the **node features** (:math:`\lambda_{node}\,\mathrm{MSE}(X, \mathrm{dec}_x(q))`)
and the **edges** by sampled pairs — BCE of :math:`\sigma(\mathrm{dec}_a(q_u)^\top
\mathrm{dec}_a(q_v))` on up to ``edge_batch`` observed edges and as many
uniform random pairs (never the dense ``N × N`` adjacency); a GCN layer on
the decoded codes :math:`\mathrm{dec}_a(q)` plus a linear layer classifies (as the
official code). Loss: CE + λ_node L_node + λ_edge
L_edge + commitment.

**Student** (:class:`VQGraph`): an MLP whose last hidden layer is also
projected into code space, :math:`p_v = P h^{MLP}_v`. Objective, one step per epoch:

.. math::
    L = \lambda\,\mathrm{CE} + (1-\lambda)\,\mathrm{KD}(t, s)
        + \beta\,\tau^2\,\mathrm{KL}(r^{GNN}_v \| r^{MLP}_v),\quad
    r_v = \mathrm{softmax}_m(\mathrm{sim}(\cdot, e_m)/\tau)

with :math:`\tau = 4` and β a real weight (default 1).

**GLNN** = the same loop with a plain GNN teacher (GraphSAGE) and no code term.

Protocol (GLNN / VQGraph): largest connected component, 20 train / 30 val per
class, the rest test, redrawn per seed; transductive or inductive (20 % of test
held out).

**Where this differs from the official code** (YangLing0818/VQGraph 60aa1c9):
code-distillation weight β = 1 by default (official ``lamb_soft_tokens=1e-8``
makes it a no-op); teacher code assignments are indexed by node id (the
official mini-batch path indexes them by position in a permuted ``idx_t``);
checkpoints are selected on validation, never test; edges are reconstructed from
sampled pairs instead of a dense N×N matrix; the node decoder reconstructs X
(as in the paper) rather than the encoder output; the student's code
assignment uses the same similarity as the teacher's (cosine), not L2 for the
student and cosine for the teacher; one combined loss per epoch instead of
three optimiser steps; the code dimension is a parameter (official: the raw
feature size F).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.data import Data
from torch_geometric.nn import GCNConv, SAGEConv
from torch_geometric.utils import subgraph

from graphkit._validation import check_edge_index, check_features
from graphkit.datasets.node_splits import per_class_split
from graphkit.models.baselines import MLP, SAGE
from graphkit.models.registry import register_model
from graphkit.nn.vector_quantizer import VectorQuantizer
from graphkit.train.distillation import DistillConfig, check_temperature, distill, kd_loss

__all__ = ["GLNN", "VQGraph", "VQGraphTokenizer", "prepare_graph", "restrict_graph"]


class VQGraphTokenizer(nn.Module):
    """The graph VQ-VAE teacher (see the module docstring).

    Args:
        in_channels, hidden_channels, out_channels: feature, classifier-hidden and class sizes.
        code_dim: codebook dimension ``d``; num_codes: codebook size ``M``.
        encoder: ``'sage'`` or ``'gcn'``; dropout: after the encoder.
        lambda_node, lambda_edge: reconstruction weights; edge_batch: sampled positive pairs per step.

    Shapes:
        ``forward(x [N, F], edge_index [2, E]) -> (logits [N, C], aux_loss [])``;
        :meth:`encode` gives ``h [N, d]``.
    """

    def __init__(self, in_channels: int, hidden_channels: int, out_channels: int, *, code_dim: int = 128,
                 num_codes: int = 2048, encoder: str = "sage", dropout: float = 0.5, lambda_node: float = 1e-3,
                 lambda_edge: float = 0.03, commitment_weight: float = 0.25, decay: float = 0.8,
                 edge_batch: int = 4096, seed: int = 0):
        super().__init__()
        if encoder not in ("sage", "gcn"):
            raise ValueError(f"encoder must be 'sage' or 'gcn', got {encoder!r}")
        self.encoder = SAGEConv(in_channels, code_dim) if encoder == "sage" else GCNConv(in_channels, code_dim)
        self.vq = VectorQuantizer(num_codes, code_dim, decay=decay, commitment_weight=commitment_weight, seed=seed)
        self.node_decoder = nn.Linear(code_dim, in_channels)
        self.edge_decoder = nn.Linear(code_dim, code_dim)
        self.cls_conv = GCNConv(code_dim, hidden_channels)
        self.cls_lin = nn.Linear(hidden_channels, out_channels)
        self.dropout, self.lambda_node, self.lambda_edge = dropout, lambda_node, lambda_edge
        self.edge_batch, self.encoder_name = edge_batch, encoder
        self.gen = torch.Generator().manual_seed(seed)

    def reset_parameters(self) -> None:
        for m in (self.encoder, self.vq, self.node_decoder, self.edge_decoder, self.cls_conv, self.cls_lin):
            m.reset_parameters()

    def encode(self, x: Tensor, edge_index: Tensor) -> Tensor:
        return F.dropout(F.relu(self.encoder(x, edge_index)), self.dropout, self.training)

    def forward(self, x: Tensor, edge_index: Tensor) -> tuple[Tensor, Tensor]:
        h = self.encode(x, edge_index)
        q, _, commit = self.vq(h)
        # the classifier reads the edge decoder's output, as the official graph_layer_2(decoder_1(q)): the
        # unit-norm cosine codes fed straight into the GCN give small, under-confident logits, whose soft
        # labels left some students near 45 % on Cora
        z = self.edge_decoder(q)
        logits = self.cls_lin(F.relu(self.cls_conv(z, edge_index)))
        if not self.training:
            return logits, None
        l_node = F.mse_loss(self.node_decoder(q), x)
        n, e = x.size(0), edge_index.size(1)
        k = min(self.edge_batch, e)
        if k > 0:
            pos = edge_index[:, torch.randint(0, e, (k,), generator=self.gen).to(x.device)]
            neg = torch.randint(0, n, (2, k), generator=self.gen).to(x.device)
            score = torch.cat([(z[pos[0]] * z[pos[1]]).sum(-1), (z[neg[0]] * z[neg[1]]).sum(-1)])
            target = torch.cat([score.new_ones(k), score.new_zeros(k)])
            l_edge = F.binary_cross_entropy_with_logits(score, target)
        else:
            l_edge = z.sum() * 0.0
        return logits, self.lambda_node * l_node + self.lambda_edge * l_edge + commit


class VQGraph(nn.Module):
    """The VQGraph student: an MLP plus a projection of its last hidden layer into code space.

    Shapes: ``forward(x [N, F]) -> (logits [N, C], code_projection [N, code_dim])``.
    """

    def __init__(self, in_channels: int, hidden_channels: int, out_channels: int, *, code_dim: int = 128,
                 num_layers: int = 2, dropout: float = 0.5):
        super().__init__()
        if num_layers < 2:
            raise ValueError("VQGraph's student needs num_layers >= 2 (a hidden layer to project)")
        sizes = [in_channels] + [hidden_channels] * (num_layers - 1)
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:], strict=True))
        self.out = nn.Linear(hidden_channels, out_channels)
        self.proj = nn.Linear(hidden_channels, code_dim)
        self.dropout = dropout

    def reset_parameters(self) -> None:
        for m in [*self.hidden, self.out, self.proj]:
            m.reset_parameters()

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        for lin in self.hidden:
            x = F.dropout(F.relu(lin(x)), self.dropout, self.training)
        return self.out(x), self.proj(x)


class GLNN(MLP):
    """The GLNN student: a plain MLP distilled from a GNN's soft labels (Zhang et al., ICLR'22)."""


# --------------------------------------------------------------------------- data


def largest_component(edge_index: Tensor, num_nodes: int) -> Tensor:
    """Bool mask of the largest connected component (edges read as undirected)."""
    ei = edge_index.cpu().numpy()
    adj = sp.coo_matrix((np.ones(ei.shape[1]), (ei[0], ei[1])), shape=(num_nodes, num_nodes))
    _, label = sp.csgraph.connected_components(adj, directed=False)
    return torch.from_numpy(label == np.bincount(label).argmax())


def restrict_graph(data: Data, keep: Tensor) -> Data:
    """Induced subgraph on ``keep`` (relabelled), masks restricted."""
    keep = keep.to(data.x.device)
    ei, _ = subgraph(keep, data.edge_index, relabel_nodes=True, num_nodes=data.num_nodes)
    return Data(x=data.x[keep], y=data.y[keep], edge_index=ei, num_nodes=int(keep.sum()),
                train_mask=data.train_mask[keep], val_mask=data.val_mask[keep], test_mask=data.test_mask[keep])


def prepare_graph(data: Data, *, seed: int = 0, lcc: bool = True, train_per_class: int = 20,
                  val_per_class: int = 30) -> Data:
    """GLNN protocol: the largest connected component, seeded 20/30/rest per-class split."""
    if getattr(data, "x", None) is None or getattr(data, "edge_index", None) is None:
        raise ValueError("VQGraph / GLNN need node features data.x and a graph data.edge_index")
    n = data.num_nodes
    check_features(data.x, n, name="data.x")
    check_edge_index(data.edge_index, n, name="data.edge_index")
    if data.y.dim() != 1:
        raise ValueError("VQGraph / GLNN need single-label targets y [N]")
    keep = largest_component(data.edge_index, n) if lcc else torch.ones(n, dtype=torch.bool)
    ei, _ = subgraph(keep, data.edge_index, relabel_nodes=True, num_nodes=n)
    y = data.y[keep]
    train, val, test = per_class_split(y, train_per_class, val_per_class=val_per_class, seed=seed)
    return Data(x=data.x[keep], y=y, edge_index=ei, num_nodes=int(keep.sum()), train_mask=train,
                val_mask=val, test_mask=test)


# --------------------------------------------------------------------------- fit


class _CodeKD:
    """Plug-in: β τ² KL(r_GNN ‖ r_MLP) over all training-visible nodes (soft code assignments)."""

    def __init__(self, vq: VectorQuantizer, teacher_h: Tensor, *, temperature: float, weight: float):
        self.vq, self.temperature, self.weight = vq, check_temperature(temperature), weight
        with torch.no_grad():
            self.teacher_sim = vq.similarity(teacher_h)

    def __call__(self, out, epoch: int) -> Tensor:
        if self.weight == 0:
            return out[0].sum() * 0.0
        return self.weight * kd_loss(self.vq.similarity(out[1]), self.teacher_sim, self.temperature)


# the official loops: 500 epochs, patience 50, a validation tie keeps the later state
DEFAULTS = {"teacher_hidden": 128, "teacher_dropout": 0.5, "teacher_aggr": "mean", "encoder": "sage",
            "code_dim": 128, "num_codes": 2048, "lambda_node": 1e-3, "lambda_edge": 0.03, "hidden_channels": 128,
            "num_layers": 2, "dropout": 0.6, "teacher_lr": 0.01, "teacher_weight_decay": 5e-4, "student_lr": 0.01,
            "student_weight_decay": 5e-3, "lam": 0.0, "temperature": 1.0, "code_temperature": 4.0,
            "code_weight": 1.0, "held_out": 0.2, "train_per_class": 20, "val_per_class": 30, "lcc": True,
            "epochs": 500, "patience": 50, "select_ties": True}
# GLNN's official teacher: DGL SAGEConv with the 'gcn' aggregator, dropout 0
GLNN_TEACHER = {"teacher_aggr": "gcn", "teacher_dropout": 0.0}


def _fit(data: Data, cfg: dict, *, vq: bool, seed: int, device, progress: bool):
    dcfg = DistillConfig.from_dict(cfg)
    g = prepare_graph(data, seed=seed, lcc=cfg["lcc"], train_per_class=cfg["train_per_class"],
                      val_per_class=cfg["val_per_class"])
    f, c = g.x.size(1), int(g.y.max()) + 1

    def make_teacher():
        if vq:
            return VQGraphTokenizer(f, cfg["teacher_hidden"], c, code_dim=cfg["code_dim"],
                                    num_codes=cfg["num_codes"], encoder=cfg["encoder"],
                                    dropout=cfg["teacher_dropout"], lambda_node=cfg["lambda_node"],
                                    lambda_edge=cfg["lambda_edge"], seed=seed)
        return SAGE(f, cfg["teacher_hidden"], c, num_layers=2, dropout=cfg["teacher_dropout"],
                    aggr=cfg["teacher_aggr"])

    def make_student():
        if vq:
            return VQGraph(f, cfg["hidden_channels"], c, code_dim=cfg["code_dim"], num_layers=cfg["num_layers"],
                           dropout=cfg["dropout"])
        return GLNN(f, cfg["hidden_channels"], c, num_layers=cfg["num_layers"], dropout=cfg["dropout"])

    def make_plugins(teacher, d):
        if not vq:
            return []
        teacher.eval()
        with torch.no_grad():
            h = teacher.encode(d.x, d.edge_index)
        return [_CodeKD(teacher.vq, h, temperature=cfg["code_temperature"], weight=cfg["code_weight"])]

    return distill(g, make_teacher=make_teacher, teacher_forward=lambda m, d: m(d.x, d.edge_index),
                   make_student=make_student, restrict=restrict_graph, cfg=dcfg, make_plugins=make_plugins,
                   seed=seed, device=device, progress=progress)


def _config(vq: bool, cfg: dict | None) -> dict:
    """``cfg`` over the defaults of VQGraph (``vq``) or GLNN."""
    return {**DEFAULTS, **({} if vq else GLNN_TEACHER), **(cfg or {})}


def fit_vqgraph(data, cfg, *, seed, device, progress):
    """Runner entry for ``vqgraph``."""
    return _fit(data, _config(True, cfg), vq=True, seed=seed, device=device, progress=progress)[0]


def fit_glnn(data, cfg, *, seed, device, progress):
    """Runner entry for ``glnn``."""
    return _fit(data, _config(False, cfg), vq=False, seed=seed, device=device, progress=progress)[0]


def _fit_classmethod(vq: bool):
    def fit(cls, data: Data, config: dict | None = None, *, seed: int = 0, device="cpu", progress: bool = False):
        """Train the teacher and distil a new student on ``data``; return ``(student, RunResult)``."""
        result, art = _fit(data, _config(vq, config), vq=vq, seed=seed, device=device, progress=progress)
        return art["student"], result
    return classmethod(fit)


VQGraph.fit = _fit_classmethod(True)
GLNN.fit = _fit_classmethod(False)

register_model("vqgraph", task="node", fit=fit_vqgraph,
               description="VQGraph, Yang et al. ICLR'24: VQ-VAE graph tokenizer distilled into an MLP")(None)
register_model("glnn", task="node", fit=fit_glnn,
               description="GLNN, Zhang et al. ICLR'22: GraphSAGE soft labels distilled into an MLP")(None)
