"""fpn(): torchvision's FeaturePyramidNetwork as the baseline neck."""

from collections import OrderedDict

import pytest
import torch

tv = pytest.importorskip("torchvision")

from graphkit.vision import fpn  # noqa: E402


def test_retinanet_p3_p7():
    neck = fpn((8, 16, 32), 12)
    assert isinstance(neck, tv.ops.FeaturePyramidNetwork)
    x = OrderedDict(c3=torch.randn(2, 8, 20, 20), c4=torch.randn(2, 16, 10, 10), c5=torch.randn(2, 32, 5, 5))
    out = neck(x)
    assert list(out) == ["c3", "c4", "c5", "p6", "p7"]
    assert [tuple(t.shape) for t in out.values()] == [(2, 12, 20, 20), (2, 12, 10, 10), (2, 12, 5, 5),
                                                      (2, 12, 3, 3), (2, 12, 2, 2)]
    assert list(fpn((8, 16, 32), 12, 4, extra="maxpool")(x)) == ["c3", "c4", "c5", "pool"]
    assert len(fpn((8, 16, 32), 12, 3)(x)) == 3


def test_bad_arguments():
    with pytest.raises(ValueError, match="num_outs must be 3 or 5"):
        fpn((8, 16, 32), 12, 4)
    with pytest.raises(ValueError, match="'p6p7' or 'maxpool'"):
        fpn((8,), 4, 3, extra="conv")
    with pytest.raises(ValueError, match="non-empty sequence"):
        fpn(8)
