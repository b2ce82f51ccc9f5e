"""Node classification and link prediction with graphkit's baselines, through the public API.

    python examples/baselines.py                     # synthetic contextual SBM
    python examples/baselines.py --dataset cora      # needs the Planetoid raw files under $GRAPHKIT_DATA
"""

import argparse

from graphkit import GAE, GCN, GAEConfig, GCNConfig, datasets, fit_link_predictor, fit_node_classifier


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="csbm")
    parser.add_argument("--epochs", type=int, default=100)
    args = parser.parse_args(argv)

    data = datasets.load(args.dataset)
    node_config = GCNConfig(hidden_channels=64, epochs=args.epochs, patience=30)
    gcn = GCN.from_config(node_config, data)
    node = fit_node_classifier(gcn, data, node_config)
    print(f"GCN node classification on {args.dataset}: test accuracy "
          f"{100 * node.metrics['test_accuracy']:.2f}% (selected at epoch {node.best_epoch})")

    # link prediction on the same graph: a seeded random 70/10/20 edge split is drawn inside the procedure
    link_config = GAEConfig.for_dataset(args.dataset).replace(epochs=args.epochs)
    gae = GAE.from_config(link_config, data)
    link = fit_link_predictor(gae, data, link_config)
    print(f"GAE link prediction on {args.dataset}: test Hits@100 {100 * link.metrics['test_hits@100']:.2f}%")
    return node, link


if __name__ == "__main__":
    main()
