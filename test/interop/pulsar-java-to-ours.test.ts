// Interop: the official Java client (4.2.4, from Maven Central) produces batched, keyed
// messages with properties and event times in every codec; our consumer must read them
// exactly (payload, key, properties, event time, producer, sequence ids, batch positions).
// ZSTD goes through node:zlib (the hand-written decoder Node 20 needed is gone). Skipped
// when java/javac/mvn are missing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PulsarClient, type Logger, type Message } from '../../libs/pulsar/index.ts';
import { PULSAR_ADMIN_URL, PULSAR_URL, uniqueTopic, stackClient } from '../support/pulsar.ts';
import {
  ensureJavaClient,
  javaUnavailable,
  runInterop,
  sensorReadings,
  storedEntry,
} from './java-client.ts';

const COUNT = 30;
const CODECS = ['NONE', 'LZ4', 'ZLIB', 'SNAPPY', 'ZSTD'] as const;
const skip = javaUnavailable();

/** What PulsarInterop.produce sends as message i (kept in step with the Java source). */
function expected(
  codec: string,
  i: number,
): {
  key: string;
  payload: Buffer;
  properties: Record<string, string>;
  eventTime: number;
} {
  const properties: Record<string, string> = { index: String(i), codec };
  if (i % 2 === 1) properties.unicode = `ünïcødé ✓ ${i}`;
  return {
    key: `java-key-${i}`,
    payload: Buffer.from(`java ${codec} message ${i} ${'x'.repeat(i * 7)} ${sensorReadings(i)}`),
    properties,
    eventTime: 1_700_000_000_000 + i,
  };
}

describe('Java client → our consumer', { skip, timeout: 85_000 }, () => {
  const topics = Object.fromEntries(CODECS.map((c) => [c, uniqueTopic(`java-to-ts-${c}`)]));
  const warnings: { message: string; fields: Record<string, unknown> | undefined }[] = [];
  const logger: Logger = {
    debug() {},
    info() {},
    warn(message, fields) {
      warnings.push({ message, fields });
    },
  };
  let client: PulsarClient;

  before(async () => {
    ensureJavaClient();
    const lines = await runInterop([
      'produce',
      PULSAR_URL,
      String(COUNT),
      ...CODECS.map((c) => `${c}:${topics[c]}`),
    ]);
    assert.equal(lines.length, CODECS.length, 'the Java producer reports every topic');
    client = stackClient({ logger });
  });
  after(() => client?.close());

  async function receiveAll(topic: string, count: number): Promise<Message[]> {
    const consumer = await client.subscribe({
      topic,
      subscription: 'ts-interop',
      initialPosition: 'Earliest',
      receiverQueueSize: 7, // smaller than a batch: permits must be re-granted mid-stream
    });
    const got: Message[] = [];
    while (got.length < count) {
      const batch = await consumer.receiveBatch(count - got.length, 10_000);
      if (batch.length === 0) break;
      for (const m of batch) await consumer.ack(m);
      got.push(...batch);
    }
    await consumer.close();
    return got;
  }

  for (const codec of CODECS) {
    test(`${codec}: every field of every message, in order`, async () => {
      const got = await receiveAll(topics[codec]!, COUNT);
      assert.equal(got.length, COUNT);
      const skipped = warnings.filter((w) => w.fields?.topic === topics[codec]);
      assert.deepEqual(skipped, [], 'no message was skipped as undecodable');
      const producers = new Set(got.map((m) => m.producerName));
      assert.equal(producers.size, 1, 'one producer');
      let batchedEntries = 0;
      got.forEach((m, i) => {
        const want = expected(codec, i);
        assert.equal(m.key, want.key, `key of ${i}`);
        assert.deepEqual(m.payload, want.payload, `payload of ${i}`);
        assert.deepEqual(m.properties, want.properties, `properties of ${i}`);
        assert.equal(m.eventTime, want.eventTime, `event time of ${i}`);
        assert.equal(m.sequenceId, BigInt(i), `sequence id of ${i}`);
        assert.ok(Math.abs(m.publishTime - Date.now()) < 120_000, 'publish time is recent');
        if (m.messageId.batchIndex > 0) batchedEntries++;
      });
      assert.ok(batchedEntries > 0, 'the Java producer batched (some batch index > 0)');
      const first = got[0]!.messageId;
      const stored = await storedEntry(
        PULSAR_ADMIN_URL,
        topics[codec]!,
        first.ledgerId,
        first.entryId,
      );
      assert.equal(stored.compression, codec, 'the broker stored the entry in this codec');
      assert.ok(stored.batchSize > 1, 'the first entry is a batch');
      // Ids are strictly increasing in (ledger, entry, batch index) order.
      for (let i = 1; i < got.length; i++) {
        assert.equal(got[i - 1]!.messageId.compare(got[i]!.messageId), -1, `id order at ${i}`);
      }
    });
  }
});
