// verify as a process against real ClickHouse and Pulsar: a database holding exactly the
// expected rows → exit 0 and the exact line; one altered row → exit 1 naming the field;
// --wait sees rows that arrive after it started; the DLQ counted by distinct origin;
// an unreachable server → exit 2 naming it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { PROP } from '@iot/channel';
import { ClickHouseSink } from '@iot/clickhouse';
import { generateStream, type GeneratorParams } from '@iot/loadgen';
import { runTool, type CliResult } from '@iot/harness';
import { PulsarAdmin, PulsarClient } from '@iot/pulsar';
import { expectedFromParams, type Expected } from '@iot/verify';
import { auth, envAs, stack, uniqueName } from '../support/stack.ts';
import { uniqueTopic } from '../support/pulsar.ts';

function verify(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runTool(
    'verify',
    args,
    {
      // verify runs as the read-only ClickHouse user, as an operator would.
      ...envAs('operator'),
      CLICKHOUSE_URL: stack.clickhouseUrl,
      PULSAR_URL: stack.pulsarUrl,
      ...env,
    },
    600_000,
  );
}

const params: GeneratorParams = {
  seed: 9,
  profile: 'stress',
  devices: 20,
  firstSensorId: 1,
  startMs: Date.UTC(2025, 4, 1, 8, 0),
  durationMs: 150_000,
  ratePerSec: 20,
  partitions: 4,
  maxOutOfOrdernessMs: 5_000,
  shares: { late: 0.03, outOfOrder: 0.1, duplicate: 0.02, legacyJson: 0.05, malformed: 0.03 },
};
const ch = createClient({ ...auth.clickhouse, url: stack.clickhouseUrl });
const database = uniqueName('it_verify_cli').replaceAll('-', '_');
const sink = new ClickHouseSink(ch, { database });
let expected: Expected;
let dir: string;
let paramsFile: string;

before(async () => {
  expected = expectedFromParams(params);
  assert.ok(expected.rows.length > 50);
  assert.ok(expected.counts.late > 0);
  dir = await mkdtemp(join(tmpdir(), 'verify-it-'));
  paramsFile = join(dir, 'params.json');
  // The shape loadgen --params-out writes: its summary, parameters inside.
  await writeFile(paramsFile, JSON.stringify({ messages: expected.counts.messages, params }));
  await sink.ensureSchema();
});

after(async () => {
  await ch.command({ query: `DROP DATABASE IF EXISTS ${database}` });
  await ch.close();
  await rm(dir, { recursive: true, force: true });
});

const exactLine = () => `exact: ${expected.rows.length} rows, 0 missing, 0 extra, 0 mismatched`;

test('--wait sees the rows arrive; then exact → exit 0', async () => {
  const running = verify(['--params', paramsFile, '--database', database, '--wait', '20']);
  await new Promise((r) => setTimeout(r, 1_500));
  await sink.insertAggregates(expected.rows);
  // Rows of another run (other devices, and other times for the same devices) are not ours.
  await sink.insertAggregates([
    { ...expected.rows[0]!, device_id: 'sensor_999' },
    {
      ...expected.rows[0]!,
      window_start: params.startMs - 3_600_000,
      window_end: params.startMs - 3_540_000,
    },
  ]);
  const run = await running;
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const lines = run.stdout.trim().split('\n');
  assert.equal(lines[0], exactLine());
  assert.match(lines[1]!, /^dlq: not checked \(no --dlq-topic\); expected .*late \d+/);
});

test('the same stream given as generator flags instead of --params', async () => {
  const run = await verify([
    '--database',
    database,
    '--seed',
    '9',
    '--devices',
    '20',
    '--start',
    '2025-05-01T08:00:00Z',
    '--duration',
    '150s',
    '--rate',
    '20',
    '--partitions',
    '4',
    '--late',
    '0.03',
    '--out-of-order',
    '0.1',
    '--duplicate',
    '0.02',
    '--legacy-json',
    '0.05',
    '--malformed',
    '0.03',
  ]);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.equal(run.stdout.split('\n')[0], exactLine());
});

test('DLQ counted by distinct origin: republished entries count once; an unexpected one → exit 1', async () => {
  const dlq = uniqueTopic('verify-it-dlq');
  const client = new PulsarClient({ ...auth.pulsar, serviceUrl: stack.pulsarUrl });
  try {
    const producer = await client.createProducer({ topic: dlq });
    // What ingest would publish: one entry per rejected or late message, with its origin.
    const expectedDlq = expectedFromParams(params).counts.dlq;
    let n = 0;
    for (const m of generateStream(params)) {
      const reason =
        m.kind === 'late' ? 'late' : m.kind === 'malformed' ? m.expectedReason : undefined;
      if (reason === undefined) continue;
      const position = `7:${m.seq}:-1:-1`;
      const entry = {
        payload: m.payload,
        properties: {
          [PROP.reason]: reason,
          [PROP.originPartition]: String(m.partition),
          [PROP.originPosition]: position,
          [PROP.ownerEpoch]: '1',
        },
      };
      await producer.send(entry);
      if (n++ % 3 === 0) await producer.send(entry); // a replay republished it
    }
    assert.equal(
      n,
      Object.values(expectedDlq).reduce((a, b) => a + b, 0),
    );
    const ok = await verify([
      '--params',
      paramsFile,
      '--database',
      database,
      '--dlq-topic',
      dlq,
      '--dlq-idle',
      '1s',
    ]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(
      ok.stdout,
      new RegExp(
        `^dlq: exact: ${n} entries, .*late ${expectedDlq.late}.*\\(\\d+ repeats ignored\\)$`,
        'm',
      ),
    );

    // An entry of another reason that the stream never produced → the counts differ.
    await producer.send({
      payload: Buffer.from('x'),
      properties: {
        [PROP.reason]: 'bad_status',
        [PROP.originPartition]: '0',
        [PROP.originPosition]: '9:9:-1:-1',
      },
    });
    await producer.close();
    const off = await verify([
      '--params',
      paramsFile,
      '--database',
      database,
      '--dlq-topic',
      dlq,
      '--dlq-idle',
      '1s',
    ]);
    assert.equal(off.code, 1, off.stdout + off.stderr);
    assert.match(
      off.stdout,
      new RegExp(
        `^dlq: 1 reasons differ: bad_status: expected ${expectedDlq.bad_status ?? 0}, got ${(expectedDlq.bad_status ?? 0) + 1}`,
        'm',
      ),
    );
  } finally {
    await client.close();
    await new PulsarAdmin({ ...auth.pulsar, adminUrl: stack.pulsarAdminUrl })
      .deleteTopic(dlq)
      .catch(() => undefined);
  }
});

test('one altered row → exit 1 naming the field', async () => {
  const row = expected.rows[7]!;
  await sink.insertAggregates([{ ...row, temperature_max: row.temperature_max + 0.5, version: 1 }]);
  const run = await verify(['--params', paramsFile, '--database', database]);
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const lines = run.stdout.split('\n');
  assert.equal(lines[0], `exact: ${expected.rows.length} rows, 0 missing, 0 extra, 1 mismatched`);
  assert.ok(
    lines.some(
      (l) =>
        l.includes(row.device_id) &&
        l.includes(
          `temperature_max expected ${row.temperature_max} got ${row.temperature_max + 0.5}`,
        ),
    ),
    run.stdout,
  );
});

test('unreachable servers, missing tables and bad flags → exit 2 naming which', async () => {
  const noCh = await verify(['--params', paramsFile], { CLICKHOUSE_URL: 'http://127.0.0.1:1' });
  assert.equal(noCh.code, 2);
  assert.match(noCh.stderr, /^verify: cannot reach ClickHouse at http:\/\/127\.0\.0\.1:1/);
  const noDb = await verify(['--params', paramsFile, '--database', `${database}_absent`]);
  assert.equal(noDb.code, 2);
  assert.match(noDb.stderr, /has no table .*_absent\.sensor_aggregates/);
  const noPulsar = await verify(
    ['--params', paramsFile, '--database', database, '--dlq-topic', 'x'],
    {
      PULSAR_URL: 'pulsar://127.0.0.1:1',
    },
  );
  assert.equal(noPulsar.code, 2);
  assert.match(noPulsar.stderr, /from Pulsar at pulsar:\/\/127\.0\.0\.1:1/);
  const bad = await verify(['--params', join(dir, 'nope.json')]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--params .*nope\.json: ENOENT/);
  assert.equal(bad.stderr.trim().split('\n').length, 1);
});
