#!/usr/bin/env python3
"""Writes a deterministic benchmark CSV: ROWS rows of 12 columns (ids, ints,
floats, two categoricals, a date, a ~30-character text, a binary target)."""
import random
import sys

rows = int(sys.argv[1])
out = sys.argv[2]
rng = random.Random(42)
colors = ["red", "green", "blue", "yellow", "black"]
cities = [f"city_{i:02d}" for i in range(50)]
words = ["alpha", "beta", "gamma", "delta", "omega", "sigma", "kappa", "theta", "lambda", "zeta"]
with open(out, "w") as f:
    f.write("id,age,visits,score,ratio,color,city,signup_date,comment,balance,clicks,label\n")
    for i in range(1, rows + 1):
        comment = " ".join(rng.choice(words) for _ in range(4))[:30]
        day = 1 + (i * 7) % 28
        month = 1 + (i * 5) % 12
        year = 2015 + i % 9
        f.write(
            f"{i},{rng.randint(18, 90)},{rng.randint(0, 5000)},{rng.random() * 100:.6f},"
            f"{rng.gauss(0, 1):.8f},{rng.choice(colors)},{rng.choice(cities)},"
            f"{year:04d}-{month:02d}-{day:02d},{comment},{rng.uniform(-1e6, 1e6):.2f},"
            f"{rng.randint(0, 10**9)},{rng.randint(0, 1)}\n"
        )
