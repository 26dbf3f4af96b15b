#!/usr/bin/env bash
# The local stack: installs (first time) and starts, on 127.0.0.1, the real servers the pipeline
# talks to, for machines without a Docker engine (development and CI). See stack/README.md.
#
#   stack.sh up [server...]      install what is missing (and docker-compose, for the tests),
#                                start what is not running, wait until ready
#   stack.sh down [server...]    stop what this script started
#   stack.sh status              one line per server
#   stack.sh logs [server]       where the logs are, or the tail of one
#   stack.sh token [role]        a JWT for the broker's token auth (sub = role, default admin)
#   stack.sh env                 export lines pointing tests and tools at this stack (a second
#                                stack beside the first: see STACK_PORT_OFFSET below)
#
# Servers: pulsar clickhouse redis nats s3 zipkin; on demand only (named in `up`):
# redis-cluster zookeeper clickhouse-cluster. Data, logs and pid files live under $IOT_STACK_DIR
# (default ~/.local/state/iot-pipeline/stack), outside every checkout.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STACK_SRC="$ROOT/stack"
# One stack per machine, shared by every checkout (a fresh clone finds the servers already up).
STACK_DIR="${IOT_STACK_DIR:-$HOME/.local/state/iot-pipeline/stack}"
LOG_DIR="$STACK_DIR/logs"
RUN_DIR="$STACK_DIR/run"

PULSAR_VERSION="4.2.4"
S3PROXY_VERSION="3.0.0"
ZIPKIN_VERSION="3.5.1"
# STACK_PORT_OFFSET moves every port by the same amount, so a second stack (another
# IOT_STACK_DIR) can run beside the first: `stack.sh env` prints the variables that point the
# tests and the tools at it. For work that restarts or reconfigures servers (the chaos run,
# auth changes) without disturbing what else runs on the machine.
OFFSET="${STACK_PORT_OFFSET:-0}"
[[ "$OFFSET" =~ ^[0-9]+$ ]] || { echo "stack: error: STACK_PORT_OFFSET must be a number (got '$OFFSET')" >&2; exit 1; }
PULSAR_PORT=$((6650 + OFFSET))
PULSAR_TLS_PORT=$((6651 + OFFSET))
PULSAR_ADMIN_PORT=$((8080 + OFFSET))
PULSAR_ADMIN_TLS_PORT=$((8443 + OFFSET))
PULSAR_ZOOKEEPER_PORT=$((2181 + OFFSET))
PULSAR_BOOKIE_PORT=$((3181 + OFFSET))
# The broker's TLS certificate (signed by a local CA) and the token auth secret, made once.
PULSAR_TLS_DIR="$STACK_DIR/pulsar/tls"
PULSAR_TOKEN_DIR="$STACK_DIR/pulsar/token"
CLICKHOUSE_HTTP_PORT=$((8123 + OFFSET))
CLICKHOUSE_TCP_PORT=$((9000 + OFFSET))
REDIS_PORT="${STACK_REDIS_PORT:-$((6380 + OFFSET))}"
NATS_PORT=$((4222 + OFFSET))
S3_PORT=$((9100 + OFFSET))
S3_BUCKET="${S3_BUCKET:-iot-checkpoints}"
ZIPKIN_PORT=$((9411 + OFFSET))
# The on-demand cluster servers (not started by a plain `up`; see "Clusters" in stack/README.md).
REDIS_CLUSTER_PORTS=($((7101 + OFFSET)) $((7102 + OFFSET)) $((7103 + OFFSET)))
# Redis Cluster's bus port defaults to port + 10000, which a stack at offset 10000 would use
# for its clients: set it explicitly.
REDIS_CLUSTER_BUS_PORTS=($((7201 + OFFSET)) $((7202 + OFFSET)) $((7203 + OFFSET)))
# Not 2181: Pulsar standalone's own metadata ZooKeeper port.
ZOOKEEPER_PORT=$((2281 + OFFSET))
CLICKHOUSE_CLUSTER_HTTP_PORTS=($((8124 + OFFSET)) $((8125 + OFFSET)))
CLICKHOUSE_CLUSTER_TCP_PORTS=($((9001 + OFFSET)) $((9002 + OFFSET)))
CLICKHOUSE_CLUSTER_INTERSERVER_PORTS=($((9011 + OFFSET)) $((9012 + OFFSET)))
# Heap for a 2-core, 24 GiB machine that also runs ClickHouse and the pipeline.
PULSAR_JAVA_OPTS="${PULSAR_JAVA_OPTS:--Xms512m -Xmx1536m -XX:MaxDirectMemorySize=1536m -XX:+UseG1GC}"

ALL_SERVERS=(pulsar clickhouse redis nats s3 zipkin)
# Started only when named (`up redis-cluster`), by the tests that need them.
ON_DEMAND_SERVERS=(redis-cluster zookeeper clickhouse-cluster)

mkdir -p "$LOG_DIR" "$RUN_DIR"

say() { printf '%s\n' "stack: $*" >&2; }
die() { printf '%s\n' "stack: error: $*" >&2; exit 1; }

# --- helpers -----------------------------------------------------------------------------

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pid_of() { # pid recorded for a server we started, if that process still runs
  local f="$RUN_DIR/$1.pid"
  [[ -f "$f" ]] || return 1
  local pid
  pid="$(cat "$f")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && { echo "$pid"; return 0; }
  return 1
}

apt_updated=0
apt_install() { # apt_install PACKAGE...: Debian packages, `apt-get update` once per run
  if [[ $apt_updated -eq 0 ]]; then
    say "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$LOG_DIR/apt.log" 2>&1 ||
      die "apt-get update failed; see $LOG_DIR/apt.log"
    apt_updated=1
  fi
  say "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >>"$LOG_DIR/apt.log" 2>&1 ||
    die "apt-get install $* failed; see $LOG_DIR/apt.log"
}

members_of() { # the pid files of a server: one, or one per process of a cluster
  case "$1" in
  redis-cluster) echo redis-cluster-1 redis-cluster-2 redis-cluster-3 ;;
  clickhouse-cluster) echo clickhouse-cluster-1 clickhouse-cluster-2 ;;
  *) echo "$1" ;;
  esac
}

server_pids() { # pids of every process of a server we started; fails unless all still run
  local m pids=()
  for m in $(members_of "$1"); do pids+=("$(pid_of "$m")") || return 1; done
  echo "${pids[*]}"
}

fn_of() { echo "${1//-/_}"; } # the function prefix of a server: redis-cluster → redis_cluster

log_of() { # where a server logs: one file, or one per process of a cluster
  if [[ "$(members_of "$1")" == "$1" ]]; then echo "$LOG_DIR/$1.log"; else echo "$LOG_DIR/$1-*.log"; fi
}

wait_until() { # wait_until NAME TIMEOUT_S CHECK_FN: poll until ready, else name the server and its log
  local name="$1" timeout="$2" check="$3" start=$SECONDS
  while ! "$check"; do
    if ! server_pids "$name" >/dev/null && [[ "$name" != nats ]]; then
      die "$name exited while starting; see $(log_of "$name")"
    fi
    if ((SECONDS - start > timeout)); then
      die "$name did not become ready within ${timeout}s; see $(log_of "$name")"
    fi
    sleep 1
  done
}

start_bg() { # start_bg NAME CWD CMD...: start a server in the background, record its pid
  local name="$1" cwd="$2"
  shift 2
  (cd "$cwd" && exec setsid "$@" >>"$LOG_DIR/$name.log" 2>&1 </dev/null) &
  echo $! >"$RUN_DIR/$name.pid"
}

maven_jar() { # maven_jar NAME WHAT GROUP:ARTIFACT:VERSION:jar:CLASSIFIER JAR: one jar from Maven Central, once
  local name="$1" what="$2" artifact="$3" jar="$4"
  [[ -f "$jar" ]] && return 0
  command -v mvn >/dev/null || die "Maven (mvn) is needed to fetch $what from Maven Central"
  say "fetching $what from Maven Central"
  mkdir -p "$(dirname "$jar")"
  mvn -q -B -s "$STACK_SRC/pulsar/settings.xml" dependency:copy -Dartifact="$artifact" \
    -DoutputDirectory="$(dirname "$jar")" >"$LOG_DIR/$name-install.log" 2>&1 ||
    die "fetching $what failed; see $LOG_DIR/$name-install.log"
}

# --- Pulsar ------------------------------------------------------------------------------

pulsar_ready() {
  # The broker health check produces and consumes on a heartbeat topic: a real round trip.
  [[ "$(curl -s -m 10 -o /dev/null -w '%{http_code}' \
    "http://127.0.0.1:$PULSAR_ADMIN_PORT/admin/v2/brokers/health")" == 200 ]]
}

pulsar_install() {
  local lib="$STACK_DIR/pulsar/lib"
  [[ -f "$lib/.complete-$PULSAR_VERSION" ]] && return 0
  command -v mvn >/dev/null || die "Maven (mvn) is needed to fetch Pulsar from Maven Central"
  say "fetching Apache Pulsar $PULSAR_VERSION from Maven Central (first time: a few minutes)"
  rm -rf "$lib" && mkdir -p "$lib"
  mvn -q -B -f "$STACK_SRC/pulsar/pom.xml" -s "$STACK_SRC/pulsar/settings.xml" \
    -Dpulsar.version="$PULSAR_VERSION" dependency:copy-dependencies \
    -DoutputDirectory="$lib" -DincludeScope=runtime >"$LOG_DIR/pulsar-install.log" 2>&1 ||
    die "fetching Pulsar failed; see $LOG_DIR/pulsar-install.log"
  touch "$lib/.complete-$PULSAR_VERSION"
}

pulsar_tls() { # a local CA and a broker certificate for 127.0.0.1/localhost, made once
  local dir="$PULSAR_TLS_DIR"
  if [[ -f "$dir/ca.cert.pem" && -f "$dir/broker.key-pk8.pem" && -f "$dir/broker.cert.pem" ]] &&
    openssl x509 -checkend 86400 -noout -in "$dir/broker.cert.pem" >/dev/null 2>&1; then
    return 0
  fi
  command -v openssl >/dev/null || die "openssl is needed to make the broker's TLS certificate"
  say "making a local CA and the broker's TLS certificate in $dir"
  # Built in a scratch folder and moved in whole, so an interrupted run leaves nothing half-made.
  local tmp
  tmp="$(mktemp -d "$STACK_DIR/pulsar/tls.XXXXXX")"
  (
    cd "$tmp"
    umask 077
    if [[ -f "$dir/ca.cert.pem" && -f "$dir/ca.key.pem" ]]; then
      # Only the broker certificate expired: keep the CA clients already trust.
      cp "$dir/ca.cert.pem" "$dir/ca.key.pem" .
    else
      openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -keyout ca.key.pem -out ca.cert.pem \
        -subj "/CN=iot-pipeline local stack CA" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
    fi
    # Pulsar reads only PKCS#8 keys, which is what genpkey writes.
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out broker.key-pk8.pem
    openssl req -new -key broker.key-pk8.pem -subj "/CN=localhost" -out broker.csr.pem
    printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" "basicConstraints=CA:FALSE" \
      "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" >broker.ext
    openssl x509 -req -in broker.csr.pem -CA ca.cert.pem -CAkey ca.key.pem -CAcreateserial \
      -days 825 -extfile broker.ext -out broker.cert.pem
    rm -f broker.csr.pem broker.ext ca.cert.srl
    chmod 644 ca.cert.pem broker.cert.pem
  ) >"$LOG_DIR/pulsar-tls.log" 2>&1 || { rm -rf "$tmp"; die "making the TLS certificate failed; see $LOG_DIR/pulsar-tls.log"; }
  chmod 755 "$tmp"
  rm -rf "$dir" && mv "$tmp" "$dir"
}

pulsar_token_key() { # the HS256 secret the broker checks tokens with, made once
  local key="$PULSAR_TOKEN_DIR/secret.key"
  [[ -s "$key" ]] && return 0
  mkdir -p "$PULSAR_TOKEN_DIR"
  # 32 random bytes, as `pulsar tokens create-secret-key` writes (HS256 needs >= 256 bits).
  (umask 077 && openssl rand -out "$key.tmp" 32) && mv "$key.tmp" "$key" ||
    die "could not write the token secret key $key"
}

fill_in() { # fill_in FILE: a config template with the stack directory and this stack's ports
  sed -e "s#@STACK_DIR@#$STACK_DIR#g" -e "s#@PULSAR_PORT@#$PULSAR_PORT#g" \
    -e "s#@PULSAR_TLS_PORT@#$PULSAR_TLS_PORT#g" -e "s#@PULSAR_ADMIN_PORT@#$PULSAR_ADMIN_PORT#g" \
    -e "s#@PULSAR_ADMIN_TLS_PORT@#$PULSAR_ADMIN_TLS_PORT#g" \
    -e "s#@CLICKHOUSE_HTTP_PORT@#$CLICKHOUSE_HTTP_PORT#g" \
    -e "s#@CLICKHOUSE_TCP_PORT@#$CLICKHOUSE_TCP_PORT#g" -e "s#@S3_PORT@#$S3_PORT#g" "$1"
}

pulsar_conf() { # the config the broker runs with: stack/pulsar/standalone.conf, filled in
  fill_in "$STACK_SRC/pulsar/standalone.conf"
}

pulsar_conf_check() { # a broker started before stack/pulsar/standalone.conf changed keeps the old one
  if ! pulsar_conf | cmp -s - "$STACK_DIR/pulsar/standalone.conf"; then
    say "warning: pulsar runs with an older config than stack/pulsar/standalone.conf;" \
      "apply it with: npm run stack -- down pulsar && npm run stack -- up pulsar"
  fi
}

pulsar_start() {
  mkdir -p "$STACK_DIR/pulsar/data"
  pulsar_tls
  pulsar_token_key
  pulsar_conf >"$STACK_DIR/pulsar/standalone.conf"
  # shellcheck disable=SC2086 # PULSAR_JAVA_OPTS is a list of JVM flags
  start_bg pulsar "$STACK_DIR/pulsar" java $PULSAR_JAVA_OPTS \
    --add-opens java.base/java.io=ALL-UNNAMED --add-opens java.base/java.nio=ALL-UNNAMED \
    --add-opens java.base/sun.net=ALL-UNNAMED --add-opens java.base/java.util.zip=ALL-UNNAMED \
    --add-opens java.base/jdk.internal.misc=ALL-UNNAMED \
    --add-opens java.base/jdk.internal.platform=ALL-UNNAMED \
    --add-opens java.management/sun.management=ALL-UNNAMED \
    --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED \
    -Dio.netty.tryReflectionSetAccessible=true \
    -Dlog4j.configurationFile="$STACK_SRC/pulsar/log4j2.xml" \
    -cp "$STACK_DIR/pulsar/lib/*" org.apache.pulsar.PulsarStandaloneStarter \
    --config "$STACK_DIR/pulsar/standalone.conf" --no-functions-worker --no-stream-storage \
    --bookkeeper-dir data/bookkeeper --zookeeper-dir data/zookeeper \
    --zookeeper-port "$PULSAR_ZOOKEEPER_PORT" --bookkeeper-port "$PULSAR_BOOKIE_PORT"
}

# --- ClickHouse --------------------------------------------------------------------------

clickhouse_ready() {
  [[ "$(curl -s -m 5 "http://127.0.0.1:$CLICKHOUSE_HTTP_PORT/?query=SELECT%201")" == 1 ]]
}

clickhouse_install() {
  command -v clickhouse-server >/dev/null || apt_install clickhouse-server clickhouse-client
}

clickhouse_start() {
  local dir="$STACK_DIR/clickhouse"
  mkdir -p "$dir/data" "$dir/tmp" "$dir/user_files" "$dir/format_schemas"
  fill_in "$STACK_SRC/clickhouse/config.xml" >"$dir/config.xml"
  cp "$STACK_SRC/clickhouse/users.xml" "$dir/users.xml"
  start_bg clickhouse "$dir" clickhouse-server --config-file="$dir/config.xml"
}

# --- Redis (AOF on, so a restart keeps the pipeline's state) ------------------------------

redis_ready() { [[ "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]; }

redis_install() { command -v redis-server >/dev/null || apt_install redis-server; }

redis_start() {
  mkdir -p "$STACK_DIR/redis"
  start_bg redis "$STACK_DIR/redis" redis-server --bind 127.0.0.1 --port "$REDIS_PORT" \
    --dir "$STACK_DIR/redis" --appendonly yes --appendfsync everysec --save "" \
    --daemonize no
}

# --- NATS with JetStream -----------------------------------------------------------------

nats_ready() {
  # The server's INFO line says whether JetStream is on.
  local info
  info="$(timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$NATS_PORT; head -n 1 <&3" 2>/dev/null || true)"
  [[ "$info" == INFO* && "$info" == *'"jetstream":true'* ]]
}

nats_install() { command -v nats-server >/dev/null || apt_install nats-server; }

nats_start() {
  if port_open "$NATS_PORT"; then
    die "something on 127.0.0.1:$NATS_PORT is not a NATS server with JetStream; stop it or enable -js"
  fi
  mkdir -p "$STACK_DIR/nats"
  start_bg nats "$STACK_DIR/nats" nats-server -a 127.0.0.1 -p "$NATS_PORT" -js \
    -sd "$STACK_DIR/nats"
}

# --- S3 (S3Proxy, filesystem backend) ----------------------------------------------------

s3_ready() {
  # Anonymous requests are refused with 403 once S3Proxy serves; the bucket is a directory.
  [[ "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$S3_PORT/")" =~ ^(200|403)$ ]]
}

s3_install() {
  maven_jar s3 "S3Proxy $S3PROXY_VERSION" "org.gaul:s3proxy:$S3PROXY_VERSION:jar:jar-with-dependencies" \
    "$STACK_DIR/s3/s3proxy-$S3PROXY_VERSION-jar-with-dependencies.jar"
}

s3_start() {
  local dir="$STACK_DIR/s3"
  mkdir -p "$dir/data/$S3_BUCKET"
  fill_in "$STACK_SRC/s3proxy/s3proxy.conf" >"$dir/s3proxy.conf"
  start_bg s3 "$dir" java -Xmx256m -jar "$dir/s3proxy-$S3PROXY_VERSION-jar-with-dependencies.jar" \
    --properties "$dir/s3proxy.conf"
}

# --- Zipkin (trace backend, in-memory storage) -------------------------------------------

zipkin_ready() {
  [[ "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ZIPKIN_PORT/health")" == 200 ]]
}

zipkin_install() {
  maven_jar zipkin "Zipkin server $ZIPKIN_VERSION" "io.zipkin:zipkin-server:$ZIPKIN_VERSION:jar:exec" \
    "$STACK_DIR/zipkin/zipkin-server-$ZIPKIN_VERSION-exec.jar"
}

zipkin_start() {
  local dir="$STACK_DIR/zipkin"
  # Zipkin's defaults listen on every interface and pick up collectors from variables such as
  # PULSAR_SERVICE_URL or KAFKA_BOOTSTRAP_SERVERS: bind to loopback, keep the HTTP collector
  # and the query API/UI, in-memory storage (traces are gone after a restart), nothing else.
  start_bg zipkin "$dir" env -u PULSAR_SERVICE_URL -u KAFKA_BOOTSTRAP_SERVERS -u RABBIT_ADDRESSES \
    -u RABBIT_URI -u ACTIVEMQ_URL -u EUREKA_SERVICE_URL \
    STORAGE_TYPE=mem MEM_MAX_SPANS=200000 COLLECTOR_GRPC_ENABLED=false \
    java -Xmx384m -jar "$dir/zipkin-server-$ZIPKIN_VERSION-exec.jar" \
    --armeria.ports[0].ip=127.0.0.1 --armeria.ports[0].port="$ZIPKIN_PORT" \
    '--armeria.ports[0].protocols[0]=http'
}

# --- Clusters (on demand: `up redis-cluster`, `up clickhouse-cluster`) ----------------------

cluster_list() { # cluster_list PORT...: 127.0.0.1:PORT,127.0.0.1:PORT,...
  local IFS=,
  local out=() p
  for p in "$@"; do out+=("127.0.0.1:$p"); done
  echo "${out[*]}"
}

# Redis Cluster: three masters (no replicas), AOF on like the single Redis, hash slots spread
# by `redis-cli --cluster create` on the first start.
redis_cluster_ready() {
  # Every node says the cluster serves all slots: a restarted node answers PING at once but
  # refuses commands (CLUSTERDOWN) until it has rejoined.
  local port
  for port in "${REDIS_CLUSTER_PORTS[@]}"; do
    [[ "$(redis-cli -p "$port" cluster info 2>/dev/null | tr -d '\r' |
      grep '^cluster_state:')" == cluster_state:ok ]] || return 1
  done
}

redis_cluster_install() { redis_install; }

redis_cluster_start() {
  local i port dir
  for i in 0 1 2; do
    port="${REDIS_CLUSTER_PORTS[$i]}"
    dir="$STACK_DIR/redis-cluster/$port"
    mkdir -p "$dir"
    pid_of "redis-cluster-$((i + 1))" >/dev/null ||
      start_bg "redis-cluster-$((i + 1))" "$dir" redis-server --bind 127.0.0.1 --port "$port" \
        --cluster-enabled yes --cluster-config-file nodes.conf \
        --cluster-port "${REDIS_CLUSTER_BUS_PORTS[$i]}" --cluster-node-timeout 5000 \
        --dir "$dir" --appendonly yes --appendfsync everysec --save "" --daemonize no
  done
  for port in "${REDIS_CLUSTER_PORTS[@]}"; do
    for _ in $(seq 1 30); do
      [[ "$(redis-cli -p "$port" ping 2>/dev/null)" == PONG ]] && break
      sleep 0.5
    done
  done
  # Made once: afterwards every node finds the others again from its nodes.conf.
  if [[ "$(redis-cli -p "${REDIS_CLUSTER_PORTS[0]}" cluster info | tr -d '\r' |
    grep '^cluster_slots_assigned:')" == cluster_slots_assigned:0 ]]; then
    say "creating the Redis Cluster on ${REDIS_CLUSTER_PORTS[*]}"
    # shellcheck disable=SC2046 # one argument per node
    redis-cli --cluster create $(cluster_list "${REDIS_CLUSTER_PORTS[@]}" | tr , ' ') \
      --cluster-replicas 0 --cluster-yes >>"$LOG_DIR/redis-cluster-1.log" 2>&1 ||
      die "redis-cli --cluster create failed; see $LOG_DIR/redis-cluster-1.log"
  fi
}

# ZooKeeper (Debian's), standalone: what the ClickHouse cluster replicates and runs ON CLUSTER
# DDL through. Its admin server (8080 by default, Pulsar's admin port) is off.
zookeeper_ready() {
  [[ "$(timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$ZOOKEEPER_PORT; printf ruok >&3; head -c 4 <&3" 2>/dev/null)" == imok ]]
}

zookeeper_install() { [[ -f /usr/share/java/zookeeper.jar ]] || apt_install --no-install-recommends zookeeper; }

zookeeper_start() {
  local dir="$STACK_DIR/zookeeper"
  mkdir -p "$dir/data"
  printf '%s\n' "tickTime=2000" "dataDir=$dir/data" "clientPort=$ZOOKEEPER_PORT" \
    "clientPortAddress=127.0.0.1" "admin.enableServer=false" "4lw.commands.whitelist=ruok,srvr" \
    "autopurge.snapRetainCount=3" "autopurge.purgeInterval=1" >"$dir/zoo.cfg"
  start_bg zookeeper "$dir" java -Xmx256m -Dzookeeper.log.dir="$LOG_DIR" \
    -cp "/etc/zookeeper/conf:/usr/share/java/zookeeper.jar" \
    org.apache.zookeeper.server.ZooKeeperServerMain "$dir/zoo.cfg"
}

# ClickHouse cluster `iot_cluster`: two more clickhouse-server processes, shard 1 and shard 2
# (one replica each), ReplicatedMergeTree and ON CLUSTER DDL through the stack's ZooKeeper.
clickhouse_cluster_ready() {
  local port
  for port in "${CLICKHOUSE_CLUSTER_HTTP_PORTS[@]}"; do
    [[ "$(curl -s -m 5 "http://127.0.0.1:$port/?query=SELECT%20count()%20FROM%20system.zookeeper%20WHERE%20path%3D'/'")" =~ ^[1-9] ]] ||
      return 1
  done
}

clickhouse_cluster_install() { clickhouse_install; }

clickhouse_cluster_start() {
  local i node dir
  for i in 0 1; do
    node=$((i + 1))
    dir="$STACK_DIR/clickhouse-cluster/$node"
    mkdir -p "$dir/data" "$dir/tmp" "$dir/user_files" "$dir/format_schemas"
    sed -e "s#@STACK_DIR@#$STACK_DIR#g" -e "s#@DIR@#$dir#g" -e "s#@NODE@#$node#g" \
      -e "s#@HTTP_PORT@#${CLICKHOUSE_CLUSTER_HTTP_PORTS[$i]}#g" \
      -e "s#@TCP_PORT@#${CLICKHOUSE_CLUSTER_TCP_PORTS[$i]}#g" \
      -e "s#@INTERSERVER_PORT@#${CLICKHOUSE_CLUSTER_INTERSERVER_PORTS[$i]}#g" \
      -e "s#@TCP_PORT_1@#${CLICKHOUSE_CLUSTER_TCP_PORTS[0]}#g" \
      -e "s#@TCP_PORT_2@#${CLICKHOUSE_CLUSTER_TCP_PORTS[1]}#g" \
      -e "s#@SHARD@#0$node#g" -e "s#@REPLICA@#replica-$node#g" \
      -e "s#@ZOOKEEPER_PORT@#$ZOOKEEPER_PORT#g" \
      "$STACK_SRC/clickhouse-cluster/config.xml" >"$dir/config.xml"
    cp "$STACK_SRC/clickhouse/users.xml" "$dir/users.xml"
    pid_of "clickhouse-cluster-$node" >/dev/null ||
      start_bg "clickhouse-cluster-$node" "$dir" clickhouse-server --config-file="$dir/config.xml"
  done
}

# --- commands ----------------------------------------------------------------------------

timeout_of() { case "$1" in pulsar) echo 240 ;; clickhouse-cluster) echo 120 ;; *) echo 60 ;; esac; }
port_of() {
  case "$1" in
  pulsar) echo "$PULSAR_PORT, tls $PULSAR_TLS_PORT (admin $PULSAR_ADMIN_PORT, https $PULSAR_ADMIN_TLS_PORT)" ;;
  clickhouse) echo "$CLICKHOUSE_HTTP_PORT" ;;
  redis) echo "$REDIS_PORT" ;;
  nats) echo "$NATS_PORT" ;;
  s3) echo "$S3_PORT (bucket $S3_BUCKET)" ;;
  zipkin) echo "$ZIPKIN_PORT (UI http://127.0.0.1:$ZIPKIN_PORT/zipkin/)" ;;
  redis-cluster) echo "${REDIS_CLUSTER_PORTS[*]}" ;;
  zookeeper) echo "$ZOOKEEPER_PORT" ;;
  clickhouse-cluster) echo "${CLICKHOUSE_CLUSTER_HTTP_PORTS[*]} (HTTP)" ;;
  esac
}

check_server() {
  case "$1" in
  pulsar | clickhouse | redis | nats | s3 | zipkin) ;;
  redis-cluster | zookeeper | clickhouse-cluster) ;;
  *) die "unknown server '$1' (one of: ${ALL_SERVERS[*]} ${ON_DEMAND_SERVERS[*]})" ;;
  esac
}

# --- Tools the tests use besides the servers --------------------------------------------------

tools_install() {
  # Debian's docker-compose (v1) checks docker-compose.yml with `config` without a Docker
  # engine (test/deploy/manifests.test.ts); recommends off, or apt brings the engine too.
  # Not fatal: the servers matter more, and the test says what is missing.
  command -v docker-compose >/dev/null ||
    (apt_install --no-install-recommends docker-compose) ||
    say "warning: could not install docker-compose; the compose file is not validated"
}

up_one() {
  local name="$1" fn
  fn="$(fn_of "$1")"
  if "${fn}_ready"; then return 0; fi
  if ! server_pids "$name" >/dev/null; then
    "${fn}_install"
    say "starting $name (log: $(log_of "$name"))"
    "${fn}_start"
  fi
}

cmd_up() {
  local servers=("$@")
  [[ ${#servers[@]} -gt 0 ]] || servers=("${ALL_SERVERS[@]}")
  local s
  for s in "${servers[@]}"; do check_server "$s"; done
  # ClickHouse's replicated tables and ON CLUSTER DDL need ZooKeeper up first.
  if [[ " ${servers[*]} " == *" clickhouse-cluster "* ]]; then cmd_up zookeeper; fi
  tools_install
  # Start everything first, then wait: the servers boot in parallel.
  for s in "${servers[@]}"; do up_one "$s"; done
  for s in "${servers[@]}"; do
    wait_until "$s" "$(timeout_of "$s")" "$(fn_of "$s")_ready"
  done
  for s in "${servers[@]}"; do
    if [[ "$s" == pulsar ]]; then pulsar_conf_check; fi
  done
  say "up: ${servers[*]}"
}

cmd_down() {
  local servers=("$@")
  [[ ${#servers[@]} -gt 0 ]] || servers=("${ALL_SERVERS[@]}" "${ON_DEMAND_SERVERS[@]}")
  local s m pid
  for s in "${servers[@]}"; do
    check_server "$s"
    for m in $(members_of "$s"); do
      if pid="$(pid_of "$m")"; then
        say "stopping $m (pid $pid)"
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
        kill -KILL -- "-$pid" 2>/dev/null || true
      fi
      rm -f "$RUN_DIR/$m.pid"
    done
  done
}

cmd_status() {
  local s state pid owner
  for s in "${ALL_SERVERS[@]}" "${ON_DEMAND_SERVERS[@]}"; do
    if "$(fn_of "$s")_ready"; then state=ready; else state=down; fi
    if pid="$(server_pids "$s")"; then owner="pid $pid"; else owner="not started by stack.sh"; fi
    printf '%-18s %-6s port %-40s %-26s log %s\n' "$s" "$state" "$(port_of "$s")" "$owner" \
      "$(log_of "$s")"
  done
}

cmd_token() { # an HS256 JWT for ROLE, signed with the broker's secret key
  local role="${1:-admin}"
  [[ "$role" =~ ^[A-Za-z0-9._@-]+$ ]] || die "token: a role is letters, digits and . _ @ - (got '$role')"
  pulsar_token_key
  local hex header payload sig
  hex="$(od -An -v -tx1 "$PULSAR_TOKEN_DIR/secret.key" | tr -d ' \n')"
  b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
  header="$(printf '%s' '{"alg":"HS256","typ":"JWT"}' | b64url)"
  payload="$(printf '{"sub":"%s"}' "$role" | b64url)"
  sig="$(printf '%s.%s' "$header" "$payload" |
    openssl dgst -sha256 -mac HMAC -macopt "hexkey:$hex" -binary | b64url)"
  printf '%s.%s.%s\n' "$header" "$payload" "$sig"
}

cmd_env() { # the variables that point the tests, the harness and the tools at this stack
  cat <<EOF
export IOT_STACK_DIR='$STACK_DIR' STACK_PORT_OFFSET='$OFFSET'
export PULSAR_URL='pulsar://127.0.0.1:$PULSAR_PORT' PULSAR_TLS_URL='pulsar+ssl://127.0.0.1:$PULSAR_TLS_PORT'
export PULSAR_ADMIN_URL='http://127.0.0.1:$PULSAR_ADMIN_PORT' PULSAR_ADMIN_TLS_URL='https://127.0.0.1:$PULSAR_ADMIN_TLS_PORT'
export CLICKHOUSE_URL='http://127.0.0.1:$CLICKHOUSE_HTTP_PORT' REDIS_URL='redis://127.0.0.1:$REDIS_PORT'
export NATS_URL='nats://127.0.0.1:$NATS_PORT' S3_ENDPOINT='http://127.0.0.1:$S3_PORT'
export ZIPKIN_URL='http://127.0.0.1:$ZIPKIN_PORT' OTEL_EXPORTER_ZIPKIN_ENDPOINT='http://127.0.0.1:$ZIPKIN_PORT/api/v2/spans'
export STACK_REDIS_CLUSTER_NODES='$(cluster_list "${REDIS_CLUSTER_PORTS[@]}")'
export STACK_CLICKHOUSE_CLUSTER_URLS='$(cluster_list "${CLICKHOUSE_CLUSTER_HTTP_PORTS[@]}" | sed -E 's#(^|,)#\1http://#g')'
EOF
}

cmd_logs() {
  if [[ $# -eq 0 ]]; then
    ls -1 "$LOG_DIR"
    return 0
  fi
  check_server "$1"
  local f
  for f in $(log_of "$1"); do tail -n "${LINES:-100}" "$f"; done
}

case "${1:-}" in
up) shift; cmd_up "$@" ;;
down) shift; cmd_down "$@" ;;
status) cmd_status ;;
logs) shift; cmd_logs "$@" ;;
token) shift; cmd_token "$@" ;;
env) cmd_env ;;
*) die "usage: stack.sh up|down|status|logs [server...] | token [role] | env (servers: ${ALL_SERVERS[*]})" ;;
esac
