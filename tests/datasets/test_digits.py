"""digits-knn: scikit-learn's bundled digits as a kNN graph + hypergraph of image features, built on the fly."""

import json

import pytest
import torch

pytest.importorskip("sklearn")

from graphkit import datasets  # noqa: E402
from graphkit.datasets.digits import digits_features, digits_images, load_digits_knn, standardized  # noqa: E402


def test_images():
    images, y = digits_images()
    assert images.shape == (1797, 1, 8, 8) and images.dtype == torch.float32
    assert float(images.min()) == 0.0 and float(images.max()) == 1.0
    assert torch.equal(torch.bincount(y).sort().values[[0, -1]], torch.tensor([174, 183]))


def test_pixel_graph_and_split():
    data = datasets.load("digits-knn", features="pixels", k=5, seed=3)
    assert data.x.shape == (1797, 64) and data.num_hyperedges == 1797
    assert data.hyperedge_index.size(1) == 1797 * 6
    for mask, per_class in ((data.train_mask, 10), (data.val_mask, 10)):
        assert torch.equal(torch.bincount(data.y[mask], minlength=10), torch.full((10,), per_class))
    assert int(data.test_mask.sum()) == 1797 - 200
    assert not bool((data.train_mask & data.test_mask).any())
    assert torch.allclose(data.x.mean(0), torch.zeros(64), atol=1e-5)  # standardised features
    raw = load_digits_knn(features="pixels", k=5, seed=3, standardize=False)
    assert torch.equal(raw.edge_index, data.edge_index)  # the graph is built on the raw embeddings
    assert "digits-knn" in datasets.names("node")


def test_mobilenet_features_on_a_subset():
    data = load_digits_knn(num_images=60, k=3, train_per_class=2, val_per_class=1)
    assert data.x.shape == (60, 1600) and data.num_nodes == 60
    images, _ = digits_images()
    feats = digits_features(images[:4], backbone_seed=0)
    assert feats.shape == (4, 1600) and torch.equal(feats, digits_features(images[:4], backbone_seed=0))
    assert not torch.equal(feats, digits_features(images[:4], backbone_seed=1))


def test_standardized_and_bad_options():
    x = torch.tensor([[1.0, 2.0], [3.0, 2.0], [5.0, 2.0]])
    z = standardized(x, x[:2])
    assert torch.allclose(z[:, 0], torch.tensor([-0.7071, 0.7071, 2.1213]), atol=1e-4) and not bool(z[:, 1].any())
    with pytest.raises(ValueError, match="features must be one of"):
        digits_features(features="hog")
    with pytest.raises(ValueError, match="k=1797 neighbours asked but there are only 1796"):
        load_digits_knn(features="pixels", k=1797)
    with pytest.raises(ValueError, match="num_images must be <= 1797"):
        load_digits_knn(features="pixels", num_images=5000)


def test_the_runner_trains_on_it(tmp_path):
    from graphkit.runner import run

    out = tmp_path / "r.jsonl"
    records = run(["--model", "gcn", "--dataset", "digits-knn", "--quick", "--quiet", "--data", "features=pixels",
                   "--out", str(out)])
    assert records[0]["dataset"] == "digits-knn" and 0 <= records[0]["metrics"]["test_accuracy"] <= 1
    # the preset draws the 10 / 10 per-class split, no --set needed
    assert records[0]["config"]["train_per_class"] == 10 and records[0]["config"]["val_per_class"] == 10
    assert json.loads(out.read_text().splitlines()[0])["data_options"] == {"features": "pixels"}


@pytest.mark.parametrize("name", ["gcn", "mlp", "hgnn", "lighthgnn", "lighthgnn+"])
def test_every_digits_method_has_the_10_per_class_preset(name):
    from graphkit.models.registry import get_method

    config = get_method(name).config.for_dataset("digits-knn")
    assert (config.train_per_class, config.val_per_class, config.runs) == (10, 10, 5)
