"""Node classification and link prediction with graphkit's baselines, through the public API.

    python examples/baselines.py                     # synthetic contextual SBM
    python examples/baselines.py --dataset cora      # needs the Planetoid raw files under $GRAPHKIT_DATA
"""

import argparse

import torch

from graphkit import datasets
from graphkit.models import GAE, GCN
from graphkit.train import seed_everything, train_link_predictor, train_node_classifier


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="csbm")
    parser.add_argument("--epochs", type=int, default=100)
    args = parser.parse_args(argv)

    seed_everything(0)
    data = datasets.load(args.dataset)
    num_classes = int(data.y.max()) + 1
    gcn = GCN(data.num_features, 64, num_classes)
    node = train_node_classifier(gcn, data, epochs=args.epochs, patience=30)
    print(f"GCN node classification on {args.dataset}: test accuracy "
          f"{100 * node.metrics['test_accuracy']:.2f}% (selected at epoch {node.best_epoch})")

    split = datasets.random_link_split(data, val_ratio=0.1, test_ratio=0.2, seed=0)
    torch.manual_seed(0)
    gae = GAE(split.num_features, 64)
    link = train_link_predictor(gae, split, epochs=args.epochs, metric="hits@100", patience=20)
    print(f"GAE link prediction on {args.dataset}: test Hits@100 {100 * link.metrics['test_hits@100']:.2f}%")
    return node, link


if __name__ == "__main__":
    main()
