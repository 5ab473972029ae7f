#!/usr/bin/env bash
# Installs the Debian packages the tests run for real (Prometheus, Alertmanager, …), once,
# whoever asks first: every caller takes the same lock, so parallel tests never race for
# apt's and dpkg's locks. Everything apt prints goes to the log named below.
#
#   scripts/test-deps.sh PACKAGE...        e.g. scripts/test-deps.sh prometheus
#
# Environment: WARROOM_TEST_DEPS_LOG (default target/test-deps.log),
#              WARROOM_TEST_DEPS_LOCK (default /tmp/warroom-test-deps.lock).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
log="${WARROOM_TEST_DEPS_LOG:-$root/target/test-deps.log}"
lock="${WARROOM_TEST_DEPS_LOCK:-/tmp/warroom-test-deps.lock}"
mkdir -p "$(dirname "$log")"
if [ "$#" -eq 0 ]; then
    echo "usage: $0 PACKAGE..." >&2
    exit 2
fi
exec 9>>"$lock"
flock 9
missing=()
for p in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done
if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi
sudo=()
if [ "$(id -u)" -ne 0 ]; then
    sudo=(sudo -n)
fi
{
    echo "== $(date -u +%FT%TZ) installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # Someone else's apt (unattended-upgrades, another checkout) may hold dpkg's lock: wait.
    "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 update -q
    "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}"
    echo "== $(date -u +%FT%TZ) done"
} >>"$log" 2>&1 || {
    echo "installing ${missing[*]} failed; the end of $log:" >&2
    tail -n 20 "$log" >&2
    exit 1
}
