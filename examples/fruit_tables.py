"""Write examples/fruit.csv and examples/fruit_new.csv: a table as people have them.

fruit.csv: 300 rows with an ID column, a number column with empty fields, a number
column, a text column with empty fields, a constant column and a text label
(`quality`: good or poor) that depends on the others. fruit_new.csv: 8 more rows
without the label, their columns in another order. The README's walkthrough
trains on the first and predicts the second. Run: python examples/fruit_tables.py
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def fruit(n: int, seed: int) -> list[list[object]]:
    rng = np.random.default_rng(seed)
    diameter, weight = rng.normal(7, 1.5, n), rng.normal(150, 30, n)
    colour = rng.choice(["red", "green", "yellow"], n)
    score = (diameter - 7) / 1.5 - (weight - 150) / 60 + (colour == "red") * 1.2 \
        + rng.normal(0, 0.4, n)
    quality = np.where(score > 0.3, "good", "poor")
    return [[f"F{seed}{i:04d}", "" if rng.random() < 0.05 else f"{diameter[i]:.2f}",
             f"{weight[i]:.1f}", "" if rng.random() < 0.04 else colour[i], "Hillside",
             quality[i]] for i in range(n)]


def main() -> None:
    header = ["id", "diameter_cm", "weight_g", "colour", "farm", "quality"]
    with (HERE / "fruit.csv").open("w", newline="") as file:
        csv.writer(file).writerows([header, *fruit(300, 1)])
    new = [[row[3], row[0], row[2], row[1]] for row in fruit(8, 2)]  # colour, id, weight, diam.
    with (HERE / "fruit_new.csv").open("w", newline="") as file:
        csv.writer(file).writerows([["colour", "id", "weight_g", "diameter_cm"], *new])


if __name__ == "__main__":
    main()
