"""Wrong arguments to fit and export get the one-template message, at the call, before any work."""

import numpy as np
import pytest

from mlplab import MLP, BatchNorm, Dense, Sequential, fit
from mlplab.layers import Activation


def data(n=20):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 3)), rng.normal(size=n)


def batch_norm_net():
    return Sequential([Dense(3, 4), BatchNorm(4), Activation("tanh"), Dense(4, 1)], seed=0)


def refused(net, fragment, X, y, **kwargs):
    """fit must raise the template's ValueError naming the argument and leave `net` as it was."""
    weights, buffers = net.get_weights(), net.get_buffers()
    with pytest.raises(ValueError, match=fragment):
        fit(net, X, y, **{"epochs": 2, **kwargs})
    for before, after in zip((*weights, *buffers), (*net.params, *net.buffers), strict=True):
        np.testing.assert_array_equal(before, after)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        (dict(shuffle="no"), r"'shuffle' parameter of fit must be True or False\. Got 'no'"),
        (dict(shuffle=None), r"'shuffle' parameter of fit must be True or False"),
        (dict(guard="yes"), r"'guard' parameter of fit must be True or False\. Got 'yes'"),
        (dict(progress=1), r"'progress' parameter of fit must be True or False\. Got 1 "),
        (dict(callbacks=None), r"'callbacks' parameter of fit must be a list of Callback"),
        (dict(callbacks=[1]), r"'callbacks' parameter of fit must be a list of Callback.*"
                              r"Got \[1\] instead"),
        (dict(metrics=None), r"'metrics' parameter of fit must be a list of metric names"),
        (dict(metrics="mae"), r"'metrics' parameter of fit must be a list"),
        (dict(metrics=["no such metric"]), r"'metric' parameter of fit must be one of"),
        (dict(seed="x"), r"'seed' parameter of fit must be None, an int >= 0 .*Got 'x'"),
        (dict(seed=-1), r"'seed' parameter of fit must be None, an int >= 0 .*Got -1 "),
        (dict(seed=1.5), r"'seed' parameter of fit"),
        (dict(resume_from=3), r"'resume_from' parameter of fit must be a checkpoint's path "
                              r"\(a str or os\.PathLike\) or None\. Got 3 instead"),
        (dict(resume_from=""), r"'resume_from' parameter of fit must be a checkpoint's path"),
        (dict(validation_split=0.99), r"'validation_split' parameter of fit must be a fraction "
                                      r"that leaves at least one row for training and one for "
                                      r"validation; of the 20 rows it holds out all 20"),
        (dict(validation_split=0.99, batch_size=4), r"'validation_split' parameter of fit"),
    ],
)
def test_wrong_options_are_refused_before_any_work(kwargs, fragment):
    refused(MLP([3, 4, 1], seed=0), fragment, *data(), **kwargs)


def test_the_options_that_work_still_do():
    X, y = data()
    fit(MLP([3, 4, 1], seed=0), X, y, epochs=2, shuffle=np.bool_(False), guard=True,
        progress=False, callbacks=(), metrics=("mae",), seed=np.random.default_rng(1))
    fit(MLP([3, 4, 1], seed=0), X, y, epochs=2, seed=np.uint8(3), validation_split=0.9)


def test_validation_split_of_a_single_row_is_refused():
    refused(MLP([3, 4, 1], seed=0), r"'validation_split' parameter of fit must be None with "
            r"1 row of data", np.ones((1, 3)), np.ones(1), validation_split=0.5)


@pytest.mark.parametrize(
    ("n", "kwargs", "fragment"),
    [
        (13, dict(batch_size=4), r"'batch_size' parameter of fit must be None or a size that "
                                 r"leaves every batch at least 2 of the 13 training rows, as "
                                 r"batch norm needs .*e\.g\. 5\. Got 4 instead"),
        (21, dict(batch_size=5), r"at least 2 of the 21 training rows.*e\.g\. 3 or 6\. Got 5 "),
        (20, dict(batch_size=1), r"'batch_size' parameter of fit.*e\.g\. 2\. Got 1 instead"),
        # 25 rows, one in five held out: 20 train, and batches of 19 leave one row.
        (25, dict(batch_size=19, validation_split=0.2), r"the 20 training rows.*Got 19 "),
        (20, dict(batch_size=1, sampler="aw-sgd"), r"'batch_size' parameter of fit.*Got 1 "),
        (1, dict(), r"'X' parameter of fit must be at least 2 training rows for a model with "
                    r"batch norm"),
    ],
)
def test_batch_norm_refuses_a_batch_of_one_row_at_the_call(n, kwargs, fragment):
    refused(batch_norm_net(), fragment, *data(n), **kwargs)


def test_batch_norm_trains_with_the_sizes_the_message_suggests():
    X, y = data(21)
    for batch_size in (3, 6, None):
        fit(batch_norm_net(), X, y, epochs=2, batch_size=batch_size)
    fit(batch_norm_net(), X, y, epochs=2, batch_size=5, sampler="aw-sgd")  # equal batches


def test_onnx_export_of_a_fitted_estimator_names_its_model(tmp_path):
    pytest.importorskip("onnx")
    from mlplab.export import export_onnx, to_onnx
    from mlplab.sklearn import MLPRegressor

    estimator = MLPRegressor(hidden_layer_sizes=(3,), max_iter=2, random_state=0)
    estimator.fit(*data())
    for call, owner in ((lambda: to_onnx(estimator), "to_onnx"),
                        (lambda: export_onnx(estimator, tmp_path / "m.onnx"), "export_onnx")):
        with pytest.raises(ValueError, match=rf"'model' parameter of {owner} must be an mlplab "
                                             r"model \(for a fitted scikit-learn estimator, pass "
                                             r"estimator\.model_\)\. Got a fitted MLPRegressor"):
            call()
    assert not (tmp_path / "m.onnx").exists()
    with pytest.raises(ValueError, match=r"'model' parameter of to_onnx must be an mlplab "
                                         r"model \(Sequential or MLP\)\. Got 3 instead"):
        to_onnx(3)
    to_onnx(estimator.model_)
