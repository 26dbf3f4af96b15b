// Interop: our producer sends batched, keyed messages with properties and event times in
// each codec (none, lz4, zlib, snappy, zstd); the official Java client (4.2.4, from Maven Central)
// must read every field back exactly. Skipped when java/javac/mvn are missing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PulsarClient, type CompressionName, type MessageId } from '../../libs/pulsar/index.ts';
import { PULSAR_ADMIN_URL, PULSAR_URL, uniqueTopic, stackClient } from '../support/pulsar.ts';
import {
  ensureJavaClient,
  javaUnavailable,
  runInterop,
  sensorReadings,
  storedEntry,
} from './java-client.ts';

const COUNT = 40;
const CODECS: [CompressionName, string][] = [
  ['none', 'NONE'],
  ['lz4', 'LZ4'],
  ['zlib', 'ZLIB'],
  ['snappy', 'SNAPPY'],
  ['zstd', 'ZSTD'],
];
const skip = javaUnavailable();

interface JavaSeen {
  topic: string;
  key: string | null;
  eventTime: number;
  producerName: string;
  sequenceId: number;
  batchIndex: number;
  batchSize: number;
  properties: Record<string, string>;
  payload: string;
}

function message(codec: string, i: number) {
  const properties: Record<string, string> = { index: String(i), codec };
  if (i % 3 === 0) properties['ünï ✓'] = `välue "${i}"\n`;
  return {
    // Every 5th message has no key: Java must see null, not "".
    key: i % 5 === 4 ? undefined : `ts-key-${i % 7}`,
    payload: Buffer.from(`ours ${codec} ${i} ${'y'.repeat(i * 11)} ${sensorReadings(i)}`),
    properties,
    eventTime: 1_700_000_100_000 + i,
  };
}

describe('our producer → Java client', { skip, timeout: 85_000 }, () => {
  const topics = Object.fromEntries(CODECS.map(([c]) => [c, uniqueTopic(`ts-to-java-${c}`)]));
  const firstIds: Record<string, MessageId> = {};
  const seen = new Map<string, JavaSeen[]>();
  let client: PulsarClient;

  before(async () => {
    ensureJavaClient();
    client = stackClient();
    for (const [codec] of CODECS) {
      const producer = await client.createProducer({
        topic: topics[codec]!,
        producerName: `ts-interop-${codec}`,
        compression: codec,
        batching: { maxMessages: 16, maxDelayMs: 20 },
      });
      const ids = await Promise.all(
        Array.from({ length: COUNT }, (_, i) => producer.send(message(codec, i))),
      );
      firstIds[codec] = ids[0]!;
      await producer.close();
    }
    const lines = await runInterop([
      'consume',
      PULSAR_URL,
      String(COUNT),
      '20000',
      ...CODECS.map(([c]) => topics[c]!),
    ]);
    for (const line of lines) {
      const m = JSON.parse(line) as JavaSeen;
      const list = seen.get(m.topic) ?? [];
      list.push(m);
      seen.set(m.topic, list);
    }
  });
  after(() => client?.close());

  for (const [codec, javaName] of CODECS) {
    test(`${codec}: Java reads every field of every message, in order`, async () => {
      const first = firstIds[codec]!;
      const stored = await storedEntry(
        PULSAR_ADMIN_URL,
        topics[codec]!,
        first.ledgerId,
        first.entryId,
      );
      assert.equal(stored.compression, javaName, 'the broker stored the entry in this codec');
      assert.equal(stored.batchSize, 16, 'the first entry is a full batch');

      const got = seen.get(topics[codec]!) ?? [];
      assert.equal(got.length, COUNT);
      got.forEach((m, i) => {
        const want = message(codec, i);
        assert.equal(m.key, want.key ?? null, `key of ${i}`);
        assert.deepEqual(Buffer.from(m.payload, 'base64'), want.payload, `payload of ${i}`);
        assert.deepEqual(m.properties, want.properties, `properties of ${i}`);
        assert.equal(m.eventTime, want.eventTime, `event time of ${i}`);
        assert.equal(m.producerName, `ts-interop-${codec}`);
        assert.equal(m.sequenceId, i, `sequence id of ${i}`);
        assert.equal(m.batchIndex, i % 16, `batch index of ${i}`);
        assert.equal(m.batchSize, i < 32 ? 16 : COUNT - 32, `batch size of ${i}`);
      });
    });
  }
});
