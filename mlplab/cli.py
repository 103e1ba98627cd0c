"""The `mlplab` command line: argument parsing only; the work is done by the library.

    mlplab reproduce part1 [--iterations N] [--targets 0,0,1,1] [--directions] [--json]
    mlplab reproduce part2 [--hidden 4,8] [--alphas 0.1,1,10] [--targets 0,1,1,0] ...
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from mlplab.lab import tutorials


def _number_list(cast: Callable[[str], Any]) -> Callable[[str], list[Any]]:
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


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mlplab", description="Multi-layer perceptrons "
                                     "from scratch: the tutorials reproduced, and a lab.")
    commands = parser.add_subparsers(dest="command", required=True)
    reproduce = commands.add_parser("reproduce", help="rerun a tutorial and print its output",
                                    description="Rerun a tutorial through mlplab's API and "
                                    "print its output in the tutorial's own format.")
    reproduce.add_argument("tutorial", choices=["part1", "part2"])
    reproduce.add_argument("--hidden", type=_number_list(int), default=[4],
                           help="hidden sizes, comma-separated (part2; default 4)")
    reproduce.add_argument("--alphas", type=_number_list(float), default=None,
                           help="step sizes, comma-separated (part2 default "
                           "0.001,...,1000; part1 default 1)")
    reproduce.add_argument("--targets", type=_number_list(float), default=None,
                           help="the four targets (default 0,0,1,1 for part1, 0,1,1,0 for part2)")
    reproduce.add_argument("--iterations", type=_positive_int, default=None,
                           help="training iterations (default: the tutorial's)")
    reproduce.add_argument("--every", type=_positive_int, default=10000,
                           help="report the error every N iterations (default 10000)")
    reproduce.add_argument("--directions", action="store_true",
                           help="also print final weights and direction-change counts")
    reproduce.add_argument("--json", action="store_true",
                           help="print one JSON object with every run instead of text")
    reproduce.set_defaults(run=_reproduce)
    return parser


def _reproduce(args: argparse.Namespace) -> str:
    if args.targets is not None and len(args.targets) != 4:
        raise ValueError(f"--targets needs four numbers, one per tutorial sample; "
                         f"got {len(args.targets)}")
    if args.tutorial == "part1":
        alphas = args.alphas or [1.0]
        if len(alphas) != 1:
            raise ValueError("part1 trains with one alpha; give --alphas a single value")
        runs = tutorials.part1(iterations=args.iterations, targets=args.targets or (0, 0, 1, 1),
                               alpha=alphas[0], every=args.every)
        text = tutorials.format_part1(runs, directions=args.directions)
    else:
        runs = tutorials.part2(hidden_sizes=args.hidden, alphas=args.alphas or tutorials.ALPHAS,
                               targets=args.targets or (0, 1, 1, 0),
                               iterations=args.iterations or 60000, every=args.every)
        text = tutorials.format_part2(runs, directions=args.directions)
    if args.json:
        return json.dumps({"runs": [run.to_json() for run in runs]})
    return text


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: returns the exit status (0 ok, 2 for a user mistake)."""
    args = build_parser().parse_args(argv)
    try:
        print(args.run(args))
    except (ValueError, TypeError) as error:
        print(f"mlplab {args.command}: error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (`mlplab ... | head`): not an error
        sys.stderr.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
