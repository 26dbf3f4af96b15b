// loadgen as a process against the real broker: every generated message lands on the
// partition the generator named, in stream order, with its key, event time and bytes; the
// summary and --params-out describe the run; pacing holds the rate; bad flags and an
// unreachable broker exit 2 with one line.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateStream, paramsFromJson, type GeneratorParams } from '@iot/loadgen';
import { runTool, type CliResult } from '@iot/harness';
import { PulsarAdmin, PulsarClient, type Consumer } from '@iot/pulsar';
import { envAs, auth, stack } from '../support/stack.ts';
import { uniqueTopic } from '../support/pulsar.ts';

function loadgen(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runTool(
    'loadgen',
    args,
    {
      ...envAs('admin'),
      PULSAR_URL: stack.pulsarUrl,
      PULSAR_ADMIN_URL: stack.pulsarAdminUrl,
      ...env,
    },
    600_000,
  );
}

const admin = new PulsarAdmin({ ...auth.pulsar, adminUrl: stack.pulsarAdminUrl });
const client = new PulsarClient({ ...auth.pulsar, serviceUrl: stack.pulsarUrl });
let dir: string;
const topics: string[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loadgen-it-'));
});

after(async () => {
  await client.close();
  for (const t of topics) await admin.deletePartitionedTopic(t).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

async function readAll(
  consumer: Consumer,
  want: number,
): Promise<
  Map<string, { key: string | undefined; eventTime: number | undefined; payload: Buffer }[]>
> {
  const byTopic = new Map<
    string,
    { key: string | undefined; eventTime: number | undefined; payload: Buffer }[]
  >();
  let got = 0;
  const deadline = Date.now() + 20_000;
  while (got < want && Date.now() < deadline) {
    for (const m of await consumer.receiveBatch(1000, 500)) {
      const list = byTopic.get(m.topic) ?? [];
      list.push({ key: m.key, eventTime: m.eventTime, payload: m.payload });
      byTopic.set(m.topic, list);
      got++;
      await consumer.ack(m);
    }
  }
  // Nothing beyond the stream either.
  got += (await consumer.receiveBatch(1000, 500)).length;
  assert.equal(got, want, 'messages read back');
  return byTopic;
}

test('publishes the generated stream to the generator partitions, in order, with key and event time', async () => {
  const topic = uniqueTopic('loadgen-it');
  topics.push(topic);
  await admin.createPartitionedTopic(topic, 3);
  const consumer = await client.subscribe({
    topic,
    subscription: 'check',
    type: 'Exclusive',
    initialPosition: 'Earliest',
  });
  const paramsFile = join(dir, 'params.json');
  const run = await loadgen([
    '--topic',
    topic,
    '--create-topic',
    '3', // exists already: a no-op
    '--devices',
    '20',
    '--messages',
    '2000',
    '--rate',
    '50000',
    '--seed',
    '42',
    '--start',
    '2025-03-01T12:00:00Z',
    '--late',
    '0.02',
    '--out-of-order',
    '0.1',
    '--duplicate',
    '0.02',
    '--legacy-json',
    '0.05',
    '--malformed',
    '0.02',
    '--params-out',
    paramsFile,
  ]);
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stdout.trim().split('\n');
  assert.equal(lines.length, 1, 'one JSON line on stdout');
  const summary: unknown = JSON.parse(lines[0]!);
  assert.ok(typeof summary === 'object' && summary !== null);
  assert.equal((summary as { messages: unknown }).messages, 2000);
  assert.equal(typeof (summary as { achievedRate: unknown }).achievedRate, 'number');
  const params: GeneratorParams = paramsFromJson(summary, 'stdout');
  assert.equal(params.partitions, 3);
  assert.equal(params.startMs, Date.UTC(2025, 2, 1, 12));
  assert.deepEqual(paramsFromJson(JSON.parse(await readFile(paramsFile, 'utf8')), 'file'), params);

  const byTopic = await readAll(consumer, 2000);
  await consumer.close();
  const want = new Map<
    string,
    { key: string | undefined; eventTime: number | undefined; payload: Buffer }[]
  >();
  for (const m of generateStream(params)) {
    const t = `${topic}-partition-${m.partition}`;
    const list = want.get(t) ?? [];
    list.push({ key: m.key, eventTime: m.eventTime, payload: m.payload });
    want.set(t, list);
  }
  assert.equal(byTopic.size, 3);
  for (const [t, list] of want) assert.deepEqual(byTopic.get(t), list, t);
});

test('--create-topic creates a missing partitioned topic; pacing holds the target rate', async () => {
  const topic = uniqueTopic('loadgen-it-create');
  topics.push(topic);
  const run = await loadgen([
    '--topic',
    topic,
    '--create-topic',
    '2',
    '--devices',
    '50',
    '--messages',
    '3000',
    '--rate',
    '1500',
  ]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal((await admin.getPartitionedTopicMetadata(topic)).partitions, 2);
  const summary = JSON.parse(run.stdout) as {
    durationMs: number;
    achievedRate: number;
    params: { partitions: number };
  };
  assert.equal(summary.params.partitions, 2);
  // 3000 at 1500/s with a 75-message burst: ≈ 1.95 s, never much faster.
  assert.ok(summary.durationMs >= 1_800, `took ${summary.durationMs} ms`);
  assert.ok(
    summary.achievedRate <= 1_650 && summary.achievedRate >= 1_200,
    `rate ${summary.achievedRate}`,
  );
  assert.match(run.stderr, /sent 3000\/3000 \(100\.0%\), acked 3000/); // final progress line
});

test('bad flags and an unreachable broker: exit 2 with one line saying what', async () => {
  const bad = await loadgen(['--rate', 'fast']);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr.trim().split('\n').length, 1);
  assert.match(bad.stderr, /--rate "fast": must be a number > 0/);
  const down = await loadgen(['--messages', '10'], { PULSAR_URL: 'pulsar://127.0.0.1:1' });
  assert.equal(down.code, 2);
  assert.match(down.stderr, /cannot reach Pulsar at pulsar:\/\/127\.0\.0\.1:1/);
  assert.equal(down.stdout, '');
});
