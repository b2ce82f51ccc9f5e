"""The thread policy: one thread for small inputs, no more than the idle cores, an explicit count wins."""

import pytest
import torch
from torch_geometric.data import Data

import graphkit.models.procedure as proc
import graphkit.threads as threads
from graphkit import (
    DGMLP,
    GCN,
    STABLE,
    DGMLPConfig,
    GCNJaccard,
    GCNJaccardConfig,
    STABLEConfig,
    datasets,
    fit_dgmlp,
    fit_gcn_jaccard,
    fit_node_classifier,
    fit_stable,
)
from graphkit.threads import choose_threads, thread_limit, work_of


@pytest.fixture(autouse=True)
def fresh_reading(monkeypatch):
    """Each test samples the (patched) idle cores itself, not a reading an earlier test left."""
    monkeypatch.setattr(threads, "_last_reading", None)


@pytest.fixture
def two_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def test_work_counts_features_and_edges():
    data = Data(x=torch.zeros(10, 4), edge_index=torch.zeros(2, 3, dtype=torch.long))
    assert work_of(data) == 40 + 64 * 3
    sparse = Data(x=torch.eye(5).to_sparse_csr(), edge_index=torch.zeros(2, 1, dtype=torch.long))
    assert work_of(sparse) == 5 + 64  # the non-zeros, not the dense size
    assert work_of(Data(hyperedge_index=torch.zeros(2, 7, dtype=torch.long))) == 64 * 7
    assert work_of(object()) is None


def test_small_inputs_run_on_one_thread(two_threads, monkeypatch):
    monkeypatch.setattr(threads, "idle_cores", lambda: pytest.fail("a small input needs no sampling"))
    assert choose_threads(threads.SMALL_WORK - 1) == 1


@pytest.mark.parametrize("idle, expected", [(0.1, 1), (0.9, 1), (1.6, 2), (7.0, 2), (None, 2)])
def test_large_inputs_use_at_most_the_idle_cores(two_threads, monkeypatch, idle, expected):
    monkeypatch.setattr(threads, "idle_cores", lambda: idle)
    assert choose_threads(threads.SMALL_WORK) == expected  # never above torch's own count (2 here)
    assert choose_threads(None) == expected


def test_a_recent_reading_is_reused(two_threads, monkeypatch):
    readings = iter([1.0, 2.0])
    calls = []
    monkeypatch.setattr(threads, "idle_cores", lambda: calls.append(1) or next(readings))
    assert choose_threads(threads.SMALL_WORK) == 1
    assert choose_threads(threads.SMALL_WORK) == 1  # the same reading: no second sleep
    assert len(calls) == 1
    assert threads.recent_idle_cores(max_age=0.0) == 2.0  # older than max_age: read again
    assert len(calls) == 2
    monkeypatch.setattr(threads, "_last_reading", (threads.time.monotonic() - threads.SAMPLE_REUSE_SECONDS - 1, 1.0))
    monkeypatch.setattr(threads, "idle_cores", lambda: 7.0)  # the window has passed: read again
    assert choose_threads(threads.SMALL_WORK) == 2


def test_an_explicit_count_wins_and_is_checked(two_threads):
    assert choose_threads(10, requested=3) == 3
    for bad in (0, -1):
        with pytest.raises(ValueError, match="threads"):
            choose_threads(10, requested=bad)
    for bad in (1.5, "2", True):
        with pytest.raises(TypeError, match="threads"):
            choose_threads(10, requested=bad)


def test_the_ceiling_is_what_torch_was_set_to(monkeypatch):
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        monkeypatch.setattr(threads, "idle_cores", lambda: 8.0)
        assert choose_threads(10**9) == 1
    finally:
        torch.set_num_threads(before)


def test_idle_cores_reads_the_machine():
    idle = threads.idle_cores(0.01)
    if idle is None:
        pytest.skip("no /proc/stat here")
    assert 0 <= idle <= (len(__import__("os").sched_getaffinity(0)) + 1e-9)


def test_thread_limit_restores(two_threads):
    with thread_limit(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == 2
    with pytest.raises(RuntimeError), thread_limit(1):
        raise RuntimeError
    assert torch.get_num_threads() == 2


def test_procedures_record_and_restore_their_threads(two_threads):
    data = datasets.load("csbm", num_nodes=200, seed=0)
    model = GCN(data.num_features, 8, int(data.y.max()) + 1)
    result = fit_node_classifier(model, data, {"epochs": 2}, progress=False)
    assert result.threads == 1 and torch.get_num_threads() == 2  # a small graph: one thread, then restored
    seen = []
    config = {"epochs": 2}
    original = torch.Tensor.backward

    def spy(self, *args, **kwargs):
        seen.append(torch.get_num_threads())
        return original(self, *args, **kwargs)

    torch.Tensor.backward = spy
    try:
        result = fit_node_classifier(model, data, config, progress=False, threads=2)
    finally:
        torch.Tensor.backward = original
    assert result.threads == 2 and set(seen) == {2}


def test_runner_threads_flag(tmp_path):
    from graphkit.runner import run

    records = run(["--model", "gcn", "--quick", "--quiet", "--threads", "1", "--out", str(tmp_path / "r.jsonl")])
    assert records[0]["threads"] == 1
    with pytest.raises(SystemExit, match="--threads"):
        run(["--model", "gcn", "--quick", "--quiet", "--threads", "0", "--out", str(tmp_path / "r.jsonl")])


def test_dense_features_count_a_sparse_x_at_its_dense_size():
    data = Data(x=torch.eye(5).to_sparse_csr(), edge_index=torch.zeros(2, 1, dtype=torch.long))
    assert work_of(data, dense_features=True) == 25 + 64


def test_procedures_that_densify_size_their_input_densely(monkeypatch):
    """DGMLP, GCN-Jaccard and STABLE densify x (STABLE also holds an N x N similarity): a CSR load must not
    make them look small to the thread policy (prognn-cora's CSR x put fit_stable on one thread)."""
    seen = []
    monkeypatch.setattr(proc, "choose_threads", lambda work, requested: seen.append(work) or 1)
    data = datasets.load("csbm", num_nodes=60, num_features=8, avg_degree=4, seed=0)
    data.x = (data.x > 1.0).float().to_sparse_csr()
    dense = 60 * 8 + 64 * data.edge_index.size(1)
    fit_dgmlp(DGMLP.from_config(DGMLPConfig(epochs=1), data), data, DGMLPConfig(epochs=1), progress=False)
    config = GCNJaccardConfig(epochs=1)
    fit_gcn_jaccard(GCNJaccard.from_config(config, data), data, config, progress=False)
    config = STABLEConfig(embedding_epochs=1, epochs=1, classifier_runs=1)
    fit_stable(STABLE.from_config(config, data), data, config, progress=False)
    assert seen[0] == dense and seen[1] == dense  # fit_gcn_jaccard's inner GCN fit follows: not checked
    assert seen[-1] == dense + 60 * 60


def test_fastrp_fit_follows_the_policy(monkeypatch):
    """FastRP.fit (an estimator, not a procedure) chooses its threads too, and restores torch's count."""
    import graphkit.models.fastrp as fastrp_module
    from graphkit import FastRP

    seen = []
    monkeypatch.setattr(fastrp_module, "choose_threads", lambda work: seen.append(work) or 1)
    before = torch.get_num_threads()
    edge_index = torch.tensor([[0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2]])
    emb = FastRP(dim=8, seed=0).fit(edge_index, num_nodes=4).embedding_
    assert seen == [threads.EDGE_WORK * 6 + 4 * 8]
    assert torch.get_num_threads() == before and emb.shape == (4, 8)
