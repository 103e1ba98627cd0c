"""DirectionChanges: how often each weight's update changes sign."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from mlplab.callbacks.base import Resumable
from mlplab.callbacks.config import arrays_from_state, arrays_state, check_like, to_numpy

if TYPE_CHECKING:
    from mlplab.state import TrainingState


class DirectionChanges(Resumable):
    """Count, for every weight, how often its update changes direction.

    As in the tutorials: from the second iteration on, a weight's count goes
    up by one whenever "this step moves the weight down" (update < 0, the
    tutorials' ``weight_update > 0`` for a gradient they subtract) differs from
    the previous step's. ``counts`` has one integer NumPy array per parameter,
    shaped like it (population axes included). The counting stays in the
    model's namespace (on its device) and comes to NumPy when ``counts`` is read.
    State (`get_state`): the counts and the previous step's directions.
    """

    def on_train_begin(self, state: TrainingState) -> None:
        backend = state.params.backend
        self._backend, self._is_numpy, self._xp = backend, backend.is_numpy, backend.xp
        self._counts = [backend.zeros(tuple(p.shape), "int64") for p in state.params]
        self._previous: list[Any] | None = None
        self._numpy_counting = False  # NumPy with a previous step: the hot path's one check
        self._started()

    def on_step_end(self, state: TrainingState) -> None:
        moved_down = [u < 0 for u in state.updates]
        if self._numpy_counting:  # in place, with NumPy's bool -> int cast
            for count, now, before in zip(self._counts, moved_down, self._previous,
                                          strict=True):
                count += now != before
        else:
            if self._previous is not None:
                self._count(moved_down)
            self._numpy_counting = self._is_numpy
        self._previous = moved_down

    def _count(self, moved_down: list[Any]) -> None:
        """Add the changes of direction, in the standard's terms (no mixed-kind arithmetic)."""
        xp = self._xp
        self._counts = [count + xp.astype(now != before, xp.int64)
                        for count, now, before in zip(self._counts, moved_down, self._previous,
                                                      strict=True)]

    def on_train_end(self, state: TrainingState) -> None:
        self._running = False

    @property
    def counts(self) -> list[np.ndarray]:
        """Changes of direction per weight: one int64 NumPy array per parameter."""
        return [to_numpy(count) for count in self._counts]

    def _state(self) -> dict[str, Any]:
        state = arrays_state("counts", self._counts)
        if self._previous is not None:
            state.update(arrays_state("previous", self._previous))
        return state

    def _load_state(self, state: dict[str, Any]) -> None:
        counts = arrays_from_state("counts", state, self._backend)
        previous = arrays_from_state("previous", state, self._backend) or None
        check_like("DirectionChanges.set_state", "counts", counts, self._counts)
        if previous is not None:
            check_like("DirectionChanges.set_state", "previous", previous, self._counts)
        self._counts, self._previous = counts, previous
        self._numpy_counting = self._is_numpy and previous is not None
