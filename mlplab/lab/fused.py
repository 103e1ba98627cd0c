"""The tutorial network at many hidden sizes and alphas, trained in one fused loop.

A population (``MLP(seed=[...])`` trained by `fit`) needs every model to have
one shape, so a sweep over hidden sizes 4 ... 256 runs one population per
size, each paying fit's per-step bookkeeping. Here every network
n_in -> h_k -> 1 of the tutorials' kind (sigmoid hidden and output layers, no
bias, the delta rule, full-batch gradient descent with its own alpha) trains
in one loop, its hidden units side by side with everyone else's:

    W0: (n_in, U)    network k's columns, h_k of them, one block after another
    W1: (U,)         the matching entries of its (h_k, 1) output weights
    l1: (n, U)       every network's hidden activations, U = h_1 + ... + h_K

Networks of one hidden size sit next to each other. Whatever touches one
number at a time (the sigmoid, its slope, the updates) and the products whose
sums stay inside one unit's column (``X @ W0`` and ``X^T @ delta``) is one
NumPy call for all networks; only the products that sum over a network's
units (``l1 @ W1``, ``l1^T @ delta``) go group by group, on a contiguous
``(m, n, h)`` copy of the group's activations: exactly the array fit's Dense
layer would hand to BLAS (BLAS takes some shortcuts that depend on the
layout, e.g. for rows of length 3, so a strided view could round differently).

The numbers are `fit`'s, bit for bit: every matrix product is the BLAS call
fit makes for the same network, every elementwise step is the same operation
in the same order, and ``delta @ W1.T`` (k = 1) is an exact elementwise
product. No floating-point sum is regrouped, which matters: with 128 or 256
hidden units even alpha = 1 is chaotic, and summing one dot product in
another order changes the error after a few thousand iterations in its
first digits. (tests/test_fused.py checks the claim against fit.)

Why not `fit` itself: fit drives a `Sequential` of generic layers through
per-step objects (the optimizer's update lists, hooks, a fresh array for
every intermediate) once per population, so the 7 hidden sizes of the
tutorial sweep pay that overhead 7 times per step (and the 49 plain loops 49
times). This loop preallocates its buffers, works in place and shares the
elementwise calls: on the tutorial sweep it is about 3 times faster than 7
fit populations and 7 times faster than the 49 plain loops in one process,
11 times on two (bench/sweep_speed.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from mlplab._checks import check_int, check_number, invalid


@dataclass
class FusedRun:
    """What `train_fused` returns, networks in the order given.

    iterations: the checkpoints 0, every, 2 * every, ... (< the iterations run);
    outputs: per checkpoint, the outputs (K, n_samples, 1) before that
    iteration's update; last_outputs: those of the last iteration;
    final_outputs: (K, n_samples, 1) of the trained networks; weights: per
    network, its final [W0 (n_in, h), W1 (h, 1)]; direction_changes: per
    network, counts shaped like its weights (with directions=True, else None).
    """

    iterations: list[int]
    outputs: list[np.ndarray]
    last_outputs: np.ndarray
    final_outputs: np.ndarray
    weights: list[list[np.ndarray]]
    direction_changes: list[list[np.ndarray]] | None = None


class _Group(NamedTuple):
    """One hidden size's m networks, as population-shaped views into the wide arrays."""

    rows: slice  # their positions in the fused outputs (K, n, 1)
    wide: np.ndarray  # (m, n, h) view of the wide hidden activations
    l1: np.ndarray  # (m, n, h) contiguous copy of them, the layout fit's products see
    W1: np.ndarray  # (m, h, 1) output weights
    g1: np.ndarray  # (m, h, 1) their updates


class FusedNetworks:
    """K tutorial networks n_in -> h_k -> 1 (sigmoid, no bias), hidden units side by side.

    weights: per network [W0 (n_in, h_k), W1 (h_k, 1)], copied; alphas: a float
    or (K,) step sizes; X: (n_samples, n_in); y: (n_samples, 1), both float64.
    count_directions: keep `direction_counts`, [(n_in, U), (U,)] integer arrays.
    """

    def __init__(self, weights: Sequence[Sequence[np.ndarray]], alphas: float | Sequence[float],
                 X: np.ndarray, y: np.ndarray, *, count_directions: bool = False) -> None:
        X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
        _check_networks(weights, X, y)
        alphas = check_number("alphas", "FusedNetworks", alphas)
        if np.ndim(alphas) and np.shape(alphas) != (len(weights),):
            raise invalid("alphas", "FusedNetworks", f"a float or one per network "
                          f"({len(weights)})", f"shape {np.shape(alphas)}", raw=True)
        alphas = np.broadcast_to(alphas, len(weights))
        by_size: dict[int, list[int]] = {}
        for k, w in enumerate(weights):
            by_size.setdefault(np.shape(w[0])[1], []).append(k)
        self.order = [k for members in by_size.values() for k in members]
        self.inverse = np.argsort(self.order)  # fused position of each given network
        self.sizes = np.array([np.shape(weights[k][0])[1] for k in self.order])
        self.W0 = np.concatenate([weights[k][0] for k in self.order], axis=1, dtype=np.float64)
        self.W1 = np.concatenate([weights[k][1][:, 0] for k in self.order], dtype=np.float64)
        self.alpha1 = np.repeat(alphas[self.order], self.sizes)  # one alpha per hidden unit
        self.alpha0 = np.tile(self.alpha1, (X.shape[1], 1))
        self.X_T, self.minus_X, self.y = X.mT, -X, y  # -X @ W0 is exactly -(X @ W0)
        self.l1, self.slope = np.empty((len(X), self.W1.size)), np.empty((len(X), self.W1.size))
        self.g0, self.g1 = np.empty_like(self.W0), np.empty_like(self.W1)
        self.z2 = np.empty((len(weights), len(X), 1))
        self.groups = self._groups([(h, len(members)) for h, members in by_size.items()])
        self.direction_counts = ([np.zeros(self.W0.shape, dtype=np.int64),
                                  np.zeros(self.W1.shape, dtype=np.int64)]
                                 if count_directions else None)
        self._moved_down: tuple[np.ndarray, np.ndarray] | None = None
        self.one = np.ones(())  # a 0-d operand costs NumPy no conversion per call

    def _groups(self, sizes: list[tuple[int, int]]) -> list[_Group]:
        """Each hidden size's views: (m, n, h) blocks of l1, (m, h, 1) blocks of W1 and g1."""
        groups, column, row = [], 0, 0
        for h, m in sizes:
            end = column + m * h
            # Splitting the column range into (m, h) keeps a view: no copy, no detached buffer.
            wide = self.l1[:, column:end].reshape(len(self.l1), m, h).transpose(1, 0, 2)
            groups.append(_Group(slice(row, row + m), wide, np.empty(wide.shape),
                                 self.W1[column:end].reshape(m, h, 1),
                                 self.g1[column:end].reshape(m, h, 1)))
            column, row = end, row + m
        return groups

    def forward(self) -> np.ndarray:
        """Every network's outputs, fused order: (K, n_samples, 1); keeps l1 for `step`."""
        l1, one = self.l1, self.one
        np.matmul(self.minus_X, self.W0, out=l1)
        np.exp(l1, out=l1)
        l1 += one
        np.reciprocal(l1, out=l1)  # l1 = 1 / (1 + exp(-X W0)), the tutorials' sigmoid
        for group in self.groups:
            np.copyto(group.l1, group.wide)
            np.matmul(group.l1, group.W1, out=self.z2[group.rows])
        l2 = np.negative(self.z2)
        np.exp(l2, out=l2)
        l2 += one
        return np.reciprocal(l2, out=l2)

    def step(self) -> np.ndarray:
        """One full-batch gradient step for every network; returns the outputs before it."""
        l2 = self.forward()
        l1, one, slope = self.l1, self.one, self.slope
        delta = one - l2
        delta *= l2
        delta *= l2 - self.y  # how much did we miss, times the output's slope
        for group in self.groups:
            np.matmul(group.l1.mT, delta[group.rows], out=group.g1)  # synapse_1: l1^T . delta
        error = np.repeat(delta[:, :, 0].T, self.sizes, axis=1)  # (n, U): delta under its units
        error *= self.W1  # layer_1_error = delta . W1^T, one exact product per weight
        np.subtract(one, l1, out=slope)
        slope *= l1
        slope *= error  # layer_1_delta
        np.matmul(self.X_T, slope, out=self.g0)  # synapse_0: X^T . layer_1_delta
        self.g0 *= self.alpha0
        self.W0 -= self.g0
        self.g1 *= self.alpha1
        if self.direction_counts is not None:
            self._count_directions()
        self.W1 -= self.g1
        return l2

    def outputs(self, fused: np.ndarray) -> np.ndarray:
        """Outputs in fused order (K, n, 1) back in the order the networks were given."""
        return fused[self.inverse]

    def per_network(self, wide: Sequence[np.ndarray]) -> list[list[np.ndarray]]:
        """Arrays shaped like [W0 (n_in, U), W1 (U,)] cut up per network, in the order given.

        Returns per network copies shaped [(n_in, h), (h, 1)].
        """
        first, second = wide
        ends = np.cumsum(self.sizes)
        fused = [[first[:, end - h:end].copy(), second[end - h:end, None].copy()]
                 for h, end in zip(self.sizes, ends, strict=True)]
        return [fused[i] for i in self.inverse]

    def _count_directions(self) -> None:
        """Count, per weight, whether its update changed direction since the last step.

        Called with g0, g1 = alpha * gradient: the update -alpha * g moves a weight
        down (DirectionChanges' update < 0) exactly when alpha * g > 0.
        """
        moved_down = (self.g0 > 0, self.g1 > 0)
        if self._moved_down is not None:
            for count, now, before in zip(self.direction_counts, moved_down, self._moved_down,
                                          strict=True):
                count += now != before
        self._moved_down = moved_down


def train_fused(weights: Sequence[Sequence[np.ndarray]], alphas: float | Sequence[float],
                X: np.ndarray, y: np.ndarray, *, iterations: int, every: int = 10000,
                directions: bool = False) -> FusedRun:
    """Train K tutorial networks (see `FusedNetworks`) for `iterations` full-batch steps.

    Records the outputs at iterations 0, every, 2 * every, ..., before that
    iteration's update, as the tutorials print their error; with `directions`,
    also counts how often each weight's update changes direction (as the
    `DirectionChanges` callback does).
    """
    iterations = check_int("iterations", "train_fused", iterations, low=1)
    every = check_int("every", "train_fused", every, low=1)
    nets = FusedNetworks(weights, alphas, X, y, count_directions=directions)
    checkpoints, outputs = [], []
    with np.errstate(all="ignore"):  # saturated sigmoids overflow exp harmlessly
        for iteration in range(iterations):
            l2 = nets.step()
            if iteration % every == 0:
                checkpoints.append(iteration)
                outputs.append(nets.outputs(l2))
        final = nets.outputs(nets.forward())
    counts = nets.per_network(nets.direction_counts) if directions else None
    return FusedRun(checkpoints, outputs, nets.outputs(l2), final,
                    nets.per_network([nets.W0, nets.W1]), counts)


def _check_networks(weights: Sequence[Sequence[np.ndarray]], X: np.ndarray,
                    y: np.ndarray) -> None:
    """Each network [W0 (n_in, h), W1 (h, 1)] fits X: (n, n_in), and y is (n, 1)."""
    if np.ndim(X) != 2 or np.shape(y) != (len(X), 1):
        raise invalid("y", "FusedNetworks", f"an array of shape ({len(X)}, 1) for X of shape "
                      f"{np.shape(X)}", f"shape {np.shape(y)}", raw=True)
    if not weights:
        raise invalid("weights", "FusedNetworks", "a non-empty list of networks", weights)
    for k, w in enumerate(weights):
        shapes = [np.shape(a) for a in w]
        h = shapes[0][-1] if shapes and shapes[0] else 0
        if shapes != [(X.shape[1], h), (h, 1)] or h < 1:
            raise invalid(f"weights[{k}]", "FusedNetworks", f"[W0 ({X.shape[1]}, h), "
                          "W1 (h, 1)] with h >= 1", f"shapes {shapes}", raw=True)
