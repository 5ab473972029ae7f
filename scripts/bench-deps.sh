#!/usr/bin/env bash
# Installs the programs the benchmarks measure beside warroom or measure it with, once,
# whoever asks first: htop, strace and valgrind from Debian (through scripts/test-deps.sh,
# which holds apt's lock) and bottom (`btm`) with `cargo install --locked` under a lock of
# its own. What apt and cargo print goes to the log below; on success it prints the path of
# `btm`, as BTM=….
#
#   scripts/bench-deps.sh
#
# Environment: WARROOM_BENCH_DEPS_LOG (default target/bench-deps.log),
#              WARROOM_BENCH_DEPS_LOCK (default /tmp/warroom-bench-deps.lock).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
log="${WARROOM_BENCH_DEPS_LOG:-$root/target/bench-deps.log}"
lock="${WARROOM_BENCH_DEPS_LOCK:-/tmp/warroom-bench-deps.lock}"
bottom_version=0.15.0
mkdir -p "$(dirname "$log")"
"$root/scripts/test-deps.sh" htop strace valgrind
exec 9>>"$lock"
flock 9
btm="$root/target/bench-tools/bin/btm"
if [ ! -x "$btm" ]; then
    {
        echo "== $(date -u +%FT%TZ) cargo install bottom $bottom_version"
        cargo install bottom --version "$bottom_version" --locked --root "$root/target/bench-tools"
        echo "== $(date -u +%FT%TZ) done"
    } >>"$log" 2>&1 || {
        echo "installing bottom failed; the end of $log:" >&2
        tail -n 20 "$log" >&2
        exit 1
    }
fi
echo "BTM=$btm"
