# syntax=docker/dockerfile:1
# The LbProxy gateway. Build from the repository root:
#   docker build -f k8s/docker/gateway.Dockerfile -t lbproxy/gateway:latest .
ARG DOTNET_VERSION=10.0

FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION} AS build
WORKDIR /src
# Restore first, from the project files alone, so a code change does not invalidate the package layer.
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY Gateway/Gateway.csproj Gateway/
COPY ModelWorker/ModelWorker.csproj ModelWorker/
RUN dotnet restore Gateway/Gateway.csproj
COPY Gateway/ Gateway/
COPY ModelWorker/ ModelWorker/
RUN dotnet publish Gateway/Gateway.csproj -c Release --no-restore -o /app \
    && rm -rf /app/ModelWorker* /app/models

FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION} AS final
WORKDIR /app
COPY --from=build /app .
# The image's unprivileged "app" user (uid 1654); the Deployment also sets runAsNonRoot.
USER $APP_UID
EXPOSE 8080 9901
ENTRYPOINT ["dotnet", "Gateway.dll"]
CMD ["--config", "/etc/lbproxy/gateway.json", "--urls", "http://0.0.0.0:8080", "--admin-urls", "http://0.0.0.0:9901"]
