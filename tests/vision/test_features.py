"""preprocess_images and ImageEmbedder: backbone tap + SPP as one fixed-length vector per image."""

import pytest
import torch

pytest.importorskip("torchvision")

from graphkit.vision import (  # noqa: E402
    ImageEmbedder,
    SpatialPyramidPooling,
    global_pool,
    mobilenet_v2_features,
    preprocess_images,
)


def test_preprocess_images():
    grey = torch.rand(4, 1, 8, 8)
    out = preprocess_images(grey, 16, mean=None, std=None)
    assert out.shape == (4, 3, 16, 16) and torch.equal(out[:, 0], out[:, 2])
    norm = preprocess_images(torch.full((1, 3, 2, 2), 0.485), mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225))
    assert float(norm[0, 0].abs().max()) < 1e-6
    with pytest.raises(ValueError, match="2 channels"):
        preprocess_images(torch.rand(1, 2, 4, 4))
    with pytest.raises(ValueError, match="empty batch"):
        preprocess_images(torch.rand(0, 1, 4, 4))


def test_embedder_is_tap_plus_pooling():
    taps = mobilenet_v2_features(taps=("c3", "c4"), seed=0)
    emb = ImageEmbedder(taps, "c3")
    x = torch.randn(3, 3, 32, 32)
    with torch.no_grad():
        assert emb.out_features == 1600 and torch.equal(emb(x), SpatialPyramidPooling()(taps(x)["c3"]))
        both = ImageEmbedder(taps, ["c3", "c4"], pool=global_pool)
        assert both.out_features == 32 + 96 and both(x).shape == (3, 128)
    assert ImageEmbedder(taps).taps == ["c4"]


def test_embed_in_batches_restores_the_mode():
    emb = ImageEmbedder(mobilenet_v2_features(taps=("c2",), seed=0))
    emb.train()
    x = torch.randn(5, 3, 16, 16)
    out = emb.embed(x, batch_size=2)
    assert emb.training and out.shape == (5, 1200) and not out.requires_grad
    emb.eval()
    with torch.no_grad():
        assert torch.allclose(out, emb(x), atol=1e-6)
    with pytest.raises(ValueError, match="empty batch"):
        emb.embed(torch.randn(0, 3, 16, 16))
    with pytest.raises(ValueError, match=r"4-D tensor"):
        emb.embed(torch.randn(3, 16, 16))
    with pytest.raises(ValueError, match="taps must name taps of the backbone"):
        ImageEmbedder(mobilenet_v2_features(taps=("c2",)), "c5")
