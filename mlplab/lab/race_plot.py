"""Pictures of an optimizer race: the paths on the contour plot, the animation, the curves.

- `plot_race`: contours of the test function, every optimizer's path, the
  start and the minimum, a legend (one PNG);
- `animate_race`: the same picture drawn step by step, written as a GIF with
  matplotlib's `PillowWriter` (Pillow comes with matplotlib);
- `plot_race_on_data`: loss and accuracy per epoch, one curve per optimizer.

Like `mlplab.plotting` (whose figure helper it uses), it needs the ``plot``
extra and imports matplotlib only when a picture is drawn.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mlplab._checks import check_int, invalid
from mlplab.io.atomic import write_atomically
from mlplab.lab.functions2d import get_function
from mlplab.lab.race import DataRace, RaceResult
from mlplab.plotting import _colormap, _figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

GRID = 200  # contour resolution per axis
MAX_FRAMES = 120  # frames of an animation at most; longer races skip steps between frames
HOLD_FRAMES = 15  # the final frame repeated so the ending can be seen before the loop


def _colors(n: int) -> list[Any]:
    return list(_colormap("tab10")(np.arange(n) % 10))


def _check_result(result: Any, owner: str) -> RaceResult:
    if not isinstance(result, RaceResult):
        raise invalid("result", owner, "a RaceResult (from mlplab.lab.race.race)", result)
    return result


def _contours(ax: Axes, result: RaceResult) -> None:
    """The function's contours over its window, the minimum as a star."""
    from matplotlib.colors import LogNorm

    f = get_function(result.function)
    (x0, x1), (y0, y1) = result.window
    xs, ys, z = f.grid(GRID)
    if f.log_contours:
        low = max(float(np.min(z)), float(np.max(z)) * 1e-7, 1e-12)
        levels = np.logspace(np.log10(low), np.log10(float(np.max(z))), 30)
        ax.contourf(xs, ys, np.maximum(z, low), levels=levels, norm=LogNorm(), cmap="Greys_r",
                    alpha=0.55)
        ax.contour(xs, ys, np.maximum(z, low), levels=levels, norm=LogNorm(), colors="0.35",
                   linewidths=0.4)
    else:
        ax.contourf(xs, ys, z, levels=30, cmap="Greys_r", alpha=0.55)
        ax.contour(xs, ys, z, levels=30, colors="0.35", linewidths=0.4)
    if result.minimum is not None:
        ax.plot(*result.minimum, marker="*", color="gold", markeredgecolor="black",
                markersize=18, linestyle="none", label="minimum", zorder=5)
    ax.plot(*result.start, marker="o", color="white", markeredgecolor="black", markersize=9,
            linestyle="none", label="start", zorder=5)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel(f.axis_labels[0])
    ax.set_ylabel(f.axis_labels[1])


def _label(result: RaceResult, i: int) -> str:
    rate = result.learning_rates[i]
    text = result.labels[i] + ("" if rate is None else f" (alpha {rate:g})")
    stop = result.diverged_at[i]
    return text + ("" if stop is None else f", diverged at step {stop}")


def plot_race(result: RaceResult) -> Figure:
    """Every optimizer's whole path on the contour plot, with start, minimum and legend.

    result: from `mlplab.lab.race.race`. A path that diverged ends with a
    cross at its last finite point.
    """
    result = _check_result(result, "plot_race")
    fig = _figure(9.0, 6.0)
    ax = fig.add_subplot()
    _contours(ax, result)
    for i, color in enumerate(_colors(len(result.labels))):
        path = result.paths[i]
        ax.plot(path[:, 0], path[:, 1], color=color, linewidth=1.8, marker=".", markersize=3,
                label=_label(result, i))
        if result.diverged_at[i] is not None:
            ax.plot(*path[result.diverged_at[i] - 1], marker="X", color=color, markersize=10,
                    markeredgecolor="black", linestyle="none")
    ax.set_title(f"{result.title}\n{result.steps} steps of each optimizer from the same start",
                 fontsize=11)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9)
    return fig


def _frame_steps(steps: int, frames: int | None) -> list[int]:
    """The step shown in each frame: 0 .. steps, at most `frames` of them, then the hold."""
    n = min(steps + 1, MAX_FRAMES if frames is None else frames)
    shown = np.unique(np.round(np.linspace(0, steps, n)).astype(int)).tolist()
    return shown + [steps] * HOLD_FRAMES


def animate_race(result: RaceResult, path: str | os.PathLike, *, fps: int = 15,
                 frames: int | None = None, dpi: int = 80) -> Path:
    """Write the race as an animated GIF at `path` (atomically); returns the path.

    Each frame draws every path up to the current step, with a dot at each
    optimizer's position; a path that diverged stops with a cross. frames: how
    many steps to show (default all, at most `MAX_FRAMES`, evenly spaced); the
    last frame is held for `HOLD_FRAMES` frames. fps: frames per second.
    """
    from matplotlib.animation import PillowWriter

    result = _check_result(result, "animate_race")
    fps = check_int("fps", "animate_race", fps, low=1)
    frames = check_int("frames", "animate_race", frames, low=2, allow_none=True)
    dpi = check_int("dpi", "animate_race", dpi, low=10)
    fig = _figure(9.0, 6.0)
    ax = fig.add_subplot()
    _contours(ax, result)
    colors = _colors(len(result.labels))
    lines = [ax.plot([], [], color=c, linewidth=1.8, label=_label(result, i))[0]
             for i, c in enumerate(colors)]
    heads = [ax.plot([], [], marker="o", color=c, markeredgecolor="black", markersize=8,
                     linestyle="none", zorder=6)[0] for c in colors]
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9)

    def draw(step: int) -> None:
        for i, (line, head) in enumerate(zip(lines, heads, strict=True)):
            stop = result.diverged_at[i]
            last = step if stop is None else min(step, stop - 1)
            shown = result.paths[i, :last + 1]
            line.set_data(shown[:, 0], shown[:, 1])
            head.set_data([shown[-1, 0]], [shown[-1, 1]])
            head.set_marker("X" if stop is not None and step >= stop else "o")
        ax.set_title(f"{result.title}\nstep {step} of {result.steps}", fontsize=11)

    target = Path(path)

    def write(file: Any) -> None:
        # PillowWriter writes to a file name, so the GIF goes to a private folder first and
        # its bytes into the atomic temporary (a half-written GIF never replaces a good one).
        # The frames are drawn here rather than by FuncAnimation, which would draw each twice.
        writer = PillowWriter(fps=fps)
        with tempfile.TemporaryDirectory() as folder:
            scratch = Path(folder) / "race.gif"
            with writer.saving(fig, scratch, dpi):
                for step in _frame_steps(result.steps, frames):
                    draw(step)
                    writer.grab_frame()
            file.write(scratch.read_bytes())

    write_atomically(target, write)
    return target


def plot_race_on_data(result: DataRace) -> Figure:
    """Training loss (left) and accuracy (right) per epoch, one curve per optimizer.

    result: from `mlplab.lab.race.race_on_data`: every optimizer trained the
    same network from the same weights on the same batches.
    """
    if not isinstance(result, DataRace):
        raise invalid("result", "plot_race_on_data", "a DataRace (from "
                      "mlplab.lab.race.race_on_data)", result)
    fig = _figure(11.0, 4.5)
    left, right = fig.subplots(1, 2)
    epochs = np.arange(1, result.loss.shape[0] + 1)
    for i, color in enumerate(_colors(len(result.labels))):
        label = f"{result.labels[i]} (alpha {result.learning_rates[i]:g})"
        left.plot(epochs, result.loss[:, i], color=color, linewidth=1.6, label=label)
        right.plot(epochs, result.accuracy[:, i], color=color, linewidth=1.6, label=label)
    finite = result.loss[np.isfinite(result.loss)]
    if finite.size and finite.min() > 0 and finite.max() / finite.min() > 100:
        left.set_yscale("log")
    left.set_xlabel("epoch")
    left.set_ylabel("training loss (cross-entropy, nats)")
    left.set_title(f"Loss: the same network, start and batches ({result.data})", fontsize=10)
    right.set_xlabel("epoch")
    right.set_ylabel("training accuracy")
    lowest = np.nanmin(result.accuracy) if np.isfinite(result.accuracy).any() else 0.0
    right.set_ylim(max(0.0, np.floor(lowest * 10) / 10 - 0.05), 1.02)
    right.set_title("Accuracy per epoch", fontsize=10)
    right.legend(fontsize=8, loc="lower right")
    return fig
