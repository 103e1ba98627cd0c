"""Overflow and divergence: never a silent NaN, and the last finite model is what is kept.

predict raises on outputs that overflowed; the divergence guard puts back the
weights and running statistics of the last finite step; full-batch solvers
stop on a loss that is not finite just as gradient steps do.
"""

import numpy as np
import pytest

from mlplab import MLP

# ---------------------------------------------------------------------------- predict


def test_predict_refuses_outputs_that_overflowed():
    net = MLP([3, 4, 1], seed=0)
    with pytest.raises(ValueError, match=r"The 'X' parameter of predict must be data whose "
                                         r"outputs are finite in float64 .*scale the inputs.*"
                                         r"Got data for which 2 of 2 outputs overflowed to NaN "
                                         r"or inf instead"):
        net.predict(np.full((2, 3), 1.7e308))
    assert np.all(np.isfinite(net.predict(np.full((2, 3), 1e300))))  # large but finite: fine


def test_predict_names_the_members_whose_outputs_overflowed():
    net = MLP([3, 4, 2], seed=[0, 1, 2])
    net.params[2][1, 0, 0] = np.inf  # member 1's output weights are no longer finite
    with pytest.raises(ValueError, match=r"outputs of models \[1\] of the population "
                                         r"overflowed"):
        net.predict(np.ones((5, 3)))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # array-api-strict's own NumPy warns
def test_predict_refuses_overflowed_outputs_on_array_api_strict():
    pytest.importorskip("array_api_strict")
    net = MLP([3, 4, 1], seed=0, backend="array_api_strict")
    with pytest.raises(ValueError, match=r"'X' parameter of predict.*overflowed"):
        net.predict(np.full((2, 3), 1.7e308))


def test_predict_of_a_sigmoid_network_stays_quiet_when_the_exp_overflows():
    net = MLP([3, 4, 1], activation="sigmoid", output_activation="sigmoid", seed=0)
    with np.errstate(over="raise", invalid="raise"):  # no warning escapes either
        out = net.predict(np.full((2, 3), -1e5))
    assert np.all((out >= 0) & (out <= 1))
