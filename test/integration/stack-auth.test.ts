// Every server of the local stack authenticates (stack/stack.sh, README "Security"): a client
// without a credential, or with a wrong one, is refused; each identity can do what its role
// needs and no more (Pulsar roles, the read-only ClickHouse user, NATS subject permissions).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createClient } from '@clickhouse/client';
import { Redis } from 'ioredis';
import { connect, StringCodec, type NatsConnection } from 'nats';
import { CheckpointStore, createS3Client } from '@iot/checkpoint-storage';
import { AuthenticationError, PulsarAdmin, PulsarClient } from '../../libs/pulsar/index.ts';
import { signToken, uniqueTopic, withTimeout } from '../support/pulsar.ts';
import { auth, pulsarTokenSecretFile, stack, uniqueName } from '../support/stack.ts';

const sc = StringCodec();
const { services, operator } = stack.credentials;

test('Pulsar: no token, or a token the broker cannot verify, is refused', async () => {
  for (const [what, token] of [
    ['no token', undefined],
    ['a token signed with another key', signToken({ sub: 'admin' }, Buffer.alloc(32, 9))],
  ] as const) {
    const client = new PulsarClient({
      serviceUrl: stack.pulsarUrl,
      ...(token === undefined ? {} : { authToken: token }),
      operationTimeoutMs: 30_000,
    });
    await assert.rejects(
      withTimeout(client.createProducer({ topic: uniqueTopic('noauth') }), 10_000, what),
      (err) => {
        assert.ok(err instanceof AuthenticationError, `${what}: ${String(err)}`);
        return true;
      },
    );
    await client.close();
  }
  const res = await fetch(`${stack.pulsarAdminUrl}/admin/v2/clusters`);
  assert.equal(res.status, 401, 'the admin API without a token');
});

test('Pulsar: a role is granted what it needs only', async () => {
  const topic = uniqueTopic('roles');
  // The services' role produces and consumes on public/default.
  const pipeline = new PulsarClient({
    serviceUrl: stack.pulsarUrl,
    authToken: services.pulsarToken,
  });
  const producer = await pipeline.createProducer({ topic });
  await producer.send({ payload: Buffer.from('ok') });
  await producer.close();
  await pipeline.close();
  // A verified token whose role was granted nothing cannot produce.
  const secret = readFileSync(pulsarTokenSecretFile);
  const stranger = new PulsarClient({
    serviceUrl: stack.pulsarUrl,
    authToken: signToken({ sub: 'stranger' }, secret),
    operationTimeoutMs: 10_000,
  });
  await assert.rejects(stranger.createProducer({ topic }), /AuthorizationError|not authorized/i);
  await stranger.close();
  // Cluster administration is the superuser's (admin), not the services' or the operator's,
  // whose tokens work for the namespace (tenant admins of public, for topic policies).
  for (const token of [services.pulsarToken, operator.pulsarToken]) {
    const headers = { authorization: `Bearer ${token}`, 'x-pulsar-auth-method-name': 'token' };
    const own = await fetch(`${stack.pulsarAdminUrl}/admin/v2/persistent/public/default`, {
      headers,
    });
    assert.equal(own.status, 200, 'listing the namespace topics');
    const res = await fetch(`${stack.pulsarAdminUrl}/admin/v2/clusters/standalone`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.ok([401, 403].includes(res.status), `updating the cluster is refused (${res.status})`);
  }
  await new PulsarAdmin({ adminUrl: stack.pulsarAdminUrl, ...auth.pulsar }).deleteTopic(topic);
});

test('ClickHouse: no password or a wrong one is refused; the reader cannot write', async () => {
  for (const [what, creds] of [
    ['no credentials', {}],
    ['a wrong password', { username: 'default', password: 'wrong-password' }],
    ['the writer with a wrong password', { username: 'iot_writer', password: 'nope' }],
  ] as const) {
    const ch = createClient({ url: stack.clickhouseUrl, ...creds });
    await assert.rejects(ch.query({ query: 'SELECT 1' }), /password|Authentication/i, what);
    await ch.close();
  }
  const db = uniqueName('auth').replaceAll('-', '_');
  const writer = createClient({
    url: stack.clickhouseUrl,
    username: services.clickhouseUser,
    password: services.clickhousePassword,
  });
  const reader = createClient({
    url: stack.clickhouseUrl,
    username: operator.clickhouseUser,
    password: operator.clickhousePassword,
  });
  try {
    await writer.command({ query: `CREATE DATABASE ${db}` });
    await writer.command({ query: `CREATE TABLE ${db}.t (x UInt8) ENGINE = Memory` });
    await writer.command({ query: `INSERT INTO ${db}.t VALUES (1)` });
    const rows = await (
      await reader.query({ query: `SELECT x FROM ${db}.t`, format: 'JSONEachRow' })
    ).json();
    assert.deepEqual(rows, [{ x: 1 }]);
    await assert.rejects(reader.command({ query: `INSERT INTO ${db}.t VALUES (2)` }), /readonly/i);
    await assert.rejects(reader.command({ query: `DROP TABLE ${db}.t` }), /readonly/i);
  } finally {
    const admin = createClient({ url: stack.clickhouseUrl, ...auth.clickhouse });
    await admin.command({ query: `DROP DATABASE IF EXISTS ${db}` });
    await Promise.all([writer.close(), reader.close(), admin.close()]);
  }
});

test('Redis: no password or a wrong one is refused', async () => {
  const opts = { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null };
  for (const [what, password, answer] of [
    ['no password', undefined, /NOAUTH/],
    ['a wrong password', 'wrong-password', /WRONGPASS/],
  ] as const) {
    const errors: string[] = [];
    const redis = new Redis(stack.redisUrl, {
      ...opts,
      ...(password === undefined ? {} : { password }),
    });
    // The server's answer arrives as an error event; then the client gives up the connection.
    redis.on('error', (err: Error) => errors.push(err.message));
    await assert.rejects(redis.connect(), what);
    assert.ok(
      errors.some((e) => answer.test(e)),
      `${what}: ${errors.join('; ')}`,
    );
    redis.disconnect();
  }
  const good = new Redis(stack.redisUrl, { ...opts, ...auth.redis });
  await good.connect();
  assert.equal(await good.ping(), 'PONG');
  good.disconnect();
});

/** Whether a message published by `from` on `subject` reaches `to` within 500 ms. */
async function delivered(from: NatsConnection, to: NatsConnection, subject: string) {
  const sub = to.subscribe(subject, { max: 1, timeout: 500 });
  await to.flush();
  from.publish(subject, sc.encode('x'));
  await from.flush();
  try {
    for await (const _m of sub) return true;
  } catch {
    return false; // the subscription timed out: nothing came
  }
  return false;
}

test('NATS: no credentials or a wrong password is refused; only the operator sends control requests', async () => {
  await assert.rejects(connect({ servers: stack.natsUrl, reconnect: false }), /Authorization/i);
  await assert.rejects(
    connect({ servers: stack.natsUrl, user: 'pipeline', pass: 'wrong', reconnect: false }),
    /Authorization/i,
  );
  const pipeline = await connect({
    servers: stack.natsUrl,
    user: services.natsUser,
    pass: services.natsPassword,
  });
  const iotctl = await connect({
    servers: stack.natsUrl,
    user: operator.natsUser,
    pass: operator.natsPassword,
  });
  try {
    const prefix = uniqueName('auth').replaceAll('-', '_');
    for (const s of [
      'control.suspend',
      'control.resume',
      'control.restore',
      'checkpoint.savepoint',
    ]) {
      assert.equal(await delivered(pipeline, iotctl, `${prefix}.${s}`), false, `services: ${s}`);
      assert.equal(await delivered(iotctl, pipeline, `${prefix}.${s}`), true, `operator: ${s}`);
    }
    // Prefixes of several tokens too (CONTROL_SUBJECT_PREFIX may hold dots).
    assert.equal(await delivered(pipeline, iotctl, `a.b.${prefix}.control.suspend`), false);
    for (const s of ['checkpoint.trigger', 'checkpoint.report', 'status', 'heartbeat.ingest.i1']) {
      assert.equal(await delivered(pipeline, iotctl, `${prefix}.${s}`), true, `services: ${s}`);
    }
  } finally {
    await Promise.all([pipeline.close(), iotctl.close()]);
  }
});

test('S3: a wrong secret key is refused', async () => {
  const store = new CheckpointStore({
    s3: createS3Client({
      endpoint: stack.s3Endpoint,
      region: stack.s3Region,
      accessKeyId: stack.s3AccessKey,
      secretAccessKey: 'wrong-secret-key',
      forcePathStyle: true,
    }),
    bucket: stack.s3Bucket,
    prefix: uniqueName('auth'),
  });
  await assert.rejects(store.listEpochs(), /signature|denied|forbidden|403/i);
  store.s3.destroy();
});
