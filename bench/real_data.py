"""mlplab's command-line defaults against scikit-learn's default MLP pipeline, on tables.

scikit-learn's bundled data sets are written as CSV files the way people have
them: breast cancer with an ID column and text labels (malignant/benign), iris
with its species names, wine with a text category column, a constant column and
empty fields, diabetes with the raw measurements (sex as text: female/male, a
few empty fields) and a whole-number target, digits as 64 pixel columns and a
0-9 label. Beside these five ("bundled", the sets issue 9 names) come "extra"
sets, drawn once from fixed seeds, to check that the defaults hold beyond the
sets they were chosen on: scikit-learn's generators (make_classification with 3
classes, with 150 rows, with imbalanced classes and with 4 classes; make_moons;
make_hastie_10_2; Friedman's #1 regression) and wine with 20 pure-noise columns.

For every seed S the rows are split 80/20 (stratified for classes) into
train.csv and test.csv; then

- mlplab: `mlplab train train.csv --target T [--drop id] --seed S` with every
  other setting at its default, saved, then `mlplab evaluate model test.csv`
  (the job functions the commands call, with the same settings);
- scikit-learn: a standard pipeline fitted on the same train.csv alone (the ID
  dropped; numbers: SimpleImputer(median) + StandardScaler; text:
  SimpleImputer(most frequent) + OneHotEncoder) and MLPClassifier/MLPRegressor
  with their defaults and random_state=S, scored on the same test.csv. For a
  regression the same pipeline is also run with the target standardized
  (TransformedTargetRegressor), the fairer opponent: MLPRegressor's defaults on
  a raw target of tens to hundreds fit it poorly in 200 epochs.

Prints test accuracy (higher is better) or MAE (lower is better) per data set
and seed, then a table: each side's mean and standard error over the seeds, the
mean paired difference (positive: mlplab better) with its standard error, the
seeds mlplab won, tied and lost, and PASS when mlplab's mean is at least as good;
then a verdict per group of sets and opponent (issue 9 asks for the bundled sets
against the default pipeline). Accuracies on a few dozen test rows move by a row
(1/30 on iris) from seed to seed: compare a gain with its standard error.
Needs scikit-learn and pandas (the `dev` extra).

Run: python bench/real_data.py [--seeds 10] [--sets all|bundled|extra|NAME,...].
All 13 sets over 10 seeds take about ten minutes on one core.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np


class Task(NamedTuple):
    """A table, its target column, the columns to drop, and whether it is a classification."""

    frame: Any
    target: str
    drop: list[str]
    classification: bool


def breast_cancer(rng: np.random.Generator) -> Task:
    from sklearn import datasets

    bunch = datasets.load_breast_cancer(as_frame=True)
    frame = bunch.data.copy()
    frame.insert(0, "id", rng.permutation(900000 - np.arange(len(frame))))
    frame["diagnosis"] = np.array(bunch.target_names)[bunch.target]
    return Task(frame, "diagnosis", ["id"], True)


def iris(rng: np.random.Generator) -> Task:
    from sklearn import datasets

    bunch = datasets.load_iris(as_frame=True)
    frame = bunch.data.copy()
    frame["species"] = np.array(bunch.target_names)[bunch.target]
    return Task(frame, "species", [], True)


def wine(rng: np.random.Generator) -> Task:
    import pandas as pd
    from sklearn import datasets

    bunch = datasets.load_wine(as_frame=True)
    frame = bunch.data.copy()
    frame["colour"] = pd.cut(frame.pop("color_intensity"), [0, 3.5, 7, 14],
                             labels=["pale", "medium", "deep"]).astype(str)
    frame["laboratory"] = "Lab A"  # constant
    _blank(frame, ["alcohol", "magnesium", "colour"], 0.05, rng)
    frame["cultivar"] = np.array(["barolo", "grignolino", "barbera"])[bunch.target]
    return Task(frame, "cultivar", [], True)


def diabetes(rng: np.random.Generator) -> Task:
    from sklearn import datasets

    bunch = datasets.load_diabetes(as_frame=True, scaled=False)
    frame = bunch.data.copy()
    frame["sex"] = np.where(frame["sex"] == 1, "female", "male")
    _blank(frame, ["bmi", "bp"], 0.03, rng)
    frame["progression"] = bunch.target.astype(int)
    return Task(frame, "progression", [], False)


def digits(rng: np.random.Generator) -> Task:
    from sklearn import datasets

    bunch = datasets.load_digits(as_frame=True)
    frame = bunch.data.copy()
    frame["digit"] = bunch.target
    return Task(frame, "digit", [], True)


def _generated(X: np.ndarray, y: np.ndarray, labels: list[str] | None) -> Task:
    """Columns f0, f1, ...; the target as text labels (classes) or numbers."""
    import pandas as pd

    frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])
    frame["target"] = np.array(labels)[y] if labels else y
    return Task(frame, "target", [], labels is not None)


def classes3(rng: np.random.Generator) -> Task:
    from sklearn.datasets import make_classification

    return _generated(*make_classification(
        n_samples=500, n_features=20, n_informative=8, n_redundant=4, n_classes=3,
        flip_y=0.03, random_state=7), ["a", "b", "c"])


def small(rng: np.random.Generator) -> Task:
    from sklearn.datasets import make_classification

    return _generated(*make_classification(n_samples=150, n_features=10, n_informative=4,
                                           class_sep=0.8, random_state=11), ["no", "yes"])


def imbalanced(rng: np.random.Generator) -> Task:
    from sklearn.datasets import make_classification

    return _generated(*make_classification(n_samples=800, n_features=15, n_informative=6,
                                           weights=[0.85, 0.15], random_state=21),
                      ["negative", "positive"])


def classes4(rng: np.random.Generator) -> Task:
    from sklearn.datasets import make_classification

    return _generated(*make_classification(
        n_samples=1000, n_features=30, n_informative=10, n_redundant=5, n_classes=4,
        n_clusters_per_class=1, random_state=31), ["w", "x", "y", "z"])


def moons(rng: np.random.Generator) -> Task:
    from sklearn.datasets import make_moons

    return _generated(*make_moons(n_samples=300, noise=0.3, random_state=5), ["left", "right"])


def hastie(rng: np.random.Generator) -> Task:
    from sklearn.datasets import make_hastie_10_2

    X, y = make_hastie_10_2(n_samples=600, random_state=41)
    return _generated(X, (y > 0).astype(int), ["minus", "plus"])


def wine_noise(rng: np.random.Generator) -> Task:
    from sklearn import datasets

    bunch = datasets.load_wine(as_frame=True)
    frame = bunch.data.copy()
    for j in range(20):
        frame[f"noise{j}"] = rng.normal(size=len(frame))
    frame["cultivar"] = np.array(["barolo", "grignolino", "barbera"])[bunch.target]
    return Task(frame, "cultivar", [], True)


def friedman1(rng: np.random.Generator) -> Task:
    from sklearn.datasets import make_friedman1

    return _generated(*make_friedman1(n_samples=500, noise=1.0, random_state=3), None)


BUNDLED: dict[str, Callable[[np.random.Generator], Task]] = {
    "breast_cancer": breast_cancer, "iris": iris, "wine": wine, "diabetes": diabetes,
    "digits": digits}
EXTRA: dict[str, Callable[[np.random.Generator], Task]] = {
    "classes3": classes3, "small": small, "imbalanced": imbalanced, "classes4": classes4,
    "moons": moons, "hastie": hastie, "wine_noise": wine_noise, "friedman1": friedman1}
DATASETS = (*BUNDLED, *EXTRA)


def task(name: str) -> Task:
    """The data set `name`, the same every time (its own fixed random stream)."""
    return {**BUNDLED, **EXTRA}[name](np.random.default_rng(12345))


def _blank(frame: Any, columns: list[str], fraction: float, rng: np.random.Generator) -> None:
    """Empty a `fraction` of the fields of `columns`, at random rows."""
    for column in columns:
        rows = rng.random(len(frame)) < fraction
        frame[column] = frame[column].astype(object).where(~rows, None)


def split_files(data: Task, folder: Path, seed: int) -> tuple[Path, Path]:
    """train{seed}.csv and test{seed}.csv: 80/20, stratified by class for classifications."""
    from sklearn.model_selection import train_test_split

    frame = data.frame
    train, test = train_test_split(frame, test_size=0.2, random_state=seed,
                                   stratify=frame[data.target] if data.classification else None)
    paths = folder / f"train{seed}.csv", folder / f"test{seed}.csv"
    train.to_csv(paths[0], index=False)
    test.to_csv(paths[1], index=False)
    return paths


def mlplab_score(train: Path, test: Path, data: Task, seed: int, folder: Path) -> float:
    """mlplab's defaults: train on train.csv, save, evaluate on test.csv."""
    from mlplab import job, save

    settings = job.TrainSettings(data=str(train), target=data.target, drop=data.drop,
                                 seed=seed, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", job.NotConverged)
        net, _, metadata = job.train_job(settings)
    model = folder / f"model{seed}.npz"
    save(net, model, metadata=metadata)
    scores = job.evaluate_job(str(model), str(test))
    return scores["accuracy"] if "accuracy" in scores else scores["mae"]


def sklearn_score(train: Path, test: Path, data: Task, seed: int, *,
                  scaled_target: bool = False) -> float:
    """scikit-learn's default MLP in the standard pipeline, fitted on train.csv alone and
    scored on test.csv; scaled_target: a regression's target standardized for the fit."""
    import pandas as pd
    from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.impute import SimpleImputer
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    a, b = pd.read_csv(train), pd.read_csv(test)
    X, y = a.drop(columns=[data.target, *data.drop]), a[data.target]
    text = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    numbers = [c for c in X.columns if c not in text]
    prepare = ColumnTransformer([
        ("numbers", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numbers),
        ("text", make_pipeline(SimpleImputer(strategy="most_frequent"),
                               OneHotEncoder(handle_unknown="ignore")), text)])
    estimator: Any = (MLPClassifier(random_state=seed) if data.classification
                      else MLPRegressor(random_state=seed))
    if scaled_target:
        estimator = TransformedTargetRegressor(estimator, transformer=StandardScaler())
    model = make_pipeline(prepare, estimator)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    predicted = model.predict(b.drop(columns=[data.target, *data.drop]))
    if data.classification:
        return float(np.mean(predicted == b[data.target].to_numpy()))
    return float(np.mean(np.abs(predicted - b[data.target].to_numpy())))


class Row(NamedTuple):
    """One comparison of the final table: mlplab's scores and an opponent's, per seed."""

    name: str
    metric: str
    opponent: str
    ours: np.ndarray
    theirs: np.ndarray

    @property
    def gains(self) -> np.ndarray:
        """mlplab's advantage per seed (accuracy above, or MAE below, the opponent's)."""
        return self.ours - self.theirs if self.metric == "accuracy" else self.theirs - self.ours

    @property
    def passed(self) -> bool:
        return bool(np.mean(self.gains) >= -1e-12)

    def line(self) -> str:
        n, gains = len(self.ours), self.gains
        wins, losses = int(np.sum(gains > 1e-12)), int(np.sum(gains < -1e-12))
        digits = 4 if self.metric == "accuracy" else 2
        return (f"{self.name:14} {self.metric:8} {self.opponent:13} "
                f"{_mean_se(self.ours, digits):>17} {_mean_se(self.theirs, digits):>17} "
                f"{_mean_se(gains, digits, sign=True):>18} "
                f"{f'{wins}/{n - wins - losses}/{losses}':>8}  {'PASS' if self.passed else 'FAIL'}")


def _mean_se(values: np.ndarray, digits: int, sign: bool = False) -> str:
    """'mean ± standard error' of per-seed values (the spread of the mean over seeds)."""
    se = np.std(values, ddof=1) / np.sqrt(len(values)) if len(values) > 1 else float("nan")
    return f"{np.mean(values):{'+' if sign else ''}.{digits}f} ± {se:.{digits}f}"


def compare(name: str, seeds: int, folder: Path) -> list[Row]:
    """Both sides on `seeds` splits of the data set `name`, printing each seed's scores."""
    data = task(name)
    metric = "accuracy" if data.classification else "MAE"
    where = folder / name
    where.mkdir()
    ours, theirs, scaled = [], [], []
    for seed in range(seeds):
        train, test = split_files(data, where, seed)
        ours.append(mlplab_score(train, test, data, seed, where))
        theirs.append(sklearn_score(train, test, data, seed))
        line = f"{name:14} {seed:4d} {metric:>9} {ours[-1]:9.4f} {theirs[-1]:9.4f}"
        if not data.classification:
            scaled.append(sklearn_score(train, test, data, seed, scaled_target=True))
            line += f" {scaled[-1]:9.4f}"
        print(line, flush=True)
    rows = [Row(name, metric, "default", np.array(ours), np.array(theirs))]
    if scaled:
        rows.append(Row(name, metric, "target scaled", np.array(ours), np.array(scaled)))
    return rows


def chosen_sets(text: str) -> list[str]:
    """The data sets --sets names: all, bundled, extra, or names separated by commas."""
    groups = {"all": list(DATASETS), "bundled": list(BUNDLED), "extra": list(EXTRA)}
    names = [n for part in text.split(",") for n in groups.get(part.strip(), [part.strip()])]
    unknown = [n for n in names if n not in DATASETS]
    if unknown or not names:
        raise SystemExit(f"--sets: expected all, bundled, extra or names among "
                         f"{', '.join(DATASETS)}; got {text!r}")
    return names


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=10, help="splits per data set (10)")
    parser.add_argument("--sets", default="all",
                        help="all (default), bundled, extra, or names separated by commas")
    args = parser.parse_args(argv)
    if args.seeds < 1:
        raise SystemExit(f"--seeds: expected a whole number >= 1; got {args.seeds}")
    names, rows, start = chosen_sets(args.sets), [], time.perf_counter()
    print(f"{'data set':14} {'seed':>4} {'metric':>9} {'mlplab':>9} {'sklearn':>9} "
          "(target scaled)")
    with tempfile.TemporaryDirectory() as folder:
        for name in names:
            rows += compare(name, args.seeds, Path(folder))
    print(f"\nmeans ± standard errors over {args.seeds} seeds; gain: mlplab's advantage "
          "(accuracy above, MAE below scikit-learn's); W/T/L: seeds won, tied, lost")
    print(f"{'data set':14} {'metric':8} {'pipeline':13} {'mlplab':>17} "
          f"{'scikit-learn':>17} {'gain':>18} {'W/T/L':>8}")
    for row in rows:
        print(row.line())
    for group, members in (("bundled", BUNDLED), ("extra", EXTRA)):
        for opponent in ("default", "target scaled"):
            ran = [row for row in rows if row.name in members and row.opponent == opponent]
            failed = [row.name for row in ran if not row.passed]
            if ran:
                print(f"{group} sets against scikit-learn's {opponent} pipeline: "
                      f"{'all PASS' if not failed else 'FAIL: ' + ', '.join(failed)}")
    print(f"({time.perf_counter() - start:.0f} s)")
    return rows


if __name__ == "__main__":
    main()
