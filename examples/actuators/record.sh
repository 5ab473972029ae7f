#!/bin/sh
# An exec actuator that moves no traffic: it appends one line "VERB WAVE TRAFFIC" per call to
# the file named by WARROOM_ACTUATOR_LOG (standard output when unset) and exits 0. The advance
# that completes the rollout (WARROOM_COMPLETE=1) is "advance WAVE TRAFFIC complete".
#
#     WARROOM_ACTUATOR_LOG=/tmp/actuator.log warroom serve --plan examples/plans/exec-demo.toml
#
# warroom passes the command's context in the environment: WARROOM_VERB, WARROOM_ROLLOUT,
# WARROOM_WAVE, WARROOM_WAVE_NAME, WARROOM_TRAFFIC, WARROOM_PREVIOUS_TRAFFIC, WARROOM_COMPLETE,
# WARROOM_ACTOR, WARROOM_REASON and WARROOM_COMMAND_ID.
set -eu
line="${WARROOM_VERB:?} ${WARROOM_WAVE:-none} ${WARROOM_TRAFFIC:-0}"
if [ "${WARROOM_COMPLETE:-0}" = 1 ]; then
    line="$line complete"
fi
if [ -n "${WARROOM_ACTUATOR_LOG:-}" ]; then
    printf '%s\n' "$line" >> "$WARROOM_ACTUATOR_LOG"
else
    printf '%s\n' "$line"
fi
echo "recorded: $line"
