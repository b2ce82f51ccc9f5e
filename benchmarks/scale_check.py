"""Measured memory per rank and communication of the data-parallel paths, 1 and 2 gloo ranks (scale.md's check).

    python benchmarks/scale_check.py [--nodes 200000] [--edges 1000000] [--dim 128] [--out FILE.json]

Starts this file as ``p = 1`` and ``p = 2`` processes with torchrun's variables
(localhost, a free port, gloo, one thread each) and, in every rank, measures:

- FastRP over row blocks (``graphkit.ops.distributed_fastrp``) of a seeded random
  graph (``--nodes``, ``--edges`` undirected, both directions stored), ``d = --dim``,
  weights (0, 0, 1, 1): the peak RSS growth of the call (VmHWM reset first,
  ``benchmarks/harness.py``) and the collective payload bytes
  (:func:`graphkit.distributed.traffic`);
- NCN, one epoch of ``fit_ncn`` on the synthetic contextual SBM (3,000 nodes,
  hidden 64, batch 256): the gradient all-reduce payload, the number of steps and
  parameters (formula: steps x 4 P bytes), and the peak RSS growth of the fit.

Prints one JSON object (``ranks``: per world size, per rank) and writes it to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def worker(args, out_dir: Path) -> None:
    import torch
    from harness import peak_rss_delta_mb, release_free_memory

    from graphkit import NCN, NCNConfig, datasets, distributed, fit_ncn
    from graphkit.ops.csr import as_csr
    from graphkit.ops.distributed_fastrp import distributed_fastrp_embedding, row_block

    torch.set_num_threads(1)
    distributed.init("cpu")
    rank, world = distributed.rank(), distributed.world_size()
    gen = torch.Generator().manual_seed(0)
    edges = torch.randint(0, args.nodes, (2, args.edges), generator=gen)
    adj = as_csr(torch.cat([edges, edges.flip(0)], 1), args.nodes)
    block = row_block(adj)
    del adj, edges
    release_free_memory()
    distributed.traffic(reset=True)
    distributed.barrier()
    fastrp_mb, how = peak_rss_delta_mb(lambda: distributed_fastrp_embedding(block, args.dim, (0.0, 0.0, 1.0, 1.0),
                                                                            seed=0))
    fastrp_traffic = distributed.traffic(reset=True)
    out = {"rank": rank, "world": world, "nodes": args.nodes, "stored_entries": int(block.nnz), "dim": args.dim,
           "local_rows": block.num_rows, "fastrp_peak_rss_mb": fastrp_mb, "rss_how": how,
           "fastrp_traffic": fastrp_traffic}
    data = datasets.load("csbm", num_nodes=3000, seed=0)
    config = NCNConfig(epochs=1, hidden_channels=64, batch_size=256, eval_every=1)
    model = NCN.from_config(config, data)
    release_free_memory()
    distributed.barrier()
    holder = {}
    ncn_mb, _ = peak_rss_delta_mb(lambda: holder.setdefault("r", fit_ncn(model, data, config, seed=0, device="cpu",
                                                                          progress=False)))
    result = holder["r"]
    positives = result.split.train_pos.size(1)
    out.update({"ncn_peak_rss_mb": ncn_mb, "ncn_traffic": distributed.traffic(reset=True),
                "ncn_params": sum(p.numel() for p in model.parameters()),
                "ncn_steps": positives // config.batch_size if config.drop_last else -(-positives // config.batch_size),
                "ncn_train_positives": positives, "ncn_epoch_s": result.time["epoch_s"]})
    (out_dir / f"w{world}r{rank}.json").write_text(json.dumps(out))
    distributed.shutdown()


def launch(world: int, argv: list[str], out_dir: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    procs = []
    for rank in range(world):
        env = dict(os.environ, OMP_NUM_THREADS="1", CUDA_VISIBLE_DEVICES="", PYTHONWARNINGS="ignore")
        if world > 1:
            env.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(world), MASTER_ADDR="127.0.0.1",
                       MASTER_PORT=str(port))
        procs.append(subprocess.Popen([sys.executable, __file__, "--_worker", str(out_dir), *argv], env=env))
    for proc in procs:
        if proc.wait() != 0:
            raise SystemExit(f"a rank of the {world}-process run failed")


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--nodes", type=int, default=200_000)
    p.add_argument("--edges", type=int, default=1_000_000)
    p.add_argument("--dim", type=int, default=128)
    p.add_argument("--out", default=None)
    p.add_argument("--_worker", default=None, help=argparse.SUPPRESS)
    args, _ = p.parse_known_args(argv)
    if args._worker:
        worker(args, Path(args._worker))
        return {}
    passthrough = ["--nodes", str(args.nodes), "--edges", str(args.edges), "--dim", str(args.dim)]
    report = {"ranks": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for world in (1, 2):
            launch(world, passthrough, Path(tmp))
            report["ranks"][world] = [json.loads((Path(tmp) / f"w{world}r{r}.json").read_text())
                                      for r in range(world)]
    print(json.dumps(report, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    return report


if __name__ == "__main__":
    main()
