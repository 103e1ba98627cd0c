"""The TensorBoard callback: its event files read back and compared with the History.

The events are read with a small reader of TensorBoard's record format (a
length, its CRC, an Event protobuf, its CRC) and tensorboardX's own Event
message, so the tests need nothing beyond the callback's extra.
"""

import struct
import sys

import numpy as np
import pytest

from mlplab import MLP, fit
from mlplab.callbacks import Callback, ReducePlateau, TensorBoard, callback_from_config
from mlplab.optim import adam, cosine_decay, lbfgs, reduce_lr_on_plateau, sgd


@pytest.fixture
def event_pb2():
    pytest.importorskip("tensorboardX")
    from tensorboardX.proto import event_pb2

    return event_pb2


def read_run(folder, event_pb2):
    """{tag: {step: value}} for scalars and {tag: {step: HistogramProto}} for histograms."""
    files = sorted(folder.glob("events.out.tfevents.*"))
    assert len(files) == 1, files
    data, at = files[0].read_bytes(), 0
    scalars, histograms = {}, {}
    while at < len(data):
        (length,) = struct.unpack("<Q", data[at:at + 8])
        event = event_pb2.Event.FromString(data[at + 12:at + 12 + length])
        at += 12 + length + 4
        for value in event.summary.value:
            if value.HasField("histo"):
                histograms.setdefault(value.tag, {})[event.step] = value.histo
            else:
                scalars.setdefault(value.tag, {})[event.step] = value.simple_value
    return scalars, histograms


class LastGrads(Callback):
    """The gradients of each epoch's last step, as the loop leaves them at the epoch's end."""

    def __init__(self):
        self.grads = []

    def on_epoch_end(self, state):
        self.grads.append([np.array(g) for g in state.grads])


def regression(rows=40):
    X = np.random.default_rng(0).normal(size=(rows, 3))
    return X, np.tanh(X[:, :1] - 0.5 * X[:, 1:2])


def test_scalars_equal_the_history_and_the_schedule(tmp_path, event_pb2):
    X, y = regression()
    net, grads = MLP([3, 4, 1], activation="tanh", seed=0), LastGrads()
    schedule = cosine_decay(0.05, 20)
    history = fit(net, X, y, optimizer=adam(schedule), epochs=4, batch_size=10, seed=0,
                  validation_split=0.25, metrics=["mae"],
                  callbacks=[TensorBoard(tmp_path), grads])
    scalars, histograms = read_run(tmp_path, event_pb2)
    for name in ("loss", "mae", "val_loss", "val_mae"):
        logged = [scalars[name][e] for e in range(4)]
        np.testing.assert_array_equal(logged, history[name].astype(np.float32), err_msg=name)
    steps_per_epoch = 3  # 30 training rows in batches of 10
    rates = [scalars["learning_rate"][e] for e in range(4)]
    expected = [schedule((e + 1) * steps_per_epoch - 1) for e in range(4)]
    np.testing.assert_array_equal(rates, np.float32(expected))
    assert len(set(rates)) == 4  # the schedule moved
    tags = ["layer_0/W", "layer_0/b", "layer_2/W", "layer_2/b"]
    assert sorted(t for t in scalars if t.startswith("grad_norm/")) == \
        sorted(f"grad_norm/{t}" for t in tags)
    for i, tag in enumerate(tags):
        norms = [scalars[f"grad_norm/{tag}"][e] for e in range(4)]
        np.testing.assert_allclose(norms, [np.linalg.norm(g[i]) for g in grads.grads],
                                   rtol=1e-6)
    assert sorted(histograms) == sorted(f"weights/{t}" for t in tags)
    for tag, p in zip(tags, net.params, strict=True):
        last = histograms[f"weights/{tag}"][3]
        assert (last.num, last.min, last.max) == (p.size, p.min(), p.max())
        assert sorted(histograms[f"weights/{tag}"]) == [0, 1, 2, 3]


def test_one_run_per_population_member(tmp_path, event_pb2):
    X, y = regression()
    net = MLP([3, 4, 1], seed=[1, 2, 3])
    history = fit(net, X, y, optimizer=sgd([0.05, 0.1, 0.2]), epochs=3,
                  callbacks=[TensorBoard(tmp_path / "logs")])
    runs = sorted(p.name for p in (tmp_path / "logs").iterdir())
    assert runs == ["member_000", "member_001", "member_002"]
    losses = history["loss"]
    assert losses.shape == (3, 3) and len({tuple(c) for c in losses.T}) == 3
    for k, run in enumerate(runs):
        scalars, histograms = read_run(tmp_path / "logs" / run, event_pb2)
        np.testing.assert_array_equal([scalars["loss"][e] for e in range(3)],
                                      losses[:, k].astype(np.float32))
        assert scalars["learning_rate"] == {e: np.float32([0.05, 0.1, 0.2][k]) for e in range(3)}
        W = np.asarray(net.params[0][k])
        last = histograms["weights/layer_0/W"][2]
        assert (last.num, last.min, last.max) == (W.size, W.min(), W.max())


def test_a_solver_logs_the_loss_without_rate_or_gradients(tmp_path, event_pb2):
    X, y = regression()
    history = fit(MLP([3, 4, 1], seed=0), X, y, optimizer=lbfgs(), iterations=5,
                  callbacks=[TensorBoard(tmp_path, histograms=False)])
    scalars, histograms = read_run(tmp_path, event_pb2)
    assert sorted(scalars) == ["loss"] and histograms == {}
    np.testing.assert_array_equal([scalars["loss"][e] for e in range(len(history))],
                                  history["loss"].astype(np.float32))


def test_a_plateau_rate_is_read_live(tmp_path, event_pb2):
    X, y = regression()
    rate = reduce_lr_on_plateau(0.1, factor=0.5, patience=0, mode="max")  # loss falls: cut
    used = []

    class Used(Callback):
        def on_epoch_end(self, state):
            used.append(rate(state.iteration - 1))

    fit(MLP([3, 4, 1], seed=0), X, y, optimizer=sgd(rate), epochs=4,
        callbacks=[Used(), TensorBoard(tmp_path), ReducePlateau(rate, monitor="loss")])
    scalars, _ = read_run(tmp_path, event_pb2)
    logged = [scalars["learning_rate"][e] for e in range(4)]
    np.testing.assert_array_equal(logged, np.float32(used))
    assert logged[0] == np.float32(0.1) and logged[-1] < logged[0]


def test_config_round_trip_and_arguments(tmp_path):
    callback = TensorBoard(tmp_path / "runs", histograms=False)
    config = callback.get_config()
    assert config == {"type": "TensorBoard", "logdir": str(tmp_path / "runs"),
                      "histograms": False}
    assert callback_from_config(config).get_config() == config
    assert callback_from_config({"type": "tensorboard", "logdir": "x"}).histograms is True
    with pytest.raises(ValueError, match=r"'logdir'.*folder path"):
        TensorBoard(3)
    with pytest.raises(ValueError, match="'logdir'"):
        TensorBoard("")
    with pytest.raises(ValueError, match=r"'histograms'.*True or False"):
        TensorBoard(tmp_path, histograms="yes")


def test_without_tensorboardx_the_error_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    X, y = regression()
    with pytest.raises(ImportError, match=r"mlplab\[tensorboard\]"):
        fit(MLP([3, 4, 1], seed=0), X, y, epochs=1, callbacks=[TensorBoard(tmp_path)])


def test_a_model_on_another_array_namespace_logs_the_same(tmp_path, event_pb2):
    pytest.importorskip("array_api_strict")
    X, y = regression()
    runs = {}
    for backend in ("numpy", "array_api_strict"):
        fit(MLP([3, 4, 1], seed=[0, 1], backend=backend), X, y, epochs=2, batch_size=10, seed=0,
            callbacks=[TensorBoard(tmp_path / backend)])
        runs[backend] = read_run(tmp_path / backend / "member_001", event_pb2)
    (scalars, histograms), (strict_scalars, strict_histograms) = runs.values()
    assert sorted(scalars) == sorted(strict_scalars) and len(scalars) == 6
    for tag, values in scalars.items():
        np.testing.assert_allclose(list(strict_scalars[tag].values()), list(values.values()),
                                   rtol=1e-6, err_msg=tag)
    assert sorted(histograms) == sorted(strict_histograms)
