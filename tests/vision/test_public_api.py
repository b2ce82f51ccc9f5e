"""The public names of graphkit.vision, called exactly as the issue's acceptance list writes them."""

import pytest
import torch

pytest.importorskip("torchvision")


def test_public_names():
    import graphkit
    import graphkit.vision

    assert graphkit.vision is graphkit.vision  # reachable as an attribute of the package
    spp = graphkit.vision.SpatialPyramidPooling(bins=(1, 2, 3, 6))
    assert spp(torch.randn(1, 4, 13, 13)).shape == (1, 200)
    for variant in ("sepc", "lite", "pconv", "ibn_pconv"):
        assert graphkit.vision.SEPC(in_channels=256, num_levels=5, variant=variant).variant == variant
    neck = graphkit.vision.RCNet(in_channels=(512, 1024, 2048), out_channels=256, num_outs=5)
    assert neck.num_outs == 5
    taps = graphkit.vision.mobilenet_v2_features(weights=None)
    assert list(taps.channels.values()) == [24, 32, 96, 1280]
    edge_index = graphkit.vision.knn_graph(torch.randn(10, 3), 2)
    assert edge_index.shape == (2, 20)
    assert set(graphkit.vision.__all__) >= {"SpatialPyramidPooling", "SEPC", "RCNet", "mobilenet_v2_features",
                                           "knn_graph", "knn_hypergraph", "patch_graph", "fpn"}


def test_the_side_pillar_imports_no_models_or_training_code():
    import ast
    from pathlib import Path

    import graphkit.vision

    for path in Path(graphkit.vision.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not any(n.startswith(("graphkit.models", "graphkit.train")) for n in names), (path.name, names)
