#!/usr/bin/env bash
# The project's one test command: formatting, lints, docs, the whole test suite, Tokio's
# networking tests and tandem's net_* tests (and the other tests that use Unix streams) again with
# TCP and Unix stream receives and sends over io_uring
# (TANDEM_NET_IO_URING=1), the file-system tests with io_uring forced off three ways, io_uring_enter failures injected by strace,
# valgrind on the cancellation storm, the loom models,
# the whole test suite once more under AddressSanitizer,
# the check that tandem depends on no tokio crate, the ecosystem matrix on compat/tokio (axum,
# reqwest, tonic, hyper-util, tower, tokio-util, tokio-stream, tokio-rustls), the layer rule's ratchet
# (scripts/layers.py), and a benchmark smoke run.
# Usage: scripts/test.sh            (CI runs exactly this through .ci/run, with CI=true)
#
# It needs strace, valgrind and fio, and installs what is missing with apt-get (through sudo when
# not root). Where they cannot be had, a CI run (CI=true) fails; a local run skips the steps that
# need them, with a warning, and says so again at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

ci=false
[[ "${CI:-}" == true ]] && ci=true
skipped=()
timings=()
step_name=""
step_start=$SECONDS

# Ends the running step (recording its time) and starts the next one.
step() {
  if [[ -n "$step_name" ]]; then
    timings+=("$(printf '%4ds  %s' $((SECONDS - step_start)) "$step_name")")
  fi
  step_name="$*"
  step_start=$SECONDS
  printf '\n==> %s\n' "$*"
}

die() {
  echo "error: $*" >&2
  exit 1
}

# Installs whichever of the given Debian packages (named as their commands) are missing. Never
# fails: `need` decides what a missing tool means.
install_missing() {
  local missing=() tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
  done
  if ((${#missing[@]} == 0)); then
    echo "present: $*"
    return 0
  fi
  echo "missing: ${missing[*]}"
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "warning: no apt-get here to install ${missing[*]}" >&2
    return 0
  fi
  local sudo=()
  if [[ "$(id -u)" != 0 ]]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "warning: not root and no sudo: cannot install ${missing[*]}" >&2
      return 0
    fi
    # In CI, a sudo that wants a password must fail, not wait for one.
    if $ci; then sudo=(sudo -n); else sudo=(sudo); fi
  fi
  # A fresh machine has no package lists yet.
  "${sudo[@]}" apt-get update -qq || echo "warning: apt-get update failed" >&2
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" || echo "warning: apt-get install ${missing[*]} failed" >&2
}

# True if `tool` is on the PATH. If not: fails the run under CI, else warns, records the skip
# and returns false.
need() {
  local tool=$1 what=$2
  command -v "$tool" >/dev/null 2>&1 && return 0
  $ci && die "$tool is not installed (CI=true): cannot run $what"
  echo "warning: $tool is not installed: SKIPPING $what" >&2
  skipped+=("$what (no $tool)")
  return 1
}

# The test executables `cargo test <args> --no-run` builds, one path per line. `--workspace`
# keeps the feature set of the full test build, so nothing is rebuilt.
test_executables() {
  cargo test --workspace "$@" --no-run --message-format=json-render-diagnostics \
    | grep -o '"executable":"[^"]*"' | sed 's/^"executable":"//; s/"$//'
}

# Runs test binary `$1` from the package directory (as cargo does) with the rest of the
# arguments as a command prefix (env assignments, a wrapper). Its stdout and stderr go to
# $out/<name>.{stdout,stderr}; both are printed if it fails. Prints libtest's summary.
run_test_binary() {
  local bin=$1 name
  shift
  name=$(basename "$bin")
  name=${name%-*}
  if ! (cd tandem && env "$@" "$bin" --nocapture >"$out/$name.stdout" 2>"$out/$name.stderr"); then
    echo "--- $name stdout" >&2
    cat "$out/$name.stdout" >&2
    echo "--- $name stderr" >&2
    cat "$out/$name.stderr" >&2
    die "$name failed under: $*"
  fi
  printf '  %-20s %s\n' "$name" "$(grep '^test result:' "$out/$name.stdout" | tail -1)"
}

# Checks that $out/<name>.stderr of each binary has exactly one "io_uring unavailable" line, and
# that it names `errno`: the probe runs once per process and logs once.
check_logged_once() {
  local errno=$1 bin name lines
  shift
  for bin in "$@"; do
    name=$(basename "$bin")
    name=${name%-*}
    lines=$(grep -c 'tandem: io_uring unavailable (' "$out/$name.stderr" || true)
    if [[ "$lines" != 1 ]]; then
      cat "$out/$name.stderr" >&2
      die "$name logged 'io_uring unavailable' $lines times under injected $errno, want exactly 1"
    fi
    grep -q "tandem: io_uring unavailable (io_uring_setup: $errno" "$out/$name.stderr" \
      || die "$name: the 'io_uring unavailable' line does not name $errno"
  done
  echo "  each binary logged 'io_uring unavailable ($errno ...)' exactly once"
}

out=$(mktemp -d "${TMPDIR:-/tmp}/tandem-test.XXXXXX")
trap 'rm -rf "$out"' EXIT

step "test tools: strace, valgrind, fio, python3"
install_missing strace valgrind fio python3

step "rustfmt and clippy components"
rustup component add rustfmt clippy >/dev/null 2>&1 || true

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "tandem depends on no tokio crate"
# Tandem is the whole surface a Tokio program uses, so that compat/tokio can stand in for Tokio.
if cargo tree -p tandem -e normal --prefix none | grep -E '^tokio v'; then
  die "tandem depends on a tokio crate (above)"
fi
if cargo tree --manifest-path compat/tokio/Cargo.toml -e normal --prefix none \
  | grep -E '^tokio v' | grep -v '/compat/tokio)'; then
  die "compat/tokio depends on a crates.io tokio (above)"
fi
# The optional hyper glue brings hyper, which depends on tokio itself (its `sync` feature):
# hyper may, tandem may not.
tokio_users=$(cargo tree -p tandem -e normal --features hyper -i tokio --prefix depth \
  | sed -n 's/^1\([a-z0-9_-]*\) v.*/\1/p' | sort -u | tr '\n' ' ')
echo "with the hyper feature, tokio is a dependency of: $tokio_users"
[[ "$tokio_users" == "hyper " ]] || die "tokio is reached by something other than hyper: $tokio_users"

step "the layer rule: imports that run up a layer, circles of modules (scripts/layers.py)"
# A ratchet: the limits are today's counts (docs/ARCHITECTURE.md, "Layers"), and may only fall.
if need python3 "the layer check"; then
  python3 scripts/layers.py --max-up 1 --max-circle 1
fi

step "cargo doc (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet

step "cargo test (unit, integration and doc tests)"
# tandem/tests/uring_fallback_logged_once.rs needs strace (and fails without it when CI=true).
need strace "uring_fallback_logged_once's io_uring_setup injection" || true
cargo test --workspace --all-targets
cargo test --workspace --doc
# The diagnosis feature (readable -> polled histogram) is off in every build above.
cargo test -p tandem --features io-poll-delay --lib poll_delay

step "Tokio 1.54.1's own integration tests against Tandem (scripts/tokio_suite.py)"
# A ratchet: every file listed in scripts/tokio_suite_expected.txt (all 187 of Tokio's) must
# build and pass.
if need python3 "Tokio's test suite"; then
  mapfile -t tokio_files < <(grep -vE '^\s*(#|$)' scripts/tokio_suite_expected.txt)
  python3 scripts/tokio_suite.py --timeout 120 "${tokio_files[@]}"
fi

step "networking with stream sockets over io_uring (TANDEM_NET_IO_URING=1): Tokio's networking files, tandem's tests/net_* and its other Unix-stream tests"
# docs/URING-NET.md, "Must hold": every networking test passes with the switch on as well.
# Everything here was built by the two steps above: it costs the runs (about a minute).
if need python3 "Tokio's networking tests with TANDEM_NET_IO_URING=1"; then
  TANDEM_NET_IO_URING=1 python3 scripts/tokio_suite.py --timeout 120 \
    'tcp_*' 'uds_*' 'udp*' 'io_async_fd*' 'net_*' rt_shutdown_err \
    io_copy_bidirectional io_driver_drop
fi
# The tests outside net_* that drive a UnixStream or TcpStream's reads and writes too.
mapfile -t net_bins < <(test_executables --test 'net_*' --test rt_injected_batch_beside_a_full_queue \
  --test rt_unwind_safe --test io_unix_async_fd \
  --test time_paused_io_ready_runs_before_auto_advance)
((${#net_bins[@]} > 0)) || die "no net_* test binaries were built"
for bin in "${net_bins[@]}"; do
  run_test_binary "$bin" TANDEM_NET_IO_URING=1
done

step "the ecosystem matrix on Tandem: axum, reqwest, tonic, hyper-util, tower, tokio-util, tokio-stream, tokio-rustls (scripts/ecosystem.sh)"
# compat/ecosystem patches `tokio` to compat/tokio: every library in its graph runs on Tandem.
# The patch must be in use (Cargo warns "Patch `tokio ...` was not used" when a dependent wants
# a version it does not offer) and no crates.io Tokio may be left in the graph.
eco_build=$(CARGO_TARGET_DIR=target/ecosystem cargo test --manifest-path compat/ecosystem/Cargo.toml \
  --no-run 2>&1) || { echo "$eco_build" >&2; die "the ecosystem matrix does not build"; }
if grep -i "was not used" <<<"$eco_build"; then
  die "compat/ecosystem: the tokio patch was not used"
fi
eco_tokios=$(cargo tree --manifest-path compat/ecosystem/Cargo.toml -e all --prefix none \
  | grep -E '^tokio v' | sed 's/ (\*)$//' | sort -u)
echo "tokio in the ecosystem graph: $eco_tokios"
[[ "$eco_tokios" == *"/compat/tokio)"* && "$(wc -l <<<"$eco_tokios")" == 1 ]] \
  || die "the ecosystem graph holds a tokio that is not compat/tokio"
scripts/ecosystem.sh

step "fs tests with io_uring forced off: TANDEM_IO_URING=off, io_uring_setup EPERM, ENOSYS"
# Builders the tests configure explicitly (`.io_uring(UringMode::Auto)`) still use io_uring under
# TANDEM_IO_URING=off: the variable is only the default. strace's injection reaches every
# runtime: each ring setup fails, so the Auto configurations fall back as they would under a
# seccomp filter (EPERM) or on a kernel without io_uring (ENOSYS).
mapfile -t fs_bins < <(test_executables --test 'fs_*')
((${#fs_bins[@]} > 0)) || die "no fs_* test binaries were built"
echo "TANDEM_IO_URING=off:"
for bin in "${fs_bins[@]}"; do
  run_test_binary "$bin" TANDEM_IO_URING=off
done
if need strace "the fs tests under injected io_uring_setup failures"; then
  for errno in EPERM ENOSYS; do
    echo "io_uring_setup fails with $errno (strace injection):"
    # `--seccomp-bpf` stops the tracee only at io_uring_setup, so the tests run at full speed.
    # Never `-e trace=none`: it turns the injection off as well.
    for bin in "${fs_bins[@]}"; do
      run_test_binary "$bin" -u TANDEM_IO_URING strace -f --seccomp-bpf -qq -o /dev/null \
        -e trace=io_uring_setup -e "inject=io_uring_setup:error=$errno"
    done
    check_logged_once "$errno" "${fs_bins[@]}"
  done
fi

step "io_uring_enter fault injection: EAGAIN, EBUSY, EINTR on every 5th enter (strace)"
# A refused enter leaves its entries queued; uring_enter_faults checks that every read still
# completes once with its own bytes, every buffer is dropped once, and the fd count is exact.
# The log is checked for injected calls, so an injection that silently stopped fails the step.
if need strace "the io_uring_enter fault injection"; then
  mapfile -t fault_bin < <(test_executables --test uring_enter_faults)
  ((${#fault_bin[@]} == 1)) || die "expected one uring_enter_faults binary, got ${#fault_bin[@]}"
  for errno in EAGAIN EBUSY EINTR; do
    run_test_binary "${fault_bin[0]}" strace -f --seccomp-bpf -qq -o "$out/enter-$errno.strace" \
      -e trace=io_uring_enter -e "inject=io_uring_enter:error=$errno:when=5+5"
    injected=$(grep -c INJECTED "$out/enter-$errno.strace" || true)
    ((injected > 0)) || die "strace injected no $errno into io_uring_enter"
    echo "  $errno injected into $injected io_uring_enter calls"
  done
fi

step "valgrind memcheck: the cancellation storm (TANDEM_STORM_SCALE=50, TANDEM_IO_URING=off)"
# Definite leaks and memory errors fail the run. The storm's Off iteration is the blocking pool;
# its two Auto iterations set their mode explicitly, so they use io_uring where the kernel has it
# (valgrind passes io_uring_setup/enter through; it cannot see the kernel's writes into buffers).
if need valgrind "the valgrind run of uring_cancel_storm"; then
  mapfile -t storm_bin < <(test_executables --test uring_cancel_storm)
  ((${#storm_bin[@]} == 1)) || die "expected one uring_cancel_storm binary, got ${#storm_bin[@]}"
  run_test_binary "${storm_bin[0]}" TANDEM_STORM_SCALE=50 TANDEM_IO_URING=off \
    valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite \
    --show-leak-kinds=definite
fi

step "loom models (LOOM_MAX_PREEMPTIONS=${LOOM_MAX_PREEMPTIONS:-2})"
# Every unit test of the library, built with --cfg loom: all the #[cfg(loom)] models, whatever
# they are called (no name filter that a new model could miss), and the few plain unit tests.
RUSTFLAGS="--cfg loom -C debug_assertions" LOOM_MAX_PREEMPTIONS="${LOOM_MAX_PREEMPTIONS:-2}" \
  CARGO_TARGET_DIR=target/loom cargo test -p tandem --release --lib

step "AddressSanitizer and LeakSanitizer: every test of tandem (scripts/asan.sh)"
scripts/asan.sh

step "benchmark smoke run (tiny sizes; speed is measured by the main job, not here)"
cargo run --release -p tandem-bench -- --quick sched
# fio is the fs suite's reference in full runs; --quick leaves it out.
if need fio "the fio check for the fs benchmark"; then
  echo "fio: $(fio --version)"
fi
cargo run --release -p tandem-bench -- --quick fs

step "done"
echo "time per step:"
printf '%s\n' "${timings[@]}"
echo "total: ${SECONDS}s"
if ((${#skipped[@]} > 0)); then
  echo
  echo "WARNING: skipped for missing tools:"
  printf '  - %s\n' "${skipped[@]}"
fi
echo
echo "all checks passed"
