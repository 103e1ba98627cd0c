"""Ensembles: K networks of one architecture, trained from different starts, answering as one.

A network trained on a few hundred rows lands somewhere different for every
random start, and its test accuracy moves with it by a row or two. Averaging
the answers of K networks that differ only in their initial weights removes
most of that spread and is usually better than the typical member
(Hansen & Salamon, "Neural network ensembles", 1990; Lakshminarayanan, Pritzel
and Blundell, "Simple and scalable predictive uncertainty estimation using
deep ensembles", 2017, who found K = 5 enough).

In mlplab an ensemble is a *population* (see `mlplab.model`): the K members
live in one model whose arrays have a leading axis of length K, so they train
together, as fast as one wider network, on the same batches. Its answer is the
mean over that axis: of the class probabilities (softmax outputs) for a
classifier, of the outputs for a regression,

    p(x) = (1/K) sum_k p_k(x).

`member_seeds` gives the members' seeds, `mean_prediction` the averaged answer.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlplab._checks import check_int
from mlplab.backend import to_numpy


def member_seeds(seed: int, members: int) -> int | list[int]:
    """The initial-weight seeds of an ensemble of `members` networks, from one `seed`.

    One member is a single network with `seed` itself. Several get seeds drawn
    from ``numpy.random.SeedSequence(seed)`` (its first `members` 32-bit words):
    the same for the same seed, and unrelated between neighbouring seeds, so
    runs with seeds 0 and 1 share no member.
    """
    members = check_int("members", "member_seeds", members, low=1)
    if members == 1:
        return seed
    return [int(s) for s in np.random.SeedSequence(seed).generate_state(members)]


def mean_prediction(model: Any, X: Any) -> np.ndarray:
    """The ensemble's answer for X, as NumPy: the mean over the population axes of
    ``model.predict(X)`` (K, n, outputs) -> (n, outputs); a single model's own answer."""
    outputs = to_numpy(model.predict(X))
    if not model.population:
        return outputs
    return outputs.reshape(-1, *outputs.shape[-2:]).mean(axis=0)
