"""MEOW and AdaMEOW on ACM: train, then the probe at 20/40/60 labels per class and k-means NMI / ARI.

    python examples/meow_acm.py                      # MEOW with the official ACM settings (needs the ACM files)
    python examples/meow_acm.py --model adameow
    python examples/meow_acm.py --dataset hetero-csbm --epochs 5   # a synthetic stand-in, seconds

The ACM files are read from $GRAPHKIT_DATA (HeCo/acm or MEOW/acm, see graphkit.datasets.heterogeneous).
"""

from __future__ import annotations

import argparse

from graphkit import MEOW, AdaMEOW, AdaMEOWConfig, MEOWConfig, datasets, fit_adameow, fit_meow


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=("meow", "adameow"), default="meow")
    parser.add_argument("--dataset", default="acm")
    parser.add_argument("--epochs", type=int, default=None, help="override the epoch budget")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--num-nodes", type=int, default=600, help="size of the synthetic stand-in")
    args = parser.parse_args(argv)
    model_cls, config_cls, fit = ((MEOW, MEOWConfig, fit_meow) if args.model == "meow"
                                  else (AdaMEOW, AdaMEOWConfig, fit_adameow))
    if args.dataset == "hetero-csbm":
        data = datasets.load("hetero-csbm", num_nodes=args.num_nodes, seed=args.seed)
        config = config_cls.for_dataset("acm")
        if args.model == "meow":
            config = config.replace(num_clusters=(10, 30))
    else:
        data = datasets.load(args.dataset)
        config = config_cls.paper(args.dataset)
    if args.epochs is not None:
        config = config.replace(epochs=args.epochs, start_eval=0) if args.model == "adameow" \
            else config.replace(epochs=args.epochs)
    model = model_cls.from_config(config, data)
    result = fit(model, data, config, seed=args.seed)
    print(f"{args.model} on {args.dataset}: {result.epochs_run} epochs, selected epoch {result.best_epoch}, "
          f"{result.time['epoch_s']:.2f} s/epoch, peak {result.peak_memory_mb:.0f} MB")
    for rate in config.label_rates:
        print(f"  {rate} labels/class: Ma-F1 {100 * result.metrics[f'test_macro_f1_{rate}']:.2f}  "
              f"Mi-F1 {100 * result.metrics[f'test_micro_f1_{rate}']:.2f}  "
              f"AUC {100 * result.metrics[f'test_auc_{rate}']:.2f}")
    print(f"  clustering: NMI {100 * result.metrics['nmi']:.2f}  ARI {100 * result.metrics['ari']:.2f}")
    return result.metrics


if __name__ == "__main__":
    main()
