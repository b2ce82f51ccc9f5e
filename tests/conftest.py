"""Shared fixtures: accelerator switching, seeded random graphs, real-data roots."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest
import torch

from graphkit import _compat


@pytest.fixture(params=["pure", "ext"])
def extensions(request, monkeypatch):
    """Run a test once with the accelerators off and once with them on (when installed)."""
    if request.param == "pure":
        monkeypatch.setattr(_compat, "WITH_TORCH_SCATTER", False)
        monkeypatch.setattr(_compat, "WITH_TORCH_SPARSE", False)
    elif not (_compat.torch_scatter is not None or _compat.torch_sparse is not None):
        pytest.skip("torch-scatter / torch-sparse not installed (pip install --no-build-isolation torch-scatter "
                    "torch-sparse, the graphkit-pyg[ext] extra)")
    return request.param


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Processed caches of every test go to a private temporary directory."""
    monkeypatch.setenv("GRAPHKIT_CACHE", str(tmp_path_factory.getbasetemp() / "graphkit-cache"))


def random_graph(num_nodes: int, num_edges: int, seed: int, *, undirected: bool = True) -> torch.Tensor:
    """Seeded random multigraph edge index (self-loops and duplicates possible)."""
    gen = torch.Generator().manual_seed(seed)
    edge_index = torch.randint(0, num_nodes, (2, num_edges), generator=gen)
    if undirected:
        edge_index = torch.cat([edge_index, edge_index.flip(0)], dim=1)
    return edge_index


@pytest.fixture
def real_data_root() -> Path:
    """``$GRAPHKIT_DATA`` when set and present, else skip with the reason."""
    root = os.environ.get("GRAPHKIT_DATA")
    if not root or not Path(root).is_dir():
        pytest.skip("real data sets not available: set GRAPHKIT_DATA to the shared datasets folder")
    return Path(root)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Skips counted by reason in a few lines (the default tier skips dozens of real-data and CUDA tests);
    ``-rs`` / ``-ra`` still list every one."""
    skipped = terminalreporter.stats.get("skipped", [])
    if not skipped or any(c in (config.option.reportchars or "") for c in "sSaA"):
        return
    reasons: Counter[str] = Counter()
    for report in skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reasons[reason.removeprefix("Skipped: ")] += 1
    terminalreporter.write_sep("-", f"{len(skipped)} skipped (-rs lists them)")
    for reason, count in reasons.most_common():
        terminalreporter.write_line(f"{count:5d}  {reason}")
