import pytest
import torch

from graphkit.models import GAE
from tests.conftest import random_graph


@pytest.mark.parametrize("encoder", ["gcn", "sage"])
def test_score_is_inner_product_of_encodings(encoder):
    x, ei = torch.randn(25, 6), random_graph(25, 50, seed=1)
    model = GAE(6, 8, encoder=encoder).eval()
    h = model.encode(x, ei)
    pairs = torch.tensor([[0, 3, 7], [1, 3, 24]])
    expected = torch.stack([h[i] @ h[j] for i, j in pairs.t().tolist()])
    assert torch.allclose(model.score(h, ei, pairs), expected, atol=1e-6)
    assert repr(model) == f"GAE(encoder={encoder}, 6, 8, num_layers=2, embedding=False)"


def test_featureless_uses_embedding():
    ei = random_graph(25, 50, seed=1)
    model = GAE(0, 8, num_nodes=25)
    assert model.encode(None, ei).shape == (25, 8)
    assert "embedding=True" in repr(model)
    model.reset_parameters()


def test_errors():
    with pytest.raises(ValueError, match="needs num_nodes"):
        GAE(0, 8)
    with pytest.raises(ValueError, match="unknown encoder 'gat'; valid: gcn, sage"):
        GAE(4, 8, encoder="gat")
    with pytest.raises(ValueError, match="x is None"):
        GAE(4, 8).encode(None, random_graph(5, 5, 0))
