"""The tutorials' four samples."""

from __future__ import annotations

import numpy as np

from mlplab._checks import check_choice, invalid

TUTORIAL_X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=np.float64)
TUTORIAL_TARGETS = {"part1": [0, 0, 1, 1], "part2": [0, 1, 1, 0]}


def tutorial_xy(targets: str | list[float] = "part1") -> tuple[np.ndarray, np.ndarray]:
    """The tutorials' four samples. X: (4, 3), the third column a constant 1; y: (4, 1).

    targets: "part1" ([0, 0, 1, 1], the first column), "part2" ([0, 1, 1, 0],
    XOR of the first two columns), or any four numbers.
    """
    if isinstance(targets, str):
        targets = TUTORIAL_TARGETS[check_choice("targets", "tutorial_xy", targets,
                                                TUTORIAL_TARGETS)]
    y = np.asarray(targets, dtype=np.float64).reshape(-1, 1)
    if y.shape != (4, 1):
        raise invalid("targets", "tutorial_xy", "'part1', 'part2' or four numbers",
                      f"{len(y)} numbers", raw=True)
    return TUTORIAL_X.copy(), y
