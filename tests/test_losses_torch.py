"""Huber, weighted and smoothed cross-entropies against PyTorch's recorded numbers.

tests/fixtures/torch_losses.npz holds torch 2.13.0's values and gradients
(see tests/fixtures/make_torch_loss_fixtures.py); this file does not import torch.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from mlplab.losses import LOSSES

FIXTURE = Path(__file__).parent / "fixtures" / "torch_losses.npz"
TOLERANCE = 1e-12  # relative; absolute for entries below 1e-3 in size


def load() -> tuple[dict, dict]:
    with np.load(FIXTURE, allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    return json.loads(str(arrays.pop("meta"))), arrays


META, ARRAYS = load()


def test_fixture_covers_every_option():
    seen = {(case["loss"], case["path"], key) for case in META["cases"].values()
            for key, value in case["options"].items() if value not in (None, 0.0)}
    assert seen >= {("huber", "value", "delta"),
                    ("softmax_crossentropy", "logits", "label_smoothing"),
                    ("softmax_crossentropy", "logits", "class_weights"),
                    ("binary_crossentropy", "logits", "pos_weight"),
                    ("binary_crossentropy", "value", "pos_weight")}


@pytest.mark.parametrize("key", sorted(META["cases"]))
def test_value_and_gradient_equal_torch(key):
    case = META["cases"][key]
    loss = LOSSES[case["loss"]](**case["options"])
    x, y = ARRAYS[f"{key}_input"], ARRAYS[f"{key}_target"]
    if case["path"] == "logits":
        value, grad = loss.value_and_gradient_from_logits(x, y)
    else:
        value, grad = loss.value_and_gradient(x, y)
    np.testing.assert_allclose(value, ARRAYS[f"{key}_value"], rtol=TOLERANCE, atol=0)
    np.testing.assert_allclose(grad, ARRAYS[f"{key}_grad"], rtol=TOLERANCE,
                               atol=TOLERANCE * 1e-3)
