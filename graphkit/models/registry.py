"""The method table: every runnable method in one place, imported only when used.

One row per method: its runner name, the module under ``graphkit.models`` that
defines it, the model class, its config class, its procedure, the kinds of
data set it runs on, and a one-line description. Adding a method is one row
here (plus its own file); nothing registers itself on import, and the runner
discovers everything from this table.

Data-set kinds are those of :func:`graphkit.datasets.spec` (``node``,
``multilabel``, ``link``, ``graph``, ``hyper``, ``hetero``).
"""

from __future__ import annotations

import difflib
import importlib
from dataclasses import dataclass

__all__ = ["MethodSpec", "METHODS", "get_method", "method_names", "procedure_for"]


@dataclass(frozen=True)
class MethodSpec:
    name: str
    module: str
    model_name: str
    config_name: str
    fit_name: str
    datasets: tuple[str, ...]
    description: str

    def _attr(self, name: str):
        return getattr(importlib.import_module(f"graphkit.models.{self.module}"), name)

    @property
    def model(self) -> type:
        return self._attr(self.model_name)

    @property
    def config(self) -> type:
        return self._attr(self.config_name)

    @property
    def fit(self):
        return self._attr(self.fit_name)


NODE = ("node", "multilabel")
LINK = ("link", "node", "multilabel", "graph")
_ROWS = [
    # name          module        model            config                 procedure              data sets
    ("mlp",        "baselines",  "MLP",           "MLPConfig",           "fit_node_classifier", NODE + ("hyper",),
     "MLP on node features (no graph); on hypergraphs LightHGNN's MLP row"),
    ("gcn",        "baselines",  "GCN",           "GCNConfig",           "fit_node_classifier", NODE,
     "GCN, Kipf & Welling 2017 (PyG GCNConv)"),
    ("sage",       "baselines",  "SAGE",          "SAGEConfig",          "fit_node_classifier", NODE,
     "GraphSAGE-mean, Hamilton et al. 2017 (PyG SAGEConv)"),
    ("gat",        "baselines",  "GAT",           "GATConfig",           "fit_node_classifier", NODE,
     "GAT, Velickovic et al. 2018 (PyG GATConv, 4 heads)"),
    ("forwardgnn", "forwardgnn", "ForwardGNN",    "ForwardGNNConfig",    "fit_forwardgnn",      ("node",),
     "ForwardGNN, Park et al. ICLR'24: layer-local training without backpropagation (SF / FF / top-down)"),
    ("gae",        "gae",        "GAE",           "GAEConfig",           "fit_link_predictor",  LINK,
     "GAE: GNN encoder + dot-product decoder"),
    ("ncn",        "ncn",        "NCN",           "NCNConfig",           "fit_ncn",             LINK,
     "NCN, Wang et al. ICLR 2024 (official procedure: target-link removal)"),
    ("ncnc",       "ncn",        "NCNC",          "NCNCConfig",          "fit_ncn",             LINK,
     "NCNC: NCN with common-neighbour completion, Wang et al. ICLR 2024"),
    ("dagnn",      "dagnn",      "DAGNN",         "DAGNNConfig",         "fit_dagnn",           ("node",),
     "DAGNN, Liu et al. KDD 2020: MLP, K-hop propagation, adaptive hop adjustment"),
    ("dgmlp",      "dgmlp",      "DGMLP",         "DGMLPConfig",         "fit_dgmlp",           ("node",),
     "DGMLP, Zhang et al. 2021: node-adaptive hop weighting (parameter-free) + linear"),
    ("fastrp",     "fastrp",     "FastRP",        "FastRPConfig",        "fit_fastrp",          NODE,
     "FastRP, Chen et al. CIKM 2019: very sparse random projection embeddings + linear probe"),
    ("hgnn",       "lighthgnn",  "HGNN",          "HGNNConfig",          "fit_hgnn",            ("hyper", "node"),
     "HGNN, Feng et al. AAAI'19: symmetric hypergraph convolution (LightHGNN's teacher)"),
    ("lighthgnn",  "lighthgnn",  "LightHGNN",     "LightHGNNConfig",     "fit_lighthgnn",       ("hyper", "node"),
     "LightHGNN, Feng et al. ICLR'24: HGNN teacher distilled into an MLP"),
    ("lighthgnn+", "lighthgnn",  "LightHGNNPlus", "LightHGNNConfig",     "fit_lighthgnn",       ("hyper", "node"),
     "LightHGNN+, Feng et al. ICLR'24: + reliable-hyperedge distillation"),
    ("vqgraph",    "vqgraph",    "VQGraph",       "VQGraphConfig",       "fit_vqgraph",         ("node",),
     "VQGraph, Yang et al. ICLR'24: VQ-VAE graph tokenizer distilled into an MLP"),
    ("glnn",       "vqgraph",    "GLNN",          "GLNNConfig",          "fit_glnn",            ("node",),
     "GLNN, Zhang et al. ICLR'22: GraphSAGE soft labels distilled into an MLP"),
    ("meow",       "meow",       "MEOW",          "MEOWConfig",          "fit_meow",            ("hetero",),
     "MEOW, Yu et al. SDM'23: meta-path contexts, clustering-weighted negatives, ProtoNCE"),
    ("adameow",    "meow",       "AdaMEOW",       "AdaMEOWConfig",       "fit_adameow",         ("hetero",),
     "AdaMEOW, Yu et al. TKDE'24: MEOW's views with learned negative weights"),
    ("stable",     "stable",     "STABLE",        "STABLEConfig",        "fit_stable",          ("node",),
     "STABLE, Li et al. KDD'22: contrastive embedding, cosine pruning + top-k refinement, advanced GCN"),
    ("gcn-jaccard", "defenses",  "GCNJaccard",    "GCNJaccardConfig",    "fit_gcn_jaccard",     ("node",),
     "GCN-Jaccard, Wu et al. IJCAI'19: GCN on the graph without Jaccard-dissimilar edges"),
    ("gcn-svd",    "defenses",   "GCNSVD",        "GCNSVDConfig",        "fit_gcn_svd",         ("node",),
     "GCN-SVD, Entezari et al. WSDM'20: GCN on the rank-k truncated SVD of the adjacency"),
]
METHODS: dict[str, MethodSpec] = {row[0]: MethodSpec(*row) for row in _ROWS}


def method_names(dataset_kind: str | None = None) -> list[str]:
    """Sorted method names, optionally those that run on data sets of ``dataset_kind``."""
    return sorted(n for n, s in METHODS.items() if dataset_kind is None or dataset_kind in s.datasets)


def get_method(name: str) -> MethodSpec:
    """The table row of ``name``; unknown names raise with the valid list."""
    key = str(name).lower()
    if key not in METHODS:
        close = difflib.get_close_matches(key, METHODS, n=3)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise ValueError(f"unknown model {name!r}.{hint} Valid names: {', '.join(method_names())}")
    return METHODS[key]


def procedure_for(model) -> str | None:
    """The name of the procedure that trains ``model``'s class (exact class first), or ``None``."""
    cls = type(model)
    rows = [s for s in METHODS.values() if s.model is cls] or [s for s in METHODS.values() if isinstance(model, s.model)]
    return rows[0].fit_name if rows else None
