"""mlplab.plotting: each picture is a Figure whose drawn data are the numbers it claims to show."""

import io
from types import SimpleNamespace

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from matplotlib.collections import PathCollection, PolyCollection  # noqa: E402
from matplotlib.contour import ContourSet  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from mlplab import MLP, DirectionChanges, fit, plotting, sgd  # noqa: E402
from mlplab.callbacks import TrainingDynamics, WeightPath  # noqa: E402
from mlplab.data import tutorial_xy  # noqa: E402
from mlplab.history import History  # noqa: E402
from mlplab.surface import error_slice, error_surface  # noqa: E402

X2, Y2 = tutorial_xy("part2")
WEIGHTS = [(0, "W", 0, 0), (2, "W", 1, 0)]


def tutorial_net(seed=1):
    return MLP([3, 4, 1], activation="sigmoid", output_activation="sigmoid", bias=False,
               init="tutorial", seed=seed)


def renders(fig):
    """The picture is a Figure (drawing to PNG is checked once per kind, below)."""
    return isinstance(fig, Figure)


def direct_delta(W0, W1):
    """The tutorial network's half sum of squared errors, written out."""
    out = 1 / (1 + np.exp(-(1 / (1 + np.exp(-X2 @ W0)) @ W1)))
    return 0.5 * np.sum((out - Y2) ** 2)


@pytest.fixture(scope="module")
def trained():
    model, path = tutorial_net(), WeightPath(WEIGHTS, every=20)
    fit(model, X2, Y2, loss="delta", optimizer=sgd(10.0), iterations=300, callbacks=[path])
    return model, path


def test_error_surface_draws_the_directly_computed_losses_and_the_path(trained):
    model, path = trained
    surface = error_surface(model, X2, Y2, WEIGHTS, path=path.values, loss="delta", n=9)
    fig = plotting.plot_error_surface(surface)
    assert renders(fig)
    contour_ax, surface_ax = fig.axes[0], next(a for a in fig.axes if a.name == "3d")
    W0, W1 = model.get_weights()
    direct = np.empty((9, 9))
    for i, a in enumerate(surface.axes[0]):
        for j, b in enumerate(surface.axes[1]):
            w0, w1 = W0.copy(), W1.copy()
            w0[0, 0], w1[1, 0] = a, b
            direct[i, j] = direct_delta(w0, w1)
    np.testing.assert_allclose(surface.losses, direct, rtol=1e-12)
    filled = next(c for c in contour_ax.collections if isinstance(c, ContourSet))
    assert (filled.zmin, filled.zmax) == pytest.approx((direct.min(), direct.max()), rel=1e-12)
    _assert_contour_lines_follow(contour_ax, surface.axes, direct)
    drawn_path = contour_ax.lines[0].get_xydata()
    np.testing.assert_array_equal(drawn_path, path.values)
    assert contour_ax.get_xlabel() == "layer 0 W[0, 0] (weight value)"
    assert contour_ax.get_ylabel() == "layer 2 W[1, 0] (weight value)"
    assert surface_ax.get_zlabel() in ("loss", "log10(loss)")
    assert "layer 0 W[0, 0] and layer 2 W[1, 0]" in fig.get_suptitle()


def _assert_contour_lines_follow(ax, axes, losses):
    """Each contour vertex lies on a grid edge where the losses, interpolated, equal its level."""
    lines = next(c for c in ax.collections if isinstance(c, ContourSet) and not c.filled)
    vertices = [(level, point) for level, segments in zip(lines.levels, lines.allsegs,
                                                         strict=True)
                for segment in segments for point in segment]
    assert len(vertices) > 20
    for level, (x, y) in vertices:
        assert _along_edge(axes, losses, x, y) == pytest.approx(level, rel=1e-6)


def _along_edge(axes, z, x, y):
    """Linear interpolation of z along the grid edge that the point (x, y) lies on."""
    xs, ys = axes
    on_column = np.flatnonzero(np.isclose(xs, x, rtol=0, atol=1e-12))
    if on_column.size:
        i, j = on_column[0], np.clip(np.searchsorted(ys, y), 1, len(ys) - 1)
        t = (y - ys[j - 1]) / (ys[j] - ys[j - 1])
        return (1 - t) * z[i, j - 1] + t * z[i, j]
    on_row = np.flatnonzero(np.isclose(ys, y, rtol=0, atol=1e-12))
    assert on_row.size, "a contour vertex off every grid edge"
    j, i = on_row[0], np.clip(np.searchsorted(xs, x), 1, len(xs) - 1)
    t = (x - xs[i - 1]) / (xs[i] - xs[i - 1])
    return (1 - t) * z[i - 1, j] + t * z[i, j]


def test_error_slice_curve_is_the_loss_and_the_path_sits_on_it(trained):
    model, _ = trained
    path = WeightPath([(2, "W", 0, 0)], every=30)
    model = tutorial_net()
    fit(model, X2, Y2, loss="delta", optimizer=sgd(10.0), iterations=300, callbacks=[path])
    values = np.linspace(-3, 3, 13)
    surface = error_slice(model, X2, Y2, (2, "W", 0, 0), values=values, path=path.values,
                          loss="delta")
    fig = plotting.plot_error_slice(surface, iterations=path.iterations)
    assert renders(fig)
    ax = fig.axes[0]
    W0, W1 = model.get_weights()
    direct = [direct_delta(W0, np.where(np.arange(4)[:, None] == 0, v, W1)) for v in values]
    curve = ax.lines[0]
    np.testing.assert_array_equal(curve.get_xdata(), values)
    np.testing.assert_allclose(curve.get_ydata(), direct, rtol=1e-12)
    dots = next(c for c in ax.collections if isinstance(c, PathCollection))
    on_curve = [direct_delta(W0, np.where(np.arange(4)[:, None] == 0, v, W1))
                for v in path.values[:, 0]]
    np.testing.assert_allclose(dots.get_offsets(), np.column_stack([path.values[:, 0],
                                                                    on_curve]), rtol=1e-12)
    np.testing.assert_array_equal(dots.get_array(), path.iterations)
    assert ax.get_xlabel() == "layer 2 W[0, 0] (weight value)"
    assert "half sum of squared errors" in ax.get_ylabel()
    assert "Ball in a bucket" in ax.get_title()


def test_surface_plots_want_the_right_number_of_weights(trained):
    model, _ = trained
    one = error_slice(model, X2, Y2, (2, "W", 0, 0), n=4, loss="delta")
    with pytest.raises(ValueError, match="'surface' parameter of plot_error_surface"):
        plotting.plot_error_surface(one)
    with pytest.raises(ValueError, match="'surface' parameter of plot_error_slice"):
        plotting.plot_error_slice(error_surface(model, X2, Y2, WEIGHTS, n=3, loss="delta"))


def test_direction_changes_one_panel_per_layer_with_the_bias_as_last_row():
    model = MLP([3, 3, 2], activation="tanh", output_activation="sigmoid", seed=[0, 1])
    counter = DirectionChanges()
    fit(model, X2, np.hstack([Y2, 1 - Y2]), optimizer=sgd(2.0), iterations=200,
        callbacks=[counter])
    fig = plotting.plot_direction_changes(counter.counts, model=model, member=1, iterations=200)
    assert renders(fig)
    panels = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title() for ax in panels] == ["layer 0 W, b", "layer 2 W, b"]
    W0, b0, W1, b1 = (c[1] for c in counter.counts)
    np.testing.assert_array_equal(panels[0].images[0].get_array(), np.vstack([W0, b0]))
    np.testing.assert_array_equal(panels[1].images[0].get_array(), np.vstack([W1, b1]))
    written = [int(t.get_text()) for t in panels[0].texts]
    assert written == np.vstack([W0, b0]).ravel().tolist()
    assert [t.get_text() for t in panels[0].get_yticklabels()] == ["0", "1", "2", "b"]
    assert "over 200 iterations" in fig.get_suptitle()
    assert panels[0].get_xlabel() == "output unit j"
    with pytest.raises(ValueError, match="'member' parameter of plot_direction_changes"):
        plotting.plot_direction_changes(counter.counts, model=model)


def test_direction_changes_without_a_model_draws_each_array():
    counts = [np.array([[1, 0], [3, 2]]), np.array([4, 5])]
    fig = plotting.plot_direction_changes(counts)
    assert renders(fig)
    panels = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title() for ax in panels] == ["param 0", "param 1"]
    np.testing.assert_array_equal(panels[1].images[0].get_array(), [[4, 5]])


def test_training_dynamics_lines_are_the_recorded_norms_mean_and_band_for_populations():
    X, y = np.random.default_rng(0).normal(size=(8, 3)), np.random.default_rng(1).normal(
        size=(8, 1))
    recorder = TrainingDynamics(every=5)
    fit(MLP([3, 4, 1], activation="tanh", seed=[0, 1, 2]), X, y, optimizer=sgd(0.1),
        iterations=40, callbacks=[recorder])
    fig = plotting.plot_training_dynamics(recorder)
    assert renders(fig)
    left, right = fig.axes[:2]
    norms = recorder.grad_norms["layer 0 W"]
    line = next(ln for ln in left.lines if ln.get_label().startswith("layer 0 W"))
    np.testing.assert_array_equal(line.get_xdata(), recorder.iterations)
    np.testing.assert_allclose(line.get_ydata(), norms.mean(axis=1), rtol=1e-12)
    band = left.collections[0].get_paths()[0].vertices[:, 1]
    assert band.min() == pytest.approx(norms.min()) and band.max() == pytest.approx(norms.max())
    assert left.get_yscale() == "log" and left.get_xlabel() == "iteration (gradient step)"
    assert "||update|| / ||weights||" in right.get_ylabel()
    assert "over 3 models" in fig.get_suptitle()
    with pytest.raises(ValueError, match="'dynamics' parameter"):
        plotting.plot_training_dynamics(object())


def history_of(losses, val=None):
    history = History()
    history.history["loss"] = list(losses)
    if val is not None:
        history.history["val_loss"] = list(val)
    return history


def test_loss_curves_of_one_model_are_the_history():
    history = history_of([1.0, 0.5, 0.4], val=[1.1, 0.7, 0.6])
    fig = plotting.plot_loss_curves(history, loss="mse")
    assert renders(fig)
    ax = fig.axes[0]
    assert [ln.get_label() for ln in ax.lines] == ["training", "validation"]
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), [1.0, 0.5, 0.4])
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), [1.1, 0.7, 0.6])
    assert not ax.collections  # one model: no band
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "loss: mean squared error"
    assert ax.get_title() == "Loss over training"


def test_loss_curves_of_a_population_show_mean_and_min_max_band():
    losses = np.array([[3.0, 1.0, 2.0], [2.0, 0.5, 1.0], [1.0, 0.25, 0.5]])  # (epochs, models)
    fig = plotting.plot_loss_curves(history_of(losses))
    assert renders(fig)
    ax = fig.axes[0]
    np.testing.assert_allclose(ax.lines[0].get_ydata(), losses.mean(axis=1))
    band = ax.collections[0].get_paths()[0].vertices
    assert band[:, 1].min() == 0.25 and band[:, 1].max() == 3.0
    assert ax.lines[0].get_label() == "training (mean of 3)"
    assert "mean of 3 models" in ax.get_title()


def test_loss_curves_of_restarts_and_of_a_sweep_mapping():
    restarts = [history_of([2.0, 1.0]), history_of([4.0, 3.0, 1.0])]  # one stopped early
    fig = plotting.plot_loss_curves(restarts, spread="std")
    assert renders(fig)
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), [3.0, 2.0, 1.0])
    band = fig.axes[0].collections[0].get_paths()[0].vertices[:, 1]
    assert band.max() == pytest.approx(4.0)  # mean 3 + std 1 at the first epoch
    sweep = {"alpha 0.1": np.ones((4, 2)), "alpha 1": np.full(4, 0.5)}
    fig = plotting.plot_loss_curves(sweep, xlabel="iteration", title="A sweep")
    assert renders(fig)
    assert [ln.get_label() for ln in fig.axes[0].lines] == ["alpha 0.1 (mean of 2)", "alpha 1"]
    assert fig.axes[0].get_title() == "A sweep" and fig.axes[0].get_xlabel() == "iteration"
    with pytest.raises(ValueError, match="'curves' parameter of plot_loss_curves"):
        plotting.plot_loss_curves([1, 2, 3])
    with pytest.raises(ValueError, match="'spread' parameter of plot_loss_curves"):
        plotting.plot_loss_curves(sweep, spread="iqr")
    with pytest.raises(ValueError, match="'curves' parameter of plot_loss_curves"):
        plotting.plot_loss_curves(History())  # nothing recorded yet
    with pytest.raises(ValueError, match="'log' parameter of plot_loss_curves"):
        plotting.plot_loss_curves({"zero": [1.0, 0.0]}, log=True)


def test_error_heatmap_from_an_array_and_from_a_table():
    alphas, sizes = [0.001, 0.1, 10.0], [4, 16]
    errors = np.array([[0.5, 0.4], [0.1, 0.01], [0.003, np.nan]])
    fig = plotting.plot_error_heatmap(errors, alphas, sizes)
    assert renders(fig)
    ax = fig.axes[0]
    drawn = ax.images[0].get_array()
    np.testing.assert_array_equal(drawn.data[~drawn.mask], errors[np.isfinite(errors)])
    assert drawn.mask[2, 1]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["$10^{-3}$", "$10^{-1}$",
                                                           "$10^{1}$"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["4", "16"]
    assert "alpha" in ax.get_ylabel() and "log" in ax.get_ylabel()
    assert ax.get_xlabel() == "hidden units"
    assert [t.get_text() for t in ax.texts][-1] == "NaN"
    rows = [{"alpha": a, "hidden": h, "error": errors[i, j]}
            for i, a in enumerate(alphas) for j, h in enumerate(sizes)][::-1]
    from_rows = plotting.plot_error_heatmap(rows).axes[0].images[0].get_array()
    np.testing.assert_array_equal(from_rows, drawn)
    columns = {"lr": [1.0, 1.0], "width": [8, 2], "mse": [0.2, 0.3]}
    fig = plotting.plot_error_heatmap(columns, columns=("lr", "width", "mse"))
    np.testing.assert_array_equal(fig.axes[0].images[0].get_array(), [[0.3, 0.2]])
    with pytest.raises(ValueError, match="one row per"):
        plotting.plot_error_heatmap(rows + rows[:1])
    with pytest.raises(ValueError, match="'errors' parameter of plot_error_heatmap"):
        plotting.plot_error_heatmap(errors, alphas, sizes[:1])


def test_decision_boundary_binary_and_multiclass():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]] * 3)
    y = np.array([0, 1, 1, 0] * 3)
    model = MLP([2, 6, 1], activation="tanh", output_activation="sigmoid", seed=[0, 1])
    fit(model, X, y, loss="bce", optimizer=sgd(1.0), iterations=300)
    fig = plotting.plot_decision_boundary(model, X, y, member=1, resolution=30)
    assert renders(fig)
    ax = fig.axes[0]
    boundary = [c for c in ax.collections if isinstance(c, ContourSet) and not c.filled]
    assert list(boundary[0].levels) == [0.5]
    scattered = [c for c in ax.collections if isinstance(c, PathCollection)]
    for k, dots in enumerate(scattered):
        np.testing.assert_array_equal(dots.get_offsets(), X[y == k])
    assert ax.get_xlabel() == "x0 (input feature)" and "Decision boundary" in ax.get_title()
    with pytest.raises(ValueError, match="'member' parameter of plot_decision_boundary"):
        plotting.plot_decision_boundary(model, X, y, resolution=10)

    three = MLP([2, 5, 3], activation="relu", output_activation="softmax", seed=0)
    labels = np.array([0, 1, 2, 1] * 3)
    fig = plotting.plot_decision_boundary(three, X, np.eye(3)[labels], resolution=25,
                                   feature_names=("height", "width"))
    assert renders(fig)
    ax = fig.axes[0]
    assert len([c for c in ax.collections if isinstance(c, PathCollection)]) == 3
    assert ax.get_ylabel() == "width (input feature)"
    with pytest.raises(ValueError, match="'y' parameter of plot_decision_boundary"):
        plotting.plot_decision_boundary(three, X, -labels, resolution=10)
    with pytest.raises(ValueError, match="'X' parameter of plot_decision_boundary"):
        plotting.plot_decision_boundary(three, np.zeros((4, 3)), labels[:4])


def test_band_is_drawn_as_a_polygon_collection():
    fig = plotting.plot_loss_curves({"two": np.array([[1.0, 2.0], [0.5, 1.5]])})
    assert isinstance(fig.axes[0].collections[0], PolyCollection)


def _pictures():
    """One small instance of every kind of picture, built without training."""
    model, hist = tutorial_net(), history_of(np.array([[1.0, 2.0], [0.5, 0.7]]), val=[1, 0.9])
    path = np.array([[0.1, 0.2], [0.3, 0.1], [0.4, 0.0]])
    dynamics = SimpleNamespace(iterations=[0, 5], grad_norms={"layer 0 W": np.ones((2, 2))},
                               update_ratios={"layer 0 W": np.full((2, 2), 1e-3)})
    classifier = MLP([2, 3, 3], output_activation="softmax", seed=0)
    return {
        "surface": lambda: plotting.plot_error_surface(error_surface(
            model, X2, Y2, WEIGHTS, n=5, path=path, loss="delta")),
        "slice": lambda: plotting.plot_error_slice(error_slice(model, X2, Y2, (2, "W", 0, 0), n=5,
                                                        path=path[:, :1], loss="delta")),
        "directions": lambda: plotting.plot_direction_changes([np.ones((3, 4), int),
                                                        np.zeros((4, 1), int)], model=model),
        "dynamics": lambda: plotting.plot_training_dynamics(dynamics),
        "loss curves": lambda: plotting.plot_loss_curves(hist),
        "heatmap": lambda: plotting.plot_error_heatmap([[0.5, np.nan]], [0.01], [4, 8]),
        "boundary": lambda: plotting.plot_decision_boundary(classifier, X2[:, :2], [0, 1, 2, 0],
                                                     resolution=10),
    }


@pytest.mark.parametrize("kind", _pictures().keys())
def test_every_picture_draws_to_png_with_titles_and_labelled_axes(kind):
    fig = _pictures()[kind]()
    fig.savefig(io.BytesIO(), format="png", dpi=20)
    plots = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert plots and all(ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
                         for ax in plots)
