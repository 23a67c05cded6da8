#!/usr/bin/env python3
"""Runs Tokio 1.54.1's own integration tests against Tandem, and prints a table per file.

Usage: scripts/tokio_suite.py [--timeout SECONDS] [--list] [PATTERN ...]

PATTERN selects test files of Tokio's `tests/` folder by shell pattern on the file's stem
(`sync_*`, `io_read`); without one, the files of the runtime-independent surface Tandem owns
(issue 12): sync_*, io_* (but io_async_fd, io_driver*, io_poll_aio, io_uring), macros_*,
task_local, coop_budget, duplex_stream, buffered.

How: a scratch crate in target/tokio-suite/ takes the test files (and Tokio's `tests/support/`),
Tokio's dev-dependencies, and `tokio` patched to compat/tokio (the drop-in recipe: Tokio's
dev-dependencies built on `tokio`, tokio-stream and tokio-test, run on Tandem too), declares every
feature name Tokio's tests test for (`full` and the rest, on by default), and builds every
file's test executable in one `cargo build --tests --keep-going`: a file that does not compile
has no executable and is reported so, with its first error. Each executable then runs with a
time limit. The sources come from the local cargo registry; `cargo fetch` brings them if
missing. Exit status: 0 when every selected file built and passed, else 1.
"""

import argparse
import fnmatch
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import time

TOKIO_VERSION = "1.54.1"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(REPO, "target", "tokio-suite")

# The surface issue 12 makes Tandem's own. Runtime-bound files (rt_*, net_*, fs_*, time_*,
# process_*, signal_*, io_async_fd, io_driver*) are issue 13's.
DEFAULT_PATTERNS = [
    "sync_*", "io_*", "macros_*", "task_local", "coop_budget", "duplex_stream", "buffered",
]
EXCLUDED_FROM_DEFAULT = ["io_async_fd", "io_driver", "io_driver_drop", "io_poll_aio", "io_uring"]

# Tokio's feature names (every `cfg(feature = ...)` its tests use must exist) and those on by
# default here: `full` and what it implies, plus `test-util`, as Tokio's CI runs them.
FEATURES_ON = [
    "full", "fs", "io-util", "io-std", "macros", "net", "parking_lot", "process", "rt",
    "rt-multi-thread", "signal", "sync", "time", "test-util",
]
FEATURES_OFF = ["io-uring", "taskdump", "tracing", "schedule-latency", "bytes", "libc", "mio"]

# Tests skipped, each with its reason (printed with the table): tests of Tokio's environment
# rather than of its contract. {file stem: {test name: reason}}.
SKIPPED = {
    "fs_try_exists": {
        "try_exists": "runs as root here: root reads through the directory the test makes "
                      "unreadable (mode 0o244), so `exists` is Ok(true) where the test wants "
                      "PermissionDenied; Tokio fails it the same way as root",
    },
}

# Files that do not pass, each with its reason, printed when selected: {file stem: reason}.
EXCEPTIONS: dict[str, str] = {}

# Tokio's own dependencies its tests name (`bytes`), then its dev-dependencies.
DEV_DEPENDENCIES = """\
bytes = "1"
async-stream = "0.3"
futures = { version = "0.3.0", features = ["async-await"] }
futures-concurrency = "7.6.3"
futures-test = "0.3.31"
pin-project-lite = "0.2"
mockall = "0.13.0"
tokio-stream = "0.1"
tokio-test = "0.4.0"
nix = { version = "0.31.0", features = ["aio", "fs", "socket"] }
tempfile = "3.1.0"
rand = "0.9"
proptest = "1"
socket2 = "0.6.0"
libc = "0.2.168"
"""


def tokio_sources():
    """The unpacked tokio crate in the local cargo registry, fetched if missing."""
    home = os.environ.get("CARGO_HOME", os.path.expanduser("~/.cargo"))
    pattern = os.path.join(home, "registry", "src", "*", f"tokio-{TOKIO_VERSION}")
    found = sorted(glob.glob(pattern))
    if found:
        return found[0]
    fetch = os.path.join(WORK, "fetch")
    os.makedirs(os.path.join(fetch, "src"), exist_ok=True)
    with open(os.path.join(fetch, "Cargo.toml"), "w") as f:
        f.write(
            '[package]\nname = "tokio-fetch"\nversion = "0.0.0"\nedition = "2021"\n'
            f'[workspace]\n[dependencies]\ntokio = "={TOKIO_VERSION}"\n'
        )
    with open(os.path.join(fetch, "src", "lib.rs"), "w") as f:
        f.write("")
    subprocess.run(["cargo", "fetch", "--manifest-path", os.path.join(fetch, "Cargo.toml")],
                   check=True)
    found = sorted(glob.glob(pattern))
    if not found:
        sys.exit(f"tokio {TOKIO_VERSION} is not in {home}/registry/src after `cargo fetch`")
    return found[0]


def select(tests_dir, patterns):
    stems = sorted(f[:-3] for f in os.listdir(tests_dir) if f.endswith(".rs"))
    chosen = [s for s in stems if any(fnmatch.fnmatch(s, p) for p in patterns)]
    if patterns == DEFAULT_PATTERNS:
        chosen = [s for s in chosen if s not in EXCLUDED_FROM_DEFAULT]
    return chosen


def write_crate(tokio_dir, stems):
    crate = os.path.join(WORK, "crate")
    tests = os.path.join(crate, "tests")
    if os.path.isdir(tests):
        shutil.rmtree(tests)
    shutil.copytree(os.path.join(tokio_dir, "tests", "support"), os.path.join(tests, "support"))
    os.makedirs(os.path.join(crate, "src"), exist_ok=True)
    with open(os.path.join(crate, "src", "lib.rs"), "w") as f:
        f.write("//! Holds Tokio's integration tests, run against Tandem.\n")
    for stem in stems:
        shutil.copy(os.path.join(tokio_dir, "tests", stem + ".rs"), tests)
    features = "\n".join(f'{name} = []' for name in FEATURES_ON + FEATURES_OFF)
    default = ", ".join(f'"{name}"' for name in FEATURES_ON)
    targets = "\n".join(
        f'[[test]]\nname = "{stem}"\npath = "tests/{stem}.rs"\n' for stem in stems
    )
    compat = os.path.join(REPO, "compat", "tokio")
    manifest = f"""\
[package]
name = "tokio-suite"
version = "0.0.0"
edition = "2021"
publish = false
autotests = false

# Its own workspace: it lives under the repository's target/.
[workspace]

[features]
default = [{default}]
{features}

[dependencies]
tokio = "{TOKIO_VERSION}"

[dev-dependencies]
{DEV_DEPENDENCIES}
[patch.crates-io]
tokio = {{ path = "{compat}" }}

{targets}"""
    with open(os.path.join(crate, "Cargo.toml"), "w") as f:
        f.write(manifest)
    return crate


def build(crate):
    """Builds every test target; returns ({stem: executable}, {stem: first error})."""
    cmd = [
        "cargo", "build", "--tests", "--keep-going", "--message-format=json",
        "--manifest-path", os.path.join(crate, "Cargo.toml"),
    ]
    env = dict(os.environ, CARGO_TARGET_DIR=os.path.join(WORK, "target"))
    env.pop("RUSTFLAGS", None)
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    executables, errors = {}, {}
    for line in proc.stdout.splitlines():
        try:
            msg = json.loads(line)
        except json.JSONDecodeError:
            continue
        target = msg.get("target", {})
        if "test" not in target.get("kind", []):
            continue
        stem = target.get("name")
        if msg.get("reason") == "compiler-artifact" and msg.get("executable"):
            executables[stem] = msg["executable"]
        elif msg.get("reason") == "compiler-message":
            diag = msg.get("message", {})
            if diag.get("level") == "error" and stem not in errors:
                errors[stem] = diag.get("message", "").splitlines()[0]
    if proc.returncode != 0 and not executables and not errors:
        sys.stderr.write(proc.stderr)
        sys.exit("the scratch crate did not build (see above)")
    return executables, errors


RESULT = re.compile(r"test result: \w+\. (\d+) passed; (\d+) failed; (\d+) ignored")
# libtest's closing list of failed tests: "failures:" then one indented name per line.
FAILURE_LIST = re.compile(r"^failures:\n((?:    \S+\n)+)", re.M)
# What libtest prints of a test still running after 60 s.
STUCK = re.compile(r"^test (\S+) has been running for over 60 seconds", re.M)


def failures_of(out):
    lists = FAILURE_LIST.findall(out)
    return lists[-1].split() if lists else []


def run(executable, timeout, cwd, skip=()):
    """Runs one test executable from `cwd` (Tokio's package directory, as `cargo test` would:
    some tests read `./Cargo.toml`), leaving out the `skip`ped tests."""
    start = time.monotonic()
    cmd = [executable]
    for name in skip:
        cmd += ["--skip", name]
    if skip:
        cmd.append("--exact")  # skip those names only, not every name containing them
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=timeout, cwd=cwd)
    except subprocess.TimeoutExpired as e:
        out = e.stdout if isinstance(e.stdout, str) else (e.stdout or b"").decode(errors="replace")
        done = len(re.findall(r" \.\.\. ok$", out, re.M))
        failed = re.findall(r"^test (\S+) \.\.\. FAILED$", out, re.M)
        return {"status": "timeout", "passed": done, "failed": len(failed), "ignored": 0,
                "failures": ["stuck: " + name for name in STUCK.findall(out)] + failed,
                "secs": timeout}
    secs = time.monotonic() - start
    m = RESULT.search(proc.stdout)
    failures = failures_of(proc.stdout)
    if not m:
        return {"status": "crashed", "passed": 0, "failed": 0, "ignored": 0,
                "failures": failures, "secs": secs, "tail": proc.stdout[-400:]}
    passed, failed, ignored = map(int, m.groups())
    status = "ok" if proc.returncode == 0 else "failed"
    return {"status": status, "passed": passed, "failed": failed, "ignored": ignored,
            "failures": failures, "secs": secs}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("patterns", nargs="*", default=DEFAULT_PATTERNS)
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds a test file may run (default 120)")
    parser.add_argument("--list", action="store_true", help="list the selected files and exit")
    parser.add_argument("--json", help="also write the results as JSON to this path")
    args = parser.parse_args()

    tokio_dir = tokio_sources()
    stems = select(os.path.join(tokio_dir, "tests"), args.patterns)
    if not stems:
        sys.exit("no test file matches " + " ".join(args.patterns))
    if args.list:
        print("\n".join(stems))
        return 0
    crate = write_crate(tokio_dir, stems)
    print(f"tokio {TOKIO_VERSION}'s tests against Tandem: {len(stems)} files, building...",
          flush=True)
    executables, errors = build(crate)

    results = {}
    for stem in stems:
        if stem in executables:
            results[stem] = run(executables[stem], args.timeout, tokio_dir,
                                SKIPPED.get(stem, {}))
        else:
            results[stem] = {"status": "no build", "passed": 0, "failed": 0, "ignored": 0,
                             "failures": [], "secs": 0.0,
                             "error": errors.get(stem, "(no executable; see cargo's output)")}

    width = max(len(s) for s in stems)
    print(f"{'file':<{width}}  {'result':<8} {'pass':>5} {'fail':>5} {'ign':>4} {'secs':>6}  notes")
    for stem in stems:
        r = results[stem]
        notes = r.get("error") or ", ".join(r["failures"][:4])
        if len(r["failures"]) > 4:
            notes += f", ... ({len(r['failures'])} in all)"
        print(f"{stem:<{width}}  {r['status']:<8} {r['passed']:>5} {r['failed']:>5} "
              f"{r['ignored']:>4} {r['secs']:>6.1f}  {notes}")
    skipped = [(stem, name, why) for stem in stems for name, why in SKIPPED.get(stem, {}).items()]
    if skipped:
        print("\nskipped:")
        for stem, name, why in skipped:
            print(f"  {stem}::{name}: {why}")
    excepted = [(stem, EXCEPTIONS[stem]) for stem in stems
                if stem in EXCEPTIONS and results[stem]["status"] != "ok"]
    if excepted:
        print("\nexceptions (files that do not pass, and why):")
        for stem, why in excepted:
            print(f"  {stem}: {why}")
    files_ok = sum(r["status"] == "ok" for r in results.values())
    passed = sum(r["passed"] for r in results.values())
    failed = sum(r["failed"] for r in results.values())
    print(f"\n{files_ok} of {len(stems)} files pass; {passed} tests passed, {failed} failed; "
          f"{sum(r['status'] == 'no build' for r in results.values())} files do not build")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return 0 if files_ok == len(stems) else 1


if __name__ == "__main__":
    sys.exit(main())
