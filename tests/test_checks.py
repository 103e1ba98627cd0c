"""The shared argument checks."""

import numpy as np
import pytest

from mlplab._checks import all_finite, as_float_array


@pytest.mark.parametrize(("values", "expected"), [
    ([1.0, 2.0], True),
    ([1.0, np.nan], False),
    ([np.inf, -np.inf], False),  # the sum is NaN; still not finite
    ([3e38, 3e38], True),  # a float32 sum overflows, but every entry is finite
])
def test_all_finite(values, expected):
    assert all_finite(np.array(values, dtype=np.float32)) is expected


def test_large_finite_float32_data_is_accepted():
    X = np.full((10, 2), 3e38, dtype=np.float32)
    assert as_float_array("X", "fit", X, ndim=(2,), dtype=np.float32) is X
