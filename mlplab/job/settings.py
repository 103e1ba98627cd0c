"""The settings of a `mlplab train` run: the fields, the TOML file they may come from
(checked key by key), and what a checkpoint records of them to resume from the file alone."""

from __future__ import annotations

import tomllib
import types
import typing
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mlplab._checks import invalid
from mlplab.checkpoint import read_checkpoint_metadata
from mlplab.io import ModelFileError
from mlplab.optim import OPTIMIZERS
from mlplab.preprocessing import IMPUTE as IMPUTE
from mlplab.preprocessing import TASKS as TASKS

OWNER = "mlplab train"


SUFFIXES = (".csv", ".tsv", ".tab", ".txt", ".npy", ".npz", ".parquet", ".pq")


# The defaults, the same for every data set (bench/real_data.py measures them):
DEFAULT_PATIENCE = 20


PRIOR_STRENGTH = 3.0  # the default weight decay is PRIOR_STRENGTH / rows (default_weight_decay)


VALIDATION_SPLIT = 0.2  # held out of the training rows to watch for early stopping


BATCH_SIZE, MIN_BATCH, MIN_STEPS = 32, 8, 10  # see _batch_size


MIN_DELTA = 1e-4  # the least fall of the validation loss that counts as improving


ENSEMBLE = 5  # networks trained from different starts, their answers averaged (mlplab.ensemble)


# The default ensemble is for tables of at most this many cells (rows x encoded inputs): five
# networks take several times one network's time (all run until the slowest has stopped),
# some 17 s for digits' 92,000 cells on one core, about a minute at this size; larger tables
# train one network unless --ensemble asks.
ENSEMBLE_CELLS = 250_000


@dataclass
class TrainSettings:
    """The settings of one `mlplab train` run (see `mlplab train --help`)."""

    data: str = ""
    target: Any = None
    task: str = "auto"
    drop: list[str] = field(default_factory=list)
    delimiter: str | None = None
    impute: str = "median"
    test_split: float | None = None
    layers: list[int] = field(default_factory=lambda: [256])
    ensemble: int | None = None  # networks averaged; None: ENSEMBLE up to ENSEMBLE_CELLS, else 1
    activation: str = "relu"
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    epochs: int = 1000  # a cap: early stopping ends most runs long before
    batch_size: int | None = None  # None: BATCH_SIZE, shrunk for small data (_batch_size)
    validation_split: float | None = None  # None: VALIDATION_SPLIT with early stopping
    seed: int = 0
    standardize: bool = True
    dropconnect: float = 0.0
    dropout: float = 0.0
    loss: str | None = None  # None: the task's (softmax cross-entropy, or mse)
    weight_decay: float | None = None  # None: PRIOR_STRENGTH / rows (default_weight_decay)
    clip_norm: float | None = None
    early_stopping: bool = True
    patience: int | None = None  # None: DEFAULT_PATIENCE, with early_stopping only
    refit: bool = True  # after early stopping, train afresh on all rows for its steps
    save: str | None = None
    checkpoint: str | None = None
    resume: str | None = None
    plot: str | None = None  # written by the command line, not by train_job
    progress: bool = True

    @classmethod
    def from_toml(cls, path: str | Path, **overrides: Any) -> TrainSettings:
        """Settings from a TOML file (keys as the fields here), then non-None `overrides`."""
        values = read_config(path, OWNER, cls.types())
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @classmethod
    def types(cls) -> dict[str, Any]:
        """Each field's type: the TOML keys and what they hold."""
        return typing.get_type_hints(cls)


# Settings a resumed run may change: where it writes, what it shows, and how long it goes on.
RESUME_MAY_CHANGE = ("epochs", "save", "checkpoint", "plot", "progress", "resume")


# What a run did about settings added later, for a checkpoint written before they existed
# (a setting missing here takes its default): before `ensemble`, a run trained one network.
BEFORE_RECORDED = {"ensemble": 1}


PATHS = ("save", "checkpoint", "plot")


def recorded(settings: TrainSettings | dict[str, Any]) -> dict[str, Any]:
    """The settings as a checkpoint records them: plain data, without `resume`, with the
    data file and output paths absolute (so a resume from another folder finds them)."""
    values = asdict(settings) if isinstance(settings, TrainSettings) else dict(settings)
    values.pop("resume", None)
    for key in PATHS:
        if values.get(key):
            values[key] = str(Path(values[key]).resolve())
    data = values.get("data")
    if data and Path(data).is_file():
        values["data"] = str(Path(data).resolve())
    return values


def recorded_settings(path: str | Path) -> dict[str, Any] | None:
    """The settings recorded in an `mlplab train` checkpoint, checked; None if it has none."""
    saved = read_checkpoint_metadata(path).get("train_settings")
    if saved is None:
        return None
    known = TrainSettings.types()

    def fits(key: str, value: Any) -> bool:  # JSON, unlike TOML, holds None
        kind = known.get(key)
        return kind is not None and (_is_of(value, kind) or (
            value is None and type(None) in typing.get_args(kind)))

    bad = ([key for key, value in saved.items() if not fits(key, value)]
           if isinstance(saved, dict) else ["(not a dict)"])
    if bad:
        raise ModelFileError(f"{path} records mlplab train settings that this mlplab does "
                             f"not know or that have the wrong type: {bad}")
    return saved


def checkpoint_path(settings: TrainSettings) -> str | None:
    """Where the run writes its checkpoint: --checkpoint, else SAVE.ckpt.npz; None when it
    writes none (no --save or --checkpoint, or a full-batch solver)."""
    if full_batch(settings.optimizer):
        return None
    return settings.checkpoint or (f"{settings.save}.ckpt.npz" if settings.save else None)


def read_config(path: str | Path, owner: str, known: dict[str, Any]) -> dict[str, Any]:
    """The settings in a TOML file, checked: a readable file, known keys, values of their types.

    known: each key's type (``int``, ``float``, ``str``, ``bool``, ``list[int]``,
    ``X | None``, ``Any``); a wrong value is refused naming the key and the file.
    """
    try:
        values = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise invalid("config", owner, "a readable TOML file", f"{path} ({error})",
                      raw=True) from None
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise invalid("config", owner, f"keys among {sorted(known)}",
                      f"unknown keys {unknown} in {path}", raw=True)
    for key, value in values.items():
        if not _is_of(value, known[key]):
            parts = invalid(key, owner, _kind_text(known[key]), value).parameter
            raise ValueError(parts.renamed(f"'{key}' key", f"{path} ({owner} --config)"))
    return values


def _is_of(value: Any, kind: Any) -> bool:
    """Whether a TOML value is of a settings field's type (an int is a float, a bool no number)."""
    origin, arguments = typing.get_origin(kind), typing.get_args(kind)
    if kind is Any:
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_is_of(value, k) for k in arguments)
    if origin is list:
        return isinstance(value, list) and all(_is_of(v, arguments[0]) for v in value)
    if kind is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return kind is not type(None) and isinstance(value, kind)


def _kind_text(kind: Any) -> str:
    """A settings field's type in words, for the message."""
    arguments = [k for k in typing.get_args(kind) if k is not type(None)]
    if typing.get_origin(kind) is list:
        return f"a list of {_kind_text(arguments[0]).split(' ', 1)[1]}s"
    if arguments:
        return " or ".join(_kind_text(k) for k in arguments)
    return {str: "a string", int: "an integer", float: "a number",
            bool: "true or false"}.get(kind, f"a {getattr(kind, '__name__', kind)}")


def full_batch(name: str) -> bool:
    """Whether the optimizer `name` is a full-batch solver (its registry fact says so)."""
    name = OPTIMIZERS.canonical(name, owner=OWNER, parameter="optimizer")
    return bool(OPTIMIZERS.fact(name, "full_batch"))
