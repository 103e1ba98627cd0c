"""Models: a `Sequential` stack of layers and the `MLP` shortcut.

A model may be a *population*: K independent models of one architecture held
in arrays with a leading axis of length K (``W: (K, n_in, n_out)``). Give
``seed`` a list of K seeds and each member is initialized exactly as a single
model with that seed would be, so training the population gives the same
numbers as K separate runs.

A model computes with one array backend (`mlplab.backend`): NumPy by default,
CuPy for NVIDIA GPUs, or any namespace of the array API standard. ``backend=None``
follows the arrays given to the first `fit` or `predict`; ``model.to(name)``
moves a model, and ``model.to_numpy()`` brings it back. Initial weights are
drawn on the host with NumPy and then moved, so a seed gives the same
weights on every backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from mlplab._checks import (
    all_finite,
    as_float_array,
    built_from_config,
    check_choice,
    check_int,
    invalid,
)
from mlplab.activations import ACTIVATIONS, canonical_activation
from mlplab.backend import NUMPY, Backend, backend_of, get_backend, to_numpy
from mlplab.initializers import Initializer, get_initializer, initializer_name, rng_for
from mlplab.layers import Activation, Dense, DropConnect, Dropout, Layer, layer_from_config
from mlplab.params import ParamList
from mlplab.streams import UNWRITABLE, written_seed

DTYPES = {"float64": np.float64, "float32": np.float32}


class Sequential:
    """Layers applied in order. X: (n_samples, n_features) -> (*population, n_samples, n_out).

    seed: None, an int, a numpy Generator, or a list of those for a population.
    init: the default weight initializer for Dense layers that name none.
    backend: None (follow the first arrays given to fit or predict), "numpy",
    "cupy", "array_api_strict", an array namespace or a `Backend`.
    Trainable arrays are `params`; non-trainable state that training updates
    (BatchNorm's running averages) is `buffers`, also per population member.
    """

    def __init__(self, layers: Sequence[Layer], *, seed: Any = None,
                 init: str | Initializer = "glorot_uniform", dtype: str = "float64",
                 backend: Any = None) -> None:
        if not layers or not all(isinstance(layer, Layer) for layer in layers):
            raise invalid("layers", type(self).__name__, "a non-empty list of Layer objects",
                          layers)
        self.layers = list(layers)
        self.n_inputs, self.n_outputs = _chain_sizes(self.layers, type(self).__name__)
        # Layers' backward methods last to first, each with whether its input needs a gradient
        # (not the data's); the second plan starts below a final activation fused into the loss.
        plan = [(layer.backward, i > 0) for i, layer in enumerate(self.layers)][::-1]
        self._backward_plan = {False: plan, True: plan[1:]}
        self._trainable = [layer for layer in self.layers if layer.param_names]
        self.init = init
        self.dtype = dtype_name(dtype, type(self).__name__)
        self.seed = seed
        self.backend: Backend = NUMPY
        self._follows_data = backend is None
        self._initialize(seed, get_initializer(init, owner=type(self).__name__))
        if backend is not None:
            self.to(get_backend(backend, owner=type(self).__name__))

    def _initialize(self, seed: Any, init: Initializer) -> None:
        seeds = seed if isinstance(seed, list | tuple) else [seed]
        if not seeds:
            raise invalid("seed", type(self).__name__, "a seed or a non-empty list of seeds",
                          seed)
        members = []
        for member_seed in seeds:
            rng = rng_for(member_seed, init, owner=type(self).__name__)
            members.append([(layer.init_params(rng, init), layer.init_buffers())
                            for layer in self.layers])
        self.population: tuple[int, ...] = (len(seeds),) if isinstance(seed, list | tuple) else ()
        for i, layer in enumerate(self.layers):
            layer.set_population(self.population)
            layer.set_backend(self.backend)
            layer.params = self._stack([m[i][0] for m in members])
            layer.buffers = self._stack([m[i][1] for m in members])
            layer.grads = []

    def _stack(self, members: list[list[np.ndarray]]) -> list[Any]:
        """Each member's j-th array stacked along the population axis (if any), j by j."""
        return [self.backend.asarray(np.array(np.stack(arrays) if self.population
                                              else arrays[0], dtype=self.dtype))
                for arrays in zip(*members, strict=True)]

    @property
    def xp(self) -> Any:
        """The array namespace the model computes with (see `mlplab.backend`)."""
        return self.backend.xp

    def to(self, backend: Any) -> Sequential:
        """Move weights and buffers to `backend` (a name, namespace or Backend); returns self."""
        backend = get_backend(backend, owner=f"{type(self).__name__}.to")
        self._follows_data = False
        if backend == self.backend:
            return self
        for layer in self.layers:
            layer.params = [backend.asarray(p) for p in layer.params]
            layer.buffers = [backend.asarray(b) for b in layer.buffers]
            layer.grads = []
            layer.set_backend(backend)
        self.backend = backend
        return self

    def to_numpy(self) -> Sequential:
        """Move the model back to NumPy (the host); returns self."""
        return self.to(NUMPY)

    def follow(self, data: Any) -> None:
        """With ``backend=None``, adopt the backend of the first data seen (once)."""
        if self._follows_data:
            self.to(backend_of(data))

    @property
    def params(self) -> ParamList:
        """Every parameter array, layer by layer (updated in place by training)."""
        return ParamList((p for layer in self.layers for p in layer.params), self.population,
                         self.backend)

    @property
    def buffers(self) -> list[Any]:
        """Every non-trainable state array (BatchNorm's running averages), layer by layer."""
        return [b for layer in self.layers for b in layer.buffers]

    def forward(self, x: Any, *, training: bool = False, rngs: Sequence[Any] | None = None
                ) -> Any:
        """Run every layer; x: (n_samples, n_inputs) -> (*population, n_samples, n_outputs).

        rngs: one random stream per layer (None for layers that draw nothing), as
        `mlplab.streams.RandomStreams.per_layer` gives; None lets random layers
        use streams of their own.
        """
        if rngs is None:
            for layer in self.layers:
                x = layer.forward(x, training=training)
            return x
        for layer, rng in zip(self.layers, rngs, strict=True):
            x = layer.forward(x, training=training, rng=rng)
        return x

    def backward(self, grad: np.ndarray, *, skip_last: bool = False) -> list[np.ndarray]:
        """Backpropagate d(loss)/d(output); returns gradients in the order of `params`.

        skip_last: `grad` is already the gradient of the last layer's input
        (a loss fused with the final activation).
        """
        for backward, need_input_grad in self._backward_plan[skip_last]:
            grad = backward(grad, need_input_grad)
        return [g for layer in self._trainable for g in layer.grads]

    def predict(self, X: Any) -> Any:
        """Outputs for X: (n_samples, n_inputs) -> (*population, n_samples, n_outputs).

        The outputs are arrays of the model's backend (`to_numpy` brings them home).

        Finite input can still overflow: near the float's limit (1.7e308 in
        float64) a product with the weights becomes inf, and inf - inf is NaN.
        predict then raises ValueError naming 'X' rather than return NaN or inf
        that may go unnoticed, or finite numbers that would be wrong: clipping
        or rescaling inside the model would change what it computes, while
        scaling the inputs is the caller's choice. The check is one reduction
        over the outputs per call; weights that are not finite (a run trained
        with ``guard=False`` that diverged) are reported the same way.
        """
        X = self.check_input(X, "X", "predict")
        # The sigmoid's exp overflows harmlessly; anything worse is reported below.
        with self.backend.errstate(over="ignore", invalid="ignore"):
            outputs = self.forward(X)
        if not self._all_finite(outputs):
            raise self._overflow_error(outputs)
        return outputs

    def _all_finite(self, array: Any) -> bool:
        if self.backend.is_numpy:
            return all_finite(array)
        xp = self.xp
        return bool(xp.all(xp.isfinite(array)))

    def _overflow_error(self, outputs: Any) -> ValueError:
        """The one-template error for outputs that overflowed, naming the members that did."""
        bad = ~np.isfinite(np.asarray(to_numpy(outputs)))
        members = np.flatnonzero(bad.reshape(*self.population, -1).any(axis=-1)).tolist()
        who = f" of models {members} of the population" if self.population else ""
        return invalid("X", "predict", f"data whose outputs are finite in {self.dtype} (values "
                       "this large overflow: scale the inputs; or the weights are not finite)",
                       f"data for which {int(bad.sum())} of {bad.size} outputs{who} overflowed "
                       "to NaN or inf", raw=True)

    def check_input(self, X: Any, name: str, owner: str) -> Any:
        """X as a finite 2-D array of the model's dtype and backend, with n_inputs columns."""
        self.follow(X)
        X = as_float_array(name, owner, X, ndim=(1, 2), dtype=self.dtype, backend=self.backend)
        if X.ndim == 1:
            X = X[:, None] if self.n_inputs == 1 else X[None, :]
        if X.shape[1] != self.n_inputs:
            raise invalid(name, owner, f"an array with {self.n_inputs} columns (the model's "
                          "inputs)", f"shape {X.shape}", raw=True)
        return X

    def get_weights(self) -> list[Any]:
        """Copies of every parameter array, in the order of `params`."""
        return [self.xp.asarray(p, copy=True) for p in self.params]

    def set_weights(self, weights: Sequence[np.ndarray]) -> None:
        """Overwrite the parameters in place from arrays shaped like `params`."""
        _assign(self.params, weights, "weights", "set_weights")

    def get_buffers(self) -> list[Any]:
        """Copies of every buffer array, in the order of `buffers`."""
        return [self.xp.asarray(b, copy=True) for b in self.buffers]

    def set_buffers(self, buffers: Sequence[Any]) -> None:
        """Overwrite the buffers in place from arrays shaped like `buffers`."""
        _assign(self.buffers, buffers, "buffers", "set_buffers")

    def _base_config(self) -> dict[str, Any]:
        """Initializer, dtype, population and seed: what every model's config records.

        The seed is written when it is plain data (None, an int, a list of ints);
        a Generator cannot be, so the key is left out and a model rebuilt from
        the config draws fresh weights (a model file overwrites them anyway).
        """
        owner = type(self).__name__
        config: dict[str, Any] = {"init": initializer_name(self.init, owner),
                                  "dtype": self.dtype, "population": list(self.population)}
        seed = written_seed(self.seed)
        if seed is not UNWRITABLE:
            config["seed"] = seed
        return config

    def get_config(self) -> dict[str, Any]:
        """The architecture as plain data (no weights); see `from_config`."""
        return {"class": "Sequential", "layers": [layer.get_config() for layer in self.layers],
                **self._base_config()}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Sequential:
        """A freshly initialized model with the architecture in `config`."""
        layers = [layer_from_config(c) for c in config["layers"]]
        return Sequential(layers, init=config.get("init", "glorot_uniform"),
                          dtype=config.get("dtype", "float64"), seed=_config_seed(config))

    def summary(self) -> str:
        """A table of the layers: output shapes, parameter counts, options; population size,
        dtype and backend (see `mlplab.summary`). ``print(model.summary())`` to read it."""
        from mlplab.summary import summary  # the table is its own concern, kept apart

        return summary(self)

    def __repr__(self) -> str:
        inner = ",\n  ".join(repr(layer) for layer in self.layers)
        pop = f", population={self.population[0]}" if self.population else ""
        return f"{type(self).__name__}([\n  {inner}\n]{pop})"


class MLP(Sequential):
    """A multi-layer perceptron: Dense layers of the given sizes with activations.

    ``MLP([3, 4, 1], activation="sigmoid", output_activation="sigmoid",
    bias=False, init="tutorial", seed=1)`` is the tutorials' 3-4-1 network.

    sizes: [n_inputs, hidden..., n_outputs], at least two entries.
    init: "auto" picks He uniform for ReLU-family hidden layers, else Glorot uniform.
    dropconnect: a rate in [0, 1); above 0, every weight layer is a `DropConnect`
    (Wan et al., 2013) that drops its weights with that probability while training.
    dropout: a rate in [0, 1); above 0, a `Dropout` layer follows every hidden
    activation (Srivastava et al., 2014), zeroing each hidden unit with that
    probability while training (the output layer's units are never dropped).
    """

    def __init__(self, sizes: Sequence[int], *, activation: str = "relu",
                 output_activation: str = "linear", bias: bool = True,
                 init: str | Initializer = "auto", seed: Any = None,
                 dtype: str = "float64", backend: Any = None, dropconnect: Any = 0.0,
                 dropout: Any = 0.0) -> None:
        if isinstance(sizes, str | bytes) or not isinstance(sizes, Sequence) or len(sizes) < 2:
            raise invalid("sizes", "MLP", "a list of at least two layer sizes "
                          "[n_inputs, ..., n_outputs]", sizes)
        self.sizes = [check_int("sizes", "MLP", n, low=1) for n in sizes]
        activation = canonical_activation(activation, owner="MLP")
        output_activation = canonical_activation(output_activation, owner="MLP",
                                                 parameter="output_activation")
        self.activation, self.output_activation, self.bias = activation, output_activation, bias
        if init == "auto":  # the hidden activation's own preference (He for the ReLU family)
            init = ACTIVATIONS.fact(activation, "init")
        try:  # DropConnect checks the rate; the message should name this parameter
            dropping = bool(np.any(np.asarray(DropConnect(1, 1, dropconnect).rate) != 0))
        except ValueError:
            raise invalid("dropconnect", "MLP", "a rate in [0, 1): a float, or one per model",
                          dropconnect) from None
        self.dropconnect, self.dropout = dropconnect, dropout
        hidden_dropout = _dropping("dropout", dropout)
        layers: list[Layer] = []
        for i, (n_in, n_out) in enumerate(zip(self.sizes, self.sizes[1:], strict=False)):
            last = i == len(self.sizes) - 2
            weights = (DropConnect(n_in, n_out, dropconnect, bias=bias) if dropping
                       else Dense(n_in, n_out, bias=bias))
            layers += [weights, Activation(output_activation if last else activation)]
            if hidden_dropout and not last:
                layers.append(Dropout(dropout))
        super().__init__(layers, seed=seed, init=init, dtype=dtype, backend=backend)

    def get_config(self) -> dict[str, Any]:
        config = {"class": "MLP", "sizes": self.sizes, "activation": self.activation,
                  "output_activation": self.output_activation, "bias": self.bias,
                  **self._base_config()}
        if np.any(np.asarray(self.dropconnect) != 0):  # configs without it stay as they were
            config["dropconnect"] = np.asarray(self.dropconnect).tolist()
        if np.any(np.asarray(self.dropout) != 0):
            config["dropout"] = np.asarray(self.dropout).tolist()
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> MLP:
        keys = ("sizes", "activation", "output_activation", "bias", "init", "dtype",
                "dropconnect", "dropout")
        return MLP(**{k: config[k] for k in keys if k in config}, seed=_config_seed(config))


def _dropping(name: str, rate: Any) -> bool:
    """Whether a dropout `rate` (a float, or one per model) drops anything; checked by Dropout,
    with the message naming MLP's parameter."""
    try:
        return bool(np.any(np.asarray(Dropout(rate).rate) != 0))
    except ValueError:
        raise invalid(name, "MLP", "a rate in [0, 1): a float, or one per model",
                      rate) from None


def _config_seed(config: dict[str, Any]) -> Any:
    """The seed a config records; a population without one gets fresh entropy per member."""
    if "seed" in config:
        return config["seed"]
    population = config.get("population") or []
    return [None] * population[0] if population else None


def _assign(targets: list[Any], values: Sequence[Any], name: str, owner: str) -> None:
    """Copy `values` into `targets` in place, after checking their count and shapes."""
    if len(values) != len(targets):
        raise invalid(name, owner, f"a list of {len(targets)} arrays", f"{len(values)} arrays",
                      raw=True)
    backend = backend_of(*targets) if targets else NUMPY
    for i, (target, value) in enumerate(zip(targets, values, strict=True)):
        value = backend.asarray(value) if not backend.is_numpy else np.asarray(to_numpy(value))
        if tuple(value.shape) != tuple(target.shape):
            raise invalid(f"{name}[{i}]", owner, f"shape {tuple(target.shape)}",
                          f"shape {tuple(value.shape)}", raw=True)
        target[...] = value


def dtype_name(dtype: Any, owner: str) -> str:
    """'float64' or 'float32' from a name or a NumPy dtype (None is refused, not float64)."""
    try:
        name = np.dtype(dtype).name if dtype is not None else dtype
    except TypeError:
        name = dtype
    return check_choice("dtype", owner, name, DTYPES)


def _chain_sizes(layers: list[Layer], owner: str) -> tuple[int, int]:
    """Check that each layer of fixed input size (Dense, BatchNorm) gets that many features."""
    if not any(isinstance(layer, Dense) for layer in layers):
        raise invalid("layers", owner, "at least one Dense layer", layers)
    n_inputs = n = next(s for s in (layer.input_size() for layer in layers) if s is not None)
    for i, layer in enumerate(layers):
        size = layer.input_size()
        if size is not None and size != n:
            raise invalid("layers", owner, "layer sizes that chain (each layer's input size "
                          "equal to the features reaching it)", f"layer {i} with n_in={size} "
                          f"after {n} features", raw=True)
        n = layer.output_size(n)
    return n_inputs, n


MODELS: dict[str, type[Sequential]] = {"Sequential": Sequential, "MLP": MLP}


def model_from_config(config: dict[str, Any]) -> Sequential:
    """A freshly initialized model of the architecture in `config` (see `get_config`)."""
    kind = config.get("class") if isinstance(config, dict) else None
    if kind not in MODELS:
        raise invalid("config", "model_from_config", f"a model config with 'class' one of "
                      f"{sorted(MODELS)}", kind)
    return built_from_config(lambda: MODELS[kind].from_config(config), "model_from_config",
                             config)
