"""Task loops and the utilities they share: seeding, devices, early stopping, timing, memory."""

from graphkit.train.batching import batched_scores, iter_batches
from graphkit.train.device import resolve_device
from graphkit.train.early_stopping import EarlyStopping
from graphkit.train.link_prediction import evaluate_link, train_link_predictor
from graphkit.train.memory import PeakMemory
from graphkit.train.node_classification import train_node_classifier
from graphkit.train.result import RunResult
from graphkit.train.seed import seed_everything
from graphkit.train.timing import Timer

__all__ = [
    "seed_everything", "resolve_device", "EarlyStopping", "Timer", "PeakMemory",
    "iter_batches", "batched_scores", "train_node_classifier", "train_link_predictor",
    "evaluate_link", "RunResult",
]
