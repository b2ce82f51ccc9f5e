"""NCN's training procedure: target-link removal, the loop, the runner's fit, collab's val-as-input."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import torch
from torch_geometric.data import Data

from graphkit import NCN, NCNC, datasets
from graphkit.datasets.splits import random_link_split
from graphkit.models.registry import get_model
from graphkit.nn.common_neighbor_pooling import TargetLinkRemoval, symmetric_csr
from graphkit.train.ncn_training import evaluate_ncn, split_adjacencies, train_ncn
from tests.datasets.test_ogb import mini_collab

ROOT = Path(__file__).resolve().parents[2]


def _brute_force_tlr(train_pos, batch, n):
    """The official rebuild: from_edge_index(train_pos[:, ~batch]).to_symmetric(), as a dense 0/1 matrix."""
    keep = torch.ones(train_pos.size(1), dtype=torch.bool)
    keep[batch] = False
    a = torch.zeros(n, n)
    kept = train_pos[:, keep]
    a[kept[0], kept[1]] = 1
    a[kept[1], kept[0]] = 1
    return a


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_target_link_removal_removes_exactly_the_batch(seed):
    gen = torch.Generator().manual_seed(seed)
    n = 15
    pos = torch.randint(0, n, (2, 60), generator=gen)  # duplicates, both orientations, self-loops possible
    pos = torch.cat([pos, pos[:, :5], torch.tensor([[3], [3]])], 1)
    tlr = TargetLinkRemoval(pos, n)
    assert torch.equal(tlr.full.to_dense(), _brute_force_tlr(pos, torch.zeros(0, dtype=torch.long), n))
    for _ in range(4):
        batch = torch.randperm(pos.size(1), generator=gen)[:17]
        got = tlr.without(batch)
        assert got.value is None
        assert torch.equal(got.to_dense(), _brute_force_tlr(pos, batch, n))
        assert bool((got.col[1:] > got.col[:-1])[(got.row()[1:] == got.row()[:-1])].all())  # sorted, no dups
    # removing one copy of a duplicated edge keeps it; removing both drops it
    dup = TargetLinkRemoval(torch.tensor([[0, 1, 0], [1, 0, 2]]), 3)
    assert dup.without(torch.tensor([0])).to_dense()[0, 1] == 1
    assert dup.without(torch.tensor([0, 1])).to_dense()[0, 1] == 0
    assert dup.without(torch.tensor([2])).to_dense()[2, 0] == 0


def _tiny_data(n=60, seed=0):
    gen = torch.Generator().manual_seed(seed)
    # two communities: denser inside, so common neighbours carry signal
    blocks = torch.arange(n) % 2
    src, dst = torch.randint(0, n, (2, 600), generator=gen)
    keep = (blocks[src] == blocks[dst]) | (torch.rand(600, generator=gen) < 0.1)
    ei = torch.stack([src[keep], dst[keep]])
    ei = torch.cat([ei, ei.flip(0)], 1)
    return Data(x=torch.randn(n, 6, generator=gen), edge_index=ei, num_nodes=n)


SMALL = dict(hidden_channels=16, use_xlin=True, tailact=True, jk=True, predictor_ln=True,
             predictor_edge_dropout=0.2, input_dropout=0.2)


def test_train_ncn_runs_selects_on_validation_and_is_seeded():
    split = random_link_split(_tiny_data(), val_ratio=0.1, test_ratio=0.2, seed=0)

    def run():
        torch.manual_seed(0)
        model = NCNC(6, **SMALL, pt=0.5, scale=3.0, offset=1.0)
        return train_ncn(model, split, epochs=3, batch_size=64, gnn_lr=0.01, predictor_lr=0.01, seed=3)

    a, b = run(), run()
    assert set(a.metrics) == {"valid_hits@100", "test_hits@100"}
    assert a.metrics == b.metrics and a.epochs_run == 3
    best = max(h["valid_hits@100"] for h in a.history)
    assert a.metrics["valid_hits@100"] == best
    assert a.time["epoch_s"] > 0 and a.time["inference_s"] > 0


def test_train_ncn_without_tlr_and_with_frozen_gnn():
    split = random_link_split(_tiny_data(), seed=1)
    torch.manual_seed(0)
    model = NCN(6, **SMALL)
    before = [p.detach().clone() for p in model.encoder.parameters()]
    res = train_ncn(model, split, epochs=1, batch_size=32, gnn_lr=0.0, predictor_lr=0.01,
                    target_link_removal=False, metric="hits@20")
    assert "test_hits@20" in res.metrics
    assert all(torch.equal(p, q) for p, q in zip(before, model.encoder.parameters(), strict=True))
    with pytest.raises(ValueError, match="epochs"):
        train_ncn(model, split, epochs=0)
    with pytest.raises(TypeError, match="NCN/NCNC"):
        train_ncn(torch.nn.Linear(2, 2), split)


def test_registered_fit_on_a_node_dataset_redraws_split_per_seed():
    spec = get_model("ncn")
    cfg = dict(SMALL, epochs=1, batch_size=64, gnn_lr=0.01, predictor_lr=0.01, metric="hits@100")
    res = spec.fit(_tiny_data(), cfg, seed=0, device=torch.device("cpu"), progress=False)
    assert 0 <= res.metrics["test_hits@100"] <= 1


def test_collab_protocol_uses_validation_edges_only_at_test_time(tmp_path):
    mini_collab(tmp_path / "ogbl-collab" / "ogbl_collab")
    split = datasets.load("ogbl-collab", root=tmp_path, check_counts=False)
    assert split.test_edge_index is not None
    adjs = split_adjacencies(split, "cpu")
    assert torch.equal(adjs["test"].to_dense(), symmetric_csr(split.test_edge_index, split.num_nodes).to_dense())
    assert adjs["test"].nnz > adjs["valid"].nnz
    assert torch.equal(adjs["valid"].to_dense(), symmetric_csr(split.edge_index, split.num_nodes).to_dense())
    cfg = json.loads((ROOT / "benchmarks" / "configs" / "ncn.json").read_text())
    merged = {**cfg["default"], **cfg["datasets"]["ogbl-collab"], "epochs": 1, "metric": "hits@50"}
    torch.manual_seed(0)
    res = get_model("ncn").fit(split, merged, seed=0, device=torch.device("cpu"), progress=False)
    assert set(res.metrics) == {"valid_hits@50", "test_hits@50"}
    # the test score really is computed on train + valid edges: a model scored on the train graph differs
    model = NCN(split.num_features, 8, encoder="gcn").eval()
    on_test = evaluate_ncn(model, split, "test", "hits@50")
    on_train = evaluate_ncn(model, split, "test", "hits@50", adjacency=adjs["valid"])
    assert on_test != on_train or adjs["test"].nnz != adjs["valid"].nnz


def test_runner_end_to_end(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("graphkit_run_ncn", ROOT / "benchmarks" / "run.py")
    run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run)
    load_config = run.load_config

    def small(model, dataset):  # the real config, with a small embedding to keep the test fast
        cfg, source = load_config(model, dataset)
        return {**cfg, "hidden_channels": 16}, source

    monkeypatch.setattr(run, "load_config", small)
    out = tmp_path / "r.jsonl"
    run.main(["--model", "ncn", "--dataset", "csbm", "--epochs", "1", "--runs", "1", "--out", str(out), "--quiet"])
    rec = json.loads(out.read_text().splitlines()[0])
    assert rec["model"] == "ncn" and "test_hits@100" in rec["metrics"]
    assert rec["config"]["gnn_lr"] == 0.0043 and rec["config"]["target_link_removal"] is True


def test_example_runs_on_synthetic_data(capsys):
    spec = importlib.util.spec_from_file_location("ncnc_example", ROOT / "examples" / "ncnc_link_prediction.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    results = module.main(["--dataset", "csbm", "--epochs", "1", "--hidden", "16"])
    out = capsys.readouterr().out
    assert "NCN on csbm: test HR@100" in out and "NCNC on csbm: test HR@100" in out
    assert set(results) == {"NCN", "NCNC"}
