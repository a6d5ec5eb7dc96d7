#!/usr/bin/env bash
# Tribuo Gateway benchmark: prints figures, it is not a test (it exits non-zero only when it cannot
# measure, or when a measured target answered errors, which makes the figures meaningless).
#
# Compares, on one machine and in one run, four targets in front of the same static nginx upstream:
#   nginx    nginx proxy_pass (the yardstick)        127.0.0.1:18080  /public/x
#   public   the gateway, public route               127.0.0.1:18078  /public/x
#   key      the gateway, KEY route (API key auth)   127.0.0.1:18082  /key/x
#   keylimit the KEY route with a RateLimit that never triggers, counted in Redis   :18079 /limited/x
#   keyquiet the KEY route with access log and metrics off   :18085 /key/x
#   yarp     YARP alone at its fastest (bench/yarp-direct: IHttpForwarder in one delegate, the KEY check haproxy
#            does), the ceiling of any YARP-based gateway here   :18088 /key/x
# Each target is its own gateway process of the same build (one routes file), so that ratios compare
# processes that differ only in their settings.
# The gateway keeps its keys and rate-limit counters in a redis-server the script starts on 127.0.0.1:18083.
# See bench/README.md. Knobs: DURATION (s per wrk run, 15), ROUNDS (3), WARMUP (s, 10), CONNECTIONS (32),
# THREADS (1), NGINX_WORKERS (2), UPSTREAM_WORKERS (1), BENCH_GATEWAY_ENV (extra VAR=value words for the
# gateway, applied after GATEWAY_ENV below), SKIP_BUILD=1 (reuse bench/out/gateway), BASELINE=<git ref> (also
# measure that commit's gateway, KEY route on its embedded store, as target `basekey` on :18084: "not slower than
# before" compared in one run).
set -euo pipefail

cd "$(dirname "$0")/.."
REPO_ROOT=$(pwd)
OUT="$REPO_ROOT/bench/out"

DURATION=${DURATION:-15}
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-10}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-1}
NGINX_WORKERS=${NGINX_WORKERS:-2}
UPSTREAM_WORKERS=${UPSTREAM_WORKERS:-1}

NGINX_PORT=18080
UPSTREAM_PORT=18081
GATEWAY_PORT=18082
REDIS_PORT=18083
BASE_PORT=18084
QUIET_PORT=18085
HAPROXY_PORT=18086
CADDY_PORT=18087
YARP_PORT=18088
PUBLIC_PORT=18078
LIMITED_PORT=18079
# Other proxies users compare with (Debian packages), beside nginx: haproxy with a KEY acl, Caddy reverse_proxy.
# On when installed; YARDSTICKS=0 leaves them out (a shorter run).
YARDSTICKS=${YARDSTICKS:-1}
BASELINE=${BASELINE:-}
KEY_SECRET='tgw_bench-secret-0123456789abcdef'

# ==== Gateway runtime environment: TUNE HERE ==========================================================
# Only settings that are safe to set from outside the code (PERFORMANCE.md §2). Each is one VAR=value word.
# For an A/B run without editing this file: BENCH_GATEWAY_ENV='DOTNET_GCgen0size=0x2000000 FOO=1' bash bench/run.sh
GATEWAY_ENV=(
    DOTNET_TieredPGO=1                              # dynamic PGO (default since .NET 8; explicit here)
    DOTNET_gcServer=0                               # workstation GC: 2 cores shared with wrk and nginx
    DOTNET_gcConcurrent=0                           # non-concurrent (no background GC thread)
    DOTNET_GCgen0size=0x4000000                     # 64 MB gen0 (hex): yarp and basekey; the gateway's own 16 MB cap (Gen0MaxBudget) is lower
    DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1  # only wins paired with Kestrel UnsafePreferInlineScheduling (§2.5)
    Logging__LogLevel__Default=Warning
    # Candidates, not on by default (measure before keeping):
    #   DOTNET_ReadyToRun=0                             (lab "pgo" profile, §2.7)
    #   DOTNET_TC_QuickJitForLoops=1                    (lab "pgo" profile; already the default)
    #   DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0    (less idle spinning, §2.6, unverified)
    #   DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT=1        (epoll threads with inline completions, §2.5)
    #   Logging__LogLevel__Microsoft.AspNetCore.Hosting.Diagnostics=None   (no per-request Activity, §2.2)
    #   DOTNET_SYSTEM_NET_HTTP_ENABLEACTIVITYPROPAGATION=0  (behaviour change: no traceparent upstream, §2.3)
)
# =======================================================================================================
# shellcheck disable=SC2206  # word splitting is the point
EXTRA_ENV=(${BENCH_GATEWAY_ENV:-})

source bench/published.sh
PIDS=()          # every background process this script started
log() { printf '=== [%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    local pid
    for pid in "${PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- prerequisites ----------------------------------------------------------------------------------
if ! command -v nginx >/dev/null 2>&1 || ! command -v wrk >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        log "installing nginx and wrk"
        export DEBIAN_FRONTEND=noninteractive
        # Do not let the package start the system nginx on port 80.
        created_policy=0
        if [ ! -e /usr/sbin/policy-rc.d ]; then
            printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && created_policy=1
        fi
        { apt-get update -q && apt-get install -y -q --no-install-recommends nginx wrk; } >"${TMPDIR:-/tmp}/bench-apt.log" 2>&1 \
            || { tail -n 30 "${TMPDIR:-/tmp}/bench-apt.log" >&2; [ "$created_policy" -eq 0 ] || rm -f /usr/sbin/policy-rc.d; die "apt-get install nginx wrk failed"; }
        [ "$created_policy" -eq 0 ] || rm -f /usr/sbin/policy-rc.d
    else
        die "nginx and wrk are required (apt-get install -y nginx wrk)"
    fi
fi
for tool in nginx wrk curl dotnet redis-server redis-cli; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found"
done
NGINX_BIN=$(command -v nginx)

port_busy() { curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$1/" 2>/dev/null; }
for port in "$NGINX_PORT" "$UPSTREAM_PORT" "$YARP_PORT" "$GATEWAY_PORT" "$BASE_PORT" "$QUIET_PORT" "$HAPROXY_PORT" "$CADDY_PORT" "$PUBLIC_PORT" "$LIMITED_PORT"; do
    if port_busy "$port"; then die "port $port already answers: stop whatever runs there (an earlier run?)"; fi
done
if redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then die "port $REDIS_PORT already answers Redis: stop it (an earlier run?)"; fi

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
mkdir -p "$OUT"
rm -rf "$OUT/data" "$OUT/data-quiet" "$OUT/wrk" "$OUT/nginx-upstream" "$OUT/nginx-proxy" "$OUT/redis"
mkdir -p "$OUT/data" "$OUT/data-quiet" "$OUT/wrk" "$OUT/redis"

# ---- 1. build -----------------------------------------------------------------------------------------
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    log "dotnet publish (Release) -> bench/out/gateway"
    rm -rf "$OUT/gateway"
    # shellcheck disable=SC2046  # word splitting is the point
    if ! dotnet publish Gateway/Gateway.csproj $(publish_args) -o "$OUT/gateway" >"$OUT/build.log" 2>&1; then
        grep -E 'error' "$OUT/build.log" | sort -u | head -n 30 >&2 || tail -n 30 "$OUT/build.log" >&2
        die "build failed (full log: bench/out/build.log)"
    fi
fi
[ -f "$OUT/gateway/Tribuo.Gateway" ] || die "bench/out/gateway/Tribuo.Gateway missing"
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    log "dotnet publish (Release) bench/yarp-direct -> bench/out/yarp-direct"
    rm -rf "$OUT/yarp-direct"
    # shellcheck disable=SC2046
    dotnet publish bench/yarp-direct/YarpDirect.csproj $(publish_args) -o "$OUT/yarp-direct" \
        >"$OUT/build-yarp.log" 2>&1 || { tail -n 30 "$OUT/build-yarp.log" >&2; die "bench/yarp-direct build failed"; }
fi
if [ -n "$BASELINE" ]; then
    BASE_REV=$(git rev-parse --short "$BASELINE^{commit}") || die "BASELINE=$BASELINE is not a commit"
    log "dotnet publish (Release) of $BASELINE ($BASE_REV) -> bench/out/baseline"
    git worktree remove --force "$OUT/baseline-src" >/dev/null 2>&1 || rm -rf "$OUT/baseline-src"
    git worktree prune
    git worktree add --detach -q "$OUT/baseline-src" "$BASE_REV" || die "git worktree add $BASELINE failed"
    rm -rf "$OUT/baseline"
    # shellcheck disable=SC2046
    if ! dotnet publish "$OUT/baseline-src/Gateway/Gateway.csproj" $(publish_args) -o "$OUT/baseline" >"$OUT/build-baseline.log" 2>&1; then
        grep -E 'error' "$OUT/build-baseline.log" | sort -u | head -n 30 >&2
        die "baseline build failed (full log: bench/out/build-baseline.log)"
    fi
fi

# ---- 2./3. nginx: upstream and yardstick proxy, each with a private prefix ----------------------------
nginx_common() { # $1 prefix dir, $2 workers
    local user_line=""
    [ "$(id -u)" -eq 0 ] && user_line="user root;"
    cat <<CONF
$user_line
daemon off;
master_process on;
worker_processes $2;
pid $1/nginx.pid;
error_log $1/error.log warn;
events { worker_connections 4096; multi_accept on; use epoll; }
CONF
}
temp_paths() { # $1 prefix dir
    cat <<CONF
    client_body_temp_path $1/client_body;
    proxy_temp_path $1/proxy;
    fastcgi_temp_path $1/fastcgi;
    uwsgi_temp_path $1/uwsgi;
    scgi_temp_path $1/scgi;
CONF
}

UP="$OUT/nginx-upstream"
mkdir -p "$UP"
{
    nginx_common "$UP" "$UPSTREAM_WORKERS"
    cat <<CONF
http {
    access_log off;
$(temp_paths "$UP")
    server {
        listen 127.0.0.1:$UPSTREAM_PORT backlog=4096;
        location / {
            default_type text/plain;
            return 200 "ok\n";
        }
    }
}
CONF
} >"$UP/nginx.conf"

PX="$OUT/nginx-proxy"
mkdir -p "$PX"
{
    nginx_common "$PX" "$NGINX_WORKERS"
    cat <<CONF
http {
    access_log off;
$(temp_paths "$PX")
    upstream backend {
        server 127.0.0.1:$UPSTREAM_PORT;
        keepalive 1024;
    }
    server {
        listen 127.0.0.1:$NGINX_PORT backlog=4096;
        location / {
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            # The gateway appends X-Forwarded-For/-Proto/-Host: nginx adds the same three.
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto \$scheme;
            proxy_set_header X-Forwarded-Host \$host;
        }
    }
}
CONF
} >"$PX/nginx.conf"

for dir in "$UP" "$PX"; do
    "$NGINX_BIN" -t -q -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" >/dev/null 2>"$dir/test.log" \
        || { cat "$dir/test.log" >&2; die "nginx config test failed for $dir/nginx.conf"; }
done

log "starting nginx upstream :$UPSTREAM_PORT and nginx proxy :$NGINX_PORT"
"$NGINX_BIN" -p "$UP" -e "$UP/error.log" -c "$UP/nginx.conf" >"$UP/stdout.log" 2>&1 &
PIDS+=($!)
"$NGINX_BIN" -p "$PX" -e "$PX/error.log" -c "$PX/nginx.conf" >"$PX/stdout.log" 2>&1 &
PIDS+=($!)

HAPROXY=0; CADDY=0
if [ "$YARDSTICKS" = 1 ] && command -v haproxy >/dev/null 2>&1; then
    HAPROXY=1
    mkdir -p "$OUT/haproxy"
    # One process, a thread per core (as deployed); the KEY check is an exact match on the header, the
    # credential is removed before forwarding, as the gateway does.
    cat >"$OUT/haproxy/haproxy.cfg" <<CONF
global
    nbthread $(nproc)
    maxconn 4096
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    option http-keep-alive
    option forwardfor
frontend bench
    bind 127.0.0.1:$HAPROXY_PORT
    acl key_ok req.hdr(Authorization) -m str "KEY $KEY_SECRET"
    http-request deny deny_status 401 unless key_ok
    http-request del-header Authorization
    default_backend upstream
backend upstream
    http-reuse always
    server up 127.0.0.1:$UPSTREAM_PORT maxconn 1024
CONF
    haproxy -c -q -f "$OUT/haproxy/haproxy.cfg" || die "haproxy config test failed ($OUT/haproxy/haproxy.cfg)"
    log "starting haproxy :$HAPROXY_PORT (KEY acl)"
    haproxy -db -f "$OUT/haproxy/haproxy.cfg" >"$OUT/haproxy/haproxy.log" 2>&1 &
    PIDS+=($!)
fi
if [ "$YARDSTICKS" = 1 ] && command -v caddy >/dev/null 2>&1; then
    CADDY=1
    mkdir -p "$OUT/caddy"
    cat >"$OUT/caddy/Caddyfile" <<CONF
{
    admin off
    auto_https off
}
http://127.0.0.1:$CADDY_PORT {
    reverse_proxy 127.0.0.1:$UPSTREAM_PORT
}
CONF
    log "starting caddy :$CADDY_PORT (reverse_proxy)"
    HOME="$OUT/caddy" XDG_DATA_HOME="$OUT/caddy" XDG_CONFIG_HOME="$OUT/caddy" \
        caddy run --config "$OUT/caddy/Caddyfile" --adapter caddyfile >"$OUT/caddy/caddy.log" 2>&1 &
    PIDS+=($!)
fi

log "starting redis-server :$REDIS_PORT"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$OUT/redis" --save "" --appendonly no \
    --daemonize no --logfile "$OUT/redis/redis.log" &
PIDS+=($!)
for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 || die "redis-server did not start (log: bench/out/redis/redis.log)"

# ---- 4. the gateway -----------------------------------------------------------------------------------
cat >"$OUT/routes.json" <<JSON
{
  "Routes": {
    "bench-public": {
      "ClusterId": "bench",
      "Match": { "Path": "/public/{**rest}" },
      "Metadata": { "Auth": "public" }
    },
    "bench-key": {
      "ClusterId": "bench",
      "Match": { "Path": "/key/{**rest}" },
      "Metadata": { "Auth": "key", "Scopes": "bench" }
    },
    "bench-key-limited": {
      "ClusterId": "bench",
      "Match": { "Path": "/limited/{**rest}" },
      "Metadata": { "Auth": "key", "Scopes": "bench", "RateLimit": "1000000000/1s" }
    }
  },
  "Clusters": {
    "bench": { "Destinations": { "upstream": { "Address": "http://127.0.0.1:$UPSTREAM_PORT/" } } }
  }
}
JSON
cat >"$OUT/keys.json" <<JSON
{ "Keys": [ { "Id": "bench", "Name": "Bench", "Secret": "$KEY_SECRET", "Scopes": ["bench"] } ] }
JSON

# One gateway process: start_gateway <name> <build dir> <port> <log file> [VAR=value ...] -- [gateway arguments ...]
start_gateway() {
    local name=$1 build=$2 port=$3 logfile=$4; shift 4
    local vars=()
    while [ "$#" -gt 0 ] && [ "$1" != -- ]; do vars+=("$1"); shift; done
    [ "$#" -eq 0 ] || shift
    log "starting $name :$port"
    env "${GATEWAY_ENV[@]}" "${EXTRA_ENV[@]}" "${vars[@]}" \
        $(published_exe "$build" Tribuo.Gateway) --urls="http://127.0.0.1:$port" "$@" >"$logfile" 2>&1 &
    PIDS+=($!)
}

start_gateway gateway "$OUT/gateway" "$GATEWAY_PORT" "$OUT/gateway.log" -- \
    --Gateway:RoutesFile="$OUT/routes.json" --Gateway:KeysFile="$OUT/keys.json" --Gateway:DataDir="$OUT/data" \
    --ConnectionStrings:Redis="127.0.0.1:$REDIS_PORT"
GATEWAY_PID=${PIDS[-1]}
# Every gateway target has a process of its own, the same build: a process that had just served another
# target ran that target's runs up to 10% slower than one that had not (it showed as a cost of whatever the
# compared target switched off), so ratios compare processes that differ only in their settings.
# The same build with the access log and metrics off, so their cost is a same-run ratio (key / keyquiet).
start_gateway "gateway without access log and metrics" "$OUT/gateway" "$QUIET_PORT" "$OUT/gateway-quiet.log" \
    Gateway__Metrics__Enabled=false Logging__LogLevel__Tribuo.Gateway.Access=None -- \
    --Gateway:RoutesFile="$OUT/routes.json" --Gateway:DataDir="$OUT/data-quiet" --ConnectionStrings:Redis="127.0.0.1:$REDIS_PORT"
start_gateway "gateway for the public route" "$OUT/gateway" "$PUBLIC_PORT" "$OUT/gateway-public.log" -- \
    --Gateway:RoutesFile="$OUT/routes.json" --Gateway:DataDir="$OUT/data-public" --ConnectionStrings:Redis="127.0.0.1:$REDIS_PORT"
start_gateway "gateway for the rate-limited route" "$OUT/gateway" "$LIMITED_PORT" "$OUT/gateway-limited.log" -- \
    --Gateway:RoutesFile="$OUT/routes.json" --Gateway:DataDir="$OUT/data-limited" --ConnectionStrings:Redis="127.0.0.1:$REDIS_PORT"
# YARP alone, same runtime environment: what the gateway's own work costs is key / yarp.
log "starting yarp (direct forwarding) :$YARP_PORT"
env "${GATEWAY_ENV[@]}" "${EXTRA_ENV[@]}" $(published_exe "$OUT/yarp-direct" YarpDirect) --urls="http://127.0.0.1:$YARP_PORT" \
    --Upstream="http://127.0.0.1:$UPSTREAM_PORT/" --Key="$KEY_SECRET" >"$OUT/yarp-direct.log" 2>&1 &
PIDS+=($!)
if [ -n "$BASELINE" ]; then
    # The baseline runs as its own bench did then: embedded store, public and KEY routes only.
    rm -rf "$OUT/baseline-data" && mkdir -p "$OUT/baseline-data"
    cat >"$OUT/baseline-routes.json" <<JSON
{
  "Routes": {
    "bench-public": { "ClusterId": "bench", "Match": { "Path": "/public/{**rest}" }, "Metadata": { "Auth": "public" } },
    "bench-key": { "ClusterId": "bench", "Match": { "Path": "/key/{**rest}" }, "Metadata": { "Auth": "key", "Scopes": "bench" } }
  },
  "Clusters": { "bench": { "Destinations": { "upstream": { "Address": "http://127.0.0.1:$UPSTREAM_PORT/" } } } }
}
JSON
    start_gateway "baseline gateway ($BASE_REV)" "$OUT/baseline" "$BASE_PORT" "$OUT/baseline.log" ASPNETCORE_ENVIRONMENT=Production -- \
        --Gateway:RoutesFile="$OUT/baseline-routes.json" --Gateway:KeysFile="$OUT/keys.json" --Gateway:DataDir="$OUT/baseline-data"
fi

status_of() { # url [curl args...] -> HTTP status, 000 when no answer
    local url=$1; shift
    curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$@" "$url" 2>/dev/null || true
}
wait_for() { # name url expected-status seconds [curl args...]
    local name=$1 url=$2 want=$3 secs=$4; shift 4
    local got="" i
    for ((i = 0; i < secs * 5; i++)); do
        got=$(status_of "$url" "$@")
        [ "$got" = "$want" ] && return 0
        if ! kill -0 "$GATEWAY_PID" 2>/dev/null; then
            tail -n 40 "$OUT/gateway.log" >&2
            die "the gateway exited while waiting for $name (log: bench/out/gateway.log)"
        fi
        sleep 0.2
    done
    [ "$name" = gateway ] && tail -n 40 "$OUT/gateway.log" >&2
    die "$name: $url answered '$got', expected $want, after ${secs}s"
}

NGINX_URL="http://127.0.0.1:$NGINX_PORT/public/x"
PUBLIC_URL="http://127.0.0.1:$PUBLIC_PORT/public/x"
KEY_URL="http://127.0.0.1:$GATEWAY_PORT/key/x"
LIMITED_URL="http://127.0.0.1:$LIMITED_PORT/limited/x"
KEY_HEADER="Authorization: KEY $KEY_SECRET"

wait_for upstream "http://127.0.0.1:$UPSTREAM_PORT/public/x" 200 15
wait_for nginx "$NGINX_URL" 200 15
wait_for gateway "http://127.0.0.1:$GATEWAY_PORT/healthz" 200 90
wait_for "gateway public route" "$PUBLIC_URL" 200 15
# The keys file is imported in the background after start: give it a moment.
wait_for "gateway KEY route with the key" "$KEY_URL" 200 30 -H "$KEY_HEADER"
got=$(status_of "$KEY_URL")
[ "$got" = 401 ] || die "gateway KEY route without a key answered $got, expected 401: auth is not enforced, figures would be meaningless"
got=$(status_of "$KEY_URL" -H "Authorization: KEY tgw_not-the-bench-secret-000000")
[ "$got" = 401 ] || die "gateway KEY route with a wrong key answered $got, expected 401"
body=$(curl -s --max-time 2 -H "$KEY_HEADER" "$KEY_URL")
[ "$body" = ok ] || die "gateway KEY route body is '$body', expected the upstream's 'ok'"
wait_for "gateway rate-limited route with the key" "$LIMITED_URL" 200 30 -H "$KEY_HEADER"
limit_header=$(curl -s -o /dev/null -D - --max-time 2 -H "$KEY_HEADER" "$LIMITED_URL" | tr -d '\r' | awk -F': ' 'tolower($1) == "ratelimit-limit" { print $2 }')
[ "$limit_header" = 1000000000 ] || die "gateway limited route answered RateLimit-Limit '$limit_header', expected 1000000000: the limit is not applied"
redis-cli -p "$REDIS_PORT" --scan --pattern 'tgw:rl:*' | grep -q . || die "no rate-limit counter in Redis: the limited route is not counted there"
QUIET_URL="http://127.0.0.1:$QUIET_PORT/key/x"
wait_for "quiet gateway KEY route with the key" "$QUIET_URL" 200 90 -H "$KEY_HEADER"
BASE_URL="http://127.0.0.1:$BASE_PORT/key/x"
if [ -n "$BASELINE" ]; then
    wait_for "baseline gateway KEY route with the key" "$BASE_URL" 200 90 -H "$KEY_HEADER"
    got=$(status_of "$BASE_URL")
    [ "$got" = 401 ] || die "baseline KEY route without a key answered $got, expected 401"
fi
HAPROXY_URL="http://127.0.0.1:$HAPROXY_PORT/key/x"
YARP_URL="http://127.0.0.1:$YARP_PORT/key/x"
wait_for "yarp with the key" "$YARP_URL" 200 30 -H "$KEY_HEADER"
got=$(status_of "$YARP_URL")
[ "$got" = 401 ] || die "yarp without a key answered $got, expected 401"
CADDY_URL="http://127.0.0.1:$CADDY_PORT/public/x"
if [ "$HAPROXY" = 1 ]; then
    wait_for "haproxy with the key" "$HAPROXY_URL" 200 15 -H "$KEY_HEADER"
    got=$(status_of "$HAPROXY_URL")
    [ "$got" = 401 ] || die "haproxy without a key answered $got, expected 401"
fi
[ "$CADDY" = 1 ] && wait_for caddy "$CADDY_URL" 200 15
log "checks passed: upstream, nginx, gateway public 200, KEY 200 with key / 401 without, limited route counted in Redis"

# ---- 5. warm-up and measurement -----------------------------------------------------------------------
# Compared targets sit next to each other (key beside keyquiet, keylimit and basekey), and rounds alternate
# forward and backward (A B B A): a drift of the machine during a round then weighs on both sides of a ratio.
TARGETS=(nginx yarp public key keylimit keyquiet)
[ -z "$BASELINE" ] || TARGETS=(nginx yarp public basekey key keylimit keyquiet)
[ "$HAPROXY" = 0 ] || TARGETS=(haproxy "${TARGETS[@]}")
[ "$CADDY" = 0 ] || TARGETS+=(caddy)
target_url() { case $1 in nginx) echo "$NGINX_URL" ;; public) echo "$PUBLIC_URL" ;; key) echo "$KEY_URL" ;; keylimit) echo "$LIMITED_URL" ;; keyquiet) echo "$QUIET_URL" ;; yarp) echo "$YARP_URL" ;; basekey) echo "$BASE_URL" ;; haproxy) echo "$HAPROXY_URL" ;; caddy) echo "$CADDY_URL" ;; esac; }
run_wrk() { # target seconds outfile
    local args=(-t"$THREADS" -c"$CONNECTIONS" -d"$2"s --latency)
    case $1 in key | keylimit | keyquiet | basekey | haproxy | yarp) args+=(-H "$KEY_HEADER") ;; esac
    wrk "${args[@]}" "$(target_url "$1")" >"$3" 2>&1 || { cat "$3" >&2; die "wrk failed against $1"; }
}
# p99 in ms from wrk's latency distribution; requests/s; non-2xx count; socket errors total.
parse_wrk() { # file -> "rps p99ms non2xx sockerr"
    awk '
        /Requests\/sec:/ { rps = $2 }
        /^[ \t]+99%/ {
            v = $2; unit = v; sub(/[0-9.]+/, "", unit); sub(/[a-z]+$/, "", v)
            ms = (unit == "us") ? v / 1000 : (unit == "ms") ? v : (unit == "s") ? v * 1000 : (unit == "m") ? v * 60000 : -1
            p99 = ms
        }
        /Non-2xx or 3xx responses:/ { non2xx = $NF }
        /Socket errors:/ { gsub(/,/, ""); sock = $4 + $6 + $8 + $10 }
        END { if (rps == "" || p99 == "") exit 1; printf "%s %.3f %d %d\n", rps, p99, non2xx + 0, sock + 0 }
    ' "$1"
}

for t in "${TARGETS[@]}"; do
    log "warm-up $t (${WARMUP}s)"
    run_wrk "$t" "$WARMUP" "$OUT/wrk/warmup-$t.txt"
done

# Was the machine quiet? Per measured run: CPU that processes outside this script's tree used ("other": busy
# time in /proc/stat, i.e. user+nice+system+irq+softirq, minus this script's descendants' utime+stime, plus
# steal), in % of the machine's total. Approximate: tick accounting charges softirq work to whichever task it
# interrupted, so a few % either way is noise; tens of % means a build or test run competed for the CPU.
cpu_snapshot() { # -> "busy ours steal total" in jiffies
    local pids p
    pids=$(ps -eo pid=,ppid= | awk -v root="$$" '{ parent[$1] = $2 } END {
        for (p in parent) { q = p; while ((q in parent) && q != root && q > 1) q = parent[q]; if (q == root && p != root) print p } }')
    {
        for p in $pids; do
            if s=$(cat "/proc/$p/stat" 2>/dev/null); then echo "child $s"; fi
        done
        echo "self $(cat "/proc/$$/stat")"
    } | awk '
        BEGIN { while ((getline l < "/proc/stat") > 0) if (l ~ /^cpu /) { split(l, c, " "); break } }
        { kind = $1; sub(/^.*\) /, ""); # after "(comm) ": state is field 1, utime 12, stime 13, cutime 14, cstime 15
          mine += $12 + $13; if (kind == "self") mine += $14 + $15 }
        END { print c[2] + c[3] + c[4] + c[7] + c[8], mine + 0, c[9], c[2] + c[3] + c[4] + c[5] + c[6] + c[7] + c[8] + c[9] }'
}
declare -A RPS P99 NON2XX SOCKERR OTHER ROUND_RPS
for ((r = 1; r <= ROUNDS; r++)); do
    ORDER=("${TARGETS[@]}")
    if ((r % 2 == 0)); then
        for ((i = 0; i < ${#TARGETS[@]}; i++)); do ORDER[i]=${TARGETS[${#TARGETS[@]} - 1 - i]}; done
    fi
    for t in "${ORDER[@]}"; do
        file="$OUT/wrk/round$r-$t.txt"
        read -r busy0 ours0 steal0 total0 < <(cpu_snapshot)
        run_wrk "$t" "$DURATION" "$file"
        read -r busy1 ours1 steal1 total1 < <(cpu_snapshot)
        other=$(awk -v t="$((total1 - total0))" -v o="$(( (busy1 - busy0) - (ours1 - ours0) + (steal1 - steal0) ))" \
            'BEGIN { v = (t > 0) ? o * 100 / t : 0; printf "%.1f", (v < 0) ? 0 : v }')
        OTHER[$t]=$(awk -v a="${OTHER[$t]:-0}" -v b="$other" 'BEGIN { print (b > a) ? b : a }')
        read -r rps p99 non2xx sockerr < <(parse_wrk "$file") || die "could not parse wrk output $file"
        RPS[$t]+="$rps "; P99[$t]+="$p99 "; ROUND_RPS[$t,$r]=$rps
        NON2XX[$t]=$(( ${NON2XX[$t]:-0} + non2xx )); SOCKERR[$t]=$(( ${SOCKERR[$t]:-0} + sockerr ))
        log "round $r/$ROUNDS $t: $rps req/s, p99 ${p99} ms, non-2xx $non2xx, socket errors $sockerr, other cpu ${other}%"
    done
done
kill -0 "$GATEWAY_PID" 2>/dev/null || die "the gateway died during the run (log: bench/out/gateway.log)"

# ---- 6. summary ---------------------------------------------------------------------------------------
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) printf "%.3f", a[(NR + 1) / 2]; else printf "%.3f", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0) ? a / b : 0 }'; }
declare -A MED_RPS MED_P99
for t in "${TARGETS[@]}"; do
    MED_RPS[$t]=$(echo "${RPS[$t]}" | median)
    MED_P99[$t]=$(echo "${P99[$t]}" | median)
done
# Each ratio is the median of the rounds' own ratios (both sides measured minutes apart at most, in the
# same state of the machine); the ratio of the medians is printed beside it.
paired() { # a b -> median over rounds of a/b
    local r out=""
    for ((r = 1; r <= ROUNDS; r++)); do out+="$(ratio "${ROUND_RPS[$1,$r]}" "${ROUND_RPS[$2,$r]}") "; done
    echo "$out" | median
}
R_PUB=$(paired public nginx); M_PUB=$(ratio "${MED_RPS[public]}" "${MED_RPS[nginx]}")
R_KEY=$(paired key nginx); M_KEY=$(ratio "${MED_RPS[key]}" "${MED_RPS[nginx]}")
R_KP=$(paired key public); M_KP=$(ratio "${MED_RPS[key]}" "${MED_RPS[public]}")
R_LK=$(paired keylimit key); M_LK=$(ratio "${MED_RPS[keylimit]}" "${MED_RPS[key]}")
R_YN=$(paired yarp nginx); M_YN=$(ratio "${MED_RPS[yarp]}" "${MED_RPS[nginx]}")
R_KY=$(paired key yarp); M_KY=$(ratio "${MED_RPS[key]}" "${MED_RPS[yarp]}")
R_KQ=$(paired key keyquiet); M_KQ=$(ratio "${MED_RPS[key]}" "${MED_RPS[keyquiet]}")
[ -z "$BASELINE" ] || { R_BK=$(paired key basekey); M_BK=$(ratio "${MED_RPS[key]}" "${MED_RPS[basekey]}"); }
verdict() { awk -v v="$1" -v min="$2" 'BEGIN { print (v >= min) ? "PASS" : "FAIL" }'; }

INVALID=""
for t in "${TARGETS[@]}"; do
    if [ "${NON2XX[$t]}" -gt 0 ] || [ "${SOCKERR[$t]}" -gt 0 ]; then
        INVALID+="$t: ${NON2XX[$t]} non-2xx responses, ${SOCKERR[$t]} socket errors; "
    fi
done

# Rounds that disagree by more than 10% of the median mean the machine was not quiet.
NOISY=""
for t in "${TARGETS[@]}"; do
    spread=$(echo "${RPS[$t]}" | tr ' ' '\n' | grep -v '^$' | sort -g | awk -v m="${MED_RPS[$t]}" 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.0f", (m > 0) ? (hi - lo) * 100 / m : 0 }')
    [ "$spread" -le 10 ] || NOISY+="$t rounds spread ${spread}%; "
    if awk -v o="${OTHER[$t]}" 'BEGIN { exit !(o > 10) }'; then NOISY+="$t ran beside ${OTHER[$t]}% other CPU; "; fi
done

CPU_MODEL=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
GIT_REV=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- Gateway 2>/dev/null || GIT_REV+=" (Gateway/ has uncommitted changes)"
{
    echo "Tribuo Gateway benchmark  (wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency, $ROUNDS rounds, ${WARMUP}s warm-up, alternating A B B A)"
    echo
    printf '%-8s %-26s %11s %10s %8s %8s %7s   %s\n' target url "req/s(med)" "p99ms(med)" non-2xx sockerr other% "per-round req/s"
    for t in "${TARGETS[@]}"; do
        printf '%-8s %-26s %11.0f %10.2f %8d %8d %7.1f   %s\n' "$t" "$(target_url "$t" | sed 's#http://##')" \
            "${MED_RPS[$t]}" "${MED_P99[$t]}" "${NON2XX[$t]}" "${SOCKERR[$t]}" "${OTHER[$t]}" "${RPS[$t]% }"
    done
    echo
    echo "ratios (median of the rounds' ratios; in brackets the ratio of the medians)"
    echo "  gateway-public / nginx    $R_PUB ($M_PUB)"
    echo "  gateway-key    / nginx    $R_KEY ($M_KEY)   yardstick >= 0.80: $(verdict "$R_KEY" 0.80)"
    echo "  yarp           / nginx    $R_YN ($M_YN)   YARP alone at its fastest: the ceiling of a YARP-based gateway"
    echo "  key            / yarp     $R_KY ($M_KY)   what the gateway's own work costs"
    echo "  key            / public   $R_KP ($M_KP)   yardstick >= 0.95: $(verdict "$R_KP" 0.95)"
    echo "  keylimit       / key      $R_LK ($M_LK)   yardstick >= 0.90: $(verdict "$R_LK" 0.90)"
    echo "  key            / keyquiet $R_KQ ($M_KQ)   access log and metrics on vs off, yardstick >= 0.95: $(verdict "$R_KQ" 0.95)"
    [ "$HAPROXY" = 0 ] || echo "  haproxy (KEY)  / nginx    $(paired haproxy nginx) ($(ratio "${MED_RPS[haproxy]}" "${MED_RPS[nginx]}"))"
    [ "$CADDY" = 0 ] || echo "  caddy          / nginx    $(paired caddy nginx) ($(ratio "${MED_RPS[caddy]}" "${MED_RPS[nginx]}"))"
    [ -z "$BASELINE" ] || echo "  key            / basekey  $R_BK ($M_BK)   not slower than $BASELINE ($BASE_REV), >= 0.97 (noise): $(verdict "$R_BK" 0.97)"
    echo
    echo "machine  $(nproc) cores, $CPU_MODEL"
    echo "date     $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "dotnet   $(dotnet --version)"
    echo "nginx    $("$NGINX_BIN" -v 2>&1 | sed 's/^nginx version: //'), proxy workers $NGINX_WORKERS, upstream workers $UPSTREAM_WORKERS"
    echo "wrk      $(wrk -v 2>&1 | head -n 1 | awk '{ print $2 }')"
    echo "redis    $(redis-server --version | awk "{ print \$3 }"), keys and rate-limit counters"
    echo "commit   $GIT_REV"
    echo "gw env   ${GATEWAY_ENV[*]}${BENCH_GATEWAY_ENV:+ $BENCH_GATEWAY_ENV}"
    echo "quiet?   load average before start $LOAD_START; other% = most CPU used outside the benchmark during one"
    echo "         of the target's runs (% of all cores, incl. steal; approximate, a few % is noise)"
    if [ -n "$NOISY" ]; then
        echo
        echo "NOISY: $NOISY(another process competed for the CPU? rerun on a quiet machine)"
    fi
    if [ -n "$INVALID" ]; then
        echo
        echo "INVALID RUN: $INVALID(raw wrk output: bench/out/wrk/)"
    fi
} | tee "$OUT/summary.txt"

[ -z "$INVALID" ] || exit 1
