#!/usr/bin/env python3
"""Checks that src/'s top-level modules use only modules below them (the
layers of src/lib.rs) and that no imports form a cycle. Reads every
`crate::name` path, including those in `use crate::{a, b}` groups; prints
each module's dependencies and exits 1 naming any upward arrow or cycle."""
import os
import re
import sys

# Top to bottom; modules on one line are one layer and may use each other
# (without a cycle).
LAYERS = [
    ["cli"],
    ["ops"],
    ["features", "ingest", "metadata"],
    ["catalog"],
    ["backend"],
    ["quantile"],
    ["store"],
    ["dialect", "profile", "sink"],
    ["model"],
    ["config", "error", "ui", "interrupt", "time", "choice"],
]
RANK = {module: rank for rank, layer in enumerate(LAYERS) for module in layer}

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
edges = {}
for directory, _, files in os.walk(root):
    for name in files:
        if not name.endswith(".rs"):
            continue
        path = os.path.join(directory, name)
        top = os.path.relpath(path, root).split(os.sep)[0].removesuffix(".rs")
        if top in ("main", "lib"):
            continue
        if top not in RANK:
            sys.exit(f"layers: module {top} is in no layer; add it to scripts/layers.py and src/lib.rs")
        text = re.sub(r"//[^\n]*", "", open(path, encoding="utf-8").read())
        used = set(re.findall(r"crate::([a-z_]+)", text))
        for group in re.findall(r"crate::\{([^}]*)\}", text, re.S):
            used |= set(re.findall(r"(?:^|,)\s*([a-z_]+)", group))
        used.discard(top)
        edges.setdefault(top, set()).update(u for u in used if u in RANK)

problems = []
for module in sorted(edges):
    print(f"{module:10} -> {', '.join(sorted(edges[module]))}")
    for used in sorted(edges[module]):
        if RANK[used] < RANK[module]:
            problems.append(f"upward arrow: {module} uses {used}, a layer above it")


def cycle_from(start):
    stack = [(start, [start])]
    while stack:
        node, path = stack.pop()
        for nxt in edges.get(node, ()):
            if nxt == start:
                return path
            if nxt not in path:
                stack.append((nxt, path + [nxt]))
    return None


seen = set()
for module in sorted(edges):
    cycle = cycle_from(module)
    if cycle and frozenset(cycle) not in seen:
        seen.add(frozenset(cycle))
        problems.append("cycle: " + " -> ".join(cycle + [module]))
for problem in problems:
    print("layers: " + problem, file=sys.stderr)
sys.exit(1 if problems else 0)
