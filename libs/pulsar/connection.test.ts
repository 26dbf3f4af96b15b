// Connection layer against a scripted fake broker: handshake, auth, PING/PONG, keep-alive,
// request timeouts, lookup redirects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Connection } from './connection.ts';
import { ConnectionPool } from './connection-pool.ts';
import { LookupService } from './lookup.ts';
import { CommandType, LookupType, ServerError } from './protocol/commands.ts';
import { AuthenticationError, ConnectionError, PulsarError, TimeoutError } from './errors.ts';
import { encodePayloadCommand, FrameTooLargeError } from './protocol/frame.ts';
import { FakeBroker, connectThen } from './testing/fake-broker.ts';

const options = (url: string) => ({
  logicalUrl: url,
  physicalUrl: url,
  connectTimeoutMs: 2000,
  operationTimeoutMs: 300,
  keepAliveIntervalMs: 0,
});

test('CONNECT carries version, token and feature flags; CONNECTED sets the max message size', async () => {
  const broker = await new FakeBroker(connectThen()).start();
  const cnx = await Connection.open({ ...options(broker.url), authToken: () => 'secret-jwt' });
  const connect = broker.received[0]!.connect!;
  assert.equal(connect.protocol_version, 20);
  assert.equal(connect.auth_method_name, 'token');
  assert.equal(connect.auth_data?.toString(), 'secret-jwt');
  assert.equal(connect.feature_flags?.supports_broker_entry_metadata, true);
  assert.equal(cnx.maxMessageSize, 1024 * 1024);
  assert.equal(cnx.serverVersion, 'fake');
  cnx.close();
  await broker.stop();
});

test('an ERROR answer to CONNECT fails the open with the broker reason', async () => {
  const broker = await new FakeBroker((cmd, reply) => {
    if (cmd.type === CommandType.CONNECT) {
      reply({
        type: CommandType.ERROR,
        error: { request_id: 0n, error: ServerError.AuthenticationError, message: 'bad token' },
      });
    }
  }).start();
  await assert.rejects(Connection.open(options(broker.url)), (err) => {
    // Not retryable, and says what to check: the same token would be refused again.
    assert.ok(err instanceof AuthenticationError);
    assert.equal(err.retryable, false);
    assert.match(err.message, /AuthenticationError: bad token \(check the token/);
    return true;
  });
  await broker.stop();
});

test('our keep-alive sends PING and drops a peer silent for two intervals', async () => {
  let pings = 0;
  const broker = await new FakeBroker(
    connectThen((cmd) => {
      if (cmd.type === CommandType.PING) pings++; // never answered
    }),
  ).start();
  const cnx = await Connection.open({ ...options(broker.url), keepAliveIntervalMs: 100 });
  await new Promise((r) => setTimeout(r, 120));
  assert.ok(pings >= 1, 'client sent PING');
  const closed = new Promise<Error>((resolve) => cnx.once('close', resolve));
  const err = await closed;
  assert.ok(err instanceof ConnectionError);
  assert.match(err.message, /keep-alive/);
  await broker.stop();
});

test('a broker PING gets a PONG', async () => {
  const broker = await new FakeBroker(connectThen()).start();
  const cnx = await Connection.open(options(broker.url));
  broker.received.length = 0;
  const sockets = [...(broker as unknown as { sockets: Set<import('node:net').Socket> }).sockets];
  const { encodeCommand } = await import('./protocol/frame.ts');
  sockets[0]!.write(encodeCommand({ type: CommandType.PING, ping: {} }));
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(broker.received.some((c) => c.type === CommandType.PONG));
  cnx.close();
  await broker.stop();
});

test('requests time out cleanly and fail when the connection drops', async () => {
  const broker = await new FakeBroker(connectThen()).start();
  const cnx = await Connection.open(options(broker.url));
  const build = (request_id: bigint) => ({
    type: CommandType.LOOKUP,
    lookupTopic: { topic: 't', request_id },
  });
  await assert.rejects(cnx.request(build, 'lookup of t'), TimeoutError);
  const pending = cnx.request(build, 'lookup of t', 5000);
  broker.dropConnections();
  await assert.rejects(pending, ConnectionError);
  await broker.stop();
});

/** A broker answering every LOOKUP with one fixed response. */
function lookupAnswer(
  response: LookupType,
  brokerServiceUrl: () => string,
  authoritative?: boolean,
) {
  return connectThen((cmd, reply) => {
    if (cmd.type !== CommandType.LOOKUP) return;
    reply({
      type: CommandType.LOOKUP_RESPONSE,
      lookupTopicResponse: {
        request_id: cmd.lookupTopic!.request_id,
        response,
        brokerServiceUrl: brokerServiceUrl(),
        ...(authoritative !== undefined ? { authoritative } : {}),
      },
    });
  });
}

test('lookup follows redirects with the authoritative flag and caps them', async () => {
  const target = await new FakeBroker(
    lookupAnswer(LookupType.Connect, () => 'pulsar://owner:6650', true),
  ).start();
  const front = await new FakeBroker(
    lookupAnswer(LookupType.Redirect, () => target.url, true),
  ).start();
  const pool = new ConnectionPool({
    connectTimeoutMs: 1000,
    operationTimeoutMs: 1000,
    keepAliveIntervalMs: 0,
  });
  const found = await new LookupService(pool, front.url).lookup('persistent://public/default/t');
  assert.deepEqual(found, {
    logicalUrl: 'pulsar://owner:6650',
    physicalUrl: 'pulsar://owner:6650',
  });
  assert.equal(
    target.received.find((c) => c.type === CommandType.LOOKUP)?.lookupTopic?.authoritative,
    true,
  );

  // A broker that always redirects to itself: the lookup gives up.
  front.setResponder(lookupAnswer(LookupType.Redirect, () => front.url));
  await assert.rejects(new LookupService(pool, front.url, 3).lookup('t2'), (err: unknown) => {
    assert.ok(err instanceof PulsarError);
    assert.match(err.message, /more than 3 redirects/);
    return true;
  });
  await pool.close();
  await front.stop();
  await target.stop();
});

test('frames above the broker limit close the connection unless the client allows them', async () => {
  // The fake broker announces 1 MiB; this frame is 2 MiB (a MESSAGE for no consumer).
  const big = encodePayloadCommand(
    {
      type: CommandType.MESSAGE,
      message: { consumer_id: 9n, message_id: { ledgerId: 1n, entryId: 1n } },
    },
    { producer_name: 'p', sequence_id: 0n, publish_time: 1n },
    Buffer.alloc(2 * 1024 * 1024),
  );
  for (const maxMessageSize of [undefined, 3 * 1024 * 1024]) {
    let sent = false;
    const broker = await new FakeBroker(
      connectThen((cmd, reply, socket) => {
        if (cmd.type === CommandType.PING && !sent) {
          sent = true;
          socket.write(big);
          reply({ type: CommandType.PING, ping: {} });
        }
      }),
    ).start();
    const cnx = await Connection.open({ ...options(broker.url), maxMessageSize });
    const closed = new Promise<unknown>((resolve) => cnx.once('close', resolve));
    cnx.send({ type: CommandType.PING, ping: {} });
    const pong = () => broker.received.some((c) => c.type === CommandType.PONG);
    for (let i = 0; i < 100 && !pong() && !cnx.closed; i++)
      await new Promise((r) => setTimeout(r, 20));
    if (maxMessageSize === undefined) {
      assert.ok(cnx.closed, 'refused: the frame exceeds 1 MiB + 64 KiB');
      assert.ok((await closed) instanceof FrameTooLargeError);
    } else {
      assert.ok(pong() && !cnx.closed, 'the client allowed 3 MiB: frame read, PING answered');
      assert.equal(cnx.maxIncomingSize, 3 * 1024 * 1024);
    }
    cnx.close();
    await broker.stop();
  }
});

test('a partition count waits through a restarting broker, and fails at once on a refusal', async () => {
  // The broker first refuses the connection (not started yet), then answers ServiceNotReady
  // (namespaces still loading), then the count: what a service starting beside a restarting
  // broker meets.
  const probe = await new FakeBroker(connectThen()).start();
  const url = probe.url;
  await probe.stop();
  let notReady = 2;
  let error = ServerError.ServiceNotReady;
  const respond = connectThen((cmd, reply) => {
    if (cmd.type !== CommandType.PARTITIONED_METADATA) return;
    const request_id = cmd.partitionMetadata!.request_id;
    reply({
      type: CommandType.PARTITIONED_METADATA_RESPONSE,
      partitionMetadataResponse:
        notReady-- > 0
          ? { request_id, response: 1, error, message: 'not yet' }
          : { request_id, partitions: 4 },
    });
  });
  const broker = new FakeBroker(respond);
  const port = Number(new URL(url).port);
  const late = setTimeout(() => {
    void (broker as unknown as { server: import('node:net').Server }).server.listen(
      port,
      '127.0.0.1',
    );
  }, 400);
  const pool = new ConnectionPool({
    connectTimeoutMs: 1000,
    operationTimeoutMs: 1000,
    keepAliveIntervalMs: 0,
  });
  try {
    assert.equal(await new LookupService(pool, url, 20, 10_000).partitionCount('t'), 4);
    const asked = broker.received.filter((c) => c.type === CommandType.PARTITIONED_METADATA);
    assert.equal(asked.length, 3, 'twice ServiceNotReady, then the answer');

    // Not retryable: the same request would be refused again.
    notReady = 1;
    error = ServerError.AuthorizationError;
    const started = Date.now();
    await assert.rejects(
      new LookupService(pool, url, 20, 10_000).partitionCount('t'),
      (err: unknown) => err instanceof PulsarError && err.code === 'AuthorizationError',
    );
    assert.ok(Date.now() - started < 1_000, 'no retries on a refusal');

    // Without a retry budget (the default), the first failure is the answer.
    notReady = 1;
    error = ServerError.ServiceNotReady;
    await assert.rejects(new LookupService(pool, url).partitionCount('t'), PulsarError);
  } finally {
    clearTimeout(late);
    await pool.close();
    await broker.stop();
  }
});
