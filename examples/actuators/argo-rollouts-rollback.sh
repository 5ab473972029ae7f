#!/bin/sh
# The rollback of examples/plans/trackshift-argo.toml: rolls an Argo Rollout back to its stable
# version with the Argo Rollouts kubectl plugin.
#
#     argo-rollouts-rollback.sh NAME NAMESPACE     (warroom runs it; never through a shell)
#
# This one is real: it runs kubectl with the caller's kubeconfig and changes the cluster.
#
# Two steps, because `abort` alone is not a rollback: it sends traffic back to the stable
# ReplicaSet, but spec.template still names the new version, and the Rollout goes to the new
# version again as soon as it leaves the aborted state. `undo` then puts the previous
# revision's pod template back into spec.template. (It prints "skipped rollback (current
# template already matches revision 0)" when there is nothing to undo, and exits 0.)
#
# With GitOps (Flux or Argo CD syncing the Rollout from git), revert the image change in git as
# well: otherwise the next sync (or self-heal) puts the new template back and starts the canary
# again.
#
# Exits non-zero as soon as either command fails (set -e); warroom then reports the rollback as
# failed with the plugin's "Error: ..." line as the reason.
set -eu

if [ "$#" -ne 2 ]; then
    echo "usage: argo-rollouts-rollback.sh NAME NAMESPACE" >&2
    exit 2
fi
name="$1"
namespace="$2"

kubectl argo rollouts abort "$name" -n "$namespace"
kubectl argo rollouts undo "$name" -n "$namespace"
