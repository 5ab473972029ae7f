#!/usr/bin/env bash
# Renders every screenshot in this folder from the fixtures, with the project's own
# snapshot command: the picture (.png) and its text (.txt), which tests/screenshots.rs
# compares with what the command renders now. Needs a font with DejaVu Sans Mono (Debian:
# fonts-dejavu-core). Each line below is one screenshot: the test reads them from here.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -n ${WARROOM:-} ]] || cargo build --release --locked --quiet
w=${WARROOM:-target/release/warroom}
shot() {
    local name=$1
    shift
    "$w" snapshot "$@" -o "screenshots/$name.png"
    "$w" snapshot "$@" -o "screenshots/$name.txt"
}
shot batch-patches-wave3-breach fixtures/batch-patches-wave3-rollback.jsonl --at T+101h54m --size 200x60
shot edgeplug-emergency-80x24 fixtures/edgeplug-fleet-rollback-tabletop.jsonl --at T+12m --size 80x24
shot orchestrator-cutover-light fixtures/orchestrator-blue-green-cutover-rollback.jsonl --at T+51m --size 120x40 --theme light
shot sonicator-paused-colorblind fixtures/multi-sonicator-firmware-rollout.jsonl --at T+50h55m --size 120x40 --theme colorblind
shot trackshift-ascii-mono-80x24 fixtures/trackshift-progressive-delivery.jsonl --at T+40h --size 80x24 --theme mono --ascii
