"""The error surface: a model's loss as a function of a few chosen weights, the rest held fixed.

The tutorials picture training as a ball rolling down a bowl: hold every
weight but one (or two), vary those over a range and plot the loss.
`error_surface` computes that grid and `losses_at` the loss at any list of
points. Rather than set the weights and run the model once per point, the
points become a *population* of models that differ only in the chosen
weights, all evaluated in one forward pass (in chunks that bound the memory).
Layers before the first chosen weight see the same input at every point, so
they run once.

A weight is named by where it sits: ``(layer, "W", i, j)`` with ``layer`` its
layer's position in ``model.layers`` (as `gradient_check` reports it), or
``(param, (i, j))`` with ``param`` the array's position in ``model.params``.
The model is evaluated in predict mode (no dropout; BatchNorm uses its running
statistics) and is never changed.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from mlplab._checks import as_float_array, check_int, check_number, invalid
from mlplab.diagnostics import param_labels
from mlplab.layers import Dense, Layer
from mlplab.losses import Loss, get_loss
from mlplab.objective import check_targets, fuses_last_layer

SPEC_FORMS = "(layer, name, i, j) such as (0, 'W', 1, 2), or (param, (i, j)) such as (0, (1, 2))"
CHUNK_BUDGET = 2**22  # array elements (32 MiB of float64) a chunk of points may occupy


class WeightRef(NamedTuple):
    """One weight: entry `index` of the parameter array ``model.params[param]``.

    index: one int per axis of a single model's array (population axes left
    out); label: a readable name such as "layer 0 W[1, 2]".
    """

    param: int
    index: tuple[int, ...]
    label: str


class ErrorSurface(NamedTuple):
    """The loss over a grid of values of k chosen weights, every other weight held fixed.

    axes: k 1-D arrays of values, one per weight;
    losses: (len(axes[0]), ..., len(axes[k - 1])), ``losses[i, j]`` at
    ``(axes[0][i], axes[1][j])``; center: (k,) the held model's own values;
    loss: the loss's name; path: (n_steps, k) values the weights took in
    training, or None; path_losses: (n_steps,) the loss on this surface at the
    path's points (the other weights held, not as they were during training).
    """

    weights: tuple[WeightRef, ...]
    axes: tuple[np.ndarray, ...]
    losses: np.ndarray
    center: np.ndarray
    loss: str
    path: np.ndarray | None = None
    path_losses: np.ndarray | None = None


def weight_ref(model: Any, spec: Any, *, owner: str = "weight_ref") -> WeightRef:
    """Resolve a weight named as (layer, name, *index), (param, index) or (param, *index)."""
    if isinstance(spec, WeightRef):
        spec = (spec.param, spec.index)
    if not isinstance(spec, tuple | list) or len(spec) < 2:
        raise invalid("weights", owner, SPEC_FORMS, spec)
    if isinstance(spec[1], str):
        param, index = _param_of_layer(model, spec, owner), tuple(spec[2:])
    else:
        param = _int_below(spec[0], len(model.params), spec, owner)
        index = tuple(spec[1]) if isinstance(spec[1], tuple | list) else tuple(spec[1:])
    shape = model.params[param].shape[len(model.population):]
    if len(index) != len(shape) or not all(_is_int(i) and -n <= i < n
                                           for i, n in zip(index, shape, strict=False)):
        raise invalid("weights", owner, f"an index of {len(shape)} ints within the parameter's "
                      f"shape {shape}", spec)
    index = tuple(int(i) % n for i, n in zip(index, shape, strict=True))
    return WeightRef(param, index, f"{param_labels(model)[param]}[{', '.join(map(str, index))}]")


def _param_of_layer(model: Any, spec: Sequence[Any], owner: str) -> int:
    """The position in `params` of parameter spec[1] of layer spec[0]."""
    layer = _int_below(spec[0], len(model.layers), spec, owner)
    names = list(model.layers[layer].param_names)
    if spec[1] not in names:
        raise invalid("weights", owner, f"a parameter name of layer {layer} "
                      f"({type(model.layers[layer]).__name__}), one of {names}", spec)
    return sum(len(lay.params) for lay in model.layers[:layer]) + names.index(spec[1])


def _int_below(value: Any, n: int, spec: Any, owner: str) -> int:
    if not _is_int(value) or not 0 <= value < n:
        raise invalid("weights", owner, f"{SPEC_FORMS}, with layer in [0, {n}) or param in "
                      f"[0, {n})", spec)
    return int(value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def losses_at(model: Any, X: Any, y: Any, weights: Sequence[Any], points: Any, *,
              loss: str | Loss = "mse", member: Any = None,
              chunk_size: int | None = None) -> np.ndarray:
    """The loss with the chosen weights set to each row of `points`, every other weight held.

    weights: k weight names (see `weight_ref`); points: (n_points, k) -> (n_points,).
    member: which model of a population to hold (required for a population).
    chunk_size: points per forward pass (default: as many as fit in about 32 MiB).
    """
    owner = "losses_at"
    refs = _refs(model, weights, owner)
    return _losses(model, X, y, refs, points, loss, _member(model, member, owner), chunk_size,
                   owner)


def _losses(model: Any, X: Any, y: Any, refs: list[WeightRef], points: Any, loss: Any,
            member: tuple[int, ...] | None, chunk_size: Any, owner: str) -> np.ndarray:
    """`losses_at` once the weights and member are resolved; checks the rest for `owner`."""
    loss = get_loss(loss, owner=owner)
    X = model.check_input(X, "X", owner)
    y = check_targets(model, y, X.shape[0], loss, owner)
    points = as_float_array("points", owner, points, ndim=(2,), dtype=model.dtype)
    if points.shape[1] != len(refs):
        raise invalid("points", owner, f"an array with {len(refs)} columns, one per weight",
                      f"shape {points.shape}", raw=True)
    chunk_size = check_int("chunk_size", owner, chunk_size, low=1, allow_none=True)
    evaluate = _PopulationLoss(_held_layers(model, member), refs, X, y, loss,
                               fuses_last_layer(model, loss))
    return evaluate(points, chunk_size)


def error_surface(model: Any, X: Any, y: Any, weights: Sequence[Any], *,
                  axes: Sequence[Any] | None = None, n: int = 41, radius: float = 1.0,
                  path: Any = None, loss: str | Loss = "mse", member: Any = None,
                  chunk_size: int | None = None) -> ErrorSurface:
    """The loss over a grid of values of the chosen weights, the rest held at their values.

    X: (n_samples, n_inputs); y: targets as for `fit`. weights: k weight names
    (see `weight_ref`), usually one (the "ball in a bucket" slice) or two.
    axes: k increasing 1-D arrays of values; default n values from each
    weight's held value - radius to + radius, widened to cover `path`.
    path: (n_steps, k) values recorded in training (`WeightPath.values`;
    (n_steps, *population, k) for a population, of which `member`'s is taken).
    """
    owner = "error_surface"
    loss = get_loss(loss, owner=owner)
    refs = _refs(model, weights, owner)
    member = _member(model, member, owner)
    center = np.array([_held(model.params[r.param], member)[r.index] for r in refs])
    path = _path(path, len(refs), member, owner)
    axes = _axes(axes, center, path, n, radius, owner)
    grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, len(refs))
    points = grid if path is None else np.concatenate([grid, path])
    values = _losses(model, X, y, refs, points, loss, member, chunk_size, owner)
    return ErrorSurface(tuple(refs), axes, values[:len(grid)].reshape([len(a) for a in axes]),
                        center, loss.name, path,
                        None if path is None else values[len(grid):])


def error_slice(model: Any, X: Any, y: Any, weight: Any, *, values: Any = None,
                **kwargs: Any) -> ErrorSurface:
    """The 1-D error surface of one weight: the tutorials' "ball in a bucket".

    values: the weight's values (default: see `error_surface`); other keyword
    arguments as for `error_surface`. losses: (len(values),).
    """
    axes = None if values is None else [values]
    return error_surface(model, X, y, [weight], axes=axes, **kwargs)


def _refs(model: Any, weights: Any, owner: str) -> list[WeightRef]:
    if not model.backend.is_numpy:  # every entry point comes through here first
        raise invalid("model", owner, "a NumPy model (surfaces are drawn on the host: "
                      "model.to_numpy() first)", f"a model on {model.backend.name}", raw=True)
    if isinstance(weights, str | WeightRef) or not isinstance(weights, Sequence) or not weights:
        raise invalid("weights", owner, f"a non-empty list of weights, each {SPEC_FORMS}",
                      weights)
    refs = [weight_ref(model, spec, owner=owner) for spec in weights]
    if len({(r.param, r.index) for r in refs}) < len(refs):
        raise invalid("weights", owner, "distinct weights", [r.label for r in refs])
    return refs


def _member(model: Any, member: Any, owner: str) -> tuple[int, ...] | None:
    """The population index of the model to hold, or None for a single model."""
    population = model.population
    if not population:
        if member is not None:
            raise invalid("member", owner, "None for a single model (not a population)", member)
        return None
    index = (member,) if _is_int(member) else member
    if not (isinstance(index, tuple) and len(index) == len(population)
            and all(_is_int(i) and 0 <= i < n for i, n in zip(index, population, strict=True))):
        raise invalid("member", owner, f"the index of one model of the population "
                      f"{population}, an int in [0, {population[0]})", member)
    return tuple(int(i) for i in index)


def _held(array: np.ndarray, member: tuple[int, ...] | None) -> np.ndarray:
    return array if member is None else array[member]


def _held_layers(model: Any, member: tuple[int, ...] | None) -> list[Layer]:
    """Shallow copies of the layers, each holding one model's parameters and buffers."""
    copies = []
    for layer in model.layers:
        held = copy.copy(layer)  # forward passes then write their caches on the copy
        held.params = [_held(p, member) for p in layer.params]
        held.buffers = [_held(b, member) for b in layer.buffers]
        held.population = ()
        copies.append(held)
    return copies


def _path(path: Any, k: int, member: tuple[int, ...] | None, owner: str) -> np.ndarray | None:
    if path is None:
        return None
    allowed = (2,) if member is None else (2, 2 + len(member))  # with population axes
    path = as_float_array("path", owner, path, ndim=allowed)
    if path.ndim > 2:
        path = path[(slice(None), *member)]
    if path.shape[1] != k:
        raise invalid("path", owner, f"an array (n_steps, {k}): one column per weight",
                      f"shape {path.shape}", raw=True)
    return path


def _axes(axes: Any, center: np.ndarray, path: np.ndarray | None, n: Any, radius: Any,
          owner: str) -> tuple[np.ndarray, ...]:
    """The grid's values per weight: given, or around the held values and the path."""
    if axes is not None:
        return _given_axes(axes, len(center), owner)
    n = check_int("n", owner, n, low=2)
    radius = check_number("radius", owner, radius)
    low, high = center - radius, center + radius
    if path is not None:
        margin = 0.1 * (path.max(axis=0) - path.min(axis=0))
        low = np.minimum(low, path.min(axis=0) - margin)
        high = np.maximum(high, path.max(axis=0) + margin)
    return tuple(np.linspace(lo, hi, n) for lo, hi in zip(low, high, strict=True))


def _given_axes(axes: Any, k: int, owner: str) -> tuple[np.ndarray, ...]:
    if isinstance(axes, np.ndarray) or not isinstance(axes, Sequence) or len(axes) != k:
        raise invalid("axes", owner, f"a list of {k} 1-D arrays, one per weight", axes)
    axes = tuple(as_float_array("axes", owner, a, ndim=(1,)) for a in axes)
    if not all(len(a) >= 2 and np.all(np.diff(a) > 0) for a in axes):
        raise invalid("axes", owner, "increasing arrays of at least 2 values", axes)
    return axes


class _PopulationLoss:
    """The loss at many settings of the chosen weights, each setting one model of a population.

    layers: copies holding one model's weights (see `_held_layers`). Layers
    before the first chosen weight run once. If that first layer is Dense, it
    runs once too, and per point only the output columns its chosen weights
    feed are recomputed, all points in one matrix product. Every later layer
    holding a chosen weight gets, per chunk, a stack of copies of its
    parameters: one model per point.
    """

    def __init__(self, layers: list[Layer], refs: list[WeightRef], X: np.ndarray,
                 y: np.ndarray, loss: Loss, fused: bool) -> None:
        where = [(i, j) for i, layer in enumerate(layers) for j in range(len(layer.params))]
        self.targets = [where[r.param] + (r.index,) for r in refs]
        self.start = min(i for i, _, _ in self.targets)
        self.layers, self.y, self.fused = layers, y, fused
        self.value = loss.value_from_logits if fused else loss.value
        self.x = X
        for layer in layers[:self.start]:  # the same at every point: run once
            self.x = layer.forward(self.x)
        self.dense_first = isinstance(layers[self.start], Dense)
        if self.dense_first:
            self.columns = sorted({index[-1] for i, _, index in self.targets if i == self.start})
            self.z = layers[self.start].forward(self.x)
        self.stacked = {i: list(layers[i].params) for i, _, _ in self.targets
                        if not (self.dense_first and i == self.start)}

    def __call__(self, points: np.ndarray, chunk_size: int | None) -> np.ndarray:
        chunk = chunk_size or max(1, CHUNK_BUDGET // self._elements_per_point())
        return np.concatenate([self._chunk(points[lo:lo + chunk])
                               for lo in range(0, len(points), chunk)])

    def _chunk(self, points: np.ndarray) -> np.ndarray:
        """(n, k) points -> (n,) losses, in one forward pass of a population of n."""
        n = len(points)
        for i, params in self.stacked.items():
            self.layers[i].params = [np.repeat(p[None], n, axis=0) for p in params]
            self.layers[i].population = (n,)
        for k, (i, j, index) in enumerate(self.targets):
            if i in self.stacked:
                self.layers[i].params[j][(slice(None), *index)] = points[:, k]
        out, rest = ((self._dense_outputs(points), self.start + 1) if self.dense_first
                     else (self.x, self.start))
        with np.errstate(over="ignore"):  # the sigmoid's exp overflows harmlessly
            for layer in self.layers[rest:]:
                out = layer.forward(out)
        return self.value(self.layers[-1].input if self.fused else out, self.y)

    def _dense_outputs(self, points: np.ndarray) -> np.ndarray:
        """The first chosen layer's z = x @ W + b at every point: (n_points, n_samples, n_out).

        Only the columns of W (and entries of b) that hold a chosen weight
        differ from the held model's z, so only those are recomputed.
        """
        W, *b = self.layers[self.start].params
        columns, n = self.columns, len(points)
        W_cols = np.repeat(W[None, :, columns], n, axis=0)  # (n, n_in, n_columns)
        b_cols = np.repeat(b[0][None, columns], n, axis=0) if b else None
        for k, (i, j, index) in enumerate(self.targets):
            if i == self.start:
                column = columns.index(index[-1])
                target = W_cols[:, index[0]] if j == 0 else b_cols
                target[:, column] = points[:, k]
        x = self.x
        z_cols = (x @ W_cols.transpose(1, 0, 2).reshape(x.shape[1], -1)).reshape(
            x.shape[0], n, len(columns)).transpose(1, 0, 2)  # one product for every point
        if b_cols is not None:
            z_cols += b_cols[:, None, :]
        z = np.repeat(self.z[None], n, axis=0)
        z[..., columns] = z_cols
        return z

    def _elements_per_point(self) -> int:
        """Array elements one point costs: its copies of parameters and its activations."""
        params = sum(p.size for params in self.stacked.values() for p in params)
        width, widths = self.x.shape[-1], 0
        for layer in self.layers[self.start:]:
            width = layer.output_size(width)
            widths += width
        return params + 2 * self.x.shape[-2] * widths  # 2: a temporary beside each output
