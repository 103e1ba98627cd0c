"""Learning-rate schedules, and the learning-rate link that ends every optimizer.

A schedule is any callable ``schedule(step) -> rate``: a float, or one value
per model of a population. ``step`` counts the optimizer's update calls from 0
and lives in the optimizer's state (`ScheduleState`), so a schedule's rate at
step t is the one used for the (t + 1)-th update. Every schedule below equals
the PyTorch scheduler named in its docstring when that scheduler's ``step()``
is called once after each ``optimizer.step()``.

`scale_by_learning_rate` takes a float, a per-model array or a schedule and
multiplies the updates by minus that rate: the descent step.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

from mlplab._checks import check_int, check_number, invalid
from mlplab.optim._hyperparameters import (
    check_nonnegative,
    check_population,
    check_positive,
    per_step,
)
from mlplab.optim.base import GradientTransformation, Params, scale

Schedule = Callable[[int], Any]


def constant_schedule(value: Any) -> Schedule:
    """The same rate at every step."""
    value = check_positive("value", "constant_schedule", value)
    return lambda step: value


def step_decay(init: Any, step_size: int, gamma: Any = 0.1) -> Schedule:
    """Multiply the rate by `gamma` every `step_size` steps (torch.optim.lr_scheduler.StepLR).

    rate(t) = init * gamma ** floor(t / step_size)
    """
    init = check_positive("init", "step_decay", init)
    step_size = check_int("step_size", "step_decay", step_size, low=1)
    gamma = check_positive("gamma", "step_decay", gamma)
    return lambda step: init * gamma ** (step // step_size)


def exponential_decay(init: Any, gamma: Any) -> Schedule:
    """Multiply the rate by `gamma` every step (torch.optim.lr_scheduler.ExponentialLR).

    rate(t) = init * gamma ** t
    """
    init = check_positive("init", "exponential_decay", init)
    gamma = check_positive("gamma", "exponential_decay", gamma)
    return lambda step: init * gamma ** step


def cosine_decay(init: Any, decay_steps: int, final: Any = 0.0) -> Schedule:
    """Half a cosine from `init` down to `final` over `decay_steps`, then `final`.

    rate(t) = final + (init - final) * (1 + cos(pi * min(t, T) / T)) / 2,  T = decay_steps
    (Loshchilov & Hutter, "SGDR", 2017, without restarts; equals
    torch.optim.lr_scheduler.CosineAnnealingLR(T_max=T, eta_min=final) for t <= T,
    where PyTorch's rate then climbs back up and this one stays at `final`.)
    """
    init = check_positive("init", "cosine_decay", init)
    decay_steps = check_int("decay_steps", "cosine_decay", decay_steps, low=1)
    final = check_nonnegative("final", "cosine_decay", final)

    def schedule(step: int) -> Any:
        progress = min(step, decay_steps) / decay_steps
        return final + (init - final) * (1 + math.cos(math.pi * progress)) / 2

    return schedule


def linear_warmup(peak: Any, warmup_steps: int, *, init: Any = 0.0,
                  after: Schedule | None = None) -> Schedule:
    """Rise linearly from `init` to `peak` over `warmup_steps`, then follow `after`.

    rate(t) = init + (peak - init) * t / W  for t < W (W = warmup_steps), then
    ``after(t - W)``, or `peak` when `after` is None. With ``init = s * peak``
    and no `after` it equals torch.optim.lr_scheduler.LinearLR(start_factor=s,
    total_iters=W). ``linear_warmup(0.1, 100, after=cosine_decay(0.1, 900))``
    is the common warmup-then-cosine schedule (Goyal et al., 2017).
    """
    peak = check_positive("peak", "linear_warmup", peak)
    warmup_steps = check_int("warmup_steps", "linear_warmup", warmup_steps, low=1)
    init = check_nonnegative("init", "linear_warmup", init)
    if after is not None:
        after = check_schedule("after", "linear_warmup", after)
    rest = after or (lambda step: peak)

    def schedule(step: int) -> Any:
        if step < warmup_steps:
            return init + (peak - init) * (step / warmup_steps)
        return rest(step - warmup_steps)

    return schedule


def check_schedule(name: str, owner: str, schedule: Any) -> Schedule:
    """A callable whose rate at step 0 is a float (or one per model) >= 0."""
    if not callable(schedule):
        raise invalid(name, owner, "a schedule: a callable step -> rate", schedule)
    try:
        first = schedule(0)
    except Exception as error:  # a user's callable may fail in any way; say where
        raise invalid(name, owner, "a schedule: a callable step -> rate",
                      f"a callable that fails at step 0 ({error!r})", raw=True) from None
    try:
        check_number(name, owner, first, low=0.0, low_open=False)
    except ValueError:
        raise invalid(name, owner, "a schedule whose rates are floats >= 0 (or one per model)",
                      f"rate {first!r} at step 0", raw=True) from None
    return schedule


class ScheduleState(NamedTuple):
    """How many updates have been made: the next step to ask the schedule about."""

    count: int


def scale_by_schedule(schedule: Schedule) -> GradientTransformation:
    """Multiply every update by ``schedule(count)``, count = 0, 1, 2, ... per update call."""

    def init(params: Params) -> ScheduleState:
        check_population("scale_by_schedule", params, schedule=schedule(0))
        return ScheduleState(0)

    def update(grads: Params, state: ScheduleState, params: Params | None = None
               ) -> tuple[Params, ScheduleState]:
        factor = schedule(state.count)
        return [per_step(factor, g) * g for g in grads], ScheduleState(state.count + 1)

    return GradientTransformation(init, update)


def scale_by_learning_rate(alpha: Any, *, owner: str = "scale_by_learning_rate"
                           ) -> GradientTransformation:
    """Multiply updates by ``-alpha``: the step downhill, last link of every optimizer.

    alpha: a float > 0, one value per model of a population, or a schedule
    ``step -> rate``. A fixed alpha is a cached constant (see `scale`).
    """
    if callable(alpha):
        schedule = check_schedule("alpha", owner, alpha)
        return scale_by_schedule(lambda step: -schedule(step))
    transform = scale(-check_positive("alpha", owner, alpha))

    def init(params: Params) -> Any:
        check_population(owner, params, alpha=alpha)  # one alpha per model, if per model
        return transform.init(params)

    return GradientTransformation(init, transform.update)
