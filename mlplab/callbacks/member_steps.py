"""MemberSteps: each member of a population ends with its weights after its own number of steps."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from mlplab._checks import invalid
from mlplab.callbacks.base import Resumable
from mlplab.callbacks.config import (
    arrays_from_state,
    arrays_state,
    check_like,
    copy_array,
    copy_members,
)

if TYPE_CHECKING:
    from mlplab.state import TrainingState

OWNER = "MemberSteps"


class MemberSteps(Resumable):
    """Keep member k's weights (and buffers) as they were after ``steps[k]`` steps.

    A population trains every member for the same number of steps; this gives
    each its own length, as if member k had been trained alone with
    ``fit(..., iterations=steps[k])``: run the population for ``max(steps)``
    iterations with this callback, and at the end every member holds its
    weights from after its own steps (members are independent, so what member
    k did afterwards changed nothing of its own earlier weights). Early
    stopping's refit uses it: each member of an ensemble retrains for the steps
    that took it to its own best epoch.

    steps: a positive int per member, shaped like the population (a list for one
    population axis); a single model takes one int. A member whose step count
    the run never reaches keeps its last weights. Gradient steps only: a
    solver's iterate after k of its iterations is not what a run of k
    iterations ends with (annealing keeps the best point it has seen, BFGS and
    L-BFGS solve a population's members one after another), so solvers are
    refused.
    State (`get_state`): the kept weights and which members are kept.
    """

    def __init__(self, steps: Any) -> None:
        array = np.asarray(steps)
        if (array.dtype.kind not in "iu" or array.size == 0 or np.any(array < 1)):
            raise invalid("steps", OWNER, "a positive whole number of steps per population "
                          "member", steps)
        self.steps = array.astype(np.int64)

    def get_config(self) -> dict[str, Any]:
        return {"type": type(self).__name__, "steps": self.steps.tolist()}

    def on_train_begin(self, state: TrainingState) -> None:
        population = tuple(state.params.population)
        if self.steps.shape != population:
            raise invalid("steps", OWNER, f"one number of steps per population member, shape "
                          f"{population}", f"shape {self.steps.shape}", raw=True)
        if state.solver is not None:
            raise invalid("callbacks", OWNER, "a run of gradient steps (a solver's iterate "
                          "after k iterations is not the end of a run of k)",
                          f"MemberSteps with the solver {state.solver.name}", raw=True)
        self._backend = state.params.backend
        current = [*state.params, *state.model.buffers]
        self.kept = [copy_array(self._backend.xp, a) for a in current]
        self.done = np.zeros(population, dtype=bool)
        self._started()

    def on_step_end(self, state: TrainingState) -> None:
        now = self.steps == state.iteration + 1  # the step just taken is number iteration + 1
        copy_members(self._backend, now, self.kept, [*state.params, *state.model.buffers])
        self.done |= now

    def on_train_end(self, state: TrainingState) -> None:
        self._running = False
        copy_members(self._backend, self.done, [*state.params, *state.model.buffers], self.kept)

    def _state(self) -> dict[str, Any]:
        return {"done": self.done.copy(), **arrays_state("kept", self.kept)}

    def _load_state(self, state: dict[str, Any]) -> None:
        kept = arrays_from_state("kept", state, self._backend)
        check_like(f"{OWNER}.set_state", "kept", kept, self.kept)
        done = np.asarray(state.get("done"))
        if done.shape != self.done.shape or done.dtype != bool:
            raise invalid("state", f"{OWNER}.set_state", f"'done' of shape {self.done.shape}",
                          state.get("done"))
        self.kept, self.done = kept, done.copy()
