#!/usr/bin/env bash
# Runs every fuzz target for a short while, one after another, and fails if any of them
# finds a crash. Installs cargo-fuzz first if it is missing (once, whoever asks first: every
# caller takes the same lock; what cargo prints goes to the log named below).
#
#   fuzz/run-all.sh [SECONDS]       e.g. fuzz/run-all.sh 300    (default 30 s a target)
#
# Environment: WARROOM_FUZZ_SECONDS (seconds a target when no argument is given, default 30),
#              WARROOM_FUZZ_TARGETS (space-separated targets to run, default all of them),
#              WARROOM_FUZZ_DEPS_LOG (default target/fuzz-deps.log),
#              WARROOM_FUZZ_DEPS_LOCK (default /tmp/warroom-install.lock).
set -euo pipefail
fuzz="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$fuzz/.." && pwd)"
seconds="${1:-${WARROOM_FUZZ_SECONDS:-30}}"
log="${WARROOM_FUZZ_DEPS_LOG:-$root/target/fuzz-deps.log}"
lock="${WARROOM_FUZZ_DEPS_LOCK:-/tmp/warroom-install.lock}"
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: $0 [SECONDS]   (a whole number of seconds a target, got ${seconds@Q})" >&2
    exit 2
fi
mkdir -p "$(dirname "$log")"

if ! cargo fuzz --version >/dev/null 2>&1; then
    exec 9>>"$lock"
    flock 9
    # Someone else may have installed it while this script waited for the lock.
    if ! cargo fuzz --version >/dev/null 2>&1; then
        {
            echo "== $(date -u +%FT%TZ) installing: cargo-fuzz"
            cargo install cargo-fuzz --locked
            echo "== $(date -u +%FT%TZ) done"
        } >>"$log" 2>&1 || {
            echo "installing cargo-fuzz failed; the end of $log:" >&2
            tail -n 20 "$log" >&2
            exit 1
        }
    fi
    exec 9>&-
fi

cd "$fuzz"
if [ -n "${WARROOM_FUZZ_TARGETS:-}" ]; then
    read -r -a targets <<<"$WARROOM_FUZZ_TARGETS"
else
    mapfile -t targets < <(cargo +nightly fuzz list)
fi
# Build every target first, so that the time given is spent fuzzing.
cargo +nightly fuzz build
failed=()
for t in "${targets[@]}"; do
    echo "== $t: ${seconds}s"
    mkdir -p "corpus/$t"
    if ! cargo +nightly fuzz run "$t" "corpus/$t" -- -max_total_time="$seconds" -print_final_stats=1; then
        failed+=("$t")
    fi
done
if [ "${#failed[@]}" -ne 0 ]; then
    echo "crashed: ${failed[*]} (the inputs are under $fuzz/artifacts/)" >&2
    exit 1
fi
echo "no crash in ${#targets[@]} targets, ${seconds}s each"
