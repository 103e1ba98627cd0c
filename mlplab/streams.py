"""Random streams: every random number a training run draws, from one SeedSequence.

`fit(seed=s)` makes one `RandomStreams` from ``numpy.random.SeedSequence(s)``:

- ``batches``: the shuffler (and AW-SGD's sampler), ``numpy.random.default_rng(s)``;
- for each layer that draws while training (``layer.needs_rng``, e.g. Dropout), one
  Generator per model of a population: from the layer's own ``seed`` when it has
  one, else spawned from the run's SeedSequence with the spawn key
  ``(1 + layer index, member)``, so every layer and member has a stream of its own
  and (for a layer without a seed of its own) a single model draws what member 0
  of a population draws. A layer with an int seed draws, as a single model, from
  ``default_rng(seed)``, and as a population from the seed's children ``(member,)``;
  a list of seeds gives member k exactly the draws of a single layer with seed k.

Draws happen on the host with NumPy and are moved to the model's device, so a
seed gives the same numbers on every backend. The streams are handed to the
layers per call (``forward(x, training=True, rng=...)``); nothing finds a
generator by attribute name. Checkpoints save and restore them through
`RandomStreams.state` and `RandomStreams.set_state`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

Generator = np.random.Generator


UNWRITABLE = object()  # what `written_seed` gives for a seed that holds a generator


def written_seed(seed: Any) -> Any:
    """`seed` as plain data for a config (None, an int, or a list of those), or `UNWRITABLE`.

    A Generator or SeedSequence cannot be written down: it is a stream's state,
    not a seed.
    """
    seeds = seed if isinstance(seed, list | tuple) else [seed]
    if not all(s is None or (isinstance(s, int | np.integer) and not isinstance(s, bool))
               for s in seeds):
        return UNWRITABLE
    plain = [None if s is None else int(s) for s in seeds]
    return plain if isinstance(seed, list | tuple) else plain[0]


def root_sequence(seed: Any) -> np.random.SeedSequence:
    """The SeedSequence behind a seed: None (fresh entropy), an int, a Generator or a sequence."""
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, Generator):
        return seed.bit_generator.seed_seq
    return np.random.SeedSequence(seed)


def _child(root: np.random.SeedSequence, *key: int) -> Generator:
    """The Generator of `root`'s descendant with spawn key `key` (no state is consumed)."""
    return np.random.default_rng(np.random.SeedSequence(
        root.entropy, spawn_key=(*root.spawn_key, *key), pool_size=root.pool_size))


def layer_stream(layer: Any, root: np.random.SeedSequence | None,
                 index: int) -> Generator | list[Generator]:
    """The stream(s) layer number `index` draws from: a Generator, or one per member."""
    size = layer.population[0] if layer.population else None
    seed = getattr(layer, "seed", None)
    if isinstance(seed, list):  # one seed per member, each used as a single layer would
        return [s if isinstance(s, Generator) else np.random.default_rng(s) for s in seed]
    if seed is not None:
        if size is None:
            return seed if isinstance(seed, Generator) else np.random.default_rng(seed)
        return [_child(root_sequence(seed), k) for k in range(size)]
    root = root if root is not None else np.random.SeedSequence()
    if size is None:
        return _child(root, 1 + index, 0)
    return [_child(root, 1 + index, k) for k in range(size)]


class RandomStreams:
    """The random streams of one training run (see the module docstring).

    model: the model being trained; seed: fit's seed; batches: the shuffler's
    Generator when it is made elsewhere (else ``default_rng(seed)``).
    ``per_layer`` is what `Sequential.forward` takes as ``rngs``: one entry per
    layer (None for layers that draw nothing), or None when no layer draws.
    """

    def __init__(self, model: Any, seed: Any = None, *, batches: Generator | None = None
                 ) -> None:
        self.root = root_sequence(seed)
        self.batches = batches if batches is not None else np.random.default_rng(seed)
        layers = [layer_stream(layer, self.root, i) if layer.needs_rng else None
                  for i, layer in enumerate(model.layers)]
        self.per_layer = layers if any(s is not None for s in layers) else None

    def generators(self) -> dict[str, Generator]:
        """Every stream by name: "batches", "layer_3", or "layer_3_0", "layer_3_1", ..."""
        named = {"batches": self.batches}
        for i, stream in enumerate(self.per_layer or ()):
            if isinstance(stream, list):
                named.update({f"layer_{i}_{k}": g for k, g in enumerate(stream)})
            elif stream is not None:
                named[f"layer_{i}"] = stream
        return named

    def state(self) -> dict[str, Any]:
        """Each stream's bit-generator state (plain data, for a checkpoint's JSON header)."""
        return {name: g.bit_generator.state for name, g in self.generators().items()}

    def set_state(self, state: dict[str, Any]) -> None:
        """Put back what `state` returned; the names must be this run's."""
        generators = self.generators()
        if set(state) != set(generators):
            raise ValueError(f"the saved random streams {sorted(state)} are not this run's "
                             f"{sorted(generators)}")
        for name, generator in generators.items():
            generator.bit_generator.state = state[name]
