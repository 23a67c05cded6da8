#!/usr/bin/env python3
"""The layer rule of `tandem/src`, checked mechanically.

`docs/ARCHITECTURE.md` orders the crate's modules in layers, lowest first, and says a lower
layer does not name a higher one. A layer unit is a top-level module, except under the engine,
`rt/`, where each of its modules is a unit of its own (`rt.task`, `rt.scheduler`, ...). This
script reads every source file (test-only files under a `tests/` folder aside), collects the
units each one names through `crate::` or `super::` paths, and reports:

- every import that runs from a lower layer up to a higher one (file, the unit it names);
- every circle of units (a strongly connected component of the unit graph).

Usage: `scripts/layers.py [--max-up N] [--max-circle M]`. It exits with 1 if more than N imports
run up, or if a circle spans more than M top-level modules, so that the count can only go down
(ratchet the limits as the layout improves). Without limits it only reports.
"""

import argparse
import os
import re
import sys

# Layer units of `tandem/src`, lowest layer first (the order of the module map in
# docs/ARCHITECTURE.md). Keep the two in step. `rt.x` is `rt/x` (the engine's modules); the
# public surface sits above the whole engine.
LAYERS = [
    "loom",
    "util",
    # the engine
    "rt.context",
    "rt.coop",
    "rt.task",
    "rt.reactor",
    "rt.uring",
    "rt.time",
    "rt.signal",
    "rt.orphans",
    "rt.driver",
    "rt.blocking",
    "rt.scheduler",
    # the public surface
    "runtime",
    "task",
    "time",
    "signal",
    "sync",
    "io",
    "uring",
    "fs",
    "net",
    "process",
    "hyper",
    "macros",
]
ENGINE = "rt"

# The one place a lower layer may reach up: the thread-local hub. `rt/context.rs` is the leaf
# thread-local state (entered flags, task id, budget); the current runtime's handle (a
# `SchedulerHandle`) and the scheduler's per-thread context live in the scheduler's slot,
# `rt/scheduler/context.rs`. The hub is `rt/context.rs`'s re-export of the slot's lookups
# (`current`, `try_current`, `with_current`), so that the reactor, the time driver and io_uring
# operations can find their runtime without naming the scheduler. Its import still counts as
# one that runs up; the circles leave it out (every engine unit reaches `rt/context.rs`, so with
# it the whole engine would be one circle, and no other circle would show).
HUB = ("rt.context", "rt.scheduler")
RANK = {name: rank for rank, name in enumerate(LAYERS)}

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tandem", "src")
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def module_path(rel):
    """`a/b/c.rs` -> ["a", "b", "c"]; `a/b/mod.rs` -> ["a", "b"]; `lib.rs` -> []."""
    parts = rel[:-3].split(os.sep)
    if parts[-1] in ("mod", "lib"):
        parts = parts[:-1]
    return parts


def unit_of(path):
    """The layer unit of a module path: `["rt", "task", "raw"]` -> "rt.task", `["fs", "file"]`
    -> "fs"; `["rt"]` (the engine's own mod.rs) -> "rt"."""
    if path and path[0] == ENGINE and len(path) > 1:
        return f"{ENGINE}.{path[1]}"
    return path[0] if path else None


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return "\n".join(line.split("//", 1)[0] for line in text.splitlines())


def first_segments(text, start):
    """The unit each item after `prefix::` at `start` names (an identifier or a brace group,
    whose top-level items each count): its first path segment, or its first two joined by a
    dot under the engine (`rt::task::X` -> "rt.task", `rt::{task, coop}` -> both)."""
    if text.startswith("{", start):
        depth, item_start, out = 0, start + 1, []
        for i in range(start, len(text)):
            c = text[i]
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    out.append(text[item_start:i])
                    break
            elif c == "," and depth == 1:
                out.append(text[item_start:i])
                item_start = i + 1
        names = []
        for item in out:
            m = IDENT.search(item)
            if m:
                names.extend(engine_units(item, m.start()) if m.group(0) == ENGINE else [m.group(0)])
        return names
    m = IDENT.match(text, start)
    if not m:
        return []
    return engine_units(text, start) if m.group(0) == ENGINE else [m.group(0)]


def engine_units(text, start):
    """The units named by a path that starts with `rt` at `start`: `rt::task` -> ["rt.task"],
    `rt::{task, coop}` -> both, a bare `rt` -> ["rt"]."""
    after = start + len(ENGINE)
    rest = re.match(r"\s*::\s*", text[after:])
    if not rest:
        return [ENGINE]
    return [f"{ENGINE}.{name}" for name in first_segments(text, after + rest.end())]


def named_modules(rel, text):
    """Units a file names (other than its own)."""
    here = module_path(rel)
    own = unit_of(here)
    names = set()
    for m in re.finditer(r"\bcrate::", text):
        for seg in first_segments(text, m.end()):
            names.add(seg)
    for m in re.finditer(r"\b((?:super::)+)", text):
        ups = m.group(1).count("super::")
        # `super` from module path P is P[:-1]; from a file's own module.
        base = here[: max(len(here) - ups, 0)]
        if base == [ENGINE]:
            # From inside the engine up to `rt`: the next segment is an engine unit.
            names.update(f"{ENGINE}.{seg}" for seg in first_segments(text, m.end()))
            continue
        if base:
            continue  # still inside the same unit
        for seg in first_segments(text, m.end()):
            names.add(seg)
    return {n for n in names if n in RANK and n != own}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-up", type=int, default=None)
    parser.add_argument("--max-circle", type=int, default=None)
    args = parser.parse_args()

    edges = {}  # module -> set of modules it names
    up = []  # (file, from, to)
    for root, dirs, files in os.walk(SRC):
        dirs[:] = [d for d in dirs if d != "tests"]
        for f in sorted(files):
            if not f.endswith(".rs"):
                continue
            path = os.path.join(root, f)
            rel = os.path.relpath(path, SRC)
            here = module_path(rel)
            if not here:
                continue  # lib.rs sits above every layer
            own = unit_of(here)
            if own == ENGINE:
                continue  # rt/mod.rs only declares the engine's modules
            if own not in RANK:
                print(f"layers.py: {rel}: module `{own}` has no layer; add it to LAYERS")
                return 2
            with open(path, encoding="utf-8") as fh:
                text = strip_comments(fh.read())
            for target in sorted(named_modules(rel, text)):
                if (own, target) != HUB:
                    edges.setdefault(own, set()).add(target)
                if RANK[target] > RANK[own]:
                    up.append((rel, own, target))

    print(f"imports that run up a layer: {len(up)}")
    for rel, own, target in up:
        hub = "  (the thread-local hub)" if (own, target) == HUB else ""
        print(f"  {rel}: {own} -> {target}{hub}")

    circles = strongly_connected(edges)
    big = [c for c in circles if len(c) > 1]
    widest = max((len(c) for c in big), default=1)
    print(f"circles of units, the hub's import aside: {len(big)} (widest spans {widest})")
    for c in big:
        print("  " + " <-> ".join(sorted(c, key=RANK.get)))

    failed = False
    if args.max_up is not None and len(up) > args.max_up:
        print(f"FAIL: {len(up)} upward imports, at most {args.max_up} allowed")
        failed = True
    if args.max_circle is not None and widest > args.max_circle:
        print(f"FAIL: a circle spans {widest} units, at most {args.max_circle}")
        failed = True
    return 1 if failed else 0


def strongly_connected(edges):
    """Tarjan's algorithm over the module graph."""
    index, low, on_stack, stack, out = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(comp)

    for v in list(edges):
        if v not in index:
            visit(v)
    return out


if __name__ == "__main__":
    sys.exit(main())
