"""The Python script that reproduces a playground run with the library.

The data steps are written out as `mlplab.playground.data` takes them, and
the network, loss and optimizer are the very `Call`s the playground built
(`mlplab.playground.recipe`), printed. `fit` with the run's seed, batch size
and iteration count then gives the playground's weights exactly (the
playground's loop is fit's; see `mlplab.playground.run`).
"""

from __future__ import annotations

from mlplab.playground.data import FEATURES, Upload, make_data, upload_columns
from mlplab.playground.recipe import model_call, optimizer_call, task_of
from mlplab.playground.settings import REGRESSION_SETS, Settings

HEADER = '''"""A run of the mlplab playground, reproduced with the library.

Settings (the playground's URL): {query}
"""

import numpy as np

import mlplab
from mlplab.data import {loader}, train_test_split
from mlplab.layers import Activation, Dense, DropConnect, Dropout  # noqa: F401
from mlplab.model import Sequential
from mlplab.optim import chain, get_optimizer, l1_penalty, l2_penalty  # noqa: F401
'''


def script(settings: Settings, iterations: int, upload: Upload | None = None) -> str:
    """Python source that builds the data and network and trains `iterations` steps."""
    data = make_data(settings, upload)
    task = task_of(settings, data.task, data.n_classes)
    query = "&".join(f"{k}={v}" for k, v in settings.to_query().items())
    loader = {"table": "tutorial_xy", "csv": "Standardizer, load_csv"}.get(settings.data,
                                                                          settings.data)
    lines = [HEADER.format(query=query, loader=loader), *_data_lines(settings, upload)]
    lines += _features_lines(settings)
    if task.loss == "softmax_crossentropy":
        lines.append("y_train, y_test = y_train.astype(np.int64), y_test.astype(np.int64)")
    else:
        lines.append("y_train, y_test = y_train.reshape(-1, 1).astype(float), "
                     "y_test.reshape(-1, 1).astype(float)")
    n_train = len(data.y_train)
    batch = None if settings.batch == 0 or settings.batch >= n_train else settings.batch
    model = model_call(settings, len(settings.features), task, settings.seed)
    lines += ["", f"model = {model.code()}", f"optimizer = {optimizer_call(settings).code()}"]
    if iterations:  # fit refuses 0 iterations; an untrained run is just the model
        lines += [f"history = mlplab.fit(model, X_train, y_train, loss={task.loss!r}, "
                  "optimizer=optimizer,",
                  f"                     iterations={iterations}, batch_size={batch!r}, "
                  f"seed={settings.seed})"]
    lines += ["test_loss = mlplab.get_loss(" f"{task.loss!r}).value(model.predict(X_test), y_test)",
              f"print('after {iterations} iterations: test loss', float(test_loss))", ""]
    return "\n".join(lines)


def _data_lines(settings: Settings, upload: Upload | None) -> list[str]:
    s = settings
    stratify = "False" if s.data in REGRESSION_SETS else "True"
    split = [f"split = train_test_split(points, y, test_size={1 - s.ratio / 100!r}, "
             f"seed={s.seed}, stratify={stratify})",
             "points_train, points_test, y_train, y_test = split"]
    if s.data == "table":
        return ['X, y = tutorial_xy("part2")  # the tutorials\' 4-row XOR table',
                "points, y = X[:, :2], y[:, 0].astype(np.int64)",
                "points_train, points_test, y_train, y_test = points, points, y, y"]
    if s.data != "csv":
        return [f"points, y = {s.data}({s.n}, noise={s.noise!r}, seed={s.seed})", *split]
    if upload is None:  # make_data has refused this already
        raise ValueError("a csv run needs its upload")
    ix, iy, il = upload_columns(s, upload)
    return [f"table = load_csv({upload.name!r}, target=None).X  # the uploaded file",
            f"points, labels = table[:, [{ix}, {iy}]], table[:, {il}]",
            "values = np.unique(labels)",
            "classes = bool(len(values) <= 10 and np.all(values == np.round(values)))",
            "y = np.searchsorted(values, labels) if classes else labels  # classes: 0..K-1",
            f"split = train_test_split(points, y, test_size={1 - s.ratio / 100!r}, "
            f"seed={s.seed}, stratify=classes)",
            "points_train, points_test, y_train, y_test = split",
            "scaler = Standardizer().fit(points_train)  # the two columns standardized",
            "points_train, points_test = scaler.transform(points_train), "
            "scaler.transform(points_test)"]


def _features_lines(settings: Settings) -> list[str]:
    columns = ", ".join(FEATURES[name][1] for name in settings.features)
    return ["", "", "def features(x):",
            f'    """The input features of raw points x: (n, 2): {", ".join(settings.features)}'
            '."""',
            f"    return np.column_stack([{columns}])", "", "",
            "X_train, X_test = features(points_train), features(points_test)"]
