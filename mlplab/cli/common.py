"""What the commands share: argument types, PNG output, the interrupted-run error."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mlplab.io import write_atomically


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


class RunInterruptedError(Exception):
    """Ctrl-C during a command, after its clean-up."""


def listed(names: Any) -> str:
    """A registry's names (or any names), comma-separated, for a flag's help."""
    return ", ".join(names.names() if hasattr(names, "names") else sorted(names))
