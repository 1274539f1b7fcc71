#!/usr/bin/env python3
"""Writes a wide CSV like the wide Kaggle datasets (Santander Value
Prediction, Gisette): an `id`, a `target`, then mostly sparse integers and
floats with a few text columns. Usage: gen_wide_csv.py ROWS COLUMNS PATH"""
import random
import sys

rows, columns, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
random.seed(42)
with open(path, "w") as out:
    out.write(",".join(["id", "target"] + [f"f{i}" for i in range(columns - 2)]) + "\n")
    for row in range(rows):
        values = [str(row + 1), f"{random.random() * 1e6:.2f}"]
        for column in range(columns - 2):
            kind = column % 10
            if kind < 6:
                # Mostly zeros, as in Santander's sparse counts.
                values.append("0" if random.random() < 0.8 else str(random.randint(1, 10**6)))
            elif kind < 9:
                values.append(f"{random.gauss(0, 1):.6f}")
            else:
                values.append(random.choice(["red", "green", "blue", ""]))
        out.write(",".join(values) + "\n")
