# syntax=docker/dockerfile:1
# HiStream gateway: the `histream` CLI; the container runs `histream serve` (REST API on 8080, GET /scaling/demand on
# the management port 9090, Orleans client).
#   docker build -f deploy/docker/gateway.Dockerfile -t histream-gateway .
# The same image runs the remote CLI commands: docker run --rm histream-gateway submit --help
# Build context: the repository root (see /.dockerignore).
#
# The gateway project references the silo project (shared hosting code and `histream render`), which brings
# TorchSharp-cpu's native libraries (~0.5 GB) into this image although `serve` never loads them.

ARG DOTNET_VERSION=10.0

FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION}-noble AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Build.targets Directory.Packages.props ./
COPY src/Abstractions/HiStream.Abstractions.csproj src/Abstractions/
COPY src/Engine/HiStream.Engine.csproj src/Engine/
COPY src/Grains/HiStream.Grains.csproj src/Grains/
COPY src/Silo/HiStream.Silo.csproj src/Silo/
COPY src/Gateway/HiStream.Gateway.csproj src/Gateway/
RUN --mount=type=cache,target=/root/.nuget/packages \
    dotnet restore src/Gateway/HiStream.Gateway.csproj
COPY src/ src/
RUN --mount=type=cache,target=/root/.nuget/packages \
    dotnet publish src/Gateway/HiStream.Gateway.csproj -c Release -o /app --no-restore -p:UseAppHost=false

FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION}-noble AS runtime
ENV ASPNETCORE_HTTP_PORTS=8080
WORKDIR /app
COPY --from=build /app ./
EXPOSE 8080 9090
USER $APP_UID
ENTRYPOINT ["dotnet", "histream.dll"]
CMD ["serve"]
