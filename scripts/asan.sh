#!/usr/bin/env bash
# Every test of the `tandem` package (library unit tests and integration tests; not doc tests)
# under AddressSanitizer and LeakSanitizer. Fails on any test failure and on any sanitizer report,
# from a test binary or from a child process one of them starts.
# Usage: scripts/asan.sh   (from anywhere; scripts/test.sh runs it)
#
# Knobs (environment), sized so that the build and the run stay within CI's budget:
#   TANDEM_STORM_SCALE    divides uring_cancel_storm's reads and opens (default here 4; the test's
#                         own default, 1, takes about 45 s under ASan on 2 cores)
#   TANDEM_NET_STORM_OPS  operations per configuration of net_uring_cancel_storm (default here
#                         10,000; the test's own, 100,000)
#   TANDEM_WAITER_ROUNDS  rounds of task_drop_in_place's waiter scenarios (the test's default)
#   ASAN_TEST_THREADS     --test-threads for every binary (default: libtest's, one per core)
#   ASAN_BIN_TIMEOUT      seconds before a hung test binary is killed (default 600)
#
# Notes:
# - Stable Rust, through the escape hatch: RUSTC_BOOTSTRAP=1 allows -Zsanitizer. The explicit
#   --target keeps build scripts and proc macros uninstrumented. The build has its own target
#   directory (target/asan), so it never invalidates the normal build.
# - The binaries run directly (from tandem/, as cargo runs them), without RUSTFLAGS in their
#   environment: a test that runs cargo itself (macros_crate_renamed) must not build its
#   throwaway project with the sanitizer flags.
# - Every sanitizer report goes to a file of its own (ASAN_OPTIONS log_path, one file per
#   process), and the run fails if any exists: a report from a child process counts even when
#   its parent test expected the child to fail.
# - ASan does not see the kernel's writes through io_uring; it reports nothing for them.
# - No LeakSanitizer suppressions: no leak has been found that is intentional. A leak meant on
#   purpose gets a suppressions file (LSAN_OPTIONS=suppressions=...) with a comment per entry.
set -euo pipefail
cd "$(dirname "$0")/.."

target=x86_64-unknown-linux-gnu
export TANDEM_STORM_SCALE="${TANDEM_STORM_SCALE:-4}"
export TANDEM_NET_STORM_OPS="${TANDEM_NET_STORM_OPS:-10000}"
bin_timeout="${ASAN_BIN_TIMEOUT:-600}"
test_args=()
if [[ -n "${ASAN_TEST_THREADS:-}" ]]; then
  test_args+=(--test-threads "$ASAN_TEST_THREADS")
fi

out=$(mktemp -d "${TMPDIR:-/tmp}/tandem-asan.XXXXXX")
trap 'rm -rf "$out"' EXIT

echo "==> build every test of tandem with -Zsanitizer=address (target/asan)"
start=$SECONDS
# --message-format prints the executables' paths as JSON on stdout; diagnostics go to stderr.
RUSTC_BOOTSTRAP=1 RUSTFLAGS="-Zsanitizer=address" CARGO_TARGET_DIR=target/asan \
  cargo test -p tandem --target "$target" --tests --no-run \
  --message-format=json-render-diagnostics >"$out/build.json"
mapfile -t bins < <(grep -o '"executable":"[^"]*"' "$out/build.json" \
  | sed 's/^"executable":"//; s/"$//')
((${#bins[@]} > 0)) || { echo "error: the build produced no test binary" >&2; exit 1; }
build_time=$((SECONDS - start))
echo "built ${#bins[@]} test binaries in ${build_time}s"

failed=()
runs=0

# Runs test binary `$1` (reported as `$2`) with the sanitizer options `$3` added to the common
# ones, and the rest of the arguments given to libtest. Records a failure if the binary fails
# or any process wrote a sanitizer report.
run() {
  local bin=$1 label=$2 extra=$3 logs rc=0 t0=$SECONDS
  shift 3
  # Numbered, not named: ASAN_OPTIONS cannot quote a path with spaces.
  runs=$((runs + 1))
  logs=$out/logs/$runs
  mkdir -p "$logs"
  # halt_on_error: the first memory error ends the process (nonzero). detect_leaks: LeakSanitizer
  # at exit (the default on x86_64 Linux, stated here because the run depends on it).
  (cd tandem && ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:log_path=$logs/report${extra:+:$extra}" \
    timeout "$bin_timeout" "$bin" "${test_args[@]}" "$@" >"$logs/stdout" 2>"$logs/stderr") || rc=$?
  local reports=("$logs"/report.*)
  [[ -e "${reports[0]}" ]] || reports=()
  printf '  %-48s %4ds  %s\n' "$label" $((SECONDS - t0)) \
    "$(grep '^test result:' "$logs/stdout" | tail -1 || true)"
  if ((rc != 0 || ${#reports[@]} > 0)); then
    failed+=("$label")
    ((rc == 124)) && echo "    timed out after ${bin_timeout}s (hung?)"
    echo "    exit status $rc, ${#reports[@]} sanitizer report(s)"
    echo "--- $label stdout (last 60 lines)"
    tail -n 60 "$logs/stdout"
    echo "--- $label stderr (last 60 lines)"
    tail -n 60 "$logs/stderr"
    local report
    for report in "${reports[@]}"; do
      echo "--- sanitizer report $report"
      cat "$report"
    done
  fi
}

echo "==> run them (TANDEM_STORM_SCALE=$TANDEM_STORM_SCALE, TANDEM_NET_STORM_OPS=$TANDEM_NET_STORM_OPS)"
start=$SECONDS
for bin in "${bins[@]}"; do
  name=$(basename "$bin")
  name=${name%-*}
  case $name in
    rt_million_tasks)
      # It bounds RSS growth between two rounds of 200,000 tasks. ASan keeps freed blocks in a
      # quarantine (256 MiB by default) that is still filling during the second round, which
      # reads as growth; 32 MiB fills within the first round and still catches a reuse of a
      # freed task soon after its free.
      run "$bin" "$name" quarantine_size_mb=32
      ;;
    uring_fallback_logged_once)
      # Its *_falls_back_and_logs_once tests run a child under strace (injected io_uring_setup
      # failures), and LeakSanitizer cannot run in a ptraced process: it stops with a fatal
      # error. Those tests run with leak detection off (memory errors are still caught); the
      # others with it on.
      run "$bin" "$name" "" --skip _falls_back_and_logs_once
      run "$bin" "$name (under strace, no leak check)" detect_leaks=0 _falls_back_and_logs_once
      ;;
    net_uring_cancel_storm_quarantine)
      # Its own quarantine replaces the global allocator and defines mmap, mprotect and munmap,
      # which ASan intercepts itself: the two would overlap. net_uring_cancel_storm is the
      # same storm under ASan.
      echo "  $name: skipped (a quarantine of its own; net_uring_cancel_storm runs the storm)"
      ;;
    *)
      run "$bin" "$name" ""
      ;;
  esac
done
run_time=$((SECONDS - start))

echo
echo "ASan build: ${build_time}s, run: ${run_time}s, ${#bins[@]} binaries"
if ((${#failed[@]} > 0)); then
  echo "FAILED under AddressSanitizer:" >&2
  printf '  - %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "no test failure, no sanitizer report"
