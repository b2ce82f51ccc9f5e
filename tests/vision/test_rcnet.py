"""RCNet (RevFP + CSN): the official parameter counts, shapes, the fusion and shift against the official formulas."""

import pytest
import torch
import torch.nn.functional as F

tv = pytest.importorskip("torchvision")

from graphkit.vision import RCNet, feature_extractor  # noqa: E402
from graphkit.vision.rcnet import CrossShiftNet, FusionNode  # noqa: E402


def count(module):
    return sum(p.numel() for p in module.parameters())


def backbone_levels(channels=(16, 32, 64), batch=2, size=16, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return [torch.randn(batch, c, size >> i, size >> i, generator=gen) for i, c in enumerate(channels)]


def test_parameter_counts_of_the_retinanet_r50_neck():
    # TempleX98/RCNet configs/rcnet/retinanet_r50_rcfpn_1x_coco.py: RCFPN, BN, DCNv2 (2 groups), C3-C5 -> P3-P7
    neck = RCNet(in_channels=(512, 1024, 2048), out_channels=256, num_outs=5)
    assert count(neck) == 7_665_346
    assert count(neck.lateral_convs) == 919_040 and count(neck.extra_levels) == 132_096
    assert count(neck.revfp) == 5_740_992 and count(neck.csn) == 873_218


def test_shapes_keep_the_five_levels():
    x = backbone_levels(size=20)
    out = RCNet((16, 32, 64), 24, 5)(x)
    assert [tuple(t.shape) for t in out] == [(2, 24, 20, 20), (2, 24, 10, 10), (2, 24, 5, 5), (2, 24, 3, 3),
                                             (2, 24, 2, 2)]
    plain = RCNet((16, 32, 64), 24, 5, deformable=False, norm=False)
    assert [t.shape for t in plain(x)] == [t.shape for t in out]
    assert count(plain) > 0 and "deformable=False" in repr(plain)
    four = RCNet((16, 32, 64), 24, 4)(x)
    assert len(four) == 4


def official_fusion(node, inputs):
    """FusionNode.dynamicFusion of TempleX98/RCNet rcfpn.py, written out (inputs already resized)."""
    x1, x2 = inputs[0], inputs[1]
    b, c, h, w = x1.shape
    w1, w2 = F.adaptive_avg_pool2d(x1, 1), F.adaptive_avg_pool2d(x2, 1)
    if node.attention:
        a = node.temperature * c ** -0.5 * node.spatial_weight(torch.cat((x1, x2), dim=1))
        x2 = F.softmax(a.reshape(b, 1, -1), dim=-1).reshape(b, 1, h, w) * h * w * x2
    g = torch.sigmoid(node.gates[0](torch.cat((w1, w2), dim=1)))
    result = g * x1 + (1 - g) * x2
    if node.num_inputs == 3:
        x1 = node.pre_fusion(result)
        g = torch.sigmoid(node.gates[1](torch.cat((F.adaptive_avg_pool2d(x1, 1),
                                                   F.adaptive_avg_pool2d(inputs[2], 1)), dim=1)))
        result = g * x1 + (1 - g) * inputs[2]
    return node.post_fusion(result)


def test_fusion_node_follows_the_official_formula():
    torch.manual_seed(0)
    node = FusionNode(8, 3).eval()
    for m in [*node.gates, node.spatial_weight]:
        torch.nn.init.normal_(m.weight)
        torch.nn.init.normal_(m.bias)
    c4, c5, p3 = torch.randn(2, 8, 6, 6), torch.randn(2, 8, 3, 3), torch.randn(2, 8, 12, 12)
    resized = [c4, F.interpolate(c5, size=(6, 6), mode="bilinear"), F.max_pool2d(p3, 2)]
    assert torch.allclose(node([c4, c5, p3], (6, 6)), official_fusion(node, resized), atol=1e-6)
    odd = node([c4, c5, torch.randn(2, 8, 11, 11)], (6, 6))  # replicate padding to an even size
    assert odd.shape == (2, 8, 6, 6)


def test_cross_scale_shift_is_the_official_assignment():
    csn = CrossShiftNet(32, 5)
    x = torch.randn(2, 5, 32, 3, 3)
    p = 2
    out = torch.zeros_like(x[:, :, :4 * p])  # ScaleShift.shift of rcfpn.py
    out[:, :-1, :p] = x[:, 1:, :p]
    out[:, -1:, :p] = x[:, :1, :p]
    out[:, 1:, p:2 * p] = x[:, :-1, p:2 * p]
    out[:, :1, p:2 * p] = x[:, -1:, p:2 * p]
    out[:, :-2, 2 * p:3 * p] = x[:, 2:, 2 * p:3 * p]
    out[:, -2:, 2 * p:3 * p] = x[:, :2, 2 * p:3 * p]
    out[:, 2:, 3 * p:4 * p] = x[:, :-2, 3 * p:4 * p]
    out[:, :2, 3 * p:4 * p] = x[:, -2:, 3 * p:4 * p]
    assert torch.equal(csn.shift(x), torch.cat((out, x), dim=2))


def test_csn_context_branches_follow_the_official_pooling():
    csn = CrossShiftNet(16, 5).eval()
    feats = torch.randn(2, 5, 16, 4, 4)
    x = feats.permute(0, 2, 1, 3, 4)  # official SpatialBranch: AvgPool3d((5, 1, 1)) then attention pooling
    spatial = torch.nn.AvgPool3d((5, 1, 1))(x).squeeze(2)
    ctx = F.softmax(csn.spatial_context.channel_agg(spatial).view(2, 1, -1), -1).view(2, 1, 4, 4) * 16
    expected = csn.spatial_context.trans(F.adaptive_avg_pool2d(spatial * ctx, 1))
    assert torch.allclose(csn.spatial_context(feats.mean(dim=1)), expected, atol=1e-6)
    scale = torch.nn.AdaptiveAvgPool3d((5, 1, 1))(x).reshape(2, 16, 5, 1)  # official ScaleBranch
    ctx = F.softmax(csn.scale_context.channel_agg(scale).view(2, 1, -1), -1).view(2, 1, 5, 1) * 5
    expected = csn.scale_context.trans(F.adaptive_avg_pool2d(scale * ctx, 1))
    got = csn.scale_context(feats.mean(dim=(3, 4)).transpose(1, 2).unsqueeze(-1))
    assert torch.allclose(got, expected, atol=1e-6)


def test_gradients_reach_the_backbone():
    backbone = feature_extractor(tv.models.resnet18(weights=None), {"layer2": "c3", "layer3": "c4", "layer4": "c5"})
    neck = RCNet((128, 256, 512), 16, 5)
    out = neck(backbone(torch.randn(2, 3, 64, 64)))
    assert len(out) == 5
    sum(t.sum() for t in out).backward()
    grad = backbone.body.conv1.weight.grad
    assert grad is not None and float(grad.abs().sum()) > 0


def test_reset_parameters_redraws_as_construction():
    neck = RCNet((16, 32, 64), 16, 5)
    first = {k: v.clone() for k, v in neck.state_dict().items()}
    with torch.no_grad():
        for p in neck.parameters():
            p.add_(1.0)
    neck.reset_parameters()
    node = neck.revfp[1]
    assert not bool(node.gates[0].weight.any()) and float(node.temperature.detach()) == 1.0
    assert not bool(node.post_fusion.conv.conv_offset.weight.any())
    assert torch.equal(neck.csn.aggregation[0][0][1].weight, first["csn.aggregation.0.0.1.weight"])


def test_bad_input():
    neck = RCNet((16, 32, 64), 16, 5)
    with pytest.raises(ValueError, match="built for 3 pyramid levels but got 2"):
        neck(backbone_levels()[:2])
    with pytest.raises(ValueError, match="level 1 has 16 channels but 32 are expected"):
        neck(backbone_levels(channels=(16, 16, 64)))
    with pytest.raises(ValueError, match="num_outs must be >= 3"):
        RCNet((16, 32, 64), 16, 2)
    with pytest.raises(ValueError, match="non-empty sequence"):
        RCNet(256)
