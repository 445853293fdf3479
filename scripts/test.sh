#!/usr/bin/env bash
# Sets up what is missing, builds, and runs every test project. Then the engine's parity tests again on an existing
# libtorch (a -p:TorchBackend=external build bound to the NuGet cache's libtorch-cpu), and the CPU rehearsal of the
# GPU check kit (scripts/gpu-kit.sh + gpu-check.sh --cpu-rehearsal). Prints one 'N passed, N failed' line at the end.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh || exit 1
source scripts/env.sh
export HISTREAM_AZURITE="$ROOT/tools/azurite/node_modules/.bin/azurite-blob"

dotnet build HiStream.Farm.sln -c Release -nologo -clp:ErrorsOnly || exit 1

# libtorch's oneDNN picks different kernels per CPU (and had wrong ones, docs/vae-and-video.md): every parity case, the
# held-out VAE widths and the convolution sweep run again with oneDNN capped at AVX2 and at SSE4.1, set in the process
# environment so libtorch's getenv sees it. The plain run covers this CPU's own kernels.
NUMERICS_FILTER="FullyQualifiedName~Parity|FullyQualifiedName~HeldOutVae|FullyQualifiedName~PointwiseCausalConv|FullyQualifiedName~ConvolutionSweep|FullyQualifiedName~ConvolutionCheck"

passed=0; failed=0; skipped=0; rc=0
# run_tests PROJECT [dotnet test arguments...]: runs one test project and adds its counts.
run_tests() {
  local proj="$1"; shift
  local log; log="$(mktemp)"
  dotnet test "$proj" -c Release --no-build -nologo --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log" | grep -E "^\s+(Failed|Skipped) |^Test Run|^Total tests|error" || true
  local test_rc=${PIPESTATUS[0]}
  # Print each failed test with its message and stack so a CI log explains itself.
  awk '/^  Failed /{show=1} /^  (Passed|Skipped) /{show=0} show' "$log" | head -400
  local total; total="$(grep -E "^Total tests:" "$log" | tail -1 | grep -oE "[0-9]+")"
  if [ -z "$total" ] || [ "$total" = 0 ]; then echo "test.sh: $proj ran no tests or crashed (exit $test_rc)"; rc=1; failed=$((failed+1)); rm -f "$log"; return; fi
  local p f s
  p=$(grep -E "^ +Passed: +[0-9]+" "$log" | tail -1 | grep -oE "[0-9]+" || echo 0)
  f=$(grep -E "^ +Failed: +[0-9]+" "$log" | tail -1 | grep -oE "[0-9]+" || echo 0)
  s=$(grep -E "^ +Skipped: +[0-9]+" "$log" | tail -1 | grep -oE "[0-9]+" || echo 0)
  passed=$((passed+p)); failed=$((failed+f)); skipped=$((skipped+s))
  [ "$test_rc" -ne 0 ] && rc=1
  rm -f "$log"
}
# fail_step MESSAGE: a step outside dotnet test failed; it counts as one failed test.
fail_step() { echo "test.sh: $1"; failed=$((failed+1)); rc=1; }

# Test projects are named *.Tests; tests/HiStream.Testing is a helper library with no tests of its own.
for proj in tests/*.Tests/*.csproj; do run_tests "$proj" "$@"; done
for isa in AVX2 SSE41; do
  echo "== tests/HiStream.Engine.Tests: parity and numerics with ONEDNN_MAX_CPU_ISA=$isa"
  ONEDNN_MAX_CPU_ISA="$isa" run_tests tests/HiStream.Engine.Tests/HiStream.Engine.Tests.csproj --filter "$NUMERICS_FILTER" "$@"
done

# The engine on an existing libtorch (docs/gpu.md): the parity tests from a build without bundled libtorch, bound at
# start to the NuGet cache's libtorch-cpu through HISTREAM_LIBTORCH.
CPU_LIBTORCH="$(bash scripts/nuget-libtorch.sh || true)"
PARITY="FullyQualifiedName~ExternalLibTorchTests|FullyQualifiedName~WanDiTParityTests|FullyQualifiedName~CausalWanParityTests|FullyQualifiedName~FlowSchedulerParityTests|FullyQualifiedName~WanVaeDecoderParityTests|FullyQualifiedName~UmT5ReferenceParityTests|FullyQualifiedName~SelfForcingSamplerTests.SamplerWithFixtureNoise"
echo "test.sh: parity tests on an external libtorch ($CPU_LIBTORCH)"
if [ -z "$CPU_LIBTORCH" ]; then fail_step "no libtorch-cpu-linux-x64 of the pinned TorchSharp-cpu in the NuGet cache"
elif dotnet build tests/HiStream.Engine.Tests/HiStream.Engine.Tests.csproj -c Release -p:TorchBackend=external -nologo -clp:ErrorsOnly; then
  HISTREAM_LIBTORCH="$CPU_LIBTORCH" run_tests tests/HiStream.Engine.Tests/HiStream.Engine.Tests.csproj -p:TorchBackend=external --filter "$PARITY"
else fail_step "the TorchBackend=external build failed"; fi

# The GPU check kit, rehearsed on this CPU: build the archive, run its check against the CPU libtorch (steps 2-5
# shrunk), and test the results file.
echo "test.sh: GPU check kit, CPU rehearsal"
KIT_OUT="$ROOT/artifacts/gpu-kit"
if bash scripts/gpu-kit.sh "$KIT_OUT"; then
  rm -rf "$KIT_OUT/rehearsal"
  bash scripts/gpu-check.sh "$KIT_OUT/rehearsal" --kit "$KIT_OUT/histream-gpu-kit.tar.xz" --libtorch "$CPU_LIBTORCH" --cpu-rehearsal \
    || fail_step "gpu-check.sh failed"
  HISTREAM_GPU_CHECK_RESULTS="$KIT_OUT/rehearsal" run_tests tests/HiStream.Engine.Tests/HiStream.Engine.Tests.csproj --filter "FullyQualifiedName~GpuCheckRehearsalTests"
else fail_step "scripts/gpu-kit.sh failed"; fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -gt 0 ] && rc=1
exit $rc
