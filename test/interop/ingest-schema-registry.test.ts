// Schema evolution through Pulsar's schema registry, with the official Java client: two
// devices publish SensorData with Schema.AVRO under two writer schemas (an older one without
// `timestamp`, a newer one with an extra optional field and another field order) on one
// topic. The broker registers both and stamps each message with its schema version; the
// ingest service (its own process) looks each version up through the admin schema API and
// decodes with AVRO resolution: every reading becomes a record with the right values. A
// message claiming a version the registry does not have goes to the DLQ as
// `unresolved_schema`, and the readings after it still flow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { decodeChannelMessage, PROP } from '@iot/channel';
import { ServiceProcess, createPipelineTopics, pipelineEnv } from '@iot/harness';
import {
  MessageId,
  PulsarAdmin,
  PulsarClient,
  partitionTopicName,
  type Message,
} from '@iot/pulsar';
import { encodeSensorData, type SensorRecord } from '@iot/schema';
import { publishRawEntries, stackClient } from '../support/pulsar.ts';
import { auth, stack } from '../support/stack.ts';
import { javaUnavailable, runJava } from './java-client.ts';

const schemaFile = (name: string): string =>
  fileURLToPath(new URL(`./schemas/${name}`, import.meta.url));

async function readUntil(client: PulsarClient, topic: string, done: (all: Message[]) => boolean) {
  const reader = await client.createReader({ topic, startMessageId: MessageId.earliest });
  const all: Message[] = [];
  const deadline = Date.now() + 60_000;
  while (!done(all) && Date.now() < deadline) all.push(...(await reader.receiveBatch(100, 500)));
  await reader.close();
  return all;
}

async function produce(topic: string, schema: string, first: number, count: number, ts: number) {
  const r = await runJava(
    'io.iotpipeline.interop.AvroSchemaProducer',
    [stack.pulsarUrl, topic, schemaFile(schema), String(first), String(count), String(ts)],
    { timeoutMs: 120_000 },
  );
  if (r.code !== 0)
    throw new Error(`Java Schema.AVRO producer exited ${r.code}:\n${r.stderr.slice(-3000)}`);
}

const skip = javaUnavailable();

test(
  'ingest decodes Schema.AVRO messages of two writer versions by their registry schema; an unknown version is DLQ unresolved_schema',
  { timeout: 300_000, skip },
  async () => {
    const names = await createPipelineTopics(
      { adminUrl: stack.pulsarAdminUrl, ...auth.pulsar },
      'ingest-schemas',
      1,
      1,
    );
    const source = partitionTopicName(names.source, 0);
    const now = Date.now();
    // Both writer versions register before ingest starts, so its first batch sees both.
    await produce(names.source, 'SensorData-v1-no-timestamp.avsc', 1, 20, 0);
    await produce(names.source, 'SensorData-v2-firmware.avsc', 101, 20, now - 30_000);
    const admin = new PulsarAdmin({ adminUrl: stack.pulsarAdminUrl, ...auth.pulsar });
    const v0 = await admin.getSchema(names.source, 0n);
    const v1 = await admin.getSchema(names.source, 1n);
    assert.equal(v0.type, 'AVRO');
    assert.doesNotMatch(v0.data, /"timestamp"/);
    assert.match(v1.data, /firmware/);

    const unknownVersion = Buffer.alloc(8);
    unknownVersion.writeBigInt64BE(99n);
    const stray = encodeSensorData({
      sensorId: 999,
      sensorType: 1,
      timestamp: now - 20_000,
      temperature: 1,
      humidity: 1,
      pressure: 1,
      batteryLevel: 1,
      status: 1,
    });
    await publishRawEntries(source, [{ payload: stray, meta: { schema_version: unknownVersion } }]);
    await produce(names.source, 'SensorData-v2-firmware.avsc', 201, 5, now - 10_000);

    const ingest = new ServiceProcess(
      'ingest',
      pipelineEnv(names, stack, {
        // The older devices' readings take the publish time; none of them may be late.
        MAX_OUT_OF_ORDERNESS: '10m',
      }),
    );
    const client = stackClient();
    try {
      await ingest.start();
      const recordsOf = (all: Message[]): SensorRecord[] =>
        all
          .filter((m) => m.properties[PROP.kind] === 'records')
          .flatMap((m) => decodeChannelMessage(m).records);
      const records = recordsOf(
        await readUntil(
          client,
          partitionTopicName(names.records, 0),
          (all) => recordsOf(all).length >= 45,
        ),
      );
      const byId = new Map(records.map((r) => [r.device_id, r]));
      assert.equal(records.length, 45, 'every reading of both versions, nothing twice');
      for (let i = 0; i < 20; i++) {
        const old = byId.get(`sensor_${1 + i}`);
        assert.ok(old, `v1 reading ${1 + i}`);
        assert.equal(old.temperature, 20 + i);
        assert.equal(old.humidity, 40);
        assert.equal(old.battery_level, 80);
        // No timestamp in the payload: the message's publish time stands in.
        assert.ok(Math.abs(old.event_time - now) < 5 * 60_000, `event time ${old.event_time}`);
        const newer = byId.get(`sensor_${101 + i}`);
        assert.ok(newer, `v2 reading ${101 + i}`);
        assert.equal(newer.temperature, 20 + i);
        assert.equal(newer.event_time, now - 30_000 + i);
      }
      for (let i = 0; i < 5; i++)
        assert.equal(byId.get(`sensor_${201 + i}`)?.event_time, now - 10_000 + i);
      assert.equal(byId.get('sensor_999'), undefined);

      const dlq = await readUntil(client, names.dlq, (all) => all.length >= 1);
      assert.deepEqual(
        dlq.map((m) => m.properties[PROP.reason]),
        ['unresolved_schema'],
      );
      assert.match(
        dlq[0]!.properties[PROP.detail] ?? '',
        /schema version 0x0000000000000063 .* is not in the schema registry/,
      );
      assert.deepEqual(dlq[0]!.payload, stray);
      await ingest.stopCleanly();
    } finally {
      await client.close();
      await ingest.stop();
    }
  },
);
