"""graphkit.train.layerwise: greedy and time-step layer-local training on the one epoch loop."""

import pytest
import torch
from torch import nn

from graphkit.train.layerwise import (
    LayerOptimizers,
    backward_terms,
    detach_all,
    layer_groups,
    train_greedy,
    train_time_steps,
)
from graphkit.train.loop import Selection


class SavedBytes:
    """Bytes autograd holds for backward right now (packed minus unpacked), and the peak of that."""

    def __init__(self):
        self.live = self.peak = 0

    def pack(self, t):
        self.live += t.numel() * t.element_size()
        self.peak = max(self.peak, self.live)
        return t

    def unpack(self, t):
        self.live -= t.numel() * t.element_size()
        return t

    def __enter__(self):
        self._hooks = torch.autograd.graph.saved_tensors_hooks(self.pack, self.unpack)
        self._hooks.__enter__()
        return self

    def __exit__(self, *exc):
        self._hooks.__exit__(*exc)


def stack(num_layers, width=16, seed=0):
    torch.manual_seed(seed)
    return nn.ModuleList(nn.Sequential(nn.Linear(width, width), nn.Tanh()) for _ in range(num_layers))


def local_target(h):
    return h.sum(1)


def greedy(layers, x, y, epochs=5, **kw):
    return train_greedy(
        layers, {"h": x},
        loss=lambda i, inp: ((local_target(layers[i](inp["h"])) - y) ** 2).mean(),
        validate=lambda i, inp: -((local_target(layers[i](inp["h"])) - y) ** 2).mean().item(),
        advance=lambda i, inp: {"h": layers[i](inp["h"])},
        optimizer=lambda p: torch.optim.SGD(p, lr=0.01), epochs=epochs, progress=False, **kw)


def test_greedy_trains_each_layer_to_its_stop_then_freezes_it():
    torch.manual_seed(1)
    x, y = torch.randn(50, 16), torch.randn(50)
    layers = stack(3)
    snapshots = {}

    def advance(i, inp):
        snapshots[i] = [p.clone() for p in layers[i].parameters()]
        for later in layers[i + 1:]:  # no later layer has moved while layer i trained
            assert all(p.grad is None for p in later.parameters())
        return {"h": layers[i](inp["h"])}

    def loss(i, inp):
        assert not inp["h"].requires_grad, "every layer sees a detached input"
        return ((local_target(layers[i](inp["h"])) - y) ** 2).mean()

    trajectories = train_greedy(layers, {"h": x}, loss=loss, validate=lambda i, inp: 0.0, advance=advance,
                                optimizer=lambda p: torch.optim.SGD(p, lr=0.01), epochs=50,
                                selection=Selection("max", patience=3), progress=False)
    assert [t.epochs_run for t in trajectories] == [4, 4, 4], "each layer stops on its own patience"
    assert [t.best_epoch for t in trajectories] == [0, 0, 0]
    for i, layer in enumerate(layers):  # earlier layers untouched by later training, best (first) state restored
        assert all(torch.equal(a, b) for a, b in zip(snapshots[i], layer.parameters(), strict=True))


def test_greedy_sends_no_gradient_to_earlier_layers():
    x, y = torch.randn(20, 16), torch.randn(20)
    layers = stack(2)
    greedy(layers, x, y, epochs=3)
    first = [p.clone() for p in layers[0].parameters()]
    for p in layers[0].parameters():
        p.grad = None
    greedy(layers[1:], layers[0](x), y, epochs=3)  # a graph-carrying input is detached by the trainer
    assert all(p.grad is None for p in layers[0].parameters())
    assert all(torch.equal(a, b) for a, b in zip(first, layers[0].parameters(), strict=True))


def test_memory_does_not_grow_with_depth_unlike_backprop():
    x, y = torch.randn(400, 16), torch.randn(400)
    peaks = {}
    for depth in (2, 8):
        with SavedBytes() as meter:
            greedy(stack(depth), x, y, epochs=2)
        peaks[depth] = meter.peak
        layers = stack(depth)
        with SavedBytes() as meter:  # back-propagation through the whole stack
            h = x
            for layer in layers:
                h = layer(h)
            ((local_target(h) - y) ** 2).mean().backward()
        peaks[f"bp{depth}"] = meter.peak
    assert peaks[8] == peaks[2] > 0
    assert peaks["bp8"] > 3 * peaks["bp2"]


def test_backward_terms_equals_one_summed_backward():
    lin = nn.Linear(3, 1)
    x = torch.randn(5, 3)
    (lin(x).sum() + 2 * lin(x).pow(2).sum()).backward()
    want = lin.weight.grad.clone()
    lin.zero_grad()
    with SavedBytes() as meter:
        out = backward_terms(t for t in (lin(x).sum(), 2 * lin(x).pow(2).sum()))
    torch.testing.assert_close(lin.weight.grad, want)
    assert out.requires_grad and out.grad_fn is None and meter.live == 0
    out.backward()  # the leaf adds nothing
    torch.testing.assert_close(lin.weight.grad, want)
    t = torch.ones(1, requires_grad=True)
    assert backward_terms(t) is t


def test_layer_groups_and_detach_all():
    assert layer_groups(1, True) == [[0]] and layer_groups(4, True) == [[0, 2], [1, 3]]
    with pytest.raises(ValueError, match="num_layers must be >= 1"):
        layer_groups(0, False)
    a = torch.ones(2, requires_grad=True) * 2
    out = detach_all({"a": a, "l": [a, (a, None)], "n": 3})
    assert not out["a"].requires_grad and not out["l"][1][0].requires_grad and out["n"] == 3


def test_layer_optimizers_clip_each_layer_alone():
    layers = [nn.Linear(2, 1, bias=False), nn.Linear(2, 1, bias=False)]
    opts = LayerOptimizers(layers, lambda p: torch.optim.SGD(p, lr=1.0), grad_clip=1.0)
    before = [layer.weight.detach().clone() for layer in layers]
    layers[0].weight.grad = torch.tensor([[30.0, 40.0]])  # norm 50: clipped to 1
    layers[1].weight.grad = torch.tensor([[0.3, 0.4]])  # norm 0.5: untouched by the other layer's size
    opts.step()
    torch.testing.assert_close(before[0] - layers[0].weight, torch.tensor([[0.6, 0.8]]))
    torch.testing.assert_close(before[1] - layers[1].weight, torch.tensor([[0.3, 0.4]]))
    opts.zero_grad()
    assert all(layer.weight.grad is None for layer in layers) and len(opts) == 2


@pytest.mark.parametrize("alternating", [False, True])
def test_time_steps_read_the_previous_or_the_fresh_states(alternating):
    layers = stack(3, width=4)
    module = nn.ModuleList(layers)
    x = torch.randn(6, 4)
    states = [torch.full((6, 4), float(k)) for k in range(3)]
    seen = []

    def local_loss(j, read):
        neighbours = {k: read(k).clone() for k in (j - 1, j + 1) if 0 <= k < 3}
        seen.append((j, neighbours))
        out = layers[j](x + sum(neighbours.values()))
        return out.pow(2).mean(), out

    trajectory = train_time_steps(module, layers, states, local_loss=local_loss, validate=lambda: 0.0,
                                  optimizer=lambda p: torch.optim.SGD(p, lr=0.1), epochs=2,
                                  alternating=alternating, progress=False)
    assert trajectory.epochs_run == 2 and len(trajectory.history) == 2
    first = seen[:3]
    assert [j for j, _ in first] == ([0, 2, 1] if alternating else [0, 1, 2])
    layer1 = dict(first)[1]
    if alternating:  # the odd layer reads the even layers' outputs of this step
        assert not torch.equal(layer1[0], torch.zeros(6, 4)) and not torch.equal(layer1[2], torch.full((6, 4), 2.0))
    else:
        assert torch.equal(layer1[0], torch.zeros(6, 4)) and torch.equal(layer1[2], torch.full((6, 4), 2.0))
    assert all(not s.requires_grad for s in states) and not torch.equal(states[0], torch.zeros(6, 4))


def test_time_steps_keep_one_layer_graph_alive():
    x = torch.randn(300, 16)
    peaks = {}
    for depth in (2, 6):
        layers = stack(depth)
        states = [torch.zeros(300, 16) for _ in range(depth)]

        def local_loss(j, read, layers=layers):
            out = layers[j](x + read(j))
            return out.pow(2).mean(), out

        with SavedBytes() as meter:
            train_time_steps(nn.ModuleList(layers), layers, states, local_loss=local_loss, validate=lambda: 0.0,
                             optimizer=lambda p: torch.optim.SGD(p, lr=0.1), epochs=2, progress=False)
        peaks[depth] = meter.peak
    assert peaks[6] == peaks[2] > 0
    with pytest.raises(ValueError, match="one state per layer"):
        train_time_steps(nn.ModuleList(stack(2)), stack(2), [torch.zeros(1)], local_loss=None, validate=None,
                         optimizer=None, epochs=1)
