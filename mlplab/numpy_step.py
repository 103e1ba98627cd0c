"""NumPy's fast path: a network's training pass written out as straight-line code.

On a tutorial-sized network each NumPy call takes well under a microsecond,
so what costs is Python: a method call per layer, forward and backward, and
the loops between them. For a model made only of Dense and Activation layers
on NumPy, `compile_gradients` writes the pass out once, as the tutorials
write it by hand, and compiles it:

    >>> print(gradients_source(MLP([3, 4, 1], activation="sigmoid",
    ...                            output_activation="sigmoid", bias=False), Delta()))
    def gradients(x0, y, training=True):
        x1 = x0.dot(W0)               # Dense 0
        x2 = f1(x1)                   # Activation 1 (sigmoid)
        x3 = x2.dot(W2)               # Dense 2
        ...

Every line calls exactly what the layers' own `forward` and `backward` call
(the same NumPy functions, the registry's activation functions, the loss's
methods), in the same order, so the numbers are the layers' bit for bit
(tests/test_numpy_step.py checks every activation and loss, populations,
float32 and sample weights). The weights are bound by reference, so
the code stays right while training updates them in place; a fit compiles
its own. Models with other layers (Dropout, BatchNorm), other backends, or
weights whose arrays are replaced use the layers themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from mlplab._checks import invalid
from mlplab.layers import Activation, Dense

Gradients = Callable[..., tuple[Any, Any, list[Any]]]


def compile_gradients(objective: Any) -> Gradients | None:
    """The pass of `objective` (an `mlplab.objective.Objective`) as one function, or None.

    None when the model is not on NumPy or has a layer other than Dense and
    Activation; the objective's own `gradients` then serves.
    """
    plan = _plan(objective)
    if plan is None:
        return None
    source, names = plan
    namespace = dict(names)
    exec(compile(source, "<mlplab.numpy_step>", "exec"), namespace)  # our own code, no input
    return namespace["gradients"]


def gradients_source(model: Any, loss: Any) -> str:
    """The straight-line source `compile_gradients` runs for `model` and `loss` (for reading).

    loss: a name (as `fit` takes it, e.g. "mse") or a Loss.
    """
    from mlplab.losses import get_loss
    from mlplab.objective import Objective  # objectives build on this module, not the reverse

    plan = _plan(Objective(model, get_loss(loss, owner="gradients_source"), None, None))
    if plan is None:
        raise invalid("model", "gradients_source", "a NumPy model of Dense and Activation "
                      "layers (others train through their layers)", model)
    return plan[0]


def _plan(objective: Any) -> tuple[str, dict[str, Any]] | None:
    model = objective.model
    # Exactly these two classes: a subclass (DropConnect is a Dense) computes its own way.
    if not model.backend.is_numpy or not all(
            type(layer) in (Dense, Activation) for layer in model.layers):
        return None
    writer = _Writer(objective)
    return writer.source(), writer.names


class _Writer:
    """Writes the forward pass, the loss, and the backward pass, line by line."""

    def __init__(self, objective: Any) -> None:
        self.objective, self.model = objective, objective.model
        self.names: dict[str, Any] = {"objective": objective}
        self.lines = ["def gradients(x0, y, training=True):"]
        self.grads: dict[int, list[str]] = {}

    def source(self) -> str:
        layers = self.model.layers
        count = len(layers) - 1 if self.objective.fused else len(layers)
        for i in range(len(layers)):
            self._forward(i, layers[i])
        self._loss(count)
        first = next(i for i, layer in enumerate(layers) if layer.param_names)
        for i in range(count - 1, first - 1, -1):  # below the first weights, nothing to learn
            self._backward(i, layers[i], need_input_grad=i > first)
        order = ", ".join(g for i in sorted(self.grads) for g in self.grads[i])
        self.lines.append(f"    return x{len(layers)}, value, [{order}]")
        return "\n".join(self.lines) + "\n"

    def emit(self, line: str, comment: str = "") -> None:
        self.lines.append(f"    {line:<30}# {comment}" if comment else f"    {line}")

    def bind(self, name: str, value: Any) -> str:
        self.names[name] = value
        return name

    def _product(self, layer: Any, a: str, b: str) -> str:
        """a @ b as the Dense layer computes it: ndarray.dot for 2-D weights, else matmul.

        (The method is NumPy's `dot` itself without the function's dispatch.)
        """
        if layer.params[0].ndim == 2:
            return f"{a}.dot({b})"
        self.bind("matmul", np.matmul)
        return f"matmul({a}, {b})"

    def _forward(self, i: int, layer: Any) -> None:
        if isinstance(layer, Dense):
            W = self.bind(f"W{i}", layer.params[0])
            self.emit(f"x{i + 1} = {self._product(layer, f'x{i}', W)}", f"Dense {i}")
            if layer.bias:
                self.emit(f"x{i + 1} += {self.bind(f'b{i}', layer.params[1][..., None, :])}")
        else:
            self.emit(f"x{i + 1} = {self.bind(f'f{i}', layer._forward)}(x{i})",
                      f"Activation {i} ({layer.name})")

    def _loss(self, count: int) -> None:
        objective = self.objective
        self.bind("loss", objective._value_and_gradient)
        self.bind("xp", self.model.backend.xp)
        self.emit("if objective.batch_weights is None:")
        self.emit(f"    value, g = loss(x{count}, y, xp)", "how much did we miss?")
        self.emit("else:")
        self.emit(f"    value, g = objective.weighted(x{count}, y, xp)", "per-sample weights")
        self.emit("if objective.sample_weights is not None:")
        self.emit("    objective.output_gradient = g")
        self.emit("    g = g * objective.sample_weights")

    def _backward(self, i: int, layer: Any, need_input_grad: bool) -> None:
        if isinstance(layer, Dense):
            self.emit(f"dW{i} = {self._product(layer, f'x{i}.mT', 'g')}", f"Dense {i} backward")
            self.grads[i] = [f"dW{i}"]
            if layer.bias:
                self.bind("xp_sum", layer.backend.xp.sum)
                self.emit(f"db{i} = xp_sum(g, axis=-2)")
                self.grads[i].append(f"db{i}")
            if need_input_grad:
                W_T = self.bind(f"WT{i}", layer.params[0].mT)
                self.emit(f"g = {self._product(layer, 'g', W_T)}")
        elif layer._derivative is None:
            self.emit(f"g = {self.bind(f'v{i}', layer._vjp)}(g, x{i + 1})",
                      f"Activation {i} backward")
        else:
            saved = f"x{i}" if layer._keep_input else f"x{i + 1}"
            self.emit(f"s = {self.bind(f'd{i}', layer._derivative)}({saved})",
                      f"Activation {i} backward: its slope")
            self.emit("s *= g")
            self.emit("g = s")
