#!/usr/bin/env python
"""Check graphkit's ForwardGNN against the official code (facebookresearch/forwardgnn) on a tiny graph.

    git clone https://github.com/facebookresearch/forwardgnn /somewhere/forwardgnn   # outside this repository
    python benchmarks/forwardgnn_official_check.py --official /somewhere/forwardgnn [--epochs 150]

For each node-classification variant (``sf``, ``ff-la``, ``ff-vn``, ``sf-top-to-loss``,
``sf-top-to-input``; GCN, 2 layers of 16) both implementations start from the same weights and the same
virtual-node features on a 120-node synthetic graph (split 1 of the k-fold protocol), train for a fixed
number of epochs (validation every epoch, no early stop: the best validation state is kept by both), and
the script prints the test accuracy of both and the largest difference between the trained weights.
SF-Top-To-Loss runs with ``legacy_bottom_up=True`` (graphkit's default normalises the bottom-up pass; see
:mod:`graphkit.models.forwardgnn`). The FF negatives are the same draw: graphkit seeds a generator with
the run's seed, the official code draws from torch's global generator, seeded to the same value here.

The official code is imported at run time from the checkout named by ``--official`` (it needs
torch-scatter, torch-sparse and scikit-learn); no line of it is copied here or anywhere in graphkit.
Only its constructor signatures and argument names are used. The figures in
``benchmarks/results/forwardgnn.md`` came from a checkout outside this repository
(``--official /work/official/forwardgnn``, 150 epochs).
"""

from __future__ import annotations

import argparse
import sys
import types
import warnings
from pathlib import Path

import torch

from graphkit import datasets
from graphkit.datasets.kfold import with_kfold_split
from graphkit.models.forwardgnn import ForwardGNN, ForwardGNNConfig, fit_forwardgnn
from graphkit.ops.normalize import normalize_features


class _NoResults:
    def save_run_result(self, *args, **kwargs):
        pass


def _official_args(epochs: int, **extra) -> argparse.Namespace:
    values = dict(patience=10**6, val_every=1, val_from=-1, append_label=None, device=torch.device("cpu"),
                  epochs=epochs, temperature=1.0, aug_edge_direction="bidirection", ff_theta=2.0, num_negs=100,
                  loss_fn_name="forwardforward_loss_fn", lr=1e-3, grad_max_norm=1.0, alternating_update=True,
                  test_time_steps=10, storable_time_steps=list(range(2, 10)))
    return argparse.Namespace(**(values | extra))


def _same_virtual_nodes(module, virtual_x: torch.Tensor) -> None:
    """The official code draws the virtual-node features from ``nn.Embedding``; hand it ours."""
    module.nn = types.SimpleNamespace(**{**vars(torch.nn), "Embedding": lambda c, f: types.SimpleNamespace(
        weight=virtual_x.clone())})


def _load_weights(official_layers, init: dict) -> None:
    for j, layer in enumerate(official_layers):
        layer.gnn_layer.gnn.load_state_dict(
            {k.split("conv.", 1)[1]: v for k, v in init.items() if k.startswith(f"layers.{j}.conv.")})


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--official", type=Path, required=True, help="a checkout of facebookresearch/forwardgnn")
    p.add_argument("--epochs", type=int, default=150)
    args = p.parse_args(argv)
    sys.path.insert(0, str(args.official / "src"))
    warnings.simplefilter("ignore")
    import forward_learning.nodeclass.gnn_ff_with_label_appending as ola
    import forward_learning.nodeclass.gnn_ff_with_virtual_nodes as ovn
    import forward_learning.nodeclass.gnn_sf as osf
    import forward_learning.nodeclass.gnn_top2input_sf as oti
    import forward_learning.nodeclass.gnn_top2loss_sf as otl

    data = with_kfold_split(datasets.load("csbm", num_nodes=120, num_classes=3, seed=0), 1)
    data.x = data.x.abs()
    official_data = data.clone()
    official_data.x = normalize_features(data.x)  # the official loader's NormalizeFeatures
    opt = {"lr": 1e-3, "weight_decay": 5e-4}
    report = {}
    for variant in ("sf", "ff-la", "ff-vn", "sf-top-to-loss", "sf-top-to-input"):
        config = ForwardGNNConfig(variant=variant, num_layers=2, hidden_channels=16, epochs=args.epochs,
                                  eval_every=1, patience=None, sparse_input=False,
                                  legacy_bottom_up=variant == "sf-top-to-loss")
        torch.manual_seed(123)
        model = ForwardGNN.from_config(config, data)
        init = {k: v.clone() for k, v in model.state_dict().items()}
        result = fit_forwardgnn(model, data, config, seed=7, progress=False, warm_start=True)
        sizes, a = [data.num_features, 16, 16], _official_args(args.epochs)
        if variant == "sf":
            _same_virtual_nodes(osf, init["virtual_x"])
            off = osf.GNNSingleForward(sizes, "Adam", opt, 3, "GCN", a)
            trained = list(off.layers)
        elif variant in ("ff-la", "ff-vn"):
            if variant == "ff-la":
                off = ola.GNNLabelAppendingFF(sizes, "Adam", opt, "forwardforward_loss_fn", 3, "GCN", a)
            else:
                _same_virtual_nodes(ovn, init["virtual_x"])
                off = ovn.GNNVirtualNodeLabelAppendingFF(sizes, "Adam", opt, "forwardforward_loss_fn", 3, "GCN", None, a)
            trained = [layer for layer in off.layers if layer.requires_training]
        elif variant == "sf-top-to-loss":
            _same_virtual_nodes(otl, init["virtual_x"])
            off = otl.GNNTop2LossSF(sizes, "Adam", opt, 3, "GCN", a)
            trained = list(off.layers)
        else:
            _same_virtual_nodes(oti, init["virtual_x"])
            off = oti.GNNTop2InputSF(sizes + [3], "Adam", opt, 3, "GCN", a)
            trained = list(off.layers)
        _load_weights(trained, init)
        torch.manual_seed(7)  # the FF negatives: the draw graphkit makes from a generator seeded 7
        off.forward_train(official_data, _NoResults(), 0)
        test = official_data.test_mask
        if variant in ("ff-la", "ff-vn"):
            extra = {"eval_aug_graphs": None} if variant == "ff-vn" else {}
            acc = off.eval_model(official_data, train_mask=official_data.train_mask | official_data.val_mask,
                                 eval_mask=test, print_eval=False, **extra)[0] / 100
        else:
            acc = off.eval_model(eval_mask=test)[0] / 100
        diff = max((p - q).abs().max().item() for j, layer in enumerate(trained)
                   for p, q in zip(layer.gnn_layer.gnn.parameters(), model.layers[j].conv.parameters(), strict=True))
        report[variant] = {"official_test_accuracy": acc, "graphkit_test_accuracy": result.metrics["test_accuracy"],
                           "max_weight_difference": diff}
        print(f"{variant:16s} official {100 * acc:6.2f} %  graphkit {100 * result.metrics['test_accuracy']:6.2f} %  "
              f"max |trained weight difference| {diff:.1e}")
    return report


if __name__ == "__main__":
    main()
