"""From a user's table to the network's numbers and back: one fitted, savable object.

`TablePreprocessor.fit` learns, from the training rows only:

- which columns are inputs: every column but the target, the ones the user
  drops (IDs), the constant ones (one distinct value, or none) and text columns
  with a different value in most rows (more than MANY_CATEGORIES and than half
  the rows: names, free text) or with more than MAX_CATEGORIES values (their
  one-hot block would be wider than any table mlplab is for);
- for a number column x: the fill value m (the median) for missing entries and
  the standardization z = (x_filled - mean) / scale (scale the population
  standard deviation);
- for a text column: its categories c_1..c_K (sorted) and the fill value (the
  most frequent); a value becomes the one-hot row e_k, an unseen value all zeros;
- for the target: the classes (exactly the labels present, sorted, mapped to
  0..K-1), or for a regression the standardization t = (y - mean) / scale,
  undone on the way out: y_hat = t_hat * scale + mean.

A target is something to learn only if it holds two distinct values or more,
and classes only if they have about two rows each on average (at most
min(MAX_CLASSES_FORCED, ceil(n_rows / 2)) of them): `detect_task` refuses others.

The inputs are laid out as the number columns (in the file's order), then each
text column's one-hot block (in the file's order). `get_config` is plain JSON
data (no pickle), kept in the model file's metadata; `from_config` rebuilds it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlplab._checks import check_choice, invalid
from mlplab.data.table import Table

TASKS = ("auto", "classification", "regression")
IMPUTE = ("median", "none")
MAX_CLASSES = 100
ROWS_PER_CLASS = 5
MANY_CATEGORIES = 100  # a text column with more distinct values than this and than half the
# rows is an ID or free text: its one-hot columns would only memorize rows, so it is not used
MAX_CATEGORIES = 1000  # the widest one-hot block: n_rows x this many float64 inputs
MAX_CLASSES_FORCED = 1000  # the most classes, even with --task classification


def detect_task(values: np.ndarray, name: str, task: str = "auto",
                owner: str = "mlplab train") -> tuple[str, str]:
    """The task a target column asks for, and why, in words. values: (n_rows,), no missing.

    Text (or true/false) labels are classes. Numbers with a fractional part are a
    regression. Whole numbers are classes when there are few distinct values for
    the rows: at most max(2, min(MAX_CLASSES, n_rows // ROWS_PER_CLASS)), i.e. on
    average at least ROWS_PER_CLASS rows a class; otherwise a regression (20 rows
    of ages is a regression, 150 iris rows of 0/1/2 are three classes).
    A column of one value, or classes of a row each, is refused (module doc).
    """
    task = check_choice("task", owner, task, TASKS)
    distinct = len(np.unique(values))
    if distinct < 2:
        shown = f"{_plain(values[0])!r} in all {len(values)} labelled rows" if len(values) \
            else "no labelled rows"
        raise invalid("target", owner, "a column of at least two distinct values to learn",
                      f"{name!r} with {shown}", raw=True)
    if task != "auto":
        if task == "regression" and values.dtype == object:
            raise invalid("task", owner, f"'classification' or 'auto' for the text labels "
                          f"of {name!r}", task)
        if task == "classification":
            _check_classes(distinct, values, name, owner, forced=True)
        return task, "as --task says"
    if values.dtype == object:
        _check_classes(distinct, values, name, owner, forced=False)
        return "classification", f"from the text labels of {name!r}"
    if np.any(values != np.round(values)):
        return "regression", f"{name!r} holds numbers with fractions"
    limit = max(2, min(MAX_CLASSES, len(values) // ROWS_PER_CLASS))
    if distinct <= limit:
        return "classification", (f"{name!r} holds {distinct} distinct whole numbers in "
                                  f"{len(values)} rows (at most {limit} are classes)")
    return "regression", (f"{name!r} holds {distinct} distinct whole numbers in {len(values)} "
                          f"rows (more than {limit}, too many for classes)")


def _check_classes(distinct: int, values: np.ndarray, name: str, owner: str, *,
                   forced: bool) -> None:
    """Refuse classes with fewer than two rows each on average: nothing to learn from them."""
    limit = min(MAX_CLASSES_FORCED, (len(values) + 1) // 2)
    if distinct <= limit:
        return
    seen = f"{name!r} with {distinct} distinct labels in {len(values)} rows (at most {limit})"
    if forced and values.dtype != object:
        raise invalid("task", owner, f"'regression' or 'auto' for {seen}", "'classification'",
                      raw=True)
    raise invalid("target", owner, "a column of classes with two rows each on average (not "
                  "an ID or free text)", seen, raw=True)


def present(values: np.ndarray) -> np.ndarray:
    """Which entries of a column are not missing: (n_rows,) bool."""
    if values.dtype == object:
        return np.array([v is not None for v in values], dtype=bool)
    return ~np.isnan(values)


def _plain(value: Any) -> Any:
    """A label as JSON keeps it: text, or a number (an int when whole)."""
    if isinstance(value, str):
        return value
    value = float(value)
    return int(value) if value == round(value) else value


class TablePreprocessor:
    """The columns, imputation, encoding and scaling fitted on training rows (module doc)."""

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        self.config = config

    # -- fitting -----------------------------------------------------------------------
    def fit(self, table: Table, *, target: str, task: str, drop: list[str] | tuple = (),
            impute: str = "median", standardize: bool = True,
            classes: list[Any] | None = None) -> TablePreprocessor:
        """Learn everything from `table` (the training rows). classes: the labels to encode
        (default: those of `table`); task: "classification" or "regression"."""
        impute = check_choice("impute", "mlplab train", impute, IMPUTE)
        drop = [table.find(key, "mlplab train", "drop") for key in drop]
        if target in drop:
            raise invalid("drop", "mlplab train", "columns other than the target", target)
        config: dict[str, Any] = {"columns": list(table.names), "target": target,
                                  "task": task, "impute": impute, "numbers": [], "texts": [],
                                  "ignored": {name: "dropped (--drop)" for name in drop},
                                  "summary": []}
        for name in table.names:
            if name != target and name not in drop:
                self._fit_column(config, name, table, impute, standardize)
        self._fit_target(config, table.column(target), classes)
        self.config = config
        if not self.n_inputs:
            raise invalid("data", "mlplab train", "at least one input column besides the "
                          f"target that is not dropped or constant in {table.source}",
                          f"none ({_ignored_text(config)})", raw=True)
        return self

    def _fit_column(self, config: dict[str, Any], name: str, table: Table,
                    impute: str, standardize: bool) -> None:
        values = table.column(name)
        known = present(values)
        seen = values[known]
        if len(np.unique(seen)) <= 1:
            config["ignored"][name] = "constant" if seen.size else "empty"
            return
        n_missing = int((~known).sum())
        if n_missing and impute == "none":
            raise _missing_error(name, table, "mlplab train")
        if values.dtype == object:
            categories, counts = np.unique(seen.astype(str), return_counts=True)
            if len(categories) > max(MANY_CATEGORIES, len(values) / 2):
                config["ignored"][name] = (f"text with {len(categories)} distinct values in "
                                           f"{len(values)} rows (an ID or free text?)")
                return
            if len(categories) > MAX_CATEGORIES:
                config["ignored"][name] = (f"text with {len(categories)} distinct values, too "
                                           f"many to one-hot encode (at most {MAX_CATEGORIES})")
                return
            fill = str(categories[np.argmax(counts)])
            config["texts"].append({"name": name, "categories": categories.tolist(),
                                    "fill": fill})
            if n_missing:
                config["summary"].append(f"{name!r}: {n_missing} missing filled with the most "
                                         f"frequent value {fill!r}")
            return
        fill = float(np.median(seen))
        filled = np.where(known, values, fill)
        mean, scale = (float(filled.mean()), float(filled.std()) or 1.0) if standardize \
            else (0.0, 1.0)
        config["numbers"].append({"name": name, "fill": fill, "mean": mean, "scale": scale})
        if n_missing:
            config["summary"].append(f"{name!r}: {n_missing} missing filled with the median "
                                     f"{fill:.6g}")

    def _fit_target(self, config: dict[str, Any], values: np.ndarray,
                    classes: list[Any] | None) -> None:
        values = values[present(values)]
        if config["task"] == "classification":
            labels = classes if classes is not None else np.unique(values).tolist()
            config["classes"] = [_plain(v) for v in labels]
        else:
            config["target_mean"] = float(values.mean())
            config["target_scale"] = float(values.std()) or 1.0

    # -- what was learned --------------------------------------------------------------
    @property
    def numbers(self) -> list[dict[str, Any]]:
        return self.config["numbers"]

    @property
    def texts(self) -> list[dict[str, Any]]:
        return self.config["texts"]

    @property
    def target(self) -> str:
        return self.config["target"]

    @property
    def task(self) -> str:
        return self.config["task"]

    @property
    def classes(self) -> list[Any] | None:
        return self.config.get("classes")

    @property
    def n_inputs(self) -> int:
        """The network's inputs: one per number column, one per category of every text column."""
        return len(self.numbers) + sum(len(t["categories"]) for t in self.texts)

    @property
    def input_columns(self) -> list[str]:
        """The columns the network reads, in the order of its inputs."""
        return [c["name"] for c in self.numbers] + [c["name"] for c in self.texts]

    def summary(self) -> list[str]:
        """What was done to which column, one short line each."""
        lines = [f"{name!r}: {why}, not used" for name, why in self.config["ignored"].items()]
        lines += self.config["summary"]
        for column in self.texts:
            shown = ", ".join(map(_shown, column["categories"][:6]))
            more = ", ..." if len(column["categories"]) > 6 else ""
            lines.append(f"{column['name']!r}: text, one-hot encoded into "
                         f"{len(column['categories'])} columns ({shown}{more})")
        scaled = "standardized" if any(c["scale"] != 1.0 or c["mean"] != 0.0
                                       for c in self.numbers) else "used as they are"
        if self.numbers:
            lines.append(f"{len(self.numbers)} number columns {scaled}")
        return lines

    # -- applying ----------------------------------------------------------------------
    def check_columns(self, table: Table, owner: str) -> None:
        """Refuse a table that lacks an input column or has columns training never saw."""
        missing = [n for n in self.input_columns if n not in table.names]
        extra = [n for n in table.names if n not in self.config["columns"]]
        if missing or extra:
            problems = [f"missing {_quoted(missing)}" if missing else "",
                        f"unknown {_quoted(extra)}" if extra else ""]
            raise invalid("data", owner, f"a table with the input columns the model was "
                          f"trained on ({_quoted(self.input_columns)})",
                          f"{table.source} with {' and '.join(p for p in problems if p)}",
                          raw=True)

    def transform(self, table: Table, owner: str = "mlplab predict") -> np.ndarray:
        """The network's inputs for the rows of `table`: (n_rows, n_inputs) float64."""
        self.check_columns(table, owner)
        blocks = [self._number(c, table, owner) for c in self.numbers]
        blocks += [self._one_hot(c, table, owner) for c in self.texts]
        return np.concatenate(blocks, axis=1)

    def _number(self, column: dict[str, Any], table: Table, owner: str) -> np.ndarray:
        values = table.column(column["name"])
        if values.dtype == object:
            bad = next(v for v in values if v is not None)
            raise invalid("data", owner, f"numbers in the column {column['name']!r}, as in "
                          "training", f"the text {bad!r}", raw=True)
        if self.config["impute"] == "none" and np.isnan(values).any():
            raise _missing_error(column["name"], table, owner)
        filled = np.where(np.isnan(values), column["fill"], values)
        return ((filled - column["mean"]) / column["scale"])[:, None]

    def _one_hot(self, column: dict[str, Any], table: Table, owner: str) -> np.ndarray:
        values = table.column(column["name"])
        known = present(values)
        if self.config["impute"] == "none" and not known.all():
            raise _missing_error(column["name"], table, owner)
        index = {c: k for k, c in enumerate(column["categories"])}
        fill = index[column["fill"]]
        codes = np.array([index.get(str(v), -1) if k else fill for v, k in zip(values, known,
                                                                               strict=True)],
                         dtype=np.int64)
        block = np.zeros((len(values), len(index)))
        seen = np.flatnonzero(codes >= 0)  # an unseen value stays all zeros
        block[seen, codes[seen]] = 1.0
        return block

    def unseen(self, table: Table) -> list[str]:
        """Lines naming text values `table` has that training never saw (encoded as zeros)."""
        lines = []
        for column in self.texts:
            values = table.column(column["name"])
            new = sorted({str(v) for v in values[present(values)]} - set(column["categories"]))
            if new:
                lines.append(f"{column['name']!r}: {len(new)} values unseen in training "
                             f"({_quoted(new[:5])}{', ...' if len(new) > 5 else ''}) "
                             "encoded as all zeros")
        return lines

    def encode_target(self, values: np.ndarray, owner: str) -> np.ndarray:
        """Targets as the network learns them: class indices (n,) or standardized values (n,)."""
        if self.task == "regression":
            if values.dtype == object:
                raise invalid("data", owner, f"numbers in the target column {self.target!r}",
                              "text", raw=True)
            return (values - self.config["target_mean"]) / self.config["target_scale"]
        index = {str(c): i for i, c in enumerate(self.classes)}
        keys = [str(v) if isinstance(v, str) else str(_plain(v)) for v in values.tolist()]
        unknown = sorted({k for k in keys if k not in index})
        if unknown:
            raise invalid("data", owner, f"labels among the classes {_quoted(self.classes)} "
                          f"in {self.target!r}", f"the labels {_quoted(unknown[:5])}", raw=True)
        return np.array([index[k] for k in keys], dtype=np.int64)

    def decode(self, outputs: np.ndarray) -> np.ndarray:
        """Labels (classification: the original labels) or values in the target's units.

        outputs: (n, n_classes) probabilities, or (n, 1) standardized values.
        """
        if self.task == "classification":
            return np.array(self.classes, dtype=object)[outputs.argmax(axis=-1)]
        return outputs[:, 0] * self.config["target_scale"] + self.config["target_mean"]

    # -- files -------------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """Everything learned, as JSON data."""
        return self.config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> TablePreprocessor:
        """The preprocessor `get_config()` describes."""
        if not isinstance(config, dict) or not {"columns", "target", "task", "numbers",
                                                "texts"} <= set(config):
            raise invalid("config", "TablePreprocessor.from_config",
                          "a dict from TablePreprocessor.get_config()", config)
        return cls(config)


def _shown(value: Any) -> str:
    """A category as a summary line shows it: as it is, or quoted when it holds a line break
    or another character a terminal would not show as itself."""
    text = str(value)
    return text if text.isprintable() else repr(text)


def _quoted(names: list[Any]) -> str:
    return ", ".join(repr(n) for n in names)


def _ignored_text(config: dict[str, Any]) -> str:
    return "; ".join(f"{n!r} {why}" for n, why in config["ignored"].items()) or "no columns"


def _missing_error(name: str, table: Table, owner: str) -> ValueError:
    rows = np.flatnonzero(~present(table.column(name)))
    return invalid("data", owner, f"no missing values in {name!r} (with --impute none)",
                   f"{len(rows)} missing, the first on {table.where(rows[0])}", raw=True)
