r"""The shared teacher → student distillation loop (GLNN, VQGraph, LightHGNN, LightHGNN⁺); it knows no paper.

Stages, the same for every method, both on :func:`graphkit.train.loop.run_epochs`:

1. **Teacher** — ``teacher_forward(teacher, data)`` (a GNN or HGNN, possibly
   with an auxiliary loss) trained with cross-entropy on ``train_mask``; the
   state with the best validation accuracy is kept (:func:`train_teacher`).
   Its outputs on every node it saw are stored (``teacher_logits``).
2. **Student** — a graph-free model ``student(x)`` trained with

   .. math::
       L = \lambda\, \mathrm{CE}(y_{train}, s) + (1-\lambda)\, \tau^2\,
           \mathrm{KL}\big(\mathrm{softmax}(t/\tau) \,\|\, \mathrm{softmax}(s/\tau)\big)
           + \sum_k L_k

   where the KD term runs over every node the teacher saw and the ``L_k`` are
   method-specific plug-ins ``plugin(student_output, epoch) -> Tensor``
   (hyperedge-level KL, soft code assignment, ...). Selection on validation
   accuracy (:func:`train_student`).

**Under torchrun** (:mod:`graphkit.distributed`) both stages shard their nodes as
:func:`~graphkit.train.node_classification.full_batch_loss` does: every rank runs the
same full forward (same dropout draws), takes the mean CE over its part of the training
nodes and the KD term over its part of the distilled nodes, each scaled by
:func:`graphkit.distributed.share`; auxiliary losses and plug-ins are whole-graph terms
that every rank computes in full (identical on every rank, so the average of their
gradients is their gradient). The averaged gradient is the one-process gradient up to
the float summation order.

Settings (:func:`distill`, :class:`DistillationConfig` ``setting``):

* ``'transductive'`` — the teacher sees the whole (hyper)graph; test nodes
  are unlabelled but present.
* ``'inductive'`` (GLNN's *production* setting) — a share ``held_out`` of the
  test nodes is removed from everything the teacher and the student see in
  training (the teacher trains on the sub(hyper)graph induced by the remaining
  nodes, soft labels exist only for them). Reported: ``test_tran_accuracy``
  (observed test nodes), ``test_ind_accuracy`` (held-out nodes; the student
  needs only their features, the teacher is evaluated on the full structure),
  and ``test_prod_accuracy`` = ``(1-r)·tran + r·ind``.

**KL correctness.** :func:`kd_loss` computes ``KL(p_t ‖ p_s)`` with
``F.kl_div(log p_s, log p_t, log_target=True)`` — both in log space. The
official LightHGNN code passes *probabilities* as a ``log_target=True``
target and divides probabilities, not logits, by τ; ``legacy=True`` reproduces
that (see :func:`kd_loss`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from graphkit import distributed, metrics
from graphkit._validation import check_real
from graphkit.nn.model import reinitialize
from graphkit.ops.rows import select_rows
from graphkit.train.config import Config, config_error
from graphkit.train.loop import Selection, Trajectory, run_epochs
from graphkit.train.node_classification import sharded_cross_entropy
from graphkit.train.result import FitResult
from graphkit.train.timing import Timer

__all__ = ["DistillationConfig", "distill", "held_out_split", "kd_loss", "kl_probs", "masked_accuracy",
           "require_dropout", "require_positive", "require_split_sizes", "train_student", "train_teacher"]


# --------------------------------------------------------------------------- losses


def kd_loss(student_logits: Tensor, teacher_logits: Tensor, temperature: float = 1.0, *,
            legacy: bool = False) -> Tensor:
    r"""Temperature-scaled soft-label distillation loss, mean over rows.

    Correct (default): :math:`\tau^2\,\mathrm{KL}(\mathrm{softmax}(t/\tau)\,\|\,\mathrm{softmax}(s/\tau))`.

    ``legacy=True`` — LightHGNN's official code: ``F.kl_div(log(q/τ), p/τ,
    log_target=True)`` with ``p, q`` the softmax *probabilities* of teacher and
    student, i.e. :math:`\sum_c e^{p_c/\tau}(p_c/\tau - \log(q_c/\tau))`, minimised
    at :math:`q \propto e^{p/\tau}` (a much flatter target than ``p``); no τ².

    Args:
        student_logits, teacher_logits: ``[B, C]`` scores.
        temperature: τ > 0. (default: ``1.0``)
        legacy: the official LightHGNN form. (default: ``False``)

    Returns:
        A scalar (0 for ``B = 0``).

    Raises:
        ValueError: shapes differ (e.g. student and teacher class counts) or τ ≤ 0.

    Example:
        >>> t = torch.tensor([[2.0, 0.0]])
        >>> round(float(kd_loss(t, t)), 6)
        0.0
    """
    temperature = check_real("temperature", temperature, low=0.0, low_open=True)
    if student_logits.shape != teacher_logits.shape:
        raise ValueError(f"student output {list(student_logits.shape)} and teacher output "
                         f"{list(teacher_logits.shape)} differ: student and teacher must predict the same "
                         "number of classes for the same nodes")
    if student_logits.numel() == 0:
        return student_logits.sum() * 0.0
    if legacy:
        p = teacher_logits.softmax(-1) / temperature
        log_q = torch.log((student_logits.softmax(-1) / temperature).clamp_min(1e-12))
        return F.kl_div(log_q, p, log_target=True, reduction="batchmean")
    log_p = F.log_softmax(teacher_logits / temperature, dim=-1)
    log_q = F.log_softmax(student_logits / temperature, dim=-1)
    return F.kl_div(log_q, log_p, log_target=True, reduction="batchmean") * temperature ** 2


def kl_probs(target: Tensor, pred: Tensor, *, legacy: bool = False, eps: float = 1e-12) -> Tensor:
    r"""``KL(target ‖ pred)`` for rows that are already probability vectors (e.g. hyperedge means), mean over rows.

    :math:`\frac1B\sum_b \sum_c t_{bc}(\log t_{bc} - \log p_{bc})`, logs of values
    clamped at ``eps``. ``legacy=True`` is the official LightHGNN form
    ``F.kl_div(log pred, target, log_target=True)``.
    """
    if target.shape != pred.shape:
        raise ValueError(f"target {list(target.shape)} and prediction {list(pred.shape)} differ")
    if target.numel() == 0:
        return pred.sum() * 0.0
    log_pred = pred.clamp_min(eps).log()
    if legacy:
        return F.kl_div(log_pred, target, log_target=True, reduction="batchmean")
    return F.kl_div(log_pred, target.clamp_min(eps).log(), log_target=True, reduction="batchmean")


def masked_accuracy(logits: Tensor, y: Tensor, mask: Tensor) -> float:
    """:func:`graphkit.metrics.accuracy` of the rows in ``mask``; NaN when ``mask`` selects nothing."""
    if not bool(mask.any()):
        return math.nan
    return metrics.accuracy(logits[mask], y[mask])


def held_out_split(test_mask: Tensor, ratio: float, *, seed: int = 0) -> tuple[Tensor, Tensor]:
    """Split ``test_mask`` into ``(test_tran, test_ind)``: a seeded share ``ratio`` of test nodes is held out.

    The draw uses its own generator seeded with ``seed``; global RNG state is untouched.
    """
    if not 0 < ratio < 1:
        raise ValueError(f"held_out must be in (0, 1) (share of test nodes hidden from training), got {ratio!r}")
    test = test_mask.nonzero().view(-1).cpu()
    gen = torch.Generator().manual_seed(seed)
    perm = test[torch.randperm(test.numel(), generator=gen)]
    k = int(round(ratio * test.numel()))
    ind = torch.zeros_like(test_mask, device="cpu")
    ind[perm[:k]] = True
    ind = ind.to(test_mask.device)
    return test_mask & ~ind, ind


def _logits(out) -> Tensor:
    return out[0] if isinstance(out, (tuple, list)) else out


# --------------------------------------------------------------------------- the two stages


def train_teacher(teacher: nn.Module, forward: Callable[[nn.Module], object], y: Tensor, train_mask: Tensor,
                  val_mask: Tensor, *, epochs: int = 200, lr: float = 0.01, weight_decay: float = 5e-4,
                  patience: int | None = None, select_ties: bool = False,
                  select_on: Literal["accuracy", "loss"] = "accuracy", timer: Timer | None = None,
                  progress: bool | None = False, desc: str = "teacher") -> Trajectory:
    """Train ``teacher`` (CE on ``train_mask`` + any auxiliary loss) with Adam; keep the best-validation state.

    Args:
        teacher: the module trained (in place; left in eval mode with the selected state).
        forward: ``forward(teacher)`` returns logits ``[N, C]`` or ``(logits, aux_loss)``;
            the auxiliary loss (VQGraph's reconstruction and commitment terms) is added as is.
        y, train_mask, val_mask: ``[N]`` labels and bool masks.
        epochs, lr, weight_decay, patience: the budget, Adam and early stopping
            (``None``: every epoch runs). (defaults: ``200``, ``0.01``, ``5e-4``, ``None``)
        select_ties: a validation tie also moves the kept state forward. (default: ``False``)
        select_on: ``'accuracy'`` keeps the state with the highest validation accuracy;
            ``'loss'`` the one with the lowest validation cross-entropy, i.e. the best soft
            labels on held-out nodes (patience counts evaluations without a lower loss).
            (default: ``'accuracy'``)
        timer, progress, desc: see :func:`~graphkit.train.loop.run_epochs`.

    Returns:
        The :class:`~graphkit.train.loop.Trajectory` (history rows hold ``valid_accuracy``, or
        ``valid_loss`` with ``select_on='loss'``).
    """
    if select_on not in ("accuracy", "loss"):
        raise ValueError(f"select_on must be 'accuracy' or 'loss', got {select_on!r}")

    local_train, train_share = distributed.shard_nodes(train_mask)  # (train_mask, 1.0) with one process

    def loss(batch, epoch: int) -> Tensor:
        out = forward(teacher)
        value = sharded_cross_entropy(_logits(out), y, local_train, train_share)
        if isinstance(out, (tuple, list)) and len(out) > 1 and out[1] is not None:
            value = value + out[1]
        return value

    def validate() -> float:
        logits = _logits(forward(teacher))
        if select_on == "loss":
            return float(F.cross_entropy(logits[val_mask], y[val_mask])) if bool(val_mask.any()) else math.nan
        return masked_accuracy(logits, y, val_mask)

    optimizer = torch.optim.Adam(teacher.parameters(), lr=lr, weight_decay=weight_decay)
    mode, name = ("min", "valid_loss") if select_on == "loss" else ("max", "valid_accuracy")
    return run_epochs(teacher, optimizer, epochs=epochs, loss=loss, validate=validate,
                      selection=Selection(mode, patience=patience, ties=select_ties), timer=timer,
                      progress=progress, desc=desc, value_name=name)


def train_student(student: nn.Module, x: Tensor, y: Tensor, train_mask: Tensor, val_mask: Tensor,
                  teacher_logits: Tensor, *, distill_mask: Tensor | None = None, lam: float = 0.0,
                  temperature: float = 1.0, legacy: bool = False, plugins: Sequence[Callable] = (),
                  epochs: int = 200, lr: float = 0.01, weight_decay: float = 5e-4, patience: int | None = None,
                  select_ties: bool = False, timer: Timer | None = None, progress: bool | None = False,
                  desc: str = "student") -> Trajectory:
    """Train the graph-free ``student(x)`` on hard labels + soft labels + plug-ins; select on validation.

    Args:
        student: ``student(x)`` returns logits ``[N, C]`` or ``(logits, extra...)``;
            plug-ins receive the full output. Trained in place.
        x, y, train_mask, val_mask: ``[N, F]`` features, ``[N]`` labels and bool masks.
        teacher_logits: ``[N, C]`` stored teacher outputs (rows outside
            ``distill_mask`` are ignored).
        distill_mask: nodes the KD term runs over. (default: all ``N``)
        lam: weight λ of the hard-label CE; the KD term has ``1 - λ``. (default: ``0.0``)
        temperature, legacy: see :func:`kd_loss`. (defaults: ``1.0``, ``False``)
        plugins: callables ``plugin(student_output, epoch) -> Tensor`` added to the loss.
        epochs, lr, weight_decay, patience, select_ties, timer, progress, desc: as :func:`train_teacher`.

    Returns:
        The :class:`~graphkit.train.loop.Trajectory`.
    """
    temperature = check_real("temperature", temperature, low=0.0, low_open=True)
    lam = check_real("lam", lam, low=0.0, high=1.0)
    if teacher_logits.size(0) != x.size(0):
        raise ValueError(f"teacher_logits has {teacher_logits.size(0)} rows but x has {x.size(0)} nodes")
    teacher_logits = teacher_logits.detach()
    with torch.no_grad():
        student.eval()
        probe = _logits(student(select_rows(x, torch.zeros(1, dtype=torch.long, device=x.device))))
    if probe.size(-1) != teacher_logits.size(-1):
        raise ValueError(f"the student predicts {probe.size(-1)} classes but the teacher {teacher_logits.size(-1)}; "
                         "build the student with the teacher's number of classes")
    if distill_mask is None:
        distill_mask = torch.ones(x.size(0), dtype=torch.bool, device=x.device)
    # under torchrun: this rank's part of the labelled and of the distilled nodes, and their loss factors
    local_train, train_share = distributed.shard_nodes(train_mask)
    local_distill, distill_share = distributed.shard_nodes(distill_mask)

    def loss(batch, epoch: int) -> Tensor:
        out = student(x)
        logits = _logits(out)
        value = logits.sum() * 0.0
        if lam > 0:
            value = value + lam * sharded_cross_entropy(logits, y, local_train, train_share)
        if lam < 1:
            kd = kd_loss(logits[local_distill], teacher_logits[local_distill], temperature, legacy=legacy)
            value = value + (1 - lam) * (kd if distill_share == 1.0 else kd * distill_share)
        for plugin in plugins:
            value = value + plugin(out, epoch)
        return value

    optimizer = torch.optim.Adam(student.parameters(), lr=lr, weight_decay=weight_decay)
    return run_epochs(student, optimizer, epochs=epochs, loss=loss,
                      validate=lambda: masked_accuracy(_logits(student(x)), y, val_mask),
                      selection=Selection("max", patience=patience, ties=select_ties), timer=timer,
                      progress=progress, desc=desc, value_name="valid_accuracy")


# --------------------------------------------------------------------------- config


@dataclass(frozen=True)
class DistillationConfig(Config):
    """Settings of the two-stage loop (:func:`distill`) shared by every distillation method's config.

    Args:
        setting: ``'transductive'`` or ``'inductive'`` (see the module docstring).
            (default: ``'transductive'``)
        held_out: share of the test nodes hidden from training in the inductive
            setting, in (0, 1). (default: ``0.2``)
        epochs: the epoch budget of each stage. (default: ``200``)
        patience: evaluations without a better validation accuracy before a stage
            stops; ``None`` runs every epoch. (default: ``None``)
        teacher_lr, teacher_weight_decay: Adam of the teacher. (defaults: ``0.01``, ``5e-4``)
        student_lr, student_weight_decay: Adam of the student. (defaults: ``0.01``, ``5e-4``)
        lam: weight λ of the student's hard-label CE; soft labels get ``1 - λ``. (default: ``0.0``)
        temperature: τ of the soft labels. (default: ``1.0``)
        legacy: LightHGNN's official KL on probabilities (see :func:`kd_loss`). (default: ``False``)
        select_ties: a validation tie also moves the kept state forward (GLNN's /
            VQGraph's ``score_val >= best_score_val``). (default: ``False``)
        teacher_selection: the teacher state kept: ``'accuracy'`` (highest validation
            accuracy, the official loops) or ``'loss'`` (lowest validation cross-entropy;
            see :func:`train_teacher`). The student is always selected on validation accuracy.
            (default: ``'accuracy'``)
        runs: see :class:`~graphkit.train.config.Config`.
    """

    setting: Literal["transductive", "inductive"] = "transductive"
    held_out: float = 0.2
    epochs: int = 200
    patience: int | None = None
    teacher_lr: float = 0.01
    teacher_weight_decay: float = 5e-4
    student_lr: float = 0.01
    student_weight_decay: float = 5e-4
    lam: float = 0.0
    temperature: float = 1.0
    legacy: bool = False
    select_ties: bool = False
    teacher_selection: Literal["accuracy", "loss"] = "accuracy"

    def check(self) -> None:
        def bad(message: str):
            return config_error(self.__class__, message)

        if not 0 < self.held_out < 1:
            raise bad(f"held_out must be in (0, 1) (share of test nodes hidden from training), got {self.held_out}")
        require_positive(self, "epochs")
        if self.patience is not None and self.patience < 1:
            raise bad(f"patience must be >= 1 or null, got {self.patience}")
        for key in ("teacher_lr", "student_lr", "temperature"):
            if not getattr(self, key) > 0:
                raise bad(f"{key} must be > 0, got {getattr(self, key)}")
        for key in ("teacher_weight_decay", "student_weight_decay"):
            if getattr(self, key) < 0:
                raise bad(f"{key} must be >= 0, got {getattr(self, key)}")
        if not 0 <= self.lam <= 1:
            raise bad(f"lam (weight of the hard-label loss) must be in [0, 1], got {self.lam}")


def require_positive(config: Config, *keys: str) -> None:
    """Raise :func:`~graphkit.train.config.config_error` unless every ``config.<key>`` is ``>= 1``."""
    for key in keys:
        if getattr(config, key) < 1:
            raise config_error(config.__class__, f"{key} must be >= 1, got {getattr(config, key)}")


def require_dropout(config: Config, *keys: str) -> None:
    """Raise :func:`~graphkit.train.config.config_error` unless every ``config.<key>`` is in ``[0, 1)``."""
    for key in keys:
        if not 0 <= getattr(config, key) < 1:
            raise config_error(config.__class__, f"{key} must be in [0, 1), got {getattr(config, key)}")



def require_split_sizes(config: Config) -> None:
    """``train_per_class`` / ``val_per_class``: both ``>= 0`` (a drawn split) or both ``None`` (the data's masks)."""
    if (config.train_per_class is None) != (config.val_per_class is None):
        raise config_error(config.__class__, "train_per_class and val_per_class are set together: both numbers "
                                             "(a drawn split) or both null (the data's own masks)")
    for key in ("train_per_class", "val_per_class"):
        if getattr(config, key) is not None and getattr(config, key) < 0:
            raise config_error(config.__class__, f"{key} must be >= 0 or null, got {getattr(config, key)}")


# --------------------------------------------------------------------------- the loop


def distill(teacher: nn.Module, student: nn.Module, data, config: DistillationConfig, *,
            teacher_forward: Callable[[nn.Module, object], object], restrict: Callable[[object, Tensor], object],
            make_plugins: Callable[[nn.Module, object], list] | None = None,
            init_teacher: Callable[[nn.Module], None] | None = None,
            student_input: Callable[[object], Tensor] | None = None, seed: int = 0,
            device: torch.device | str = "cpu", progress: bool | None = False,
            warm_start: bool = False) -> FitResult:
    """Teacher → student in the transductive or inductive setting; trains both modules in place.

    Call it from a procedure (after :func:`graphkit.train.seed.seed_everything`):
    unless ``warm_start`` it redraws the teacher's parameters
    (:func:`~graphkit.nn.model.reinitialize`) before the teacher stage and the
    student's after it, the points where a from-scratch run builds them.

    Args:
        teacher, student: the two parts (:class:`~graphkit.nn.model.Model` instances), trained in place.
        data: object with ``x``, ``y``, ``train_mask``, ``val_mask``, ``test_mask``
            (a ``Data``; its structure is only touched by ``teacher_forward`` and ``restrict``).
        config: a :class:`DistillationConfig` (or a subclass).
        teacher_forward: ``teacher_forward(teacher, data) -> logits | (logits, aux_loss)``.
        restrict: ``restrict(data, keep_mask) -> sub-data`` induced on ``keep_mask``
            nodes (relabelled 0..k-1, masks restricted); used in the inductive setting.
        make_plugins: ``make_plugins(trained_teacher, train_data) -> [plugin, ...]``
            (see :func:`train_student`).
        init_teacher: ``init_teacher(teacher)`` after the teacher is redrawn (not with
            ``warm_start``), e.g. to seed a module's own generators.
        student_input: features the student reads. (default: ``data.x``)
        seed: seeds the held-out draw of the inductive setting.
        device, progress, warm_start: see :mod:`graphkit.models.procedure`.

    Returns:
        :class:`~graphkit.train.result.FitResult` (model and config left for the
        procedure to set): the student's ``valid_accuracy`` and ``test_accuracy``
        (inductive: ``test_tran_accuracy``, ``test_ind_accuracy``, ``test_prod_accuracy``)
        and the teacher's, prefixed ``teacher_``; times ``train_s`` (both stages),
        ``epoch_s`` / ``eval_s`` / ``inference_s`` (student), ``teacher_train_s``,
        ``teacher_epoch_s``, ``teacher_inference_s``; the student's selection and
        history; ``outputs``: ``teacher_logits`` (the soft labels, one row per node
        the teacher saw in training), ``train_mask`` / ``val_mask`` / ``test_mask``
        (over ``data``'s nodes), ``teacher_best_epoch``, ``teacher_history`` and, in the
        inductive setting, ``observed`` (nodes seen in training), ``test_tran`` and
        ``test_ind`` (observed and held-out test nodes).
    """
    device = torch.device(device)
    data = data.to(device)
    student_x = student_input or (lambda d: d.x)
    y = data.y
    if config.setting == "inductive":
        test_tran, test_ind = held_out_split(data.test_mask, config.held_out, seed=seed)
        observed = ~test_ind
        train_data = restrict(data, observed)
    else:
        test_tran, test_ind, observed = data.test_mask, None, None
        train_data = data
    timer_t, timer_s = Timer(device), Timer(device)
    stages = {"epochs": config.epochs, "patience": config.patience, "select_ties": config.select_ties,
              "progress": progress}

    teacher.to(device)
    if not warm_start:
        reinitialize(teacher)
        if init_teacher is not None:
            init_teacher(teacher)
    t_run = train_teacher(teacher, lambda m: teacher_forward(m, train_data), train_data.y, train_data.train_mask,
                          train_data.val_mask, lr=config.teacher_lr, weight_decay=config.teacher_weight_decay,
                          select_on=config.teacher_selection, timer=timer_t, desc="teacher", **stages)
    with torch.no_grad():
        teacher_logits = _logits(teacher_forward(teacher, train_data)).detach()

    plugins = make_plugins(teacher, train_data) if make_plugins is not None else []
    student.to(device)
    if not warm_start:
        reinitialize(student)
    s_run = train_student(student, student_x(train_data), train_data.y, train_data.train_mask, train_data.val_mask,
                          teacher_logits, lam=config.lam, temperature=config.temperature, legacy=config.legacy,
                          plugins=plugins, lr=config.student_lr, weight_decay=config.student_weight_decay,
                          timer=timer_s, desc="student", **stages)

    with torch.no_grad():
        with timer_s.inference():
            s_logits = _logits(student(student_x(data)))
        with timer_t.inference():
            t_full = _logits(teacher_forward(teacher, data))  # the teacher sees the full structure at test time
    scores = {"valid_accuracy": masked_accuracy(s_logits, y, data.val_mask),
              "teacher_valid_accuracy": masked_accuracy(t_full, y, data.val_mask)}
    if config.setting == "transductive":
        scores["test_accuracy"] = masked_accuracy(s_logits, y, data.test_mask)
        scores["teacher_test_accuracy"] = masked_accuracy(t_full, y, data.test_mask)
    else:
        r = config.held_out
        for who, logits in (("", s_logits), ("teacher_", t_full)):
            tran, ind = masked_accuracy(logits, y, test_tran), masked_accuracy(logits, y, test_ind)
            scores[f"{who}test_tran_accuracy"] = tran
            scores[f"{who}test_ind_accuracy"] = ind
            scores[f"{who}test_prod_accuracy"] = (1 - r) * tran + r * ind
    t_time, s_time = timer_t.summary(), timer_s.summary()
    time = {"train_s": t_time["train_s"] + s_time["train_s"], "epoch_s": s_time["epoch_s"],
            "eval_s": s_time["eval_s"], "inference_s": s_time["inference_s"], "teacher_train_s": t_time["train_s"],
            "teacher_epoch_s": t_time["epoch_s"], "teacher_inference_s": t_time["inference_s"]}
    outputs = {"teacher_logits": teacher_logits, "train_mask": data.train_mask, "val_mask": data.val_mask,
               "test_mask": data.test_mask, "teacher_best_epoch": t_run.best_epoch,
               "teacher_history": t_run.history}
    if config.setting == "inductive":
        outputs |= {"observed": observed, "test_tran": test_tran, "test_ind": test_ind}
    return FitResult(scores, time, s_run.best_epoch, s_run.epochs_run, history=s_run.history, outputs=outputs)
