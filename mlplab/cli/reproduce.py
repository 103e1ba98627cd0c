"""`mlplab reproduce`: the tutorials' experiments, printed in their own format."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import Any

from mlplab.cli.common import number_list, positive_int, save_png
from mlplab.lab import tutorials


def add_reproduce(commands: Any) -> None:
    """`mlplab reproduce`: the tutorials' experiments in their own words."""
    reproduce = commands.add_parser("reproduce", help="rerun a tutorial and print its output",
                                    description="Rerun a tutorial through mlplab's API and "
                                    "print its output in the tutorial's own format.")
    reproduce.add_argument("tutorial", choices=list(REPRODUCTIONS),
                           help="part1, part2 (the alpha sweep), part2-hidden (hidden sizes "
                           "x alphas), part2-directions (with direction changes), notebook "
                           "(one layer against two on regression data)")
    reproduce.add_argument("--hidden", type=number_list(int), default=None,
                           help="hidden sizes, comma-separated (part2: 4; part2-hidden: "
                           "4,8,...,256)")
    reproduce.add_argument("--alphas", type=number_list(float), default=None,
                           help="step sizes, comma-separated (part2 default "
                           "0.001,...,1000; part1 default 1)")
    reproduce.add_argument("--targets", type=number_list(float), default=None,
                           help="the four targets (default 0,0,1,1 for part1, 0,1,1,0 for part2)")
    reproduce.add_argument("--iterations", type=positive_int, default=None,
                           help="training iterations (default: the tutorial's)")
    reproduce.add_argument("--every", type=positive_int, default=10000,
                           help="report the error every N iterations (default 10000)")
    reproduce.add_argument("--directions", action="store_true",
                           help="also print final weights and direction-change counts")
    reproduce.add_argument("--json", action="store_true",
                           help="print one JSON object with every run instead of text")
    reproduce.add_argument("--plot", help="also write the experiment's picture here (.png)")
    reproduce.set_defaults(run=_reproduce)


def _reproduce(args: argparse.Namespace) -> str:
    if args.targets is not None and len(args.targets) != 4:
        raise ValueError(f"--targets needs four numbers, one per tutorial sample; "
                         f"got {len(args.targets)}")
    runs, text = REPRODUCTIONS[args.tutorial](args)
    if args.json:
        return json.dumps({"runs": [run.to_json() for run in runs]})
    return text


def _part1(args: argparse.Namespace) -> tuple[list, str]:
    alphas = args.alphas or [1.0]
    if len(alphas) != 1:
        raise ValueError("part1 trains with one alpha; give --alphas a single value")
    runs = tutorials.part1(iterations=args.iterations, targets=args.targets or (0, 0, 1, 1),
                           alpha=alphas[0], every=args.every)
    return runs, tutorials.format_part1(runs, directions=args.directions)


def _part2_runs(args: argparse.Namespace, hidden: Sequence[int]) -> list:
    return tutorials.part2(hidden_sizes=args.hidden or hidden,
                           alphas=args.alphas or tutorials.ALPHAS,
                           targets=args.targets or (0, 1, 1, 0),
                           iterations=args.iterations or 60000, every=args.every)


def _part2(args: argparse.Namespace) -> tuple[list, str]:
    runs = _part2_runs(args, [4])
    return runs, tutorials.format_part2(runs, directions=args.directions)


def _part2_hidden(args: argparse.Namespace) -> tuple[list, str]:
    runs = _part2_runs(args, tutorials.HIDDEN_SIZES)
    text = tutorials.format_part2(runs, directions=args.directions)
    text += "\n\n" + tutorials.format_error_table(runs)
    if args.plot:
        from mlplab import plotting  # needs the plot extra

        rows = [{"alpha": r.alpha, "hidden": r.hidden, "error": r.errors[-1]} for r in runs]
        save_png(plotting.plot_error_heatmap(
            rows, label=f"mean |error| at iteration {runs[0].every * (len(runs[0].errors) - 1)}",
            title="Tutorial part 2: error over alpha and hidden size"), args.plot)
        text += f"\nwrote {args.plot}"
    return runs, text


def _part2_directions(args: argparse.Namespace) -> tuple[list, str]:
    runs = _part2_runs(args, [4])
    text = tutorials.format_part2(runs, directions=True)
    if args.plot:
        from mlplab import plotting  # needs the plot extra

        stem = args.plot.removesuffix(".png")
        for run in runs:
            path = f"{stem}_alpha{run.alpha:g}_hidden{run.hidden}.png"
            save_png(plotting.plot_direction_changes(run.direction_changes,
                                                      iterations=run.iterations), path)
            text += f"\nwrote {path}"
    return runs, text


def _notebook(args: argparse.Namespace) -> tuple[list, str]:
    from mlplab.lab import notebook

    runs = notebook.compare(epochs=args.iterations or 3000,
                            learning_rates=args.alphas or notebook.LEARNING_RATES)
    text = notebook.format_comparison(runs) + "\n\nLinear output, learning rate 1:\n"
    text += notebook.divergence_lesson(epochs=args.iterations or 3000)
    if args.plot:
        from mlplab import plotting  # needs the plot extra

        save_png(plotting.plot_loss_curves(notebook.curves(runs), loss="mse",
                                            title="One layer against two: MSE over training"),
                  args.plot)
        text += f"\nwrote {args.plot}"
    return runs, text


REPRODUCTIONS = {"part1": _part1, "part2": _part2, "part2-hidden": _part2_hidden,
                 "part2-directions": _part2_directions, "notebook": _notebook}
