"""graphkit: faithful, fast, tested implementations of graph-learning papers on PyG.

The public surface: the model classes, ``FastRP``, ``graphkit.datasets.load`` and
``graphkit.metrics``.
"""

__version__ = "0.1.0"

from graphkit import datasets, metrics  # noqa: E402
from graphkit.models.dagnn import DAGNN  # noqa: E402
from graphkit.models.dgmlp import DGMLP  # noqa: E402
from graphkit.models.fastrp import FastRP  # noqa: E402
from graphkit.models.lighthgnn import HGNN, LightHGNN, LightHGNNPlus  # noqa: E402
from graphkit.models.ncn import NCN, NCNC  # noqa: E402
from graphkit.models.vqgraph import GLNN, VQGraph  # noqa: E402

__all__ = [
    "__version__", "datasets", "metrics",
    "NCN", "NCNC", "DAGNN", "DGMLP", "FastRP", "HGNN", "LightHGNN", "LightHGNNPlus", "VQGraph", "GLNN",
]
