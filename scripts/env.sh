# Sourced by the scripts: jemalloc with transparent huge pages makes TorchSharp's element-wise ops on CPU
# much faster (large fresh allocations page-fault slowly under glibc malloc).
if [ -e /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 ]; then
  export LD_PRELOAD="/usr/lib/x86_64-linux-gnu/libjemalloc.so.2${LD_PRELOAD:+:$LD_PRELOAD}"
  export MALLOC_CONF="${MALLOC_CONF:-thp:always,background_thread:true}"
fi
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
