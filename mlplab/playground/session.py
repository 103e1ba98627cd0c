"""One page's playground: its settings, data, runs, and the messages it answers.

A session holds the main run (the network the page draws) and, when the
restarts or alpha-sweep view is open, a population run beside it: N random
starting states, or one network at several learning rates, trained at once
as one population (`mlplab.model`), each member drawn as its own small
boundary. Messages from the page are plain dicts (see `handle`); a bad one
is answered with an error message, never an exception out of the socket.
"""

from __future__ import annotations

import base64
import os
import tempfile
import time
from typing import Any

import numpy as np

from mlplab._checks import invalid
from mlplab.callbacks import DirectionChanges, DivergenceError, DivergenceGuard
from mlplab.layers import Activation
from mlplab.losses import LOSSES, get_loss
from mlplab.playground import frames
from mlplab.playground.data import (
    FEATURES,
    PlaygroundData,
    Upload,
    input_features,
    make_data,
    read_upload,
)
from mlplab.playground.recipe import (
    hyperparameter_defaults,
    listed,
    model_call,
    optimizer_call,
    task_of,
)
from mlplab.playground.run import Run
from mlplab.playground.settings import DATA_SETS, OWNER, Settings
from mlplab.surface import error_surface

GRID = 50           # the boundary's pixels per side
SMALL_GRID = 24     # a population member's boundary
MAX_PATH = 4000     # surface-path points kept (older ones thinned out)
SURFACE_EVERY = 0.5  # seconds between recomputed error surfaces while that view is open
MAX_DIRECTION_WEIGHTS = 20_000


class Session:
    """The state behind one page (one WebSocket connection)."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self.upload: Upload | None = None
        self.playing = False
        self.build()

    # -- building ---------------------------------------------------------------------------

    def build(self) -> None:
        """Data, network and runs from the settings; training starts from iteration 0."""
        s = self.settings
        self.data: PlaygroundData = make_data(s, self.upload)
        self.task = task_of(s, self.data.task, self.data.n_classes)
        self.loss = get_loss(self.task.loss)
        self.X_train = input_features(self.data.points_train, s.features)
        self.X_test = input_features(self.data.points_test, s.features)
        self.y_train, self.y_test = self._targets(self.data.y_train), self._targets(
            self.data.y_test)
        points = frames.grid_points(self.data.domain, GRID)
        self.grid = input_features(points, s.features)
        self.small_grid = input_features(frames.grid_points(self.data.domain, SMALL_GRID),
                                         s.features)
        n_train = len(self.X_train)
        self.batch_size = None if s.batch == 0 or s.batch >= n_train else s.batch
        model = model_call(s, self.X_train.shape[1], self.task, s.seed).build()
        self.directions = DirectionChanges()
        self.main = Run(model, self.loss, optimizer_call(s).build(), self.X_train, self.y_train,
                        batch_size=self.batch_size, seed=s.seed,
                        callbacks=[DivergenceGuard(), self.directions])
        self.weight_refs = [self._weight_ref("w1", s.w1), self._weight_ref("w2", s.w2)]
        self.diverged: int | None = None
        self.curve: list[list[Any]] = []
        self.path: list[list[float]] = []
        self.surface: dict[str, Any] | None = None
        self._surface_time = 0.0
        self.population: Run | None = None
        self.population_diverged: list[int | None] = []
        self.playing = False
        self._record()

    def _targets(self, y: np.ndarray) -> np.ndarray:
        """Labels (n,) for softmax cross-entropy, else a column (n, 1) of floats."""
        return y if self.task.loss == "softmax_crossentropy" else y.reshape(-1, 1).astype(
            np.float64)

    def _weight_ref(self, key: str, spec: tuple[int, ...]) -> tuple[int, tuple[int, ...]]:
        """(param, index) of the error surface's weight `key`, checked against the network."""
        params = self.main.model.params
        param, i, j = spec
        if param < len(params):
            shape = tuple(params[param].shape)
            index = (i, j) if len(shape) == 2 else (i,)
            if all(k < n for k, n in zip(index, shape, strict=True)):
                return param, index
        shapes = ", ".join(f"{k}: {tuple(p.shape)}" for k, p in enumerate(params))
        raise refused(key, f"param:i:j naming a weight of the network (params {shapes})",
                           ":".join(map(str, spec)))

    def population_run(self) -> Run:
        """The restarts (N seeds) or the alpha sweep (N learning rates), as one population."""
        s = self.settings
        if s.view == "restarts":
            seed: Any = [s.seed + k for k in range(s.restarts)]
            optimizer = optimizer_call(s)
        else:
            seed = [s.seed] * len(s.alphas)
            optimizer = optimizer_call(s, alpha=listed(s.alphas))
        model = model_call(s, self.X_train.shape[1], self.task, seed).build()
        self.population_diverged = [None] * len(seed)
        return Run(model, self.loss, optimizer.build(), self.X_train, self.y_train,
                   batch_size=self.batch_size, seed=s.seed)

    # -- training ---------------------------------------------------------------------------

    @property
    def on_population(self) -> bool:
        return self.settings.view in ("restarts", "sweep")

    def advance(self, steps: int | None = None, seconds: float = 0.02) -> None:
        """Train the open view's run `steps` steps (default: what fits in `seconds`)."""
        if self.on_population:
            if self.population is None:
                self.population = self.population_run()
            run = self.population
            run.advance(steps or run.steps_within(seconds))
            self._mark_diverged_members()
            return
        if self.diverged is not None:
            self.playing = False
            return
        try:
            self.main.advance(steps or self.main.steps_within(seconds))
        except DivergenceError as error:
            self.diverged, self.playing = error.iteration, False
        self._record()

    def _mark_diverged_members(self) -> None:
        losses = np.atleast_1d(self.population.state.loss)
        for k, value in enumerate(losses):
            if not np.isfinite(value) and self.population_diverged[k] is None:
                self.population_diverged[k] = self.population.iteration

    def _record(self) -> None:
        """Append the losses to the curve and the surface's two weights to the path."""
        train, test = self.main.losses(self.X_train, self.y_train), self.main.losses(
            self.X_test, self.y_test)
        if not (np.isfinite(train) and np.isfinite(test)) and self.diverged is None:
            self.diverged, self.playing = self.main.iteration, False
        if self.diverged is not None:
            return
        self.train_loss, self.test_loss = float(train), float(test)
        self.curve.append([self.main.iteration, frames.number(train), frames.number(test)])
        params = self.main.model.params
        self.path.append([float(params[p][index]) for p, index in self.weight_refs])
        if len(self.path) > MAX_PATH:
            self.path = self.path[::2]
            self.curve = self.curve[::2]

    # -- frames ------------------------------------------------------------------------------

    def setup_message(self) -> dict[str, Any]:
        """What the page needs once per build: settings, points, network shape, choices."""
        d, s = self.data, self.settings
        return {"type": "setup", "query": s.to_query(), "settings": s.as_text(), "task": d.task,
                "n_classes": d.n_classes, "loss": self.task.loss, "domain": list(d.domain),
                "axis_names": list(d.axis_names),
                "train": _points(d.points_train, d.y_train), "test": _points(d.points_test,
                                                                             d.y_test),
                "y_range": self._y_range(), "features": [FEATURES[f][2] for f in s.features],
                "sizes": [self.X_train.shape[1], *s.layers, self.task.n_outputs],
                "activations": [s.activation(i) for i in range(len(s.layers))]
                + [self.task.output_activation],
                "batch_size": self.batch_size or len(self.X_train),
                "columns": self.upload.columns if self.upload else None,
                "upload_name": self.upload.name if self.upload else None,
                "hyperparameters": hyperparameter_defaults(),
                "losses": ["auto", *LOSSES], "data_sets": list(DATA_SETS),
                "feature_names": {name: FEATURES[name][2] for name in FEATURES}}

    def _y_range(self) -> list[float]:
        if self.data.task != "regression":
            return [0.0, float(max(self.data.n_classes - 1, 1))]
        y = self.data.y_train
        return [float(y.min()), float(y.max())]

    def frame(self) -> dict[str, Any]:
        """The open view's picture of the current state."""
        return self.population_frame() if self.on_population else self.main_frame()

    def frames(self) -> list[dict[str, Any]]:
        """After a build: the main network's frame, and the population's when it is open."""
        return [self.main_frame(), self.population_frame()] if self.on_population else [
            self.main_frame()]

    def main_frame(self) -> dict[str, Any]:
        """The main network: boundary, neurons, weights, losses, and the open view's extra."""
        model = self.main.model
        outputs, hidden = _forward_layers(model, self.grid)
        frame: dict[str, Any] = {
            "type": "frame", "iteration": self.main.iteration, "epoch": self.main.state.epoch,
            "playing": self.playing, "curve": self.curve[-1] if self.curve else None,
            "train_loss": frames.number(getattr(self, "train_loss", float("nan"))),
            "test_loss": frames.number(getattr(self, "test_loss", float("nan"))),
            "boundary": self._boundary(outputs, GRID),
            "neurons": self._neuron_maps(hidden),
            "weights": [frames.numbers(layer.params[0]) for layer in model.layers
                        if layer.param_names],
            "biases": [frames.numbers(layer.params[1]) if len(layer.params) > 1 else None
                       for layer in model.layers if layer.param_names],
        }
        if self.diverged is not None:
            frame["diverged"] = f"diverged at iteration {self.diverged}"
        if self.settings.view == "surface":
            frame["surface"] = self.surface_frame()
        elif self.settings.view == "directions":
            frame["directions"] = self.directions_frame()
        return frame

    def _boundary(self, outputs: np.ndarray, size: int) -> dict[str, Any]:
        """The output over the grid: P(class 1), the most likely class, or the value."""
        if self.data.task == "multiclass":
            values = np.argmax(outputs, axis=-1).astype(np.float64)
            return frames.heatmap(values.reshape(size, size), 0, self.data.n_classes - 1)
        low, high = self._y_range()
        return frames.heatmap(outputs[..., 0].reshape(size, size), low, high)

    def _neuron_maps(self, hidden: list[tuple[str, np.ndarray]]) -> list[list[dict[str, Any]]]:
        stride = frames.neuron_side(sum(a.shape[-1] for _, a in hidden), GRID)
        maps = []
        for name, activations in hidden:
            images = activations.reshape(GRID, GRID, -1)[::stride, ::stride]
            maps.append([frames.heatmap(images[..., k], *frames.activation_range(
                name, images[..., k])) for k in range(images.shape[-1])])
        return maps

    def surface_frame(self) -> dict[str, Any] | None:
        """The loss over the two chosen weights (log10), recomputed every half second."""
        now = time.monotonic()
        if self.surface is None or now - self._surface_time > SURFACE_EVERY:
            self._surface_time = now
            self.surface = self._compute_surface()
        return {**self.surface, "path": frames.numbers(self.path[-600:], 5)}

    def _compute_surface(self) -> dict[str, Any]:
        path = np.array(self.path)
        spread = float(np.ptp(path, axis=0).max()) if len(path) > 1 else 0.0
        refs = [(p, index) for p, index in self.weight_refs]
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            surface = error_surface(self.main.model, self.X_train, self.y_train, refs, n=41,
                                    radius=max(1.0, 0.6 * spread), path=path,
                                    loss=self.loss)
            image = np.log10(np.maximum(surface.losses, 1e-12)).T[::-1]  # rows: w2, top first
        labels = [r.label for r in surface.weights]
        return {"image": frames.heatmap(image), "x": frames.numbers(surface.axes[0][[0, -1]]),
                "y": frames.numbers(surface.axes[1][[0, -1]]), "labels": labels,
                "loss": self.loss.name}

    def directions_frame(self) -> dict[str, Any]:
        """Direction changes per weight of every weight matrix (the tutorials' count)."""
        counts = [c for c, p in zip(self.directions.counts, self.main.model.params, strict=True)
                  if p.ndim == 2]
        if sum(c.size for c in counts) > MAX_DIRECTION_WEIGHTS:
            return {"too_many": True}
        return {"counts": [c.tolist() for c in counts],
                "max": int(max((c.max() for c in counts), default=0))}

    def population_frame(self) -> dict[str, Any]:
        run = self.population
        if run is None:
            self.population = run = self.population_run()
        outputs, _ = _forward_layers(run.model, self.small_grid)
        train, test = run.losses(self.X_train, self.y_train), run.losses(self.X_test,
                                                                           self.y_test)
        s = self.settings
        labels = ([f"seed {s.seed + k}" for k in range(s.restarts)] if s.view == "restarts"
                  else [f"alpha = {a:g}" for a in s.alphas])
        members = []
        for k, label in enumerate(labels):
            diverged = self.population_diverged[k]
            members.append({
                "label": label, "train_loss": frames.number(train[k]),
                "test_loss": frames.number(test[k]),
                "diverged": None if diverged is None else f"diverged at iteration {diverged}",
                "boundary": self._boundary(outputs[k], SMALL_GRID)})
        finite = [(m["test_loss"], k) for k, m in enumerate(members) if m["test_loss"] is not None]
        return {"type": "population", "kind": s.view, "iteration": run.iteration,
                "playing": self.playing, "members": members,
                "best": min(finite)[1] if finite else None}

    # -- messages ----------------------------------------------------------------------------

    def handle(self, message: Any) -> list[dict[str, Any]]:
        """Answer one message from the page; returns the messages to send back."""
        try:
            return self._handle(message)
        except (ValueError, TypeError, KeyError, OSError, ImportError) as error:
            return [{"type": "error", "message": " ".join(str(error).split())}]

    def _handle(self, message: Any) -> list[dict[str, Any]]:
        kind = message.get("type") if isinstance(message, dict) else None
        if kind == "settings":
            return self._apply(message.get("query"))
        if kind in ("play", "pause"):
            self.playing = kind == "play" and not (self.diverged is not None
                                                   and not self.on_population)
            return [self.frame()]
        if kind == "step":
            self.playing = False
            self.advance(steps=1)
            return [self.frame()]
        if kind == "reset":
            self.build()
            return [self.setup_message(), *self.frames()]
        if kind == "upload":
            return self._upload(message)
        if kind == "download":
            return [self.download(str(message.get("what")))]
        raise refused("type", "one of settings, play, pause, step, reset, upload, "
                           "download", kind)

    def _apply(self, query: Any) -> list[dict[str, Any]]:
        if not isinstance(query, dict):
            raise refused("query", "an object of URL keys and values", query)
        settings = Settings.from_query({str(k): str(v) for k, v in query.items()})
        if _only_view_changed(self.settings, settings):
            refs = [self._weight_ref("w1", settings.w1), self._weight_ref("w2", settings.w2)]
            if refs != self.weight_refs:  # another pair of weights: a new path from here on
                self.weight_refs, self.path, self.surface = refs, [], None
                self._record()
            if settings.view != self.settings.view:
                self.surface = None
            self.settings, self.population = settings, None
            return [{"type": "view", "query": settings.to_query(),
                     "settings": settings.as_text()}, self.frame()]
        previous, playing = self.settings, self.playing
        self.settings = settings
        try:
            self.build()
        except (ValueError, TypeError):
            self.settings = previous
            self.build()
            raise
        self.playing = playing
        return [self.setup_message(), *self.frames()]

    def _upload(self, message: dict[str, Any]) -> list[dict[str, Any]]:
        name, content = str(message.get("name") or "upload.csv"), message.get("content")
        if not isinstance(content, str):
            raise refused("content", "the file's text", type(content).__name__)
        upload = read_upload(name, content.encode("utf-8"))
        previous = (self.upload, self.settings)
        self.upload = upload
        self.settings = self.settings.replace(data="csv", cx="", cy="", label="")
        try:
            self.build()
        except (ValueError, TypeError):
            self.upload, self.settings = previous
            self.build()
            raise
        return [self.setup_message(), *self.frames()]

    def download(self, what: str) -> dict[str, Any]:
        """The trained model file, its ONNX graph, or the Python script, as base64."""
        from mlplab.playground.script import script  # it imports session's neighbours only

        if what == "python":
            return _file("playground_run.py", "text/x-python",
                         script(self.settings, self.main.iteration, self.upload).encode())
        if what == "model":
            from mlplab.io import save

            return _file("playground_model.npz", "application/octet-stream",
                         _written(lambda path: save(self.main.model, path), ".npz"))
        if what == "onnx":
            from mlplab.export import export_onnx

            return _file("playground.onnx", "application/octet-stream",
                         _written(lambda path: export_onnx(self.main.model, path), ".onnx"))
        raise refused("what", "model, onnx or python", what)


def refused(key: str, expected: str, given: Any) -> ValueError:
    """The one-template error for a message's `key`."""
    return invalid(key, OWNER, expected, given)


def _only_view_changed(old: Settings, new: Settings) -> bool:
    """Whether only what is looked at changed (view, surface weights, population sizes)."""
    return old.replace(view=new.view, restarts=new.restarts, alphas=new.alphas, w1=new.w1,
                       w2=new.w2) == new


def _points(points: np.ndarray, y: np.ndarray) -> list[list[Any]]:
    return [[frames.number(a, 4), frames.number(b, 4), frames.number(c, 4)]
            for (a, b), c in zip(points, y, strict=True)]


def _forward_layers(model: Any, X: np.ndarray) -> tuple[np.ndarray, list[tuple[str, Any]]]:
    """The model's outputs on X and each hidden activation layer's outputs, in predict mode."""
    hidden = []
    x = X
    with np.errstate(over="ignore", invalid="ignore"):
        for layer in model.layers:
            x = layer.forward(x, training=False)
            if isinstance(layer, Activation):
                hidden.append((layer.name, np.asarray(x)))
    return np.asarray(x), hidden[:-1]


def _written(write: Any, suffix: str) -> bytes:
    """Bytes of a file that `write(path)` writes (atomically) into a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="mlplab-playground-") as folder:
        path = os.path.join(folder, "model" + suffix)
        write(path)
        with open(path, "rb") as file:
            return file.read()


def _file(name: str, mime: str, content: bytes) -> dict[str, Any]:
    return {"type": "file", "name": name, "mime": mime,
            "base64": base64.b64encode(content).decode("ascii")}
