#!/usr/bin/env bash
# Runs benchmarks and writes the requirement lines each one prints (PASS / FAIL, with the
# figure and the goal) into docs/benchmarks.md, under "Figures", one block per benchmark
# between <!-- figures:NAME --> and <!-- /figures:NAME -->, naming the commit, the date, the
# CPU model, the cores and the compiler. A block is replaced only when its benchmark is run
# again, so the figures of one benchmark can be refreshed on their own.
#
#   scripts/bench-figures.sh                 # every benchmark (half an hour or more)
#   scripts/bench-figures.sh memory startup  # just these
#
# Logs: target/bench-figures/NAME.log. A benchmark that fails to run leaves its old block
# alone and makes the script exit 1 at the end.
set -uo pipefail
cd "$(dirname "$0")/.."

ALL=(parse_apply frame search memory startup live sources conductor journal wire report)
if [ $# -gt 0 ]; then BENCHES=("$@"); else BENCHES=("${ALL[@]}"); fi
DOC=docs/benchmarks.md
LOGS=target/bench-figures
mkdir -p "$LOGS"

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
cores=$(nproc)
commit=$(git rev-parse --short HEAD)
if ! git diff --quiet HEAD -- src benches Cargo.toml Cargo.lock; then
  commit="$commit with uncommitted changes"
fi
rustc=$(rustc --version | cut -d' ' -f1-2)
failed=0

grep -q '^## Figures$' "$DOC" || printf '\n## Figures\n\nWritten by `scripts/bench-figures.sh`: the requirement lines as the benchmarks print them.\n' >> "$DOC"

for b in "${BENCHES[@]}"; do
  if [ ! -f "benches/$b.rs" ]; then
    echo "no benchmark named $b (benches/$b.rs)" >&2
    failed=1
    continue
  fi
  log="$LOGS/$b.log"
  extra=()
  case $b in parse_apply|frame) extra=(-- --warm-up-time 1 --measurement-time 3) ;; esac
  echo "== $b ($(date -u +%T)), log $log" >&2
  if ! cargo bench --locked --bench "$b" "${extra[@]}" > "$log" 2>&1; then
    echo "$b did not run to its end: its figures are left as they were (see $log)" >&2
    failed=1
    continue
  fi
  block="$LOGS/$b.block"
  {
    echo "<!-- figures:$b -->"
    echo "\`$b\`: commit $commit, $(date -u +%F), $cpu, $cores cores, $rustc."
    echo
    if grep -qE '^requirement ' "$log"; then
      grep -E '^requirement ' "$log" | sed 's/^/    /'
    else
      echo "    (no requirement lines: see the log)"
    fi
    echo "<!-- /figures:$b -->"
  } > "$block"
  if grep -q "^<!-- figures:$b -->$" "$DOC"; then
    awk -v name="$b" -v file="$block" '
      $0 == "<!-- figures:" name " -->" { while ((getline l < file) > 0) print l; skip = 1; next }
      $0 == "<!-- /figures:" name " -->" { skip = 0; next }
      !skip { print }
    ' "$DOC" > "$DOC.new" && mv "$DOC.new" "$DOC"
  else
    { echo; cat "$block"; } >> "$DOC"
  fi
done
exit $failed
