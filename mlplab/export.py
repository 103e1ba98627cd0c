"""Export a trained model to ONNX, for onnxruntime and other ONNX tools.

Each layer becomes the standard ONNX operators for its inference-time
behaviour: Dense is MatMul (+ Add for the bias), and so is DropConnect (its
inference uses the plain weights); each activation is the
operator its registry entry names (``onnx_op`` and ``onnx_attributes`` in
`mlplab.activations.ACTIVATIONS`: Sigmoid, Tanh, Relu, LeakyRelu, Identity,
Softmax over the last axis);
BatchNorm uses its running statistics, folded into one Mul and one Add (without
them, ``track_running_stats=False``, the batch's mean and variance: ReduceMean
over the batch axis, as its predict does);
Dropout is the identity. The graph takes ``input: (batch, n_inputs)`` and
returns ``output: (batch, n_outputs)`` in the model's dtype.

Needs the `onnx` extra (``pip install "mlplab[onnx]"``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from mlplab._checks import invalid
from mlplab.activations import ACTIVATIONS
from mlplab.backend import to_numpy
from mlplab.io.atomic import write_atomically
from mlplab.layers import Activation, BatchNorm, Dense, Dropout
from mlplab.model import Sequential

OPSET = 17
IR_VERSION = 8  # the ONNX file version that opset 17 needs; newer onnx writes newer by default,
# which older runtimes refuse


def to_onnx(model: Any) -> Any:
    """The model as an ``onnx.ModelProto`` (checked with onnx's checker)."""
    _check_model(model, "to_onnx")
    onnx, helper = _onnx()
    if model.population:
        raise invalid("model", "to_onnx", "a single model (export one member of a population "
                      "at a time)", f"a population of {model.population[0]}", raw=True)
    graph = _Graph(helper, np.dtype(model.dtype))
    name = "input"
    for i, layer in enumerate(model.layers):
        name = graph.add_layer(i, layer, name)
    graph.nodes.append(helper.make_node("Identity", [name], ["output"]))
    elem = helper.np_dtype_to_tensor_dtype(np.dtype(model.dtype))
    proto = helper.make_model(
        helper.make_graph(graph.nodes, "mlplab", [
            helper.make_tensor_value_info("input", elem, ["batch", model.n_inputs])],
            [helper.make_tensor_value_info("output", elem, ["batch", model.n_outputs])],
            graph.initializers),
        opset_imports=[helper.make_opsetid("", OPSET)], producer_name="mlplab",
        ir_version=IR_VERSION)
    onnx.checker.check_model(proto)
    return proto


def export_onnx(model: Any, path: str | os.PathLike) -> Path:
    """Write `model` as an ONNX file at `path`, atomically."""
    _check_model(model, "export_onnx")
    path = Path(path)
    data = to_onnx(model).SerializeToString()
    write_atomically(path, lambda file: file.write(data))
    return path


def _check_model(model: Any, owner: str) -> None:
    """Refuse what is not a model, naming the model inside a fitted scikit-learn estimator."""
    if isinstance(model, Sequential):
        return
    if isinstance(getattr(model, "model_", None), Sequential):
        raise invalid("model", owner, "an mlplab model (for a fitted scikit-learn estimator, "
                      "pass estimator.model_)", f"a fitted {type(model).__name__}", raw=True)
    raise invalid("model", owner, "an mlplab model (Sequential or MLP)", model)


class _Graph:
    """ONNX nodes and initializers, built layer by layer."""

    def __init__(self, helper: Any, dtype: np.dtype) -> None:
        self.helper, self.dtype = helper, dtype
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []

    def constant(self, name: str, value: Any) -> str:
        array = np.asarray(to_numpy(value), dtype=self.dtype)
        self.initializers.append(self.helper.make_tensor(
            name, self.helper.np_dtype_to_tensor_dtype(self.dtype), array.shape,
            array.ravel().tolist()))
        return name

    def node(self, op: str, inputs: list[str], output: str, **attributes: Any) -> str:
        self.nodes.append(self.helper.make_node(op, inputs, [output], **attributes))
        return output

    def add_layer(self, i: int, layer: Any, x: str) -> str:
        if isinstance(layer, Dense):
            z = self.node("MatMul", [x, self.constant(f"W{i}", layer.params[0])], f"matmul{i}")
            if layer.bias:
                z = self.node("Add", [z, self.constant(f"b{i}", layer.params[1])], f"dense{i}")
            return z
        if isinstance(layer, Activation):
            return self._activation(i, layer, x)
        if isinstance(layer, BatchNorm):
            return self._batchnorm(i, layer, x)
        if isinstance(layer, Dropout):
            return self.node("Identity", [x], f"dropout{i}")
        raise invalid("model", "to_onnx", "layers ONNX export knows (Dense, DropConnect, "
                      "Activation, BatchNorm, Dropout)", f"a {type(layer).__name__} layer",
                      raw=True)

    def _batchnorm(self, i: int, layer: BatchNorm, x: str) -> str:
        """gamma * x_hat + beta: running statistics folded into one Mul and one Add."""
        n = layer.n_features
        gamma, beta = ((to_numpy(p) for p in layer.params) if layer.affine
                       else (np.ones(n), np.zeros(n)))
        if not layer.track_running_stats:
            return self._batch_normalized(i, layer, x, gamma, beta)
        mean, var = (to_numpy(b) for b in layer.buffers[:2])
        scale = gamma / np.sqrt(var + layer.eps)
        scaled = self.node("Mul", [x, self.constant(f"bn_scale{i}", scale)], f"bn_mul{i}")
        return self.node("Add", [scaled, self.constant(f"bn_shift{i}", beta - mean * scale)],
                         f"batchnorm{i}")

    def _batch_normalized(self, i: int, layer: BatchNorm, x: str, gamma: Any, beta: Any) -> str:
        """(x - mean) / sqrt(var + eps) * gamma + beta with the batch's mean and biased variance."""
        mean = self.node("ReduceMean", [x], f"bn_mean{i}", axes=[0], keepdims=1)
        centred = self.node("Sub", [x, mean], f"bn_centred{i}")
        square = self.node("Mul", [centred, centred], f"bn_square{i}")
        var = self.node("ReduceMean", [square], f"bn_var{i}", axes=[0], keepdims=1)
        shifted = self.node("Add", [var, self.constant(f"bn_eps{i}", layer.eps)], f"bn_veps{i}")
        std = self.node("Sqrt", [shifted], f"bn_std{i}")
        x_hat = self.node("Div", [centred, std], f"bn_x_hat{i}")
        scaled = self.node("Mul", [x_hat, self.constant(f"bn_gamma{i}", gamma)], f"bn_mul{i}")
        return self.node("Add", [scaled, self.constant(f"bn_beta{i}", beta)], f"batchnorm{i}")

    def _activation(self, i: int, layer: Activation, x: str) -> str:
        """The registry's operator; its attributes are constants or the layer's own options.

        ``onnx_attributes`` maps an ONNX attribute to a value, or an option of the
        layer to the attribute that carries it (leaky ReLU's slope is ONNX's alpha).
        """
        name = layer.name
        attributes: dict[str, Any] = {}
        for key, value in ACTIVATIONS.fact(name, "onnx_attributes", {}).items():
            if isinstance(value, str):  # an option of the function, under ONNX's name
                default = _option_default(ACTIVATIONS[name].forward, key)
                attributes[value] = float(layer.kwargs.get(key, default))
            else:
                attributes[key] = value
        return self.node(ACTIVATIONS.fact(name, "onnx_op"), [x], f"{name}{i}", **attributes)


def _option_default(fn: Any, option: str) -> Any:
    import inspect

    return inspect.signature(fn).parameters[option].default


def _onnx() -> tuple[Any, Any]:
    try:
        import onnx
        from onnx import helper
    except ImportError:
        raise ImportError('ONNX export needs the onnx package: pip install "mlplab[onnx]"'
                          ) from None
    return onnx, helper
