"""VQGraph on Cora: graph VQ-VAE tokenizer → MLP student with soft code assignments (and GLNN beside it).

    GRAPHKIT_DATA=/path/to/datasets python examples/vqgraph_cora.py [--epochs 500] [--inductive]
"""

import argparse

import graphkit
from graphkit import datasets
from graphkit.models.vqgraph import GLNN

p = argparse.ArgumentParser()
p.add_argument("--epochs", type=int, default=500)
p.add_argument("--seed", type=int, default=0)
p.add_argument("--inductive", action="store_true", help="hold out 20%% of test nodes from training")
args = p.parse_args()

data = datasets.load("cora")
cfg = {"epochs": args.epochs, "patience": 50, "setting": "inductive" if args.inductive else "transductive"}
for cls in (graphkit.VQGraph, GLNN):
    student, result = cls.fit(data, cfg, seed=args.seed)
    print(cls.__name__, {k: round(100 * v, 2) for k, v in result.metrics.items()})
