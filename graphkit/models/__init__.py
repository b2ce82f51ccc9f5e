"""One module per paper, plus the shared baselines and the model registry."""

from graphkit.models.baselines import GCN, MLP, SAGE
from graphkit.models.gae import GAE
from graphkit.models.registry import GraphInfo, get_model, model_names, register_model

__all__ = ["MLP", "GCN", "SAGE", "GAE", "GraphInfo", "get_model", "model_names", "register_model"]
