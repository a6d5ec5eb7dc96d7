# syntax=docker/dockerfile:1
# Tribuo Gateway container image.
#   docker build -t tribuo-gateway .
#   docker run --rm -p 8080:8080 tribuo-gateway
# With no ConnectionStrings:Redis / ConnectionStrings:Postgres the gateway runs on its embedded SQLite store
# under Gateway:DataDir (/data); mount a volume there to keep it. See compose.yaml for Redis + PostgreSQL.

# ---- build ------------------------------------------------------------------------------------------------
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# The Native AOT compiler links with clang (README, "Native AOT").
RUN apt-get update && apt-get install -y --no-install-recommends clang zlib1g-dev && rm -rf /var/lib/apt/lists/*

# Restore first, from the files that decide the package graph only, so that source edits reuse this layer.
COPY Directory.Build.props Directory.Packages.props ./
COPY Gateway/Gateway.csproj Gateway/
RUN dotnet restore Gateway/Gateway.csproj -r linux-x64

# Everything else (.dockerignore keeps bin/obj out, so the restore output above is not overwritten).
COPY . .
# One native binary (Native AOT), with libe_sqlite3.so beside it for the embedded store.
# (Its symbols, Tribuo.Gateway.dbg, 80 MB, stay out of the image.)
RUN dotnet publish Gateway/Gateway.csproj -c Release -r linux-x64 -o /app --no-restore && rm -f /app/*.dbg

# ---- runtime ----------------------------------------------------------------------------------------------
# No .NET runtime needed: the binary carries what it uses.
FROM mcr.microsoft.com/dotnet/runtime-deps:10.0 AS runtime
WORKDIR /app

# The embedded store's folder must exist and belong to the non-root user: it cannot create /data itself, and
# an empty named volume mounted there takes this ownership on first use.
RUN mkdir -p /data && chown "$APP_UID" /data

COPY --from=build /app ./
# The default routes file; mount a folder and point Gateway__RoutesFile at it to replace it (the file is watched
# and hot-reloaded). No keys are seeded: the sample keys' secrets are public, so an image never carries them. Mount
# a keys file (with `Sha256` entries) and set Gateway__KeysFile to import keys at start.
COPY routes.json ./

# The base image sets ASPNETCORE_HTTP_PORTS=8080; URLS wins over it, and emptying it avoids Kestrel's
# "Overriding HTTP_PORTS" warning at every start.
ENV ASPNETCORE_URLS=http://+:8080 \
    ASPNETCORE_HTTP_PORTS= \
    Gateway__RoutesFile=/app/routes.json \
    Gateway__DataDir=/data

# `app` (uid $APP_UID = 1654) is created by the runtime-deps image.
USER $APP_UID
EXPOSE 8080
ENTRYPOINT ["./Tribuo.Gateway"]
