"""model.summary(): the layers, their shapes and parameter counts, as a table."""

import re

import numpy as np

from mlplab import MLP, Sequential
from mlplab.layers import Activation, BatchNorm, Dense, Dropout


def rows(text):
    """The table's rows as lists of cells (two or more spaces apart), header first."""
    return [re.split(r"\s{2,}", line.strip()) for line in text.splitlines()[1:-1]]


def test_an_mlp_lists_every_layer_with_its_shape_and_count():
    model = MLP([4, 8, 3], activation="tanh", output_activation="softmax")
    text = model.summary()
    lines = text.splitlines()
    assert lines[0] == "MLP: 4 inputs -> 3 outputs; one model; float64 on numpy"
    assert rows(text) == [
        ["#", "layer", "output shape", "parameters", "options"],
        ["0", "Dense", "(n, 8)", "40", "4 -> 8, bias"],
        ["1", "Activation", "(n, 8)", "0", "tanh"],
        ["2", "Dense", "(n, 3)", "27", "8 -> 3, bias"],
        ["3", "Activation", "(n, 3)", "0", "softmax"]]
    total = sum(p.size for p in model.params)
    assert lines[-1] == f"parameters: {total}; buffers (not trained): 0"


def test_a_population_counts_per_model_and_in_all():
    model = MLP([3, 5, 1], seed=[0, 1, 2, 3], dtype="float32", dropconnect=0.25)
    text = model.summary()
    assert "a population of 4 models, shape (4,); float32 on numpy" in text.splitlines()[0]
    assert rows(text)[1] == ["0", "DropConnect", "(4, n, 5)", "20", "3 -> 5, bias, rate=0.25"]
    per_model = sum(p.size for p in model.params) // 4
    assert text.splitlines()[-1] == (f"parameters: {per_model} per model ({4 * per_model} "
                                     "in all); buffers (not trained): 0")


def test_other_layers_show_their_options_and_buffers():
    model = Sequential([Dense(3, 6, bias=False), BatchNorm(6, momentum=0.2),
                        Activation("leaky_relu", slope=0.1), Dropout(0.3), Dense(6, 2)])
    table = rows(model.summary())
    assert table[1][4] == "3 -> 6, no bias" and table[1][3] == "18"
    assert table[2][1:] == ["BatchNorm", "(n, 6)", "12", "momentum=0.2, eps=1e-05"]
    assert table[3][4] == "leaky_relu, slope=0.1"
    assert table[4][3:] == ["0", "rate=0.3"]
    buffers = sum(np.size(b) for b in model.buffers)
    assert model.summary().endswith(f"parameters: {18 + 12 + 14}; buffers (not trained): "
                                    f"{buffers}")
    assert model.summary().splitlines()[0].startswith("Sequential: 3 inputs -> 2 outputs")


def test_the_backend_is_named_with_its_device():
    model = MLP([2, 1]).to("array_api_strict")
    assert "float64 on array_api_strict (" in model.summary().splitlines()[0]
    assert "1 output;" in model.summary()
