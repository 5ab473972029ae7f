#!/bin/sh
# The advance of examples/plans/trackshift-argo.toml: moves an Argo Rollout on to its next
# canary step with the Argo Rollouts kubectl plugin.
#
#     argo-rollouts-advance.sh NAME NAMESPACE      (warroom runs it; never through a shell)
#
# This one is real: it runs kubectl with the caller's kubeconfig and changes the cluster.
#
# Every advance but the last is `promote`: it clears the canary pause the wave bakes at, and
# the Rollout goes on to its next setWeight. Advancing out of the last wave completes the
# rollout in warroom (WARROOM_COMPLETE=1; the wave and the traffic stay where they are), and
# that is `promote --full`: with the Rollout the plan expects, the promote out of p50's pause
# already took it to 100 % and completed it, so this changes nothing; a Rollout that still has
# steps, pauses or analysis left finishes them now, at the 100 % the consoles already show.
#
# Exits with kubectl's status: when the plugin fails, warroom reports the advance as failed
# with the plugin's "Error: ..." line as the reason.
set -eu

if [ "$#" -ne 2 ]; then
    echo "usage: argo-rollouts-advance.sh NAME NAMESPACE" >&2
    exit 2
fi
name="$1"
namespace="$2"

if [ "${WARROOM_COMPLETE:-0}" = 1 ]; then
    exec kubectl argo rollouts promote "$name" -n "$namespace" --full
fi
exec kubectl argo rollouts promote "$name" -n "$namespace"
