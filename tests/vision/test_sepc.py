"""SEPC: the official parameter counts, shapes, iBN = one BatchNorm over all levels, gradients to the backbone."""

import pytest
import torch
import torch.nn.functional as F

tv = pytest.importorskip("torchvision")

from graphkit.vision import SEPC, feature_extractor, fpn, integrated_batch_norm  # noqa: E402
from graphkit.vision.sepc import PyramidConv  # noqa: E402


def pyramid(channels=8, batch=2, size=16, levels=5, seed=0):
    gen = torch.Generator().manual_seed(seed)
    out, s = [], size
    for _ in range(levels):
        out.append(torch.randn(batch, channels, s, s, generator=gen))
        s = (s + 1) // 2
    return out


@pytest.mark.parametrize("variant, count", [
    ("pconv", 8_261_120), ("ibn_pconv", 8_264_192), ("lite", 8_347_172), ("sepc", 8_845_052)])
def test_parameter_counts_of_the_official_configs(variant, count):
    # jshilong/SEPC sepc/exp/retina/{pconv,ibn,sepclite,sepc}_retinanet.py: 4 PConvs + cconv/lconv, 5 x 256
    assert sum(p.numel() for p in SEPC(256, 5, variant).parameters()) == count


@pytest.mark.parametrize("variant", ["pconv", "ibn_pconv", "lite", "sepc"])
def test_shapes_keep_the_five_levels(variant):
    x = pyramid(size=13)
    out = SEPC(8, 5, variant)(x)
    assert len(out.cls) == len(out.loc) == 5
    assert [t.shape for t in out.cls] == [t.shape for t in x] == [t.shape for t in out.loc]
    assert all(bool((t >= 0).all()) for t in out.cls)  # ReLU
    plain = SEPC(8, 5, variant, heads=False)(x)
    assert isinstance(plain, list) and [t.shape for t in plain] == [t.shape for t in x]
    official = SEPC(8, 5, variant, head_padding=0)(pyramid(size=40))  # the official head convs: no padding
    assert [tuple(t.shape[-2:]) for t in official.cls] == [(38, 38), (18, 18), (8, 8), (3, 3), (1, 1)]


def test_pyramid_convolution_against_its_formula():
    x = pyramid(size=8, levels=3)
    pconv = PyramidConv(8)
    for conv in (pconv.coarser, pconv.same, pconv.finer):
        torch.nn.init.normal_(conv.bias)
    out = pconv(x)
    w0, w1, w2 = pconv.coarser, pconv.same, pconv.finer
    for level in range(3):
        y = F.conv2d(x[level], w1.weight, w1.bias, padding=1)
        if level > 0:
            y = y + F.conv2d(x[level - 1], w2.weight, w2.bias, stride=2, padding=1)
        if level < 2:
            up = F.conv2d(x[level + 1], w0.weight, w0.bias, padding=1)
            y = y + F.interpolate(up, size=y.shape[-2:], mode="bilinear", align_corners=True)
        assert torch.allclose(out[level], F.relu(y), atol=1e-6)


def test_ibn_statistics_are_those_of_one_batchnorm_over_the_concatenated_levels():
    levels = [t * 3 + 1 for t in pyramid(channels=4, size=8, levels=4)]
    bn, ref = torch.nn.BatchNorm2d(4, momentum=1.0), torch.nn.BatchNorm2d(4, momentum=1.0)
    out = integrated_batch_norm(levels, bn)
    flat = torch.cat([t.permute(1, 0, 2, 3).reshape(4, -1) for t in levels], dim=1)  # [C, all positions]
    assert torch.allclose(bn.running_mean, flat.mean(1), atol=1e-5)
    assert torch.allclose(bn.running_var, flat.var(1, unbiased=True), atol=1e-4)
    concat = ref(torch.cat([t.reshape(2, 4, 1, -1) for t in levels], dim=-1))
    assert torch.allclose(torch.cat([t.reshape(2, 4, 1, -1) for t in out], dim=-1), concat, atol=1e-6)
    per_level = torch.nn.BatchNorm2d(4)(levels[0])
    assert not torch.allclose(out[0], per_level, atol=1e-3)  # not a per-level BatchNorm
    neck = SEPC(4, 4, "ibn_pconv", num_pconvs=1, heads=False)
    neck(levels)
    assert int(neck.pconvs[0].bn.num_batches_tracked) == 1  # one BatchNorm call for all levels


def test_deformable_levels_and_zero_offsets():
    x = pyramid(size=8)
    sepc, ibn = SEPC(8, 5, "sepc"), SEPC(8, 5, "ibn_pconv")
    ibn.load_state_dict({k: v for k, v in sepc.state_dict().items() if "conv_offset" not in k})
    sepc.eval(), ibn.eval()  # running statistics: levels are coupled only through iBN's batch statistics

    def close(a, b):
        return float((a - b).abs().max()) <= 1e-3 * float(b.abs().max())

    with torch.no_grad():
        a, b = sepc(x), ibn(x)
        assert all(close(s, t) for s, t in zip(a.cls + a.loc, b.cls + b.loc, strict=True))
        torch.nn.init.normal_(sepc.cconv.conv_offset.bias, std=1.0)  # shift the sampling by ~1 pixel
        moved = sepc(x)
    assert close(moved.cls[0], a.cls[0])  # level 0 is plain
    assert not close(moved.cls[1], a.cls[1])  # levels >= 1 are deformable
    sepc.reset_parameters()
    assert not bool(sepc.cconv.conv_offset.bias.detach().any())


def test_gradients_reach_the_backbone():
    backbone = feature_extractor(tv.models.resnet18(weights=None), {"layer2": "c3", "layer3": "c4", "layer4": "c5"})
    neck, sepc = fpn((128, 256, 512), 16), SEPC(16, 5, "sepc")
    out = sepc(neck(backbone(torch.randn(2, 3, 64, 64))))
    (sum(t.sum() for t in out.cls) + sum(t.sum() for t in out.loc)).backward()
    grad = backbone.body.conv1.weight.grad
    assert grad is not None and float(grad.abs().sum()) > 0


def test_bad_input():
    neck = SEPC(8, 5, "lite")
    with pytest.raises(ValueError, match="built for 5 pyramid levels but got 4"):
        neck(pyramid(levels=4))
    with pytest.raises(ValueError, match="level 0 has 4 channels but 8 are expected"):
        neck(pyramid(channels=4))
    bad = pyramid()
    bad[2] = torch.randn(2, 8, 5, 5)
    with pytest.raises(ValueError, match=r"level 2 is \[5, 5\] but the stride-2 .* gives \[4, 4\]"):
        neck(bad)
    with pytest.raises(TypeError, match="list \\(or ordered dict\\) of 5 feature maps"):
        neck(torch.randn(2, 8, 16, 16))
    with pytest.raises(ValueError, match="variant must be one of"):
        SEPC(variant="sepc-lite")
    assert "variant='lite'" in repr(neck)
