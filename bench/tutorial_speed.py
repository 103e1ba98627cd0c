"""Time mlplab against the tutorials' bare NumPy loop on the 3-4-1 network.

Both train the part 2 network (XOR targets, sigmoid, no bias, tutorial
weights from seed 1) for 60000 full-batch iterations with alpha 10. Runs are
interleaved (bare, mlplab, bare, mlplab, ...) so machine noise hits both
alike; the script prints each median and the ratio mlplab / bare loop.

    python bench/tutorial_speed.py [--repeats 7] [--iterations 60000]

The bare loop is the tutorial's own code, integer X included. A second line
compares against the same loop given float X (the tutorial's int X costs it a
conversion in every product), which is the stricter baseline.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from tutorial_loop import tutorial_loop  # bench/, beside this script

import mlplab
from mlplab.data import tutorial_xy


def mlplab_run(X: np.ndarray, y: np.ndarray, alpha: float, iterations: int) -> list:
    """The same training through mlplab's public API, with its defaults (guard on)."""
    net = mlplab.MLP([3, 4, 1], activation="sigmoid", output_activation="sigmoid",
                     bias=False, init="tutorial", seed=1)
    mlplab.fit(net, X, y, loss="delta", optimizer=mlplab.sgd(alpha), iterations=iterations)
    return net.params


def timed(fn, *args) -> tuple[float, list]:
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--iterations", type=int, default=60000)
    parser.add_argument("--alpha", type=float, default=10.0)
    args = parser.parse_args()

    X, y = tutorial_xy("part2")
    X_int, y_int = X.astype(int), y.astype(int)
    times: dict[str, list[float]] = {"bare (int X)": [], "bare (float X)": [], "mlplab": []}
    for _ in range(args.repeats):
        t_int, (w_int, _) = timed(tutorial_loop, X_int, y_int, args.alpha, args.iterations)
        t_mlp, w_mlp = timed(mlplab_run, X, y, args.alpha, args.iterations)
        t_float, _ = timed(tutorial_loop, X, y, args.alpha, args.iterations)
        times["bare (int X)"].append(t_int)
        times["mlplab"].append(t_mlp)
        times["bare (float X)"].append(t_float)
    same = all(np.allclose(a, b, rtol=1e-9, atol=0) for a, b in zip(w_int, w_mlp, strict=True))

    medians = {name: statistics.median(ts) for name, ts in times.items()}
    print(f"3-4-1 tutorial network, {args.iterations} full-batch iterations, alpha "
          f"{args.alpha:g}, median of {args.repeats} interleaved runs")
    for name, median in medians.items():
        print(f"  {name:<16} {median:7.3f} s   ({median / args.iterations * 1e6:5.1f} us/iter)")
    print(f"  final weights equal (rtol 1e-9): {same}")
    ratio = medians["mlplab"] / medians["bare (int X)"]
    print(f"ratio mlplab / tutorial loop:          {ratio:.2f}   (target <= 1.0)")
    print(f"ratio mlplab / tutorial loop, float X: "
          f"{medians['mlplab'] / medians['bare (float X)']:.2f}")


if __name__ == "__main__":
    main()
