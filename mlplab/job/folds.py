"""Member folds: each network of an ensemble watches its own share of the training rows.

One stratified shuffle puts the n rows in a ring: each class's rows in random
order, spread evenly around it (class c's j-th row at (j + u_c) / n_c of the
way round, u_c uniform), so every stretch of the ring holds the classes in
about their proportions. Member k of K watches the stretch of a fraction f of
the ring that starts k/K of the way round,

    positions floor(k n / K) up to floor((k / K + f) n), round the ring,

and trains on the rest. With f = 1/K (5 members, 20% each) the stretches
partition the ring: K-fold cross-validation, every row watched by exactly one
member. Other K spread the stretches evenly (overlapping for f > 1/K, with
rows no member watches for f < 1/K).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from mlplab._checks import check_int


def member_folds(strata: np.ndarray, members: int, fraction: float, seed: int) -> np.ndarray:
    """Which rows each member watches: (members, n) booleans, row i of member k's fold.

    strata: (n,) a label per row to stratify by (all equal for no strata); every
    fold holds at least one row and leaves at least one to train on (n >= 2).
    """
    members = check_int("members", "member_folds", members, low=1)
    n = len(strata)
    order = stratified_ring(strata, np.random.default_rng(seed))
    f = Fraction(fraction).limit_denominator(10**6)
    held = np.zeros((members, n), dtype=bool)
    for k in range(members):
        start = int(Fraction(k * n, members))  # floor, exactly
        size = min(max(int((Fraction(k, members) + f) * n) - start, 1), n - 1)
        held[k, order[(start + np.arange(size)) % n]] = True
    return held


def stratified_ring(strata: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The rows in ring order: each stratum shuffled and spread evenly round the ring."""
    place = np.empty(len(strata))
    for value in np.unique(strata):
        rows = rng.permutation(np.flatnonzero(strata == value))
        place[rows] = (np.arange(len(rows)) + rng.random()) / len(rows)
    return np.lexsort((rng.random(len(strata)), place))
