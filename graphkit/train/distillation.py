r"""The shared teacher → student distillation loop (GLNN, VQGraph, LightHGNN, LightHGNN⁺).

Stages, the same for every method:

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

Settings (:func:`distill`):

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

from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from graphkit.train.result import RunResult
from graphkit.train.selection import train_with_selection
from graphkit.train.timing import Timer

__all__ = ["DistillConfig", "check_temperature", "distill", "held_out_split", "kd_loss", "kl_probs",
           "train_student", "train_teacher"]

SETTINGS = ("transductive", "inductive")


def check_temperature(temperature: float) -> float:
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not temperature > 0:
        raise ValueError(f"temperature must be a positive number, got {temperature!r}")
    return float(temperature)


def kd_loss(student_logits: Tensor, teacher_logits: Tensor, temperature: float = 1.0, *,
            legacy: bool = False) -> Tensor:
    r"""Temperature-scaled soft-label distillation loss, mean over rows.

    Correct (default): :math:`\tau^2\,\mathrm{KL}(\mathrm{softmax}(t/\tau)\,\|\,\mathrm{softmax}(s/\tau))`.

    ``legacy=True`` — LightHGNN's official code: ``F.kl_div(log(q/τ), p/τ,
    log_target=True)`` with ``p, q`` the softmax *probabilities* of teacher and
    student, i.e. :math:`\sum_c e^{p_c/\tau}(p_c/\tau - \log(q_c/\tau))`, minimised
    at :math:`q \propto e^{p/\tau}` (a much flatter target than ``p``); no τ².

    Raises:
        ValueError: shapes differ (e.g. student and teacher class counts) or τ ≤ 0.
    """
    temperature = check_temperature(temperature)
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
    r"""``KL(target ‖ pred)`` for rows that are already probability vectors (e.g. hyperedge means).

    ``legacy=True`` is the official LightHGNN form ``F.kl_div(log pred, target, log_target=True)``.
    """
    if target.shape != pred.shape:
        raise ValueError(f"target {list(target.shape)} and prediction {list(pred.shape)} differ")
    if target.numel() == 0:
        return pred.sum() * 0.0
    log_pred = pred.clamp_min(eps).log()
    if legacy:
        return F.kl_div(log_pred, target, log_target=True, reduction="batchmean")
    return F.kl_div(log_pred, target.clamp_min(eps).log(), log_target=True, reduction="batchmean")


def held_out_split(test_mask: Tensor, ratio: float, *, seed: int = 0) -> tuple[Tensor, Tensor]:
    """Split ``test_mask`` into ``(test_tran, test_ind)``: a seeded share ``ratio`` of test nodes is held out."""
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


def _acc(logits: Tensor, y: Tensor, mask: Tensor) -> float:
    if not bool(mask.any()):
        return float("nan")
    return float((logits[mask].argmax(-1) == y[mask]).float().mean())


def train_teacher(teacher: nn.Module, forward: Callable[[nn.Module], object], y: Tensor, train_mask: Tensor,
                  val_mask: Tensor, *, epochs: int = 200, lr: float = 0.01, weight_decay: float = 5e-4,
                  patience: int | None = None, progress: bool = False, timer: Timer | None = None,
                  select_ties: bool = False) -> tuple[nn.Module, list[dict], int]:
    """Train ``teacher`` (CE on ``train_mask`` + any auxiliary loss), keep the best-validation state.

    ``forward(teacher)`` returns logits ``[N, C]`` or ``(logits, aux_loss)``; the
    auxiliary loss (VQGraph's reconstruction and commitment terms) is added as is.
    ``select_ties``: a validation tie also moves the kept state forward.
    Returns ``(teacher, history, best_epoch)``.
    """
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")

    def loss_fn(epoch: int) -> Tensor:
        out = forward(teacher)
        loss = F.cross_entropy(_logits(out)[train_mask], y[train_mask])
        if isinstance(out, (tuple, list)) and len(out) > 1 and out[1] is not None:
            loss = loss + out[1]
        return loss

    return train_with_selection(teacher, loss_fn, lambda: _acc(_logits(forward(teacher)), y, val_mask),
                                epochs=epochs, lr=lr, weight_decay=weight_decay, patience=patience, desc="teacher",
                                progress=progress, timer=timer, ties=select_ties)


def train_student(student: nn.Module, x: Tensor, y: Tensor, train_mask: Tensor, val_mask: Tensor,
                  teacher_logits: Tensor, *, distill_mask: Tensor | None = None, lam: float = 0.0,
                  temperature: float = 1.0, legacy: bool = False,
                  plugins: list[Callable] | tuple = (), epochs: int = 200, lr: float = 0.01,
                  weight_decay: float = 5e-4, patience: int | None = None, progress: bool = False,
                  timer: Timer | None = None, select_ties: bool = False) -> tuple[nn.Module, list[dict], int]:
    """Train the graph-free ``student(x)`` on hard labels + soft labels + plug-ins; select on validation.

    Args:
        student: ``student(x)`` returns logits ``[N, C]`` or ``(logits, extra...)``;
            plug-ins receive the full output.
        teacher_logits: ``[N, C]`` stored teacher outputs (rows outside
            ``distill_mask`` are ignored).
        distill_mask: nodes the KD term runs over (default all ``N``).
        lam: weight λ of the hard-label CE; the KD term has ``1 - λ``.
        temperature, legacy: see :func:`kd_loss`.
        plugins: callables ``plugin(student_output, epoch) -> Tensor`` added to the loss.
        select_ties: a validation tie also moves the kept state forward.

    Returns ``(student, history, best_epoch)``.
    """
    check_temperature(temperature)
    if not 0 <= lam <= 1:
        raise ValueError(f"lam (weight of the hard-label loss) must be in [0, 1], got {lam!r}")
    if teacher_logits.size(0) != x.size(0):
        raise ValueError(f"teacher_logits has {teacher_logits.size(0)} rows but x has {x.size(0)} nodes")
    teacher_logits = teacher_logits.detach()
    with torch.no_grad():
        student.eval()
        probe = _logits(student(x[:1]))
    if probe.size(-1) != teacher_logits.size(-1):
        raise ValueError(f"the student predicts {probe.size(-1)} classes but the teacher {teacher_logits.size(-1)}; "
                         "build the student with the teacher's number of classes")
    if distill_mask is None:
        distill_mask = torch.ones(x.size(0), dtype=torch.bool, device=x.device)

    def loss_fn(epoch: int) -> Tensor:
        out = student(x)
        logits = _logits(out)
        loss = logits.sum() * 0.0
        if lam > 0:
            loss = loss + lam * F.cross_entropy(logits[train_mask], y[train_mask])
        if lam < 1:
            loss = loss + (1 - lam) * kd_loss(logits[distill_mask], teacher_logits[distill_mask],
                                              temperature, legacy=legacy)
        for plugin in plugins:
            loss = loss + plugin(out, epoch)
        return loss

    return train_with_selection(student, loss_fn, lambda: _acc(_logits(student(x)), y, val_mask),
                                epochs=epochs, lr=lr, weight_decay=weight_decay, patience=patience, desc="student",
                                progress=progress, timer=timer, ties=select_ties)


@dataclass
class DistillConfig:
    """Settings of :func:`distill` (the runner's JSON configs map onto these fields)."""

    setting: str = "transductive"
    held_out: float = 0.2
    teacher_epochs: int = 200
    teacher_lr: float = 0.01
    teacher_weight_decay: float = 5e-4
    teacher_patience: int | None = None
    student_epochs: int = 200
    student_lr: float = 0.01
    student_weight_decay: float = 5e-4
    student_patience: int | None = None
    lam: float = 0.0
    temperature: float = 1.0
    legacy: bool = False
    select_ties: bool = False  # a validation tie also moves the kept state forward (GLNN / VQGraph code)
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_dict(cls, cfg: dict) -> DistillConfig:
        names = set(cls.__dataclass_fields__) - {"extra"}
        cfg = dict(cfg)
        if "epochs" in cfg:  # the runner's --epochs / --quick: both stages
            cfg["teacher_epochs"] = cfg["student_epochs"] = cfg.pop("epochs")
        if "patience" in cfg:
            cfg["teacher_patience"] = cfg["student_patience"] = cfg.pop("patience")
        out = cls(**{k: v for k, v in cfg.items() if k in names})
        out.extra = {k: v for k, v in cfg.items() if k not in names}
        if out.setting not in SETTINGS:
            raise ValueError(f"setting must be one of {SETTINGS}, got {out.setting!r}")
        check_temperature(out.temperature)
        return out


def distill(data, *, make_teacher: Callable[[], nn.Module], teacher_forward: Callable[[nn.Module, object], object],
            make_student: Callable[[], nn.Module], restrict: Callable[[object, Tensor], object],
            cfg: DistillConfig, make_plugins: Callable[[nn.Module, object], list] | None = None,
            seed: int = 0, device: torch.device | str = "cpu", progress: bool = False,
            student_input: Callable[[object], Tensor] | None = None) -> tuple[RunResult, dict]:
    """Teacher → student in the transductive or inductive setting; returns ``(RunResult, artefacts)``.

    Args:
        data: object with ``x``, ``y``, ``train_mask``, ``val_mask``, ``test_mask``
            (a ``Data``; its structure is only touched by ``teacher_forward`` and ``restrict``).
        make_teacher, make_student: zero-argument builders (called after seeding).
        teacher_forward: ``teacher_forward(teacher, data) -> logits | (logits, aux_loss)``.
        restrict: ``restrict(data, keep_mask) -> sub-data`` induced on ``keep_mask``
            nodes (relabelled 0..k-1, masks restricted); used in the inductive setting.
        make_plugins: ``make_plugins(trained_teacher, train_data) -> [plugin, ...]``.
        student_input: features the student reads (default ``data.x``).

    ``artefacts`` holds the trained ``teacher``, ``student``, ``teacher_logits``
    and the masks used.
    """
    device = torch.device(device)
    torch.manual_seed(seed)
    data = data.to(device)
    sx = student_input or (lambda d: d.x)
    y = data.y
    if cfg.setting == "inductive":
        test_tran, test_ind = held_out_split(data.test_mask, cfg.held_out, seed=seed)
        observed = ~test_ind
        train_data = restrict(data, observed)
    else:
        test_tran, test_ind, observed = data.test_mask, None, torch.ones_like(data.test_mask)
        train_data = data
    timer_t, timer_s = Timer(device), Timer(device)

    teacher = make_teacher().to(device)
    teacher, _, t_best = train_teacher(
        teacher, lambda m: teacher_forward(m, train_data), train_data.y, train_data.train_mask,
        train_data.val_mask, epochs=cfg.teacher_epochs, lr=cfg.teacher_lr,
        weight_decay=cfg.teacher_weight_decay, patience=cfg.teacher_patience, progress=progress, timer=timer_t,
        select_ties=cfg.select_ties)
    with torch.no_grad():
        teacher_logits = _logits(teacher_forward(teacher, train_data)).detach()

    plugins = make_plugins(teacher, train_data) if make_plugins is not None else []
    student = make_student().to(device)
    student, history, s_best = train_student(
        student, sx(train_data), train_data.y, train_data.train_mask, train_data.val_mask, teacher_logits,
        lam=cfg.lam, temperature=cfg.temperature, legacy=cfg.legacy, plugins=plugins,
        epochs=cfg.student_epochs, lr=cfg.student_lr, weight_decay=cfg.student_weight_decay,
        patience=cfg.student_patience, progress=progress, timer=timer_s, select_ties=cfg.select_ties)

    with torch.no_grad():
        with timer_s.inference():
            s_logits = _logits(student(sx(data)))
        with timer_t.inference():
            t_full = _logits(teacher_forward(teacher, data))  # the teacher sees the full structure at test time
    metrics = {"valid_accuracy": _acc(s_logits, y, data.val_mask),
               "teacher_valid_accuracy": _acc(t_full, y, data.val_mask)}
    if cfg.setting == "transductive":
        metrics["test_accuracy"] = _acc(s_logits, y, data.test_mask)
        metrics["teacher_test_accuracy"] = _acc(t_full, y, data.test_mask)
    else:
        r = cfg.held_out
        for who, lg in (("", s_logits), ("teacher_", t_full)):
            tran, ind = _acc(lg, y, test_tran), _acc(lg, y, test_ind)
            metrics[f"{who}test_tran_accuracy"] = tran
            metrics[f"{who}test_ind_accuracy"] = ind
            metrics[f"{who}test_prod_accuracy"] = (1 - r) * tran + r * ind
    times = timer_t.summary() | {}
    time = {"train_s": timer_t.summary()["train_s"] + timer_s.summary()["train_s"],
            "epoch_s": timer_s.summary()["epoch_s"], "inference_s": timer_s.summary()["inference_s"],
            "teacher_inference_s": times["inference_s"], "teacher_train_s": times["train_s"]}
    result = RunResult(metrics, time, s_best, len(history), history=history)
    artefacts = {"teacher": teacher, "student": student, "teacher_logits": teacher_logits,
                 "observed": observed, "test_tran": test_tran, "test_ind": test_ind, "teacher_best_epoch": t_best}
    return result, artefacts
