import { test } from 'node:test';
import assert from 'node:assert/strict';

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  clickhouseSpec,
  pulsarCredentials,
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

test('shared settings default to the local stack', () => {
  const config = loadConfig(all, {});
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
  assert.equal(config.PULSAR_AUTH_TOKEN, undefined);
  assert.equal(config.PULSAR_TLS_TRUST_CERTS, undefined);
});

test('tracing settings take the OpenTelemetry SDK names and refuse what the SDK would not', () => {
  const config = loadConfig(all, {
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
    CLICKHOUSE_URL: 'jdbc:clickhouse://clickhouse.svc:8123/benchmark',
  });
  assert.equal(config.CLICKHOUSE_URL, 'http://clickhouse.svc:8123/benchmark');
});

test('deployments must set every server address', () => {
  assert.deepEqual(deploymentVariables(all), [
    'PULSAR_URL',
    'PULSAR_ADMIN_URL',
    'CLICKHOUSE_URL',
    'REDIS_URL',
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
    assert.deepEqual(pulsarCredentials(loadConfig(pulsarSpec, {})), {});
    assert.throws(
      () => loadConfig(pulsarSpec, { PULSAR_TLS_TRUST_CERTS: join(dir, 'missing.pem') }),
      /PULSAR_TLS_TRUST_CERTS=".*missing\.pem" cannot be read \(ENOENT\)/,
    );
    assert.throws(
      () => loadConfig(pulsarSpec, { PULSAR_TLS_TRUST_CERTS: join(dir, 'not.pem') }),
      /holds no PEM certificate/,
    );
  } finally {
    rmSync(dir, { recursive: true });
  }
});
