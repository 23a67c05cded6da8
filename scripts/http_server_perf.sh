#!/bin/bash
# Counts or profiles one HTTP benchmark server while the built-in load generator drives it.
#
#   scripts/http_server_perf.sh stat    SERVER [CONNECTIONS]   # system calls, context switches
#   scripts/http_server_perf.sh profile SERVER [CONNECTIONS]   # user-only perf profile
#
# SERVER: tandem, tandem-uring or tokio; CONNECTIONS: default 10000. One 12 s run; perf attaches
# to the server process 5 s in, for 5 s (stat) or 6 s (profile). Requests in the window come
# from the count of `read`/`recvfrom` calls (one per request on both runtimes). Needs `perf` and
# a release build: `cargo build --release -p tandem-bench`.
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=${1:?stat or profile}
SERVER=${2:?tandem, tandem-uring or tokio}
CONNECTIONS=${3:-10000}
OUT=${OUT:-target/tandem-bench/perf-$SERVER-c$CONNECTIONS}
mkdir -p "$(dirname "$OUT")"
target/release/tandem-bench http --connections "$CONNECTIONS" --servers "$SERVER" --runs 1 \
    --duration 12s >"$OUT.log" 2>&1 &
BENCH=$!
sleep 5
PID=$(pgrep -n -f "serve --arch" || true)
if [ -z "$PID" ]; then
    echo "no server process found" >&2
    wait $BENCH
    exit 1
fi
case $MODE in
stat)
    perf stat -x, -o "$OUT.stat" -p "$PID" -e raw_syscalls:sys_enter,syscalls:sys_enter_read,syscalls:sys_enter_recvfrom,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_futex,context-switches -- sleep 5
    ;;
profile)
    perf record -q -e cpu-clock:u -F 999 -g -p "$PID" -o "$OUT.data" -- sleep 6 >/dev/null 2>&1
    ;;
*)
    echo "unknown mode $MODE" >&2
    exit 2
    ;;
esac
wait $BENCH
grep -E "runs:|CPU per" "$OUT.log"
if [ "$MODE" = stat ]; then
    python3 - "$OUT.stat" <<'PY'
import sys
counts = {}
for line in open(sys.argv[1]):
    parts = line.strip().split(",")
    if len(parts) > 2 and parts[0].replace(".", "").isdigit():
        counts[parts[2]] = float(parts[0])
requests = counts.get("syscalls:sys_enter_read", 0) + counts.get("syscalls:sys_enter_recvfrom", 0)
print(f"requests in the window (reads): {requests:,.0f}")
for name, value in counts.items():
    print(f"  {name:<36} {value:>12,.0f}  {value / requests if requests else 0:.4f} per request")
PY
else
    perf report -i "$OUT.data" --no-children --sort symbol --stdio 2>/dev/null |
        grep -E '^\s+[0-9]+\.[0-9]+%' | head -30
fi
