// Permit accounting and batch handling of a consumer against a scripted broker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { PulsarClient } from './client.ts';
import { encodeBatchItem } from './protocol/batch.ts';
import { compress } from './compression/index.ts';
import {
  CommandType,
  CompressionType,
  LookupType,
  type BaseCommand,
  type MessageMetadata,
} from './protocol/commands.ts';
import { encodePayloadCommand } from './protocol/frame.ts';
import { FakeBroker, connectThen } from './testing/fake-broker.ts';

function fakeTopicOwner(flows: number[], subscribed: (socket: Socket, consumerId: bigint) => void) {
  const broker = new FakeBroker(
    connectThen((cmd: BaseCommand, reply, socket) => {
      if (cmd.type === CommandType.PARTITIONED_METADATA) {
        reply({
          type: CommandType.PARTITIONED_METADATA_RESPONSE,
          partitionMetadataResponse: {
            request_id: cmd.partitionMetadata!.request_id,
            partitions: 0,
          },
        });
      } else if (cmd.type === CommandType.LOOKUP) {
        reply({
          type: CommandType.LOOKUP_RESPONSE,
          lookupTopicResponse: {
            request_id: cmd.lookupTopic!.request_id,
            response: LookupType.Connect,
            brokerServiceUrl: broker.url,
          },
        });
      } else if (cmd.type === CommandType.SUBSCRIBE) {
        reply({ type: CommandType.SUCCESS, success: { request_id: cmd.subscribe!.request_id } });
        setImmediate(() => subscribed(socket, cmd.subscribe!.consumer_id));
      } else if (cmd.type === CommandType.FLOW) {
        flows.push(cmd.flow!.messagePermits);
      }
    }),
  );
  return broker;
}

function batchFrame(consumerId: bigint, entryId: bigint, count: number, ackSet?: bigint[]): Buffer {
  const items = Array.from({ length: count }, (_, i) => encodeBatchItem({}, Buffer.from(`m${i}`)));
  return encodePayloadCommand(
    {
      type: CommandType.MESSAGE,
      message: {
        consumer_id: consumerId,
        message_id: { ledgerId: 7n, entryId },
        ...(ackSet ? { ack_set: ackSet } : {}),
      },
    },
    { producer_name: 'p', sequence_id: 0n, publish_time: 1n, num_messages_in_batch: count },
    Buffer.concat(items),
  );
}

test('permits: one entry asked first, a batch charged for its unacked messages, refilled in entries', async () => {
  const flows: number[] = [];
  const broker = await fakeTopicOwner(flows, (socket, consumerId) => {
    // 5-message batch, indexes 0 and 1 already acked (ack_set bits clear)
    socket.write(batchFrame(consumerId, 1n, 5, [0b11100n]));
  }).start();
  const client = new PulsarClient({ serviceUrl: broker.url, operationTimeoutMs: 2000 });
  const consumer = await client.subscribe({ topic: 't', subscription: 's', receiverQueueSize: 4 });
  const got = [];
  while (got.length < 3) got.push(...(await consumer.receiveBatch(3 - got.length, 2000)));
  assert.deepEqual(
    got.map((m) => [m.payload.toString(), m.messageId.batchIndex, m.messageId.batchSize]),
    [
      ['m2', 2, 5],
      ['m3', 3, 5],
      ['m4', 4, 5],
    ],
  );
  await new Promise((r) => setTimeout(r, 50));
  // Entry sizes unknown on subscribe: one permit, so at most one entry comes.
  assert.equal(flows[0], 1);
  // The broker charged 3 (5 messages, 2 of them acked). Once the queue drained, we granted
  // enough to leave it exactly one permit: one more entry (≈ 5 messages), not 4 entries.
  const granted = flows.reduce((a, b) => a + b, 0);
  assert.equal(granted - 3, 1, `flows ${flows}`);
  await client.close();
  await broker.stop();
});

test('a batched entry is acked once, after all its messages are', async () => {
  const flows: number[] = [];
  const broker = await fakeTopicOwner(flows, (socket, consumerId) => {
    socket.write(batchFrame(consumerId, 3n, 3));
  }).start();
  const client = new PulsarClient({ serviceUrl: broker.url, operationTimeoutMs: 2000 });
  const consumer = await client.subscribe({ topic: 't', subscription: 's', ackGroupTimeMs: 0 });
  const got = await consumer.receiveBatch(3, 2000);
  const acks = () => broker.received.filter((c) => c.type === CommandType.ACK);
  await consumer.ack(got[2]!);
  await consumer.ack(got[0]!);
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(acks().length, 0, 'partial batch not acked');
  await consumer.ack(got[1]!);
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(acks().length, 1);
  const [acked] = acks()[0]!.ack!.message_id;
  assert.deepEqual([acked!.ledgerId, acked!.entryId], [7n, 3n]);
  assert.equal(acks()[0]!.ack!.message_id.length, 1);
  await client.close();
  await broker.stop();
});

function entryFrame(
  consumerId: bigint,
  entryId: bigint,
  payload: Buffer,
  meta: Partial<MessageMetadata> = {},
): Buffer {
  return encodePayloadCommand(
    {
      type: CommandType.MESSAGE,
      message: { consumer_id: consumerId, message_id: { ledgerId: 7n, entryId } },
    },
    { producer_name: 'p', sequence_id: entryId, publish_time: 1n, ...meta },
    payload,
  );
}

const smallClient = (serviceUrl: string): PulsarClient =>
  new PulsarClient({ serviceUrl, operationTimeoutMs: 2000, maxMessageSize: 1000 });

/** A hostile entry at 1, 2 and 3 (each a different way to lie about sizes), a good one at 4. */
function hostileThenGood(socket: Socket, consumerId: bigint): void {
  const packed = compress(CompressionType.LZ4, Buffer.alloc(64, 1));
  // Claims 4 GiB uncompressed: the LZ4 decoder would allocate that much.
  socket.write(
    entryFrame(consumerId, 1n, packed, {
      compression: CompressionType.LZ4,
      uncompressed_size: 0xffffffff,
    }),
  );
  // Claims 2^31 - 1 messages in a few bytes.
  const item = encodeBatchItem({}, Buffer.from('x'));
  socket.write(entryFrame(consumerId, 2n, item, { num_messages_in_batch: 2 ** 31 - 1 }));
  // Within the broker's limit but above this client's 1000-byte maxMessageSize.
  const big = compress(CompressionType.ZLIB, Buffer.alloc(2000, 2));
  socket.write(
    entryFrame(consumerId, 3n, big, { compression: CompressionType.ZLIB, uncompressed_size: 2000 }),
  );
  socket.write(entryFrame(consumerId, 4n, Buffer.from('good')));
}

test('entries that declare oversized payloads or batches are discarded by default; the next one arrives', async () => {
  const broker = await fakeTopicOwner([], hostileThenGood).start();
  const client = smallClient(broker.url);
  const consumer = await client.subscribe({ topic: 't', subscription: 's', ackGroupTimeMs: 0 });
  const got = await consumer.receiveBatch(10, 500);
  assert.deepEqual(
    got.map((m) => m.payload.toString()),
    ['good'],
  );
  await new Promise((r) => setTimeout(r, 50));
  const rejected = broker.received
    .filter((c) => c.type === CommandType.ACK && c.ack!.validation_error !== undefined)
    .map((c) => [c.ack!.message_id[0]!.entryId, c.ack!.validation_error]);
  // DecompressionError (1) for the sizes, BatchDeSerializeError (3) for the batch.
  assert.deepEqual(rejected, [
    [1n, 1],
    [2n, 3],
    [3n, 1],
  ]);
  await client.close();
  await broker.stop();
});

test("corruptMessages 'deliver': each undecodable entry arrives once, raw, with the reason", async () => {
  const broker = await fakeTopicOwner([], hostileThenGood).start();
  const client = smallClient(broker.url);
  const consumer = await client.subscribe({
    topic: 't',
    subscription: 's',
    corruptMessages: 'deliver',
  });
  const got = [];
  while (got.length < 4) got.push(...(await consumer.receiveBatch(4 - got.length, 2000)));
  assert.deepEqual(
    got.map((m) => [m.messageId.entryId, m.messageId.batchIndex]),
    [
      [1n, -1],
      [2n, -1],
      [3n, -1],
      [4n, -1],
    ],
  );
  assert.match(got[0]!.decodeError ?? '', /4294967295 uncompressed bytes, above the 1000-byte/);
  assert.match(got[1]!.decodeError ?? '', /batch declares 2147483647 messages/);
  assert.match(got[2]!.decodeError ?? '', /2000 uncompressed bytes, above the 1000-byte/);
  assert.equal(got[3]!.decodeError, undefined);
  assert.equal(got[3]!.payload.toString(), 'good');
  // The raw bytes, as published, for the dead-letter queue.
  assert.deepEqual(got[0]!.payload, compress(CompressionType.LZ4, Buffer.alloc(64, 1)));
  await client.close();
  await broker.stop();
});
