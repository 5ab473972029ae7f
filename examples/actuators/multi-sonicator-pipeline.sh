#!/bin/sh
# The exec actuator of examples/plans/multi-sonicator-firmware.toml: drives the automated
# firmware deployment pipeline of the Multi-Sonicator I/O Controllers, batch by batch.
#
# AS SHIPPED IT CHANGES NOTHING: it prints the pipeline calls a real team would make and exits
# 0, so the plan can be rehearsed without flashing a controller. `fwdeploy` below stands for
# your pipeline's command-line client (or an API call that starts the pipeline's job);
# replace each `would` line with the real call. Keep `set -eu`: a command that fails then fails
# the verb, and warroom shows the tail of this script's standard error as the reason.
#
#     multi-sonicator-pipeline.sh advance|pause|resume|rollback   (warroom runs it; never through a shell)
#
# warroom passes the context in the environment: WARROOM_VERB, WARROOM_ROLLOUT, WARROOM_WAVE and
# WARROOM_WAVE_NAME (for advance: the batch it moves to), WARROOM_TRAFFIC and
# WARROOM_PREVIOUS_TRAFFIC (controllers on fw-1.4.0 after and before), WARROOM_COMPLETE (1
# when the advance completes the rollout, else 0), WARROOM_ACTOR, WARROOM_REASON and
# WARROOM_COMMAND_ID (the idempotency key: pass it on, so a retried command is applied once).
set -eu

usage="usage: multi-sonicator-pipeline.sh advance|pause|resume|rollback"
if [ "$#" -ne 1 ]; then
    printf '%s\n' "$usage" >&2
    exit 2
fi
verb="$1"
batch="${WARROOM_WAVE:-}"
request="${WARROOM_COMMAND_ID:-manual}"

# Prints a command, quoting the arguments that need it, instead of running it.
would() {
    printf 'would run:'
    for arg in "$@"; do
        case "$arg" in
        '' | *[!A-Za-z0-9._/:=@%+,-]*) printf " '%s'" "$arg" ;;
        *) printf ' %s' "$arg" ;;
        esac
    done
    printf '\n'
}

case "$verb" in
advance)
    if [ "${WARROOM_COMPLETE:-0}" = 1 ]; then
        # Advancing out of the last batch completes the rollout (WARROOM_COMPLETE=1: warroom
        # names that batch and the traffic stays where it is): nothing is left to flash.
        echo "rollout complete: the whole fleet is on fw-1.4.0; nothing to flash"
    else
        # The pipeline flashes the batch's controllers: signed build, HIL regression as its
        # quality gate, A/B bank write, bank swap at an idle cycle (no sonication downtime).
        would fwdeploy start --firmware fw-1.4.0 --batch "$batch" \
            --target-count "${WARROOM_TRAFFIC:-}" --swap-at idle --request-id "$request"
    fi
    ;;
pause)
    # Flash no further controllers; the ones already swapped stay on fw-1.4.0. Reverting single
    # controllers (the fixture's Line 3 units) is done in the pipeline by the DevOps Lead.
    would fwdeploy hold --rollout "${WARROOM_ROLLOUT:-}" --reason "${WARROOM_REASON:-}" --request-id "$request"
    ;;
resume)
    would fwdeploy continue --rollout "${WARROOM_ROLLOUT:-}" --request-id "$request"
    ;;
rollback)
    # Every controller on fw-1.4.0 swaps back to the fw-1.3.2 bank at its next idle cycle.
    would fwdeploy revert --rollout "${WARROOM_ROLLOUT:-}" --to fw-1.3.2 --swap-at idle \
        --wait --reason "${WARROOM_REASON:-}" --request-id "$request"
    ;;
*)
    printf '%s\n' "$usage" >&2
    exit 2
    ;;
esac
printf '%s %s: %s controllers on fw-1.4.0 (was %s); nothing was changed (example actuator)\n' \
    "$verb" "${batch:-?}" "${WARROOM_TRAFFIC:-?}" "${WARROOM_PREVIOUS_TRAFFIC:-?}"
