#!/bin/sh
# The exec actuator of examples/plans/edgeplug-batches.toml: moves the EdgePlug fleet from one
# batch of substations to the next, holds it, or switches it back to the previous agent slot.
#
# AS SHIPPED IT CHANGES NOTHING: it prints the fleet commands a real team would run and exits
# 0, so the plan can be rehearsed (the playbook's table-top exercise) without touching a
# substation. `fleetctl` below stands for your fleet-management tool; replace each `would`
# line with the real call. Keep `set -eu`: a command that fails then fails the verb, and warroom
# shows the tail of this script's standard error as the reason.
#
#     edgeplug-fleet.sh advance|pause|resume|rollback     (warroom runs it; never through a shell)
#
# warroom passes the context in the environment: WARROOM_VERB, WARROOM_ROLLOUT, WARROOM_WAVE and
# WARROOM_WAVE_NAME (for advance: the batch it moves to), WARROOM_TRAFFIC and
# WARROOM_PREVIOUS_TRAFFIC (substations on the new agent after and before), WARROOM_COMPLETE
# (1 when the advance completes the rollout, else 0), WARROOM_ACTOR, WARROOM_REASON and
# WARROOM_COMMAND_ID (the idempotency key: pass it on, so a retried command is applied once).
set -eu

usage="usage: edgeplug-fleet.sh advance|pause|resume|rollback"
if [ "$#" -ne 1 ]; then
    printf '%s\n' "$usage" >&2
    exit 2
fi
verb="$1"
wave="${WARROOM_WAVE:-}"
to="${WARROOM_TRAFFIC:-}"
from="${WARROOM_PREVIOUS_TRAFFIC:-}"
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
        # names that batch and the traffic stays where it is): nothing is left to move.
        echo "rollout complete: every substation is on the new agent; nothing to move"
    elif [ "$wave" = "staging" ]; then
        # Staging: the staging rig only; no substation is touched.
        would fleetctl deploy --environment staging --package edgeplug-agent-new --request-id "$request"
    else
        # The Hot-Swap SOP per substation, each in its booked maintenance window: upload the
        # package, validate its signature and manifest, deploy to the inactive slot, switch
        # slots, verify initialisation and safety invariants. The tool schedules them; this
        # command returns once the batch is scheduled.
        would fleetctl hot-swap --batch "$wave" --target-count "$to" \
            --package edgeplug-agent-new --slot inactive --verify-signature \
            --request-id "$request"
    fi
    ;;
pause)
    # Start no further hot-swaps; swaps in progress finish their SOP steps.
    would fleetctl hold --rollout "${WARROOM_ROLLOUT:-}" --reason "${WARROOM_REASON:-}" --request-id "$request"
    ;;
resume)
    would fleetctl release --rollout "${WARROOM_ROLLOUT:-}" --request-id "$request"
    ;;
rollback)
    # Emergency rollback: every substation on the new agent switches back to its previous
    # agent slot (dual-bank), and the tool confirms each switch before this returns.
    would fleetctl rollback --rollout "${WARROOM_ROLLOUT:-}" --to previous-slot --all-affected \
        --wait --reason "${WARROOM_REASON:-}" --request-id "$request"
    ;;
*)
    printf '%s\n' "$usage" >&2
    exit 2
    ;;
esac
printf '%s %s: %s substations on the new agent (was %s); nothing was changed (example actuator)\n' \
    "$verb" "${wave:-?}" "${to:-?}" "${from:-?}"
