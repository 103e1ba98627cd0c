"""Errors in the user's words: the flag or TOML key that set a value, not the library's name.

The library checks every argument where it is used and raises a ValueError
naming its own parameter ("The 'sizes' parameter of MLP ..."), with the
message's parts kept as ``error.parameter`` (`mlplab._checks.Parameter`).
The command line does not check the values a second time; it rewrites that
error to name what the user wrote: the flag (``--layers``), the positional
argument (``DATA``), the key of a ``--config`` TOML file, or a setting
recorded in a ``--resume`` checkpoint.

`SET_BY` is the one table of library parameters that a command's flags set
under another name; a parameter named like one of the command's flags (its
argparse destination) needs no entry.
"""

from __future__ import annotations

import argparse
from typing import Any

from mlplab._checks import Parameter
from mlplab.callbacks.divergence import LEARNING_RATE_ADVICE, DivergenceError

SET_BY: dict[str, dict[str, str]] = {
    "train": {"sizes": "layers", "alpha": "learning_rate", "name_or_path": "data",
              "resume_from": "resume", "strength": "weight_decay", "max_norm": "clip_norm"},
    "lr-find": {"sizes": "layers", "name_or_path": "data"},
    "predict": {"name_or_path": "data", "path": "data"},
    "evaluate": {"name_or_path": "data", "path": "data"},
    "sweep": {"n_jobs": "jobs", "name_or_path": "data"},
    "surface": {"n": "grid", "sizes": "hidden"},
    "reproduce": {"alpha": "alphas", "sizes": "hidden"},
}


def command_parser(parser: argparse.ArgumentParser, command: str) -> argparse.ArgumentParser:
    """The subcommand's own parser (`parser` is the one `build_parser` makes)."""
    for action in parser._actions:  # argparse keeps the subparsers among the actions
        if isinstance(action, argparse._SubParsersAction):
            return action.choices[command]
    raise LookupError(f"no subcommand {command!r}")


def flag_names(parser: argparse.ArgumentParser) -> dict[str, str]:
    """Each argparse destination and what the user types for it: "--learning-rate", "DATA"."""
    names = {}
    for action in parser._actions:
        if action.option_strings:
            names[action.dest] = max(action.option_strings, key=len)
        elif action.dest != argparse.SUPPRESS:
            names[action.dest] = action.metavar or action.dest.upper()
    return names


def destination(command: str, parameter: str, flags: dict[str, str]) -> str | None:
    """The destination of the flag that set a library `parameter`, or None."""
    dest = SET_BY.get(command, {}).get(parameter, parameter)
    return dest if dest in flags else None


def in_users_words(error: BaseException, args: argparse.Namespace,
                   parser: argparse.ArgumentParser) -> str:
    """`error`'s message naming the flag, TOML key or recorded setting the value came from."""
    parts: Parameter | None = getattr(error, "parameter", None)
    if isinstance(error, DivergenceError):
        return diverged_in_users_words(error, args, parser)
    if not isinstance(parts, Parameter):
        return str(error)
    command = args.command
    flags = flag_names(command_parser(parser, command))
    dest = destination(command, parts.name, flags)
    sources = getattr(args, "sources", {})
    key = next((k for k in (dest, parts.name) if k in sources), None)
    if key is not None:
        kind, where = sources[key]
        if kind == "config":
            return parts.renamed(f"'{key}' key", f"{where} (mlplab {command} --config)")
        return parts.renamed(f"'{key}' setting", f"the run recorded in {where} "
                             f"(mlplab {command} --resume)")
    if dest is None:
        return str(error)
    what = "argument" if flags[dest].isupper() else "flag"
    return parts.renamed(f"'{flags[dest]}' {what}", f"mlplab {command}")


def diverged_in_users_words(error: DivergenceError, args: argparse.Namespace,
                            parser: argparse.ArgumentParser) -> str:
    """A diverging run's message, its advice naming the learning-rate flag the user wrote."""
    flags = flag_names(command_parser(parser, args.command))
    dest = destination(args.command, "alpha", flags)
    if not error.advice or dest is None:
        return str(error)
    value = getattr(args, "settings_used", {}).get(dest, getattr(args, dest, None))
    now = f" than {value:g}" if isinstance(value, int | float) else ""
    return f"{error.diagnosis} {LEARNING_RATE_ADVICE.format(rate=flags[dest] + now)}"


def record_sources(args: argparse.Namespace, keys: Any, kind: str, where: str) -> None:
    """Remember that the settings `keys` came from a TOML file or checkpoint at `where`."""
    sources = getattr(args, "sources", {})
    sources.update({key: (kind, where) for key in keys})
    args.sources = sources
