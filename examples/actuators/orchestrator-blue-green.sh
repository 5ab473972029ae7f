#!/bin/sh
# The exec actuator of examples/plans/orchestrator-blue-green.toml: carries out each phase of
# the AI Agent Orchestrator's blue-green deployment runbook, and the traffic rollback to Green.
#
# AS SHIPPED IT CHANGES NOTHING: it prints the runbook's commands for the phase and exits 0,
# so the plan can be walked through (a rehearsal) without deploying or moving a weight.
# Replace each `would` line with the real call; the runbook's own scripts
# (scripts/pre-deployment-check.sh, scripts/deploy.sh, ...) are named as it names them. Keep
# `set -eu`: a command that fails then fails the verb, and warroom shows the tail of this
# script's standard error as the reason. Long steps (deploying Blue, the migration) should be
# started here and watched through the phase's gates, not waited for: warroom gives a
# command at most the plan's actuator timeout.
#
#     orchestrator-blue-green.sh advance|rollback     (warroom runs it; never through a shell)
#
# warroom passes the context in the environment: WARROOM_VERB, WARROOM_ROLLOUT, WARROOM_WAVE and
# WARROOM_WAVE_NAME (for advance: the phase it moves to), WARROOM_TRAFFIC and
# WARROOM_PREVIOUS_TRAFFIC (Blue's share after and before), WARROOM_COMPLETE (1 when the
# advance completes the deployment, else 0), WARROOM_ACTOR, WARROOM_REASON and
# WARROOM_COMMAND_ID.
#
# The load balancer: an AWS ALB listener rule forwarding to two target groups. The ARNs come
# from the environment the conductor runs in (placeholders when unset, as in this rehearsal).
set -eu

usage="usage: orchestrator-blue-green.sh advance|rollback"
if [ "$#" -ne 1 ]; then
    printf '%s\n' "$usage" >&2
    exit 2
fi
verb="$1"
phase="${WARROOM_WAVE:-}"
rule="${ORCHESTRATOR_RULE_ARN:-arn:aws:elasticloadbalancing:...:listener-rule/prod}"
green="${ORCHESTRATOR_GREEN_TG_ARN:-arn:aws:elasticloadbalancing:...:targetgroup/green-prod}"
blue="${ORCHESTRATOR_BLUE_TG_ARN:-arn:aws:elasticloadbalancing:...:targetgroup/blue-prod}"

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

# Load balancer weights: Green's and Blue's.
weights() {
    would aws elbv2 modify-rule --rule-arn "$rule" --actions \
        "[{\"Type\":\"forward\",\"ForwardConfig\":{\"TargetGroups\":[{\"TargetGroupArn\":\"$green\",\"Weight\":$1},{\"TargetGroupArn\":\"$blue\",\"Weight\":$2}]}}]"
    would aws elbv2 describe-rules --rule-arns "$rule"
}

case "$verb" in
advance)
    case "$phase" in
    phase-0)
        echo "Phase 0: pre-deployment gate; nothing to deploy yet (checklist A-D, go/no-go meeting)"
        ;;
    phase-1)
        would scripts/pre-deployment-check.sh
        ;;
    phase-2)
        would scripts/deploy.sh --environment=blue
        would npm run test:smoke -- --environment=blue
        ;;
    phase-3)
        would curl -fsS -X POST http://blue-app-1:3000/admin/readonly -H 'Authorization: Bearer $ADMIN_TOKEN'
        would pg_dump -h blue-db-1.prod.internal -U postgres -Fc -f /backups/pre_2.1.0_backup.dump production
        would npm run migrate:up
        would scripts/post-deployment-verify.sh --db-validation
        would curl -fsS -X POST http://blue-app-1:3000/admin/readonly -H 'Authorization: Bearer $ADMIN_TOKEN' -d '{"readonly": false}'
        ;;
    phase-4)
        would scripts/health-check-dashboard.sh blue
        ;;
    cutover-50)
        weights 50 50
        ;;
    cutover-100)
        weights 0 100
        ;;
    phase-6)
        # warroom advances into Phase 6 and, at the end, out of it to complete the deployment;
        # both name phase-6 with Blue at 100 % before and after. Only the second has
        # WARROOM_COMPLETE=1: nothing moves then, Green stays up as the rollback target.
        if [ "${WARROOM_COMPLETE:-0}" = 1 ]; then
            echo "deployment complete: Blue keeps 100% of traffic; Green stays up for the rollback window"
        else
            would scripts/post-deployment-verify.sh --immediate
        fi
        ;;
    *)
        printf 'advance: no phase %s in this runbook\n' "${phase:-(none)}" >&2
        exit 1
        ;;
    esac
    ;;
rollback)
    # Traffic rollback (Blue → Green, 1-2 minutes): Green is still up with v2.0.5.
    weights 100 0
    would curl -fsS http://green-alb/health
    # "Database: Blue → Green (if needed)": restoring the pre-migration backup is the DBA's
    # decision, never this script's.
    echo "database rollback, if needed, is the DBA's: pg_restore -d production /backups/pre_2.1.0_backup.dump"
    ;;
*)
    printf '%s\n' "$usage" >&2
    exit 2
    ;;
esac
printf '%s %s: Blue at %s%% of traffic (was %s%%); nothing was changed (example actuator)\n' \
    "$verb" "${phase:-?}" "${WARROOM_TRAFFIC:-?}" "${WARROOM_PREVIOUS_TRAFFIC:-?}"
