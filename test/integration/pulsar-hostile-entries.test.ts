// Entries that lie about their sizes, published to the real broker with hand-built frames
// (the broker stores what it is sent and never decompresses): our consumer must refuse them
// before allocating, keep the partition moving, and with corruptMessages 'deliver' hand each
// one over once for the dead-letter queue.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { compress } from '../../libs/pulsar/compression/index.ts';
import { encodeBatchItem } from '../../libs/pulsar/protocol/batch.ts';
import { CompressionType } from '../../libs/pulsar/protocol/commands.ts';
import { PulsarClient, type Message } from '../../libs/pulsar/index.ts';
import { PULSAR_URL, publishRawEntries, uniqueName, uniqueTopic } from '../support/pulsar.ts';
import { auth } from '../support/stack.ts';

const topic = uniqueTopic('hostile-entries');
const LZ4_BYTES = compress(CompressionType.LZ4, Buffer.alloc(64, 1));
let client: PulsarClient;

before(async () => {
  client = new PulsarClient({ ...auth.pulsar, serviceUrl: PULSAR_URL, operationTimeoutMs: 15_000 });
  await publishRawEntries(topic, [
    // 4 GiB declared: without the limit the LZ4 decoder would allocate that much.
    {
      payload: LZ4_BYTES,
      meta: { compression: CompressionType.LZ4, uncompressed_size: 0xffffffff },
    },
    // 2^31 - 1 messages declared in a one-message batch.
    {
      payload: encodeBatchItem({}, Buffer.from('x')),
      meta: { num_messages_in_batch: 2 ** 31 - 1 },
    },
  ]);
  const producer = await client.createProducer({ topic });
  await producer.send({ payload: Buffer.from('good') });
  await producer.close();
});

after(() => client.close());

async function receiveAll(corruptMessages: 'discard' | 'deliver', n: number): Promise<Message[]> {
  const consumer = await client.subscribe({
    topic,
    subscription: uniqueName(`s-${corruptMessages}`),
    initialPosition: 'Earliest',
    corruptMessages,
  });
  const got: Message[] = [];
  const deadline = Date.now() + 15_000;
  while (got.length < n && Date.now() < deadline) {
    for (const m of await consumer.receiveBatch(n - got.length, 1000)) {
      got.push(m);
      await consumer.ack(m);
    }
  }
  await consumer.close();
  return got;
}

test("'deliver': each lying entry arrives once, raw, with its reason; then the good one", async () => {
  const got = await receiveAll('deliver', 3);
  assert.equal(got.length, 3);
  assert.match(got[0]!.decodeError ?? '', /4294967295 uncompressed bytes, above the 5242880-byte/);
  assert.deepEqual(got[0]!.payload, LZ4_BYTES);
  assert.match(got[1]!.decodeError ?? '', /batch declares 2147483647 messages/);
  assert.equal(got[2]!.decodeError, undefined);
  assert.equal(got[2]!.payload.toString(), 'good');
});

test("'discard' (default): the lying entries are dropped with a validation error; the good one arrives", async () => {
  const got = await receiveAll('discard', 1);
  assert.deepEqual(
    got.map((m) => m.payload.toString()),
    ['good'],
  );
});
