// TLS and token auth against the real broker of the local stack (stack/stack.sh makes the
// CA, the broker certificate and the token secret; standalone.conf turns both on next to the
// plaintext ports): produce and consume over pulsar+ssl://, lookups answering with the TLS
// URL, CRC32C checked on frames that came through TLS, certificate and token refusals that
// fail fast with a clear error, the admin client with a token and over https, and the
// services' PULSAR_AUTH_TOKEN / PULSAR_TLS_TRUST_CERTS settings.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { loadConfig, pulsarCredentials, pulsarSpec } from '@iot/config';
import {
  AdminError,
  AuthenticationError,
  PulsarAdmin,
  PulsarClient,
  TlsCertificateError,
  type Message,
} from '../../libs/pulsar/index.ts';
import { Connection } from '../../libs/pulsar/connection.ts';
import type { ConnectionPool } from '../../libs/pulsar/connection-pool.ts';
import type { LookupService } from '../../libs/pulsar/lookup.ts';
import { CommandType, InitialPosition, SubType } from '../../libs/pulsar/protocol/commands.ts';
import type { Frame } from '../../libs/pulsar/protocol/frame.ts';
import {
  PULSAR_ADMIN_URL,
  PULSAR_URL,
  eventually,
  signToken,
  uniqueTopic,
  withTimeout,
} from '../support/pulsar.ts';
import { auth, pulsarCaFile, pulsarTokenSecretFile, stack } from '../support/stack.ts';

const TLS_URL = stack.pulsarTlsUrl;
const ADMIN_TLS_URL = stack.pulsarAdminTlsUrl;

function portOpen(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const s = connect({ host: hostname, port: Number(port) });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Sends `count` messages and receives them all back on a fresh subscription. */
async function roundTrip(client: PulsarClient, topic: string, count: number): Promise<string[]> {
  const consumer = await client.subscribe({
    topic,
    subscription: 'rt',
    initialPosition: 'Earliest',
    ackGroupTimeMs: 10,
  });
  const producer = await client.createProducer({
    topic,
    batching: { maxMessages: 50, maxDelayMs: 2 },
  });
  const sent = Array.from({ length: count }, (_, i) => `m${i}`);
  await Promise.all(sent.map((p, i) => producer.send({ payload: Buffer.from(p), key: `k${i}` })));
  const got: string[] = [];
  const deadline = Date.now() + 15_000;
  while (got.length < count && Date.now() < deadline) {
    const batch: Message[] = await consumer.receiveBatch(500, 200);
    for (const m of batch) {
      got.push(m.payload.toString());
      await consumer.ack(m);
    }
  }
  await producer.close();
  await consumer.close();
  return got;
}

const sorted = (xs: string[]) => [...xs].sort();
const expected = (n: number) => sorted(Array.from({ length: n }, (_, i) => `m${i}`));

let ca: Buffer;
let secret: Buffer;

before(async () => {
  assert.ok(
    (await portOpen(TLS_URL)) && (await portOpen(ADMIN_TLS_URL)),
    `the broker does not listen on ${TLS_URL} and ${ADMIN_TLS_URL}: it runs with an older ` +
      'config; restart it: npm run stack -- down pulsar && npm run stack -- up pulsar',
  );
  ca = readFileSync(pulsarCaFile);
  secret = readFileSync(pulsarTokenSecretFile);
});

describe('pulsar over TLS (pulsar+ssl://, the stack CA)', () => {
  let client: PulsarClient;
  before(() => {
    client = new PulsarClient({
      ...auth.pulsar,
      serviceUrl: TLS_URL,
      tls: { ca },
      operationTimeoutMs: 15_000,
    });
  });
  after(() => client.close());

  test('produces and consumes; lookups answer with the broker TLS URL', async () => {
    const topic = uniqueTopic('tls');
    assert.deepEqual(sorted(await roundTrip(client, topic, 300)), expected(300));
    const lookup = (client as unknown as { context: { lookup: LookupService } }).context.lookup;
    const address = await lookup.lookup(topic);
    assert.match(address.logicalUrl, /^pulsar\+ssl:\/\/127\.0\.0\.1:6651$/);
    assert.equal(address.physicalUrl, address.logicalUrl);
  });

  test('a partitioned topic: every partition looked up over TLS, all messages back', async () => {
    const topic = uniqueTopic('tls-part');
    const admin = new PulsarAdmin({ ...auth.pulsar, adminUrl: PULSAR_ADMIN_URL });
    await admin.createPartitionedTopic(topic, 3);
    assert.equal(await client.getPartitionCount(topic), 3);
    const lookup = (client as unknown as { context: { lookup: LookupService } }).context.lookup;
    for (const partition of await client.getPartitionsForTopic(topic)) {
      assert.match((await lookup.lookup(partition)).logicalUrl, /^pulsar\+ssl:/, partition);
    }
    const got = await roundTrip(client, topic, 600);
    assert.deepEqual(sorted(got), expected(600));
  });

  test('frames received through TLS still carry a CRC32C that we verify', async () => {
    const topic = uniqueTopic('tls-crc');
    const producer = await client.createProducer({ topic, batching: false });
    for (let i = 0; i < 20; i++) await producer.send({ payload: Buffer.from(`c${i}`) });
    await producer.close();
    // A bare connection shows the frames as they came off the socket.
    const cnx = await Connection.open({
      logicalUrl: TLS_URL,
      physicalUrl: TLS_URL,
      authToken: auth.pulsar.authToken,
      tls: { ca },
      connectTimeoutMs: 5000,
      operationTimeoutMs: 5000,
      keepAliveIntervalMs: 0,
    });
    const frames: Frame[] = [];
    const consumerId = 1n;
    cnx.addConsumer(consumerId, {
      onMessage: (frame) => frames.push(frame),
      onActiveChange: () => undefined,
      onReachedEndOfTopic: () => undefined,
      onDisconnected: () => undefined,
    });
    await cnx.request(
      (request_id) => ({
        type: CommandType.SUBSCRIBE,
        subscribe: {
          topic,
          subscription: 'crc',
          subType: SubType.Exclusive,
          consumer_id: consumerId,
          request_id,
          initialPosition: InitialPosition.Earliest,
        },
      }),
      'subscribe',
    );
    cnx.send({ type: CommandType.FLOW, flow: { consumer_id: consumerId, messagePermits: 100 } });
    const deadline = Date.now() + 5000;
    while (frames.length < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    cnx.close();
    assert.equal(frames.length, 20);
    for (const f of frames) assert.equal(f.checksumOk, true, 'checksum present and matching');
    assert.deepEqual(
      frames.map((f) => f.payload?.toString()),
      Array.from({ length: 20 }, (_, i) => `c${i}`),
    );
  });

  test('without the CA the certificate is refused at once, with a clear error', async () => {
    const noCa = new PulsarClient({
      ...auth.pulsar,
      serviceUrl: TLS_URL,
      operationTimeoutMs: 30_000,
    });
    const started = Date.now();
    await assert.rejects(noCa.createProducer({ topic: uniqueTopic('tls-noca') }), (err) => {
      assert.ok(err instanceof TlsCertificateError, String(err));
      assert.match(err.message, /TLS certificate was rejected .*tls\.ca/);
      assert.equal(err.retryable, false);
      return true;
    });
    // Not retried until the operation timeout: the certificate will not change.
    assert.ok(Date.now() - started < 5000, `failed after ${Date.now() - started} ms`);
    await noCa.close();
  });
});

describe('token auth (HS256 JWTs signed with the stack secret)', () => {
  test('a valid token connects, produces and consumes, over plaintext and TLS', async () => {
    const token = signToken({ sub: 'pipeline' }, secret);
    for (const [serviceUrl, tls] of [
      [PULSAR_URL, undefined],
      [TLS_URL, { ca }],
    ] as const) {
      const client = new PulsarClient({ serviceUrl, authToken: token, ...(tls ? { tls } : {}) });
      const got = await roundTrip(client, uniqueTopic('token'), 100);
      assert.deepEqual(sorted(got), expected(100), serviceUrl);
      await client.close();
    }
    // A function is asked for the token on each connection.
    let asked = 0;
    const fn = new PulsarClient({
      serviceUrl: PULSAR_URL,
      authToken: () => {
        asked++;
        return token;
      },
    });
    assert.deepEqual(sorted(await roundTrip(fn, uniqueTopic('token-fn'), 10)), expected(10));
    assert.ok(asked >= 1);
    await fn.close();
  });

  test('an expiring token is refreshed on the live connection when the broker challenges it', async () => {
    // Tokens valid for 3 s; the broker checks every 5 s (authenticationRefreshCheckSeconds).
    let asked = 0;
    const client = new PulsarClient({
      serviceUrl: PULSAR_URL,
      authToken: () => {
        asked++;
        return signToken({ sub: 'pipeline', exp: Math.floor(Date.now() / 1000) + 3 }, secret);
      },
    });
    const topic = uniqueTopic('token-refresh');
    const consumer = await client.subscribe({ topic, subscription: 'r', ackGroupTimeMs: 0 });
    const producer = await client.createProducer({ topic, batching: false });
    const pool = (client as unknown as { pool: ConnectionPool }).pool;
    const cnx = await pool.get(PULSAR_URL);
    const askedAtConnect = asked;
    await producer.send({ payload: Buffer.from('before') });
    await eventually(() => asked > askedAtConnect, 15_000, 'the broker challenging the token');
    await new Promise((r) => setTimeout(r, 500));
    await producer.send({ payload: Buffer.from('after') });
    const got = await consumer.receiveBatch(2, 5000);
    assert.deepEqual(
      got.map((m) => m.payload.toString()),
      ['before', 'after'],
    );
    assert.equal(cnx.closed, false, 'the same connection, never dropped');
    assert.equal(await pool.get(PULSAR_URL), cnx);
    await client.close();
  });

  for (const [what, token] of [
    ['signed with another key', () => signToken({ sub: 'pipeline' }, Buffer.alloc(32, 7))],
    ['expired', () => signToken({ sub: 'pipeline', exp: 1_000_000 }, secret)],
    ['not a JWT', () => 'not-a-jwt'],
  ] as const) {
    test(`a token ${what} is refused at once with AuthenticationError`, async () => {
      const client = new PulsarClient({
        serviceUrl: PULSAR_URL,
        authToken: token(),
        operationTimeoutMs: 30_000,
      });
      const started = Date.now();
      await assert.rejects(
        withTimeout(client.createProducer({ topic: uniqueTopic('badtoken') }), 10_000, 'create'),
        (err) => {
          assert.ok(err instanceof AuthenticationError, String(err));
          assert.equal(err.code, 'AuthenticationError');
          assert.equal(err.retryable, false);
          assert.match(
            err.message,
            /CONNECT: broker answered AuthenticationError: .*check the token/,
          );
          return true;
        },
      );
      assert.ok(Date.now() - started < 5000, `failed after ${Date.now() - started} ms`);
      await assert.rejects(
        client.subscribe({ topic: uniqueTopic('badtoken'), subscription: 's' }),
        AuthenticationError,
      );
      await client.close();
    });
  }

  test('the admin client: a valid token works, a bad one gets HTTP 401', async () => {
    const topic = uniqueTopic('admin-token');
    const good = new PulsarAdmin({
      adminUrl: PULSAR_ADMIN_URL,
      authToken: signToken({ sub: 'admin' }, secret),
    });
    await good.createPartitionedTopic(topic, 2);
    assert.deepEqual(await good.getPartitionedTopicMetadata(topic), { partitions: 2 });
    const bad = new PulsarAdmin({
      adminUrl: PULSAR_ADMIN_URL,
      authToken: signToken({ sub: 'admin' }, Buffer.alloc(32, 1)),
    });
    await assert.rejects(bad.getPartitionedTopicMetadata(topic), (err) => {
      assert.ok(err instanceof AdminError, String(err));
      assert.equal(err.status, 401);
      return true;
    });
    // The client names its auth method (X-Pulsar-Auth-Method-Name); without it the broker
    // tries every provider, and with no anonymous role (stack/pulsar/standalone.conf) a
    // rejected token is still refused.
    const badToken = signToken({ sub: 'admin' }, Buffer.alloc(32, 1));
    const path = `/admin/v2/clusters`;
    const anonymous = await fetch(`${PULSAR_ADMIN_URL}${path}`, {
      headers: { authorization: `Bearer ${badToken}` },
    });
    assert.equal(anonymous.status, 401, 'a bad token without the method header is refused');
    const none = await fetch(`${PULSAR_ADMIN_URL}${path}`);
    assert.equal(none.status, 401, 'no token at all is refused');
  });

  test('the admin client over https with the stack CA; without it, a certificate error', async () => {
    const topic = uniqueTopic('admin-tls');
    const admin = new PulsarAdmin({
      adminUrl: ADMIN_TLS_URL,
      authToken: signToken({ sub: 'admin' }, secret),
      tls: { ca },
    });
    await admin.createTopic(topic);
    assert.deepEqual(await admin.getPartitionedTopicMetadata(topic), { partitions: 0 });
    const noCa = new PulsarAdmin({ ...auth.pulsar, adminUrl: ADMIN_TLS_URL, timeoutMs: 5000 });
    await assert.rejects(noCa.getPartitionedTopicMetadata(topic), /cannot reach .*certificate/);
  });

  test('the services settings: PULSAR_AUTH_TOKEN and PULSAR_TLS_TRUST_CERTS reach the client', async () => {
    const config = loadConfig(pulsarSpec, {
      PULSAR_URL: TLS_URL,
      PULSAR_ADMIN_URL: ADMIN_TLS_URL,
      PULSAR_AUTH_TOKEN: signToken({ sub: 'pipeline' }, secret),
      PULSAR_TLS_TRUST_CERTS: pulsarCaFile,
    });
    const client = new PulsarClient({
      ...auth.pulsar,
      serviceUrl: config.PULSAR_URL,
      ...pulsarCredentials(config),
    });
    assert.deepEqual(sorted(await roundTrip(client, uniqueTopic('env'), 50)), expected(50));
    await client.close();
    const admin = new PulsarAdmin({
      ...auth.pulsar,
      adminUrl: config.PULSAR_ADMIN_URL,
      ...pulsarCredentials(config),
    });
    assert.deepEqual(await admin.getPartitionedTopicMetadata(uniqueTopic('env-admin')), {
      partitions: 0,
    });
  });
});
