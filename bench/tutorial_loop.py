"""The tutorials' part 2 training loop, as written there: the peer both tutorial benches time.

Only the printing is replaced by recording the error every 10000 iterations.
It seeds NumPy's global generator, as the tutorial does; mlplab itself never
touches global random state.
"""

from __future__ import annotations

import numpy as np


def tutorial_loop(X: np.ndarray, y: np.ndarray, alpha: float, iterations: int,
                  hidden: int = 4) -> tuple[list[np.ndarray], list[float]]:
    """Train 3 -> hidden -> 1 on (X, y); returns the final weights and the recorded errors."""

    def sigmoid(x):
        return 1 / (1 + np.exp(-x))

    def sigmoid_output_to_derivative(output):
        return output * (1 - output)

    np.random.seed(1)
    synapse_0 = 2 * np.random.random((3, hidden)) - 1
    synapse_1 = 2 * np.random.random((hidden, 1)) - 1
    errors = []
    for j in range(iterations):
        layer_0 = X
        layer_1 = sigmoid(np.dot(layer_0, synapse_0))
        layer_2 = sigmoid(np.dot(layer_1, synapse_1))
        layer_2_error = layer_2 - y
        if (j % 10000) == 0:
            errors.append(np.mean(np.abs(layer_2_error)))
        layer_2_delta = layer_2_error * sigmoid_output_to_derivative(layer_2)
        layer_1_error = layer_2_delta.dot(synapse_1.T)
        layer_1_delta = layer_1_error * sigmoid_output_to_derivative(layer_1)
        synapse_1_weight_update = layer_1.T.dot(layer_2_delta)
        synapse_0_weight_update = layer_0.T.dot(layer_1_delta)
        synapse_1 -= alpha * synapse_1_weight_update
        synapse_0 -= alpha * synapse_0_weight_update
    return [synapse_0, synapse_1], errors
