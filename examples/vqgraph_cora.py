"""VQGraph on Cora: graph VQ-VAE tokenizer → MLP student with soft code assignments (and GLNN beside it).

    GRAPHKIT_DATA=/path/to/datasets python examples/vqgraph_cora.py [--epochs 500] [--inductive]
    GRAPHKIT_DATA=/path/to/datasets python examples/vqgraph_cora.py --dataset cpf-citeseer   # GLNN's CiteSeer
    python examples/vqgraph_cora.py --dataset csbm --epochs 5     # a synthetic graph, no files needed
"""

import argparse

from graphkit import GLNN, GLNNConfig, VQGraph, VQGraphConfig, datasets, fit_glnn, fit_vqgraph


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="cora")
    parser.add_argument("--epochs", type=int, default=None, help="epochs of each stage (default: the preset's 500)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--inductive", action="store_true", help="hold out 20%% of test nodes from training")
    args = parser.parse_args(argv)

    data = datasets.load(args.dataset)
    setting = "inductive" if args.inductive else "transductive"
    results = {}
    for cls, config_cls, fit in ((VQGraph, VQGraphConfig, fit_vqgraph), (GLNN, GLNNConfig, fit_glnn)):
        config = config_cls.for_dataset(args.dataset).replace(setting=setting)
        if args.epochs is not None:
            config = config.replace(epochs=args.epochs)
        model = cls.from_config(config, data)
        result = fit(model, data, config, seed=args.seed)
        print(cls.__name__, {k: round(100 * v, 2) for k, v in result.metrics.items()})
        results[cls.__name__] = (model, result)
    _, vq = results["VQGraph"]
    usage = vq.codebook_usage  # codes holding a node, their share, the perplexity of the assignments
    print(f"VQGraph codebook {tuple(vq.codebook.shape)}: {usage.live} codes in use ({100 * usage.live_share:.1f} %), "
          f"perplexity {usage.perplexity:.1f}")
    return results


if __name__ == "__main__":
    main()
