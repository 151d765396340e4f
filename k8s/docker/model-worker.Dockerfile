# syntax=docker/dockerfile:1
# The ModelWorker with the bundled model. Build from the repository root:
#   docker build -f k8s/docker/model-worker.Dockerfile -t lbproxy/model-worker:latest .
#   docker build -f k8s/docker/model-worker.Dockerfile --build-arg FLAVOR=gpu -t lbproxy/model-worker:latest-gpu .
# FLAVOR=gpu builds with ONNX Runtime's CUDA package (-p:OnnxRuntimeFlavor=Gpu) on an image with CUDA 12 and
# cuDNN 9, the libraries that package loads; the node needs the NVIDIA driver and device plugin.
ARG DOTNET_VERSION=10.0
ARG FLAVOR=cpu
ARG CUDA_IMAGE=nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04

FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION} AS build
ARG FLAVOR
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY ModelWorker/ModelWorker.csproj ModelWorker/
RUN ORT=$([ "$FLAVOR" = gpu ] && echo Gpu || echo Cpu) \
    && dotnet restore ModelWorker/ModelWorker.csproj -p:OnnxRuntimeFlavor=$ORT
COPY ModelWorker/ ModelWorker/
RUN ORT=$([ "$FLAVOR" = gpu ] && echo Gpu || echo Cpu) \
    && dotnet publish ModelWorker/ModelWorker.csproj -c Release --no-restore -p:OnnxRuntimeFlavor=$ORT -o /app

FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION} AS runtime-cpu

# CUDA's runtime image plus the ASP.NET Core runtime taken from Microsoft's image, and the same "app" user.
FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION} AS dotnet
FROM ${CUDA_IMAGE} AS runtime-gpu
COPY --from=dotnet /usr/share/dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet \
    && apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/* \
    && useradd --uid 1654 --user-group --no-create-home --home-dir /app app
ENV APP_UID=1654 DOTNET_RUNNING_IN_CONTAINER=true

FROM runtime-${FLAVOR} AS final
WORKDIR /app
COPY --from=build /app .
USER $APP_UID
EXPOSE 8000
ENV MAX_BATCH_SIZE=32 MAX_WAIT_MS=50
ENTRYPOINT ["dotnet", "ModelWorker.dll"]
CMD ["--urls", "http://0.0.0.0:8000"]
