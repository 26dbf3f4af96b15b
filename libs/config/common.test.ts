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
import { deploymentVariables, describeConfig, loadConfig, secretValues } from './spec.ts';
import { credsText, userCreds } from '../../test/support/nats-jwt.ts';
import { createAccount, fromPublic } from 'nkeys.js';

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

/** A .creds file with a real user seed (its JWT signed by a throwaway account), in a temp dir. */
function withCredsFiles(run: (dir: string, user: ReturnType<typeof userCreds>) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'config-creds-'));
  const user = userCreds(createAccount());
  writeFileSync(join(dir, 'user.creds'), user.creds);
  try {
    run(dir, user);
  } finally {
    rmSync(dir, { recursive: true });
  }
}

test('NATS_CREDS replaces user and password: natsConnection gives the file as an authenticator', () => {
  withCredsFiles((dir, user) => {
    const file = join(dir, 'user.creds');
    const config = loadConfig(natsSpec, { NATS_URL: 'nats://nats:4222', NATS_CREDS: file });
    assert.equal(config.NATS_CREDS, file);
    assert.equal(config.NATS_USER, undefined, 'no user needed with a .creds file');
    const { authenticator, ...rest } = natsConnection(config);
    assert.deepEqual(rest, { servers: 'nats://nats:4222' });
    assert.ok(authenticator);
    // What the client sends in CONNECT: the user JWT, and the server's nonce signed by the seed.
    const nonce = 'server-nonce';
    const { jwt, nkey, sig } = authenticator(nonce) as { jwt: string; nkey: string; sig: string };
    assert.equal(jwt, user.jwt);
    assert.ok(
      fromPublic(nkey).verify(new TextEncoder().encode(nonce), Buffer.from(sig, 'base64url')),
    );
    // Unset, user and password are still required as before.
    assert.throws(() => loadConfig(natsSpec, {}), /NATS_USER is not set/);
  });
});

test('NATS_CREDS with a user or password (variables or in NATS_URL) is an error naming both', () => {
  withCredsFiles((dir) => {
    const file = join(dir, 'user.creds');
    assert.throws(
      () =>
        loadConfig(natsSpec, { NATS_CREDS: file, NATS_USER: 'pipeline', NATS_PASSWORD_FILE: file }),
      (err: Error & { variables?: string[] }) => {
        assert.deepEqual(err.variables, ['NATS_CREDS']);
        assert.match(
          err.message,
          /NATS_CREDS is set together with NATS_USER and NATS_PASSWORD; authenticate one way only/,
        );
        return true;
      },
    );
    assert.throws(
      () => loadConfig(natsSpec, { NATS_CREDS: file, NATS_URL: 'nats://svc:pw@nats:4222' }),
      /NATS_CREDS is set together with the credentials inside NATS_URL/,
    );
    assert.throws(
      () => natsConnection({ NATS_URL: 'nats://svc:pw@nats:4222', NATS_CREDS: file }),
      /NATS_CREDS is set together with a NATS user or password/,
      'a hand-built config is refused too',
    );
  });
});

test('a NATS_CREDS file that is unreadable or holds no user JWT and seed is a config error', () => {
  withCredsFiles((dir, user) => {
    const bad = {
      'missing.creds': undefined,
      'empty.creds': '',
      'jwt-only.creds': credsText(user.jwt, '').replace(/-----BEGIN USER NKEY SEED[^]*/, ''),
      // nsc's account seed (SA…) where the user's belongs: the client could not sign with it.
      'account-seed.creds': credsText(user.jwt, 'SA' + user.seed.slice(2)),
      'swapped.creds': credsText(user.seed, user.jwt),
    };
    for (const [name, text] of Object.entries(bad))
      if (text !== undefined) writeFileSync(join(dir, name), text);
    const problem = (name: string): string => {
      try {
        loadConfig(natsSpec, { NATS_CREDS: join(dir, name) });
      } catch (err) {
        const message = (err as Error).message;
        // The file's content is secret: neither the JWT nor the seed (nor part of it) shows.
        for (const secret of [user.jwt, user.seed, user.seed.slice(2), user.jwt.split('.')[1]!])
          assert.ok(!message.includes(secret), `${name}: the error quotes the file`);
        assert.deepEqual((err as { variables?: string[] }).variables, ['NATS_CREDS']);
        return message;
      }
      assert.fail(`${name} was accepted`);
    };
    assert.match(
      problem('missing.creds'),
      /NATS_CREDS=".*missing\.creds" cannot be read \(ENOENT\)/,
    );
    assert.match(problem('empty.creds'), /holds no user JWT block \(-----BEGIN NATS USER JWT-----/);
    assert.match(problem('swapped.creds'), /holds no user JWT block/);
    for (const name of ['jwt-only.creds', 'account-seed.creds'])
      assert.match(
        problem(name),
        /holds no user nkey seed block after the JWT \(-----BEGIN USER NKEY SEED-----/,
      );
    assert.match(problem('empty.creds'), /expected the path of a readable NATS \.creds file/);
  });
});

test("the .creds file's JWT and seed are secrets; the path is what the config shows", () => {
  withCredsFiles((dir, user) => {
    const file = join(dir, 'user.creds');
    const config = loadConfig(natsSpec, { NATS_CREDS: file });
    assert.deepEqual(secretValues(natsSpec, config).sort(), [user.jwt, user.seed].sort());
    assert.equal(describeConfig(natsSpec, config).NATS_CREDS, file);
  });
});
