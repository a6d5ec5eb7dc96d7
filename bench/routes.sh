#!/usr/bin/env bash
# Tribuo Gateway route-count benchmark (issue 13, item 5): prints figures, it is not a test.
#
# Two gateways of one build on one Redis, in front of one static nginx upstream, wrk -t1 -c32 on the KEY route:
#   routes-10       a routes.json of 10 routes
#   routes-N        the same KEY route among N routes (ROUTES, 10,000: KEY and public routes on their own path
#                   prefixes, a tenth of them on a host, over 100 clusters), so matching has N candidates
# Rounds alternate A B B A (ROUNDS, 4; DURATION s each, 10) and the figure is the median of per-round ratios.
# Then reloads: while wrk loads routes-N, the file is replaced RELOADS (3) times by another N-route file
# (atomic rename; every route's scopes change and a new route appears). Each reload is timed from the rename
# to the first 200 from the new route (the gateway's 150 ms debounce included) and from the gateway's own
# "Reloaded" log line; wrk's non-2xx and socket errors over the whole load must be 0.
# Knobs: ROUTES, ROUNDS, DURATION, RELOADS, SKIP_BUILD=1 (reuse bench/out/gateway). Ports 18094-18097.
set -euo pipefail

cd "$(dirname "$0")/.."
OUT="$PWD/bench/out/routes"
BUILD="$PWD/bench/out/gateway"
ROUTES=${ROUTES:-10000}
ROUNDS=${ROUNDS:-4}
DURATION=${DURATION:-10}
RELOADS=${RELOADS:-3}
UPSTREAM_PORT=18094
SMALL_PORT=18095
LARGE_PORT=18096
REDIS_PORT=18097
KEY_SECRET='tgw_bench-secret-0123456789abcdef'

BENCH_NAME=routes
source bench/common.sh
require_tools nginx wrk curl dotnet redis-server redis-cli python3
rm -rf "$OUT" && mkdir -p "$OUT/small" "$OUT/large"
build_gateway
start_upstream "$UPSTREAM_PORT"
start_redis "$REDIS_PORT" "$OUT/redis"

# routes_file <count> <generation> <path>: the bench KEY route plus count-1 others; generation changes every
# route's scopes and adds /new-<generation>/, so a reload is a whole new table, not a no-op.
routes_file() {
    python3 - "$1" "$2" "$3" "$UPSTREAM_PORT" <<'PY'
import json, os, sys
count, generation, path, port = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
routes = {
    "bench-key": {"ClusterId": "c0", "Match": {"Path": "/key/{**rest}"}, "Metadata": {"Auth": "key", "Scopes": "bench"}},
    f"new-{generation}": {"ClusterId": "c0", "Match": {"Path": f"/new-{generation}/{{**rest}}"}, "Metadata": {"Auth": "key", "Scopes": "bench"}},
}
for i in range(count - 2):
    route = {"ClusterId": f"c{i % 100}", "Match": {"Path": f"/svc-{i}/{{**rest}}"}}
    if i % 10 == 0:
        route["Match"]["Hosts"] = [f"tenant-{i}.example.test"]
    route["Metadata"] = {"Auth": "public"} if i % 4 == 0 else {"Auth": "key", "Scopes": f"svc-{i % 50}:read gen-{generation}"}
    routes[f"svc-{i}"] = route
clusters = {f"c{i}": {"Destinations": {"d": {"Address": f"http://127.0.0.1:{port}/"}}} for i in range(100)}
with open(path, "w") as f:
    json.dump({"Routes": routes, "Clusters": clusters}, f)
PY
}
routes_file 10 0 "$OUT/small/routes.json"
routes_file "$ROUTES" 0 "$OUT/large/routes.json"
echo "{ \"Keys\": [ { \"Id\": \"bench\", \"Name\": \"Bench\", \"Secret\": \"$KEY_SECRET\", \"Scopes\": [\"bench\"] } ] }" >"$OUT/keys.json"

start_gateway() { # name port
    env DOTNET_TieredPGO=1 DOTNET_gcServer=0 DOTNET_gcConcurrent=0 DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 \
        Logging__LogLevel__Default=Warning Logging__LogLevel__Tribuo.Gateway.Routes=Information \
        Logging__LogLevel__Tribuo.Gateway.Access=None \
        $(published_exe "$BUILD" Tribuo.Gateway) --urls="http://127.0.0.1:$2" --Gateway:RoutesFile="$OUT/$1/routes.json" \
        --Gateway:KeysFile="$OUT/keys.json" --Gateway:DataDir="$OUT/$1/data" --ConnectionStrings:Redis="127.0.0.1:$REDIS_PORT" \
        >"$OUT/$1/gateway.log" 2>&1 &
    PIDS+=($!)
}
status_of() { curl -s -o /dev/null -w '%{http_code}' -H "Authorization: KEY $KEY_SECRET" "$1"; }
wait_200() { # url tries
    local _
    for _ in $(seq "$2"); do [ "$(status_of "$1")" = 200 ] && return 0; sleep 0.02; done
    return 1
}
log "starting two gateways: $ROUTES routes (:$LARGE_PORT) and 10 routes (:$SMALL_PORT)"
start_gateway small "$SMALL_PORT"
start_gateway large "$LARGE_PORT"
wait_200 "http://127.0.0.1:$SMALL_PORT/key/x" 1500 || die "the 10-route gateway does not answer 200"
wait_200 "http://127.0.0.1:$LARGE_PORT/key/x" 1500 || die "the $ROUTES-route gateway does not answer 200"
[ "$(status_of "http://127.0.0.1:$LARGE_PORT/svc-7/x")" = 403 ] || die "a KEY route of the large file does not refuse (403) a key without its scope"

rps() { awk '/Requests\/sec/ { printf "%.0f", $2 }' "$1"; }
p99() { awk '/^[ \t]+99%/ { print $2 }' "$1"; }
load() { # port seconds outfile
    wrk -t1 -c32 -d"$2"s --latency -H "Authorization: KEY $KEY_SECRET" "http://127.0.0.1:$1/key/x" >"$3"
}

log "warm-up"
load "$SMALL_PORT" 8 "$OUT/warmup-small.txt"
load "$LARGE_PORT" 8 "$OUT/warmup-large.txt"
: >"$OUT/ratios.txt"
for round in $(seq "$ROUNDS"); do
    if [ $((round % 2)) = 1 ]; then order="small large"; else order="large small"; fi
    for name in $order; do
        port=$SMALL_PORT; [ "$name" = large ] && port=$LARGE_PORT
        load "$port" "$DURATION" "$OUT/$name-$round.txt"
    done
    ratio=$(awk -v a="$(rps "$OUT/large-$round.txt")" -v b="$(rps "$OUT/small-$round.txt")" 'BEGIN { printf "%.3f", a / b }')
    log "round $round: $ROUTES routes $(rps "$OUT/large-$round.txt") req/s, 10 routes $(rps "$OUT/small-$round.txt") req/s, ratio $ratio"
    echo "$ratio" >>"$OUT/ratios.txt"
done
RATIO=$(median <"$OUT/ratios.txt")
SMALL_RPS=$(for r in $(seq "$ROUNDS"); do rps "$OUT/small-$r.txt"; echo; done | median | awk '{ printf "%.0f", $1 }')
LARGE_RPS=$(for r in $(seq "$ROUNDS"); do rps "$OUT/large-$r.txt"; echo; done | median | awk '{ printf "%.0f", $1 }')

log "reloads of the $ROUTES-route file under load"
RELOAD_SECONDS=$((RELOADS * 4 + 6))
load "$LARGE_PORT" "$RELOAD_SECONDS" "$OUT/reload-load.txt" &
WRK_PID=$!
sleep 3
: >"$OUT/reloads.txt"
for generation in $(seq "$RELOADS"); do
    before=$(grep -c "Reloaded" "$OUT/large/gateway.log" || true)
    routes_file "$ROUTES" "$generation" "$OUT/routes-next.json"
    t0=$(date +%s.%N)
    mv "$OUT/routes-next.json" "$OUT/large/routes.json"   # atomic: the watcher never sees half a file
    wait_200 "http://127.0.0.1:$LARGE_PORT/new-$generation/x" 500 || die "reload $generation never served its new route"
    t1=$(date +%s.%N)
    for _ in $(seq 100); do [ "$(grep -c "Reloaded" "$OUT/large/gateway.log" || true)" -gt "$before" ] && break; sleep 0.02; done
    t2=$(date +%s.%N)
    inside=$(grep "Reloaded" "$OUT/large/gateway.log" | tail -n 1 | sed -n 's/.* in \([0-9]*\) ms.*/\1/p')
    old=$(status_of "http://127.0.0.1:$LARGE_PORT/new-$((generation - 1))/x")
    echo "$generation $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", (b - a) * 1000 }') $old ${inside:-?}" >>"$OUT/reloads.txt"
    log "reload $generation: new route served $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", (b - a) * 1000 }') ms after the rename (the gateway's read, check and publish: ${inside:-?} ms); the previous generation's route now answers $old"
    sleep 3
done
wait "$WRK_PID"
NON2XX=$(awk '/Non-2xx/ { print $NF }' "$OUT/reload-load.txt"); NON2XX=${NON2XX:-0}
SOCKET_ERRORS=$(awk '/Socket errors/ { gsub(",", ""); print $4 + $6 + $8 + $10 }' "$OUT/reload-load.txt"); SOCKET_ERRORS=${SOCKET_ERRORS:-0}
WORST=$(awk '{ print $2 }' "$OUT/reloads.txt" | sort -n | tail -n 1)

{
    echo "Tribuo Gateway route-count benchmark  (wrk -t1 -c32, KEY route, $ROUNDS rounds of ${DURATION}s, A B B A)"
    echo
    printf '%-28s %9s %9s\n' "gateway" "req/s" "p99 (last round)"
    printf '%-28s %9s %9s\n' "10 routes" "$SMALL_RPS" "$(p99 "$OUT/small-$ROUNDS.txt")"
    printf '%-28s %9s %9s\n' "$ROUTES routes" "$LARGE_RPS" "$(p99 "$OUT/large-$ROUNDS.txt")"
    echo
    echo "$ROUTES routes / 10 routes    $RATIO (median of per-round ratios: $(tr '\n' ' ' <"$OUT/ratios.txt"))   yardstick >= 0.95"
    echo "reload of $ROUTES routes      worst ${WORST} ms from rename to the new route's first 200 (150 ms debounce included; each: $(awk '{ printf "%s ms  ", $2 }' "$OUT/reloads.txt"); of which read, check and publish: $(awk '{ printf "%s ms  ", $4 }' "$OUT/reloads.txt"))   yardstick < 1000 ms"
    echo "requests during reloads      $(awk '/requests in/ { print $1 }' "$OUT/reload-load.txt"), non-2xx $NON2XX, socket errors $SOCKET_ERRORS   yardstick 0 and 0"
    echo
    echo "machine  $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo); $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git rev-parse --short HEAD)"
} | tee "$OUT/summary.txt"
