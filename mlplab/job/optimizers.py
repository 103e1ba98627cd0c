"""The optimizer and loss a run trains with: the named optimizer at its learning rate, after
clipping and weight decay (by default PRIOR_STRENGTH / rows), and the task's loss."""

from __future__ import annotations

import inspect
from typing import Any

from mlplab._checks import invalid
from mlplab.job.settings import OWNER, PRIOR_STRENGTH, TrainSettings, full_batch
from mlplab.losses import LOSSES
from mlplab.optim import OPTIMIZERS, chain, clip_by_global_norm, get_optimizer, l2_penalty
from mlplab.preprocessing import IMPUTE as IMPUTE
from mlplab.preprocessing import TASKS as TASKS


def build_optimizer(settings: TrainSettings, *, rows: int) -> Any:
    """The named optimizer at the learning rate, after gradient clipping and weight decay.

    Clipping rescales the loss's gradient to a global norm of at most
    `clip_norm`; weight decay then adds ``weight_decay * W`` to it (an L2
    penalty), or is the optimizer's own argument when it takes one (AdamW's
    decoupled decay, SGD's); left out, it is `default_weight_decay(rows)`, `rows` the
    rows the steps see. Solvers take neither: they minimize the loss alone.
    """
    name = OPTIMIZERS.canonical(settings.optimizer, owner=OWNER, parameter="optimizer")
    if full_batch(name):
        _check_solver_settings(name, settings)
        return get_optimizer(name, owner=OWNER)
    options = {OPTIMIZERS.fact(name, "learning_rate"): settings.learning_rate}
    decay = default_weight_decay(rows) if settings.weight_decay is None else settings.weight_decay
    own_decay = "weight_decay" in inspect.signature(OPTIMIZERS[name]).parameters
    if decay is not None and own_decay:
        options["weight_decay"] = decay
    links = [] if settings.clip_norm is None else [clip_by_global_norm(settings.clip_norm)]
    if decay is not None and not own_decay:
        links.append(l2_penalty(decay))
    step = get_optimizer(name, owner=OWNER, **options)
    return chain(*links, step) if links else step


def default_weight_decay(rows: int) -> float:
    """The default weight decay, PRIOR_STRENGTH / rows.

    Training minimizes the mean loss over the rows, (1/n) sum_i l_i; a Gaussian
    prior on the weights, W ~ N(0, 1/lambda), adds (lambda/2) |W|^2 to the
    *sum* of the losses (the maximum a posteriori fit), which for the mean is
    the penalty (lambda / 2n) |W|^2, whose gradient is (lambda / n) W: a weight
    decay of lambda / n. So the prior's pull stays the same while the data's
    grows with n: small data sets are held close to small weights, large ones
    hardly (scikit-learn's `alpha` is the same lambda, at 1e-4).
    """
    return PRIOR_STRENGTH / max(rows, 1)


def _check_solver_settings(name: str, settings: TrainSettings) -> None:
    """Refuse the settings a full-batch solver cannot honour."""
    for key in ("weight_decay", "clip_norm"):
        value = getattr(settings, key)
        if value is not None and value != 0:
            raise invalid(key, OWNER, f"left out with the full-batch solver {name!r}, which "
                          "minimizes the loss alone", value)
    for key in ("checkpoint", "resume"):
        if getattr(settings, key):
            raise invalid(key, OWNER, f"left out with the full-batch solver {name!r} (its "
                          "search state cannot be saved; --save keeps the trained model)",
                          getattr(settings, key))


def training_loss(name: str | None, task: str) -> str:
    """The loss to train with: `name` if it suits the task and its output layer, else refused."""
    default = task_loss(task)
    if name is None:
        return default
    name = LOSSES.canonical(name, owner=OWNER, parameter="loss")
    output = LOSSES[default].logits_of  # the output activation the network has for the task
    fitting = [n for n in LOSSES.names(task=task) if LOSSES[n].logits_of == output]
    if name not in fitting:
        raise invalid("loss", OWNER, f"a loss for {task} on this network's output: one of "
                      f"{', '.join(fitting)}", name)
    return name


def task_loss(task: str) -> str:
    return "softmax_crossentropy" if task == "classification" else "mse"
