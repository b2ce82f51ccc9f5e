"""Backbone taps: MobileNetV2's stage outputs, local weight files (never downloads), any torchvision backbone."""

from collections import OrderedDict

import pytest
import torch

tv = pytest.importorskip("torchvision")

from graphkit.vision import MOBILENET_V2_TAPS, feature_extractor, mobilenet_v2_features  # noqa: E402


@pytest.fixture(scope="module")
def taps():
    return mobilenet_v2_features(seed=0)


def test_stage_outputs(taps):
    assert taps.channels == {"c2": 24, "c3": 32, "c4": 96, "c5": 1280}
    assert taps.strides == {"c2": 4, "c3": 8, "c4": 16, "c5": 32}
    assert {name: node for name, (node, _, _) in MOBILENET_V2_TAPS.items()} == taps.return_nodes
    out = taps(torch.randn(2, 3, 64, 96))
    assert isinstance(out, OrderedDict) and list(out) == ["c2", "c3", "c4", "c5"]
    assert [tuple(t.shape) for t in out.values()] == [(2, 24, 16, 24), (2, 32, 8, 12), (2, 96, 4, 6), (2, 1280, 2, 3)]
    odd = taps(torch.randn(1, 3, 50, 70))
    assert tuple(odd["c5"].shape[-2:]) == (2, 3)  # sizes round up
    assert "mobilenet_v2: c2='features.3' (24 ch, /4)" in repr(taps)


def test_taps_equal_torchvision_run_directly():
    taps = mobilenet_v2_features(seed=3)
    torch.manual_seed(3)
    model = tv.models.mobilenet_v2(weights=None).eval()
    x = torch.randn(2, 3, 48, 48)
    with torch.no_grad():
        out, h = taps(x), x
        for i, layer in enumerate(model.features):
            h = layer(h)
            for name, (node, _, _) in MOBILENET_V2_TAPS.items():
                if node == f"features.{i}":
                    assert torch.equal(out[name], h), name


def test_seed_fixes_the_initialisation_and_leaves_global_rng_alone():
    state = torch.random.get_rng_state()
    a, b = mobilenet_v2_features(taps=("c2",), seed=1), mobilenet_v2_features(taps=("c2",), seed=1)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values(), strict=True))
    c = mobilenet_v2_features(taps=("c2",), seed=2)
    assert not torch.equal(a.body.state_dict()["features.0.0.weight"], c.body.state_dict()["features.0.0.weight"])


def test_cut_after_the_last_tap():
    short = mobilenet_v2_features(taps=("c3",), seed=0)
    assert list(short(torch.randn(1, 3, 32, 32))) == ["c3"]
    assert not any(k.startswith("features.7.") for k in short.state_dict())


def test_local_weight_file_round_trip(tmp_path):
    torch.manual_seed(5)
    model = tv.models.mobilenet_v2(weights=None).eval()
    path = tmp_path / "mobilenet_v2.pth"
    torch.save(model.state_dict(), path)
    taps = mobilenet_v2_features(str(path), taps=("c4",), seed=0)
    x = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(taps(x)["c4"], model.features[:14](x))
    torch.save({"state_dict": {f"module.{k}": v for k, v in model.state_dict().items()}}, tmp_path / "wrapped.pth")
    wrapped = mobilenet_v2_features(tmp_path / "wrapped.pth", taps=("c4",))
    with torch.no_grad():
        assert torch.equal(wrapped(x)["c4"], model.features[:14](x))


def test_weight_file_of_another_architecture_names_the_missing_keys(tmp_path):
    path = tmp_path / "resnet18.pth"
    torch.save(tv.models.resnet18(weights=None).state_dict(), path)
    with pytest.raises(ValueError, match=r"does not fit the mobilenet_v2 model \(missing keys: features\.0\.0\.weight"
                                         r".*unexpected keys: .*another architecture"):
        mobilenet_v2_features(path)
    half = tmp_path / "half.pth"
    torch.save(tv.models.mobilenet_v2(weights=None, width_mult=0.5).state_dict(), half)
    with pytest.raises(ValueError, match=r"tensors of another shape: .*features\.0\.0\.weight \[16, 3, 3, 3\]"):
        mobilenet_v2_features(half)


class _Pickled:
    pass


def test_weight_files_are_read_without_running_pickled_code(tmp_path):
    path = tmp_path / "evil.pth"
    torch.save({"weight": _Pickled()}, path)
    with pytest.raises(ValueError, match=r"not a readable state-dict file \(torch.load\(weights_only=True\) refused"):
        mobilenet_v2_features(path)
    with pytest.raises(FileNotFoundError, match="never downloads"):
        mobilenet_v2_features(tmp_path / "absent.pth")
    with pytest.raises(TypeError, match="never downloads weights"):
        mobilenet_v2_features(tv.models.MobileNet_V2_Weights.IMAGENET1K_V1)


def test_bad_images(taps):
    with pytest.raises(ValueError, match=r"4-D tensor \[B, C, H, W\]"):
        taps(torch.randn(3, 32, 32))
    with pytest.raises(ValueError, match=r"1 channels but 3 are expected \(grey images: repeat"):
        taps(torch.randn(2, 1, 32, 32))
    with pytest.raises(ValueError, match="empty batch"):
        taps(torch.randn(0, 3, 32, 32))
    with pytest.raises(ValueError, match="taps must be a non-empty list"):
        mobilenet_v2_features(taps=("c6",))


def test_a_second_backbone_resnet18():
    model = tv.models.resnet18(weights=None).eval()
    taps = feature_extractor(model, {"layer2": "c3", "layer3": "c4", "layer4": "c5"})
    assert taps.channels == {"c3": 128, "c4": 256, "c5": 512} and taps.strides == {"c3": 8, "c4": 16, "c5": 32}
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        h = model.maxpool(model.relu(model.bn1(model.conv1(x))))
        h = model.layer2(model.layer1(h))
        out = taps(x)
        assert torch.equal(out["c3"], h) and torch.equal(out["c5"], model.layer4(model.layer3(h)))
    assert list(feature_extractor(model, ["layer1"])(x)) == ["layer1"]
    with pytest.raises(ValueError, match=r"resnet18 has no node\(s\) \['layer9'\]; valid names include"):
        feature_extractor(model, {"layer9": "x"}, architecture="resnet18")
