#!/usr/bin/env bash
# `make scale-demo`: two reel nodes on one machine sharing PostgreSQL (control data), ClickHouse
# (events for charts and User Look-Up) and Garage (recordings' objects, S3 API), all started
# here on 127.0.0.1 in one temporary folder and stopped on Ctrl-C or exit. Node A runs
# `reel demo` (the demo shop at /demo/ records into A); node B runs `reel serve` on the same
# backends and serves the UI.
#
#   scripts/scale-demo.sh           start everything, print the URLs and the login, run until Ctrl-C
#   scripts/scale-demo.sh --check   start everything on free ports, upload a demo-shop visit to A as
#                                   the SDK does, check what node B sees of it
#                                   (scripts/scale-demo-check.ts), stop everything; non-zero when a
#                                   check of REQUIRED_ON_B fails
#
# Needs target/release/reel (`make build`) and Garage at $REEL_TOOLS/bin/garage (`make garage`;
# REEL_GARAGE overrides the path); installs Debian's postgresql and clickhouse-server (and curl)
# with apt when missing, as .ci/run does. Settings: NODE_A_PORT (default 8080), NODE_B_PORT
# (default 8081), REEL_DEMO_KEEP=1 keeps the temporary folder after the stop.
set -euo pipefail
cd "$(dirname "$0")/.."

# What node B must see of node A's recording; the check reports every one of the three and
# fails for those listed here:
#   events-on-b         A's events answered by B's User Look-Up (ClickHouse)
#   replay-plays-on-b   A's replay played back by B (the recordings' index in PostgreSQL, the
#                       objects in the shared bucket)
#   replay-listed-on-b  A's replay in B's replay list (replay search on ClickHouse)
REQUIRED_ON_B=(events-on-b replay-plays-on-b replay-listed-on-b)

MODE=demo
case "${1:-}" in
  "") ;;
  --check) MODE=check ;;
  -h | --help)
    sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "scale-demo: unknown argument $1 (--check, --help)" >&2
    exit 2
    ;;
esac

REEL_BIN=target/release/reel
REEL_TOOLS=${REEL_TOOLS:-/var/cache/reel-tools}
GARAGE=${REEL_GARAGE:-$REEL_TOOLS/bin/garage}
BUCKET=reel-demo
PG_USER=reel
PG_PASSWORD=reel-scale-demo
PG_DATABASE=reel
ADMIN_EMAIL=demo@reel.local
ADMIN_PASSWORD=reel-demo
ADMIN_TOKEN=scale-demo-admin-token-4b1d7c0e9a2f
API_KEY=scaledemo0123456789abcdef0123456
# Garage's key ids are GK and 24 hex digits, secrets and the RPC secret 64 hex digits.
S3_KEY_ID=GK5ca1ede0000000000000000a
S3_SECRET=5ca1ede05ca1ede05ca1ede05ca1ede05ca1ede05ca1ede05ca1ede05ca1ede0
RPC_SECRET=d6b07e577a70929b3c82162cd5d7cbce1270fd15b7ceafb57bbdf0de0011c90f

say() { printf '%s\n' "$*"; }
log() { printf 'scale-demo: %s\n' "$*" >&2; }
die() {
  log "$*"
  exit 1
}
requires() {
  local check
  for check in "${REQUIRED_ON_B[@]}"; do [ "$check" = "$1" ] && return 0; done
  return 1
}

# --- what must be there ---------------------------------------------------------------------

[ -x "$REEL_BIN" ] || die "$REEL_BIN is missing: \`make build\` builds it (\`make scale-demo\` does)"
[ -x "$GARAGE" ] || die "Garage is not at $GARAGE: \`make garage\` builds it there (about 15 minutes on two cores), or set REEL_GARAGE"
command -v node >/dev/null 2>&1 || die "Node.js 20 is needed (see README.md)"
[ "$MODE" = demo ] || [ -d node_modules/tsx ] || die "the check runs under tsx: \`npm ci\` first (\`make build\` does)"

need=()
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql)
[ -x "${REEL_CLICKHOUSE_SERVER:-/usr/sbin/clickhouse-server}" ] || need+=(clickhouse-server)
command -v curl >/dev/null 2>&1 || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]} with apt"
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi
PG_BIN=${REEL_PG_BIN:-$(find /usr/lib/postgresql -path '*/bin/postgres' -printf '%h\n' | sort -V | tail -n 1)}
CLICKHOUSE=${REEL_CLICKHOUSE_SERVER:-/usr/sbin/clickhouse-server}

# --- the temporary folder, and stopping everything ------------------------------------------

ROOT=$(mktemp -d "${TMPDIR:-/tmp}/reel-scale-demo.XXXXXX")
# PostgreSQL runs as the postgres user when we are root: it must reach its folder below.
chmod 755 "$ROOT"
LOGS=$ROOT/logs
mkdir -p "$LOGS"
say "scale-demo: everything lives in $ROOT (logs in $LOGS)"

NODE_PIDS=()
GARAGE_PID=
CLICKHOUSE_PID=
PG_PID=
FAILED=0

# Waits up to $2 seconds for pid $1 to end.
wait_for_exit() {
  local deadline=$((SECONDS + $2))
  while kill -0 "$1" 2>/dev/null; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

stop_all() {
  local status=$?
  trap - EXIT INT TERM
  # 130 and 143: stopped by Ctrl-C or SIGTERM, as a demo is.
  case $status in 0 | 130 | 143) ;; *) FAILED=1 ;; esac
  say "scale-demo: stopping"
  local pid
  for pid in "${NODE_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${NODE_PIDS[@]}"; do
    wait_for_exit "$pid" 15 || kill -KILL "$pid" 2>/dev/null || true
  done
  if [ -n "$GARAGE_PID" ]; then
    kill -TERM "$GARAGE_PID" 2>/dev/null || true
    wait_for_exit "$GARAGE_PID" 15 || kill -KILL "$GARAGE_PID" 2>/dev/null || true
  fi
  if [ -n "$CLICKHOUSE_PID" ]; then
    kill -TERM "$CLICKHOUSE_PID" 2>/dev/null || true
    wait_for_exit "$CLICKHOUSE_PID" 30 || kill -KILL "$CLICKHOUSE_PID" 2>/dev/null || true
  fi
  if [ -n "$PG_PID" ]; then
    # The postmaster is runuser's child when we are root: signal it by its pid file
    # (SIGINT: fast shutdown).
    local postmaster
    postmaster=$(head -n 1 "$ROOT/postgres/data/postmaster.pid" 2>/dev/null || true)
    [ -z "$postmaster" ] || kill -INT "$postmaster" 2>/dev/null || true
    wait_for_exit "$PG_PID" 30 || kill -KILL "$PG_PID" 2>/dev/null || true
  fi
  if [ "$FAILED" -ne 0 ] || [ "${REEL_DEMO_KEEP:-0}" = 1 ]; then
    say "scale-demo: kept $ROOT (logs in $LOGS)"
  else
    rm -rf "$ROOT"
    say "scale-demo: stopped; removed $ROOT"
  fi
  exit "$status"
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- helpers ----------------------------------------------------------------------------------

free_port() {
  node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

# until WHAT SECONDS PID LOG COMMAND…: runs COMMAND until it succeeds; fails when PID (the
# server being waited for) exits first or SECONDS pass, showing the end of LOG.
until_ready() {
  local what=$1 seconds=$2 pid=$3 logfile=$4
  shift 4
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 20 "$logfile" >&2 || true
      die "$what exited while starting (log: $logfile)"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      tail -n 20 "$logfile" >&2 || true
      die "$what did not answer within $seconds s (log: $logfile)"
    fi
    sleep 0.2
  done
}

is_root() { [ "$(id -u)" -eq 0 ]; }
as_postgres() {
  if is_root; then runuser -u postgres -- "$@"; else "$@"; fi
}
# The servers and nodes run in sessions of their own: Ctrl-C reaches only this script, which
# stops the nodes first and the servers they use after them.

# --- PostgreSQL: control data ---------------------------------------------------------------

start_postgres() {
  local dir=$ROOT/postgres
  mkdir -p "$dir"
  printf '%s' "$PG_PASSWORD" >"$dir/pw"
  if is_root; then chown -R postgres:postgres "$dir"; fi
  as_postgres "$PG_BIN/initdb" -D "$dir/data" -U "$PG_USER" -A scram-sha-256 -E UTF8 --no-sync \
    --pwfile="$dir/pw" >"$LOGS/postgres-initdb.log" 2>&1 ||
    die "initdb failed (log: $LOGS/postgres-initdb.log)"
  PG_PORT=$(free_port)
  local as_pg=()
  if is_root; then as_pg=(runuser -u postgres --); fi
  setsid "${as_pg[@]}" "$PG_BIN/postgres" -D "$dir/data" -p "$PG_PORT" -c listen_addresses=127.0.0.1 \
    -c unix_socket_directories="$dir" </dev/null >"$LOGS/postgres.log" 2>&1 &
  PG_PID=$!
  until_ready PostgreSQL 60 "$PG_PID" "$LOGS/postgres.log" \
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"
  PGPASSWORD=$PG_PASSWORD "$PG_BIN/psql" -q -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d postgres \
    -c "CREATE DATABASE $PG_DATABASE" >>"$LOGS/postgres.log" 2>&1 ||
    die "cannot create the database (log: $LOGS/postgres.log)"
  DATABASE_URL=postgres://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_DATABASE
}

# --- ClickHouse: events for charts and User Look-Up -----------------------------------------

start_clickhouse() {
  local dir=$ROOT/clickhouse
  mkdir -p "$dir"
  CH_PORT=$(free_port)
  local tcp_port
  tcp_port=$(free_port)
  # The TCP port must be set, or the server takes 9000; nothing replicates, so no interserver port.
  cat >"$dir/config.xml" <<EOF
<yandex>
  <logger><level>warning</level><console>1</console></logger>
  <http_port>$CH_PORT</http_port>
  <tcp_port>$tcp_port</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>$dir/data/</path>
  <tmp_path>$dir/data/tmp/</tmp_path>
  <user_files_path>$dir/data/user_files/</user_files_path>
  <format_schema_path>$dir/data/format_schemas/</format_schema_path>
  <mark_cache_size>67108864</mark_cache_size>
  <users_config>$dir/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
</yandex>
EOF
  cat >"$dir/users.xml" <<'EOF'
<yandex>
  <profiles><default></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks>
    <profile>default</profile><quota>default</quota></default></users>
  <quotas><default></default></quotas>
</yandex>
EOF
  (cd "$dir" && exec setsid "$CLICKHOUSE" --config-file="$dir/config.xml") </dev/null >"$LOGS/clickhouse.log" 2>&1 &
  CLICKHOUSE_PID=$!
  until_ready ClickHouse 60 "$CLICKHOUSE_PID" "$LOGS/clickhouse.log" \
    curl -fsS --max-time 2 "http://127.0.0.1:$CH_PORT/ping"
  EVENTS_URL=clickhouse://127.0.0.1:$CH_PORT/reel
}

# --- Garage: recordings' objects (S3 API) ---------------------------------------------------

garage() { "$GARAGE" -c "$ROOT/garage/garage.toml" "$@"; }

start_garage() {
  local dir=$ROOT/garage
  mkdir -p "$dir"
  S3_PORT=$(free_port)
  local rpc_port
  rpc_port=$(free_port)
  cat >"$dir/garage.toml" <<EOF
metadata_dir = "$dir/meta"
data_dir = "$dir/data"
db_engine = "sqlite"
replication_factor = 1
rpc_bind_addr = "127.0.0.1:$rpc_port"
rpc_public_addr = "127.0.0.1:$rpc_port"
rpc_secret = "$RPC_SECRET"
[s3_api]
s3_region = "us-east-1"
api_bind_addr = "127.0.0.1:$S3_PORT"
root_domain = ".s3.garage.localhost"
EOF
  setsid "$GARAGE" -c "$dir/garage.toml" server </dev/null >"$LOGS/garage.log" 2>&1 &
  GARAGE_PID=$!
  until_ready Garage 60 "$GARAGE_PID" "$LOGS/garage.log" garage status
  local node
  node=$(garage node id -q 2>>"$LOGS/garage.log")
  node=${node%%@*}
  {
    garage layout assign -z dc1 -c 1G "$node"
    garage layout apply --version 1
    garage key import --yes "$S3_KEY_ID" "$S3_SECRET" -n reel
    garage bucket create "$BUCKET"
    garage bucket allow --read --write --owner "$BUCKET" --key reel
  } >>"$LOGS/garage.log" 2>&1 || die "setting up Garage's layout, key and bucket failed (log: $LOGS/garage.log)"
  # Any HTTP answer (an anonymous request is refused) means the S3 API listens.
  until_ready "Garage's S3 API" 30 "$GARAGE_PID" "$LOGS/garage.log" \
    curl -sS --max-time 2 -o /dev/null "http://127.0.0.1:$S3_PORT/"
  S3_ENDPOINT=http://127.0.0.1:$S3_PORT
}

# --- the two nodes ----------------------------------------------------------------------------

# start_node NAME COMMAND PORT PREFIX: the reel binary on the shared backends, its own data dir.
start_node() {
  local name=$1 command=$2 port=$3 prefix=$4
  env REEL_DATABASE_URL="$DATABASE_URL" REEL_EVENTS_URL="$EVENTS_URL" \
    REEL_BLOB_URL="s3://$BUCKET/$prefix" AWS_ENDPOINT_URL="$S3_ENDPOINT" AWS_REGION=us-east-1 \
    AWS_ACCESS_KEY_ID="$S3_KEY_ID" AWS_SECRET_ACCESS_KEY="$S3_SECRET" \
    REEL_ADMIN_EMAIL="$ADMIN_EMAIL" REEL_ADMIN_PASSWORD="$ADMIN_PASSWORD" \
    REEL_ADMIN_TOKEN="$ADMIN_TOKEN" REEL_API_KEY="$API_KEY" \
    setsid "$REEL_BIN" "$command" --listen "127.0.0.1:$port" --data-dir "$ROOT/$name" \
    </dev/null >"$LOGS/$name.log" 2>&1 &
  local pid=$!
  NODE_PIDS+=("$pid")
  # reel demo seeds its sessions before it serves: give it time.
  until_ready "$name" 120 "$pid" "$LOGS/$name.log" \
    curl -fsS --max-time 2 "http://127.0.0.1:$port/healthz"
}

if [ "$MODE" = check ]; then
  PORT_A=$(free_port)
  PORT_B=$(free_port)
else
  PORT_A=${NODE_A_PORT:-8080}
  PORT_B=${NODE_B_PORT:-8081}
  for port in "$PORT_A" "$PORT_B"; do
    if curl -s --max-time 2 -o /dev/null "http://127.0.0.1:$port/"; then
      die "port $port is taken: set NODE_A_PORT / NODE_B_PORT"
    fi
  done
fi
# One prefix for both: the recordings' index in PostgreSQL names every node's objects, so no
# node's orphan sweep takes another's.
PREFIX_A=recordings PREFIX_B=recordings

say "scale-demo: starting PostgreSQL, ClickHouse and Garage"
start_postgres
start_clickhouse
start_garage
say "scale-demo: starting node A (reel demo: seeds the demo sessions first) and node B (reel serve)"
start_node node-a demo "$PORT_A" "$PREFIX_A"
# B starts once A made the installation: it joins A's organization, project, key and admin.
start_node node-b serve "$PORT_B" "$PREFIX_B"
A=http://127.0.0.1:$PORT_A
B=http://127.0.0.1:$PORT_B

cat <<EOF

reel on two nodes, sharing PostgreSQL, ClickHouse and Garage:
  node A  $A   reel demo   the demo shop $A/demo/ records into node A
  node B  $B   reel serve  the UI: $B/replays, $B/charts, $B/users, $B/dashboards
  login   $ADMIN_EMAIL / $ADMIN_PASSWORD  (also manager@, member@ and viewer@reel.local, same password)
  ingestion key $API_KEY, API token $ADMIN_TOKEN
  shared  PostgreSQL 127.0.0.1:$PG_PORT (database $PG_DATABASE; user $PG_USER / $PG_PASSWORD),
          ClickHouse http://127.0.0.1:$CH_PORT (database reel),
          Garage S3 $S3_ENDPOINT (bucket $BUCKET; A under $PREFIX_A/, B under $PREFIX_B/)
  on B: every replay recorded through A, listed, searchable and played; A's events in charts,
          dashboards and User Look-Up
  logs    $LOGS/{node-a,node-b,postgres,clickhouse,garage}.log
EOF

if [ "$MODE" = check ]; then
  say ""
  NODE_A_URL=$A NODE_B_URL=$B REEL_DEMO_API_KEY=$API_KEY REEL_DEMO_ADMIN_TOKEN=$ADMIN_TOKEN \
    REEL_DEMO_REQUIRED="${REQUIRED_ON_B[*]}" node --import tsx scripts/scale-demo-check.ts
  exit 0
fi

say "  stop    Ctrl-C stops the nodes and the servers and deletes $ROOT (REEL_DEMO_KEEP=1 keeps it)"
# Runs until Ctrl-C, or until a node exits on its own (a failure: shown, then everything stops).
set +e
wait -n "${NODE_PIDS[@]}"
status=$?
set -e
die "a node exited (status $status): see $LOGS/node-a.log and $LOGS/node-b.log"
