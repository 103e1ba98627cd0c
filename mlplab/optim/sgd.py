"""Plain gradient descent, the tutorials' update rule."""

from __future__ import annotations

from typing import Any

from mlplab._checks import check_number
from mlplab.optim.base import GradientTransformation, scale


def sgd(alpha: Any = 0.01) -> GradientTransformation:
    """Gradient descent: W <- W - alpha * dL/dW for every parameter.

    alpha: the step size, > 0; a scalar or one value per model of a population.
    (Robbins & Monro, 1951; the tutorials' ``synapse -= alpha * update``.)
    """
    alpha = check_number("alpha", "sgd", alpha)
    return scale(-alpha)
