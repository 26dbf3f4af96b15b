// Settings several services share. Names and defaults follow docs/architecture.md and the
// local stack (CONTRIBUTING.md): defaults pointing at 127.0.0.1 are local-only, so
// deployment manifests must set those variables (deploymentVariables()).

import { readFileSync } from 'node:fs';

import { credsAuthenticator, type Authenticator } from 'nats';

import {
  InvalidValue,
  bool,
  clickhouseUrl,
  custom,
  duration,
  hostPorts,
  int,
  num,
  oneOf,
  str,
  topic,
  url,
} from './spec.ts';

/** A PEM file of CA certificates; read at load, so a wrong path stops the service at start. */
function caCertificatesFile() {
  return custom<string>({
    expected: 'the path of a readable PEM file of CA certificates',
    example: '/etc/pulsar/tls/ca.cert.pem',
    parse: (raw) => {
      let text: string;
      try {
        text = readFileSync(raw, 'utf8');
      } catch (err) {
        throw new InvalidValue(`cannot be read (${(err as NodeJS.ErrnoException).code ?? err})`);
      }
      if (!text.includes('-----BEGIN CERTIFICATE-----')) {
        throw new InvalidValue('holds no PEM certificate (-----BEGIN CERTIFICATE-----)');
      }
      return raw;
    },
  });
}

export const pulsarSpec = {
  PULSAR_URL: url({ protocols: ['pulsar:', 'pulsar+ssl:'] }).localDefault(
    'pulsar://127.0.0.1:6650',
  ),
  PULSAR_ADMIN_URL: url().localDefault('http://127.0.0.1:8080'),
  // Every server authenticates (README, "Security"); a JWT whose subject is this service's role.
  PULSAR_AUTH_TOKEN: str({ example: 'eyJhbGciOi…' }).secret(),
  // For pulsar+ssl:// and https:// brokers whose certificate a private CA signed.
  PULSAR_TLS_TRUST_CERTS: caCertificatesFile().optional(),
  // How often the stages look for new partitions of the topics they read and write
  // (`iotctl topics ensure` can raise a count while they run; docs/architecture.md).
  PULSAR_PARTITIONS_REFRESH: duration({ min: '1s', max: '1h' }).default('60s'),
};

/**
 * The credentials part of PulsarClient and PulsarAdmin options, from the shared settings:
 * the token, and the trusted CAs (used only for pulsar+ssl:// and https:// URLs).
 */
export function pulsarCredentials(config: {
  readonly PULSAR_AUTH_TOKEN?: string | undefined;
  readonly PULSAR_TLS_TRUST_CERTS?: string | undefined;
}): { authToken?: string; tls?: { ca: string } } {
  return {
    ...(config.PULSAR_AUTH_TOKEN ? { authToken: config.PULSAR_AUTH_TOKEN } : {}),
    ...(config.PULSAR_TLS_TRUST_CERTS
      ? { tls: { ca: readFileSync(config.PULSAR_TLS_TRUST_CERTS, 'utf8') } }
      : {}),
  };
}

/** Topic names (docs/architecture.md, "Services and topics"); each service picks the ones it reads or writes. */
export const topics = {
  PULSAR_TOPIC: topic().default('persistent://public/default/iot-sensor-data'),
  RECORDS_TOPIC: topic().default('persistent://public/default/iot-sensor-records'),
  AGGREGATES_TOPIC: topic().default('persistent://public/default/iot-sensor-aggregates'),
  ALERTS_TOPIC: topic().default('persistent://public/default/iot-sensor-alerts'),
  DLQ_TOPIC: topic().default('persistent://public/default/iot-sensor-data-dlq'),
};

/**
 * Compression of the envelopes a stage publishes on the internal topics (records, alerts,
 * aggregates). Off by default: the broker is usually near, and LZ4 on the per-record
 * messages was 7.7 % of ingest's profile (docs/architecture.md, "Envelopes"); a remote broker
 * may want lz4.
 */
export const envelopeSpec = {
  INTERNAL_COMPRESSION: oneOf(['none', 'lz4', 'zstd', 'zlib', 'snappy'] as const).default('none'),
};

// Credentials have their own variables (and *_FILE twins); credentials inside the URL still
// work, but the separate variables win when both are given.
export const clickhouseSpec = {
  CLICKHOUSE_URL: clickhouseUrl().localDefault('http://127.0.0.1:8123'),
  CLICKHOUSE_USER: str({ example: 'iot_writer' }).fileTwin().credentialFor('CLICKHOUSE_URL'),
  CLICKHOUSE_PASSWORD: str({ example: 's3cret' }).secret().credentialFor('CLICKHOUSE_URL'),
  // A cluster of the server's remote_servers: the tables become ReplicatedReplacingMergeTree
  // on every shard (ON CLUSTER) with a Distributed table in front (docs/architecture.md,
  // "ClickHouse cluster"). Unset: plain ReplacingMergeTree tables on one server.
  CLICKHOUSE_CLUSTER: str({
    pattern: /^[A-Za-z_][A-Za-z0-9_]*$/,
    expected: "a cluster name from the server's remote_servers",
    example: 'iot_cluster',
  }).optional(),
};

export const redisSpec = {
  REDIS_URL: url({ protocols: ['redis:', 'rediss:'] }).localDefault('redis://127.0.0.1:6380'),
  // Redis `requirepass` (or an ACL user's password, with REDIS_USER).
  REDIS_USER: str({ example: 'iot' }).fileTwin().optional(),
  REDIS_PASSWORD: str({ example: 's3cret' }).secret().credentialFor('REDIS_URL'),
  // Seed nodes of a Redis Cluster; when set, the state lives there and REDIS_URL is not used.
  // Every state key of one partition shares a hash tag, so each Lua commit stays in one slot.
  REDIS_CLUSTER_NODES: hostPorts().optional(),
};

/** Why a file is no NATS credentials file; never quotes the file (its content is secret). */
class BadCreds extends InvalidValue {}

// The blocks of an nsc .creds file, `-----BEGIN NATS USER JWT-----` then
// `-----BEGIN USER NKEY SEED-----`: nats.js's own pattern (credsAuthenticator), so a file this
// accepts is one the client can use.
const CREDS_BLOCK = /\s*(?:(?:[-]{3,}[^\n]*[-]{3,}\n)(.+)(?:\n\s*[-]{3,}[^\n]*[-]{3,}\n))/gi;
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
// A user's seed: S (seed), U (user), base32.
const USER_SEED = /^SU[A-Z2-7]{50,}$/;

/** The user JWT and nkey seed of a .creds file's text; throws BadCreds saying what is missing. */
export function parseNatsCreds(text: string): { jwt: string; seed: string } {
  const [jwt, seed] = [...text.matchAll(CREDS_BLOCK)].map((m) => (m[1] ?? '').trim());
  if (jwt === undefined || !JWT.test(jwt)) {
    throw new BadCreds('holds no user JWT block (-----BEGIN NATS USER JWT-----, a JWT)');
  }
  if (seed === undefined || !USER_SEED.test(seed)) {
    throw new BadCreds(
      'holds no user nkey seed block after the JWT (-----BEGIN USER NKEY SEED-----, SU…)',
    );
  }
  return { jwt, seed };
}

function readCreds(path: string): { jwt: string; seed: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new BadCreds(`cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return parseNatsCreds(text);
}

/**
 * A NATS user credentials file (nsc's .creds: the user JWT and its nkey seed), for operator
 * (decentralized JWT) auth; checked at load, so a wrong path or file stops the service at start.
 * The value is the path; the JWT and seed are secrets redact() masks.
 */
function natsCredsFile() {
  return custom<string>({
    expected: 'the path of a readable NATS .creds file (from nsc) holding a user JWT and its seed',
    example: '/etc/nats/pipeline.creds',
    parse: (raw) => {
      readCreds(raw);
      return raw;
    },
  }).secretsIn((path) => {
    try {
      const { jwt, seed } = readCreds(path);
      return [jwt, seed];
    } catch {
      return []; // gone since load: natsConnection will say so
    }
  });
}

export const natsSpec = {
  NATS_URL: url({ protocols: ['nats:', 'tls:'] }).localDefault('nats://127.0.0.1:4223'),
  NATS_USER: str({ example: 'pipeline' })
    .fileTwin()
    .credentialFor('NATS_URL', { unlessSet: 'NATS_CREDS' }),
  NATS_PASSWORD: str({ example: 's3cret' })
    .secret()
    .credentialFor('NATS_URL', { unlessSet: 'NATS_CREDS' }),
  // Operator (JWT) auth, as production NATS deployments run it; replaces user and password.
  NATS_CREDS: natsCredsFile()
    .optional()
    .insteadOf(['NATS_USER', 'NATS_PASSWORD'], { credentialsIn: 'NATS_URL' }),
};

/** A URL without its user and password, and what they were (decoded). */
export function splitUrlCredentials(text: string): {
  url: string;
  user: string | undefined;
  password: string | undefined;
} {
  const u = new URL(text);
  const user = u.username === '' ? undefined : decodeURIComponent(u.username);
  const password = u.password === '' ? undefined : decodeURIComponent(u.password);
  u.username = '';
  u.password = '';
  const bare = u.toString();
  // new URL() adds a lone "/" path; keep the string as it was given.
  return { url: text.endsWith('/') ? bare : bare.replace(/\/$/, ''), user, password };
}

/** ClickHouse client options: the URL without credentials, user and password (variables win). */
export function clickhouseConnection(config: {
  readonly CLICKHOUSE_URL: string;
  readonly CLICKHOUSE_USER?: string | undefined;
  readonly CLICKHOUSE_PASSWORD?: string | undefined;
}): { url: string; username?: string; password?: string } {
  const { url: bare, user, password } = splitUrlCredentials(config.CLICKHOUSE_URL);
  const u = config.CLICKHOUSE_USER ?? user;
  const p = config.CLICKHOUSE_PASSWORD ?? password;
  return {
    url: bare,
    ...(u === undefined ? {} : { username: u }),
    ...(p === undefined ? {} : { password: p }),
  };
}

/** ioredis arguments: the URL without credentials, and username/password (variables win). */
export function redisConnection(config: {
  readonly REDIS_URL: string;
  readonly REDIS_USER?: string | undefined;
  readonly REDIS_PASSWORD?: string | undefined;
}): { url: string; options: { username?: string; password?: string } } {
  const { url: bare, user, password } = splitUrlCredentials(config.REDIS_URL);
  const u = config.REDIS_USER ?? user;
  const p = config.REDIS_PASSWORD ?? password;
  return {
    url: bare,
    options: {
      ...(u === undefined ? {} : { username: u }),
      ...(p === undefined ? {} : { password: p }),
    },
  };
}

/**
 * nats.js connect() options: servers without credentials, and either the NATS_CREDS file's
 * authenticator or user and pass (variables win over the URL's).
 */
export function natsConnection(config: {
  readonly NATS_URL: string;
  readonly NATS_USER?: string | undefined;
  readonly NATS_PASSWORD?: string | undefined;
  readonly NATS_CREDS?: string | undefined;
}): { servers: string; user?: string; pass?: string; authenticator?: Authenticator } {
  const { url: bare, user, password } = splitUrlCredentials(config.NATS_URL);
  const u = config.NATS_USER ?? user;
  const p = config.NATS_PASSWORD ?? password;
  if (config.NATS_CREDS !== undefined) {
    // loadConfig refuses this already; a hand-built config must not log in twice either.
    if (u !== undefined || p !== undefined) {
      throw new Error(
        'NATS_CREDS is set together with a NATS user or password (NATS_USER, NATS_PASSWORD ' +
          'or in NATS_URL); authenticate one way only: unset one or the other',
      );
    }
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(config.NATS_CREDS);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      throw new Error(
        `NATS_CREDS=${JSON.stringify(config.NATS_CREDS)} cannot be read (${code}); ` +
          "point it at the .creds file of this service's NATS user",
      );
    }
    return { servers: bare, authenticator: credsAuthenticator(bytes) };
  }
  return {
    servers: bare,
    ...(u === undefined ? {} : { user: u }),
    ...(p === undefined ? {} : { pass: p }),
  };
}

export const s3Spec = {
  S3_ENDPOINT: url().localDefault('http://127.0.0.1:9100'),
  S3_BUCKET: str({
    pattern: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
    example: 'iot-checkpoints',
  }).default('iot-checkpoints'),
  S3_REGION: str({ example: 'us-east-1' }).default('us-east-1'),
  // The local stack's S3Proxy keys (test/support/stack.ts); deployments set their own.
  S3_ACCESS_KEY: str({ example: 'AKIA…' }).localDefault('local-access-key').secret(),
  S3_SECRET_KEY: str({ example: 'wJalr…' }).localDefault('local-secret-key').secret(),
  // S3Proxy and MinIO serve buckets under the path, not as virtual hosts.
  S3_FORCE_PATH_STYLE: bool().default('true'),
};

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** OTEL_TRACES_EXPORTER values we support (the OpenTelemetry SDK environment names). */
export const TRACES_EXPORTERS = ['otlp', 'zipkin', 'console', 'none'] as const;
/** OTEL_TRACES_SAMPLER values (the OpenTelemetry SDK environment names). */
export const TRACES_SAMPLERS = [
  'parentbased_traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'traceidratio',
  'always_on',
  'always_off',
] as const;

/** What every service process needs to run: its ops port, logging, tracing, shutdown. */
export function serviceSpec(defaultHttpPort: number) {
  return {
    // 0 picks a free port (tests); the start log line names the port actually bound.
    HTTP_PORT: int({ min: 0, max: 65535 }).default(String(defaultHttpPort)),
    // The host other processes reach HTTP_PORT at, announced on the control plane for the
    // operations console. Unset: this host's first non-loopback IPv4 address (a pod's IP).
    OPS_ADVERTISE_HOST: str({ pattern: /^[A-Za-z0-9.:_-]+$/, example: '10.0.3.7' }).optional(),
    LOG_LEVEL: oneOf(LOG_LEVELS).default('info'),
    // Tracing, with the OpenTelemetry SDK's own variable names (libs/observability/tracing.ts).
    // Unset exporter: otlp when OTEL_EXPORTER_OTLP_ENDPOINT is set, else none.
    OTEL_TRACES_EXPORTER: oneOf(TRACES_EXPORTERS).optional(),
    OTEL_EXPORTER_OTLP_ENDPOINT: url({ example: 'http://otel-collector:4318' }).optional(),
    OTEL_EXPORTER_ZIPKIN_ENDPOINT: url({ example: 'http://zipkin:9411/api/v2/spans' }).optional(),
    // Spans are per micro-batch; 1 % of the batches that start a trace (ingest) keeps the cost
    // low, and every later stage follows the upstream decision (parent-based).
    OTEL_TRACES_SAMPLER: oneOf(TRACES_SAMPLERS).default('parentbased_traceidratio'),
    OTEL_TRACES_SAMPLER_ARG: num({ min: 0, max: 1 }).default('0.01'),
    // Below the orchestrator's grace period (Kubernetes: 30 s) so our own deadline fires first.
    SHUTDOWN_TIMEOUT: duration({ min: '100ms', max: '10m' }).default('10s'),
    // /healthz fails when the event loop was blocked longer than this (a liveness restart
    // is drastic: a GC pause or a slow start-up must stay well below it).
    HEALTH_EVENT_LOOP_STALL: duration({ min: '100ms', max: '10m' }).default('5s'),
    // /healthz fails when a partition loop has messages waiting and completed no micro-batch
    // for this long (300 × the stages' 100 ms batch timeout; a ClickHouse insert retrying or
    // a dependency down is excused, see libs/observability/health.ts).
    HEALTH_LOOP_STALL: duration({ min: '1s', max: '1h' }).default('30s'),
  };
}

/** Checkpoint storage folder and control-plane subjects, shared by everyone on the plane. */
export const controlPlaneSpec = {
  // Below this folder of S3_BUCKET ("" = the bucket root); one folder per pipeline.
  CHECKPOINT_S3_PREFIX: str({ pattern: /^[A-Za-z0-9._/-]*$/, example: 'prod' }).default(''),
  // Control-plane subjects live below this prefix (iot.checkpoint.trigger, …).
  CONTROL_SUBJECT_PREFIX: str({
    pattern: /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/,
    example: 'iot',
  }).default('iot'),
};
