"""Writing tables for the tests: one helper the table and command-line tests share.

Test modules import it by name (pytest puts this folder on the import path, as it
holds no __init__.py).
"""

import csv


def write_rows(path, header, rows):
    """A CSV file at `path`: the header line, then the rows, written by the csv module."""
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)
    return path
