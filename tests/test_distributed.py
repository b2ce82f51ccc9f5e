"""graphkit.distributed: sharding and gradient averaging, and 2-process gloo runs of the one loop.

The 2-process test starts two Python processes with torchrun's environment
variables (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR``,
``MASTER_PORT`` on a free localhost port), each running this file as a script:
the procedures initialise the gloo group themselves, as under ``torchrun``.

Tolerance against one process: with the training nodes / each batch's positives
split in two and the gradients averaged, every step's gradient is the
one-process gradient up to the float summation order (the two halves are summed
separately, then added), i.e. a relative difference of order 1e-7 per step.
Adam divides by the root of the second moment, which carries such differences
into the parameters at the same relative size; over the few epochs here they
stay far below 1e-4, the tolerance used. The ranks must agree exactly (they
apply the same all-reduced gradient). Dropout is on for GCN (its forward is the
same full-graph pass on every rank, so the masks are the one-process masks), for
GLNN's teacher and student, DAGNN and GAE's encoder likewise, and off for NCN and
DGMLP (NCN's predictor and DGMLP's head run on each rank's shard, so their dropout would
draw per shard).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

WORLD = 2


def _flat(model) -> torch.Tensor:
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()])


def work() -> dict:
    """What every process runs (and the test process itself, as the one-process reference)."""
    from graphkit import (
        DAGNN,
        DGMLP,
        GAE,
        GCN,
        GLNN,
        NCN,
        SAGE,
        DAGNNConfig,
        DGMLPConfig,
        FastRP,
        GAEConfig,
        GCNConfig,
        GLNNConfig,
        NCNConfig,
        datasets,
        distributed,
        fit_dagnn,
        fit_dgmlp,
        fit_glnn,
        fit_link_predictor,
        fit_ncn,
        fit_node_classifier,
    )

    torch.set_num_threads(1)
    out = {}
    data = datasets.load("csbm", num_nodes=300, seed=0)
    config = GCNConfig(epochs=15, hidden_channels=16)
    model = GCN.from_config(config, data)
    result = fit_node_classifier(model, data, config, seed=0, device="cpu", progress=False)
    out["gcn"] = {"metrics": result.metrics, "params": _flat(model), "history": result.history,
                  "best_epoch": result.best_epoch}
    config = NCNConfig(epochs=3, hidden_channels=16, batch_size=128, input_dropout=0.0, tail_dropout=0.0,
                       gnn_dropout=0.0, predictor_dropout=0.0, predictor_edge_dropout=0.0, metric="hits@10")
    model = NCN.from_config(config, data)
    result = fit_ncn(model, data, config, seed=0, device="cpu", progress=False)
    out["ncn"] = {"metrics": result.metrics, "params": _flat(model), "history": result.history,
                  "best_epoch": result.best_epoch}
    # distillation (teacher and student shard their nodes; dropout on: every rank draws the same masks), DAGNN
    # (its training nodes) and GAE (each batch's positives and negatives)
    for name, model_cls, config, fit in (
            ("glnn", GLNN, GLNNConfig(epochs=10, hidden_channels=16, teacher_hidden=16, teacher_dropout=0.5, lam=0.5,
                                      patience=None, lcc=False), fit_glnn),
            ("dagnn", DAGNN, DAGNNConfig.for_dataset("csbm").replace(epochs=10, hidden_channels=16), fit_dagnn),
            ("gae", GAE, GAEConfig(hidden_channels=16, epochs=3, batch_size=256), fit_link_predictor),
            # DGMLP's head runs on each rank's training rows only: without dropout it equals one process
            ("dgmlp", DGMLP, DGMLPConfig.for_dataset("csbm").replace(epochs=10, dropout=0.0), fit_dgmlp)):
        model = model_cls.from_config(config, data)
        result = fit(model, data, config, seed=0, device="cpu", progress=False)
        out[name] = {"metrics": result.metrics, "params": _flat(model), "history": result.history,
                     "best_epoch": result.best_epoch}
    # neighbour-sampled mini-batches: each rank samples around its shard of every batch (no one-process twin:
    # the samples differ), the ranks must still agree
    config = GCNConfig(epochs=2, hidden_channels=16, batch_size=50, fan_out=(5, 5))
    model = GCN.from_config(config, data)
    result = fit_node_classifier(model, data, config, seed=0, device="cpu", progress=False)
    out["gcn_minibatch"] = {"metrics": result.metrics, "params": _flat(model), "history": result.history}
    # layer-wise inference with shard=True: each rank computes its rows of every layer, then all-gather
    torch.manual_seed(0)
    nets = [GCN(data.num_features, 16, 4), SAGE(data.num_features, 16, 4)]  # the same parameters on every rank
    gathered = distributed.traffic()["all_gather"]
    out["inference"] = [net.inference(data.x, data.edge_index, chunk_size=37, shard=True) for net in nets]
    out["inference_gathered"] = distributed.traffic()["all_gather"] - gathered
    out["fastrp"] = _fastrp()
    out["fastrp_model"] = FastRP(dim=32, seed=1).fit(data).embedding_  # the estimator splits its rows too
    out["rank"], out["world_size"] = distributed.rank(), distributed.world_size()
    return out


FASTRP_NODES = 501  # odd: the row blocks differ by one and the all-gather pads


def _fastrp_graph():
    from graphkit.ops.csr import as_csr

    gen = torch.Generator().manual_seed(1)
    edges = torch.randint(0, FASTRP_NODES, (2, 3000), generator=gen)
    edges = edges[:, edges[0] != 0]  # node 0 keeps no out-edge of its own: a degree-0 row
    x = torch.randn(FASTRP_NODES, 12, generator=gen)
    return as_csr(torch.cat([edges, edges.flip(0)], 1), FASTRP_NODES), x


FASTRP_CASES = ({"s": "sqrt"}, {"s": 1.0, "self_influence": 0.5, "normalization_strength": -0.4},
                {"s": 3.0, "feature_dim": 8})


def _fastrp() -> list[torch.Tensor]:
    """Distributed FastRP of the row blocks (with a group), gathered; else the whole graph."""
    from graphkit import distributed
    from graphkit.ops.distributed_fastrp import distributed_fastrp_embedding, row_block

    adj, x = _fastrp_graph()
    start, stop = distributed.shard_range(FASTRP_NODES)
    out = []
    for case in FASTRP_CASES:
        feats = x[start:stop] if case.get("feature_dim") else None
        out.append(distributed_fastrp_embedding(row_block(adj), 32, (0.0, 1.0, 1.0, 2.0), seed=3, x=feats,
                                                gather=True, **case))
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(tmp_path: Path, world: int = WORLD, timeout: float = 120.0) -> list[dict]:
    """Run this file as ``world`` torchrun-style processes; return each rank's :func:`work` output."""
    port = _free_port()
    procs = []
    for rank in range(world):
        env = dict(os.environ, RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(world),
                   LOCAL_WORLD_SIZE=str(world), MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port),
                   OMP_NUM_THREADS="1", CUDA_VISIBLE_DEVICES="")
        procs.append(subprocess.Popen([sys.executable, __file__, str(tmp_path)], env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    deadline = time.monotonic() + timeout
    logs = []
    for proc in procs:
        try:
            logs.append(proc.communicate(timeout=max(1.0, deadline - time.monotonic()))[0])
        except subprocess.TimeoutExpired:
            for p in procs:
                p.kill()
            raise
    for rank, (proc, log) in enumerate(zip(procs, logs, strict=True)):
        assert proc.returncode == 0, f"rank {rank} failed:\n{log[-3000:]}"
    return [torch.load(tmp_path / f"rank{r}.pt", weights_only=False) for r in range(world)]


# ----------------------------------------------------------------------------- unit checks, one process


def test_shard_covers_the_batch_once_with_sizes_differing_by_at_most_one():
    from graphkit.distributed import shard, shard_range

    index = torch.arange(11)
    parts = [shard(index, rank_=r, world=3) for r in range(3)]
    assert [p.numel() for p in parts] == [4, 4, 3]
    assert torch.equal(torch.cat(parts), index)
    assert shard_range(2, rank_=2, world=3) == (2, 2)  # more ranks than items: an empty part
    pairs = torch.arange(10).view(2, 5)
    assert torch.equal(shard(pairs, dim=1, rank_=1, world=2), pairs[:, 3:])


def test_without_a_group_everything_is_the_identity():
    from graphkit import distributed

    assert not distributed.is_distributed() and distributed.world_size() == 1 and distributed.is_main()
    index = torch.arange(5)
    assert distributed.shard(index) is index and distributed.share(2, 5) == 1.0
    assert distributed.broadcast_value(0.25) == 0.25 and distributed.all_reduce_sum(3.0) == 3.0
    p = torch.nn.Parameter(torch.ones(3))
    p.grad = torch.full((3,), 2.0)
    distributed.all_reduce_gradients([p])
    assert torch.equal(p.grad, torch.full((3,), 2.0))


def test_share_weights_make_the_averaged_gradient_the_full_batch_gradient():
    """The remainder rule: uneven shards, each mean loss times p * b_r / B, averaged = the full mean."""
    from graphkit.distributed import shard

    gen = torch.Generator().manual_seed(0)
    values = torch.randn(7, generator=gen)
    w = torch.zeros((), requires_grad=True)
    full = ((values - w) ** 2).mean()
    (g_full,) = torch.autograd.grad(full, w)
    grads = []
    for r in range(3):
        part = shard(values, rank_=r, world=3)
        loss = ((part - w) ** 2).mean() * (3 * part.numel() / values.numel())
        grads.append(torch.autograd.grad(loss, w)[0])
    assert torch.allclose(torch.stack(grads).mean(), g_full, atol=1e-6)


def _as_rank(r: int, p: int = 2):
    """``distributed.shard_nodes`` / ``shard_pairs`` as rank ``r`` of ``p`` would compute them (no group needed)."""
    from graphkit.distributed import shard

    def shard_nodes(nodes):
        ids = nodes.nonzero().view(-1) if nodes.dtype == torch.bool else nodes
        local = shard(ids, rank_=r, world=p)
        return local, p * local.numel() / ids.numel()

    def shard_pairs(pos, neg):
        local = shard(pos, dim=1, rank_=r, world=p)
        return local, shard(neg, dim=1, rank_=r, world=p), p * local.size(1) / pos.size(1)

    return shard_nodes, shard_pairs


def test_sharded_procedures_take_their_loss_over_their_part_only(monkeypatch):
    """Each rank's first loss is its shard's mean times p * b_r / B; the ranks' mean is the one-process loss.

    Shown one process at a time by giving the procedures rank r's shard (an odd number of training nodes, so
    the parts and factors differ): a procedure that did not shard, or did not scale, fails here (the 2-process
    test cannot tell an unsharded loss from a sharded one: both average to the full gradient).
    """
    import graphkit.models.gae as gae
    from graphkit import (
        DAGNN,
        DGMLP,
        GAE,
        DAGNNConfig,
        DGMLPConfig,
        GAEConfig,
        datasets,
        distributed,
        fit_dagnn,
        fit_dgmlp,
        fit_link_predictor,
    )
    from graphkit.models.baselines import GCN, MLP
    from graphkit.train.distillation import train_student, train_teacher

    data = datasets.load("csbm", num_nodes=300, seed=0)
    data.train_mask[data.train_mask.nonzero()[0]] = False  # 59 training nodes: parts of 30 and 29
    x, y, ei = data.x, data.y, data.edge_index
    assert int(data.train_mask.sum()) % 2 == 1
    teacher_logits = torch.randn(300, 4, generator=torch.Generator().manual_seed(0))

    def teacher():
        torch.manual_seed(0)
        model = GCN(x.size(1), 16, 4)
        return train_teacher(model, lambda m: m(x, ei), y, data.train_mask, data.val_mask, epochs=1).history

    def student():
        torch.manual_seed(0)
        return train_student(MLP(x.size(1), 16, 4), x, y, data.train_mask, data.val_mask, teacher_logits,
                             distill_mask=torch.arange(300) != 7, lam=0.5, epochs=1).history

    def dagnn():
        config = DAGNNConfig.for_dataset("csbm").replace(epochs=1, hidden_channels=16)
        return fit_dagnn(DAGNN.from_config(config, data), data, config, seed=0, progress=False).history

    def gae_fit():
        config = GAEConfig(hidden_channels=16, epochs=1, batch_size=100_000)  # one batch
        return fit_link_predictor(GAE.from_config(config, data), data, config, seed=0, progress=False).history

    def dgmlp():  # no dropout: the head runs on the part's rows only, so the masks would differ from the full run
        config = DGMLPConfig.for_dataset("csbm").replace(epochs=1, dropout=0.0)
        return fit_dgmlp(DGMLP.from_config(config, data), data, config, seed=0, progress=False).history

    for name, run in (("teacher", teacher), ("student", student), ("dagnn", dagnn), ("gae", gae_fit),
                      ("dgmlp", dgmlp)):
        full = run()[0]["loss"]
        parts = []
        for r in range(2):
            shard_nodes, shard_pairs = _as_rank(r)
            monkeypatch.setattr(distributed, "shard_nodes", shard_nodes)
            monkeypatch.setattr(gae, "shard_pairs", shard_pairs)
            parts.append(run()[0]["loss"])
            monkeypatch.undo()
        assert abs(parts[0] - parts[1]) > 1e-4, (name, parts)  # each rank saw its own part
        assert abs(sum(parts) / 2 - full) < 1e-5, (name, parts, full)


# ----------------------------------------------------------------------------- two gloo processes


def test_two_gloo_processes_agree_with_each_other_and_with_one_process(tmp_path):
    import torch.distributed as dist

    if not dist.is_available() or not dist.is_gloo_available():
        pytest.skip("torch.distributed with gloo is not available in this torch build")
    ranks = launch(tmp_path)
    reference = work()
    assert [r["rank"] for r in ranks] == [0, 1] and {r["world_size"] for r in ranks} == {2}
    assert reference["world_size"] == 1
    for name in ("gcn", "ncn", "glnn", "dagnn", "gae", "dgmlp"):
        a, b, ref = ranks[0][name], ranks[1][name], reference[name]
        # the ranks apply the same averaged gradient: identical parameters, decisions and metrics
        assert torch.equal(a["params"], b["params"]), name
        assert a["metrics"] == b["metrics"] and a["best_epoch"] == b["best_epoch"], name
        assert [h["loss"] for h in a["history"]] == [h["loss"] for h in b["history"]], name
        # against one process: equal up to the float summation order
        assert torch.allclose(a["params"], ref["params"], rtol=1e-4, atol=1e-5), \
            (name, float((a["params"] - ref["params"]).abs().max()))
        assert a["best_epoch"] == ref["best_epoch"], name
        for key, value in ref["metrics"].items():
            assert abs(a["metrics"][key] - value) < 1e-6, (name, key, a["metrics"][key], value)
        for h, h_ref in zip(a["history"], ref["history"], strict=True):
            assert abs(h["loss"] - h_ref["loss"]) < 1e-5, (name, h, h_ref)
    a, b = ranks[0]["gcn_minibatch"], ranks[1]["gcn_minibatch"]
    assert torch.equal(a["params"], b["params"]) and a["metrics"] == b["metrics"] and a["history"] == b["history"]
    assert not torch.equal(a["params"], reference["gcn_minibatch"]["params"])  # it trained on other samples
    for e0, e1, single in zip(ranks[0]["inference"], ranks[1]["inference"], reference["inference"], strict=True):
        assert torch.equal(e0, e1) and torch.allclose(e0, single, rtol=1e-5, atol=1e-6)
    # the rows were split: per layer the ranks gathered GCN's transform and output ([300, 16], then [300, 4])
    # and SAGE's output (the same widths), float32; one process gathers nothing
    assert ranks[0]["inference_gathered"] == (2 * (16 + 4) + (16 + 4)) * 300 * 4
    assert reference["inference_gathered"] == 0
    # distributed FastRP (graphkit.ops.distributed_fastrp) equals the single-process operator
    from graphkit.ops.fastrp import fastrp_embedding

    adj, x = _fastrp_graph()
    for case, e0, e1 in zip(FASTRP_CASES, ranks[0]["fastrp"], ranks[1]["fastrp"], strict=True):
        single = fastrp_embedding(adj, 32, (0.0, 1.0, 1.0, 2.0), seed=3, x=x if case.get("feature_dim") else None,
                                  **case)
        assert torch.equal(e0, e1), case
        assert e0.shape == single.shape and float((e0 - single).abs().max()) < 1e-5, \
            (case, float((e0 - single).abs().max()))
    e0, e1 = ranks[0]["fastrp_model"], ranks[1]["fastrp_model"]
    assert torch.equal(e0, e1) and float((e0 - reference["fastrp_model"]).abs().max()) < 1e-5


if __name__ == "__main__":  # one rank of launch()
    result = work()
    torch.save(result, Path(sys.argv[1]) / f"rank{result['rank']}.pt")
    from graphkit import distributed

    distributed.shutdown()
