#!/usr/bin/env bash
# Builds the GPU check kit: ONE archive (at most 40 MiB) to carry to a machine that has PyTorch but no .NET:
#   histream-gpu-kit/check/   self-contained linux-x64 publish of tools/HiStream.GpuCheck (with the .NET runtime, no libtorch)
#   histream-gpu-kit/bench/   the same for bench/HiStream.Bench
#   histream-gpu-kit/fixtures/ the PyTorch reference fixtures (config.json, weights.safetensors, io.safetensors)
#   histream-gpu-kit/engine-symbols.txt  libtorch symbols the engine bound in a CPU run (for the symbol check)
#   histream-gpu-kit/gpu-check.sh        the check (see docs/gpu.md)
# Usage: scripts/gpu-kit.sh [OUT_DIR]   (default artifacts/gpu-kit); prints the archive's size.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/env.sh
OUT="$(mkdir -p "${1:-artifacts/gpu-kit}" && cd "${1:-artifacts/gpu-kit}" && pwd)"
LIMIT=$((40 * 1024 * 1024))
STAGE="$OUT/stage/histream-gpu-kit"
rm -rf "$OUT/stage" && mkdir -p "$STAGE"
start=$(date +%s)

# Self-contained, without libtorch (TorchBackend=external), no PDBs, invariant globalization; the framework is
# trimmed (TrimMode=partial: only framework assemblies; the app, the engine and TorchSharp stay whole).
publish() {
  dotnet publish "$1" -c Release -r linux-x64 --self-contained -nologo -clp:ErrorsOnly -o "$2" \
    -p:TorchBackend=external -p:DebugType=none -p:DebugSymbols=false -p:InvariantGlobalization=true \
    -p:SatelliteResourceLanguages=en -p:PublishTrimmed=true -p:TrimMode=partial -p:SuppressTrimAnalysisWarnings=true \
    -p:JsonSerializerIsReflectionEnabledByDefault=true -p:GenerateDocumentationFile=false
}
echo "gpu-kit: publishing the check program and the bench (self-contained, linux-x64, without libtorch)"
publish tools/HiStream.GpuCheck/HiStream.GpuCheck.csproj "$STAGE/check"
publish bench/HiStream.Bench/HiStream.Bench.csproj "$STAGE/bench"
for app in check bench; do
  if ls "$STAGE/$app"/libtorch_cpu.so >/dev/null 2>&1; then echo "gpu-kit: $app bundles libtorch (it must not)" >&2; exit 1; fi
  [ -f "$STAGE/$app/libLibTorchSharp.so" ] || { echo "gpu-kit: $app lacks libLibTorchSharp.so" >&2; exit 1; }
done

mkdir -p "$STAGE/fixtures"
cp tests/fixtures/reference/README.md "$STAGE/fixtures/"
for case in tests/fixtures/reference/*/; do
  name="$(basename "$case")"; mkdir -p "$STAGE/fixtures/$name"
  cp "$case/config.json" "$case/io.safetensors" "$case/weights.safetensors" "$STAGE/fixtures/$name/"
done
cp scripts/gpu-check.sh "$STAGE/gpu-check.sh"
chmod +x "$STAGE/gpu-check.sh"

# The libtorch C++ symbols the engine binds: the parity replay and a small bench run on the CPU under LD_DEBUG=bindings
# against the NuGet cache's libtorch-cpu of the pinned TorchSharp (lazy binding: only what is called is listed).
# `|| true`: a missing libtorch must reach the message below, not end the script under set -e.
NUGET_LIBTORCH="${HISTREAM_LIBTORCH:-$(bash scripts/nuget-libtorch.sh || true)}"
if [ -n "$NUGET_LIBTORCH" ] && [ -f "$NUGET_LIBTORCH/libtorch_cpu.so" ]; then
  echo "gpu-kit: recording the libtorch symbols the engine binds (CPU, $NUGET_LIBTORCH)"
  trace="$OUT/stage/bindings"; mkdir -p "$trace"
  ( export HISTREAM_LIBTORCH="$NUGET_LIBTORCH" LD_DEBUG=bindings LD_DEBUG_OUTPUT="$trace/ld"
    "$STAGE/check/histream-gpucheck" parity --threads 1 --fixtures "$STAGE/fixtures" --dtypes float32,bfloat16 --out "$trace/parity.json" >/dev/null 2>&1
    "$STAGE/check/histream-gpucheck" vae --threads 1 --preset tiny --width 128 --height 64 --dtype float32 --out "$trace/vae.json" >/dev/null 2>&1
    "$STAGE/bench/HiStream.Bench" --preset cpu --frames 6 --repeats 1 --samplers histream >/dev/null 2>&1 ) || true
  cat "$trace"/ld.* | grep -E "binding file [^ ]*libLibTorchSharp\.so" | grep -oE "symbol \`[^']+'" | sed -E "s/symbol \`(.*)'/\1/" | grep '^_Z' | sort -u > "$STAGE/engine-symbols.txt" || true
  echo "gpu-kit: $(wc -l < "$STAGE/engine-symbols.txt") libtorch symbols bound by the engine"
  rm -rf "$trace"
else
  echo "gpu-kit: no libtorch-cpu${NUGET_LIBTORCH:+ at $NUGET_LIBTORCH} (HISTREAM_LIBTORCH or the NuGet cache): engine-symbols.txt is empty (the symbol check then cannot say which gaps the engine uses)"
  : > "$STAGE/engine-symbols.txt"
fi
git -C "$ROOT" rev-parse --short HEAD > "$STAGE/COMMIT" 2>/dev/null || echo unknown > "$STAGE/COMMIT"

ARCHIVE="$OUT/histream-gpu-kit.tar.xz"
rm -f "$ARCHIVE"
tar -C "$OUT/stage" -cf - histream-gpu-kit | xz -9e -T0 > "$ARCHIVE"
size=$(stat -c %s "$ARCHIVE")
unpacked=$(du -sb "$STAGE" | cut -f1)
rm -rf "$OUT/stage"
awk -v a="$ARCHIVE" -v s="$size" -v u="$unpacked" -v t=$(( $(date +%s) - start )) \
  'BEGIN { printf "gpu-kit: %s: %.1f MiB (%d bytes; %.1f MiB unpacked; limit 40 MiB) in %d s\n", a, s / 1048576, s, u / 1048576, t }'
if [ "$size" -gt "$LIMIT" ]; then echo "gpu-kit: the archive is over 40 MiB" >&2; exit 1; fi
