"""Learning-rate schedules, and the learning-rate link that ends every optimizer.

A schedule is any callable ``schedule(step) -> rate``: a float, or one value
per model of a population. ``step`` counts the optimizer's update calls from 0
and lives in the optimizer's state (`ScheduleState`), so a schedule's rate at
step t is the one used for the (t + 1)-th update. Every schedule below equals
the PyTorch scheduler named in its docstring when that scheduler's ``step()``
is called once after each ``optimizer.step()``.

The schedules here are small callable objects with ``get_config()``; per-model
rates are worked out member by member in Python floats (`per_member`), so a
member of a population gets exactly the rate of its separate run. A plain
Python function works as a schedule too, but cannot be written as config.

`scale_by_learning_rate` takes a float, a per-model array or a schedule and
multiplies the updates by minus that rate: the descent step.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from mlplab._checks import check_int, check_number, invalid
from mlplab.optim._hyperparameters import check_nonnegative, check_positive
from mlplab.optim._lift import per_array, per_member, scale_rule
from mlplab.optim.base import EmptyState, GradientTransformation, chain
from mlplab.optim.config import checked_config, config_of, named_config
from mlplab.optim.maximize import maximizing
from mlplab.optim.registry import LINKS, SCHEDULES

Schedule = Callable[[int], Any]


class ScheduleBase:
    """A schedule as an object: ``self(step) -> rate`` and ``get_config()``.

    Subclasses set `name` and keep their arguments as attributes named like
    the factory's parameters (`parameters` lists them).
    """

    name = "schedule"
    parameters: tuple[str, ...] = ()

    def __call__(self, step: int) -> Any:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        """The factory's name and arguments as plain data (see `mlplab.optim.config`)."""
        return checked_config(self.raw_config(), "schedule")

    def raw_config(self) -> dict[str, Any]:
        return config_of(self.name, **{p: getattr(self, p) for p in self.parameters})

    def __repr__(self) -> str:
        args = ", ".join(f"{p}={getattr(self, p)!r}" for p in self.parameters)
        return f"{self.name}({args})"


class ConstantSchedule(ScheduleBase):
    """rate(t) = value."""

    name, parameters = "constant_schedule", ("value",)

    def __init__(self, value: Any) -> None:
        self.value = check_positive("value", "constant_schedule", value)

    def __call__(self, step: int) -> Any:
        return self.value


class StepDecay(ScheduleBase):
    """rate(t) = init * gamma ** floor(t / step_size) (torch.optim.lr_scheduler.StepLR)."""

    name, parameters = "step_decay", ("init", "step_size", "gamma")

    def __init__(self, init: Any, step_size: int, gamma: Any = 0.1) -> None:
        self.init = check_positive("init", "step_decay", init)
        self.step_size = check_int("step_size", "step_decay", step_size, low=1)
        self.gamma = check_positive("gamma", "step_decay", gamma)

    def __call__(self, step: int) -> Any:
        k = step // self.step_size
        return per_member(lambda init, gamma: init * gamma ** k, self.init, self.gamma)


class ExponentialDecay(ScheduleBase):
    """rate(t) = init * gamma ** t (torch.optim.lr_scheduler.ExponentialLR)."""

    name, parameters = "exponential_decay", ("init", "gamma")

    def __init__(self, init: Any, gamma: Any) -> None:
        self.init = check_positive("init", "exponential_decay", init)
        self.gamma = check_positive("gamma", "exponential_decay", gamma)

    def __call__(self, step: int) -> Any:
        return per_member(lambda init, gamma: init * gamma ** step, self.init, self.gamma)


class CosineDecay(ScheduleBase):
    """rate(t) = final + (init - final) * (1 + cos(pi * min(t, T) / T)) / 2,  T = decay_steps."""

    name, parameters = "cosine_decay", ("init", "decay_steps", "final")

    def __init__(self, init: Any, decay_steps: int, final: Any = 0.0) -> None:
        self.init = check_positive("init", "cosine_decay", init)
        self.decay_steps = check_int("decay_steps", "cosine_decay", decay_steps, low=1)
        self.final = check_nonnegative("final", "cosine_decay", final)

    def __call__(self, step: int) -> Any:
        cosine = (1 + math.cos(math.pi * (min(step, self.decay_steps) / self.decay_steps))) / 2
        return per_member(lambda init, final: final + (init - final) * cosine,
                          self.init, self.final)


class LinearWarmup(ScheduleBase):
    """rate(t) = init + (peak - init) * t / W for t < W, then after(t - W) (or peak)."""

    name, parameters = "linear_warmup", ("peak", "warmup_steps", "init", "after")

    def __init__(self, peak: Any, warmup_steps: int, *, init: Any = 0.0,
                 after: Schedule | None = None) -> None:
        self.peak = check_positive("peak", "linear_warmup", peak)
        self.warmup_steps = check_int("warmup_steps", "linear_warmup", warmup_steps, low=1)
        self.init = check_nonnegative("init", "linear_warmup", init)
        self.after = None if after is None else check_schedule("after", "linear_warmup", after)

    def __call__(self, step: int) -> Any:
        if step >= self.warmup_steps:
            return self.peak if self.after is None else self.after(step - self.warmup_steps)
        fraction = step / self.warmup_steps
        return per_member(lambda init, peak: init + (peak - init) * fraction,
                          self.init, self.peak)


def constant_schedule(value: Any) -> ConstantSchedule:
    """The same rate at every step."""
    return ConstantSchedule(value)


def step_decay(init: Any, step_size: int, gamma: Any = 0.1) -> StepDecay:
    """Multiply the rate by `gamma` every `step_size` steps (torch.optim.lr_scheduler.StepLR).

    rate(t) = init * gamma ** floor(t / step_size)
    """
    return StepDecay(init, step_size, gamma)


def exponential_decay(init: Any, gamma: Any) -> ExponentialDecay:
    """Multiply the rate by `gamma` every step (torch.optim.lr_scheduler.ExponentialLR).

    rate(t) = init * gamma ** t
    """
    return ExponentialDecay(init, gamma)


def cosine_decay(init: Any, decay_steps: int, final: Any = 0.0) -> CosineDecay:
    """Half a cosine from `init` down to `final` over `decay_steps`, then `final`.

    rate(t) = final + (init - final) * (1 + cos(pi * min(t, T) / T)) / 2,  T = decay_steps
    (Loshchilov & Hutter, "SGDR", 2017, without restarts; equals
    torch.optim.lr_scheduler.CosineAnnealingLR(T_max=T, eta_min=final) for t <= T,
    where PyTorch's rate then climbs back up and this one stays at `final`.)
    """
    return CosineDecay(init, decay_steps, final)


def linear_warmup(peak: Any, warmup_steps: int, *, init: Any = 0.0,
                  after: Schedule | None = None) -> LinearWarmup:
    """Rise linearly from `init` to `peak` over `warmup_steps`, then follow `after`.

    rate(t) = init + (peak - init) * t / W  for t < W (W = warmup_steps), then
    ``after(t - W)``, or `peak` when `after` is None. With ``init = s * peak``
    and no `after` it equals torch.optim.lr_scheduler.LinearLR(start_factor=s,
    total_iters=W). ``linear_warmup(0.1, 100, after=cosine_decay(0.1, 900))``
    is the common warmup-then-cosine schedule (Goyal et al., 2017).
    """
    return LinearWarmup(peak, warmup_steps, init=init, after=after)


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


def scale_by_schedule(schedule: Schedule, *, sign: float = 1.0,
                      owner: str = "scale_by_schedule") -> GradientTransformation:
    """Multiply every update by ``sign * schedule(count)``, count = 0, 1, 2, ... per update."""
    schedule = check_schedule("schedule", owner, schedule)

    def rate(count: int) -> tuple[Any]:
        return (sign * schedule(count),)

    return per_array(scale_rule, ScheduleState, owner=owner, per_step=rate,
                     check={"schedule": schedule(0)},
                     config=config_of("scale_by_schedule", schedule=schedule, sign=sign))


def scale_by_learning_rate(alpha: Any, *, owner: str = "scale_by_learning_rate"
                           ) -> GradientTransformation:
    """Multiply updates by ``-alpha``: the step downhill, last link of every optimizer.

    alpha: a float > 0, one value per model of a population, or a schedule
    ``step -> rate``. A fixed alpha is `scale` (on NumPy a cached constant).
    """
    if callable(alpha):
        alpha = check_schedule("alpha", owner, alpha)
        transform = scale_by_schedule(alpha, sign=-1.0, owner=owner)
    else:
        alpha = check_positive("alpha", owner, alpha)
        transform = per_array(scale_rule, EmptyState, owner=owner,
                              hyperparameters={"alpha": -alpha})
    return transform._replace(config=config_of("scale_by_learning_rate", alpha=alpha))


def with_learning_rate(name: str, scaling: GradientTransformation, alpha: Any, *,
                       weight_decay: Any = 0.0, maximize: bool = False
                       ) -> GradientTransformation:
    """The optimizer `name`: `scaling` then ``-alpha``, its config `name`'s, ascending if asked.

    What adam, nadam, radam, adamax, adagrad and adadelta share: their own
    scaling link, the learning rate last, and in front torch's ``weight_decay``
    (an L2 penalty, `l2_penalty`) and ``maximize``, in torch's order:

        g <- -g                       (maximize=True)
        g <- g + weight_decay * W     (weight_decay > 0)

    so a maximizing run still pulls the weights towards 0. The config names
    weight_decay only when it is set, so older configs and checkpoints still match.
    """
    from mlplab.optim.penalties import l2_penalty  # penalties sits beside, not below, this

    weight_decay = check_nonnegative("weight_decay", name, weight_decay)
    learning_rate = scale_by_learning_rate(alpha, owner=name)
    decays = np.any(np.asarray(weight_decay) != 0)
    links = [l2_penalty(weight_decay), scaling] if decays else [scaling]
    extra = {"weight_decay": weight_decay} if decays else {}
    optimizer = named_config(chain(*links, learning_rate), name, learning_rate, scaling, **extra)
    return maximizing(optimizer, maximize, name)


LINKS.add("scale_by_schedule", scale_by_schedule)
LINKS.add("scale_by_learning_rate", scale_by_learning_rate)
for _schedule in (constant_schedule, step_decay, exponential_decay, cosine_decay,
                  linear_warmup):
    SCHEDULES.add(_schedule.__name__, _schedule)
