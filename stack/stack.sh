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
#   stack.sh env                 export lines pointing tests and tools at this stack, with the
#                                operator's credentials (a second stack beside the first: see
#                                STACK_PORT_OFFSET below)
#
# Every server but Zipkin authenticates; the credentials are made once into
# $IOT_STACK_DIR/secrets (stack/README.md, "Credentials"), and `up` restarts a server whose
# generated config changed since it started.
#
# Servers: pulsar clickhouse redis nats s3 zipkin prometheus; on demand only (named in `up`):
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
# 4222 is often the machine's own NATS, without authentication: the stack runs its own beside it.
NATS_PORT="${STACK_NATS_PORT:-$((4223 + OFFSET))}"
# Passwords and tokens, made once (mode 600); `stack.sh env` and test/support/stack.ts read them.
SECRETS_DIR="$STACK_DIR/secrets"
S3_PORT=$((9100 + OFFSET))
S3_BUCKET="${S3_BUCKET:-iot-checkpoints}"
ZIPKIN_PORT=$((9411 + OFFSET))
PROMETHEUS_PORT=$((9090 + OFFSET))
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

ALL_SERVERS=(pulsar clickhouse redis nats s3 zipkin prometheus)
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

admin_curl() { # admin_curl ARGS...: curl with the admin token in a header (not on the command line)
  curl --config <(printf 'header = "Authorization: Bearer %s"\n' "$(cat "$SECRETS_DIR/pulsar-admin.token")") \
    -H 'X-Pulsar-Auth-Method-Name: token' "$@"
}

pulsar_ready() {
  # The broker health check produces and consumes on a heartbeat topic: a real round trip.
  [[ "$(admin_curl -s -m 10 -o /dev/null -w '%{http_code}' \
    "http://127.0.0.1:$PULSAR_ADMIN_PORT/admin/v2/brokers/health")" == 200 ]]
}

pulsar_grants() { # the roles' rights on public/default (idempotent; the broker keeps them)
  local base="http://127.0.0.1:$PULSAR_ADMIN_PORT/admin/v2" code
  # iotctl and the services' checkpointer set topic policies (retention), which Pulsar allows
  # tenant admins only; the services otherwise produce and consume.
  code="$(admin_curl -s -m 10 -o "$LOG_DIR/pulsar-grants.log" -w '%{http_code}' -X POST \
    -H 'Content-Type: application/json' "$base/tenants/public" \
    -d '{"adminRoles":["pipeline","iotctl"],"allowedClusters":["standalone"]}')"
  [[ "$code" =~ ^20 ]] || die "setting the admins of tenant public failed ($code); see $LOG_DIR/pulsar-grants.log"
  local role
  for role in pipeline iotctl; do
    code="$(admin_curl -s -m 10 -o "$LOG_DIR/pulsar-grants.log" -w '%{http_code}' -X POST \
      -H 'Content-Type: application/json' "$base/namespaces/public/default/permissions/$role" \
      -d '["produce","consume"]')"
    [[ "$code" =~ ^20 ]] || die "granting $role on public/default failed ($code); see $LOG_DIR/pulsar-grants.log"
  done
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

# --- Credentials -------------------------------------------------------------------------

secret() { # secret NAME: the value of a generated secret, made once (32 hex characters)
  local f="$SECRETS_DIR/$1"
  if [[ ! -s "$f" ]]; then
    mkdir -p "$SECRETS_DIR" && chmod 700 "$SECRETS_DIR"
    local tmp
    tmp="$(mktemp "$f.XXXXXX")" || die "could not write the secret $f"
    # mv -n: when two runs make it at once, the first one's value stays and both read it.
    openssl rand -hex 16 >"$tmp" && mv -n "$tmp" "$f" || die "could not write the secret $f"
    rm -f "$tmp"
  fi
  cat "$f"
}

# Pulsar roles with a token each: admin (superuser), pipeline (the services), iotctl (operator).
PULSAR_ROLES=(admin pipeline iotctl)

make_secrets() { # every password once, and each role's Pulsar token (signed with the broker's key)
  local name role tok
  for name in clickhouse-default.password clickhouse-writer.password clickhouse-reader.password \
    redis.password nats-pipeline.password nats-iotctl.password; do
    secret "$name" >/dev/null
  done
  for role in "${PULSAR_ROLES[@]}"; do
    tok="$(cmd_token "$role")"
    # Rewritten only when it changes (a new secret key), so a config that names it stays the same.
    if [[ "$(cat "$SECRETS_DIR/pulsar-$role.token" 2>/dev/null)" != "$tok" ]]; then
      (umask 077 && printf '%s\n' "$tok" >"$SECRETS_DIR/pulsar-$role.token")
    fi
  done
}

sha256_of() { printf '%s' "$1" | openssl dgst -sha256 -r | cut -d' ' -f1; }

fill_in() { # fill_in FILE: a config template with the stack directory, ports and credentials
  # The sed script comes through a pipe: passwords never appear in a command line (ps).
  sed -f <(
    printf 's#@%s@#%s#g\n' STACK_DIR "$STACK_DIR" PULSAR_PORT "$PULSAR_PORT" \
      PULSAR_TLS_PORT "$PULSAR_TLS_PORT" PULSAR_ADMIN_PORT "$PULSAR_ADMIN_PORT" \
      PULSAR_ADMIN_TLS_PORT "$PULSAR_ADMIN_TLS_PORT" CLICKHOUSE_HTTP_PORT "$CLICKHOUSE_HTTP_PORT" \
      CLICKHOUSE_TCP_PORT "$CLICKHOUSE_TCP_PORT" S3_PORT "$S3_PORT" REDIS_PORT "$REDIS_PORT" \
      NATS_PORT "$NATS_PORT" PROMETHEUS_PORT "$PROMETHEUS_PORT" \
      REDIS_PASSWORD "$(secret redis.password)" \
      NATS_PIPELINE_PASSWORD "$(secret nats-pipeline.password)" \
      NATS_IOTCTL_PASSWORD "$(secret nats-iotctl.password)" \
      CLICKHOUSE_DEFAULT_SHA256 "$(sha256_of "$(secret clickhouse-default.password)")" \
      CLICKHOUSE_WRITER_SHA256 "$(sha256_of "$(secret clickhouse-writer.password)")" \
      CLICKHOUSE_READER_SHA256 "$(sha256_of "$(secret clickhouse-reader.password)")"
  ) "$1"
}

write_private() { # write_private FILE: stdin into FILE, readable by us only (it may hold passwords)
  (umask 077 && cat >"$1.tmp") && mv "$1.tmp" "$1"
}

# --- Generated configs, and restarting a server that runs an older one ---------------------

conf_of() { # conf_of NAME: the whole config NAME would start with now (templates filled in)
  case "$1" in
  pulsar) fill_in "$STACK_SRC/pulsar/standalone.conf" ;;
  clickhouse) fill_in "$STACK_SRC/clickhouse/config.xml" && fill_in "$STACK_SRC/clickhouse/users.xml" ;;
  redis) fill_in "$STACK_SRC/redis/redis.conf" ;;
  nats) fill_in "$STACK_SRC/nats/nats.conf" ;;
  s3) fill_in "$STACK_SRC/s3proxy/s3proxy.conf" ;;
  zipkin) echo "zipkin $ZIPKIN_VERSION" ;;
  prometheus) fill_in "$STACK_SRC/prometheus/prometheus.yml" && cat "$ROOT/monitoring/alerts.yml" ;;
  esac
}

conf_mark() { # after a start: remember (as a hash) which config the server runs with
  conf_of "$1" | openssl dgst -sha256 -r | cut -d' ' -f1 >"$RUN_DIR/$1.conf.sha256"
}

conf_current() { # whether the running server started with the config it would get now
  [[ -f "$RUN_DIR/$1.conf.sha256" ]] &&
    [[ "$(conf_of "$1" | openssl dgst -sha256 -r | cut -d' ' -f1)" == "$(cat "$RUN_DIR/$1.conf.sha256")" ]]
}

pulsar_start() {
  mkdir -p "$STACK_DIR/pulsar/data"
  pulsar_tls
  pulsar_token_key
  conf_of pulsar | write_private "$STACK_DIR/pulsar/standalone.conf"
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
  [[ "$(curl --config <(printf 'user = "default:%s"\n' "$(secret clickhouse-default.password)") \
    -s -m 5 "http://127.0.0.1:$CLICKHOUSE_HTTP_PORT/?query=SELECT%201")" == 1 ]]
}

clickhouse_install() {
  command -v clickhouse-server >/dev/null || apt_install clickhouse-server clickhouse-client
}

clickhouse_start() {
  local dir="$STACK_DIR/clickhouse"
  mkdir -p "$dir/data" "$dir/tmp" "$dir/user_files" "$dir/format_schemas"
  fill_in "$STACK_SRC/clickhouse/config.xml" >"$dir/config.xml"
  fill_in "$STACK_SRC/clickhouse/users.xml" | write_private "$dir/users.xml"
  start_bg clickhouse "$dir" clickhouse-server --config-file="$dir/config.xml"
}

# --- Redis (AOF on, so a restart keeps the pipeline's state) ------------------------------

redis_ready() {
  [[ "$(REDISCLI_AUTH="$(secret redis.password)" redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]
}

redis_install() { command -v redis-server >/dev/null || apt_install redis-server; }

redis_start() {
  mkdir -p "$STACK_DIR/redis"
  # stack/redis/redis.conf: AOF, loopback, requirepass (from a file: not in the command line).
  conf_of redis | write_private "$STACK_DIR/redis/redis.conf"
  start_bg redis "$STACK_DIR/redis" redis-server "$STACK_DIR/redis/redis.conf"
}

# --- NATS with JetStream -----------------------------------------------------------------

nats_ready() {
  # The server's INFO line says whether JetStream is on and clients must authenticate.
  local info
  info="$(timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$NATS_PORT; head -n 1 <&3" 2>/dev/null || true)"
  [[ "$info" == INFO* && "$info" == *'"jetstream":true'* && "$info" == *'"auth_required":true'* ]]
}

nats_install() { command -v nats-server >/dev/null || apt_install nats-server; }

nats_start() {
  if port_open "$NATS_PORT"; then
    die "something on 127.0.0.1:$NATS_PORT is not this stack's NATS (JetStream and authentication); stop it or set STACK_NATS_PORT"
  fi
  mkdir -p "$STACK_DIR/nats"
  # stack/nats/nats.conf: JetStream, users and subject permissions.
  conf_of nats | write_private "$STACK_DIR/nats/nats.conf"
  start_bg nats "$STACK_DIR/nats" nats-server -c "$STACK_DIR/nats/nats.conf"
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
  conf_of s3 >"$dir/s3proxy.conf"
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

# --- Prometheus (scrapes the services the harness starts; alert rules from monitoring/) -----

prometheus_ready() {
  [[ "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PROMETHEUS_PORT/-/ready")" == 200 ]]
}

# The machine's policy-rc.d keeps apt from starting the package's own service (on 9090).
prometheus_install() { command -v prometheus >/dev/null || apt_install --no-install-recommends prometheus; }

prometheus_start() {
  local dir="$STACK_DIR/prometheus"
  # Targets: one JSON file per service process, written and removed by tools/harness.
  mkdir -p "$dir/data" "$dir/targets"
  fill_in "$STACK_SRC/prometheus/prometheus.yml" >"$dir/prometheus.yml"
  cp "$ROOT/monitoring/alerts.yml" "$dir/alerts.yml"
  start_bg prometheus "$dir" prometheus --config.file="$dir/prometheus.yml" \
    --storage.tsdb.path="$dir/data" --storage.tsdb.retention.time=2d \
    --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" --web.enable-lifecycle
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
    [[ "$(REDISCLI_AUTH="$(secret redis.password)" redis-cli -p "$port" cluster info 2>/dev/null | tr -d '\r' |
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
    # The single Redis's password, for clients and between the nodes (from a file: not in the
    # command line).
    printf 'requirepass %s\nmasterauth %s\n' "$(secret redis.password)" "$(secret redis.password)" |
      write_private "$dir/auth.conf"
    pid_of "redis-cluster-$((i + 1))" >/dev/null ||
      start_bg "redis-cluster-$((i + 1))" "$dir" redis-server "$dir/auth.conf" --bind 127.0.0.1 --port "$port" \
        --cluster-enabled yes --cluster-config-file nodes.conf \
        --cluster-port "${REDIS_CLUSTER_BUS_PORTS[$i]}" --cluster-node-timeout 5000 \
        --dir "$dir" --appendonly yes --appendfsync everysec --save "" --daemonize no
  done
  for port in "${REDIS_CLUSTER_PORTS[@]}"; do
    for _ in $(seq 1 30); do
      [[ "$(REDISCLI_AUTH="$(secret redis.password)" redis-cli -p "$port" ping 2>/dev/null)" == PONG ]] && break
      sleep 0.5
    done
  done
  # Made once: afterwards every node finds the others again from its nodes.conf.
  if [[ "$(REDISCLI_AUTH="$(secret redis.password)" redis-cli -p "${REDIS_CLUSTER_PORTS[0]}" cluster info | tr -d '\r' |
    grep '^cluster_slots_assigned:')" == cluster_slots_assigned:0 ]]; then
    say "creating the Redis Cluster on ${REDIS_CLUSTER_PORTS[*]}"
    # shellcheck disable=SC2046 # one argument per node
    REDISCLI_AUTH="$(secret redis.password)" redis-cli --cluster create $(cluster_list "${REDIS_CLUSTER_PORTS[@]}" | tr , ' ') \
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
    [[ "$(curl --config <(printf 'user = "default:%s"\n' "$(secret clickhouse-default.password)") -s -m 5 "http://127.0.0.1:$port/?query=SELECT%20count()%20FROM%20system.zookeeper%20WHERE%20path%3D'/'")" =~ ^[1-9] ]] ||
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
      -f <(printf 's#@DEFAULT_PASSWORD@#%s#g\n' "$(secret clickhouse-default.password)") \
      "$STACK_SRC/clickhouse-cluster/config.xml" | write_private "$dir/config.xml"
    # The same users, passwords and rights as the single server.
    fill_in "$STACK_SRC/clickhouse/users.xml" | write_private "$dir/users.xml"
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
  prometheus) echo "$PROMETHEUS_PORT (UI http://127.0.0.1:$PROMETHEUS_PORT/)" ;;
  redis-cluster) echo "${REDIS_CLUSTER_PORTS[*]}" ;;
  zookeeper) echo "$ZOOKEEPER_PORT" ;;
  clickhouse-cluster) echo "${CLICKHOUSE_CLUSTER_HTTP_PORTS[*]} (HTTP)" ;;
  esac
}

check_server() {
  case "$1" in
  pulsar | clickhouse | redis | nats | s3 | zipkin | prometheus) ;;
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
  # Debian's Chromium: the operations console's browser test (test/e2e/console.test.ts) drives
  # it headless through puppeteer-core, which never downloads a browser of its own.
  command -v chromium >/dev/null ||
    (apt_install --no-install-recommends chromium) ||
    say "warning: could not install chromium; the console's browser test cannot run"
}

up_one() {
  local name="$1" fn
  fn="$(fn_of "$1")"
  # A server that runs an older generated config (say, from before authentication) is
  # restarted with the current one; its data stays.
  if pid_of "$name" >/dev/null && ! conf_current "$name"; then
    say "restarting $name: its generated config changed since it started"
    cmd_down "$name"
  fi
  if "${fn}_ready"; then return 0; fi
  if ! server_pids "$name" >/dev/null; then
    "${fn}_install"
    say "starting $name (log: $(log_of "$name"))"
    "${fn}_start"
    conf_mark "$name"
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
  make_secrets
  # Start everything first, then wait: the servers boot in parallel.
  for s in "${servers[@]}"; do up_one "$s"; done
  for s in "${servers[@]}"; do
    wait_until "$s" "$(timeout_of "$s")" "$(fn_of "$s")_ready"
  done
  for s in "${servers[@]}"; do
    if [[ "$s" == pulsar ]]; then pulsar_grants; fi
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
      rm -f "$RUN_DIR/$m.pid" "$RUN_DIR/$m.conf.sha256"
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
  make_secrets
  # The operator's credentials (admin token, ClickHouse `default`, NATS `iotctl`), so iotctl,
  # verify and loadgen work from this shell; the tests and the harness also read the services'
  # own (least-privileged) ones from $SECRETS_DIR (test/support/stack.ts, localServers()).
  cat <<EOF
export IOT_STACK_DIR='$STACK_DIR' STACK_PORT_OFFSET='$OFFSET'
export PULSAR_URL='pulsar://127.0.0.1:$PULSAR_PORT' PULSAR_TLS_URL='pulsar+ssl://127.0.0.1:$PULSAR_TLS_PORT'
export PULSAR_ADMIN_URL='http://127.0.0.1:$PULSAR_ADMIN_PORT' PULSAR_ADMIN_TLS_URL='https://127.0.0.1:$PULSAR_ADMIN_TLS_PORT'
export CLICKHOUSE_URL='http://127.0.0.1:$CLICKHOUSE_HTTP_PORT' REDIS_URL='redis://127.0.0.1:$REDIS_PORT'
export NATS_URL='nats://127.0.0.1:$NATS_PORT' S3_ENDPOINT='http://127.0.0.1:$S3_PORT'
export ZIPKIN_URL='http://127.0.0.1:$ZIPKIN_PORT' OTEL_EXPORTER_ZIPKIN_ENDPOINT='http://127.0.0.1:$ZIPKIN_PORT/api/v2/spans'
export PULSAR_AUTH_TOKEN='$(cat "$SECRETS_DIR/pulsar-admin.token")'
export CLICKHOUSE_USER='default' CLICKHOUSE_PASSWORD='$(secret clickhouse-default.password)'
export REDIS_PASSWORD='$(secret redis.password)'
export NATS_USER='iotctl' NATS_PASSWORD='$(secret nats-iotctl.password)'
export PROMETHEUS_URL='http://127.0.0.1:$PROMETHEUS_PORT'
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
