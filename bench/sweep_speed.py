"""Time mlplab's tutorial sweep against the 49 tutorial loops run one after another.

The sweep is the tutorials' part 2 grid: alphas 0.001 ... 1000 x hidden sizes
4 ... 256, each a 3-h-1 sigmoid network without bias, tutorial weights from
seed 1, the delta rule, full batch, XOR targets, 60000 iterations, the error
mean |output - y| recorded every 10000 iterations. mlplab runs it as one
`mlplab.lab.sweep` call (the fused loop of `mlplab.lab.fused`, split over
--jobs worker processes); the peer is the tutorial's own loop, given float X
(the stricter baseline: the tutorial's integer X costs it a conversion in
every product), once per configuration.

mlplab is timed with --jobs worker processes (the first run includes starting
them) and in one process; the plain loops are split into --repeats chunks
interleaved with the mlplab runs, so machine noise hits both alike, and
their total is the sum of the chunks.
With --loops N only the first N configurations of a Latin square (every
hidden size and every alpha equally often) are timed and the total is scaled
up to 49, which the output says. Every configuration that ran as a plain
loop is also checked: mlplab's errors must equal the loop's to 1e-9 relative
for alpha <= 10 and 1e-3 for alpha 100 and 1000 (SPEC.md's tolerances).

    python bench/sweep_speed.py [--iterations 60000] [--repeats 3] [--jobs 2] [--loops 49]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from tutorial_loop import tutorial_loop  # bench/, beside this script

from mlplab.lab import sweep
from mlplab.lab.tutorials import ALPHAS, HIDDEN_SIZES

X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=float)
Y = np.array([[0, 1, 1, 0]], dtype=float).T


def latin_square() -> list[tuple[int, float]]:
    """All 49 (hidden, alpha) pairs, ordered so that any 7k first ones hold each value k times."""
    n = len(ALPHAS)
    return [(HIDDEN_SIZES[i], ALPHAS[(i + shift) % n]) for shift in range(n) for i in range(n)]


def run_loops(configs: list[tuple[int, float]], iterations: int) -> tuple[float, dict]:
    """Run the plain loops one after another: (seconds, errors per configuration)."""
    errors = {}
    start = time.perf_counter()
    with np.errstate(over="ignore"):  # the tutorial's exp overflows harmlessly at alpha 1000
        for hidden, alpha in configs:
            errors[hidden, alpha] = tutorial_loop(X, Y, alpha, iterations, hidden)[1]
    return time.perf_counter() - start, errors


def run_mlplab(iterations: int, jobs: int) -> tuple[float, dict]:
    """The whole grid as one sweep call: (seconds, checkpoint errors per configuration)."""
    start = time.perf_counter()
    result = sweep(hidden=list(HIDDEN_SIZES), alpha=list(ALPHAS), iterations=iterations,
                   every=10000, n_jobs=jobs)
    seconds = time.perf_counter() - start
    errors: dict = {}
    for row in result.filter(final=False):
        errors.setdefault((row["hidden"], row["alpha"]), []).append(row["error"])
    return seconds, errors


def check(mlplab_errors: dict, loop_errors: dict) -> list[str]:
    """Agreement lines: worst relative difference per tolerance class, and exact matches."""
    lines, exact = [], 0
    for chaotic, rtol in ((False, 1e-9), (True, 1e-3)):
        worst = 0.0
        for (hidden, alpha), expected in loop_errors.items():
            if (alpha > 10) != chaotic:
                continue
            actual = np.asarray(mlplab_errors[hidden, alpha])
            expected = np.asarray(expected)
            exact += int(np.array_equal(actual, expected))
            worst = max(worst, float(np.max(np.abs(actual - expected) / np.abs(expected))))
        verdict = "ok" if worst <= rtol else "FAILED"
        label = "alpha 100, 1000" if chaotic else "alpha <= 10"
        lines.append(f"  errors, {label}: worst relative difference {worst:.1e} "
                     f"(tolerance {rtol:g}) {verdict}")
    lines.append(f"  bit-for-bit equal error sequences: {exact} of {len(loop_errors)}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=60000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2, help="sweep worker processes")
    parser.add_argument("--loops", type=int, default=49,
                        help="plain loops to time (scaled up to 49 if fewer)")
    args = parser.parse_args()

    configs = latin_square()[:args.loops]
    chunks = [configs[i::args.repeats] for i in range(args.repeats)]
    times: dict[int, list[float]] = {args.jobs: [], 1: []}
    loop_seconds, loop_errors = 0.0, {}
    for chunk in chunks:
        for jobs in times:
            seconds, errors = run_mlplab(args.iterations, jobs)
            times[jobs].append(seconds)
        chunk_seconds, chunk_errors = run_loops(chunk, args.iterations)
        loop_seconds += chunk_seconds
        loop_errors.update(chunk_errors)
    loops_total = loop_seconds * 49 / len(configs)

    print(f"Tutorial sweep: {len(ALPHAS)} alphas x {len(HIDDEN_SIZES)} hidden sizes, "
          f"{args.iterations} full-batch iterations each")
    scaled = "" if len(configs) == 49 else (
        f" (timed {len(configs)} of the 49 loops, {loop_seconds:.1f} s, scaled up to 49)")
    print(f"  49 plain NumPy loops, one after another: {loops_total:7.2f} s{scaled}")
    for jobs, runs in times.items():
        who = f"{jobs} worker processes" if jobs > 1 else "one process"
        print(f"  mlplab sweep, {who + ':':<21} {statistics.median(runs):7.2f} s   "
              f"(median of {len(runs)}: {', '.join(f'{t:.2f}' for t in runs)} s)")
    print("\n".join(check(errors, loop_errors)))
    for jobs, runs in times.items():
        who = f"{jobs} processes" if jobs > 1 else "1 process"
        first = f", first run {loops_total / runs[0]:.1f}x (starts the workers)" if jobs > 1 else ""
        target = "   (target >= 11)" if jobs > 1 else ""  # the target needs both cores
        print(f"ratio plain loops / mlplab, {who}: {loops_total / statistics.median(runs):.1f}x"
              f"{first}{target}")


if __name__ == "__main__":
    main()
