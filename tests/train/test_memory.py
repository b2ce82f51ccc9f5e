import numpy as np

from graphkit.train.memory import PeakMemory, current_peak_rss_mb


def test_peak_rss_sees_a_large_allocation():
    with PeakMemory("cpu") as baseline:
        pass
    with PeakMemory("cpu") as mem:
        block = np.ones(200 * 2**20 // 8)  # 200 MiB, touched
        block.sum()
        del block
    assert mem.peak_mb > 0 and current_peak_rss_mb() >= mem.peak_mb - 1
    if mem.reset:
        assert mem.peak_mb >= baseline.peak_mb + 150
