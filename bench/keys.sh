#!/usr/bin/env bash
# Tribuo Gateway key-count and memory benchmark (issue 13, items 3 and 4): prints figures, it is not a test.
#
# Two gateways of one build, each on its own Redis, in front of one static nginx upstream, KEY route, wrk -t1 -c32:
#   one-key/10      traffic on one key, 10 keys in the first gateway's Redis
#   one-key/N       traffic on one key, N keys (KEYS, 1,000,000) in the second gateway's Redis
#   rotate/R        the second gateway, traffic rotating over R distinct keys (ROTATE, 10,000; each a real key,
#                   each request another)
#   rss             the second gateway's resident set after MEMORY_SECONDS (60) of one-key load, and after
#                   rotating over BIG_ROTATE (200,000) keys
# ROUNDS (4) rounds of the three throughput runs, in alternating order (10, N, rotate / rotate, N, 10): each
# figure is the median of per-round ratios, so the machine's drift from minute to minute cancels out.
# Keys are written straight into Redis in the gateway's own layout (tgw:key:<sha256 hex of the secret>, copied
# from a key the gateway imported itself, with its own id and hash), so loading a million takes seconds.
# Knobs: KEYS, ROTATE, BIG_ROTATE, ROUNDS, DURATION (s per wrk run, 10), MEMORY_SECONDS (60), SKIP_BUILD=1 (reuse
# bench/out/gateway), BENCH_GATEWAY_ARGS (extra --Setting=value words for both gateways), BENCH_GATEWAY_ENV (extra VAR=value words). Ports 18089-18093.
set -euo pipefail

cd "$(dirname "$0")/.."
OUT="$PWD/bench/out/keys"
BUILD="$PWD/bench/out/gateway"
KEYS=${KEYS:-1000000}
ROTATE=${ROTATE:-10000}
BIG_ROTATE=${BIG_ROTATE:-200000}
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-4}
MEMORY_SECONDS=${MEMORY_SECONDS:-60}
SMALL_GATEWAY_PORT=18089
SMALL_REDIS_PORT=18090
UPSTREAM_PORT=18091
GATEWAY_PORT=18092
REDIS_PORT=18093
KEY_SECRET='tgw_bench-secret-0123456789abcdef'

BENCH_NAME=keys
source bench/common.sh
[ "$ROTATE" -le "$KEYS" ] && [ "$BIG_ROTATE" -le "$KEYS" ] || die "ROTATE ($ROTATE) and BIG_ROTATE ($BIG_ROTATE) must not exceed KEYS ($KEYS): unknown keys would be measured"
require_tools nginx wrk curl dotnet redis-server redis-cli python3
rm -rf "$OUT" && mkdir -p "$OUT/data" "$OUT/small-data"
build_gateway
start_upstream "$UPSTREAM_PORT"
start_redis "$REDIS_PORT" "$OUT/redis"
start_redis "$SMALL_REDIS_PORT" "$OUT/small-redis"

cat >"$OUT/routes.json" <<JSON
{ "Routes": { "bench-key": { "ClusterId": "bench", "Match": { "Path": "/key/{**rest}" }, "Metadata": { "Auth": "key", "Scopes": "bench" } } },
  "Clusters": { "bench": { "Destinations": { "upstream": { "Address": "http://127.0.0.1:$UPSTREAM_PORT/" } } } } }
JSON
python3 - "$OUT/keys.json" "$KEY_SECRET" <<'PY'
import json, sys
keys = [{"Id": "bench", "Name": "Bench", "Secret": sys.argv[2], "Scopes": ["bench"]}]
keys.append({"Id": "metrics", "Name": "Metrics", "Secret": sys.argv[2] + "-metrics", "Scopes": ["gateway:metrics"]})
keys += [{"Id": f"small-{i}", "Name": "Small", "Secret": f"tgw_small-{i:04d}-0123456789abcdef", "Scopes": ["bench"]} for i in range(9)]
json.dump({"Keys": keys}, open(sys.argv[1], "w"))
PY

# shellcheck disable=SC2206  # word splitting is the point
EXTRA_ARGS=(${BENCH_GATEWAY_ARGS:-})
# shellcheck disable=SC2206
EXTRA_ENV=(${BENCH_GATEWAY_ENV:-})
start_gateway() { # port redis-port data-dir log
    env DOTNET_TieredPGO=1 DOTNET_gcServer=0 DOTNET_gcConcurrent=0 DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 \
        Logging__LogLevel__Default=Warning "${EXTRA_ENV[@]}" \
        $(published_exe "$BUILD" Tribuo.Gateway) --urls="http://127.0.0.1:$1" --Gateway:RoutesFile="$OUT/routes.json" \
        --Gateway:KeysFile="$OUT/keys.json" --Gateway:DataDir="$3" --ConnectionStrings:Redis="127.0.0.1:$2" "${EXTRA_ARGS[@]}" >"$4" 2>&1 &
    PIDS+=($!)
}
wait_200() { # url
    local _
    for _ in $(seq 150); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: KEY $KEY_SECRET" "$1")" = 200 ] && return 0
        sleep 0.2
    done
    return 1
}
log "starting two gateways: :$SMALL_GATEWAY_PORT on 10 keys, :$GATEWAY_PORT on $KEYS keys"
start_gateway "$SMALL_GATEWAY_PORT" "$SMALL_REDIS_PORT" "$OUT/small-data" "$OUT/small-gateway.log"
start_gateway "$GATEWAY_PORT" "$REDIS_PORT" "$OUT/data" "$OUT/gateway.log"
GATEWAY_PID=$!
URL="http://127.0.0.1:$GATEWAY_PORT/key/x"
SMALL_URL="http://127.0.0.1:$SMALL_GATEWAY_PORT/key/x"
wait_200 "$URL" || die "the gateway does not answer 200 with the key"
wait_200 "$SMALL_URL" || die "the 10-key gateway does not answer 200 with the key"

# The runtime's own account of its memory, from /metrics: GC heap by generation after the last collection,
# committed memory, collections. Where an RSS figure goes.
gc_figures() {
    curl -s --max-time 5 -H "Authorization: KEY $KEY_SECRET-metrics" "http://127.0.0.1:$GATEWAY_PORT/metrics" | awk '
        /^dotnet_gc_last_collection_heap_size_bytes\{/ { match($0, /generation="[^"]+"/); g = substr($0, RSTART + 12, RLENGTH - 13); heap = heap sprintf(" %s %.0f", g, $NF / 1048576) }
        /^dotnet_gc_last_collection_heap_fragmentation_size_bytes\{/ { free += $NF / 1048576 }
        /^dotnet_gc_last_collection_memory_committed_size_bytes/ { committed = $NF / 1048576 }
        /^dotnet_gc_collections_total\{/ { match($0, /generation="[^"]+"/); g = substr($0, RSTART + 12, RLENGTH - 13); gcs = gcs sprintf(" %s %d", g, $NF) }
        END { printf "GC heap MB:%s; free in it %.0f MB; committed %.0f MB; collections:%s", heap, free, committed, gcs }'
}
rss_mb() { awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$GATEWAY_PID/status"; }
hwm_mb() { awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$GATEWAY_PID/status"; }
rps() { awk '/Requests\/sec/ { printf "%.0f", $2 }' "$1"; }
p99() { awk '/^[ \t]+99%/ { print $2 }' "$1"; }
non2xx() { awk '/Non-2xx/ { print $NF }' "$1"; }
one_key() { # seconds outfile [url]
    wrk -t1 -c32 -d"$1"s --latency -H "Authorization: KEY $KEY_SECRET" "${3:-$URL}" >"$2"
}
cat >"$OUT/rotate.lua" <<'LUA'
local n = tonumber(os.getenv("ROTATE"))
local i = 0
request = function()
  i = (i % n) + 1
  return wrk.format(nil, nil, { ["Authorization"] = string.format("KEY tgw_k%08d-0123456789abcdef", i) })
end
LUA
rotate() { # keys seconds outfile
    ROTATE=$1 wrk -t1 -c32 -d"$2"s --latency -s "$OUT/rotate.lua" "$URL" >"$3"
}


log "writing $KEYS keys into Redis"
template=$(redis-cli -p "$REDIS_PORT" --raw hgetall "tgw:key:$(printf '%s' "$KEY_SECRET" | sha256sum | cut -d' ' -f1)")
[ -n "$template" ] || die "the bench key is not in Redis as tgw:key:<sha256>: the layout changed, update bench/keys.sh"
TEMPLATE="$template" python3 - "$KEYS" <<'PY' | redis-cli -p "$REDIS_PORT" --pipe >"$OUT/load.log"
import hashlib, os, sys
fields = os.environ["TEMPLATE"].split("\n")
pairs = dict(zip(fields[0::2], fields[1::2]))
def resp(*args):
    out = [f"*{len(args)}\r\n"]
    for a in args:
        b = str(a).encode()
        out.append(f"${len(b)}\r\n")
        out.append(b.decode() + "\r\n")
    return "".join(out)
w = sys.stdout
for i in range(1, int(sys.argv[1]) + 1):
    key_id = f"k{i:08d}"
    secret = f"tgw_k{i:08d}-0123456789abcdef"
    sha = hashlib.sha256(secret.encode()).hexdigest()
    record = dict(pairs)
    for name in record:
        if name.lower() == "id":
            record[name] = key_id
        elif name.lower() == "sha256":
            record[name] = sha
    args = ["HSET", f"tgw:key:{sha}"]
    for k, v in record.items():
        args += [k, v]
    w.write(resp(*args))
    w.write(resp("SET", f"tgw:key-id:{key_id}", sha))
    w.write(resp("SADD", "tgw:keys", key_id))
PY
tail -n 2 "$OUT/load.log" >&2
log "Redis holds $(redis-cli -p "$REDIS_PORT" dbsize) entries, $(redis-cli -p "$REDIS_PORT" info memory | awk -F: '/^used_memory_human/ { print $2 }' | tr -d '\r')"

log "warm-up of both gateways and of the rotation"
one_key 10 "$OUT/warmup-small.txt" "$SMALL_URL"
one_key 10 "$OUT/warmup.txt"
rotate "$ROTATE" 10 "$OUT/rotate-warmup.txt"
: >"$OUT/ratios.txt"
for round in $(seq "$ROUNDS"); do
    if [ $((round % 2)) = 1 ]; then order="small big rotate"; else order="rotate big small"; fi
    for run in $order; do
        case $run in
            small) one_key "$DURATION" "$OUT/one-small-$round.txt" "$SMALL_URL" ;;
            big) one_key "$DURATION" "$OUT/one-big-$round.txt" ;;
            rotate) rotate "$ROTATE" "$DURATION" "$OUT/rotate-$round.txt" ;;
        esac
    done
    big=$(rps "$OUT/one-big-$round.txt"); small=$(rps "$OUT/one-small-$round.txt"); rot=$(rps "$OUT/rotate-$round.txt")
    echo "$(awk -v a="$big" -v b="$small" 'BEGIN { printf "%.3f", a / b }') $(awk -v a="$rot" -v b="$big" 'BEGIN { printf "%.3f", a / b }')" >>"$OUT/ratios.txt"
    log "round $round: 10 keys $small req/s, $KEYS keys $big req/s, rotating over $ROTATE keys $rot req/s"
done
BIG_SMALL=$(awk '{ print $1 }' "$OUT/ratios.txt" | median)
ROTATE_BIG=$(awk '{ print $2 }' "$OUT/ratios.txt" | median)
median_rps() { for r in $(seq "$ROUNDS"); do rps "$OUT/$1-$r.txt"; echo; done | median | awk '{ printf "%.0f", $1 }'; }

log "memory: $MEMORY_SECONDS s on one key"
one_key "$MEMORY_SECONDS" "$OUT/memory-one.txt"
RSS_ONE=$(rss_mb)
HWM_ONE=$(hwm_mb)
GC_ONE=$(gc_figures)
log "memory: rotating over $BIG_ROTATE keys for $MEMORY_SECONDS s"
rotate "$BIG_ROTATE" "$MEMORY_SECONDS" "$OUT/memory-rotate.txt"
RSS_BIG=$(rss_mb)
HWM_BIG=$(hwm_mb)
GC_BIG=$(gc_figures)
one_key "$DURATION" "$OUT/one-after.txt"

{
    echo "Tribuo Gateway key-count and memory benchmark  (wrk -t1 -c32, KEY route, keys in Redis)"
    echo
    printf '%-34s %9s %9s %8s\n' run "req/s" "p99" "non-2xx"
    for f in one-small one-big rotate; do
        printf '%-34s %9s %9s %8s\n' "$f (median)" "$(median_rps "$f")" "$(p99 "$OUT/$f-$ROUNDS.txt")" "$(non2xx "$OUT/$f-$ROUNDS.txt")"
    done
    for f in memory-one memory-rotate one-after; do
        printf '%-34s %9s %9s %8s\n' "$f" "$(rps "$OUT/$f.txt")" "$(p99 "$OUT/$f.txt")" "$(non2xx "$OUT/$f.txt")"
    done
    echo
    echo "one key, $KEYS keys / 10 keys          $BIG_SMALL (per round: $(awk '{ printf "%s ", $1 }' "$OUT/ratios.txt"))   yardstick 0.95-1.05"
    echo "rotating over $ROTATE keys / one key   $ROTATE_BIG (per round: $(awk '{ printf "%s ", $2 }' "$OUT/ratios.txt"))   yardstick >= 0.80"
    echo "RSS after ${MEMORY_SECONDS}s on one key         ${RSS_ONE} MB (high-water ${HWM_ONE} MB)   yardstick <= 120 MB"
    echo "RSS after rotating over $BIG_ROTATE keys   ${RSS_BIG} MB (high-water ${HWM_BIG} MB)   yardstick <= 250 MB"
    echo "  after one key:  $GC_ONE"
    echo "  after rotating: $GC_BIG"
    echo
    echo "machine  $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo); $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git rev-parse --short HEAD)"
} | tee "$OUT/summary.txt"
