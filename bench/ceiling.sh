#!/usr/bin/env bash
# The forwarding ceiling on this machine (issue 13, items 1 and 2): prints figures, it is not a test.
#
# How fast can anything built on Kestrel forward, against nginx proxy_pass in the same run? Every target sits in
# front of one static nginx upstream and checks the bench key the way haproxy does (exact match), but nginx:
#   nginx              nginx proxy_pass, 2 workers (bench/run.sh's yardstick)
#   yarp               bench/yarp-direct: YARP's IHttpForwarder from one delegate (YARP's own benchmark shape)
#   httpclient         bench/forward-ceiling --Mode=httpclient: .NET's HttpClient handler without YARP
#   sockets            bench/forward-ceiling --Mode=sockets: request written to a pooled socket, a Content-Length
#                      answer copied back; no proxy (nothing validated), the least work forwarding can be
#   key                the gateway's KEY route (Redis store), as shipped
# and each again with Kestrel's UnsafePreferInlineScheduling (`-inline`; the gateway's
# Gateway:Performance:InlineScheduling). Rounds alternate A B B A (ROUNDS, 5; DURATION s each, 8; wrk -t1 -c32);
# each ratio is the median of per-round ratios to nginx. Knobs: ROUNDS, DURATION, SKIP_BUILD=1. Ports 18149-18160.
set -euo pipefail

cd "$(dirname "$0")/.."
OUT="$PWD/bench/out/ceiling"
BUILD="$PWD/bench/out/gateway"
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-8}
UPSTREAM_PORT=18149
NGINX_PORT=18150
REDIS_PORT=18160
KEY_SECRET='tgw_bench-secret-0123456789abcdef'

BENCH_NAME=ceiling
source bench/common.sh
require_tools nginx wrk curl dotnet redis-server redis-cli
rm -rf "$OUT" && mkdir -p "$OUT/wrk"
build_gateway
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    for app in yarp-direct/YarpDirect forward-ceiling/ForwardCeiling; do
        log "dotnet publish (Release) bench/${app%/*}"
        # shellcheck disable=SC2046  # word splitting is the point
        dotnet publish "bench/$app.csproj" $(publish_args) -o "$OUT/../${app%/*}" >"$OUT/build-${app%/*}.log" 2>&1 \
            || { tail -n 30 "$OUT/build-${app%/*}.log" >&2; die "bench/${app%/*} build failed"; }
    done
fi
start_upstream "$UPSTREAM_PORT"
start_nginx_proxy "$NGINX_PORT" "$UPSTREAM_PORT" 2
start_redis "$REDIS_PORT" "$OUT/redis"

# The runtime environment of bench/run.sh's .NET targets.
DOTNET_ENV=(DOTNET_gcServer=0 DOTNET_gcConcurrent=0 DOTNET_GCgen0size=0x4000000 DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1
    Logging__LogLevel__Default=Warning)
declare -A URL=([nginx]="http://127.0.0.1:$NGINX_PORT/key/x")
PORT=$NGINX_PORT
# start_target <name> <command...>: the command gets --urls and --Upstream; <name>-inline is the same with --Inline=true.
start_target() {
    local name=$1 inline; shift
    for inline in false true; do
        PORT=$((PORT + 1))
        local target=$name; [ "$inline" = false ] || target=$name-inline
        env "${DOTNET_ENV[@]}" "$@" --urls="http://127.0.0.1:$PORT" --Upstream="http://127.0.0.1:$UPSTREAM_PORT/" \
            --Key="$KEY_SECRET" --Inline="$inline" >"$OUT/$target.log" 2>&1 &
        PIDS+=($!)
        URL[$target]="http://127.0.0.1:$PORT/key/x"
    done
}
cat >"$OUT/routes.json" <<JSON
{ "Routes": { "bench-key": { "ClusterId": "bench", "Match": { "Path": "/key/{**rest}" }, "Metadata": { "Auth": "key", "Scopes": "bench" } } },
  "Clusters": { "bench": { "Destinations": { "upstream": { "Address": "http://127.0.0.1:$UPSTREAM_PORT/" } } } } }
JSON
echo "{ \"Keys\": [ { \"Id\": \"bench\", \"Name\": \"Bench\", \"Secret\": \"$KEY_SECRET\", \"Scopes\": [\"bench\"] } ] }" >"$OUT/keys.json"
# shellcheck disable=SC2046  # published_exe is a command line
start_target yarp $(published_exe "$OUT/../yarp-direct" YarpDirect)
# shellcheck disable=SC2046
start_target httpclient $(published_exe "$OUT/../forward-ceiling" ForwardCeiling) --Mode=httpclient
# shellcheck disable=SC2046
start_target sockets $(published_exe "$OUT/../forward-ceiling" ForwardCeiling) --Mode=sockets
# The gateway takes its upstream and key from its files (an unknown setting such as --Key would stop it).
for inline in false true; do
    PORT=$((PORT + 1))
    target=key; [ "$inline" = false ] || target=key-inline
    # shellcheck disable=SC2046
    env "${DOTNET_ENV[@]}" Gateway__Performance__InlineScheduling="$inline" $(published_exe "$BUILD" Tribuo.Gateway) \
        --urls="http://127.0.0.1:$PORT" --Gateway:RoutesFile="$OUT/routes.json" --Gateway:KeysFile="$OUT/keys.json" \
        --Gateway:DataDir="$OUT/data-$target" --ConnectionStrings:Redis="127.0.0.1:$REDIS_PORT" >"$OUT/$target.log" 2>&1 &
    PIDS+=($!)
    URL[$target]="http://127.0.0.1:$PORT/key/x"
done

TARGETS=(nginx yarp yarp-inline httpclient httpclient-inline sockets sockets-inline key key-inline)
for target in "${TARGETS[@]}"; do
    for _ in $(seq 100); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: KEY $KEY_SECRET" "${URL[$target]}")" = 200 ] && break
        sleep 0.2
    done
    [ "$(curl -s -o /dev/null -w '%{http_code}' "${URL[$target]}")" != 200 ] || [ "$target" = nginx ] \
        || die "$target answered 200 without the key"
    wrk -t1 -c32 -d3s -H "Authorization: KEY $KEY_SECRET" "${URL[$target]}" >/dev/null
done

for round in $(seq "$ROUNDS"); do
    order=("${TARGETS[@]}")
    if [ $((round % 2)) = 0 ]; then mapfile -t order < <(printf '%s\n' "${TARGETS[@]}" | tac); fi
    for target in "${order[@]}"; do
        wrk -t1 -c32 -d"${DURATION}s" -H "Authorization: KEY $KEY_SECRET" "${URL[$target]}" >"$OUT/wrk/$target-$round.txt"
        grep -q 'Non-2xx\|Socket errors' "$OUT/wrk/$target-$round.txt" && die "$target: errors in round $round (bench/out/ceiling/wrk)"
        log "round $round $target $(awk '/Requests\/sec/ {print $2}' "$OUT/wrk/$target-$round.txt") req/s"
    done
done

rps() { awk '/Requests\/sec/ {print $2}' "$OUT/wrk/$1-$2.txt"; }
{
    echo "bench/ceiling.sh $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD), $ROUNDS rounds of ${DURATION}s, wrk -t1 -c32"
    printf '%-18s %10s %8s\n' target 'req/s' '/ nginx'
    for target in "${TARGETS[@]}"; do
        median_rps=$(for round in $(seq "$ROUNDS"); do rps "$target" "$round"; done | median)
        ratio=$(for round in $(seq "$ROUNDS"); do echo "$(rps "$target" "$round") $(rps nginx "$round")" | awk '{printf "%.3f\n", $1 / $2}'; done | median)
        printf '%-18s %10.0f %8s\n' "$target" "$median_rps" "$ratio"
    done
} | tee "$OUT/summary.txt"
