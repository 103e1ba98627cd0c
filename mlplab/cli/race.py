"""`mlplab race`: optimizers from one start on a 2-D function, or on the same network and data."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from mlplab._checks import invalid
from mlplab.cli.common import listed, number_list, positive_int, save_png
from mlplab.lab.functions2d import FUNCTIONS

OWNER = "mlplab race"
# Flags that belong to one of the two races; given to the other, they are refused by name.
SURFACE_ONLY = {"function": "--function", "steps": "--steps", "start": "--start",
                "frames": "--frames"}
DATA_ONLY = {"epochs": "--epochs", "layers": "--layers", "batch_size": "--batch-size",
             "seed": "--seed"}


def add_race(commands: Any) -> None:
    race = commands.add_parser(
        "race", help="optimizers racing on a 2-D function (GIF/PNG) or on the same network",
        description="Run optimizers from one starting point on a 2-D test function, each "
        "with mlplab's own update code, and draw their paths on the contour plot: --out "
        "race.gif animates them, race.png draws the whole paths. With --data, train the same "
        "network from the same weights on the same batches with each optimizer instead, and "
        "draw loss and accuracy per epoch side by side.")
    race.add_argument("--function", default=None,
                      help=f"test function (default valley): {listed(FUNCTIONS)}")
    race.add_argument("--optimizers", default=None,
                      help="comma-separated optimizer names (default sgd,momentum,nesterov,"
                      "adagrad,adadelta,rmsprop,adam; with --data: sgd,momentum,adagrad,"
                      "adadelta,rmsprop,adam)")
    race.add_argument("--learning-rates", default=None, metavar="NAME=RATE,...",
                      help="learning rates, e.g. sgd=0.01,adam=0.1 (default: a table chosen "
                      "per function so each optimizer's character shows)")
    race.add_argument("--steps", type=positive_int, default=None, help="default 200")
    race.add_argument("--start", type=number_list(float), default=None, metavar="X,Y",
                      help="starting point (default: the function's); a negative X needs "
                      "the = form: --start=-1,1")
    race.add_argument("--frames", type=positive_int, default=None,
                      help="frames of the GIF (default one per step, at most 120)")
    race.add_argument("--data", default=None,
                      help="race on a classification data set instead (moons, xor, circles, "
                      "spirals, iris, digits, ... or a file)")
    race.add_argument("--epochs", type=positive_int, default=None, help="default 30")
    race.add_argument("--layers", type=number_list(int), default=None,
                      help="hidden layer sizes, comma-separated (default 16,16)")
    race.add_argument("--batch-size", type=positive_int, default=None, help="default 32")
    race.add_argument("--seed", type=int, default=None, help="initial weights and batches "
                      "(default 0)")
    race.add_argument("--out", default=None,
                      help="race.gif (animation) or race.png; with --data a .png of the curves")
    race.set_defaults(run=_race)


def _race(args: argparse.Namespace) -> str:
    _check_mode(args)
    suffixes = (".png",) if args.data else (".gif", ".png")
    if args.out is not None and Path(args.out).suffix.lower() not in suffixes:
        raise invalid("--out", OWNER, "a file ending in " + " or ".join(suffixes), args.out)
    optimizers = _names(args.optimizers)
    rates = _rates(args.learning_rates)
    return _data_race(args, optimizers, rates) if args.data else _surface_race(
        args, optimizers, rates)


def _check_mode(args: argparse.Namespace) -> None:
    wrong = SURFACE_ONLY if args.data else DATA_ONLY
    for dest, flag in wrong.items():
        if getattr(args, dest) is not None:
            expected = ("left out with --data (it sets up the 2-D race)" if args.data
                        else "given with --data only (it sets up the data race)")
            raise invalid(flag, OWNER, expected, getattr(args, dest))
    if args.function is not None and args.function not in FUNCTIONS:
        raise invalid("--function", OWNER, "one of " + listed(FUNCTIONS), args.function)
    if args.seed is not None and args.seed < 0:
        raise invalid("--seed", OWNER, "an integer >= 0", args.seed)
    if args.data is not None and not _known_data(args.data):
        raise invalid("--data", OWNER, "a built-in data set name (moons, xor, circles, "
                      "spirals, iris, digits, ...) or an existing file", args.data)
    if args.start is not None and len(args.start) != 2:
        raise invalid("--start", OWNER, "two numbers X,Y", ",".join(map(str, args.start)),
                      raw=True)


def _known_data(data: str) -> bool:
    from mlplab.data import DATASETS

    return data.replace("-", "_") in DATASETS or Path(data).is_file()


def _names(text: str | None) -> list[str] | None:
    """--optimizers as names, each a gradient-step optimizer (checked here, to name the flag)."""
    from mlplab.lab.race import gradient_optimizers
    from mlplab.optim import OPTIMIZERS

    if text is None:
        return None
    names = [part.strip() for part in text.split(",") if part.strip()]
    allowed = gradient_optimizers()
    for name in names:
        canonical = OPTIMIZERS.aliases.get(name, name)
        if canonical not in allowed:
            kind = " (a full-batch solver)" if canonical in OPTIMIZERS else ""
            raise invalid("--optimizers", OWNER, "comma-separated names of gradient-step "
                          "optimizers, each one of " + ", ".join(allowed), f"{name!r}{kind}",
                          raw=True)
    if not names:
        raise invalid("--optimizers", OWNER, "at least one optimizer name", text)
    return names


def _rates(text: str | None) -> dict[str, float] | None:
    """--learning-rates NAME=RATE,... as a dict."""
    if text is None:
        return None
    rates = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, value = part.partition("=")
        try:
            rate = float(value)
        except ValueError:
            rate = -1.0
        if not name.strip() or not rate > 0:
            raise invalid("--learning-rates", OWNER, "NAME=RATE pairs with rates > 0, e.g. "
                          "sgd=0.01,adam=0.1", part)
        rates[name.strip()] = rate
    return rates


def _surface_race(args: argparse.Namespace, optimizers: list[str] | None,
                  rates: dict[str, float] | None) -> str:
    from mlplab.lab.race import DEFAULT_OPTIMIZERS, DEFAULT_STEPS, race

    _check_rates(rates, optimizers or DEFAULT_OPTIMIZERS)
    result = race(args.function or "valley", optimizers or DEFAULT_OPTIMIZERS,
                  start=args.start, steps=args.steps or DEFAULT_STEPS, learning_rates=rates)
    lines = [result.summary()]
    if args.out:
        from mlplab.lab import race_plot  # needs the plot extra

        if Path(args.out).suffix.lower() == ".gif":
            race_plot.animate_race(result, args.out, frames=args.frames)
        else:
            save_png(race_plot.plot_race(result), args.out)
        lines.append(f"wrote {args.out}")
    return "\n".join(lines)


def _data_race(args: argparse.Namespace, optimizers: list[str] | None,
               rates: dict[str, float] | None) -> str:
    from mlplab.lab.race import DATA_OPTIMIZERS, race_on_data

    _check_rates(rates, optimizers or DATA_OPTIMIZERS)
    result = race_on_data(args.data, optimizers or DATA_OPTIMIZERS,
                          layers=args.layers or (16, 16), epochs=args.epochs or 30,
                          batch_size=args.batch_size or 32,
                          seed=0 if args.seed is None else args.seed, learning_rates=rates)
    lines = [result.summary()]
    if args.out:
        from mlplab.lab import race_plot  # needs the plot extra

        save_png(race_plot.plot_race_on_data(result), args.out)
        lines.append(f"wrote {args.out}")
    return "\n".join(lines)


def _check_rates(rates: dict[str, float] | None, optimizers: Any) -> None:
    """Every --learning-rates name is one of the racing optimizers."""
    from mlplab.optim import OPTIMIZERS

    racing = {OPTIMIZERS.aliases.get(o, o) for o in optimizers}
    for name in rates or {}:
        if OPTIMIZERS.aliases.get(name, name) not in racing:
            raise invalid("--learning-rates", OWNER, "rates for the racing optimizers "
                          "(" + ", ".join(sorted(racing)) + ")", f"{name}=...", raw=True)
