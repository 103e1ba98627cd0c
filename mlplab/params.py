"""ParamList: a model's parameter arrays, in order, with the population and backend they share.

Models hand their parameters to optimizers, callbacks and solvers as a
`ParamList`; it is a plain list of arrays that also says how many leading
axes are population axes and which array backend the arrays live on, so a
transformation that reduces per model (a global norm) or makes new arrays
(an optimizer's state) needs no look-up of its own.
"""

from __future__ import annotations

from typing import Any

from mlplab.backend import NUMPY, Backend, backend_of


class ParamList(list):
    """A list of parameter arrays with ``population`` (leading model axes) and ``backend``."""

    def __init__(self, arrays: Any = (), population: tuple[int, ...] = (),
                 backend: Backend | None = None) -> None:
        super().__init__(arrays)
        self.population = tuple(population)
        self.backend = backend if backend is not None else (backend_of(*self) if self else NUMPY)


def population_ndim(params: Any) -> int:
    """Number of leading population axes (0 for a plain list or a single model)."""
    return len(getattr(params, "population", ()))


def backend_of_params(params: Any) -> Backend:
    """The backend of a ParamList, or of the arrays in a plain list."""
    backend = getattr(params, "backend", None)
    return backend if backend is not None else backend_of(*params)
