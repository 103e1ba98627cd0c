"""Optimizers as data: a config that says how to rebuild one, and back.

Every factory of mlplab.optim (optimizers, chain links, schedules, solvers)
records its arguments as a config, a dict of plain data:

    >>> optimizer_config(adam(0.01, amsgrad=True))
    {'name': 'adam', 'alpha': 0.01, 'beta1': 0.9, 'beta2': 0.999, 'eps': 1e-08, 'amsgrad': True}

Per-model hyperparameters become lists, schedules their own configs, a chain
``{"name": "chain", "links": [...]}``. `optimizer_from_config` looks each name
up (the optimizer registry first, then chain links, then schedules) and calls
the factory with the rest. What cannot be written down (a schedule given as a
Python function, a transformation built by hand, an annealing seed given as a
Generator) raises a ValueError naming it, rather than being written wrong.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlplab._checks import built_from_config, invalid

DATA = "plain data (numbers, strings, True/False, None, lists and dicts)"


def named_config(transform: Any, name: str, *sources: Any, **values: Any) -> Any:
    """`transform` (a chain) with the config of the optimizer `name` it implements.

    The options are those of the `sources` links' configs (less their names)
    and `values`, in that order: ``adagrad`` is a chain of ``scale_by_adagrad``
    and ``scale_by_learning_rate`` whose config (sources: the learning rate, then
    the scaling) is ``{"name": "adagrad", "alpha": ..., "eps": ...,
    "initial_accumulator": ...}``.
    """
    options = {key: value for link in sources for key, value in link.config.items()
               if key != "name"}
    return transform._replace(config=config_of(name, **options, **values))


def config_of(name: str, **values: Any) -> dict[str, Any]:
    """A factory's config: ``{"name": name, **values}`` with arrays as lists.

    A value that cannot be written down (a user's function) is kept as it is,
    so the transformation still works; `optimizer_config` then refuses it.
    """
    return {"name": name, **{key: _as_data(value) for key, value in values.items()}}


def _as_data(value: Any) -> Any:
    if isinstance(value, np.ndarray | np.generic):
        return value.tolist()
    if isinstance(value, list | tuple):
        return [_as_data(v) for v in value]
    if hasattr(value, "get_config"):
        try:
            return value.get_config()
        except ValueError:  # not serializable: optimizer_config will say so
            return value
    return value


def optimizer_config(optimizer: Any) -> dict[str, Any]:
    """The config of an optimizer, chain link, schedule or solver, as plain data.

    Raises ValueError in the project's template for anything that cannot be
    written down, naming the factory and the parameter.
    """
    if not hasattr(optimizer, "get_config"):
        raise invalid("optimizer", "optimizer_config", "a transformation, schedule or solver "
                      "from mlplab.optim (one with get_config)", optimizer)
    return optimizer.get_config()


def checked_config(config: dict[str, Any] | None, what: str = "transformation"
                   ) -> dict[str, Any]:
    """A deep copy of a factory's `config`, every value plain data, or the error saying what is not.

    config None: the object was built by hand (`GradientTransformation(init,
    update)`), so there is nothing to rebuild it from.
    """
    if config is None:
        raise invalid("optimizer", "optimizer_config", f"a {what} built by an mlplab.optim "
                      "factory (one with a config)", f"a {what} built by hand", raw=True)
    owner = config.get("name", "config")
    if owner == "chain":
        links = []
        for i, link in enumerate(config["links"]):
            if not isinstance(link, dict):
                raise invalid(f"links[{i}]", "chain", "a transformation built by an "
                              "mlplab.optim factory (one with a config) to be written as "
                              "config", "one built by hand", raw=True)
            links.append(checked_config(link))
        return {"name": "chain", "links": links}
    return {key: _checked_value(value, key, owner) for key, value in config.items()}


def _checked_value(value: Any, key: str, owner: str) -> Any:
    if isinstance(value, dict):
        return checked_config(value)
    if isinstance(value, list):
        return [_checked_value(v, key, owner) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if hasattr(value, "get_config"):  # a schedule that could not say its config: it says why
        return value.get_config()
    raise invalid(key, owner, f"{DATA} to be written as config", value)


def optimizer_from_config(config: dict[str, Any]) -> Any:
    """The optimizer, chain link, schedule or solver that `config` describes."""
    from mlplab.optim.registry import LINKS, OPTIMIZERS, SCHEDULES

    if not isinstance(config, dict) or not isinstance(config.get("name"), str):
        raise invalid("config", "optimizer_from_config", 'a dict with a "name"', config)
    name = config["name"]
    for registry in (OPTIMIZERS, LINKS, SCHEDULES):
        if name in registry or name in registry.aliases:
            factory = registry.lookup(name)
            break
    else:
        known = sorted({*OPTIMIZERS.choices(), *LINKS.choices(), *SCHEDULES.choices()})
        raise invalid("config", "optimizer_from_config", "a config whose name is one of "
                      + ", ".join(repr(k) for k in known), name)
    arguments = {key: _from_data(value) for key, value in config.items() if key != "name"}
    return built_from_config(lambda: factory(**arguments), "optimizer_from_config", config)


def _from_data(value: Any) -> Any:
    if isinstance(value, dict) and "name" in value:
        return optimizer_from_config(value)
    if isinstance(value, list) and any(isinstance(v, dict) for v in value):
        return [_from_data(v) for v in value]
    return value
