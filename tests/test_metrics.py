"""Metrics: known values on small inputs, one value per model."""

import numpy as np
import pytest

from mlplab.metrics import METRICS, accuracy, get_metric, mae, metric_name, mse

OUT = np.array([[0.5, 2.0], [1.0, -1.0], [0.0, 3.0]])
Y = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])


def test_mae_and_mse_average_over_samples_and_outputs():
    assert mae(OUT, Y) == pytest.approx((0.5 + 2 + 0 + 2 + 0 + 3) / 6)
    assert mse(OUT, Y) == pytest.approx((0.25 + 4 + 0 + 4 + 0 + 9) / 6)


def test_mae_and_mse_give_one_value_per_model():
    population = np.stack([OUT, Y, Y + 1])
    np.testing.assert_allclose(mae(population, Y), [7.5 / 6, 0.0, 1.0])
    np.testing.assert_allclose(mse(population, Y), [17.25 / 6, 0.0, 1.0])


def test_accuracy_thresholds_a_single_output_at_one_half():
    out = np.array([[0.9], [0.2], [0.6], [0.4]])
    y = np.array([[1.0], [0.0], [0.0], [1.0]])
    assert accuracy(out, y) == 0.5
    assert accuracy(np.stack([out, 1 - out, y]), y).tolist() == [0.5, 0.5, 1.0]


def test_accuracy_takes_the_argmax_of_several_outputs():
    out = np.array([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.2, 0.2, 0.6], [0.3, 0.4, 0.3]])
    y = np.eye(3)[[1, 0, 0, 2]]
    assert accuracy(out, y) == 0.5
    population = np.stack([out, y, np.roll(y, 1, axis=-1)])
    np.testing.assert_array_equal(accuracy(population, y), [0.5, 1.0, 0.0])


def test_get_metric_by_name_or_callable():
    assert set(METRICS) == {"mae", "mse", "accuracy"}
    assert get_metric("accuracy") is accuracy
    assert get_metric(np.max) is np.max
    assert metric_name("mse") == "mse"
    assert metric_name(mae) == "mae"
    with pytest.raises(ValueError, match=r"'metric'.*'f1'"):
        get_metric("f1")
