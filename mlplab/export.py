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

With ``ensemble=True`` a population of K members (one population axis) is one
graph that averages them: MatMul broadcasts ``(batch, n_in) @ (K, n_in, n_out)``
to ``(K, batch, n_out)``, every per-member vector (a bias, BatchNorm's folded
scale and shift, gamma and beta) is stored as ``(K, 1, n)`` so that it adds to
each member's rows, BatchNorm without running statistics normalizes each
member's rows with that member's batch mean and variance (ReduceMean over the
rows axis, -2), and one ReduceMean over axis 0 gives the ensemble's
``output = (1/K) sum_k output_k``: the mean of the members' probabilities for a
softmax output, of their values for a linear one. The label is the ArgMax of the
mean probabilities; a regression's target map ``y * scale + mean`` is affine, so
mapping the mean equals averaging the members' mapped values.

With `preprocessing` (a `mlplab.preprocessing.TablePreprocessor` config, as
`mlplab train` saves it), the graph starts from the raw columns instead:
``input: (batch, n_number_columns)`` holds the number columns the model reads,
in the file's order (NaN for a missing value), and each text column is one more
input of its own name, ``(batch, 1)`` strings. Numbers are filled where
missing and standardized, ``Where(IsNaN(x), fill, x)``, ``Sub`` the mean,
``Div`` by the scale; a text column becomes its one-hot block through
ai.onnx.ml's ``LabelEncoder`` (category -> index; a missing marker such as ""
-> the fill's index; anything unseen -> -1, all zeros) and ``Equal`` with
0..K-1. A classifier returns ``output`` (the class probabilities) and
``label`` (``Gather`` of the class labels at the ``ArgMax``); a regression
returns ``output`` in the target's units (``Mul`` by the scale, ``Add`` the mean).

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
from mlplab.data.table import MISSING
from mlplab.io.atomic import write_atomically
from mlplab.layers import Activation, BatchNorm, Dense, Dropout
from mlplab.model import Sequential

OPSET = 17
ML_OPSET = 2  # ai.onnx.ml, for LabelEncoder (text columns)
IR_VERSION = 8  # the ONNX file version that opset 17 needs; newer onnx writes newer by default,
# which older runtimes refuse


def to_onnx(model: Any, *, preprocessing: dict[str, Any] | None = None,
            ensemble: bool = False) -> Any:
    """The model as an ``onnx.ModelProto`` (checked with onnx's checker).

    preprocessing: the config of the `TablePreprocessor` the model was trained
    behind; the graph then takes the raw columns (module doc).
    ensemble: `model` is a population of K members and the graph returns their
    mean, ``output = (1/K) sum_k output_k`` (module doc); False for a single model.
    """
    _check_model(model, "to_onnx")
    _check_ensemble(model, ensemble, "to_onnx")
    onnx, helper = _onnx()
    graph = _Graph(helper, np.dtype(model.dtype))
    elem = helper.np_dtype_to_tensor_dtype(np.dtype(model.dtype))
    if preprocessing is None:
        name = "input"
        inputs = [helper.make_tensor_value_info("input", elem, ["batch", model.n_inputs])]
    else:
        name, inputs = graph.add_preprocessing(preprocessing)
    for i, layer in enumerate(model.layers):
        name = graph.add_layer(i, layer, name)
    if ensemble and graph.stacked:  # (unstacked: no per-member arrays, all members agree)
        name = graph.node("ReduceMean", [name], "ensemble_mean", axes=[0], keepdims=0)
    outputs = graph.add_outputs(name, preprocessing, model.n_outputs)
    _check_input_names(inputs, graph)
    opsets = [helper.make_opsetid("", OPSET)]
    if preprocessing is not None and preprocessing["texts"]:
        opsets.append(helper.make_opsetid("ai.onnx.ml", ML_OPSET))
    proto = helper.make_model(helper.make_graph(graph.nodes, "mlplab", inputs, outputs,
                                                graph.initializers),
                              opset_imports=opsets, producer_name="mlplab",
                              ir_version=IR_VERSION)
    onnx.checker.check_model(proto)
    return proto


def _check_input_names(inputs: list[Any], graph: _Graph) -> None:
    """Refuse a text column named like one of the graph's own tensors (W0, relu1, ...)."""
    own = {t.name for t in graph.initializers} | {o for n in graph.nodes for o in n.output}
    taken = sorted({i.name for i in inputs} & own)
    if taken:
        raise invalid("preprocessing", "to_onnx", "text columns named other than the graph's "
                      "own tensors", f"the columns {taken}", raw=True)


def export_onnx(model: Any, path: str | os.PathLike, *,
                preprocessing: dict[str, Any] | None = None, ensemble: bool = False) -> Path:
    """Write `model` (behind its `preprocessing`, if given) as an ONNX file at `path`.

    ensemble: `model` is a population whose members' mean the graph returns (`to_onnx`).
    """
    _check_model(model, "export_onnx")
    _check_ensemble(model, ensemble, "export_onnx")
    path = Path(path)
    data = to_onnx(model, preprocessing=preprocessing, ensemble=ensemble).SerializeToString()
    write_atomically(path, lambda file: file.write(data))
    return path


def onnx_interface(model: Any, preprocessing: dict[str, Any] | None,
                   ensemble: bool = False) -> list[str]:
    """What the exported graph takes and gives, in lines for a person.

    ensemble: the graph averages the members of the population `model` (`to_onnx`).
    """
    mean = _mean_text(model) if ensemble and model.population else ""
    if preprocessing is None:
        return [f"  input: (batch, {model.n_inputs}) numbers, scaled as the model expects "
                "(no preprocessing is stored with this model)",
                f"  output: (batch, {model.n_outputs}){mean}"]
    numbers, texts = preprocessing["numbers"], preprocessing["texts"]
    lines = []
    if numbers:
        lines.append(f"  input: (batch, {len(numbers)}) numbers, NaN for missing, the "
                     f"columns {', '.join(repr(c['name']) for c in numbers)}")
    lines += [f"  {c['name']!r}: (batch, 1) text, one-hot encoded in the graph "
              f"({len(c['categories'])} categories; unseen ones give zeros)" for c in texts]
    if preprocessing["task"] == "classification":
        classes = ", ".join(map(str, preprocessing["classes"]))
        lines.append(f"  output: (batch, {len(preprocessing['classes'])}) class probabilities "
                     f"({classes}){mean}; label: (batch,) the predicted class")
    else:
        lines.append(f"  output: (batch, 1) predicted {preprocessing['target']!r} in its "
                     f"units{mean}")
    return lines


def _mean_text(model: Any) -> str:
    """", averaged over the K networks": an ensemble's outputs are its members' mean."""
    return f", averaged over the {model.population[0]} networks"


def _check_ensemble(model: Any, ensemble: Any, owner: str) -> None:
    """Refuse a population without ``ensemble=True``, and ``ensemble=True`` without one."""
    if not isinstance(ensemble, bool | np.bool_):
        raise invalid("ensemble", owner, "True or False", ensemble)
    population = tuple(model.population)
    if len(population) > 1:
        raise invalid("model", owner, "a single model, or with ensemble=True a population "
                      "with one axis of members to average", f"a population of shape "
                      f"{population}", raw=True)
    if population and not ensemble:
        raise invalid("model", owner, "a single model (export one member of a population at "
                      "a time, or pass ensemble=True for one graph that returns the members' "
                      "mean)", f"a population of {population[0]}", raw=True)
    if ensemble and not population:
        raise invalid("ensemble", owner, "False for a single model (True averages the "
                      "members of a population)", "True with a single model", raw=True)


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
        # Whether the tensor so far has the population axis in front: it appears with the
        # first per-member constant (a population's input is shared by its members).
        self.stacked = False

    def constant(self, name: str, value: Any) -> str:
        array = np.asarray(to_numpy(value), dtype=self.dtype)
        self.initializers.append(self.helper.make_tensor(
            name, self.helper.np_dtype_to_tensor_dtype(self.dtype), array.shape,
            array.ravel().tolist()))
        return name

    def per_feature(self, name: str, value: Any) -> str:
        """A per-feature vector: (n,) for a single model; (K, n) as (K, 1, n) for a
        population, so that it broadcasts over each member's rows of (K, batch, n)."""
        array = np.asarray(to_numpy(value))
        if array.ndim > 1:
            self.stacked = True
            array = array[..., None, :]
        return self.constant(name, array)

    def node(self, op: str, inputs: list[str], output: str, **attributes: Any) -> str:
        self.nodes.append(self.helper.make_node(op, inputs, [output], **attributes))
        return output

    def typed(self, name: str, value: Any, elem: int) -> str:
        """A constant of ONNX element type `elem` (strings, int64, ...)."""
        array = np.asarray(value)
        values = ([v.encode("utf-8") for v in array.ravel().tolist()]
                  if elem == self.helper.np_dtype_to_tensor_dtype(np.dtype(object))
                  else array.ravel().tolist())
        self.initializers.append(self.helper.make_tensor(name, elem, array.shape, values))
        return name

    def add_preprocessing(self, config: dict[str, Any]) -> tuple[str, list[Any]]:
        """The raw columns' inputs and the nodes up to the network's input (module doc)."""
        helper, elem = self.helper, self.helper.np_dtype_to_tensor_dtype(self.dtype)
        inputs, blocks = [], []
        numbers = config["numbers"]
        if numbers:
            inputs.append(helper.make_tensor_value_info("input", elem, ["batch", len(numbers)]))
            nan = self.node("IsNaN", ["input"], "_missing")
            fill = self.constant("_fill", [c["fill"] for c in numbers])
            filled = self.node("Where", [nan, fill, "input"], "_filled")
            centred = self.node("Sub", [filled, self.constant("_mean", [c["mean"] for c in
                                                                        numbers])], "_centred")
            blocks.append(self.node("Div", [centred, self.constant(
                "_scale", [c["scale"] for c in numbers])], "_scaled"))
        for j, column in enumerate(config["texts"]):
            if column["name"] in ("input", "output", "label"):
                raise invalid("preprocessing", "to_onnx", "text columns named other than "
                              "'input', 'output' and 'label' (the graph's own names)",
                              column["name"])
            inputs.append(helper.make_tensor_value_info(column["name"], self.helper.
                                                        np_dtype_to_tensor_dtype(
                                                            np.dtype(object)), ["batch", 1]))
            blocks.append(self._one_hot(j, column, config["impute"]))
        if len(blocks) == 1:
            return blocks[0], inputs
        return self.node("Concat", blocks, "_features", axis=1), inputs

    def _one_hot(self, j: int, column: dict[str, Any], impute: str) -> str:
        """A text column's one-hot block: LabelEncoder to an index, Equal with 0..K-1."""
        categories = list(column["categories"])
        markers = sorted({v for m in MISSING for v in (m, m.upper(), m.title())}
                         - set(categories))
        fill = categories.index(column["fill"]) if impute != "none" else -1
        index = self.node("LabelEncoder", [column["name"]], f"_text_index{j}",
                          domain="ai.onnx.ml", keys_strings=categories + markers,
                          values_int64s=list(range(len(categories))) + [fill] * len(markers),
                          default_int64=-1)
        levels = self.typed(f"_text_levels{j}", np.arange(len(categories), dtype=np.int64),
                            self.helper.np_dtype_to_tensor_dtype(np.dtype(np.int64)))
        equal = self.node("Equal", [index, levels], f"_text_equal{j}")
        return self.node("Cast", [equal], f"_text_one_hot{j}",
                         to=self.helper.np_dtype_to_tensor_dtype(self.dtype))

    def add_outputs(self, x: str, config: dict[str, Any] | None, n_outputs: int) -> list[Any]:
        """The graph's outputs: the network's; with preprocessing, labels or target units."""
        helper, elem = self.helper, self.helper.np_dtype_to_tensor_dtype(self.dtype)
        if config is not None and config["task"] == "regression":
            scaled = self.node("Mul", [x, self.constant("_target_scale", config["target_scale"])],
                               "_target_scaled")
            x = self.node("Add", [scaled, self.constant("_target_mean", config["target_mean"])],
                          "_target_value")
        self.nodes.append(helper.make_node("Identity", [x], ["output"]))
        outputs = [helper.make_tensor_value_info("output", elem, ["batch", n_outputs])]
        if config is not None and config["task"] == "classification":
            classes = np.asarray(config["classes"], dtype=object)
            kind = (np.dtype(object) if any(isinstance(c, str) for c in config["classes"])
                    else np.dtype(np.int64) if all(isinstance(c, int) for c in config["classes"])
                    else np.dtype(np.float64))
            label_elem = helper.np_dtype_to_tensor_dtype(kind)
            labels = classes if kind == np.dtype(object) else classes.astype(kind)
            table = self.typed("_classes", labels, label_elem)
            best = self.node("ArgMax", ["output"], "_best_class", axis=1, keepdims=0)
            self.nodes.append(helper.make_node("Gather", [table, best], ["label"]))
            outputs.append(helper.make_tensor_value_info("label", label_elem, ["batch"]))
        return outputs

    def add_layer(self, i: int, layer: Any, x: str) -> str:
        if isinstance(layer, Dense):
            W = layer.params[0]
            self.stacked = self.stacked or W.ndim > 2  # (batch, in) @ (K, in, out) -> (K, ...)
            z = self.node("MatMul", [x, self.constant(f"W{i}", W)], f"matmul{i}")
            if layer.bias:
                z = self.node("Add", [z, self.per_feature(f"b{i}", layer.params[1])],
                              f"dense{i}")
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
        scaled = self.node("Mul", [x, self.per_feature(f"bn_scale{i}", scale)], f"bn_mul{i}")
        return self.node("Add", [scaled, self.per_feature(f"bn_shift{i}", beta - mean * scale)],
                         f"batchnorm{i}")

    def _batch_normalized(self, i: int, layer: BatchNorm, x: str, gamma: Any, beta: Any) -> str:
        """(x - mean) / sqrt(var + eps) * gamma + beta with the batch's mean and biased variance.

        The statistics are over the rows axis (-2): each member of a population its own.
        """
        mean = self.node("ReduceMean", [x], f"bn_mean{i}", axes=[-2], keepdims=1)
        centred = self.node("Sub", [x, mean], f"bn_centred{i}")
        square = self.node("Mul", [centred, centred], f"bn_square{i}")
        var = self.node("ReduceMean", [square], f"bn_var{i}", axes=[-2], keepdims=1)
        shifted = self.node("Add", [var, self.constant(f"bn_eps{i}", layer.eps)], f"bn_veps{i}")
        std = self.node("Sqrt", [shifted], f"bn_std{i}")
        x_hat = self.node("Div", [centred, std], f"bn_x_hat{i}")
        scaled = self.node("Mul", [x_hat, self.per_feature(f"bn_gamma{i}", gamma)], f"bn_mul{i}")
        return self.node("Add", [scaled, self.per_feature(f"bn_beta{i}", beta)], f"batchnorm{i}")

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
