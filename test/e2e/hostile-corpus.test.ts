// A malformed-input corpus published to the input topic while the generated stream flows
// through the whole pipeline (ingest, aggregator, writer as processes, real Pulsar, Redis,
// ClickHouse): every hostile message reaches the DLQ with a reason (the named ones with
// their own), ClickHouse holds exactly what the good input says, the generated bad input
// is in the DLQ as before, and no service or partition loop restarts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import avsc from 'avsc';
import { PROP } from '@iot/channel';
import { PipelineRun, verifyRows, waitForRows } from '@iot/harness';
import { MessageId, partitionTopicName, type Message } from '@iot/pulsar';
import { decodeSensorMessage, encodeSensorData, type SensorData } from '@iot/schema';
import { compress } from '../../libs/pulsar/compression/index.ts';
import { CompressionType } from '../../libs/pulsar/protocol/commands.ts';
import { Random } from '../../libs/pulsar/testing/random.ts';
import { publishRawEntries } from '../support/pulsar.ts';
import { stack } from '../support/stack.ts';

const CASE = 'hostile-case';

interface Hostile {
  name: string;
  payload: Buffer;
  /** The DLQ reason it must get; undefined: any reason (random bytes, another schema). */
  reason: string | undefined;
}

function corpus(t: number): Hostile[] {
  const avro = (over: Partial<SensorData>): Buffer =>
    encodeSensorData({
      sensorId: 4242,
      sensorType: 1,
      timestamp: t,
      temperature: 21,
      humidity: 40,
      pressure: 1000,
      batteryLevel: 80,
      status: 1,
      ...over,
    });
  const json = (text: string): Buffer => Buffer.from(text, 'utf8');
  const sample = avro({});
  const rnd = new Random(1101);
  const other = avsc.Type.forSchema({
    type: 'record',
    name: 'Invoice',
    fields: [
      { name: 'customer', type: 'string' },
      { name: 'lines', type: { type: 'array', items: 'double' } },
    ],
  });
  return [
    { name: 'empty', payload: Buffer.alloc(0), reason: 'undecodable' },
    ...Array.from({ length: 5 }, (_, i) => ({
      name: `random-${i}`,
      payload: Buffer.from(Array.from({ length: 1 + rnd.int(200) }, () => rnd.int(256))),
      reason: undefined,
    })),
    ...Array.from({ length: sample.length - 1 }, (_, cut) => ({
      name: `truncated-avro-${cut}`,
      payload: sample.subarray(0, cut),
      reason: 'undecodable',
    })),
    {
      name: 'another-schema',
      payload: other.toBuffer({ customer: 'ACME Corp', lines: [1.5, 2.5, 1e300] }),
      reason: undefined,
    },
    { name: 'avro-nan', payload: avro({ temperature: Number.NaN }), reason: 'nan_value' },
    { name: 'avro-infinity', payload: avro({ humidity: Infinity }), reason: 'nan_value' },
    {
      name: 'json-infinity',
      payload: json(`{"device_id":"sensor_7","temperature":"Infinity","event_time":${t}}`),
      reason: 'nan_value',
    },
    { name: 'avro-humidity-150', payload: avro({ humidity: 150 }), reason: 'out_of_range' },
    {
      name: 'json-error-count-5e9',
      payload: json(`{"device_id":"sensor_7","error_count":5000000000,"event_time":${t}}`),
      reason: 'out_of_range',
    },
    {
      name: 'json-hex-number',
      payload: json(`{"device_id":"sensor_7","temperature":"0x1A","event_time":${t}}`),
      reason: 'bad_field',
    },
    {
      name: 'json-1mib-id',
      payload: json(`{"device_id":"${'x'.repeat(1 << 20)}","temperature":1}`),
      reason: 'undecodable',
    },
    {
      // At the broker's limit (5 MiB with the metadata): refused by size, not by a crash.
      name: 'at-broker-limit',
      payload: Buffer.from(
        Array.from({ length: 5 * 1024 * 1024 - 1024 }, (_, i) => (i * 31) & 0xff),
      ),
      reason: 'undecodable',
    },
    ...[
      ['bel', 'sensor\\u0007x'],
      ['nul', 'sensor\\u0000x'],
      ['c1', 'sensor\\u0085x'],
      ['lone-surrogate', 'sensor\\ud800x'],
      ['replacement-char', 'sensor\\ufffdx'],
      ['leading-space', ' sensor_7'],
    ].map(([name, id]) => ({
      name: `id-${name}`,
      payload: json(`{"device_id":"${id}","temperature":20,"event_time":${t}}`),
      reason: 'bad_text',
    })),
    {
      name: 'avro-year-2100',
      payload: avro({ timestamp: Date.UTC(2100, 0, 1) }),
      reason: 'future',
    },
    { name: 'avro-time-zero', payload: avro({ timestamp: 0 }), reason: 'invalid_timestamp' },
    {
      name: 'json-seconds-not-ms',
      payload: json(
        `{"device_id":"sensor_7","temperature":20,"event_time":${Math.floor(t / 1000)}}`,
      ),
      reason: 'invalid_timestamp',
    },
    {
      // JSON.parse keeps the last of duplicate keys; the last one here is not a number.
      name: 'json-duplicate-keys',
      payload: json(
        `{"device_id":"sensor_7","temperature":20,"temperature":"NaN","event_time":${t}}`,
      ),
      reason: 'nan_value',
    },
    {
      name: 'json-deep-nesting',
      payload: json(
        `{"device_id":"sensor_7","temperature":20,"x":${'['.repeat(5000)}${']'.repeat(5000)}}`,
      ),
      reason: 'undecodable',
    },
    {
      name: 'json-all-null',
      payload: json(`{"device_id":"sensor_7","temperature":null,"status":null,"event_time":${t}}`),
      reason: 'empty_reading',
    },
  ];
}

/** Every message of the DLQ, read until `want` distinct source messages and 2 s of quiet. */
async function readDlq(run: PipelineRun, want: number): Promise<Map<string, Message>> {
  const reader = await run.client.createReader({
    topic: run.names.dlq,
    startMessageId: MessageId.earliest,
  });
  const byOrigin = new Map<string, Message>();
  const deadline = Date.now() + 120_000;
  let quietSince = Date.now();
  try {
    while (Date.now() < deadline && (byOrigin.size < want || Date.now() - quietSince < 2_000)) {
      const batch = await reader.receiveBatch(1000, 500);
      if (batch.length > 0) quietSince = Date.now();
      for (const m of batch) {
        byOrigin.set(
          `${m.properties[PROP.originPartition]}/${m.properties[PROP.originPosition]}`,
          m,
        );
      }
    }
  } finally {
    await reader.close();
  }
  return byOrigin;
}

test(
  'hostile corpus during a good stream: each bad message in the DLQ with a reason, ClickHouse exact, no restarts',
  { timeout: 300_000 },
  async () => {
    const run = await PipelineRun.create(stack, { prefix: 'e2e-hostile', seed: 1111 });
    const services = ['ingest', 'aggregator', 'writer'] as const;
    const procs = services.map((s) => run.service(s));
    try {
      await Promise.all(procs.map((p) => p.start()));
      // Inside the stream's minute of event time: only what is wrong with each message counts.
      const hostile = corpus(run.params.startMs + 30_000);
      // The cases without a named reason (random bytes, another schema) must not happen to
      // be valid readings: that would be a bad corpus, not a finding.
      for (const h of hostile.filter((c) => c.reason === undefined)) {
        assert.equal(
          decodeSensorMessage({ payload: h.payload, publishTime: Date.now() }).ok,
          false,
          h.name,
        );
      }
      const producing = run.produce(10_000);
      const source = partitionTopicName(run.names.source, 0);
      const producer = await run.client.createProducer({ topic: source, batching: false });
      for (const h of hostile)
        await producer.send({ payload: h.payload, properties: { [CASE]: h.name } });
      await producer.close();
      const unknownVersion = Buffer.alloc(8);
      unknownVersion.writeBigInt64BE(7n);
      await publishRawEntries(source, [
        {
          // Lies about its size: LZ4 that claims to expand to 4 GiB.
          payload: compress(CompressionType.LZ4, Buffer.alloc(64, 1)),
          meta: {
            compression: CompressionType.LZ4,
            uncompressed_size: 0xffffffff,
            properties: [{ key: CASE, value: 'lz4-claims-4gib' }],
          },
        },
        {
          // A schema version the topic's registry does not have.
          payload: encodeSensorData({
            sensorId: 4243,
            sensorType: 1,
            timestamp: run.params.startMs + 30_000,
            temperature: 1,
            humidity: 1,
            pressure: 1,
            batteryLevel: 1,
            status: 1,
          }),
          meta: {
            schema_version: unknownVersion,
            properties: [{ key: CASE, value: 'unknown-schema-version' }],
          },
        },
      ]);
      hostile.push(
        { name: 'lz4-claims-4gib', payload: Buffer.alloc(0), reason: 'undecodable' },
        { name: 'unknown-schema-version', payload: Buffer.alloc(0), reason: 'unresolved_schema' },
      );
      await producing;

      // Good data: ClickHouse exactly as the generator's input says, row by row.
      const count = await waitForRows(run.sink, run.expected.rows.length, 120_000);
      assert.equal(count, run.expected.rows.length, 'rows in ClickHouse');
      const { exact, report } = await verifyRows(run.sink, run.expected);
      assert.ok(exact, report);

      // Bad data: the generated bad input as before, and every hostile message with its reason.
      const generatedBad = Object.values(run.expected.counts.dlq).reduce((a, b) => a + b, 0);
      const dlq = await readDlq(run, generatedBad + hostile.length);
      const hostileReasons = new Map<string, string>();
      const generated: Record<string, number> = {};
      for (const m of dlq.values()) {
        const reason = m.properties[PROP.reason] ?? '(none)';
        const name = m.properties[CASE];
        if (name === undefined) generated[reason] = (generated[reason] ?? 0) + 1;
        else {
          assert.ok(!hostileReasons.has(name), `${name} dead-lettered once`);
          hostileReasons.set(name, reason);
        }
      }
      assert.deepEqual(generated, run.expected.counts.dlq, 'generated bad input in the DLQ');
      for (const h of hostile) {
        const got = hostileReasons.get(h.name);
        assert.ok(got !== undefined && got !== '', `${h.name} is in the DLQ with a reason`);
        if (h.reason !== undefined) assert.equal(got, h.reason, h.name);
      }
      assert.equal(hostileReasons.size, hostile.length);

      for (const [i, p] of procs.entries()) {
        assert.equal(p.restarts, 0, `${services[i]} never restarted`);
        assert.doesNotMatch(
          p.logs(),
          /partition loop failed/,
          `${services[i]}: no partition loop restart`,
        );
      }
      for (const p of procs) await p.stopCleanly();
    } finally {
      await run.cleanup();
    }
  },
);
