#!/usr/bin/env bash
# Renders a prompt file end to end with a silo in this process: scripts/render.sh PROMPTS OUT_DIR [extra render options]
# Results: OUT_DIR/<job>/<video>/{video.mp4, preview.png, metadata.json, chunks/, segments/}.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ $# -lt 2 ]; then
  echo "usage: scripts/render.sh PROMPTS OUT_DIR [histream render options, e.g. --size 832x480 --frames 81]" >&2
  exit 2
fi
prompts="$(realpath "$1")"; out="$(realpath -m "$2")"; shift 2
bash "$ROOT/scripts/setup.sh"
source "$ROOT/scripts/env.sh"
cd "$ROOT"
exec dotnet run --project src/Gateway -c Release -- render --prompts "$prompts" --out "$out" "$@"
