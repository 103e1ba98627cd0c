"""The playground's settings: one flat set of keys that the page keeps in its URL.

Every setting has a URL key, a default and a check; `Settings.from_query`
reads the query string's text values (so a shared link reproduces the run)
and `to_query` writes them back. A wrong value is refused with the one
template, naming the URL key, what was expected and what was given.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from mlplab._checks import check_choice, invalid
from mlplab.activations import ACTIVATIONS
from mlplab.losses import LOSSES
from mlplab.optim.registry import OPTIMIZERS

OWNER = "playground settings"
CLASSIFICATION_SETS = ("xor", "circles", "moons", "spirals", "gaussians", "table")
REGRESSION_SETS = ("plane", "bumps")
DATA_SETS = (*CLASSIFICATION_SETS, *REGRESSION_SETS, "csv")
FEATURES = ("x1", "x2", "x1sq", "x2sq", "x1x2", "sinx1", "sinx2")
HIDDEN_ACTIVATIONS = tuple(a for a in ACTIVATIONS if a != "softmax")
REGULARIZERS = ("none", "l1", "l2")
VIEWS = ("boundary", "surface", "directions", "restarts", "sweep")
MAX_POINTS = 5000
MAX_NEURONS = 512  # per layer: beyond this nobody can see a neuron's map (layers: no limit)


def gradient_optimizers() -> list[str]:
    """The optimizers that take a step per batch (solvers run their own loop; see session)."""
    return OPTIMIZERS.names(kind="transformation")


def _float(low: float, high: float, *, low_open: bool = False) -> Callable[[str, str], float]:
    def parse(key: str, text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not (low < value if low_open else low <= value) or not value <= high:
            bracket = "(" if low_open else "["
            raise invalid(key, OWNER, f"a number in {bracket}{low}, {high}]", text)
        return value
    return parse


def _int(low: int, high: int) -> Callable[[str, str], int]:
    def parse(key: str, text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if not low <= value <= high:
            raise invalid(key, OWNER, f"an integer from {low} to {high}", text)
        return value
    return parse


def _choice(options: Callable[[], Any] | tuple[str, ...]) -> Callable[[str, str], str]:
    def parse(key: str, text: str) -> str:
        return check_choice(key, OWNER, text, options() if callable(options) else options)
    return parse


def _items(parse_one: Callable[[str, str], Any], *, empty: bool = True
           ) -> Callable[[str, str], tuple[Any, ...]]:
    """A comma-separated list, each item checked by `parse_one`."""
    def parse(key: str, text: str) -> tuple[Any, ...]:
        values = tuple(parse_one(key, part.strip()) for part in text.split(",") if part.strip())
        if not values and not empty:
            raise invalid(key, OWNER, "at least one comma-separated value", text)
        return values
    return parse


def _hyperparameters(key: str, text: str) -> tuple[tuple[str, float], ...]:
    """"momentum:0.9,nesterov:1" -> (("momentum", 0.9), ("nesterov", 1.0))."""
    pairs = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        name, _, value = part.partition(":")
        try:
            pairs.append((name.strip(), float(value)))
        except ValueError:
            raise invalid(key, OWNER, "name:number pairs separated by commas, e.g. "
                          "'momentum:0.9'", text) from None
    return tuple(pairs)


def _column(key: str, text: str) -> str:
    return text


@dataclasses.dataclass(frozen=True)
class Settings:
    """One run of the playground. Field names are the URL keys."""

    data: str = "xor"
    n: int = 300            # points in all, train and test
    noise: float = 0.1
    ratio: int = 50         # train share in percent
    features: tuple[str, ...] = ("x1", "x2")
    layers: tuple[int, ...] = (4, 2)  # hidden layer sizes
    act: tuple[str, ...] = ("tanh", "tanh")  # one per hidden layer (the last repeats)
    dropout: float = 0.0
    dropconnect: float = 0.0
    opt: str = "sgd"
    lr: float = 0.03
    hp: tuple[tuple[str, float], ...] = ()  # the optimizer's other hyperparameters
    loss: str = "auto"
    batch: int = 10         # 0 = full batch
    reg: str = "none"
    rate: float = 0.0       # the regularization's strength
    seed: int = 1
    cx: str = ""            # an uploaded CSV's feature and label columns
    cy: str = ""
    label: str = ""
    w1: tuple[int, ...] = (0, 0, 0)  # the error surface's weights: (param, i, j)
    w2: tuple[int, ...] = (0, 1, 0)
    restarts: int = 8
    alphas: tuple[float, ...] = (0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
    view: str = "boundary"

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> Settings:
        """Settings from URL text values; unknown keys are refused, missing ones default."""
        unknown = sorted(set(query) - set(PARSERS))
        if unknown:
            raise invalid(unknown[0], OWNER, f"one of the keys {', '.join(PARSERS)}",
                          query[unknown[0]])
        values = {key: PARSERS[key](key, str(text)) for key, text in query.items()}
        settings = cls(**values)
        settings.check()
        return settings

    def check(self) -> None:
        """Checks across keys: features, activations, a loss for the task, the weights."""
        if not self.features:
            raise invalid("features", OWNER, "at least one input feature", "none", raw=True)
        if len(self.w1) != 3 or len(self.w2) != 3:
            raise invalid("w1", OWNER, "param:i:j, three integers", f"{self.w1} / {self.w2}",
                          raw=True)
        if self.opt not in gradient_optimizers():
            raise invalid("opt", OWNER, f"one of {', '.join(gradient_optimizers())}", self.opt)

    def as_text(self) -> dict[str, str]:
        """Every key's value as URL text (a weight reads param:i:j)."""
        text = {f.name: _text(getattr(self, f.name)) for f in dataclasses.fields(self)}
        text["w1"], text["w2"] = text["w1"].replace(",", ":"), text["w2"].replace(",", ":")
        return text

    def to_query(self) -> dict[str, str]:
        """The keys that differ from the defaults (and the data set), as URL text."""
        text, default = self.as_text(), Settings().as_text()
        return {k: v for k, v in text.items() if v != default[k] or k == "data"}

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    def activation(self, layer: int) -> str:
        """Hidden layer `layer`'s activation: its own, or the last one named."""
        return (self.act[min(layer, len(self.act) - 1)] if self.act else "tanh")


def _text(value: Any) -> str:
    if isinstance(value, tuple):
        if value and isinstance(value[0], tuple):
            return ",".join(f"{k}:{_number(v)}" for k, v in value)
        return ",".join(_number(v) if isinstance(v, float) else str(v) for v in value)
    return _number(value) if isinstance(value, float) else str(value)


def _number(value: float) -> str:
    return f"{value:.6g}"


def _weight(key: str, text: str) -> tuple[int, ...]:
    parts = text.replace(":", ",").split(",")
    try:
        values = tuple(int(p) for p in parts)
    except ValueError:
        values = ()
    if len(values) != 3 or min(values) < 0:
        raise invalid(key, OWNER, "a weight as param:i:j, three integers >= 0, e.g. '0:1:0'",
                      text)
    return values


PARSERS: dict[str, Callable[[str, str], Any]] = {
    "data": _choice(DATA_SETS),
    "n": _int(4, MAX_POINTS),
    "noise": _float(0.0, 2.0),
    "ratio": _int(10, 90),
    "features": _items(_choice(FEATURES)),
    "layers": _items(_int(1, MAX_NEURONS)),
    "act": _items(_choice(HIDDEN_ACTIVATIONS)),
    "dropout": _float(0.0, 0.9),
    "dropconnect": _float(0.0, 0.9),
    "opt": _choice(gradient_optimizers),
    "lr": _float(0.0, 1e6, low_open=True),
    "hp": _hyperparameters,
    "loss": _choice(lambda: ("auto", *LOSSES)),
    "batch": _int(0, MAX_POINTS),
    "reg": _choice(REGULARIZERS),
    "rate": _float(0.0, 10.0),
    "seed": _int(0, 2**31 - 1),
    "cx": _column,
    "cy": _column,
    "label": _column,
    "w1": _weight,
    "w2": _weight,
    "restarts": _int(2, 32),
    "alphas": _items(_float(0.0, 1e6, low_open=True), empty=False),
    "view": _choice(VIEWS),
}
