"""Hyperparameters of the gradient transformations: their checks, in the one message template.

A hyperparameter is a Python number or one value per model of a population
(an array of shape ``population``); `mlplab.optim._lift` shapes it for each
parameter array.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlplab._checks import check_number, invalid

Params = list[Any]


def check_fraction(name: str, owner: str, value: Any) -> Any:
    """A decay rate or momentum: a float (or one per model) in [0, 1)."""
    expected = "a float or array of floats in the range [0, 1)"
    try:
        value = check_number(name, owner, value, low=0.0, low_open=False, high=1.0)
    except ValueError:  # its message would say [0, 1]
        raise invalid(name, owner, expected, value) from None
    if np.any(np.asarray(value) >= 1.0):
        raise invalid(name, owner, expected, value)
    return value


def check_positive(name: str, owner: str, value: Any) -> Any:
    """A float (or one per model) > 0: a learning rate, an epsilon, a threshold."""
    return check_number(name, owner, value, low=0.0, low_open=True)


def check_nonnegative(name: str, owner: str, value: Any) -> Any:
    """A float (or one per model) >= 0: a penalty strength, a weight decay."""
    return check_number(name, owner, value, low=0.0, low_open=False)


def check_bool(name: str, owner: str, value: Any) -> bool:
    """True or False (not a truthy stand-in like 1 or "yes")."""
    if not isinstance(value, bool | np.bool_):
        raise invalid(name, owner, "True or False", value)
    return bool(value)


def check_population(owner: str, params: Params, **values: Any) -> None:
    """At init: each per-model hyperparameter has one value per model of `params`."""
    if not hasattr(params, "population"):  # a plain list does not say; trust the caller
        return
    population = tuple(params.population)
    for name, value in values.items():
        if np.ndim(value) > 0 and np.shape(value) != population:
            raise invalid(name, owner, f"a float or an array of shape {population} (one value "
                          "per model of the population)", f"shape {np.shape(value)}", raw=True)


def require_params(params: Params | None, owner: str) -> Params:
    """The parameters, which transformations that look at the weights need."""
    if params is None:
        raise invalid("params", f"{owner}'s update", "the parameters (it adds a term "
                      "computed from the weights)", None)
    return params
