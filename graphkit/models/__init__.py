"""One module per paper, plus the shared baselines and the model registry.

Importing a paper's module registers its runner entries (``register_model``).
"""

from graphkit.models.baselines import GCN, MLP, SAGE
from graphkit.models.dagnn import DAGNN  # registers "dagnn"
from graphkit.models.dgmlp import DGMLP  # registers "dgmlp"
from graphkit.models.fastrp import FastRP
from graphkit.models.gae import GAE
from graphkit.models.lighthgnn import (  # registers "hgnn", "lighthgnn", "lighthgnn+"
    HGNN,
    LightHGNN,
    LightHGNNPlus,
)
from graphkit.models.ncn import NCN, NCNC  # registers "ncn", "ncnc"
from graphkit.models.registry import GraphInfo, get_model, model_names, register_model
from graphkit.models.vqgraph import GLNN, VQGraph  # registers "vqgraph", "glnn"

__all__ = [
    "MLP", "GCN", "SAGE", "GAE", "FastRP", "NCN", "NCNC", "DAGNN", "DGMLP", "HGNN", "LightHGNN",
    "LightHGNNPlus", "VQGraph", "GLNN", "GraphInfo", "get_model", "model_names", "register_model",
]
