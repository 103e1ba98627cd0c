"""What the commands share: argument types, PNG output, the interrupted-run error."""

from __future__ import annotations

import argparse
import importlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mlplab._checks import invalid
from mlplab.io.atomic import write_atomically


def number_list(cast: Callable[[str], Any]) -> Callable[[str], list[Any]]:
    """An argparse type for comma-separated numbers, e.g. "0.1,1,10"."""

    def parse(text: str) -> list[Any]:
        try:
            values = [cast(part) for part in text.split(",") if part.strip()]
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected comma-separated {cast.__name__}s, got {text!r}") from None
        if not values:
            raise argparse.ArgumentTypeError(f"expected at least one {cast.__name__}")
        return values

    return parse


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def save_png(figure: Any, path: str) -> None:
    """Write a figure as PNG atomically (a half-written picture never replaces a good one)."""


    write_atomically(Path(path), lambda file: figure.savefig(file, format="png", dpi=120))


# Where each command writes: the argparse destination and the flag a user typed.
OUTPUTS = {"save": "--save", "checkpoint": "--checkpoint", "plot": "--plot", "csv": "--csv",
           "out": "--out", "slice": "--slice", "output": "--output"}


def check_outputs(args: argparse.Namespace) -> None:
    """Refuse, before any work, an output path that cannot be written: a folder, a missing
    or unwritable folder to put it in."""
    for dest, flag in OUTPUTS.items():
        value = getattr(args, dest, None)
        if value is None:
            continue
        if args.command == "export" and dest == "output":
            flag = "OUTPUT"
        path = Path(value)
        if path.is_dir():
            problem = f"{value!r}, which is a folder"
        elif not path.parent.resolve().is_dir():
            problem = f"{value!r}, whose folder {str(path.parent)!r} does not exist"
        elif not os.access(path.parent.resolve(), os.W_OK):
            problem = f"{value!r}, whose folder cannot be written"
        else:
            continue
        raise ValueError(str(invalid(flag, f"mlplab {args.command}",
                                     "a file in a folder that exists and can be written",
                                     problem, raw=True)))


# The optional packages a command needs before it starts, by argparse destination: a
# picture asked for must not fail after an hour of training.
EXTRAS = {"plot": ("matplotlib", "plot")}
ALWAYS = {"surface": "plot"}  # destinations a command always uses


def check_extras(args: argparse.Namespace) -> None:
    """Refuse, before any work, a flag whose optional package is not installed."""
    for dest, (module, extra) in EXTRAS.items():
        if getattr(args, dest, None) is not None:
            require(module, extra, f"--{dest}")
        elif ALWAYS.get(args.command) == dest:
            require(module, extra, f"mlplab {args.command}")


def require(module: str, extra: str, who: str) -> None:
    """Raise ImportError naming `who` (a flag or command) and the extra to install."""
    try:
        importlib.import_module(module)
    except ImportError:
        raise ImportError(f"{who} needs {module}, which is not installed: pip install "
                          f"'mlplab[{extra}]'") from None


class RunInterruptedError(Exception):
    """Ctrl-C during a command, after its clean-up."""


def listed(names: Any) -> str:
    """A registry's names (or any names), comma-separated, for a flag's help."""
    return ", ".join(names.names() if hasattr(names, "names") else sorted(names))
