"""NCN and NCNC link prediction on Cora with the paper's protocol and the official hyperparameters.

    python examples/ncnc_link_prediction.py                   # Cora (Planetoid raw files under $GRAPHKIT_DATA)
    python examples/ncnc_link_prediction.py --dataset csbm --epochs 3 --hidden 32   # synthetic, seconds

Protocol (NCN, arXiv 2302.00890): a random 70/10/20 edge split seeded by the run,
HR@100, the epoch with the best validation HR@100. Training removes each batch's
positive edges from the graph (target-link removal) and uses separate learning
rates for the GNN and the predictor; both are part of ``train_ncn``.
"""

import argparse

from graphkit import NCN, NCNC, datasets
from graphkit.train import seed_everything
from graphkit.train.ncn_training import train_ncn

# the README command of GraphPKU/NeuralCommonNeighbor for Cora
CORA = dict(hidden_channels=256, encoder="puregcn", num_layers=1, input_dropout=0.7, tail_dropout=0.3,
            gnn_dropout=0.05, predictor_dropout=0.05, predictor_edge_dropout=0.4, ln=True, predictor_ln=True,
            jk=True, use_xlin=True, tailact=True)
COMPLETION = dict(scale=4.3, offset=2.8, pt=0.75, alpha=1.0)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="cora")
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--hidden", type=int, default=256, help="embedding size (official: 256)")
    args = parser.parse_args(argv)

    data = datasets.load(args.dataset)
    split = datasets.random_link_split(data, val_ratio=0.1, test_ratio=0.2, seed=args.seed)
    results = {}
    for name, cls, extra in (("NCN", NCN, {}), ("NCNC", NCNC, COMPLETION)):
        seed_everything(args.seed)
        model = cls(split.num_features, num_nodes=split.num_nodes, **{**CORA, "hidden_channels": args.hidden}, **extra)
        res = train_ncn(model, split, epochs=args.epochs, batch_size=1152, gnn_lr=0.0043, predictor_lr=0.0024,
                        metric="hits@100", seed=args.seed)
        results[name] = res
        print(f"{name} on {args.dataset}: test HR@100 {100 * res.metrics['test_hits@100']:.2f}% "
              f"(valid {100 * res.metrics['valid_hits@100']:.2f}%, best epoch {res.best_epoch}, "
              f"{res.time['epoch_s']:.2f} s/epoch)")
    return results


if __name__ == "__main__":
    main()
