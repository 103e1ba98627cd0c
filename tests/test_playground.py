"""The playground without a browser: settings, data, the run (= fit), frames, script, server."""

from __future__ import annotations

import base64
import json
import os

import numpy as np
import pytest

import mlplab
from mlplab.data import bumps, gaussians, plane
from mlplab.playground import frames
from mlplab.playground.data import input_features, make_data
from mlplab.playground.recipe import model_call, optimizer_call, task_of
from mlplab.playground.run import Run
from mlplab.playground.session import Session
from mlplab.playground.settings import Settings

DIVERGING = {"data": "plane", "lr": "5", "act": "linear"}


def test_settings_round_trip_through_the_url():
    settings = Settings(data="spirals", layers=(8, 8, 3), act=("relu", "tanh", "sigmoid"),
                        opt="adam", lr=0.01, hp=(("beta1", 0.8),), reg="l2", rate=0.001,
                        features=("x1", "x2", "x1x2"), w1=(2, 1, 0), alphas=(0.1, 1.0))
    assert Settings.from_query(settings.to_query()) == settings
    assert Settings.from_query({}) == Settings()


@pytest.mark.parametrize(("query", "named"), [
    ({"lr": "fast"}, "'lr'"), ({"data": "mnist"}, "'data'"), ({"layers": "4,0"}, "'layers'"),
    ({"speed": "2"}, "'speed'"), ({"w1": "0:1"}, "'w1'"), ({"opt": "lbfgs"}, "'opt'")])
def test_a_bad_setting_is_refused_naming_its_key(query, named):
    with pytest.raises(ValueError, match=named):
        Settings.from_query(query)


def test_new_toy_sets():
    X, y = gaussians(101, seed=0)
    assert X.shape == (101, 2) and sorted(np.unique(y)) == [0, 1]
    assert X[y == 0].mean(axis=0)[0] < 0 < X[y == 1].mean(axis=0)[0]
    X, y = plane(50, seed=0)
    np.testing.assert_allclose(y, (X[:, 0] - X[:, 1]) / 2)
    X, y = bumps(50, noise=0.1, seed=0)
    assert np.all(np.abs(X) <= 1) and y.shape == (50,)


def test_data_split_and_features():
    data = make_data(Settings(n=200, ratio=70))
    assert len(data.points_train) == 140 and len(data.points_test) == 60
    assert np.bincount(data.y_train).tolist() == [70, 70]  # stratified
    X = input_features(data.points_train, ("x1", "x1sq", "sinx2"))
    np.testing.assert_allclose(X[:, 1], data.points_train[:, 0] ** 2)
    np.testing.assert_allclose(X[:, 2], np.sin(np.pi * data.points_train[:, 1]))
    low_x, high_x, low_y, high_y = data.domain
    assert low_x < data.points_train[:, 0].min() and high_x > data.points_train[:, 0].max()
    assert low_y < data.points_train[:, 1].min() and high_y > data.points_train[:, 1].max()


@pytest.mark.parametrize("query", [
    {},
    {"batch": "0", "opt": "adam", "lr": "0.01", "dropout": "0.2", "layers": "5,3",
     "act": "relu,tanh"},
    {"data": "spirals", "dropconnect": "0.1", "reg": "l2", "rate": "0.01",
     "opt": "momentum", "hp": "momentum:0.8,nesterov:1"},
    {"data": "bumps", "reg": "l1", "rate": "0.001", "features": "x1,x2,x1x2"},
])
def test_the_run_gives_fits_weights_step_for_step(query):
    settings = Settings.from_query(query)
    data = make_data(settings)
    task = task_of(settings, data.task, data.n_classes)
    X, y = input_features(data.points_train, settings.features), data.y_train.reshape(-1, 1)
    batch = settings.batch or None

    def model():
        return model_call(settings, X.shape[1], task, settings.seed).build()

    run = Run(model(), mlplab.get_loss(task.loss), optimizer_call(settings).build(), X, y,
              batch_size=batch, seed=settings.seed)
    for steps in (3, 41, 1, 15):  # across epoch boundaries, in uneven pieces
        run.advance(steps)
    reference = model()
    mlplab.fit(reference, X, y, loss=task.loss, optimizer=optimizer_call(settings).build(),
               iterations=60, batch_size=batch, seed=settings.seed)
    for mine, theirs in zip(run.model.params, reference.params, strict=True):
        np.testing.assert_array_equal(mine, theirs)


def _script_weights(session, tmp_path, upload_text=None):
    answer = session.download("python")
    source = base64.b64decode(answer["base64"]).decode()
    if upload_text is not None:
        (tmp_path / session.upload.name).write_text(upload_text)
    (tmp_path / "run.py").write_text(source)
    namespace = {}
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        exec(compile(source, str(tmp_path / "run.py"), "exec"), namespace)
    finally:
        os.chdir(cwd)
    return namespace["model"].params


@pytest.mark.parametrize("query", [
    {"layers": "3", "opt": "rmsprop", "lr": "0.01", "dropout": "0.1", "batch": "16"},
    {"data": "table", "batch": "0", "lr": "0.5", "features": "x1,x2,x1x2"},
    {"data": "bumps", "layers": "6", "act": "sigmoid", "loss": "huber", "reg": "l1",
     "rate": "0.001", "opt": "adam", "lr": "0.01"},
])
def test_the_downloaded_python_reproduces_the_run(query, tmp_path):
    session = Session(Settings.from_query(query))
    session.advance(steps=37)
    for mine, theirs in zip(session.main.model.params, _script_weights(session, tmp_path),
                            strict=True):
        np.testing.assert_array_equal(mine, theirs)


CSV = "a,b,noise,label\n" + "\n".join(
    f"{x:.3f},{y:.3f},{(i * 7) % 5},{int(x * y > 0)}"
    for i, (x, y) in enumerate(np.random.default_rng(0).uniform(-3, 3, (120, 2))))


def test_an_uploaded_csv_trains_and_its_script_reproduces_it(tmp_path):
    session = Session()
    replies = session.handle({"type": "upload", "name": "quadrants.csv", "content": CSV})
    assert [r["type"] for r in replies] == ["setup", "frame"]
    assert replies[0]["columns"] == ["a", "b", "noise", "label"]
    assert session.data.axis_names == ("a", "b") and session.data.task == "binary"
    replies = session.handle({"type": "settings", "query": {**session.settings.to_query(),
                                                            "features": "x1,x2,x1x2"}})
    before = session.test_loss
    session.advance(steps=300)
    assert session.test_loss < before
    for mine, theirs in zip(session.main.model.params,
                            _script_weights(session, tmp_path, CSV), strict=True):
        np.testing.assert_array_equal(mine, theirs)


def test_three_classes_train_with_softmax_and_draw_the_likeliest_class():
    rows = [f"{x:.2f},{y:.2f},{int(np.digitize(x, [-1, 1]))}"
            for x, y in np.random.default_rng(1).uniform(-3, 3, (90, 2))]
    session = Session()
    session.handle({"type": "upload", "name": "bands.csv", "content": "\n".join(rows)})
    assert session.data.task == "multiclass" and session.task.loss == "softmax_crossentropy"
    assert session.setup_message()["columns"] == ["column 1", "column 2", "column 3"]
    session.advance(steps=400)
    boundary = session.frame()["boundary"]
    codes = np.frombuffer(base64.b64decode(boundary["data"]), np.uint8).reshape(50, 50)
    assert set(np.unique(codes)) == {0, 127, 254}  # three classes across the plane
    assert codes[:, 0].max() == 0 and codes[:, -1].min() == 254  # left: class 0, right: 2


@pytest.mark.parametrize(("content", "named"), [
    ("a,b,label\n1,2,0\n3,x,1\n1,1,0\n2,2,1\n", "line 3"),
    ("a,b\n1,2\n3,4\n5,6\n7,8\n", "3 columns"),
    ("a,b,c\n" + "1,2,3\n" * 400_000, "bytes"),
])
def test_a_bad_upload_gets_a_message_naming_the_line_or_the_problem(content, named):
    session = Session()
    replies = session.handle({"type": "upload", "name": "mine.csv", "content": content})
    assert replies[0]["type"] == "error" and named in replies[0]["message"]
    assert "mlplab-upload" not in replies[0]["message"]  # the user's name, not a temp file's
    assert session.settings.data == "xor"  # the session goes on as it was


def test_a_column_that_is_not_in_the_file_is_named():
    session = Session()
    session.handle({"type": "upload", "name": "q.csv", "content": CSV})
    replies = session.handle({"type": "settings", "query": {"data": "csv", "cx": "zzz"}})
    assert replies[0]["type"] == "error" and "'cx'" in replies[0]["message"]


def test_a_diverging_run_stops_with_its_iteration_and_no_nan_in_json():
    session = Session(Settings.from_query(DIVERGING))
    session.playing = True
    for _ in range(20):
        session.advance(steps=5)
    frame = session.frame()
    assert frame["diverged"].startswith("diverged at iteration ")
    assert int(frame["diverged"].rsplit(" ", 1)[1]) == session.diverged > 0
    assert not session.playing
    json.dumps(frame, allow_nan=False)
    json.dumps(session.handle({"type": "play"}), allow_nan=False)
    assert not session.playing


def test_frames_are_json_safe_and_small():
    assert frames.number(float("nan")) is None and frames.number(np.inf) is None
    codes = base64.b64decode(frames.grid_bytes(np.array([0.0, 0.5, 1.0, np.nan]), 0, 1))
    assert list(codes) == [0, 127, 254, 255]
    session = Session()
    session.advance(steps=10)
    text = json.dumps(session.frame(), allow_nan=False)
    assert len(text) < 60_000


def test_views_surface_directions_restarts_and_sweep():
    session = Session(Settings(view="surface"))
    session.advance(steps=30)
    surface = session.frame()["surface"]
    assert surface["image"]["rows"] == 41 and len(surface["path"]) == len(session.path) > 1
    session.handle({"type": "settings", "query": {"view": "directions"}})
    session.advance(steps=30)
    counts = session.frame()["directions"]["counts"]
    assert [np.shape(c) for c in counts] == [(2, 4), (4, 2), (2, 1)]
    assert np.array_equal(counts[0], session.directions.counts[0])
    session.handle({"type": "settings", "query": {"view": "restarts", "restarts": "5"}})
    session.advance(steps=50)
    frame = session.frame()
    assert frame["type"] == "population" and len(frame["members"]) == 5
    losses = [m["test_loss"] for m in frame["members"]]
    assert len(set(losses)) == 5 and frame["best"] == int(np.argmin(losses))
    session.handle({"type": "settings", "query": {**DIVERGING, "view": "sweep",
                                                  "alphas": "0.01,0.1,50"}})
    session.advance(steps=200)
    members = session.frame()["members"]
    assert [m["diverged"] is not None for m in members] == [False, False, True]
    json.dumps(members, allow_nan=False)


def test_a_weight_the_network_lacks_is_named():
    session = Session()
    replies = session.handle({"type": "settings", "query": {"w2": "0:9:0"}})
    assert replies[0]["type"] == "error" and "'w2'" in replies[0]["message"]


def test_bad_messages_get_an_error_reply():
    session = Session()
    for message in ({"type": "fly"}, [1, 2], {"type": "settings", "query": "lr=1"},
                    {"type": "download", "what": "pdf"}, {"type": "upload", "content": 5}):
        replies = session.handle(message)
        assert replies[0]["type"] == "error" and replies[0]["message"]


def test_model_and_onnx_downloads(tmp_path):
    session = Session()
    session.advance(steps=20)
    path = tmp_path / "model.npz"
    path.write_bytes(base64.b64decode(session.download("model")["base64"]))
    loaded = mlplab.load(path)
    np.testing.assert_array_equal(loaded.predict(session.X_test),
                                  session.main.model.predict(session.X_test))
    onnx = pytest.importorskip("onnxruntime")
    model = tmp_path / "model.onnx"
    model.write_bytes(base64.b64decode(session.download("onnx")["base64"]))
    result = onnx.InferenceSession(str(model)).run(None, {"input": session.X_test})[0]
    np.testing.assert_allclose(result, session.main.model.predict(session.X_test), rtol=1e-6)


def test_playing_makes_frames_that_advance():  # their rate: bench/playground_fps.py
    session = Session()
    session.playing = True
    iterations = []
    for _ in range(3):
        session.advance(seconds=0.02)
        frame = session.frame()
        json.dumps(frame, allow_nan=False)
        iterations.append(frame["iteration"])
    assert iterations[0] > 0 and iterations == sorted(iterations) and iterations[2] > iterations[0]
