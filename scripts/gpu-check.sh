#!/usr/bin/env bash
# The GPU check: runs HiStream's engine from the kit (scripts/gpu-kit.sh) on a machine that has PyTorch, and writes
# RESULTS/results.json (every step, with the markdown report inside) and RESULTS/results.md. See docs/gpu.md.
#
#   tar xJf histream-gpu-kit.tar.xz && histream-gpu-kit/gpu-check.sh RESULTS [options]
#   scripts/gpu-check.sh RESULTS --kit histream-gpu-kit.tar.xz [options]      (extracts the archive first)
#
# Options:
#   --libtorch DIR        libtorch to use (default: HISTREAM_LIBTORCH, else python3's torch/lib)
#   --torchsharp-src DIR  TorchSharp v0.107.0 sources (git clone --depth 1 --branch v0.107.0 https://github.com/dotnet/TorchSharp):
#                         when the symbol check finds gaps, its src/Native/LibTorchSharp is compiled against this libtorch
#   --cpu-rehearsal       shrink steps 2-5 even if CUDA is present (CI runs this on the CPU libtorch)
#   --budget SECONDS      stop starting steps when less than a step's minimum is left (default 570: one 10-minute command)
#
# Steps, each timed, each failure recorded without stopping the steps that do not depend on it:
#   1 symbols   undefined C++ symbols of libLibTorchSharp.so that this libtorch does not export (nm -D), demangled,
#               with the engine's use of each      1b binding-build: only when 1 finds gaps and --torchsharp-src is given
#   2 smoke     device, bf16 matmul TFLOP/s, scaled_dot_product_attention (+ the backend PyTorch's profiler sees)
#   3 parity    every fixture case on the device in float32 and bfloat16
#   4 bench     HiStream benchmark, 1920x1088, Wan 1.3B dims, random weights, bf16, 21 latent frames, per sampler
#   5 vae       VAE decode of 1080p chunks: time and peak device memory
set -uo pipefail

RESULTS=""; KIT_ARCHIVE=""; LIBTORCH="${HISTREAM_LIBTORCH:-}"; TS_SRC=""; REHEARSAL=0; BUDGET=570
while [ $# -gt 0 ]; do
  case "$1" in
    --kit) KIT_ARCHIVE="$2"; shift 2 ;;
    --libtorch) LIBTORCH="$2"; shift 2 ;;
    --torchsharp-src) TS_SRC="$2"; shift 2 ;;
    --cpu-rehearsal) REHEARSAL=1; shift ;;
    --budget) BUDGET="$2"; shift 2 ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    -*) echo "gpu-check: unknown option $1" >&2; exit 2 ;;
    *) RESULTS="$1"; shift ;;
  esac
done
[ -n "$RESULTS" ] || { echo "usage: gpu-check.sh RESULTS_DIR [--kit ARCHIVE] [--libtorch DIR] [--torchsharp-src DIR] [--cpu-rehearsal]" >&2; exit 2; }
mkdir -p "$RESULTS" && RESULTS="$(cd "$RESULTS" && pwd)"
# The old results are deleted below (*.json, *.log): only in a folder this script made (its steps.tsv) or an empty one.
if [ ! -f "$RESULTS/steps.tsv" ] && [ -n "$(ls -A "$RESULTS")" ]; then
  echo "gpu-check: $RESULTS is not empty and holds no earlier results (steps.tsv): give a new or empty folder" >&2; exit 2
fi
rm -f "$RESULTS"/*.json "$RESULTS"/*.log "$RESULTS"/results.md
: > "$RESULTS/steps.tsv"
START=$(date +%s)

if [ -n "$KIT_ARCHIVE" ]; then
  tar -xJf "$KIT_ARCHIVE" -C "$RESULTS" || { echo "gpu-check: cannot extract $KIT_ARCHIVE" >&2; exit 1; }
  KIT="$RESULTS/histream-gpu-kit"
else
  KIT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
fi
CHECK="$KIT/check/histream-gpucheck"; BENCH="$KIT/bench/HiStream.Bench"
[ -x "$CHECK" ] && [ -x "$BENCH" ] || { echo "gpu-check: $KIT is not an unpacked kit (no check/histream-gpucheck); pass --kit ARCHIVE" >&2; exit 1; }

if [ -z "$LIBTORCH" ]; then
  TORCH_DIR="$(python3 -c 'import torch, os; print(os.path.dirname(torch.__file__))' 2>/dev/null | tail -1)"
  [ -n "$TORCH_DIR" ] && LIBTORCH="$TORCH_DIR/lib"
fi
[ -n "$LIBTORCH" ] && [ -f "$LIBTORCH/libtorch_cpu.so" ] || { echo "gpu-check: no libtorch: pass --libtorch DIR, set HISTREAM_LIBTORCH, or install PyTorch for python3" >&2; exit 1; }
export HISTREAM_LIBTORCH="$LIBTORCH" DOTNET_gcServer=0
echo "gpu-check: kit $KIT ($(cat "$KIT/COMMIT" 2>/dev/null)), libtorch $LIBTORCH, results $RESULTS"

# One line per step in steps.tsv: name, title, exit code, seconds, note. A step is skipped when the time budget
# cannot fit its minimum; its timeout is the smaller of its own and what is left.
run_step() {  # name title min_seconds timeout_seconds command...
  local name="$1" title="$2" min="$3" limit="$4"; shift 4
  local left=$(( BUDGET - ($(date +%s) - START) ))
  if [ "$left" -lt "$min" ]; then
    printf '%s\t%s\t0\t0\tskipped (time budget: %d s left, needs %d s)\n' "$name" "$title" "$left" "$min" >> "$RESULTS/steps.tsv"
    echo "gpu-check: $title skipped (time budget)"; return 0
  fi
  [ "$limit" -gt "$left" ] && limit="$left"
  echo "gpu-check: $title (limit ${limit} s)"
  local t0; t0=$(date +%s.%N)
  timeout --kill-after=10 "$limit" "$@" > "$RESULTS/$name.log" 2>&1
  local rc=$?
  local secs; secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  printf '%s\t%s\t%d\t%s\t%s\n' "$name" "$title" "$rc" "$secs" "${STEP_NOTE:-}" >> "$RESULTS/steps.tsv"
  tail -n 3 "$RESULTS/$name.log" | sed 's/^/    /'
  STEP_NOTE=""
  return $rc
}
skip_step() {  # name title reason
  printf '%s\t%s\t0\t0\tskipped (%s)\n' "$1" "$2" "$3" >> "$RESULTS/steps.tsv"; echo "gpu-check: $2 skipped ($3)"
}

# 1. Symbol check (loads nothing).
run_step symbols "1. symbol check" 20 180 "$CHECK" symbols --binding "$KIT/check/libLibTorchSharp.so" --libtorch "$LIBTORCH" \
  --engine-symbols "$KIT/engine-symbols.txt" --out "$RESULTS/symbols.json"
GAPS=0; grep -q '"status": "gaps"' "$RESULTS/symbols.json" 2>/dev/null && GAPS=1

# 1b. Fallback: compile TorchSharp's native binding against this libtorch, then use it for every later step.
if [ "$GAPS" = 1 ]; then
  if [ -n "$TS_SRC" ]; then
    NATIVE="$TS_SRC/src/Native"; [ -d "$NATIVE" ] || NATIVE="$TS_SRC"
    build_binding() {
      set -e
      local work="$RESULTS/binding-build"; rm -rf "$work"; mkdir -p "$work"; cp -r "$NATIVE" "$work/Native"
      local abi; abi=$(python3 -c 'import torch; print(int(torch._C._GLIBCXX_USE_CXX11_ABI))')
      # Warnings from newer libtorch headers must not stop the build; the ABI must be the wheel's.
      sed -i -e 's/add_definitions(-Werror)//' -e "s/-D_GLIBCXX_USE_CXX11_ABI=[01]/-D_GLIBCXX_USE_CXX11_ABI=$abi/" "$work/Native/CMakeLists.txt"
      local gen=""; command -v ninja >/dev/null && gen="-G Ninja"
      cmake -S "$work/Native" -B "$work/obj" $gen -DCMAKE_BUILD_TYPE=Release \
        -DLIBTORCH_PATH="$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')" -DCMAKE_INSTALL_PREFIX="$work/install"
      cmake --build "$work/obj" --target LibTorchSharp -j "$(nproc)"
      local built; built=$(find "$work/obj" -name 'libLibTorchSharp.so' | head -1)
      [ -n "$built" ] || { echo "no libLibTorchSharp.so was built"; exit 1; }
      cp "$KIT/check/libLibTorchSharp.so" "$RESULTS/libLibTorchSharp.0.107-nuget.so"
      cp "$built" "$KIT/check/libLibTorchSharp.so"; cp "$built" "$KIT/bench/libLibTorchSharp.so"
      echo "built $built with CXX11 ABI $abi and put it into the kit"
    }
    if run_step binding-build "1b. compile TorchSharp's native binding against this libtorch" 60 420 bash -c "$(declare -f build_binding); NATIVE='$NATIVE' RESULTS='$RESULTS' KIT='$KIT' build_binding"; then
      run_step symbols-rebuilt "1c. symbol check of the rebuilt binding" 20 180 "$CHECK" symbols --binding "$KIT/check/libLibTorchSharp.so" --libtorch "$LIBTORCH" \
        --engine-symbols "$KIT/engine-symbols.txt" --out "$RESULTS/symbols-rebuilt.json"
    fi
  else
    skip_step binding-build "1b. compile TorchSharp's native binding against this libtorch" "gaps found but no --torchsharp-src given; docs/gpu.md says how to get the v0.107.0 sources"
  fi
else
  skip_step binding-build "1b. compile TorchSharp's native binding against this libtorch" "not needed: no missing symbols"
fi

# Is there a device? The check program answers through the binding (this also proves that it loads).
run_step info "load: TorchSharp on this libtorch" 15 120 "$CHECK" info --out "$RESULTS/info.json"
CUDA=0; grep -q '"cuda_available": true' "$RESULTS/info.json" 2>/dev/null && CUDA=1
SHRINK=0; REASON=""
if [ "$REHEARSAL" = 1 ]; then SHRINK=1; REASON="CPU rehearsal (--cpu-rehearsal)"; elif [ "$CUDA" = 0 ]; then SHRINK=1; REASON="no CUDA device seen by this libtorch"; fi
THREADS=()
if [ "$SHRINK" = 1 ]; then echo "gpu-check: steps 2-5 shrunk: $REASON"; THREADS=(--threads 1); fi

# 2. CUDA smoke (+ the SDPA backend as PyTorch's profiler names it, same libtorch).
STEP_NOTE="${REASON:+shrunk: $REASON}"
run_step smoke "2. CUDA smoke" 15 120 "$CHECK" smoke "${THREADS[@]}" --out "$RESULTS/smoke.json"
if [ "$SHRINK" = 0 ] && command -v python3 >/dev/null; then
  run_step sdpa-backend "2b. SDPA backend (PyTorch profiler, same libtorch)" 15 90 python3 - "$RESULTS/sdpa-backend.json" <<'PY'
import json, sys, torch
from torch.profiler import profile, ProfilerActivity
q, k, v = (torch.randn(1, 12, 8192, 128, device="cuda", dtype=torch.bfloat16) for _ in range(3))
torch.nn.functional.scaled_dot_product_attention(q, k, v); torch.cuda.synchronize()
with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as p:
    torch.nn.functional.scaled_dot_product_attention(q, k, v); torch.cuda.synchronize()
ops = sorted({e.key for e in p.key_averages() if "scaled_dot_product" in e.key or "attention" in e.key.lower() or "fmha" in e.key.lower() or "flash" in e.key.lower()})
backend = next((b for b, m in [("flash", "_flash_attention"), ("cuDNN", "_cudnn_attention"), ("memory-efficient", "_efficient_attention"), ("math", "_scaled_dot_product_attention_math")] if any(m in o for o in ops)), "unknown")
out = {"step": "sdpa-backend", "status": "pass", "summary": f"SDPA bf16 [1,12,8192,128] on {torch.cuda.get_device_name()}: {backend} (torch {torch.__version__})",
       "notes": [], "header": ["profiled op or kernel"], "rows": [[o[:150]] for o in ops], "details": {"backend": backend, "ops": ops}}
json.dump(out, open(sys.argv[1], "w"), indent=2); print(out["summary"])
PY
fi

# 3. Parity of every fixture case, float32 and bfloat16.
STEP_NOTE=""
run_step parity "3. fixture parity (float32, bfloat16)" 20 240 "$CHECK" parity "${THREADS[@]}" --fixtures "$KIT/fixtures" --dtypes float32,bfloat16 --out "$RESULTS/parity.json"

# 4. HiStream benchmark, one process per sampler (so each video's peak device memory is its own).
for sampler in self-forcing histream histream-plus; do
  if [ "$SHRINK" = 0 ]; then
    run_step "bench-$sampler" "4. benchmark: $sampler (1920x1088, 1.3B, bf16)" 60 240 "$BENCH" --preset gpu-1080p --device cuda --dtype bfloat16 \
      --frames 21 --samplers "$sampler" --repeats 1 --json "$RESULTS/bench-$sampler.json" --out "$RESULTS/bench-$sampler.md"
  else
    STEP_NOTE="shrunk: $REASON: CPU preset (narrow DiT, 512x256), 6 latent frames, float32"
    run_step "bench-$sampler" "4. benchmark: $sampler" 20 180 "$BENCH" --preset cpu --frames 6 --samplers "$sampler" --repeats 1 \
      --json "$RESULTS/bench-$sampler.json" --out "$RESULTS/bench-$sampler.md"
  fi
done

# 5. VAE decode of 1080p chunks.
if [ "$SHRINK" = 0 ]; then
  run_step vae "5. VAE decode (1920x1088, bf16)" 30 240 "$CHECK" vae --device cuda --dtype bfloat16 --width 1920 --height 1088 --latent-frames 3 --out "$RESULTS/vae.json"
else
  STEP_NOTE="shrunk: $REASON: tiny VAE at 128x64, float32"
  run_step vae "5. VAE decode" 15 120 "$CHECK" vae --threads 1 --device cpu --dtype float32 --preset tiny --width 128 --height 64 --latent-frames 3 --out "$RESULTS/vae.json"
fi

HOST="host $(hostname), $(nproc) cores; kit $(cat "$KIT/COMMIT" 2>/dev/null); libtorch $LIBTORCH"
command -v nvidia-smi >/dev/null && HOST="$HOST|$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -1 | sed 's/^/GPU: /')"
[ "$SHRINK" = 1 ] && HOST="$HOST|steps 2-5 shrunk: $REASON"
"$CHECK" report --dir "$RESULTS" --header "$HOST|total $(( $(date +%s) - START )) s" > "$RESULTS/report.log" 2>&1 || { echo "gpu-check: report failed" >&2; cat "$RESULTS/report.log" >&2; exit 1; }
cat "$RESULTS/results.md"
echo "gpu-check: wrote $RESULTS/results.json and $RESULTS/results.md in $(( $(date +%s) - START )) s"
