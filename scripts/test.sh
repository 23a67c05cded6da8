#!/usr/bin/env bash
# The project's one test command: formatting, lints, docs, the whole test suite, the loom models,
# and the check that Tokio is used only for its runtime-independent parts.
# Usage: scripts/test.sh            (CI runs exactly this through .ci/run)
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "rustfmt and clippy components"
rustup component add rustfmt clippy >/dev/null 2>&1 || true

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "tandem's tokio dependency pulls in no Tokio runtime"
# `cargo tree -e features` lists every feature of tokio that tandem enables.
tokio_features=$(cargo tree -p tandem -e features -i tokio --prefix none --edges normal 2>/dev/null \
  | grep -oE 'tokio feature "[a-z-]+"' | sort -u | sed 's/tokio feature //; s/"//g' | tr '\n' ' ')
echo "tokio features enabled by tandem: $tokio_features"
for forbidden in rt rt-multi-thread net fs time process signal; do
  if [[ " $tokio_features " == *" $forbidden "* ]]; then
    echo "error: tandem enables tokio feature '$forbidden', which pulls in Tokio's runtime" >&2
    exit 1
  fi
done

step "cargo doc (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet

step "cargo test (unit, integration and doc tests)"
cargo test --workspace --all-targets
cargo test --workspace --doc

step "loom models (LOOM_MAX_PREEMPTIONS=${LOOM_MAX_PREEMPTIONS:-2})"
RUSTFLAGS="--cfg loom -C debug_assertions" LOOM_MAX_PREEMPTIONS="${LOOM_MAX_PREEMPTIONS:-2}" \
  CARGO_TARGET_DIR=target/loom cargo test -p tandem --release --lib loom

step "benchmark smoke run (tiny sizes; speed is measured by the main job, not here)"
cargo run --release -p tandem-bench -- --quick sched

echo
echo "all checks passed"
