"""Training: `fit` runs the loop; batching, logging and guards live elsewhere.

One step is the tutorials' iteration: forward pass, "how much did we miss?",
backpropagate, then add every parameter's update, all updates computed from
the same weights before any changes.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from mlplab._checks import as_float_array, check_int, invalid
from mlplab.backend import to_numpy
from mlplab.batches import Batches, WeightedBatches
from mlplab.callbacks import (
    Callback,
    Checkpoint,
    DivergenceError,
    DivergenceGuard,
    ProgressBar,
    overrides,
)
from mlplab.callbacks.divergence import solver_error
from mlplab.callbacks.validation import Validation
from mlplab.checkpoint import resume
from mlplab.data.splitting import train_test_split
from mlplab.history import History
from mlplab.layers import BatchNorm
from mlplab.losses import Loss, get_loss, has_per_sample
from mlplab.metrics import Metric, get_metric, metric_name
from mlplab.objective import Objective, check_targets, fuses_last_layer, member_metric
from mlplab.optim import GradientTransformation, get_optimizer, sgd
from mlplab.optim.solver import Solver
from mlplab.sampling import AdaptiveSampling
from mlplab.state import TrainingState
from mlplab.streams import RandomStreams


class TrainStep:
    """One gradient step on a batch: the objective's gradients, then the optimizer's update.

    `before_update` hooks run once the loss, gradients and updates are known
    and before the updates touch the weights (the divergence guard's moment).
    """

    def __init__(self, objective: Objective, optimizer: GradientTransformation,
                 before_update: Sequence[Any] = ()) -> None:
        self.gradients, self.update = objective.step_gradients, optimizer.update
        self.before_update = list(before_update)

    def __call__(self, state: TrainingState, xb: Any, yb: Any) -> None:
        outputs, loss, grads = self.gradients(xb, yb)
        updates, state.optimizer_state = self.update(grads, state.optimizer_state, state.params)
        state.outputs, state.loss, state.grads, state.updates, state.y_batch = (
            outputs, loss, grads, updates, yb)
        for hook in self.before_update:  # a hook may change the updates (a schedule's factor)
            hook(state)
        for p, u in zip(state.params, state.updates, strict=True):  # apply_updates, inlined
            p += u


def fit(model: Any, X: Any, y: Any, *, loss: str | Loss = "mse",
        optimizer: str | GradientTransformation | Solver | None = None,
        epochs: int | None = None, iterations: int | None = None,
        batch_size: int | None = None, shuffle: bool = True, seed: Any = None,
        metrics: Sequence[str | Metric] = (), validation_data: tuple[Any, Any] | None = None,
        validation_split: float | None = None, callbacks: Sequence[Callback] = (),
        guard: bool = True, progress: bool = False,
        sampler: AdaptiveSampling | str | None = None,
        resume_from: str | os.PathLike | None = None, sample_weight: Any = None,
        optimizer_state: Any = None) -> History:
    """Train `model` in place and return its History.

    X: (n_samples, n_inputs); y: (n_samples, n_outputs), (n_samples,) for one
    output, or integer class labels (n_samples,) with softmax cross-entropy.
    Arrays of any backend are accepted and moved once to the model's (a model
    with ``backend=None`` adopts X's). Give exactly one of `epochs` (passes
    over the data) or `iterations` (steps). batch_size None is full batch;
    `seed` is the root of every random stream of the run: shuffling, the
    validation split and dropout masks (see `mlplab.streams`).
    optimizer: a transformation such as ``sgd(alpha)``, a solver such as
    ``lbfgs()``, or a name; default sgd(0.01).
    metrics: names or functions recorded per epoch beside the loss.
    validation_data (X_val, y_val) or (X_val, y_val, sample_weight_val), or
    validation_split, a fraction of the rows held out (shuffled; stratified by
    class for cross-entropy losses): its loss and metrics are recorded per
    epoch as "val_loss", "val_<metric>" (see `mlplab.callbacks.Validation` for
    what weights do to them).
    guard: stop with DivergenceError on a NaN or infinite loss, keeping the last
    finite weights (see DivergenceGuard). Solvers are guarded alike, from the
    loss at the starting weights on (see `mlplab.optim.solver.Solver`); with
    guard=False they stop instead and say why in ``history.stop_reason``.
    progress: show a progress bar (when the output is a terminal; needs tqdm).
    sampler: None for uniform mini-batches, or "aw-sgd" / an `AdaptiveSampling`
    for AW-SGD's learned, importance-weighted sampling (see `mlplab.sampling`).
    resume_from: a checkpoint (see `mlplab.callbacks.Checkpoint`) of this same
    run to continue from: the model, optimizer, random streams, History and
    position are restored and training goes on with the next epoch, up to
    the same `epochs` / `iterations` in all.
    sample_weight: None, or one weight s_i >= 0 per row of X, (n_samples,), not all
    zero. Each step then minimizes its batch's weighted loss

        L_s = sum_i s_i l_i / sum_i s_i m_i     (sum_i s_i l_i for "delta"),

    l_i the loss of row i and m_i its mass in the loss's mean (1, or the class
    weight of its class for a class-weighted softmax cross-entropy; see
    `mlplab.losses`): integer weights train exactly as the data with row i
    repeated s_i times would, full batch. Every member of a population gets the
    same weights, or, given weights of shape (*population, n_samples), each
    member k its own row W[k], not all zero: member k then trains exactly as a
    single model with ``sample_weight=W[k]`` on the same batches would (a 0/1
    row leaves the member's rows of weight 0 out of its training). A validation
    split splits the weights too (along their last axis), and "val_loss" is
    weighted like "loss"; metrics stay unweighted (with weights per member,
    each member's metrics, "val_" and training alike, count its rows of weight
    > 0 alone). With AW-SGD the rows are drawn to be unbiased for L_s: its
    target distribution is p_i = s_i / sum s instead of uniform (see
    `mlplab.sampling`); it takes weights shared by the population only.
    optimizer_state: continue from this optimizer state, ``history.optimizer_state``
    of an earlier fit of the same model with the same optimizer (warm start),
    instead of a fresh ``optimizer.init``. Every gradient-step fit returns its
    final state there.
    """
    _check_options(shuffle=shuffle, guard=guard, progress=progress, seed=seed,
                   resume_from=resume_from, callbacks=callbacks, metrics=metrics)
    loss = get_loss(loss)
    X = model.check_input(X, "X", "fit")
    y = check_targets(model, y, X.shape[0], loss, "fit")
    weights = _sample_weight(model, sample_weight, X.shape[0], loss)
    X, y, weights, validation = _validation(model, X, y, weights, loss, validation_data,
                                            validation_split, seed)
    _check_batch_rows(model, X.shape[0], batch_size, sampler)
    optimizer = sgd(0.01) if optimizer is None else get_optimizer(optimizer)
    objective = Objective(model, loss, X, y, weights)
    history = History()
    callbacks = _with_builtin_callbacks(callbacks, validation, loss, metrics, guard, progress)
    try:
        # The sigmoid's exp overflows harmlessly; NaNs from a diverging run are the guard's to
        # report, in one clear error instead of a trail of warnings.
        with model.backend.errstate(over="ignore", invalid="ignore" if guard else "warn"):
            if isinstance(optimizer, Solver):
                _check_solver_run(optimizer, batch_size, callbacks, resume_from, optimizer_state)
                _check_replayed_validation(optimizer, model, validation, validation_split)
                _solve(objective, optimizer, epochs, iterations, callbacks, history, seed)
            else:
                batches = _batches(objective, batch_size, shuffle, seed, sampler)
                if isinstance(batches, Callback):  # an adaptive sampler learns after each step
                    callbacks.append(batches)
                _train(objective, optimizer, batches, epochs, iterations, metrics, callbacks,
                       history, resume_from, seed, optimizer_state)
    except DivergenceError as error:
        error.history = history
        raise
    return history


def _check_options(*, shuffle: Any, guard: Any, progress: Any, seed: Any, resume_from: Any,
                   callbacks: Any, metrics: Any) -> None:
    """Refuse a wrong option before any work, each with the one-template message."""
    for name, value in (("shuffle", shuffle), ("guard", guard), ("progress", progress)):
        if not isinstance(value, bool | np.bool_):
            raise invalid(name, "fit", "True or False", value)
    if not (seed is None or isinstance(seed, np.random.Generator | np.random.SeedSequence)
            or (isinstance(seed, int | np.integer) and not isinstance(seed, bool) and seed >= 0)):
        raise invalid("seed", "fit", "None, an int >= 0 or a numpy Generator", seed)
    if resume_from is not None and (not isinstance(resume_from, str | os.PathLike)
                                    or os.fspath(resume_from) == ""):
        raise invalid("resume_from", "fit", "a checkpoint's path (a str or os.PathLike) or None",
                      resume_from)
    if not isinstance(callbacks, list | tuple) or not all(isinstance(c, Callback)
                                                          for c in callbacks):
        raise invalid("callbacks", "fit", "a list of Callback objects (mlplab.callbacks)",
                      callbacks)
    if not isinstance(metrics, list | tuple):
        raise invalid("metrics", "fit", "a list of metric names or functions, e.g. "
                      "['accuracy']", metrics)
    for metric in metrics:
        get_metric(metric)


def _check_batch_rows(model: Any, n: int, batch_size: Any, sampler: Any) -> None:
    """Batch norm needs 2 rows in every training batch: refuse sizes that leave a batch of 1."""
    if not any(isinstance(layer, BatchNorm) for layer in model.layers):
        return
    size = n if batch_size is None else check_int("batch_size", "fit", batch_size, low=1)
    size = min(size, n)  # a batch_size above n is refused by the batches, with its own message
    last = size if sampler is not None else n % size or size  # AW-SGD: batches of equal size
    if min(size, last) >= 2:
        return
    if n < 2:
        raise invalid("X", "fit", "at least 2 training rows for a model with batch norm (a "
                      "batch of one row has no variance)", f"{n} row", raw=True)
    raise invalid("batch_size", "fit", f"None or a size that leaves every batch at least 2 of "
                  f"the {n} training rows, as batch norm needs (one row has no variance), "
                  f"e.g. {_batch_sizes_near(size, n, equal=sampler is not None)}", batch_size)


def _batch_sizes_near(size: int, n: int, *, equal: bool) -> str:
    """Up to two batch sizes near `size` whose batches all hold 2 rows or more, as text."""
    def works(b: int) -> bool:
        return 2 <= b <= n and (equal or n % b != 1)

    below = next((b for b in range(size - 1, 1, -1) if works(b)), None)
    above = next((b for b in range(size + 1, n + 1) if works(b)), None)
    return " or ".join(str(b) for b in (below, above) if b is not None)


def _sample_weight(model: Any, value: Any, n: int, loss: Loss, *,
                   name: str = "sample_weight") -> Any:
    """sample_weight checked: None, or finite weights >= 0 on the model's backend in its
    dtype, (n,) for every member alike or (*population, n), one row per member; each
    member's not all zero."""
    if value is None:
        return None
    fused = fuses_last_layer(model, loss)
    if not has_per_sample(loss, from_logits=fused):
        method = "per_sample_from_logits" if fused else "per_sample"
        raise invalid(name, "fit", f"None with the loss {type(loss).__name__}, which "
                      f"defines no per-sample values ({method})", "weights", raw=True)
    population = tuple(model.population)
    ndim = (1, 1 + len(population)) if population else (1,)
    weights = as_float_array(name, "fit", value, ndim=ndim, dtype=model.dtype)
    if weights.ndim == 1 and weights.shape[0] != n:
        raise invalid(name, "fit", _weights_expected(n, population),
                      f"{weights.shape[0]} weights", raw=True)
    if weights.ndim > 1 and weights.shape != (*population, n):
        raise invalid(name, "fit", _weights_expected(n, population),
                      f"shape {weights.shape}", raw=True)
    members = weights.reshape(-1, n)
    if np.any(weights < 0) or not np.all(np.any(members > 0, axis=-1)):
        each = ", for every member" if weights.ndim > 1 else ""
        raise invalid(name, "fit", f"weights >= 0, not all zero{each}",
                      _weights_given(members), raw=True)
    return weights if model.backend.is_numpy else model.backend.asarray(weights)


def _weights_expected(n: int, population: tuple[int, ...]) -> str:
    one_each = f"{n} weights, one per row of X"
    if not population:
        return one_each
    return (f"{one_each} (shape ({n},), every member alike) or one row of them per member "
            f"of the population, shape {(*population, n)}")


def _weights_given(members: np.ndarray) -> str:
    """What is wrong with weights (members, n) in words: their range, or whose are all zero."""
    if members.shape[0] > 1 and np.all(members >= 0):
        zero = np.flatnonzero(~np.any(members > 0, axis=-1)).tolist()
        return f"all zero for members {zero}"
    return f"weights from {members.min():g} to {members.max():g}"


def _batches(objective: Objective, batch_size: Any, shuffle: bool, seed: Any,
             sampler: Any) -> Batches:
    """Uniform batches (carrying their sample weights, if any), or an adaptive sampler's."""
    if sampler is None and objective.sample_weight is not None:
        return WeightedBatches(objective, batch_size, shuffle=shuffle, seed=seed)
    if sampler is None:
        return Batches(objective.X, objective.y, batch_size, shuffle=shuffle, seed=seed,
                       backend=objective.model.backend)
    if sampler == "aw-sgd":
        sampler = AdaptiveSampling()
    if not isinstance(sampler, AdaptiveSampling):
        raise invalid("sampler", "fit", "None, 'aw-sgd' or an AdaptiveSampling", sampler)
    weights = objective.sample_weight
    if weights is not None and weights.ndim > 1:  # one distribution q draws every member's rows
        raise invalid("sampler", "fit", "None with a sample_weight per member (AW-SGD draws "
                      "the same rows for every member; give sample_weight of shape "
                      f"({weights.shape[-1]},))", "an AdaptiveSampling", raw=True)
    return sampler.batches(objective, batch_size, seed)


def _train(objective: Objective, optimizer: GradientTransformation, batches: Batches,
           epochs: Any, iterations: Any, metrics: Sequence[str | Metric],
           callbacks: list[Callback], history: History, resume_from: Any, seed: Any,
           optimizer_state: Any = None) -> None:
    """The gradient-step loop, set up: step, state and epoch bookkeeping."""
    model, loss = objective.model, objective.loss
    n_epochs, max_steps = _duration(epochs, iterations, batches.per_epoch)
    hooks = Hooks(callbacks)
    if optimizer_state is None:
        optimizer_state = optimizer.init(model.params)
    state = TrainingState(model, optimizer_state, history, epochs=n_epochs, max_steps=max_steps)
    state.random_streams = RandomStreams(model, seed, batches=batches.rng)
    state.stateful_callbacks = [c for c in callbacks if overrides(c, "get_state")]
    state.optimizer_config = _config_or_none(optimizer)
    objective.rngs = state.random_streams.per_layer
    if resume_from is not None:
        resume(resume_from, state, optimizer)
        _check_resumed_length(state, epochs, iterations, resume_from)
    meter = EpochMeter(history, metrics, summed=loss.reduction == "sum", n=batches.n,
                       single_batch=batches.per_epoch == 1,
                       weighted=batches if isinstance(batches, WeightedBatches) else None)
    step = TrainStep(objective, optimizer, hooks.before_update)
    try:
        if type(batches) is Batches and batches.per_epoch == 1:
            _full_batch_loop(state, step, batches, hooks, meter, n_epochs)
        else:
            _loop(state, step, batches, hooks, meter, n_epochs, max_steps)
    finally:
        history.iterations = state.iteration
        history.optimizer_state = state.optimizer_state


def _check_resumed_length(state: TrainingState, epochs: Any, iterations: Any,
                          path: Any) -> None:
    """A resumed run goes on up to `epochs` (or `iterations`) in all: refuse fewer than the
    checkpoint has already done, rather than stop at once with nothing said."""
    if epochs is not None and epochs < state.epoch:
        raise invalid("epochs", "fit", f"at least the {state.epoch} epochs the checkpoint "
                      f"{os.fspath(path)} has done (a resumed run continues up to `epochs` in "
                      "all)", epochs)
    if iterations is not None and iterations < state.iteration:
        raise invalid("iterations", "fit", f"at least the {state.iteration} iterations the "
                      f"checkpoint {os.fspath(path)} has done (a resumed run continues up to "
                      "`iterations` in all)", iterations)


def _config_or_none(optimizer: GradientTransformation) -> Any:
    """The optimizer's config for checkpoints, or None when it cannot be written down."""
    try:
        return optimizer.get_config()
    except ValueError:  # a hand-built link or a function schedule: checked by state shape only
        return None


def _check_replayed_validation(solver: Solver, model: Any, validation: Any, split: Any) -> None:
    """Refuse validation where a solver replays a population's runs: the model holds the
    final weights while the iterations are reported, so every "val_loss" would be the last."""
    if validation is None or not solver.replays_population or not model.population:
        return
    name = "validation_split" if split is not None else "validation_data"
    raise invalid(name, "fit", f"None with {solver.name} on a population: its members are "
                  "solved one after another and their iterations reported afterwards, when "
                  "only the final weights are left to validate (fit the members one at a "
                  "time, or use a gradient optimizer)", split if split is not None else
                  "validation data", raw=split is None)


def _check_solver_run(solver: Solver, batch_size: Any, callbacks: list[Callback],
                      resume_from: Any, optimizer_state: Any) -> None:
    """A solver sees the whole data set and keeps its search to itself: no checkpoints."""
    if optimizer_state is not None:
        raise invalid("optimizer_state", "fit", f"None with the solver {solver.name} (it keeps "
                      "no state between fits)", "a state", raw=True)
    if batch_size is not None:
        raise invalid("batch_size", "fit", f"None: {solver.name} is a full-batch solver",
                      batch_size)
    if resume_from is not None:
        raise invalid("resume_from", "fit", f"None with the solver {solver.name} (its search "
                      "state cannot be saved, so there is no checkpoint to resume)", resume_from)
    if any(isinstance(c, Checkpoint) for c in callbacks):
        raise invalid("callbacks", "fit", f"callbacks without Checkpoint with the solver "
                      f"{solver.name} (its search state cannot be saved; save the model "
                      "afterwards with mlplab.save)", "a Checkpoint", raw=True)


def _solve(objective: Objective, solver: Solver, epochs: Any, iterations: Any,
           callbacks: list[Callback], history: History, seed: Any) -> None:
    """A solver's own full-batch loop; each solver iteration counts as one epoch."""
    max_iterations, _ = _duration(epochs, iterations, 1)
    hooks = Hooks(callbacks)
    state = TrainingState(objective.model, None, history, epochs=max_iterations,
                          max_steps=max_iterations)
    state.random_streams = RandomStreams(objective.model, seed)
    state.solver = solver
    objective.rngs = state.random_streams.per_layer  # dropout masks follow fit's seed
    losses = history.column("loss")

    def on_iteration(loss: Any) -> bool:
        state.loss = loss
        losses.append(loss)
        for hook in hooks.epoch_end:
            hook(state)
        state.iteration += 1
        state.epoch = state.iteration
        return state.stop_training

    hooks.call("on_train_begin", state)
    result = solver.minimize(objective, max_iterations, on_iteration)
    history.iterations, history.stop_reason = result.iterations, result.stop_reason
    if result.diverged and any(isinstance(c, DivergenceGuard) for c in callbacks):
        raise solver_error(solver.name, result.diverged, objective.model.population)
    hooks.call("on_train_end", state)


def _validation(model: Any, X: Any, y: Any, weights: Any, loss: Loss, data: Any,
                split: Any, seed: Any) -> tuple[Any, Any, Any, Any]:
    """(X_train, y_train, weights_train, validation) from validation_data or validation_split.

    validation: None, or (X_val, y_val, weights_val or None) for the Validation callback.
    """
    if data is not None and split is not None:
        raise invalid("validation_data", "fit", "given alone, not with validation_split",
                      "both", raw=True)
    if data is not None:
        if not isinstance(data, tuple | list) or len(data) not in (2, 3):
            raise invalid("validation_data", "fit", "a pair (X_val, y_val) or a triple "
                          "(X_val, y_val, sample_weight_val)", data)
        X_val = model.check_input(data[0], "validation_data", "fit")
        n_val = X_val.shape[0]
        weights_val = None if len(data) == 2 else _sample_weight(
            model, data[2], n_val, loss, name="validation_data")
        return X, y, weights, (X_val, check_targets(model, data[1], n_val, loss, "fit",
                                                    name="validation_data"), weights_val)
    if split is None:
        return X, y, weights, None
    if not isinstance(split, float) or not 0 < split < 1:
        raise invalid("validation_split", "fit", "a float in the range (0, 1)", split)
    leaves = "a fraction that leaves at least one row for training and one for validation"
    if X.shape[0] < 2:
        raise invalid("validation_split", "fit", f"None with {X.shape[0]} row of data ({leaves})",
                      split)
    # The rows' numbers are split (X's values play no part in the split), so that the
    # weights follow their rows; classes are stratified.
    rows = np.arange(X.shape[0])[:, None]
    parts = train_test_split(rows, to_numpy(y), test_size=split, seed=seed,
                             stratify=loss.logits_of is not None)
    if len(parts.X_train) == 0:
        raise invalid("validation_split", "fit", f"{leaves}; of the {X.shape[0]} rows it holds "
                      f"out all {len(parts.X_test)}", split)
    if weights is not None:
        _check_split_weights(to_numpy(weights), parts.X_train[:, 0], parts.X_test[:, 0], split)
    return (*_rows(model, X, y, weights, parts.X_train[:, 0]),
            _rows(model, X, y, weights, parts.X_test[:, 0]))


def _check_split_weights(weights: np.ndarray, train: np.ndarray, held: np.ndarray,
                         split: float) -> None:
    """Refuse a split that leaves a member (or the model) no row of weight > 0 on a side:
    it would not train, or its val_loss would be 0 at every epoch."""
    members = weights.reshape(-1, weights.shape[-1])
    for side, rows in (("training", train), ("validation", held)):
        empty = np.flatnonzero(~np.any(members[:, rows] > 0, axis=-1)).tolist()
        if empty:
            who = f"members {empty}" if weights.ndim > 1 else "the model"
            raise invalid("validation_split", "fit", "a split that leaves rows of weight > 0 "
                          "on both sides", f"{split}, which leaves {who} no {side} row of "
                          "weight > 0", raw=True)


def _rows(model: Any, X: Any, y: Any, weights: Any, rows: np.ndarray) -> tuple[Any, Any, Any]:
    """Rows `rows` (host indices) of X, y and the weights (None stays None; per-member
    weights (*population, n) along their last axis), on the model's backend."""
    if model.backend.is_numpy:
        return X[rows], y[rows], None if weights is None else weights[..., rows]
    xp, index = model.backend.xp, model.backend.asarray(rows)
    return (xp.take(X, index, axis=0), xp.take(y, index, axis=0),
            None if weights is None else xp.take(weights, index, axis=-1))


def _with_builtin_callbacks(callbacks: Sequence[Callback], validation: Any, loss: Loss,
                            metrics: Sequence[str | Metric], guard: bool,
                            progress: bool) -> list[Callback]:
    """Validation first (others read its results), the user's, then guard and progress bar."""
    result = []
    if validation is not None:
        X_val, y_val, weights_val = validation
        result.append(Validation(X_val, y_val, loss, metrics, sample_weight=weights_val))
    result += list(callbacks)
    if guard and not any(isinstance(c, DivergenceGuard) for c in result):
        result.append(DivergenceGuard())
    if progress:
        result.append(ProgressBar())
    return result


class Hooks:
    """The callbacks' hooks, keeping per-step lists to those actually overridden.

    Checkpoints come last, whatever their place in the list: a checkpoint
    records an epoch once every other callback has done with it (early
    stopping's count, a scheduler's step), so a run resumed from it goes on
    exactly as the unbroken run did.
    """

    def __init__(self, callbacks: list[Callback]) -> None:
        self.callbacks = sorted(callbacks, key=lambda c: isinstance(c, Checkpoint))  # stable
        self.step_begin = self._overridden("on_step_begin")
        self.before_update = self._overridden("on_before_update")
        self.step_end = self._overridden("on_step_end")
        self.epoch_end = self._overridden("on_epoch_end")

    def _overridden(self, hook: str) -> list[Any]:
        return [getattr(c, hook) for c in self.callbacks if overrides(c, hook)]

    def call(self, hook: str, state: TrainingState) -> None:
        for c in self.callbacks:
            getattr(c, hook)(state)


def _loop(state: TrainingState, step: TrainStep, batches: Batches, hooks: Hooks,
          meter: EpochMeter, n_epochs: int, max_steps: int) -> None:
    hooks.call("on_train_begin", state)
    step_begin, step_end, epoch_end = hooks.step_begin, hooks.step_end, hooks.epoch_end
    take_step, add, next_batches = step.__call__, meter.add, batches.epoch  # bound once
    for epoch in range(_first_epoch(state, n_epochs), n_epochs):
        state.epoch = epoch
        for xb, yb in next_batches():
            for hook in step_begin:
                hook(state)
            take_step(state, xb, yb)
            for hook in step_end:
                hook(state)
            add(state, xb)
            state.iteration += 1
            if state.stop_training or state.iteration == max_steps:
                break
        meter.end_epoch(state)
        for hook in epoch_end:
            hook(state)
        if state.stop_training or state.iteration == max_steps:
            break
    hooks.call("on_train_end", state)


def _first_epoch(state: TrainingState, n_epochs: int) -> int:
    """Where the epochs start: 0, or later when resuming; none are left when a callback
    (or a restored checkpoint) has already stopped training."""
    return n_epochs if state.stop_training else state.epoch


def _full_batch_loop(state: TrainingState, step: TrainStep, batches: Batches, hooks: Hooks,
                     meter: EpochMeter, n_epochs: int) -> None:
    """`_loop` with one batch per epoch, the whole data set: every epoch is one step.

    The same hooks in the same order, written without the inner loop over
    batches: on the tutorials' small networks the loop's own Python is a
    measurable share of each step (bench/tutorial_speed.py).
    """
    hooks.call("on_train_begin", state)
    step_begin, step_end, epoch_end = hooks.step_begin, hooks.step_end, hooks.epoch_end
    take_step, end_epoch, (xb, yb) = step.__call__, meter.end_epoch, batches.epoch()[0]
    for epoch in range(_first_epoch(state, n_epochs), n_epochs):  # n_epochs: the step limit
        state.epoch = epoch
        for hook in step_begin:
            hook(state)
        take_step(state, xb, yb)
        for hook in step_end:
            hook(state)
        state.iteration += 1
        end_epoch(state)
        for hook in epoch_end:
            hook(state)
        if state.stop_training:
            break
    hooks.call("on_train_end", state)


class EpochMeter:
    """Records each epoch's loss and metrics in the History.

    Batches are averaged weighted by their size (with sample weights, by their
    share of the weighted loss; metrics stay unweighted); a summed loss (the delta
    rule) is added up instead, so an epoch's value is the loss over all its
    samples either way. With a row of sample weights per member, each member's
    metrics count its own rows of weight > 0 alone (`mlplab.objective.member_metric`),
    each batch weighted by its share of them. With one batch per epoch (full
    batch) the step's own values are the epoch's, and nothing needs adding up.
    """

    def __init__(self, history: History, metrics: Sequence[str | Metric], *, summed: bool,
                 n: int, single_batch: bool, weighted: WeightedBatches | None = None) -> None:
        self.weighted = weighted  # its batches' loss_share weighs their (weighted) losses
        self.per_member = weighted is not None and weighted.per_member
        self.metrics = [get_metric(m) for m in metrics]
        self.loss_column = history.column("loss")
        self.metric_columns = [history.column(metric_name(m)) for m in metrics]
        self.summed, self.n = summed, n
        self.loss_total: Any = 0.0
        self.metric_totals: list[Any] = [0.0] * len(self.metrics)
        if single_batch:  # the hot path of full-batch training: record the step directly
            self.add = _ignore  # type: ignore[method-assign]
            self.end_epoch = self._record_step  # type: ignore[method-assign]

    def add(self, state: TrainingState, xb: np.ndarray) -> None:
        weight = xb.shape[0] / self.n
        share = weight if self.weighted is None else self.weighted.loss_share
        self.loss_total += state.loss if self.summed else state.loss * share
        if self.per_member and self.metrics:
            weight = self._member_share(state)
        for i, metric in enumerate(self.metrics):
            self.metric_totals[i] += self._metric(metric, state) * weight

    def end_epoch(self, state: TrainingState) -> None:
        self.loss_column.append(self.loss_total)
        for column, total in zip(self.metric_columns, self.metric_totals, strict=True):
            column.append(total)
        self.loss_total, self.metric_totals = 0.0, [0.0] * len(self.metrics)

    def _record_step(self, state: TrainingState) -> None:
        self.loss_column.append(state.loss)
        if self.metrics:
            for column, metric in zip(self.metric_columns, self.metrics, strict=True):
                column.append(self._metric(metric, state))

    def _metric(self, metric: Metric, state: TrainingState) -> Any:
        """The metric on the step's batch: over all its rows, or per member over its own."""
        if not self.per_member:
            return metric(state.outputs, state.y_batch)
        return member_metric(metric, state.outputs, state.y_batch,
                             self.weighted.objective.batch_weights)  # type: ignore[union-attr]

    def _member_share(self, state: TrainingState) -> Any:
        """Each member's share of its rows of weight > 0 in this batch, on the model's backend."""
        share = self.weighted.member_share  # type: ignore[union-attr]
        backend = state.model.backend
        return share if backend.is_numpy else backend.asarray(share, dtype=state.model.dtype)


def _ignore(*args: Any) -> None:
    """A hook that does nothing."""


def _duration(epochs: Any, iterations: Any, per_epoch: int) -> tuple[int, int]:
    """(number of epochs, step limit) from exactly one of epochs / iterations."""
    if (epochs is None) == (iterations is None):
        raise invalid("epochs", "fit", "given, or 'iterations' given, but not both",
                      f"epochs={epochs!r}, iterations={iterations!r}", raw=True)
    if epochs is not None:
        epochs = check_int("epochs", "fit", epochs, low=1)
        return epochs, epochs * per_epoch
    iterations = check_int("iterations", "fit", iterations, low=1)
    return -(-iterations // per_epoch), iterations
