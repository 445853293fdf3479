#!/usr/bin/env bash
# Prints the native folder of the libtorch-cpu the build restores (the version TorchSharp-cpu, pinned in
# Directory.Packages.props, depends on) in the NuGet cache. Exits 1 with a message on stderr when it is not there.
# A version is never picked by listing the cache: a plain sort ranks 2.9.1 above 2.10.0.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PACKAGES="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
torchsharp="$(sed -nE 's/.*<PackageVersion Include="TorchSharp-cpu" Version="([^"]+)".*/\1/p' "$ROOT/Directory.Packages.props")"
[ -n "$torchsharp" ] || { echo "nuget-libtorch: no TorchSharp-cpu version in Directory.Packages.props" >&2; exit 1; }
nuspec="$PACKAGES/torchsharp-cpu/$torchsharp/torchsharp-cpu.nuspec"
[ -f "$nuspec" ] || { echo "nuget-libtorch: TorchSharp-cpu $torchsharp is not in $PACKAGES (run dotnet restore)" >&2; exit 1; }
libtorch="$(sed -nE 's/.*<dependency id="libtorch-cpu" version="([^"]+)".*/\1/p' "$nuspec" | head -1)"
[ -n "$libtorch" ] || { echo "nuget-libtorch: $nuspec names no libtorch-cpu dependency" >&2; exit 1; }
native="$PACKAGES/libtorch-cpu-linux-x64/$libtorch/runtimes/linux-x64/native"
[ -f "$native/libtorch_cpu.so" ] || { echo "nuget-libtorch: libtorch-cpu-linux-x64 $libtorch (TorchSharp-cpu $torchsharp) is not in $PACKAGES" >&2; exit 1; }
echo "$native"
