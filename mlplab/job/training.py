"""The training run: fit with early stopping and a checkpoint every epoch, the refit on all
training rows, the test score, the saved model; and the learning-rate finder on the same
settings."""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from mlplab._checks import check_int, invalid
from mlplab.batches import check_batch_size
from mlplab.callbacks import Checkpoint, EarlyStopping, MemberSteps
from mlplab.checkpoint import read_checkpoint_metadata
from mlplab.history import History
from mlplab.io import save
from mlplab.job.folds import member_folds
from mlplab.job.optimizers import build_optimizer, default_weight_decay, training_loss
from mlplab.job.prepare import Prepared, build_network, prepare
from mlplab.job.scoring import scores_of, scores_text
from mlplab.job.settings import (
    BATCH_SIZE,
    DEFAULT_PATIENCE,
    MIN_BATCH,
    MIN_DELTA,
    MIN_STEPS,
    OWNER,
    PRIOR_STRENGTH,
    VALIDATION_SPLIT,
    TrainSettings,
    checkpoint_path,
    full_batch,
    recorded,
)
from mlplab.lab.lr_find import lr_find
from mlplab.model import MLP
from mlplab.preprocessing import IMPUTE as IMPUTE
from mlplab.preprocessing import TASKS as TASKS
from mlplab.train import fit


def train_job(settings: TrainSettings, *, announce: Callable[[str], Any] | None = None
              ) -> tuple[Any, History, dict[str, Any]]:
    """Run `settings`: returns the trained model, its History and the saved metadata.

    announce: called once before training with what was prepared (the columns,
    the task) and the network's `summary()`, so the command line can show them
    before the epochs start.

    metadata["summary"] holds the lines that say what was done (columns, task,
    training, the test score), and metadata["trained"] the one on training; a run
    stopped by the epoch cap while the validation loss still improved also warns
    (`NotConverged`). The model is an ensemble of networks (a population; see
    `mlplab.ensemble` and `prepare.ensemble_size`), or one network. With early
    stopping on validation rows and `refit` (the defaults), the model returned is a
    fresh network trained on all the training rows for the steps early stopping chose
    (see `_refit`); the History is the first run's, with its validation curves.
    A full-batch solver trains on all rows at once (`batch_size` is not used)
    for at most `epochs` iterations.
    """
    build_optimizer(settings, rows=1)  # its settings checked before the data are read
    check_int("ensemble", OWNER, settings.ensemble, low=1, allow_none=True)
    prepared = prepare(settings)
    net, task, metadata = prepared.net, prepared.metadata["task"], prepared.metadata
    optimizer = build_optimizer(settings, rows=_fit_rows(settings, len(prepared.X)))
    _check_solver_validation(settings, optimizer, net)
    loss = training_loss(settings.loss, task)
    if settings.resume:
        _check_same_data(settings.resume, metadata)
    callbacks = _callbacks(settings, metadata)
    stopper = next((c for c in callbacks if isinstance(c, EarlyStopping)), None)
    if announce is not None:
        announce("\n".join([*prepared.lines, net.summary()]))
    rows = _fit_rows(settings, len(prepared.X))
    batch_size = None if full_batch(settings.optimizer) else _batch_size(settings.batch_size,
                                                                         rows)
    folds = _folds(settings, prepared)
    fit_batch = batch_size if folds is None else _fold_batch(batch_size, len(prepared.X), rows)
    history = fit(net, prepared.X, prepared.y, loss=loss, epochs=settings.epochs,
                  optimizer=optimizer, batch_size=fit_batch, seed=settings.seed,
                  metrics=["accuracy"] if task == "classification" else ["mae"],
                  callbacks=callbacks, progress=settings.progress, resume_from=settings.resume,
                  **_watched(settings, prepared, folds))
    refitted = None
    if settings.refit and stopper is not None and _validation_split(settings) is not None:
        if full_batch(settings.optimizer) and net.population:  # no MemberSteps for a solver
            refitted = ("their weights kept: a solver cannot retrain an ensemble's networks for "
                        "lengths of their own")
        else:
            stepped = rows if folds is None else len(prepared.X)  # the first run's batches' rows
            per_epoch = -(-stepped // fit_batch) if fit_batch else 1
            net, refitted = _refit(settings, prepared, loss, stopper, batch_size, per_epoch)
    trained = _stopping_line(settings, stopper, history, batch_size, len(prepared.X), refitted,
                             folds=folds, fit_batch=fit_batch)
    lines = [*prepared.lines, trained]
    metadata = dict(metadata)  # the checkpoints keep the one they were given
    metadata["trained"] = trained
    if prepared.X_test is not None:
        metadata["test"] = scores_of(net, prepared.preprocessor, prepared.X_test,
                                     prepared.y_test, baseline=prepared.y)
        lines.append("test: " + scores_text(metadata["test"]))
    metadata["summary"] = lines
    if settings.save:
        save(net, settings.save, metadata=metadata)
    return net, history, metadata


def _check_solver_validation(settings: TrainSettings, optimizer: Any, net: MLP) -> None:
    """A solver that replays an ensemble's runs (BFGS, L-BFGS) cannot watch validation rows:
    refuse --validation-split there, naming the way out."""
    if (settings.validation_split is None or not net.population
            or not getattr(optimizer, "replays_population", False)):
        return
    raise invalid("validation_split", OWNER, f"left out with {settings.optimizer!r} on an "
                  f"ensemble of {net.population[0]} networks (it solves them one after "
                  "another, so there are no weights of each iteration to validate; "
                  "--ensemble 1 trains one network that can watch a split)",
                  settings.validation_split)


def _folds(settings: TrainSettings, prepared: Prepared) -> np.ndarray | None:
    """Each member's own validation rows, (K, n) booleans (`member_folds`), for an ensemble
    watching a validation split; None for one network (a shared split) or no split."""
    split = _validation_split(settings)
    members = math.prod(prepared.net.population)
    if not prepared.net.population or members < 2 or split is None:
        return None
    if not isinstance(split, float) or not 0 < split < 1:
        raise invalid("validation_split", OWNER, "a float in the range (0, 1)", split)
    n_rows = len(prepared.X)
    if _fit_rows(settings, n_rows) < 1:
        raise invalid("validation_split", OWNER, "a fraction that leaves each network rows "
                      f"to train on besides those it watches; of the {n_rows} rows it has "
                      f"each watch {n_rows}", split)
    strata = (prepared.y if prepared.metadata["task"] == "classification"
              else np.zeros(len(prepared.y), dtype=np.int64))
    return member_folds(strata, members, split, settings.seed)


def _watched(settings: TrainSettings, prepared: Prepared,
             folds: np.ndarray | None) -> dict[str, Any]:
    """fit's arguments for the rows watched: a shared validation split, or every member its
    own fold (trained on the rest: weight 0 on its fold, 1 elsewhere)."""
    if folds is None:
        return {"validation_split": _validation_split(settings)}
    held = folds.astype(prepared.X.dtype)
    return {"sample_weight": 1.0 - held, "validation_data": (prepared.X, prepared.y, held)}


def _fold_batch(batch_size: int | None, n_rows: int, rows: int) -> int | None:
    """The batch over all n_rows that holds about `batch_size` of each member's own `rows`
    (members skip their fold's rows), so a member's batches and steps per epoch are those it
    would have on its own rows: round(batch_size n_rows / rows)."""
    if batch_size is None:
        return None
    check_batch_size(batch_size, rows)  # fit's own refusal, as a shared split would give it
    return min(n_rows, max(1, round(batch_size * n_rows / rows)))


def _refit(settings: TrainSettings, prepared: Prepared, loss: str, stopper: EarlyStopping,
           batch_size: int | None, per_epoch: int) -> tuple[MLP, str]:
    """A fresh network trained on every training row for the steps that reached the best epoch.

    Early stopping holds out VALIDATION_SPLIT of the rows to choose how long to
    train; once that length is known, the held-out rows are put back and the
    same network (the same initial weights) is trained on all rows for as many
    gradient steps as the first run took to its best epoch (Goodfellow, Bengio
    and Courville, Deep Learning, 2016, algorithm 7.2). On small data sets the
    rows held out are a fifth of what there is to learn from. An ensemble's
    members each watched their own fold (`_folds`) and had their own best epoch:
    each retrains for its own steps (`MemberSteps`), as if trained alone. No
    checkpoint: the run is short, and a resumed run refits the same way from the
    first run's last checkpoint.
    per_epoch: the first run's steps per epoch; the refit's batches of `batch_size`
    rows are drawn from all rows.
    """
    steps = (np.asarray(stopper.best_epoch) + 1) * per_epoch
    net = build_network(settings, prepared.X.shape[1], prepared.net.n_outputs,
                        prepared.metadata["task"], math.prod(prepared.net.population))
    fit(net, prepared.X, prepared.y, loss=loss, iterations=int(steps.max()),
        optimizer=build_optimizer(settings, rows=len(prepared.X)), batch_size=batch_size,
        seed=settings.seed, progress=settings.progress,
        callbacks=[MemberSteps(steps)] if net.population else ())
    counted = (f"the {int(steps.max())} steps to it" if np.all(steps == steps.max()) else
               f"the steps to its own best epoch, {_span(steps)}")
    return net, (f"then trained afresh on all {len(prepared.X)} training rows for {counted} "
                 "(--no-refit keeps the early-stopped network)")


def _span(values: np.ndarray) -> str:
    """The range of `values` in words: "12" when all are 12, else "8 to 15"."""
    low, high = int(np.min(values)), int(np.max(values))
    return str(low) if low == high else f"{low} to {high}"


def _callbacks(settings: TrainSettings, metadata: dict[str, Any]) -> list[Any]:
    """Early stopping (on by default), and the checkpoint, which records the run's settings."""
    if settings.patience is not None and not settings.early_stopping:
        raise invalid("patience", OWNER, "left out unless early stopping is on "
                      "(the default; early_stopping = true)", settings.patience)
    callbacks: list[Any] = []
    if settings.early_stopping:  # the validation loss if there is one, else the training loss
        monitor = "val_loss" if _validation_split(settings) else "loss"
        patience = DEFAULT_PATIENCE if settings.patience is None else settings.patience
        callbacks.append(EarlyStopping(monitor, patience=patience, min_delta=MIN_DELTA,
                                       restore_best_weights=True))
    where = checkpoint_path(settings)
    if where is not None:
        callbacks.append(Checkpoint(where, metadata={"train_settings": recorded(settings),
                                                     "preprocessing": metadata}))
    return callbacks


def _check_same_data(path: str, metadata: dict[str, Any]) -> None:
    """A checkpoint of `mlplab train` fitted the same preprocessing as this run did."""
    saved = read_checkpoint_metadata(path).get("preprocessing")
    if saved is not None and saved != json.loads(json.dumps(metadata)):
        raise ValueError(f"--resume {path}: the data differ from those the checkpoint was "
                         "trained on (another file, or the file changed): their task, "
                         "classes or scaling are not the recorded ones")


def _validation_split(settings: TrainSettings) -> float | None:
    """The rows held out to watch: as asked, or VALIDATION_SPLIT for early stopping (not for
    the full-batch solvers, which watch the training loss)."""
    if settings.validation_split is None and settings.early_stopping and not full_batch(
            settings.optimizer):
        return VALIDATION_SPLIT
    return settings.validation_split


def _fit_rows(settings: TrainSettings, n_rows: int) -> int:
    """The rows gradient steps see: the training rows less the validation rows."""
    split = _validation_split(settings)
    return n_rows - math.ceil(split * n_rows - 1e-9) if isinstance(split, float) else n_rows


def _batch_size(batch_size: int | None, n_rows: int) -> int:
    """As asked, or BATCH_SIZE shrunk so that even a small set takes several steps an epoch:
    min(BATCH_SIZE, max(MIN_BATCH, n_rows // MIN_STEPS))."""
    if batch_size is not None:
        return batch_size
    return max(1, min(BATCH_SIZE, max(MIN_BATCH, n_rows // MIN_STEPS), n_rows))


def _stopping_line(settings: TrainSettings, stopper: EarlyStopping | None, history: History,
                   batch_size: int | None, n_rows: int, refitted: str | None = None, *,
                   folds: np.ndarray | None = None, fit_batch: int | None = None) -> str:
    """How training ended, with a warning when the epoch cap cut it short while improving.

    A full-batch solver that stopped before the cap (converged) says so, with its reason;
    refitted: what `_refit` did after, instead of "(its weights kept)"; folds: the members'
    own validation rows, if any, said with the batches drawn over all rows (fit_batch).
    """
    epochs = len(history)
    kept = " (its weights kept)" if refitted is None else f"; {refitted}"
    ran = (f"trained for {epochs} epochs in batches of {batch_size}" if batch_size else
           f"trained for {epochs} iterations on all rows at once")
    if folds is not None:
        ran = _folds_text(epochs, folds, _validation_split(settings), batch_size, fit_batch)
    if batch_size and settings.weight_decay is None:
        rows = _fit_rows(settings, n_rows)
        ran += f" with weight decay {PRIOR_STRENGTH:g}/{rows} = {default_weight_decay(rows):.3g}"
    capped = epochs >= settings.epochs
    if not capped and history.stop_reason and (stopper is None or stopper.stopped_epoch is None):
        ran = f"{ran}, until the solver stopped ({history.stop_reason[0]})"
    if stopper is None:
        return ran
    bests = np.asarray(stopper.best_epoch) + 1
    best = int(np.max(bests))
    watched = "validation loss" if stopper.monitor == "val_loss" else "training loss"
    at = (f"epoch {best}" if bests.ndim == 0 else f"epoch {best} for every network"
          if np.all(bests == best) else f"epochs {_span(bests)}, each network at its own")
    if stopper.stopped_epoch is not None:
        return f"{ran}: stopped early, the {watched} last improved at {at}{kept}"
    if capped and epochs - best < (settings.patience or DEFAULT_PATIENCE):
        message = (f"training reached the epoch cap ({settings.epochs}) while the {watched} "
                   f"was still improving (best at {at}): raise --epochs")
        warnings.warn(message, NotConverged, stacklevel=3)
        return f"{ran}; warning: {message}"
    return f"{ran}: the {watched} was best at {at}{kept}"


def _folds_text(epochs: int, folds: np.ndarray, split: float, batch_size: int | None,
                fit_batch: int | None) -> str:
    """The start of the training line when every network watched its own rows."""
    members, n_rows = folds.shape
    share = "fifth" if split == 0.2 else f"{split:.0%}"
    partition = bool(folds.sum() == n_rows and folds.any(axis=0).all())
    how = f" ({members}-fold cross-validation)" if partition else ""
    watching = (f"each of the {members} networks watching its own {share} of the {n_rows} "
                f"rows{how}")
    if not batch_size:
        return f"trained for {epochs} iterations on all rows at once, {watching}"
    return (f"trained for {epochs} epochs, {watching} and training on the rest in batches of "
            f"about {batch_size} ({fit_batch} rows drawn a step, the watched ones skipped)")


class NotConverged(UserWarning):
    """Training stopped at the epoch cap while the validation loss was still improving."""


def lr_find_job(settings: TrainSettings, *, alphas: Any = None, steps: int = 200) -> Any:
    """The learning-rate finder on the network and data `settings` describe (see `lr_find`)."""
    prepared = prepare(settings)
    net = build_network(settings, prepared.X.shape[1], prepared.net.n_outputs,
                        prepared.metadata["task"])  # one: the finder trains copies of it
    return lr_find(net, prepared.X, prepared.y, alphas=alphas, steps=steps,
                   loss=training_loss(settings.loss, prepared.metadata["task"]),
                   optimizer=settings.optimizer,
                   batch_size=_batch_size(settings.batch_size, len(prepared.X)),
                   seed=settings.seed)
