#!/usr/bin/env bash
# Renders every screenshot in this folder from the fixtures, with the project's own
# snapshot command. Needs a font with DejaVu Sans Mono (Debian: fonts-dejavu-core).
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -n ${WARROOM:-} ]] || cargo build --release --locked --quiet
w=${WARROOM:-target/release/warroom}
$w snapshot fixtures/batch-patches-wave3-rollback.jsonl --at T+101h54m --size 120x40 -o screenshots/batch-patches-wave3-breach.png
$w snapshot fixtures/edgeplug-fleet-rollback-tabletop.jsonl --at T+12m --size 80x24 -o screenshots/edgeplug-emergency-80x24.png
$w snapshot fixtures/orchestrator-blue-green-cutover-rollback.jsonl --at T+51m --size 120x40 --theme light -o screenshots/orchestrator-cutover-light.png
$w snapshot fixtures/multi-sonicator-firmware-rollout.jsonl --at T+50h55m --size 120x40 --theme colorblind -o screenshots/sonicator-paused-colorblind.png
$w snapshot fixtures/trackshift-progressive-delivery.jsonl --at T+40h --size 80x24 --theme mono --ascii -o screenshots/trackshift-ascii-mono-80x24.png
