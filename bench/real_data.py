"""mlplab's command-line defaults against scikit-learn's default MLP pipeline, on real tables.

scikit-learn's bundled data sets are written as CSV files the way people have
them: breast cancer with an ID column and text labels (malignant/benign), iris
with its species names, wine with a text category column, a constant column and
empty fields, diabetes with the raw measurements (sex as text: female/male, a
few empty fields) and a whole-number target, digits as 64 pixel columns and a
0-9 label. For every seed the rows are split 80/20 (stratified for classes)
into train.csv and test.csv; then

- mlplab: `mlplab train train.csv --target T [--drop id] --seed S` with every
  other setting at its default, saved, then `mlplab evaluate model test.csv`
  (the job functions the commands call);
- scikit-learn: a standard pipeline on the same train.csv (the ID dropped;
  numbers: SimpleImputer(median) + StandardScaler; text: SimpleImputer(most
  frequent) + OneHotEncoder) and MLPClassifier/MLPRegressor with their defaults
  and random_state=S, scored on test.csv.

Prints test accuracy (higher is better) or MAE (lower is better) per data set
and seed, the means, and PASS when mlplab's mean is at least as good. Needs
scikit-learn and pandas (the `dev` extra). Run: python bench/real_data.py
[--seeds 5]. Takes about two minutes on one core.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

DATASETS = ("breast_cancer", "iris", "wine", "diabetes", "digits")


def tables() -> dict[str, tuple[Any, str, list[str]]]:
    """Each data set as (DataFrame, target column, columns to drop)."""
    import pandas as pd
    from sklearn import datasets

    rng = np.random.default_rng(12345)
    made: dict[str, tuple[Any, str, list[str]]] = {}
    bunch = datasets.load_breast_cancer(as_frame=True)
    frame = bunch.data.copy()
    frame.insert(0, "id", rng.permutation(900000 - np.arange(len(frame))))
    frame["diagnosis"] = np.array(bunch.target_names)[bunch.target]
    made["breast_cancer"] = (frame, "diagnosis", ["id"])
    bunch = datasets.load_iris(as_frame=True)
    frame = bunch.data.copy()
    frame["species"] = np.array(bunch.target_names)[bunch.target]
    made["iris"] = (frame, "species", [])
    bunch = datasets.load_wine(as_frame=True)
    frame = bunch.data.copy()
    frame["colour"] = pd.cut(frame.pop("color_intensity"), [0, 3.5, 7, 14],
                             labels=["pale", "medium", "deep"]).astype(str)
    frame["laboratory"] = "Lab A"  # constant
    _blank(frame, ["alcohol", "magnesium", "colour"], 0.05, rng)
    frame["cultivar"] = np.array(["barolo", "grignolino", "barbera"])[bunch.target]
    made["wine"] = (frame, "cultivar", [])
    bunch = datasets.load_diabetes(as_frame=True, scaled=False)
    frame = bunch.data.copy()
    frame["sex"] = np.where(frame["sex"] == 1, "female", "male")
    _blank(frame, ["bmi", "bp"], 0.03, rng)
    frame["progression"] = bunch.target.astype(int)
    made["diabetes"] = (frame, "progression", [])
    bunch = datasets.load_digits(as_frame=True)
    frame = bunch.data.copy()
    frame["digit"] = bunch.target
    made["digits"] = (frame, "digit", [])
    return made


def _blank(frame: Any, columns: list[str], fraction: float, rng: np.random.Generator) -> None:
    """Empty a `fraction` of the fields of `columns`, at random rows."""
    for column in columns:
        rows = rng.random(len(frame)) < fraction
        frame[column] = frame[column].astype(object).where(~rows, None)


def split_files(frame: Any, target: str, folder: Path, seed: int,
                classification: bool) -> tuple[Path, Path]:
    from sklearn.model_selection import train_test_split

    train, test = train_test_split(frame, test_size=0.2, random_state=seed,
                                   stratify=frame[target] if classification else None)
    paths = folder / f"train{seed}.csv", folder / f"test{seed}.csv"
    train.to_csv(paths[0], index=False)
    test.to_csv(paths[1], index=False)
    return paths


def mlplab_score(train: Path, test: Path, target: str, drop: list[str], seed: int,
                 folder: Path) -> float:
    """mlplab's defaults: train on train.csv, save, evaluate on test.csv."""
    from mlplab import job, save

    settings = job.TrainSettings(data=str(train), target=target, drop=drop, seed=seed,
                                 progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", job.NotConverged)
        net, _, metadata = job.train_job(settings)
    model = folder / f"model{seed}.npz"
    save(net, model, metadata=metadata)
    scores = job.evaluate_job(str(model), str(test))
    return scores["accuracy"] if "accuracy" in scores else scores["mae"]


def sklearn_score(train: Path, test: Path, target: str, drop: list[str], seed: int,
                  classification: bool) -> float:
    """scikit-learn's default MLP in the standard pipeline, on the same files."""
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.impute import SimpleImputer
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    a, b = pd.read_csv(train), pd.read_csv(test)
    X, y = a.drop(columns=[target, *drop]), a[target]
    text = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    numbers = [c for c in X.columns if c not in text]
    prepare = ColumnTransformer([
        ("numbers", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numbers),
        ("text", make_pipeline(SimpleImputer(strategy="most_frequent"),
                               OneHotEncoder(handle_unknown="ignore")), text)])
    estimator = (MLPClassifier(random_state=seed) if classification
                 else MLPRegressor(random_state=seed))
    model = make_pipeline(prepare, estimator)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    predicted = model.predict(b.drop(columns=[target, *drop]))
    if classification:
        return float(np.mean(predicted == b[target].to_numpy()))
    return float(np.mean(np.abs(predicted - b[target].to_numpy())))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--sets", default=",".join(DATASETS))
    args = parser.parse_args()
    made, failed, start = tables(), [], time.perf_counter()
    print(f"{'data set':14} {'seed':>4} {'metric':>9} {'mlplab':>8} {'sklearn':>8}")
    with tempfile.TemporaryDirectory() as folder:
        for name in args.sets.split(","):
            frame, target, drop = made[name]
            classification = name != "diabetes"
            metric = "accuracy" if classification else "MAE"
            ours, theirs = [], []
            for seed in range(args.seeds):
                where = Path(folder) / f"{name}"
                where.mkdir(exist_ok=True)
                train, test = split_files(frame, target, where, seed, classification)
                ours.append(mlplab_score(train, test, target, drop, seed, where))
                theirs.append(sklearn_score(train, test, target, drop, seed, classification))
                print(f"{name:14} {seed:4d} {metric:>9} {ours[-1]:8.4f} {theirs[-1]:8.4f}")
            better = (np.mean(ours) >= np.mean(theirs) if classification
                      else np.mean(ours) <= np.mean(theirs))
            failed += [] if better else [name]
            print(f"{name:14} {'mean':>4} {metric:>9} {np.mean(ours):8.4f} "
                  f"{np.mean(theirs):8.4f}  {'PASS' if better else 'FAIL'}")
    print(f"{'all PASS' if not failed else 'FAIL: ' + ', '.join(failed)} "
          f"({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
