#!/bin/sh
# The observe command of examples/plans/exec-demo.toml: reads record.sh's log back after a
# restart of `warroom serve` that came between asking the actuator and hearing its answer.
# Exit 0: the log's last line is this command's ("VERB WAVE TRAFFIC"), so it was carried out;
# 1: it is not; 2: there is no log to read (record.sh wrote to standard output), so it cannot
# tell and the conductor pauses for a person.
set -eu
log="${WARROOM_ACTUATOR_LOG:-}"
if [ -z "$log" ]; then
    echo "no WARROOM_ACTUATOR_LOG to read back" >&2
    exit 2
fi
want="${WARROOM_VERB:?} ${WARROOM_WAVE:-none} ${WARROOM_TRAFFIC:-0}"
if [ "${WARROOM_COMPLETE:-0}" = 1 ]; then
    want="$want complete"
fi
last="$(tail -n 1 "$log" 2>/dev/null || true)"
if [ "$last" = "$want" ]; then
    echo "the log ends with: $want"
    exit 0
fi
exit 1
