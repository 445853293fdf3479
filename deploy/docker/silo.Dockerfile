# syntax=docker/dockerfile:1
# HiStream render silo: Orleans silo + TorchSharp engine + ffmpeg. Three final stages:
#   cuda (default): NVIDIA CUDA runtime base, TorchSharp-cuda-linux (-p:TorchBackend=cuda)
#     docker build -f deploy/docker/silo.Dockerfile -t histream-silo:cuda .
#   pytorch: an existing PyTorch CUDA image; the silo runs on that image's libtorch (-p:TorchBackend=external,
#     HISTREAM_LIBTORCH), found and checked with the same commands as scripts/gpu-check.sh (docs/gpu.md)
#     docker build -f deploy/docker/silo.Dockerfile --target pytorch -t histream-silo:pytorch .
#   cpu: ASP.NET runtime base, TorchSharp-cpu (the tiny seeded model, or real weights on CPU for tests)
#     docker build -f deploy/docker/silo.Dockerfile --target cpu -t histream-silo:cpu .
# Build context: the repository root (see /.dockerignore).
#
# TorchSharp-cuda-linux 0.107.0 pulls libtorch-cuda-12.8-linux-x64 2.10.0, which ships libtorch with its own CUDA 12.8
# runtime libraries (cudart, cuBLAS, cuDNN, NCCL): several GB of restore, and the nodes need an NVIDIA driver >= 570.
# The CUDA base image supplies the driver-facing pieces (nvidia-container-toolkit wiring, NVIDIA_* variables).

ARG DOTNET_VERSION=10.0
ARG CUDA_IMAGE=nvidia/cuda:12.8.1-runtime-ubuntu24.04
# Any image whose python3 imports a CUDA build of torch (pytorch/pytorch, nvcr.io/nvidia/pytorch, ...).
ARG PYTORCH_IMAGE=pytorch/pytorch:2.11.0-cuda13.0-cudnn9-runtime

# ---- build: restore with only the project files first, so source edits reuse the package layer ----
FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION}-noble AS build-base
WORKDIR /src
COPY global.json Directory.Build.props Directory.Build.targets Directory.Packages.props ./
COPY src/Abstractions/HiStream.Abstractions.csproj src/Abstractions/
COPY src/Engine/HiStream.Engine.csproj src/Engine/
COPY src/Grains/HiStream.Grains.csproj src/Grains/
COPY src/Silo/HiStream.Silo.csproj src/Silo/

FROM build-base AS build-cuda
RUN --mount=type=cache,target=/root/.nuget/packages \
    dotnet restore src/Silo/HiStream.Silo.csproj -p:TorchBackend=cuda
COPY src/ src/
RUN --mount=type=cache,target=/root/.nuget/packages \
    dotnet publish src/Silo/HiStream.Silo.csproj -c Release -o /app --no-restore -p:TorchBackend=cuda -p:UseAppHost=false

FROM build-base AS build-cpu
RUN --mount=type=cache,target=/root/.nuget/packages \
    dotnet restore src/Silo/HiStream.Silo.csproj -p:TorchBackend=cpu
COPY src/ src/
RUN --mount=type=cache,target=/root/.nuget/packages \
    dotnet publish src/Silo/HiStream.Silo.csproj -c Release -o /app --no-restore -p:TorchBackend=cpu -p:UseAppHost=false

# TorchSharp without libtorch (the PyTorch image has one), plus the GPU check program for the build-time symbol check.
FROM build-base AS build-external
COPY tools/HiStream.GpuCheck/HiStream.GpuCheck.csproj tools/HiStream.GpuCheck/
RUN --mount=type=cache,target=/root/.nuget/packages \
    dotnet restore src/Silo/HiStream.Silo.csproj -p:TorchBackend=external \
 && dotnet restore tools/HiStream.GpuCheck/HiStream.GpuCheck.csproj -p:TorchBackend=external
COPY src/ src/
COPY tools/HiStream.GpuCheck/ tools/HiStream.GpuCheck/
RUN --mount=type=cache,target=/root/.nuget/packages \
    dotnet publish src/Silo/HiStream.Silo.csproj -c Release -o /app --no-restore -p:TorchBackend=external -p:UseAppHost=false \
 && dotnet publish tools/HiStream.GpuCheck/HiStream.GpuCheck.csproj -c Release -o /opt/histream-gpucheck --no-restore -p:TorchBackend=external -p:UseAppHost=false

# The ASP.NET Core runtime, copied into the CUDA images below.
FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION}-noble AS aspnet

# ---- cpu: small image for dev clusters and CI smoke runs ----
FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION}-noble AS cpu
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg libjemalloc2 \
 && rm -rf /var/lib/apt/lists/*
# jemalloc with transparent huge pages: TorchSharp's large CPU allocations page-fault much less (docs/engine.md).
ENV LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2 \
    MALLOC_CONF=thp:always,background_thread:true \
    ASPNETCORE_HTTP_PORTS=8080 \
    Engine__Device=cpu \
    Engine__DType=float32
WORKDIR /app
COPY --from=build-cpu /app ./
# 8080: HTTP (/healthz, /ready); 9090: management (/metrics, /dashboard with Management__Dashboard=true;
# Management__Port); 11111: Orleans silo-to-silo; 30000: Orleans gateway (clients).
EXPOSE 8080 9090 11111 30000
USER $APP_UID
ENTRYPOINT ["dotnet", "HiStream.Silo.dll"]

# ---- pytorch: GPU silo on an existing PyTorch CUDA image ----
FROM ${PYTORCH_IMAGE} AS pytorch
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg binutils ca-certificates libgcc-s1 libstdc++6 zlib1g tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 1654 app \
 && useradd --uid 1654 --gid 1654 --no-create-home --home-dir /app --shell /usr/sbin/nologin app
COPY --from=aspnet /usr/share/dotnet /usr/share/dotnet
RUN ln -sf /usr/share/dotnet/dotnet /usr/bin/dotnet
WORKDIR /app
COPY --from=build-external /app ./
COPY --from=build-external /opt/histream-gpucheck /opt/histream-gpucheck
# The libtorch folder, found as scripts/gpu-check.sh finds it; then the check's step 1 (symbol check): the build fails
# when libLibTorchSharp.so needs symbols this libtorch lacks (see docs/gpu.md for rebuilding the binding).
RUN ln -s "$(python3 -c 'import torch, os; print(os.path.dirname(torch.__file__))')/lib" /opt/libtorch \
 && dotnet /opt/histream-gpucheck/histream-gpucheck.dll symbols --binding /app/libLibTorchSharp.so --libtorch /opt/libtorch \
      --out /opt/histream-gpucheck/symbols.json \
 && ! grep -q '"status": "gaps"' /opt/histream-gpucheck/symbols.json
ENV DOTNET_ROOT=/usr/share/dotnet \
    DOTNET_RUNNING_IN_CONTAINER=true \
    APP_UID=1654 \
    ASPNETCORE_HTTP_PORTS=8080 \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility \
    HISTREAM_LIBTORCH=/opt/libtorch \
    Engine__Device=cuda \
    Engine__DType=bfloat16
EXPOSE 8080 9090 11111 30000
USER 1654
ENTRYPOINT ["dotnet", "HiStream.Silo.dll"]

# ---- cuda (default target): GPU silo ----
FROM ${CUDA_IMAGE} AS cuda
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg ca-certificates libgcc-s1 libstdc++6 libssl3t64 zlib1g tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 1654 app \
 && useradd --uid 1654 --gid 1654 --no-create-home --home-dir /app --shell /usr/sbin/nologin app
COPY --from=aspnet /usr/share/dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
ENV DOTNET_ROOT=/usr/share/dotnet \
    DOTNET_RUNNING_IN_CONTAINER=true \
    APP_UID=1654 \
    ASPNETCORE_HTTP_PORTS=8080 \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility \
    Engine__Device=cuda \
    Engine__DType=bfloat16
WORKDIR /app
COPY --from=build-cuda /app ./
EXPOSE 8080 9090 11111 30000
USER 1654
ENTRYPOINT ["dotnet", "HiStream.Silo.dll"]
