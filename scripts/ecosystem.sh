#!/usr/bin/env bash
# The ecosystem matrix (compat/ecosystem): real programs on axum, reqwest, tonic, hyper-util,
# tower, tokio-util, tokio-stream and tokio-rustls, each run on both runtime flavours with fd and
# heap leak checks. With the patch at the bottom of compat/ecosystem/Cargo.toml uncommented they
# run on Tandem's tokio compat crate; otherwise on crates.io Tokio.
# Usage: scripts/ecosystem.sh [extra cargo test args, e.g. --test axum]
set -euo pipefail
cd "$(dirname "$0")/.."

# Its own target dir: the ecosystem workspace's dependency graph shares nothing with the main one.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target/ecosystem}"

# The harness counts the process's fds and heap bytes, which tests running side by side would
# disturb: one test thread.
cmd=(cargo test --manifest-path compat/ecosystem/Cargo.toml "$@" -- --test-threads=1)
echo "+ CARGO_TARGET_DIR=$CARGO_TARGET_DIR ${cmd[*]}"
"${cmd[@]}"
