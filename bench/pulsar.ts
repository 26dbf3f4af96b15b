// Our Pulsar client against the official Java client's pulsar-perf, same broker, same run:
// produce and consume msg/s for 100-byte and 1 KiB payloads (keyed, LZ4, batches of up to
// 1000 messages / 128 KiB / 1 ms, at most 10,000 messages in flight), then a consume soak
// that samples our RSS. Results: bench/results/pulsar.json.
//
//   npm run bench -- pulsar [--soak-seconds 60] [--compression lz4|zstd|zlib|snappy|none] [--scale 1]
//
// The broker runs on the same machine (2 cores shared with it and everything else), so the
// absolute numbers are low and noisy; the ratio in one run is the point.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PulsarClient, type CompressionName } from '../libs/pulsar/index.ts';
import { ensureJavaClient, PERF_MAIN, runJava } from '../test/interop/java-client.ts';
import { auth, stack } from '../test/support/stack.ts';

const { values: args } = parseArgs({
  options: {
    'soak-seconds': { type: 'string', default: '60' },
    compression: { type: 'string', default: 'lz4' },
    scale: { type: 'string', default: '1' },
  },
});
const SOAK_SECONDS = Number(args['soak-seconds']);
const COMPRESSION = args.compression as CompressionName;
const SCALE = Number(args.scale);
const WINDOW = 10_000;
const BATCH = { maxMessages: 1000, maxBytes: 128 * 1024, maxDelayMs: 1 };
const SIZES = [
  { bytes: 100, count: Math.round(400_000 * SCALE) },
  { bytes: 1024, count: Math.round(150_000 * SCALE) },
];

const topicName = (what: string): string =>
  `persistent://public/default/bench-${what}-${Date.now().toString(36)}`;

async function oursProduce(topic: string, size: number, count: number): Promise<number> {
  const client = new PulsarClient({ ...auth.pulsar, serviceUrl: stack.pulsarUrl });
  const producer = await client.createProducer({
    topic,
    compression: COMPRESSION,
    batching: BATCH,
    maxPendingMessages: WINDOW,
    blockIfQueueFull: true,
  });
  const payload = randomBytes(size); // like pulsar-perf: one random payload, reused
  const marks: Promise<unknown>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const sent = producer.send({ payload, key: String(i) });
    if (i % 1000 === 999 || i === count - 1) {
      marks.push(sent);
      // Sends settle in order: the oldest mark resolving means its 1000 are persisted.
      if (marks.length > WINDOW / 1000) await marks.shift();
    }
  }
  await Promise.all(marks);
  const seconds = (performance.now() - t0) / 1000;
  await client.close();
  return count / seconds;
}

async function oursConsume(topic: string, count: number): Promise<number> {
  const client = new PulsarClient({ ...auth.pulsar, serviceUrl: stack.pulsarUrl });
  const t0 = performance.now();
  const consumer = await client.subscribe({
    topic,
    subscription: 'ours',
    initialPosition: 'Earliest',
    receiverQueueSize: 1000, // the Java client's default
  });
  let received = 0;
  while (received < count) {
    // Only what is left: a batch receive waits its timeout for a count that never comes.
    const batch = await consumer.receiveBatch(Math.min(1000, count - received), 5000);
    if (batch.length === 0) throw new Error(`our consumer stalled at ${received}/${count}`);
    for (const m of batch) void consumer.ack(m);
    received += batch.length;
  }
  const seconds = (performance.now() - t0) / 1000;
  await client.close();
  return count / seconds;
}

/** Milliseconds of a pulsar-perf log line's timestamp (2026-11-24T16:19:12,652 - INFO ...). */
function logTime(line: string | undefined, what: string): number {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d),(\d{3})/.exec(line ?? '');
  if (!m) throw new Error(`pulsar-perf: no "${what}" line in its log`);
  return Date.parse(`${m[1]}.${m[2]}`);
}

async function perf(args: string[]): Promise<string[]> {
  // pulsar-perf reads its client settings (the token) from this file, never from the command line.
  const dir = mkdtempSync(join(tmpdir(), 'pulsar-perf-'));
  const conf = join(dir, 'client.conf');
  writeFileSync(
    conf,
    'authPlugin=org.apache.pulsar.client.impl.auth.AuthenticationToken\n' +
      `authParams=token:${auth.pulsar.authToken}\n`,
    { mode: 0o600 },
  );
  const r = await runJava(PERF_MAIN, [conf, ...args], {
    timeoutMs: 180_000,
    heap: '1g',
    logLevel: 'INFO', // pulsar-perf's progress lines, which give the timings
  });
  rmSync(dir, { recursive: true });
  const lines = (r.stdout + r.stderr).split('\n');
  if (r.code !== 0)
    throw new Error(`pulsar-perf ${args[0]} exited ${r.code}:\n${lines.slice(-30).join('\n')}`);
  return lines;
}

interface JavaRate {
  msgPerSec: number;
  /** pulsar-perf's own per-second publish rates (JIT warm-up shows in the first ones). */
  intervals?: number[];
}

async function javaProduce(topic: string, size: number, count: number): Promise<JavaRate> {
  const lines = await perf([
    'produce',
    ...['-u', stack.pulsarUrl, '-au', stack.pulsarAdminUrl],
    ...['-r', '100000000', '-m', String(count), '-s', String(size)],
    ...['-z', COMPRESSION.toUpperCase(), '-b', '1', '-bm', '1000', '-bb', String(128 * 1024)],
    ...['-o', String(WINDOW), '-mk', 'autoIncrement', '-i', '1'],
    topic,
  ]);
  const start = logTime(
    lines.find((l) => l.includes('Created 1 producers')),
    'Created 1 producers',
  );
  const done = logTime(
    lines.find((l) => l.includes('DONE (reached the maximum number')),
    'DONE',
  );
  const intervals = lines
    .map((l) => /Publish throughput: ([\d.]+) msg\/s/.exec(l)?.[1])
    .filter((v): v is string => v !== undefined)
    .map((v) => Math.round(Number(v)));
  // DONE is logged when the last send is handed over; at most WINDOW are still unacknowledged.
  return { msgPerSec: count / ((done - start) / 1000), intervals };
}

async function javaConsume(topic: string, count: number): Promise<JavaRate> {
  const lines = await perf([
    'consume',
    ...['-u', stack.pulsarUrl, '-m', String(count), '-sp', 'Earliest', '-ss', 'java', '-i', '1'],
    topic,
  ]);
  const start = logTime(
    lines.find((l) => l.includes('Adding 1 consumers')),
    'Adding 1 consumers',
  );
  const done = logTime(
    lines.find((l) => l.includes('------------------- DONE')),
    'DONE',
  );
  const intervals = lines
    .map((l) => /Consume throughput received: ([\d.]+) msgs\/s/.exec(l)?.[1])
    .filter((v): v is string => v !== undefined)
    .map((v) => Math.round(Number(v)));
  return { msgPerSec: count / ((done - start) / 1000), intervals };
}

/** Our consumer draining a paced producer for `seconds`, RSS sampled every 5 s. */
async function soak(seconds: number): Promise<Record<string, unknown>> {
  const topic = topicName('soak');
  const client = new PulsarClient({ ...auth.pulsar, serviceUrl: stack.pulsarUrl });
  const consumer = await client.subscribe({
    topic,
    subscription: 'soak',
    initialPosition: 'Earliest',
  });
  const producer = await client.createProducer({
    topic,
    compression: COMPRESSION,
    batching: BATCH,
  });
  const payload = randomBytes(100);
  const ratePerSec = 20_000;
  const end = Date.now() + seconds * 1000;
  let produced = 0;
  let consumed = 0;
  const samples: { s: number; rssMiB: number; heapMiB: number }[] = [];
  const t0 = Date.now();
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    samples.push({
      s: Math.round((Date.now() - t0) / 1000),
      rssMiB: Math.round(m.rss / 2 ** 20),
      heapMiB: Math.round(m.heapUsed / 2 ** 20),
    });
  }, 5000);
  const produce = (async () => {
    while (Date.now() < end) {
      for (let i = 0; i < ratePerSec / 20; i++)
        void producer.send({ payload, key: String(produced++) });
      await new Promise((r) => setTimeout(r, 50));
    }
    await producer.flush();
  })();
  const consume = (async () => {
    while (Date.now() < end + 2000) {
      const batch = await consumer.receiveBatch(1000, 200);
      for (const m of batch) void consumer.ack(m);
      consumed += batch.length;
    }
  })();
  await Promise.all([produce, consume]);
  clearInterval(sampler);
  await client.close();
  const steady = samples.filter((s) => s.s >= 10);
  return {
    seconds,
    paceMsgPerSec: ratePerSec,
    produced,
    consumed,
    samples,
    rssMiBAfter10s: steady[0]?.rssMiB,
    rssMiBAtEnd: steady.at(-1)?.rssMiB,
    rssMiBMax: Math.max(...steady.map((s) => s.rssMiB)),
    heapMiBAfter10s: steady[0]?.heapMiB,
    heapMiBAtEnd: steady.at(-1)?.heapMiB,
    heapMiBMax: Math.max(...steady.map((s) => s.heapMiB)),
  };
}

/** Highest of the Java client's own per-interval rates (each over its own elapsed time). */
function best(intervals: number[] | undefined): number | undefined {
  return intervals && intervals.length > 0 ? Math.max(...intervals) : undefined;
}

function ratio(ours: number, java: number | undefined): number | undefined {
  return java === undefined ? undefined : Number((ours / java).toFixed(2));
}

async function main(): Promise<void> {
  ensureJavaClient();
  const runs = [];
  for (const { bytes, count } of SIZES) {
    process.stderr.write(`pulsar bench: ${bytes}-byte payloads, ${count} messages\n`);
    const ours = topicName(`ours-${bytes}`);
    const java = topicName(`java-${bytes}`);
    const oursProduceRate = await oursProduce(ours, bytes, count);
    const javaProduceRate = await javaProduce(java, bytes, count);
    // Both consumers read the same backlog (the one our producer wrote), Java first.
    const javaConsumeRate = await javaConsume(ours, count);
    const oursConsumeRate = await oursConsume(ours, count);
    const run = {
      payloadBytes: bytes,
      messages: count,
      ours: {
        produceMsgPerSec: Math.round(oursProduceRate),
        consumeMsgPerSec: Math.round(oursConsumeRate),
      },
      java: {
        produceMsgPerSec: Math.round(javaProduceRate.msgPerSec),
        consumeMsgPerSec: Math.round(javaConsumeRate.msgPerSec),
        producePerSecondIntervals: javaProduceRate.intervals,
        consumePerSecondIntervals: javaConsumeRate.intervals,
        // The best whole second once the JIT has warmed up: what a long-running Java client
        // reaches. Short runs like these charge Java its warm-up; this does not.
        bestSecondProduceMsgPerSec: best(javaProduceRate.intervals),
        bestSecondConsumeMsgPerSec: best(javaConsumeRate.intervals),
      },
      ratio: {
        produce: Number((oursProduceRate / javaProduceRate.msgPerSec).toFixed(2)),
        consume: Number((oursConsumeRate / javaConsumeRate.msgPerSec).toFixed(2)),
        produceVsJavaBestSecond: ratio(oursProduceRate, best(javaProduceRate.intervals)),
        consumeVsJavaBestSecond: ratio(oursConsumeRate, best(javaConsumeRate.intervals)),
      },
    };
    process.stderr.write(`${JSON.stringify(run)}\n`);
    runs.push(run);
  }
  const memory = SOAK_SECONDS > 0 ? await soak(SOAK_SECONDS) : undefined;
  const result = {
    benchmark: 'pulsar',
    at: new Date().toISOString(),
    environment: {
      note:
        'broker (Pulsar 4.2.4 standalone) co-located on this machine; ' +
        `${cpus().length} cores shared by the broker, both clients and other work`,
      node: process.version,
      javaClient:
        'pulsar-client 4.2.4 driven by pulsar-perf (pulsar-testclient 4.0.8, newest on Maven Central)',
    },
    settings: {
      compression: COMPRESSION,
      batching: BATCH,
      maxInFlight: WINDOW,
      keys: 'distinct per message',
      method:
        'produce: messages / (first send → last ack; Java: producer created → last send with ≤ 10k in flight); ' +
        'consume: messages / (subscribe → last received), both reading the same backlog',
    },
    runs,
    memory,
  };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/pulsar.json', JSON.stringify(result, null, 2) + '\n');
  console.log(JSON.stringify(result, null, 2));
}

await main();
