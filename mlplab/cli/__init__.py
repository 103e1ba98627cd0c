"""The `mlplab` command line: argument parsing only; the work is done by the library.

mlplab reproduce part1 [--iterations N] [--targets 0,0,1,1] [--directions] [--json]
mlplab reproduce part2 [--hidden 4,8] [--alphas 0.1,1,10] [--targets 0,1,1,0] ...
mlplab train DATA [--target COL] [--drop ID,...] [--test-split 0.2] [--layers 64,32] ...
mlplab predict MODEL DATA [--proba] [--output FILE.csv]
mlplab evaluate MODEL DATA
mlplab export MODEL OUT.onnx
mlplab sweep [--alpha 0.1,1,10] [--hidden 4,8] [--seed 1,2,3] ... [--csv F] [--plot F]
mlplab surface [--weights "0,W,0,0;2,W,1,0"] [--out surface.png] [--slice slice.png]
mlplab lr-find --data digits [--layers 64] [--optimizer sgd] [--steps 200] [--plot lr.png]
mlplab race [--function valley] [--optimizers sgd,momentum,adam] [--steps N] [--out race.gif]
mlplab race --data moons [--optimizers sgd,momentum,adam] [--epochs 30] [--out curves.png]
mlplab playground [--host 127.0.0.1] [--port 0] [--open]
mlplab --version

A value the library refuses is reported naming the flag, TOML key or recorded
setting it came from (see `mlplab.cli.flags`).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence

import mlplab
from mlplab.callbacks import DivergenceError
from mlplab.cli.common import RunInterruptedError, check_extras, check_outputs
from mlplab.cli.flags import in_users_words
from mlplab.cli.lab import add_lr_find, add_surface, add_sweep
from mlplab.cli.models import add_predict_and_evaluate, add_train
from mlplab.cli.playground import add_playground
from mlplab.cli.race import add_race
from mlplab.cli.reproduce import add_reproduce
from mlplab.io import ModelFileError

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mlplab", description="Multi-layer perceptrons "
                                     "from scratch: the tutorials reproduced, and a lab.")
    parser.add_argument("--version", action="version", version=f"mlplab {mlplab.__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    add_reproduce(commands)
    add_train(commands)
    add_predict_and_evaluate(commands)
    add_sweep(commands)
    add_surface(commands)
    add_lr_find(commands)
    add_race(commands)
    add_playground(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: returns the exit status (0 ok, 2 for a user or operating-system error).

    Output paths are checked before any work (a run of an hour must not end on
    a --save that names a folder). A user's mistake, an operating-system error
    (a full disk, a folder that cannot be written) and a diverging run each
    print one line naming the flag or file; only a bug in mlplab shows a traceback.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        check_outputs(args)
        check_extras(args)
        print(args.run(args))
    except BrokenPipeError:  # the reader went away (`mlplab ... | head`): not an error
        _discard_stdout()     # (before OSError, which it is a kind of)
    except (ValueError, TypeError, ModelFileError, OSError, ImportError,
            DivergenceError) as error:
        text = in_users_words(error, args, parser)
        print(f"mlplab {args.command}: error: {_one_line(text)}", file=sys.stderr)
        return 2
    except RunInterruptedError as interrupted:
        print(f"mlplab {args.command}: {interrupted}", file=sys.stderr)
        return 130
    return 0


def _discard_stdout() -> None:
    """Point stdout at the null device, so the interpreter's last flush of what the closed
    pipe did not take fails silently instead of printing 'Exception ignored ...'."""
    # (stdout that is not a file, captured or replaced, has nothing to redirect)
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _one_line(error: str) -> str:
    return " ".join(str(error).split())
