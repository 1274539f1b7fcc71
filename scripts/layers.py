#!/usr/bin/env python3
"""Checks that src/'s top-level modules use only modules below them (the
layers of src/lib.rs) and that no imports form a cycle. Reads every
`crate::name` path, including those in `use crate::{a, b}` groups; prints
each module's dependencies and exits 1 naming any upward arrow or cycle.

It also checks for cycles between the files inside each module, in src/
and in the DuckDB ODBC driver (drivers/duckdb-odbc/src/, whose `crate::`
is the driver's own). The rule: the files and subdirectories of one
directory are siblings, and the arrows between siblings form no cycle.
Every `crate::`, `super::` and `self::` path is followed (with `use`
groups, nested ones included) down to the deepest module it names, or to
the child a `pub use` in a module's file re-exports the name from; an
arrow from file A to module B counts between the two siblings, under
their nearest common directory, that hold A and B. A module's own file
(mod.rs, lib.rs) is the directory itself, not a sibling: its children
may use what it declares, and it may declare, use and re-export its
children, without that counting as a cycle. Each cycle is printed, and
any makes the script exit 1."""
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

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def parse_tree(text, i):
    """The paths of the use tree (or plain path) starting at `text[i]`,
    each as (segments, alias), and where the tree ends."""
    segments = []
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if text.startswith("{", i):
            paths, i = [], i + 1
            while True:
                while i < len(text) and text[i] in " \t\n,":
                    i += 1
                if i >= len(text) or text[i] == "}":
                    return paths, i + 1
                inner, j = parse_tree(text, i)
                if j == i:
                    return paths, i
                paths += [(segments + s, alias) for s, alias in inner]
                i = j
        if text.startswith("*", i):
            return [(segments, None)], i + 1
        match = re.compile(IDENT).match(text, i)
        if not match:
            return [(segments, None)], i
        segments = segments + [match.group()]
        i = match.end()
        if text.startswith("::", i):
            i += 2
            continue
        alias = re.compile(r"\s+as\s+(" + IDENT + ")").match(text, i)
        if alias:
            return [(segments, alias.group(1))], alias.end()
        return [(segments, None)], i


def module_files(src):
    """Every .rs file under `src` with its module path (lib.rs and mod.rs
    stand for their directory)."""
    files = {}
    for directory, _, names in os.walk(src):
        for name in names:
            if name.endswith(".rs"):
                parts = os.path.relpath(os.path.join(directory, name), src).split(os.sep)
                parts[-1] = parts[-1].removesuffix(".rs")
                if parts[-1] in ("mod", "lib", "main"):
                    parts.pop()
                files[os.path.join(directory, name)] = tuple(parts)
    return files


def sibling_cycles(src, label, skip_root):
    files = module_files(src)
    modules = set(files.values())
    texts = {path: re.sub(r"//[^\n]*", "", open(path, encoding="utf-8").read()) for path in files}
    # What each module's file re-exports from its children: name -> child.
    exports = {}
    for path, module in files.items():
        for start in re.finditer(r"\bpub(?:\([^)]*\))?\s+use\s+", texts[path]):
            for segments, alias in parse_tree(texts[path], start.end())[0]:
                if segments[:1] == ["self"]:
                    segments = segments[1:]
                if len(segments) > 1 and module + (segments[0],) in modules:
                    exports.setdefault(module, {})[alias or segments[-1]] = resolve(
                        module + (segments[0],), segments[1:-1], modules, exports)
    graphs = {}
    for path, module in files.items():
        text = texts[path]
        for start in re.finditer(r"(?<![:$\w])(?:crate|super|self)::", text):
            for segments, _ in parse_tree(text, start.start())[0]:
                head, rest = segments[0], segments[1:]
                base = () if head == "crate" else module if head == "self" else module[:-1]
                while rest[:1] in (["super"], ["self"]):
                    base = base[:-1] if rest[0] == "super" else base
                    rest = rest[1:]
                target = resolve(base, rest, modules, exports)
                common = 0
                while common < min(len(module), len(target)) and module[common] == target[common]:
                    common += 1
                if common in (len(module), len(target)):
                    continue  # itself, its ancestor or its descendant
                parent = module[:common]
                if skip_root and not parent:
                    continue
                graphs.setdefault(parent, {}).setdefault(module[common], set()).add(target[common])
    found = []
    for parent in sorted(graphs):
        graph = graphs[parent]
        where = os.path.join(label, *parent)
        seen_cycles = set()
        for node in sorted(graph):
            cycle = find_cycle(graph, node)
            if cycle and frozenset(cycle) not in seen_cycles:
                seen_cycles.add(frozenset(cycle))
                found.append(f"cycle in {where}/: " + " -> ".join(cycle + [node]))
    return found


def resolve(base, rest, modules, exports):
    """The deepest module `base::rest...` names, following re-exports."""
    for segment in rest:
        if base + (segment,) in modules:
            base = base + (segment,)
        elif segment in exports.get(base, {}):
            return exports[base][segment]
        else:
            break
    return base


def find_cycle(graph, start):
    stack = [(start, [start])]
    while stack:
        node, path = stack.pop()
        for nxt in sorted(graph.get(node, ())):
            if nxt == start:
                return path
            if nxt not in path:
                stack.append((nxt, path + [nxt]))
    return None


here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
# src/'s top level is checked above, against its layers.
problems += sibling_cycles(root, "src", skip_root=True)
problems += sibling_cycles(os.path.join(here, "drivers", "duckdb-odbc", "src"),
                           "drivers/duckdb-odbc/src", skip_root=False)
for problem in problems:
    print("layers: " + problem, file=sys.stderr)
sys.exit(1 if problems else 0)
