# Shared by bench/keys.sh and bench/routes.sh (sourced, not run): process bookkeeping, the Release build and
# the static nginx upstream. The sourcing script sets OUT, BUILD and BENCH_NAME first.

source bench/published.sh

PIDS=()
log() { printf '=== [%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'bench/%s: %s\n' "$BENCH_NAME" "$*" >&2; exit 1; }
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    sleep 1
    for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

require_tools() { # tool...
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null 2>&1 || die "$tool not found"
    done
}

# dotnet publish -c Release into $BUILD, unless SKIP_BUILD=1.
build_gateway() {
    [ "${SKIP_BUILD:-0}" != 1 ] || return 0
    log "dotnet publish (Release) -> bench/out/gateway"
    # shellcheck disable=SC2046  # word splitting is the point
    dotnet publish Gateway/Gateway.csproj $(publish_args) -o "$BUILD" >"$OUT/build.log" 2>&1 \
        || { tail -n 30 "$OUT/build.log" >&2; die "build failed"; }
}

# start_upstream <port>: one nginx worker answering 200 "ok" to everything.
start_upstream() {
    local user_line=""
    [ "$(id -u)" -eq 0 ] && user_line="user root;"
    cat >"$OUT/upstream.conf" <<CONF
$user_line
daemon off; worker_processes 1; pid $OUT/upstream.pid; error_log $OUT/upstream.err warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $OUT/t1; proxy_temp_path $OUT/t2; fastcgi_temp_path $OUT/t3; uwsgi_temp_path $OUT/t4; scgi_temp_path $OUT/t5;
    server { listen 127.0.0.1:$1 backlog=4096; location / { default_type text/plain; return 200 "ok\n"; } }
}
CONF
    nginx -p "$OUT" -e "$OUT/upstream.err" -c "$OUT/upstream.conf" >/dev/null 2>&1 &
    PIDS+=($!)
}

# start_nginx_proxy <port> <upstream port> <workers>: nginx proxy_pass as bench/run.sh's yardstick (keepalive 1024,
# HTTP/1.1 upstream, X-Forwarded-For/-Proto/-Host added as the gateway adds them).
start_nginx_proxy() {
    local user_line="" dir="$OUT/nginx-proxy-$1"
    [ "$(id -u)" -eq 0 ] && user_line="user root;"
    mkdir -p "$dir"
    cat >"$dir/nginx.conf" <<CONF
$user_line
daemon off; worker_processes $3; pid $dir/nginx.pid; error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $dir/t1; proxy_temp_path $dir/t2; fastcgi_temp_path $dir/t3; uwsgi_temp_path $dir/t4; scgi_temp_path $dir/t5;
    upstream backend { server 127.0.0.1:$2; keepalive 1024; }
    server {
        listen 127.0.0.1:$1 backlog=4096;
        location / {
            proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection "";
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto \$scheme;
            proxy_set_header X-Forwarded-Host \$host;
        }
    }
}
CONF
    nginx -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" >/dev/null 2>&1 &
    PIDS+=($!)
}

# start_redis <port> <dir>: a throwaway redis-server, no persistence; waits until it answers.
start_redis() {
    mkdir -p "$2"
    redis-server --port "$1" --bind 127.0.0.1 --dir "$2" --save "" --appendonly no --logfile "$2/redis.log" &
    PIDS+=($!)
    local _
    for _ in $(seq 50); do redis-cli -p "$1" ping >/dev/null 2>&1 && return 0; sleep 0.1; done
    die "redis-server :$1 did not start (log: $2/redis.log)"
}

# Median of the numbers on stdin, one per line.
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
