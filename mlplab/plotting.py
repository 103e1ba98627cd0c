"""Pictures of training, each returned as a matplotlib Figure (save it with ``fig.savefig``).

The only module of mlplab that imports matplotlib (the ``plot`` extra), and
only when a picture is drawn. Figures are made without pyplot, so nothing
opens a window and no global figure state builds up. What each picture shows:

- `plot_error_surface`: the loss over two weights as contour and 3-D surface,
  with the training path; `plot_error_slice`: one weight's "ball in a bucket";
- `plot_direction_changes`: how often each weight's update changed direction;
- `plot_training_dynamics`: per-parameter gradient norms and update-to-weight ratios;
- `plot_loss_curves`: training and validation loss, mean and spread over models;
- `plot_error_heatmap`: final error over alpha x hidden size;
- `plot_decision_boundary`: a 2-D classifier's regions with its data;
- `plot_lr_find`: the learning-rate finder's final loss per alpha, and its curves.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from mlplab._checks import as_float_array, check_choice, invalid
from mlplab.surface import ErrorSurface

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

LOSS_LABELS = {
    "delta": "loss: half sum of squared errors",
    "mse": "loss: mean squared error",
    "mae": "loss: mean absolute error",
    "binary_crossentropy": "loss: binary cross-entropy (nats)",
    "softmax_crossentropy": "loss: cross-entropy (nats)",
    "huber": "loss: Huber",
}
WIDE_RANGE = 100.0  # max / min beyond which a positive quantity is drawn on a log scale
MAX_MARKERS = 60  # path points marked individually; more would hide the curve
MAX_ANNOTATED_CELLS = 64  # heatmap panels with more cells get no numbers written in


def _figure(width: float, height: float) -> Figure:
    """An empty figure with constrained layout (no pyplot, no window)."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("mlplab.plotting needs matplotlib: pip install 'mlplab[plot]'"
                          ) from None
    return Figure(figsize=(width, height), layout="constrained")


def _wide(values: np.ndarray) -> bool:
    """Whether positive `values` span enough decades to need a log scale."""
    finite = values[np.isfinite(values)]
    return finite.size > 0 and finite.min() > 0 and finite.max() / finite.min() > WIDE_RANGE


def _use_log(values: np.ndarray, log: bool | None, owner: str) -> bool:
    """The log-scale choice: automatic when None; an explicit True needs positive values."""
    if log is None:
        return _wide(values)
    if log and not np.nanmin(values) > 0:
        raise invalid("log", owner, "False or None for values that are not all positive", log)
    return bool(log)


def _loss_label(name: str | None) -> str:
    return LOSS_LABELS.get(name, f"loss: {name}") if name else "loss"


# -- error surface -------------------------------------------------------------------------


def plot_error_surface(surface: ErrorSurface, *, log: bool | None = None) -> Figure:
    """The loss over two weights: filled contours (left) and a 3-D surface (right).

    surface: from `mlplab.surface.error_surface` with two weights; its path
    (if any) is drawn on both, from a circle at the start to a star at the end.
    log: colour (and height) by log10 of the loss; default when it spans over
    two decades.
    """
    _check_surface(surface, 2, "plot_error_surface")
    log = _use_log(surface.losses, log, "plot_error_surface")
    fig = _figure(12.5, 5.4)
    _surface_contour(fig.add_subplot(1, 2, 1), surface, log)
    _surface_3d(fig.add_subplot(1, 2, 2, projection="3d"), surface, log)
    first, second = (w.label for w in surface.weights)
    fig.suptitle(f"Error surface over {first} and {second} (every other weight held fixed)",
                 fontsize=13)
    return fig


def _check_surface(surface: Any, k: int, owner: str) -> None:
    if not isinstance(surface, ErrorSurface) or len(surface.weights) != k:
        raise invalid("surface", owner, f"an ErrorSurface over {k} weight{'s' * (k > 1)} "
                      "(from mlplab.surface.error_surface)", surface)


def _surface_contour(ax: Axes, surface: ErrorSurface, log: bool) -> None:
    from matplotlib.colors import LogNorm
    from matplotlib.ticker import LogFormatterMathtext

    a, b = surface.axes
    z = surface.losses.T  # rows follow the second weight (y), columns the first (x)
    if log:
        decades = np.arange(np.floor(np.log10(z.min())), np.ceil(np.log10(z.max())) + 1)
        levels = 10 ** np.arange(decades[0], decades[-1] + 0.01, 0.25)
        filled = ax.contourf(a, b, z, levels=levels, norm=LogNorm(), cmap="viridis")
        ax.figure.colorbar(filled, ax=ax, label=_loss_label(surface.loss), ticks=10**decades,
                           format=LogFormatterMathtext())
    else:
        filled = ax.contourf(a, b, z, levels=20, cmap="viridis")
        ax.figure.colorbar(filled, ax=ax, label=_loss_label(surface.loss), format="%.3g")
    ax.contour(a, b, z, levels=filled.levels, colors="white", linewidths=0.4, alpha=0.5)
    _path_2d(ax, surface)
    ax.set_xlabel(f"{surface.weights[0].label} (weight value)")
    ax.set_ylabel(f"{surface.weights[1].label} (weight value)")
    ax.set_title("Contours of the loss" + (" (log colour scale)" if log else ""))


def _path_2d(ax: Axes, surface: ErrorSurface) -> None:
    """The training path on the contour plot, or the held point when there is none."""
    if surface.path is None:
        ax.plot(*surface.center, marker="X", color="red", markersize=10, linestyle="none",
                label="held weights")
    else:
        path = surface.path
        ax.plot(path[:, 0], path[:, 1], color="red", linewidth=1.8, label="training path")
        ax.plot(*path[0], marker="o", color="red", markeredgecolor="white", markersize=9,
                linestyle="none", label="start")
        ax.plot(*path[-1], marker="*", color="red", markeredgecolor="white", markersize=15,
                linestyle="none", label="end")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.11), ncol=3, fontsize=9)


def _surface_3d(ax: Axes, surface: ErrorSurface, log: bool) -> None:
    from matplotlib.ticker import MaxNLocator

    a, b = np.meshgrid(*surface.axes, indexing="ij")
    ax.computed_zorder = False  # draw in order: the path over the surface, never hidden
    height = np.log10 if log else np.asarray
    z = height(surface.losses)
    ax.plot_surface(a, b, z, cmap="viridis", alpha=0.75, linewidth=0, antialiased=True,
                    rcount=60, ccount=60)
    if surface.path is not None:
        # A path that ends below every grid point would plunge through the floor of a
        # log plot; the grid cannot show that depth anyway, so the floor is the limit.
        path, zp = surface.path, np.maximum(height(surface.path_losses), z.min())
        ax.plot(path[:, 0], path[:, 1], zp, color="red", linewidth=2.2)
        ax.scatter(*path[0], zp[0], color="red", marker="o", s=50, depthshade=False)
        ax.scatter(*path[-1], zp[-1], color="red", marker="*", s=140, depthshade=False)
    for axis in (ax.xaxis, ax.yaxis, ax.zaxis):
        axis.set_major_locator(MaxNLocator(5))
    ax.set_xlabel(surface.weights[0].label, labelpad=8)
    ax.set_ylabel(surface.weights[1].label, labelpad=8)
    ax.set_zlabel("log10(loss)" if log else "loss", labelpad=8)
    ax.set_title("3-D surface, training path in red")
    ax.view_init(elev=32, azim=-60)


def plot_error_slice(surface: ErrorSurface, *, iterations: Sequence[int] | None = None,
                     log: bool | None = None) -> Figure:
    """One weight's "ball in a bucket": the loss along it, the path's positions on the curve.

    surface: from `mlplab.surface.error_slice` (or `error_surface` with one
    weight). The path's points are coloured from first to last record;
    iterations: the step of each record (`WeightPath.iterations`) for the colour bar.
    """
    _check_surface(surface, 1, "plot_error_slice")
    log = _use_log(surface.losses, log, "plot_error_slice")
    fig = _figure(8.0, 5.0)
    ax = fig.add_subplot()
    (values,), label = surface.axes, surface.weights[0].label
    ax.plot(values, surface.losses, color="0.25", linewidth=2, label="loss, other weights held")
    if surface.path is not None:
        _path_on_curve(ax, surface, iterations)
    else:
        ax.axvline(surface.center[0], color="red", linestyle="--", label="held value")
    ax.set_yscale("log" if log else "linear")
    ax.set_xlabel(f"{label} (weight value)")
    ax.set_ylabel(_loss_label(surface.loss))
    ax.set_title(f"Ball in a bucket: the loss along {label} (other weights held fixed)")
    ax.legend(loc="best", fontsize=9)
    return fig


def _path_on_curve(ax: Axes, surface: ErrorSurface, iterations: Sequence[int] | None) -> None:
    path, losses = surface.path[:, 0], surface.path_losses
    steps = np.arange(len(path)) if iterations is None else np.asarray(iterations)
    if len(steps) != len(path):
        raise invalid("iterations", "plot_error_slice", f"{len(path)} values, one per path "
                      "record", f"{len(steps)} values", raw=True)
    shown = np.unique(np.linspace(0, len(path) - 1, min(len(path), MAX_MARKERS)).astype(int))
    dots = ax.scatter(path[shown], losses[shown], c=steps[shown], cmap="plasma", s=36,
                      zorder=3, edgecolors="black", linewidths=0.4, label="training path")
    ax.scatter(path[0], losses[0], marker="o", s=130, facecolors="none", edgecolors="black",
               linewidths=1.5, zorder=4, label="start")
    ax.scatter(path[-1], losses[-1], marker="*", s=220, color="gold", edgecolors="black",
               zorder=4, label="end")
    ax.figure.colorbar(dots, ax=ax, label="iteration" if iterations is not None
                       else "record number")


# -- direction changes ---------------------------------------------------------------------


def plot_direction_changes(counts: Sequence[Any], *, model: Any = None, member: Any = None,
                           iterations: int | None = None) -> Figure:
    """Direction changes per weight as heatmaps, one panel per weight matrix.

    counts: `DirectionChanges.counts` (one integer array per parameter, in
    `params` order). model: names the panels ("layer 0 W, b"), puts each
    layer's bias under its W as a last row (the bias is the weight of an
    input that is always 1), and tells the population; without it every
    array is its own panel. member: the model of a population to show.
    W: a row per input unit, a column per output unit. Counts are written
    into the cells of small panels; all panels share one colour scale.
    """
    arrays = _one_model_counts(counts, model, member)
    panels = _count_panels(arrays, model)
    widths = [min(max(p[1].shape[1], 3), 12) for p in panels]  # wide layers must not crowd
    fig = _figure(min(3.0 + 1.2 * sum(widths), 16.0), 4.8)
    grid = fig.add_gridspec(1, len(panels), width_ratios=widths)
    top = max(int(max(a.max() for a in arrays)), 1)
    axes = [fig.add_subplot(grid[0, i]) for i in range(len(panels))]
    for ax, (title, table, rows) in zip(axes, panels, strict=True):
        image = _count_panel(ax, title, table, rows, top)
    bar = fig.colorbar(image, ax=axes, label="direction changes (count)", shrink=0.9)
    bar.locator = _integer_locator()
    bar.update_ticks()
    over = f" over {iterations} iterations" if iterations else ""
    fig.suptitle(f"How often each weight's update changed direction{over}", fontsize=13)
    return fig


def _one_model_counts(counts: Any, model: Any, member: Any) -> list[np.ndarray]:
    """Each count array of the one model to draw (population axes indexed away)."""
    if isinstance(counts, np.ndarray) or not isinstance(counts, Sequence) or not counts:
        raise invalid("counts", "plot_direction_changes", "a list of count arrays, one per "
                      "parameter (DirectionChanges.counts)", counts)
    arrays = [np.asarray(c) for c in counts]
    population = model.population if model is not None else any(a.ndim > 2 for a in arrays)
    if population and member is None:
        raise invalid("member", "plot_direction_changes", "the index of one model of the "
                      "population", member)
    return [a[member] for a in arrays] if population else arrays


def _count_panels(arrays: list[np.ndarray], model: Any) -> list[tuple[str, np.ndarray,
                                                                      list[str]]]:
    """(title, 2-D table, row labels) per layer with a model, else per array.

    A vector (bias, BatchNorm's gamma and beta) is one row labelled by its name.
    """
    if model is None:
        return [(f"param {i}", *_rows(a, "")) for i, a in enumerate(arrays)]
    panels, start = [], 0
    for index, layer in enumerate(model.layers):
        group = arrays[start:start + len(layer.params)]
        start += len(group)
        parts = [_rows(a, name) for name, a in zip(layer.param_names, group, strict=False)]
        if len({table.shape[1] for table, _ in parts}) == 1:
            panels.append((f"layer {index} {', '.join(layer.param_names)}",
                           np.vstack([t for t, _ in parts]), [r for _, rows in parts
                                                              for r in rows]))
        else:
            panels += [(f"layer {index} {name}", *part)
                       for name, part in zip(layer.param_names, parts, strict=False)]
    return panels


def _rows(array: np.ndarray, name: str) -> tuple[np.ndarray, list[str]]:
    if array.ndim >= 2:
        return array.reshape(array.shape[0], -1), [str(i) for i in range(array.shape[0])]
    return array.reshape(1, -1), [name or "all"]


def _count_panel(ax: Axes, title: str, counts: np.ndarray, rows: list[str], top: int) -> Any:
    image = ax.imshow(counts, cmap="magma", aspect="auto", vmin=0, vmax=top,
                      interpolation="nearest")
    n_cols = counts.shape[1]
    if counts.size <= MAX_ANNOTATED_CELLS and n_cols <= 12:
        for (i, j), value in np.ndenumerate(counts):
            ax.text(j, i, f"{value:d}", ha="center", va="center", fontsize=10,
                    color=_ink_on(image.cmap(image.norm(value))))
    named = [i for i, r in enumerate(rows) if not r.isdigit()]
    numbered = [i for i, r in enumerate(rows) if r.isdigit()]
    ticks = sorted(numbered[::max(1, len(numbered) // 8)] + named)
    ax.set_yticks(ticks, [rows[i] for i in ticks])
    for i in named:
        if i > 0:  # a white rule between a matrix and the vector rows under it
            ax.axhline(i - 0.5, color="white", linewidth=2)
    if n_cols <= 16:
        ax.set_xticks(range(n_cols))
    ax.set_xlabel("output unit j")
    bias = " (last row b: the bias)" if [rows[i] for i in named] == ["b"] else ""
    ax.set_ylabel("input unit i" + bias if numbered else "")
    ax.set_title(title)
    return image


def _integer_locator() -> Any:
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(integer=True)


# -- training dynamics ---------------------------------------------------------------------


def plot_training_dynamics(dynamics: Any) -> Figure:
    """Per-parameter gradient norms (left) and update-to-weight ratios (right) over training.

    dynamics: a `mlplab.callbacks.TrainingDynamics` after `fit`. For a
    population each parameter shows the mean over models and a min-max band.
    """
    if not all(hasattr(dynamics, a) for a in ("iterations", "grad_norms", "update_ratios")):
        raise invalid("dynamics", "plot_training_dynamics", "a TrainingDynamics callback "
                      "that has been through fit", dynamics)
    steps = np.asarray(dynamics.iterations)
    fig = _figure(13.0, 5.6)
    left, right = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    n_models = 1
    for ax, series, what in ((left, dynamics.grad_norms, "||gradient||"),
                             (right, dynamics.update_ratios, "||update|| / ||weights||")):
        for name, values in series.items():
            values = values.reshape(len(steps), -1)
            n_models = values.shape[1]
            _mean_and_band(ax, steps, values, name, "minmax")
        ax.set_yscale("log")
        ax.set_xlabel("iteration (gradient step)")
        ax.set_ylabel(what + " (log scale)")
    right.axhline(1e-3, color="0.4", linestyle=":", label="1e-3 rule of thumb")
    left.set_title("Gradient norm per parameter array")
    right.set_title("Update-to-weight ratio per parameter array")
    fig.legend(*right.get_legend_handles_labels(), loc="outside lower center",
               ncol=min(len(dynamics.grad_norms) + 1, 4), fontsize=9)
    over = f": mean and min-max band over {n_models} models" if n_models > 1 else ""
    fig.suptitle(f"Training dynamics{over}", fontsize=13)
    return fig


def _mean_and_band(ax: Axes, x: np.ndarray, values: np.ndarray, label: str,
                   spread: str, *, log: bool = False) -> None:
    """The mean over models (columns of `values`) as a line, the spread as a band.

    On a log axis the std band's lower edge stops at the lowest model, which
    is never negative, rather than vanish below zero.
    """
    with warnings.catch_warnings():  # steps where every model is NaN (zero weights)
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(values, axis=1)
        low, high = np.nanmin(values, axis=1), np.nanmax(values, axis=1)
        if spread == "std":
            std = np.nanstd(values, axis=1)
            low, high = (np.maximum(mean - std, low) if log else mean - std), mean + std
    n = values.shape[1]
    line = ax.plot(x, mean, linewidth=1.6,
                   label=label if n == 1 else f"{label} (mean of {n})")[0]
    if n > 1:
        ax.fill_between(x, low, high, color=line.get_color(), alpha=0.2, linewidth=0)


# -- loss curves ---------------------------------------------------------------------------


def plot_loss_curves(curves: Any, *, spread: str = "minmax", loss: str | None = None,
                     log: bool | None = None, title: str | None = None,
                     xlabel: str = "epoch") -> Figure:
    """Loss over training: one line per curve, and for several models their mean and spread.

    curves: a History (training "loss" and, if recorded, "val_loss"; a
    population's models give a band); a list of Histories (restarts: their
    losses become the models of each curve); or a mapping label ->
    array (n_epochs,) or (n_epochs, n_models) for anything else (sweeps).
    spread: "minmax" (band from the lowest to the highest model) or "std"
    (mean +- one standard deviation). loss: the loss's name, for the axis label.
    """
    spread = check_choice("spread", "plot_loss_curves", spread, ("minmax", "std"))
    series = _curves(curves)
    log = _use_log(np.concatenate([v.ravel() for v in series.values()]), log,
                   "plot_loss_curves")
    fig = _figure(8.5, 5.0)
    ax = fig.add_subplot()
    for label, values in series.items():
        _mean_and_band(ax, np.arange(len(values)), values, label, spread, log=log)
    ax.set_yscale("log" if log else "linear")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(_loss_label(loss))
    n = max(v.shape[1] for v in series.values())
    band = "min to max" if spread == "minmax" else "mean +- 1 std"
    ax.set_title(title or ("Loss over training" if n == 1 else
                           f"Loss over training: mean of {n} models, band {band}"))
    ax.legend(fontsize=9)
    return fig


def _curves(curves: Any) -> dict[str, np.ndarray]:
    """Label -> (n_epochs, n_models) from a History, a list of Histories, or a mapping."""
    if hasattr(curves, "history") and hasattr(curves, "column"):
        curves = [curves]
    if isinstance(curves, Sequence) and curves and all(hasattr(h, "history") for h in curves):
        names = {"loss": "training", "val_loss": "validation"}
        series = {label: _stack([h[key] for h in curves]) for key, label in names.items()
                  if all(key in h and len(h[key]) for h in curves)}
        if series:
            return series
    if isinstance(curves, Mapping) and curves:
        return {str(k): _as_columns(k, v) for k, v in curves.items()}
    raise invalid("curves", "plot_loss_curves", "a History, a list of Histories, or a mapping "
                  "label -> array (n_epochs, n_models)", curves)


def _as_columns(label: Any, values: Any) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim not in (1, 2) or len(array) == 0:
        raise invalid("curves", "plot_loss_curves", "arrays of shape (n_epochs,) or "
                      "(n_epochs, n_models)", f"shape {array.shape} for {label!r}", raw=True)
    return array.reshape(len(array), -1)


def _stack(losses: list[np.ndarray]) -> np.ndarray:
    """Each history's (n_epochs, *population) losses side by side, NaN-padded to the longest."""
    columns = [np.asarray(v, dtype=np.float64).reshape(len(v), -1) for v in losses]
    longest = max(len(c) for c in columns)
    padded = [np.pad(c, ((0, longest - len(c)), (0, 0)), constant_values=np.nan)
              for c in columns]
    return np.concatenate(padded, axis=1)


# -- sweep heatmap -------------------------------------------------------------------------


def plot_error_heatmap(errors: Any, alphas: Any = None, hidden_sizes: Any = None, *,
                       columns: Sequence[str] = ("alpha", "hidden", "error"),
                       label: str = "final error", title: str | None = None) -> Figure:
    """Final error over alpha (rows, log-spaced) x hidden size (columns), values in the cells.

    errors: (n_alphas, n_hidden) with `alphas` and `hidden_sizes`; or a table
    with one row per (alpha, hidden) cell, as a list of row mappings or a
    mapping of columns, whose alpha, hidden-size and error columns are named
    by `columns`. NaN (a diverged run) is drawn grey and marked "NaN".
    """
    if alphas is None and hidden_sizes is None:
        errors, alphas, hidden_sizes = _pivot(errors, columns)
    errors = np.asarray(errors, dtype=np.float64)
    alphas, hidden_sizes = np.asarray(alphas).ravel(), np.asarray(hidden_sizes).ravel()
    if errors.shape != (len(alphas), len(hidden_sizes)):
        raise invalid("errors", "plot_error_heatmap", f"an array of shape ({len(alphas)}, "
                      f"{len(hidden_sizes)}): one row per alpha, one column per hidden size",
                      f"shape {errors.shape}", raw=True)
    fig = _figure(1.6 + 1.05 * len(hidden_sizes) + 1.5, 1.4 + 0.62 * len(alphas) + 0.8)
    ax = fig.add_subplot()
    _heatmap_cells(ax, errors, label)
    ax.set_xticks(range(len(hidden_sizes)), [f"{h:g}" for h in hidden_sizes])
    ax.set_yticks(range(len(alphas)), [_power_label(a) for a in alphas])
    ax.set_xlabel("hidden units")
    ax.set_ylabel("alpha (step size, log scale)")
    ax.set_title(title or f"{label.capitalize()} over alpha and hidden size")
    return fig


def _heatmap_cells(ax: Axes, errors: np.ndarray, label: str) -> None:
    import matplotlib as mpl
    from matplotlib.colors import LogNorm

    cmap = mpl.colormaps["viridis"].with_extremes(bad="0.8")
    norm = LogNorm() if _wide(errors) else None
    image = ax.imshow(np.ma.masked_invalid(errors), cmap=cmap, norm=norm, origin="lower",
                      aspect="auto")
    for (i, j), value in np.ndenumerate(errors):
        text = "NaN" if not np.isfinite(value) else f"{value:.2g}"
        ax.text(j, i, text, ha="center", va="center", fontsize=9,
                color=_ink_on(image.cmap(image.norm(value))) if np.isfinite(value) else "black")
    ax.figure.colorbar(image, ax=ax, label=label + (" (log scale)" if norm else ""))


def _ink_on(rgba: Any) -> str:
    """Black or white, whichever reads better on a cell of colour `rgba`."""
    red, green, blue = rgba[:3]
    return "black" if 0.299 * red + 0.587 * green + 0.114 * blue > 0.5 else "white"


def _power_label(value: float) -> str:
    """'$10^{-3}$' for a power of ten, else the number as %g."""
    exponent = np.log10(value) if value > 0 else np.nan
    if np.isfinite(exponent) and np.isclose(exponent, round(exponent)):
        return f"$10^{{{round(exponent)}}}$"
    return f"{value:g}"


def _pivot(table: Any, columns: Sequence[str]) -> tuple[np.ndarray, list[Any], list[Any]]:
    """(errors, alphas, hidden sizes) from a table with one row per (alpha, hidden) cell."""
    owner = "plot_error_heatmap"
    if isinstance(table, Mapping):
        rows = [dict(zip(table, values, strict=True)) for values in zip(*table.values(),
                                                                         strict=True)]
    elif isinstance(table, Sequence) and table and all(isinstance(r, Mapping) for r in table):
        rows = list(table)
    else:
        raise invalid("errors", owner, "an array with alphas and hidden_sizes, or a table "
                      "(rows as mappings, or a mapping of columns)", table)
    alpha, hidden, value = columns
    if any(name not in rows[0] for name in columns):
        raise invalid("columns", owner, f"names of the table's columns {sorted(rows[0])}",
                      columns)
    alphas, sizes = sorted({r[alpha] for r in rows}), sorted({r[hidden] for r in rows})
    cells = {}
    for r in rows:
        key = (alphas.index(r[alpha]), sizes.index(r[hidden]))
        if key in cells:
            raise invalid("errors", owner, "a table with one row per (alpha, hidden) cell "
                          "(select one seed or checkpoint first)",
                          f"two rows for alpha={r[alpha]}, hidden={r[hidden]}", raw=True)
        cells[key] = r[value]
    errors = np.full((len(alphas), len(sizes)), np.nan)
    for key, error in cells.items():
        errors[key] = error
    return errors, alphas, sizes


# -- decision boundary ---------------------------------------------------------------------


def plot_decision_boundary(model: Any, X: Any, y: Any, *, member: Any = None,
                           resolution: int = 200, threshold: float = 0.5,
                           feature_names: Sequence[str] = ("x0", "x1")) -> Figure:
    """A classifier's predicted class over the plane of its two inputs, with the data on top.

    X: (n_samples, 2); y: class labels (n_samples,), or one-hot / 0-1 targets.
    One output: class 1 where output > threshold, shaded by the output;
    several outputs: the class of the largest. member: the model of a
    population to draw.
    """
    owner = "plot_decision_boundary"
    X = as_float_array("X", owner, X, ndim=(2,))
    if X.shape[1] != 2 or model.n_inputs != 2:
        raise invalid("X", owner, "an array with 2 columns for a model with 2 inputs",
                      f"shape {X.shape} for a model with {model.n_inputs} inputs", raw=True)
    labels = _class_labels(y, len(X), owner)
    xx, yy, out = _grid_outputs(model, X, resolution, member, owner)
    fig = _figure(7.6, 6.2)
    ax = fig.add_subplot()
    if out.shape[-1] == 1:
        _binary_regions(ax, xx, yy, out[..., 0], threshold)
    else:
        _class_regions(ax, xx, yy, out)
    _scatter_classes(ax, X, labels)
    ax.set_xlabel(f"{feature_names[0]} (input feature)")
    ax.set_ylabel(f"{feature_names[1]} (input feature)")
    ax.set_title("Decision boundary: predicted class over the input plane, data by true class")
    return fig


def _class_labels(y: Any, n: int, owner: str) -> np.ndarray:
    y = as_float_array("y", owner, y, ndim=(1, 2))
    if len(y) != n:
        raise invalid("y", owner, f"{n} rows, one per row of X", f"{len(y)} rows", raw=True)
    if y.ndim == 2 and y.shape[1] > 1:
        return y.argmax(axis=1)
    labels = np.rint(y.ravel()).astype(np.int64)
    if labels.min() < 0 or np.any(labels != y.ravel()):
        raise invalid("y", owner, "class labels 0, 1, 2, ... or one-hot rows", y)
    return labels


def _grid_outputs(model: Any, X: np.ndarray, resolution: int, member: Any,
                  owner: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A resolution x resolution grid over the data (+10%) and the model's outputs on it."""
    from mlplab._checks import check_int

    resolution = check_int("resolution", owner, resolution, low=2)
    low, high = X.min(axis=0), X.max(axis=0)
    pad = 0.1 * np.where(high > low, high - low, 1.0)
    xx, yy = np.meshgrid(*(np.linspace(lo, hi, resolution)
                           for lo, hi in zip(low - pad, high + pad, strict=True)))
    out = model.predict(np.column_stack([xx.ravel(), yy.ravel()]))
    if model.population:
        if member is None:
            raise invalid("member", owner, "the index of one model of the population", member)
        out = out[member]
    return xx, yy, out.reshape(*xx.shape, -1)


def _binary_regions(ax: Axes, xx: np.ndarray, yy: np.ndarray, out: np.ndarray,
                    threshold: float) -> None:
    shading = ax.contourf(xx, yy, out, levels=20, cmap="RdBu_r", alpha=0.75)
    ax.contour(xx, yy, out, levels=[threshold], colors="black", linewidths=2)
    ax.figure.colorbar(shading, ax=ax, label=f"model output (boundary at {threshold:g})")


def _class_regions(ax: Axes, xx: np.ndarray, yy: np.ndarray, out: np.ndarray) -> None:
    """Each class's region, where its output beats every other (smooth edges, not pixels)."""
    colors = _class_colors(out.shape[-1])
    for k, color in enumerate(colors):
        margin = out[..., k] - np.delete(out, k, axis=-1).max(axis=-1)
        if margin.max() > 0:
            ax.contourf(xx, yy, margin, levels=[0, np.inf], colors=[color], alpha=0.35)
            ax.contour(xx, yy, margin, levels=[0], colors="black", linewidths=1.2)


def _class_colors(n: int) -> list[Any]:
    import matplotlib as mpl

    if n == 2:
        return ["#2166ac", "#b2182b"]  # the two ends of RdBu_r, as the binary shading
    return [mpl.colormaps["tab10"](i % 10) for i in range(n)]


def _scatter_classes(ax: Axes, X: np.ndarray, labels: np.ndarray) -> None:
    colors = _class_colors(max(int(labels.max()) + 1, 2))
    for k in np.unique(labels):
        ax.scatter(*X[labels == k].T, color=colors[k], edgecolors="black", linewidths=0.6,
                   s=28, label=f"class {k}")
    ax.legend(loc="upper right", fontsize=9, framealpha=0.85)


# -- learning-rate finder ------------------------------------------------------------------


def plot_lr_find(result: Any, *, loss: str | None = None) -> Figure:
    """The range test: final loss per alpha (left) and each alpha's loss over the steps (right).

    result: an `mlplab.lab.LRFindResult`. Both panels show losses up to three
    times the starting loss: an alpha whose loss ended above that (or diverged)
    is a red cross at the top of the left panel. The suggested alpha is dashed.
    """
    alphas, final = np.asarray(result.alphas), np.asarray(result.final, dtype=float)
    losses = np.asarray(result.losses, dtype=float)
    start = float(np.nanmedian(losses[0]))  # every alpha starts from the same weights
    cap = 3 * start if np.isfinite(start) and start > 0 else np.nanmax(final[np.isfinite(final)])
    fig = _figure(11.0, 4.5)
    left, right = fig.subplots(1, 2)
    shown = np.isfinite(final) & (final <= cap)
    left.plot(alphas[shown], final[shown], "o-", color="tab:blue", label="final loss")
    if not shown.all():
        left.plot(alphas[~shown], np.full((~shown).sum(), cap), "x", color="tab:red",
                  markersize=9, label=f"diverged, or ended above {cap:.3g}")
    left.axvline(result.suggestion, color="tab:green", linestyle="--",
                 label=f"suggested alpha {result.suggestion:.3g}")
    left.axhline(start, color="0.6", linewidth=0.8, label=f"starting loss {start:.3g}")
    left.set_xscale("log")
    left.set_xlabel("alpha (learning rate)")
    left.set_ylabel(_loss_label(loss) + "\n(mean of the last tenth of the steps)")
    left.set_title("Final loss per alpha: one population, same start and batches",
                   fontsize=10)
    left.legend(fontsize=8)
    colors = _colormap("viridis")(np.linspace(0, 1, len(alphas)))
    for k, alpha in enumerate(alphas):
        curve = np.where(losses[:, k] <= cap, losses[:, k], np.nan)  # off the chart: cut
        if np.isfinite(curve).any():
            right.plot(np.arange(len(curve)), curve, color=colors[k], linewidth=1.2,
                       label=f"{alpha:.3g}")
    kept = losses[np.isfinite(losses) & (losses <= cap)]
    log = kept.size > 0 and _wide(kept)
    right.set_yscale("log" if log else "linear")
    right.set_ylim(top=cap)
    right.set_xlabel("step")
    right.set_ylabel(_loss_label(loss))
    right.set_title("Loss over the steps, per alpha", fontsize=10)
    right.legend(title="alpha", fontsize=7, ncol=2)
    return fig


def _colormap(name: str) -> Any:
    from matplotlib import colormaps

    return colormaps[name]
