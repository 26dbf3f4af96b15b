import { test } from 'node:test';
import assert from 'node:assert/strict';

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  clickhouseConnection,
  clickhouseSpec,
  natsConnection,
  natsSpec,
  pulsarCredentials,
  redisConnection,
  pulsarSpec,
  redisSpec,
  s3Spec,
  serviceSpec,
  topics,
} from './common.ts';
import { deploymentVariables, loadConfig } from './spec.ts';

const all = {
  ...serviceSpec(9464),
  ...pulsarSpec,
  ...topics,
  ...clickhouseSpec,
  ...redisSpec,
  ...s3Spec,
};

/** The credentials every server asks for (no defaults: README, "Security"). */
const CREDENTIALS = {
  PULSAR_AUTH_TOKEN: 'jwt',
  CLICKHOUSE_USER: 'iot_writer',
  CLICKHOUSE_PASSWORD: 'ch-pw',
  REDIS_PASSWORD: 'redis-pw',
};

test('shared settings default to the local stack', () => {
  const config = loadConfig(all, CREDENTIALS);
  assert.equal(config.PULSAR_URL, 'pulsar://127.0.0.1:6650');
  assert.equal(config.PULSAR_ADMIN_URL, 'http://127.0.0.1:8080');
  assert.equal(config.PULSAR_TOPIC, 'persistent://public/default/iot-sensor-data');
  assert.equal(config.DLQ_TOPIC, 'persistent://public/default/iot-sensor-data-dlq');
  assert.equal(config.CLICKHOUSE_URL, 'http://127.0.0.1:8123');
  assert.equal(config.REDIS_URL, 'redis://127.0.0.1:6380');
  assert.equal(config.S3_ENDPOINT, 'http://127.0.0.1:9100');
  assert.equal(config.S3_BUCKET, 'iot-checkpoints');
  assert.equal(config.HTTP_PORT, 9464);
  assert.equal(config.LOG_LEVEL, 'info');
  assert.equal(config.SHUTDOWN_TIMEOUT, 10_000);
  assert.equal(config.OTEL_EXPORTER_OTLP_ENDPOINT, undefined);
  assert.equal(config.OTEL_TRACES_EXPORTER, undefined);
  assert.equal(config.OTEL_TRACES_SAMPLER, 'parentbased_traceidratio');
  assert.equal(config.OTEL_TRACES_SAMPLER_ARG, 0.01);
  assert.equal(config.PULSAR_AUTH_TOKEN, 'jwt');
  assert.equal(config.PULSAR_TLS_TRUST_CERTS, undefined);
});

test('every credential must be set, and one line names each missing one', () => {
  assert.throws(
    () => loadConfig(all, {}),
    (err: Error & { variables?: string[] }) => {
      assert.deepEqual(err.variables, [
        'PULSAR_AUTH_TOKEN',
        'CLICKHOUSE_USER',
        'CLICKHOUSE_PASSWORD',
        'REDIS_PASSWORD',
      ]);
      assert.match(err.message, /REDIS_PASSWORD is not set \(nor REDIS_PASSWORD_FILE\)/);
      assert.equal(err.message.split('\n').length, 1);
      return true;
    },
  );
});

test('credentials in a URL still work; the separate variables win over them', () => {
  const inUrl = loadConfig(
    { ...clickhouseSpec, ...redisSpec, ...natsSpec },
    {
      CLICKHOUSE_URL: 'http://writer:url%40pw@ch:8123/db',
      REDIS_URL: 'redis://:rpw@redis:6379',
      NATS_URL: 'nats://svc:npw@nats:4222',
    },
  );
  assert.deepEqual(clickhouseConnection(inUrl), {
    url: 'http://ch:8123/db',
    username: 'writer',
    password: 'url@pw',
  });
  assert.deepEqual(redisConnection(inUrl), {
    url: 'redis://redis:6379',
    options: { password: 'rpw' },
  });
  assert.deepEqual(natsConnection(inUrl), {
    servers: 'nats://nats:4222',
    user: 'svc',
    pass: 'npw',
  });
  const both = loadConfig(
    { ...clickhouseSpec, ...natsSpec },
    {
      CLICKHOUSE_URL: 'http://writer:old@ch:8123',
      CLICKHOUSE_USER: 'iot_writer',
      CLICKHOUSE_PASSWORD: 'new',
      NATS_URL: 'nats://svc:old@nats:4222',
      NATS_PASSWORD: 'new',
    },
  );
  assert.deepEqual(clickhouseConnection(both), {
    url: 'http://ch:8123',
    username: 'iot_writer',
    password: 'new',
  });
  assert.deepEqual(natsConnection(both), { servers: 'nats://nats:4222', user: 'svc', pass: 'new' });
});

test('a secret may come from a file (NAME_FILE); both set, or an unreadable file, is an error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'config-secret-'));
  const file = join(dir, 'redis-password');
  writeFileSync(file, 'from-file\n');
  try {
    const spec = { ...redisSpec, ...natsSpec };
    const config = loadConfig(spec, {
      REDIS_PASSWORD_FILE: file,
      NATS_USER_FILE: file,
      NATS_PASSWORD: 'n',
    });
    assert.equal(config.REDIS_PASSWORD, 'from-file', 'the trailing newline is not the secret');
    assert.equal(config.NATS_USER, 'from-file');
    assert.throws(
      () =>
        loadConfig(spec, {
          REDIS_PASSWORD: 'x',
          REDIS_PASSWORD_FILE: file,
          NATS_USER: 'u',
          NATS_PASSWORD_FILE: join(dir, 'missing'),
        }),
      (err: Error & { variables?: string[] }) => {
        assert.deepEqual(err.variables, ['REDIS_PASSWORD', 'NATS_PASSWORD_FILE']);
        assert.match(
          err.message,
          /REDIS_PASSWORD and REDIS_PASSWORD_FILE are both set; set only one/,
        );
        assert.match(err.message, /NATS_PASSWORD_FILE=".*missing" cannot be read \(ENOENT\)/);
        assert.doesNotMatch(err.message, /from-file|"x"/, 'no secret value in the message');
        return true;
      },
    );
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('tracing settings take the OpenTelemetry SDK names and refuse what the SDK would not', () => {
  const config = loadConfig(all, {
    ...CREDENTIALS,
    OTEL_TRACES_EXPORTER: 'zipkin',
    OTEL_EXPORTER_ZIPKIN_ENDPOINT: 'http://zipkin:9411/api/v2/spans',
    OTEL_TRACES_SAMPLER: 'always_on',
    OTEL_TRACES_SAMPLER_ARG: '1',
  });
  assert.equal(config.OTEL_TRACES_EXPORTER, 'zipkin');
  assert.equal(config.OTEL_TRACES_SAMPLER, 'always_on');
  assert.throws(
    () => loadConfig(all, { OTEL_TRACES_EXPORTER: 'jaeger', OTEL_TRACES_SAMPLER_ARG: '2' }),
    /OTEL_TRACES_EXPORTER="jaeger" is not an accepted value.*OTEL_TRACES_SAMPLER_ARG="2" is above/,
  );
});

test("the seed's CLICKHOUSE_URL is accepted and converted", () => {
  const config = loadConfig(clickhouseSpec, {
    CLICKHOUSE_URL: 'jdbc:clickhouse://clickhouse.svc:8123/benchmark?user=w&password=p',
  });
  assert.equal(config.CLICKHOUSE_URL, 'http://w:p@clickhouse.svc:8123/benchmark');
  assert.equal(config.CLICKHOUSE_USER, undefined, 'the URL carries the credentials');
});

test('deployments must set every server address and credential', () => {
  assert.deepEqual(deploymentVariables(all), [
    'PULSAR_URL',
    'PULSAR_ADMIN_URL',
    'PULSAR_AUTH_TOKEN',
    'CLICKHOUSE_URL',
    'CLICKHOUSE_USER',
    'CLICKHOUSE_PASSWORD',
    'REDIS_URL',
    'REDIS_PASSWORD',
    'S3_ENDPOINT',
    'S3_ACCESS_KEY',
    'S3_SECRET_KEY',
  ]);
});

test('PULSAR_TLS_TRUST_CERTS must name a readable PEM file; pulsarCredentials reads it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'config-ca-'));
  const pem = join(dir, 'ca.pem');
  writeFileSync(pem, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
  writeFileSync(join(dir, 'not.pem'), 'hello');
  try {
    const config = loadConfig(pulsarSpec, {
      PULSAR_TLS_TRUST_CERTS: pem,
      PULSAR_AUTH_TOKEN: 'jwt',
    });
    assert.equal(config.PULSAR_TLS_TRUST_CERTS, pem);
    assert.deepEqual(pulsarCredentials(config), {
      authToken: 'jwt',
      tls: { ca: readFileSync(pem, 'utf8') },
    });
    assert.deepEqual(pulsarCredentials(loadConfig(pulsarSpec, { PULSAR_AUTH_TOKEN: 'jwt' })), {
      authToken: 'jwt',
    });
    assert.throws(
      () =>
        loadConfig(pulsarSpec, {
          PULSAR_TLS_TRUST_CERTS: join(dir, 'missing.pem'),
          PULSAR_AUTH_TOKEN: 'jwt',
        }),
      /PULSAR_TLS_TRUST_CERTS=".*missing\.pem" cannot be read \(ENOENT\)/,
    );
    assert.throws(
      () =>
        loadConfig(pulsarSpec, {
          PULSAR_TLS_TRUST_CERTS: join(dir, 'not.pem'),
          PULSAR_AUTH_TOKEN: 'jwt',
        }),
      /holds no PEM certificate/,
    );
  } finally {
    rmSync(dir, { recursive: true });
  }
});
