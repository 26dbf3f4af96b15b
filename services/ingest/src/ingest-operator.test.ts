import { test } from 'node:test';
import avsc from 'avsc';
import assert from 'node:assert/strict';
import { decodeChannelMessage, PROP, type RecordsEnvelope } from '@iot/channel';
import { MessageId, partitionForKey } from '@iot/pulsar';
import { encodeSensorData, type SensorData } from '@iot/schema';
import { IngestOperator, type IngestResult, type SourceMessage } from './ingest-operator.ts';

const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);
const opts = {
  sourcePartition: 2,
  timeMode: 'event' as const,
  maxOutOfOrdernessMs: 5_000,
  recordsPartitions: 4,
};

const reading = (over: Partial<SensorData> = {}): SensorData => ({
  sensorId: 12345,
  sensorType: 1,
  timestamp: T0,
  temperature: 21.5,
  humidity: 40,
  pressure: 1013,
  batteryLevel: 80,
  status: 1,
  ...over,
});

let entry = 0;
const msg = (payload: Uint8Array): SourceMessage => ({
  payload,
  messageId: MessageId.parse(`7:${entry++}:2:-1:0`),
  publishTime: T0 + 99_000,
});

/** Every envelope of a result, decoded, by records partition. */
function envelopes(out: IngestResult): Map<number, RecordsEnvelope> {
  return new Map(out.envelopes.map((e) => [e.partition, decodeChannelMessage(e.message)]));
}
const recordCount = (out: IngestResult) =>
  [...envelopes(out).values()].reduce((n, e) => n + e.records.length, 0);

test('good AVRO becomes a record in the envelope of its device partition, stamped with the origin', () => {
  const op = new IngestOperator(opts, T0);
  const m = msg(encodeSensorData(reading()));
  const out = op.process([m], T0, 4);
  const target = partitionForKey('sensor_12345', 4);
  const byPartition = envelopes(out);
  // The watermark moved, so every partition hears it; only the device's has the record.
  assert.deepEqual([...byPartition.keys()].sort(), [0, 1, 2, 3]);
  for (const [p, e] of byPartition) {
    assert.deepEqual(e.origin, { partition: 2, position: m.messageId.serialize(), epoch: 4 });
    assert.equal(e.watermark, T0 - 5_000);
    assert.equal(e.records.length, p === target ? 1 : 0);
  }
  const e = byPartition.get(target)!;
  assert.equal(e.records[0]!.device_type, 'temperature_sensor');
  assert.equal(e.records[0]!.event_time, T0);
  assert.equal(e.positionOf(0), m.messageId.serialize());
  assert.equal(out.commit.meta?.get('position'), m.messageId.serialize());
});

test('records of many devices keep their source order and positions within each envelope', () => {
  const op = new IngestOperator(opts, T0);
  const ms = Array.from({ length: 200 }, (_, i) =>
    msg(encodeSensorData(reading({ sensorId: i, timestamp: T0 + i }))),
  );
  const out = op.process(ms, T0, 1);
  assert.equal(recordCount(out), 200);
  for (const [p, e] of envelopes(out)) {
    const ids = e.records.map((r) => r.device_id);
    assert.ok(
      ids.every((id) => partitionForKey(id, 4) === p),
      `partition ${p} holds only its devices`,
    );
    const expected = ms.filter((_, i) => partitionForKey(`sensor_${i}`, 4) === p);
    assert.deepEqual(
      e.records.map((_, i) => e.positionOf(i)),
      expected.map((m) => m.messageId.serialize()),
    );
    assert.equal(
      e.origin.position,
      ms.at(-1)!.messageId.serialize(),
      'the origin is the batch end',
    );
  }
});

test('without a watermark move, only partitions with records get an envelope', () => {
  const op = new IngestOperator(opts, T0);
  op.process([msg(encodeSensorData(reading({ timestamp: T0 + 60_000 })))], T0, 1);
  const out = op.process([msg(encodeSensorData(reading({ timestamp: T0 + 59_000 })))], T0, 1);
  assert.deepEqual(
    out.envelopes.map((e) => e.partition),
    [partitionForKey('sensor_12345', 4)],
  );
});

test('undecodable and invalid input goes to the DLQ with its bytes and reason, never thrown', () => {
  const op = new IngestOperator(opts, T0);
  const garbage = Buffer.from([0xff, 0x01, 0x02]);
  const nan = encodeSensorData(reading({ temperature: NaN }));
  const out = op.process([msg(garbage), msg(nan), msg(encodeSensorData(reading()))], T0, 1);
  assert.equal(recordCount(out), 1);
  assert.equal(out.dlq.length, 2);
  assert.deepEqual(out.dlq[0]!.payload, garbage);
  assert.equal(out.dlq[0]!.properties[PROP.reason], 'undecodable');
  assert.equal(out.dlq[1]!.properties[PROP.reason], 'nan_value');
  assert.deepEqual(out.stats.reasons, { undecodable: 1, nan_value: 1 });
});

test('a record behind the partition watermark is late: DLQ with reason "late"', () => {
  const op = new IngestOperator(opts, T0);
  const out = op.process(
    [
      msg(encodeSensorData(reading({ timestamp: T0 + 60_000 }))),
      msg(encodeSensorData(reading({ timestamp: T0 + 56_000 }))), // within 5 s: on time
      msg(encodeSensorData(reading({ timestamp: T0 + 54_999 }))), // behind 55 000: late
    ],
    T0,
    1,
  );
  assert.equal(recordCount(out), 2);
  assert.equal(out.stats.late, 1);
  assert.equal(out.dlq[0]!.properties[PROP.reason], 'late');
  for (const e of envelopes(out).values()) assert.equal(e.watermark, T0 + 55_000);
});

test('messages at or before the committed position are skipped after a restore', () => {
  const op = new IngestOperator(opts, T0);
  const a = msg(encodeSensorData(reading()));
  const b = msg(encodeSensorData(reading({ timestamp: T0 + 1000 })));
  const first = op.process([a], T0, 1);
  const restored = IngestOperator.restore(
    { entries: new Map(), meta: new Map(first.commit.meta), pending: [] },
    opts,
    T0 + 10,
  );
  const again = restored.process([a, b], T0 + 20, 2);
  assert.equal(again.stats.skipped, 1);
  assert.equal(recordCount(again), 1);
  assert.equal(restored.watermark, T0 + 1000 - 5_000);
});

test('each envelope names the one sent before it to its records partition, across a restore', () => {
  const op = new IngestOperator(opts, T0);
  const target = partitionForKey('sensor_12345', 4);
  const a = msg(encodeSensorData(reading()));
  const first = envelopes(op.process([a], T0, 1));
  assert.equal(first.get(target)!.previous, null, 'the first envelope of a channel names none');
  const b = msg(encodeSensorData(reading({ timestamp: T0 + 1000 })));
  const second = op.process([b], T0, 1);
  // Every partition heard the watermark move twice: each envelope follows a's.
  for (const e of envelopes(second).values()) assert.equal(e.previous, a.messageId.serialize());
  // A new owner restored from that commit goes on from b on every channel.
  const restored = IngestOperator.restore(
    { entries: new Map(), meta: new Map(second.commit.meta), pending: [] },
    opts,
    T0 + 10,
  );
  const c = msg(encodeSensorData(reading({ timestamp: T0 + 2000 })));
  const third = envelopes(restored.process([c], T0 + 20, 2));
  for (const e of third.values()) assert.equal(e.previous, b.messageId.serialize());
});

test('ingest time mode stamps the ingest clock instead of the payload time', () => {
  const op = new IngestOperator({ ...opts, timeMode: 'ingest' }, T0);
  const out = op.process([msg(encodeSensorData(reading({ timestamp: 5 })))], T0 + 777, 1);
  const e = envelopes(out).get(partitionForKey('sensor_12345', 4))!;
  assert.equal(e.records[0]!.event_time, T0 + 777);
});

test('a reading dated 2100 goes to the DLQ as future and later valid readings stay on time', () => {
  const op = new IngestOperator(opts, T0);
  const out = op.process(
    [
      msg(encodeSensorData(reading({ timestamp: T0 }))),
      msg(encodeSensorData(reading({ timestamp: Date.UTC(2100, 0, 1) }))),
      msg(encodeSensorData(reading({ timestamp: T0 + 1_000 }))),
    ],
    T0,
    1,
  );
  assert.equal(out.dlq.length, 1);
  assert.equal(out.dlq[0]!.properties[PROP.reason], 'future');
  assert.equal(out.stats.late, 0);
  assert.deepEqual(out.stats.reasons, { future: 1 });
  assert.equal(op.watermark, T0 + 1_000 - 5_000, 'the 2100 reading never reached the watermark');
  const next = op.process([msg(encodeSensorData(reading({ timestamp: T0 + 2_000 })))], T0 + 5, 1);
  assert.equal(recordCount(next), 1);
  assert.equal(next.dlq.length, 0);
});

test('the future bound follows the clock and the configured skew', () => {
  const op = new IngestOperator({ ...opts, maxFutureSkewMs: 60_000 }, T0);
  const out = op.process(
    [
      msg(encodeSensorData(reading({ timestamp: T0 + 60_000 }))),
      msg(encodeSensorData(reading({ timestamp: T0 + 60_001 }))),
    ],
    T0,
    1,
  );
  assert.equal(recordCount(out), 1);
  assert.equal(out.dlq[0]!.properties[PROP.reason], 'future');
  // A minute later the same reading is within the bound.
  const later = op.process([msg(encodeSensorData(reading({ timestamp: T0 + 60_001 })))], T0 + 1, 1);
  assert.equal(recordCount(later), 1);
});

test('timestamp 0 and seconds sent as milliseconds are invalid_timestamp, not late', () => {
  const op = new IngestOperator(opts, T0);
  const out = op.process(
    [
      msg(encodeSensorData(reading({ timestamp: T0 }))),
      msg(encodeSensorData(reading({ timestamp: 0 }))),
      msg(encodeSensorData(reading({ timestamp: Math.floor(T0 / 1000) }))),
      msg(Buffer.from(JSON.stringify({ sensorId: 4, temperature: 20, timestamp: 0 }))),
    ],
    T0,
    1,
  );
  assert.equal(recordCount(out), 1);
  assert.deepEqual(
    out.dlq.map((m) => m.properties[PROP.reason]),
    ['invalid_timestamp', 'invalid_timestamp', 'invalid_timestamp'],
  );
  assert.equal(out.stats.late, 0);
});

test('an entry the Pulsar client could not decode goes to the DLQ raw, as undecodable', () => {
  const op = new IngestOperator(opts, T0);
  const raw = Buffer.from([0xf0, 0x01, 0x02]);
  const out = op.process(
    [
      { ...msg(raw), decodeError: 'metadata declares 4294967295 uncompressed bytes' },
      msg(encodeSensorData(reading())),
    ],
    T0,
    1,
  );
  assert.equal(recordCount(out), 1);
  assert.deepEqual(out.dlq[0]!.payload, raw);
  assert.equal(out.dlq[0]!.properties[PROP.reason], 'undecodable');
  assert.match(out.dlq[0]!.properties[PROP.detail]!, /Pulsar client could not decode.*4294967295/);
});

test('a message marked poisoned goes to the DLQ as operator_error with the error, and the position moves past it', () => {
  const op = new IngestOperator(opts, T0);
  const batch = [msg(encodeSensorData(reading())), msg(encodeSensorData(reading({ sensorId: 7 })))];
  const out = op.process(batch, T0, 4, {
    poisoned: new Map([[1, new Error('boom in addRecord')]]),
  });
  assert.equal(recordCount(out), 1);
  assert.equal(out.dlq.length, 1);
  assert.equal(out.dlq[0]!.properties[PROP.reason], 'operator_error');
  assert.match(
    out.dlq[0]!.properties[PROP.detail] ?? '',
    /the ingest operator threw on it: boom in addRecord/,
  );
  assert.equal(out.stats.reasons.operator_error, 1);
  assert.equal(op.committedPosition, batch[1]!.messageId.serialize());
});

test('a schema-versioned message decodes with its registry writer schema; an unresolved version is DLQ unresolved_schema', () => {
  const op = new IngestOperator(opts, T0 + 120_000);
  const version = (n: number) => Buffer.from([0, 0, 0, 0, 0, 0, 0, n]);
  // An older writer without `timestamp`, in another field order: unreadable without it.
  const writer = {
    type: 'record',
    name: 'SensorData',
    namespace: 'com.iot.pipeline',
    fields: [
      { name: 'status', type: 'int' },
      { name: 'sensorId', type: 'int' },
      { name: 'sensorType', type: 'int' },
      { name: 'temperature', type: 'double' },
      { name: 'humidity', type: 'double' },
      { name: 'pressure', type: 'double' },
      { name: 'batteryLevel', type: 'double' },
    ],
  };
  const { timestamp: _t, ...fields } = reading({ sensorId: 31 });
  const payload = avsc.Type.forSchema(writer as Parameters<typeof avsc.Type.forSchema>[0]).toBuffer(
    fields,
  );
  const versioned = { ...msg(payload), schemaVersion: version(1), eventTime: T0 + 60_000 };
  const unknown = { ...msg(payload), schemaVersion: version(9) };
  const out = op.process([versioned, unknown], T0 + 120_000, 4, {
    writerSchemas: new Map([
      [version(1).toString('hex'), { ok: true, schema: JSON.stringify(writer) }],
      [version(9).toString('hex'), { ok: false, detail: 'version 9 is not in the registry' }],
    ]),
  });
  const records = [...envelopes(out).values()].flatMap((e) => e.records);
  assert.equal(records.length, 1);
  assert.equal(records[0]!.device_id, 'sensor_31');
  assert.equal(records[0]!.temperature, 21.5);
  assert.equal(records[0]!.event_time, T0 + 60_000, 'no timestamp: the message event time');
  assert.deepEqual(
    out.dlq.map((m) => [m.properties[PROP.reason], m.properties[PROP.detail]]),
    [['unresolved_schema', 'version 9 is not in the registry']],
  );
  // Without the writer schema the same bytes are not a SensorData.
  const blind = new IngestOperator(opts, T0 + 120_000).process([msg(payload)], T0 + 120_000, 4);
  assert.equal(blind.dlq[0]?.properties[PROP.reason], 'undecodable');
});
