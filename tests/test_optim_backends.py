"""Every optimizer on array-api-strict (and CuPy, where a GPU is) matches NumPy to 1e-12.

array-api-strict refuses anything outside the standard (NumPy calls, NumPy
scalars mixed into its arithmetic, ``out=``), so a transformation that runs
here runs on any backend that follows the standard. The `backend` fixture
(tests/conftest.py) runs each test on both; CuPy skips without a GPU.
"""

import numpy as np
import pytest
from test_optim_populations import MEMBER_CASES, member, random_steps

from mlplab.backend import get_backend, to_numpy
from mlplab.optim import ParamList, apply_updates

K = 3


def run(optimizer, start, grads, population, backend=None):
    """The updates of every step, as NumPy arrays, with the updates applied between steps.

    backend: a backend's name to run on (None: NumPy).
    """
    other = get_backend(backend) if backend else None

    def convert(arrays):
        return [other.asarray(a) for a in arrays] if other else list(arrays)

    params = ParamList(convert([p.copy() for p in start]), population=population,
                       backend=other)
    state = optimizer.init(params)
    steps = []
    for step_grads in grads:
        updates, state = optimizer.update(convert(step_grads), state, params)
        apply_updates(params, updates)
        steps.append([to_numpy(u) for u in updates])
    return steps, [to_numpy(p) for p in params]


@pytest.mark.parametrize("population", [False, True], ids=["single", "population"])
@pytest.mark.parametrize("name", sorted(MEMBER_CASES))
def test_the_backend_matches_numpy(backend, name, population):
    values, build = MEMBER_CASES[name]
    shapes = [(K, 4, 5), (K, 5), (K, 5, 1), (K, 1)] if population else [(4, 5), (5,), (5, 1), (1,)]
    start = random_steps(shapes, 1, seed=1, dtype=np.float64)[0]
    grads = random_steps(shapes, 8, seed=2, dtype=np.float64)
    make = (lambda: build(values)) if population else (lambda: build(member(values, 1)))
    pop = (K,) if population else ()
    numpy_steps, numpy_params = run(make(), start, grads, pop)
    strict_steps, strict_params = run(make(), start, grads, pop, backend)
    for ours, theirs in zip(strict_steps, numpy_steps, strict=True):
        for u, v in zip(ours, theirs, strict=True):
            np.testing.assert_allclose(u, v, rtol=1e-12, atol=0)
    for p, q in zip(strict_params, numpy_params, strict=True):
        np.testing.assert_allclose(p, q, rtol=1e-12, atol=0)


@pytest.mark.parametrize("name", ["adam", "amsgrad", "rmsprop_centered_momentum", "adadelta",
                                  "clip_by_global_norm", "adam_linear_warmup"])
def test_float32_stays_float32(backend, name):
    values, build = MEMBER_CASES[name]
    shapes = [(K, 4, 5), (K, 5)]
    start = random_steps(shapes, 1, seed=1, dtype=np.float32)[0]
    grads = random_steps(shapes, 3, seed=2, dtype=np.float32)
    steps, params = run(build(values), start, grads, (K,), backend)
    assert all(u.dtype == np.float32 for step in steps for u in step)
    assert all(p.dtype == np.float32 for p in params)
    numpy_steps, _ = run(build(values), start, grads, (K,))
    for ours, theirs in zip(steps, numpy_steps, strict=True):
        for u, v in zip(ours, theirs, strict=True):  # strict computes with NumPy: exactly
            np.testing.assert_allclose(u, v, rtol=0 if backend == "array_api_strict" else 1e-5)
