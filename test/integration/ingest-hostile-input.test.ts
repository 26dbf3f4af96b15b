// The ingest service (its own process) against hostile input on the real broker: a reading
// dated 2100, a timestamp of 0, an id with a lone surrogate and an entry that lies about its
// uncompressed size each reach the DLQ with their own reason, and the valid readings around
// them become records, none of them late.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeChannelMessage, PROP } from '@iot/channel';
import { ServiceProcess, createPipelineTopics, pipelineEnv } from '@iot/harness';
import { MessageId, PulsarClient, partitionTopicName, type Message } from '@iot/pulsar';
import { compress } from '../../libs/pulsar/compression/index.ts';
import { CompressionType } from '../../libs/pulsar/protocol/commands.ts';
import { publishRawEntries, stackClient } from '../support/pulsar.ts';
import { avroReading as reading } from '../support/readings.ts';
import { auth, stack } from '../support/stack.ts';

async function readUntil(client: PulsarClient, topic: string, done: (all: Message[]) => boolean) {
  const reader = await client.createReader({ topic, startMessageId: MessageId.earliest });
  const all: Message[] = [];
  const deadline = Date.now() + 30_000;
  while (!done(all) && Date.now() < deadline) all.push(...(await reader.receiveBatch(100, 500)));
  await reader.close();
  return all;
}

test(
  'ingest: each hostile message has its own DLQ reason and poisons nothing',
  { timeout: 120_000 },
  async () => {
    const names = await createPipelineTopics(
      { adminUrl: stack.pulsarAdminUrl, ...auth.pulsar },
      'ingest-hostile',
      1,
      1,
    );
    const ingest = new ServiceProcess(
      'ingest',
      pipelineEnv(names, stack, {
        MAX_OUT_OF_ORDERNESS: '2s',
      }),
    );
    const client = stackClient();
    try {
      await ingest.start();
      const source = partitionTopicName(names.source, 0);
      const producer = await client.createProducer({ topic: source, batching: false });
      const now = Date.now();
      for (const payload of [
        reading(1, now - 10_000),
        reading(2, Date.UTC(2100, 0, 1)), // future
        reading(3, now - 9_000), // would be late behind a 2100 watermark
        Buffer.from(JSON.stringify({ device_id: 'id\uD800', temperature: 20 })), // bad_text
        reading(4, 0), // invalid_timestamp
      ]) {
        await producer.send({ payload });
      }
      await publishRawEntries(source, [
        {
          payload: compress(CompressionType.LZ4, Buffer.alloc(64, 1)),
          meta: { compression: CompressionType.LZ4, uncompressed_size: 0xffffffff },
        },
      ]);
      await producer.send({ payload: reading(5, now - 8_000) });
      await producer.close();

      const dlq = await readUntil(client, names.dlq, (all) => all.length >= 4);
      assert.deepEqual(
        dlq.map((m) => m.properties[PROP.reason]),
        ['future', 'bad_text', 'invalid_timestamp', 'undecodable'],
      );
      assert.match(dlq[3]!.properties[PROP.detail] ?? '', /4294967295 uncompressed bytes/);
      const deviceIds = (all: { payload: Uint8Array; properties: Record<string, string> }[]) =>
        all
          .filter((m) => m.properties[PROP.kind] === 'records')
          .flatMap((m) => decodeChannelMessage(m).records.map((r) => r.device_id));
      const records = deviceIds(
        await readUntil(
          client,
          partitionTopicName(names.records, 0),
          (all) => deviceIds(all).length >= 3,
        ),
      );
      assert.deepEqual(records, ['sensor_1', 'sensor_3', 'sensor_5']);
      // Still up: it stops cleanly on SIGTERM with exit code 0.
      await ingest.stopCleanly();
    } finally {
      await client.close();
      await ingest.stop();
    }
  },
);
