// `npm run bench -- pipeline`: the whole pipeline as separate processes on this machine, with
// Pulsar, ClickHouse, Redis, NATS and S3 co-located. Writes bench/results/pipeline.json.
//
// 1. Drain: a backlog of --drain messages is published first, then ingest, aggregator and
//    writer start; the time until every row is in ClickHouse gives the highest rate the
//    pipeline sustains here. Measured with checkpoints off, and on (every 10 s) when
//    --checkpoints is set (the default).
// 2. Sustained: --rate msg/s for --seconds, event time = wall clock, 1-minute windows;
//    samples the input backlog, CPU and RSS of each service, and the latency from the moment
//    a window could close (its end + out-of-orderness) to its rows being visible.
//
// 3. Overhead (`--phases overhead`, not in the default run): the same drain, checkpoints every
//    10 s, as three variants taken in turn --repeat times: baseline (no scraping, tracing
//    off), /metrics of every service scraped every second (as a Prometheus at 1 s would), and
//    tracing at the default sampling (parent-based 1 % of ingest batches) exported to the
//    stack's Zipkin. Reports the medians and each variant's cost against the baseline.
//
//   npm run bench -- pipeline [--drain 600000] [--rate 30000] [--seconds 120] [--no-checkpoints]
//                             [--phases drain,sustained,overhead] [--repeat 3]
//                             [--heap-mb 0] [--semi-space-mb 16] [--cpu-prof DIR]
//                             [--results FILE]   (default bench/results/pipeline.json)
//                             [--node-args "--flag ..."]  (extra V8 flags for the services)
//                             [--profile stress|realistic]  (the load generator's profile)
//
// --cpu-prof DIR profiles every service process into DIR (results go to DIR/pipeline.json).
// --heap-mb N starts each service with --max-old-space-size=N and, with it,
// --max-semi-space-size=16 (--semi-space-mb), as NODE_OPTIONS in the images does; 0 leaves
// V8's default, which on a large machine lets the heap grow far beyond the live data.
import { existsSync, readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  WINDOW_MS,
  OUT_OF_ORDERNESS_MS,
  localServers,
  ClickHouseSink,
  clientAuth,
  ServiceProcess,
  clickhouse,
  createPipelineTopics,
  produceStream,
  verifyRows,
  waitForRows,
  pipelineEnv,
  type PipelineNames,
  type RunServers,
  type ServiceName,
} from '@iot/harness';
import {
  generateStream,
  LOAD_PROFILES,
  resolveParams,
  type GeneratorParams,
  type LoadProfile,
} from '@iot/loadgen';
import { PulsarAdmin, PulsarClient } from '@iot/pulsar';
import { expectedFromParams } from '@iot/verify';

const URLS: RunServers = localServers();
const auth = clientAuth(URLS.credentials.admin);
const PARTITIONS = 4;
const DEVICES = 1000;
const CLK_TCK = 100;

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    drain: { type: 'string', default: '600000' },
    rate: { type: 'string', default: '30000' },
    seconds: { type: 'string', default: '120' },
    'no-checkpoints': { type: 'boolean', default: false },
    phases: { type: 'string', default: 'drain,sustained' },
    repeat: { type: 'string', default: '3' },
    'heap-mb': { type: 'string', default: '0' },
    'semi-space-mb': { type: 'string', default: '16' },
    'node-args': { type: 'string' },
    profile: { type: 'string', default: 'stress' },
    'cpu-prof': { type: 'string' },
    results: { type: 'string' },
  },
});
const phases = new Set(values.phases.split(','));
const heapMb = Number(values['heap-mb']);
const semiSpaceMb = Number(values['semi-space-mb']);
const nodeArgs = [
  ...(heapMb > 0 ? [`--max-old-space-size=${heapMb}`] : []),
  // With a capped old space V8 also shrinks the young generation to a few MB, and the
  // services then spend a quarter of their time collecting; the images set 16 MB.
  ...(heapMb > 0 && semiSpaceMb > 0 ? [`--max-semi-space-size=${semiSpaceMb}`] : []),
  // Extra V8 flags for every service (to compare GC settings, for example).
  ...(values['node-args'] ? values['node-args'].split(' ').filter(Boolean) : []),
  // A profile per service process, to see where the CPU goes; such a run is not a figure.
  ...(values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`] : []),
];
const drainMessages = Number(values.drain);
const profile = values.profile as LoadProfile;
if (!LOAD_PROFILES.includes(profile)) {
  throw new Error(`--profile must be one of ${LOAD_PROFILES.join(', ')}, got ${values.profile}`);
}
const rate = Number(values.rate);
const seconds = Number(values.seconds);

const admin = new PulsarAdmin({ ...auth.pulsar, adminUrl: URLS.pulsarAdminUrl });
const client = new PulsarClient({ ...auth.pulsar, serviceUrl: URLS.pulsarUrl });
const ch = clickhouse(URLS.clickhouseUrl, auth.clickhouse);
// REDIS_CLUSTER_NODES / CLICKHOUSE_CLUSTER (localServers) run the stages on the clusters.
const sinkOptions = (database: string) => ({
  database,
  ...(URLS.clickhouseCluster ? { cluster: URLS.clickhouseCluster } : {}),
});
const dropDatabase = (database: string) =>
  ch.command({
    query: `DROP DATABASE IF EXISTS ${database}${URLS.clickhouseCluster ? ` ON CLUSTER ${URLS.clickhouseCluster}` : ''}`,
  });
const log = (line: string) => process.stderr.write(`bench pipeline: ${line}\n`);

/** What a drain runs with besides its checkpoints: for the overhead phase's variants. */
interface Variant {
  /** Scrape every service's /metrics this often (ms), as Prometheus would; 0: never. */
  scrapeEveryMs: number;
  /** Export traces to the stack's Zipkin at the default sampling; otherwise tracing is off. */
  tracing: boolean;
}
const BASELINE: Variant = { scrapeEveryMs: 0, tracing: false };

function serviceEnv(
  names: PipelineNames,
  checkpoints: boolean,
  variant: Variant = BASELINE,
): Record<string, string> {
  return pipelineEnv(names, URLS, {
    CHECKPOINT_INTERVAL: checkpoints ? '10s' : '1h',
    WINDOW_SIZE: '1m',
    MAX_OUT_OF_ORDERNESS: `${OUT_OF_ORDERNESS_MS}ms`,
    WATERMARK_IDLE_TIMEOUT: '10s',
    LOG_LEVEL: 'info', // the harness waits for the "consuming" line
    // Explicit either way, so a variable in the caller's shell cannot turn tracing on.
    OTEL_TRACES_EXPORTER: variant.tracing ? 'zipkin' : 'none',
    ...(variant.tracing
      ? {
          OTEL_EXPORTER_ZIPKIN_ENDPOINT: `${URLS.zipkinUrl ?? 'http://127.0.0.1:9411'}/api/v2/spans`,
        }
      : {}),
  });
}

/** Fetches every service's /metrics every `everyMs` until stopped, as a scraper would. */
function scrapeLoop(services: readonly ServiceProcess[], everyMs: number): () => Promise<number> {
  let scrapes = 0;
  let running = everyMs > 0;
  const loop = (async () => {
    while (running) {
      const next = Date.now() + everyMs;
      await Promise.all(
        services.map(async (s) => {
          const res = await fetch(`http://127.0.0.1:${String(s.httpPort)}/metrics`);
          await res.text();
          scrapes++;
        }),
      ).catch(() => {});
      await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
    }
  })();
  return async () => {
    running = false;
    await loop;
    return scrapes;
  };
}

interface Usage {
  cpuSeconds: number;
  rssMb: number;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** The local stack's broker (its pid file), to report the broker's CPU per message too. */
const brokerPid = (() => {
  const dir = process.env.IOT_STACK_DIR ?? `${process.env.HOME}/.local/state/iot-pipeline/stack`;
  for (const file of [`${dir}/run/pulsar.pid`, `${dir}/pulsar.pid`]) {
    if (existsSync(file)) return Number(readFileSync(file, 'utf8').trim());
  }
  return undefined;
})();

function usage(pid: number | undefined): Usage | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
    const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return { cpuSeconds, rssMb: rss ? Number(rss[1]) / 1024 : 0 };
  } catch {
    return undefined;
  }
}

async function backlog(topic: string, subscription: string): Promise<number> {
  try {
    const stats = await admin.getPartitionedStats(topic, false);
    return stats.subscriptions[subscription]?.msgBacklog ?? 0;
  } catch {
    return 0;
  }
}

async function startStages(names: PipelineNames, checkpoints: boolean, variant?: Variant) {
  const env = serviceEnv(names, checkpoints, variant);
  // Out of the local Prometheus's targets: the benchmark decides who scrapes (Variant).
  const start = (s: ServiceName) => new ServiceProcess(s, env, nodeArgs, { scrape: false });
  const services = (['ingest', 'aggregator', 'writer'] as const).map(start);
  if (checkpoints) services.push(start('checkpointer'));
  await Promise.all(services.map((s) => s.start()));
  return services;
}

function params(startMs: number, messages: number, ratePerSec: number): GeneratorParams {
  return resolveParams({
    seed: 7,
    profile,
    devices: DEVICES,
    startMs,
    durationMs: Math.ceil((messages / ratePerSec) * 1000),
    ratePerSec,
    partitions: PARTITIONS,
    maxOutOfOrdernessMs: OUT_OF_ORDERNESS_MS,
  });
}

/** Backlog first, then the stages: messages per second from start to the last row. */
async function drain(checkpoints: boolean, variant: Variant = BASELINE) {
  const names = await createPipelineTopics(
    { adminUrl: URLS.pulsarAdminUrl, ...auth.pulsar },
    'bench-drain',
    PARTITIONS,
    PARTITIONS,
  );
  const p = params(Date.UTC(2026, 0, 1), drainMessages, 30_000);
  const expected = expectedFromParams(p, { windowSizeMs: WINDOW_MS, listAlerts: false });
  log(`drain (checkpoints ${checkpoints ? 'every 10 s' : 'off'}): publishing ${drainMessages}`);
  await produceStream(client, names.source, p);
  const sink = new ClickHouseSink(ch, sinkOptions(names.database));
  const brokerAtStart = brokerPid === undefined ? null : (usage(brokerPid)?.cpuSeconds ?? null);
  const t0 = Date.now();
  const services = await startStages(names, checkpoints, variant);
  const stopScraping = scrapeLoop(services, variant.scrapeEveryMs);
  // CPU spent starting (module loading and compiling, connecting), apart from the work.
  const atStart = Object.fromEntries(
    services.map((s) => [s.service, usage(s.pid)?.cpuSeconds ?? 0]),
  );
  // Throughput: until both stages have consumed everything (closing the last windows waits
  // for WATERMARK_IDLE_TIMEOUT of silence, which is not work).
  await new Promise((r) => setTimeout(r, 2000));
  while (
    (await backlog(names.source, 'iot-ingest')) + (await backlog(names.records, 'iot-aggregator')) >
    0
  ) {
    await new Promise((r) => setTimeout(r, 250));
  }
  const elapsedS = (Date.now() - t0) / 1000;
  const scrapes = await stopScraping();
  const rows = await waitForRows(sink, expected.rows.length, 5 * 60_000);
  const { exact, report } = await verifyRows(sink, expected);
  const cpu = Object.fromEntries(
    services.map((s) => [s.service, usage(s.pid)?.cpuSeconds ?? null]),
  );
  const startCpu = (svc: string) => atStart[svc] ?? 0;
  const workCpu = Object.fromEntries(
    Object.entries(cpu).map(([svc, c]) => [svc, c === null ? null : round2(c - startCpu(svc))]),
  );
  const stages = ['ingest', 'aggregator', 'writer'] as const;
  // Microseconds of CPU per input message, per stage and for the three stages together,
  // without start-up (the figure the performance targets are about).
  const usPerMessage = Object.fromEntries(
    stages.map((svc) => [svc, round2((((workCpu[svc] as number) ?? 0) * 1e6) / drainMessages)]),
  );
  const usPerMessageTotal = round2(stages.reduce((sum, svc) => sum + (usPerMessage[svc] ?? 0), 0));
  const brokerCpu = brokerPid === undefined ? null : (usage(brokerPid)?.cpuSeconds ?? null);
  await Promise.all(services.map((s) => s.stop()));
  await dropDatabase(names.database);
  const msgPerSec = Math.round(drainMessages / elapsedS);
  log(`  ${msgPerSec} msg/s, ${rows} rows, ${report.split('\n')[0]}`);
  return {
    profile,
    checkpoints,
    ...(variant === BASELINE ? {} : { variant, scrapes }),
    messages: drainMessages,
    elapsedS,
    msgPerSec,
    exact,
    cpuSeconds: cpu,
    startupCpuSeconds: atStart,
    usPerMessage,
    usPerMessageTotal,
    brokerUsPerMessage:
      brokerCpu === null || brokerAtStart === null
        ? null
        : round2(((brokerCpu - brokerAtStart) * 1e6) / drainMessages),
  };
}

/** A paced run with event time = wall clock. */
async function sustained(ratePerSec: number, durationS: number) {
  const names = await createPipelineTopics(
    { adminUrl: URLS.pulsarAdminUrl, ...auth.pulsar },
    'bench-rate',
    PARTITIONS,
    PARTITIONS,
  );
  const sink = new ClickHouseSink(ch, sinkOptions(names.database));
  const services = await startStages(names, true);
  // Event time = wall clock from the first message on: the stream starts at the next minute
  // (at least 5 s away), and production starts exactly then. (The start must be chosen after
  // the stages are up: a start already past would make every window close late.)
  const startMs = Math.ceil((Date.now() + 5_000) / WINDOW_MS) * WINDOW_MS;
  const p = params(startMs, ratePerSec * durationS, ratePerSec);
  await new Promise((r) => setTimeout(r, startMs - Date.now()));
  log(`sustained: ${ratePerSec} msg/s for ${durationS} s`);

  const samples: {
    t: number;
    backlog: number;
    records: number;
    usage: Record<string, Usage | undefined>;
  }[] = [];
  const visibleAt = new Map<number, { rows: number; at: number }[]>();
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      samples.push({
        t: Date.now(),
        backlog: await backlog(names.source, 'iot-ingest'),
        records: await backlog(names.records, 'iot-aggregator'),
        usage: Object.fromEntries(services.map((s) => [s.service, usage(s.pid)])),
      });
      await new Promise((r) => setTimeout(r, 1000));
    }
  })().catch(() => {});
  // Row visibility polled every 100 ms: the latency target is 2 s, so the poll must be finer.
  const watcher = (async () => {
    while (sampling) {
      const res = await ch.query({
        query: `SELECT toUInt32(window_start) AS w, uniqExact(device_id) AS n FROM ${names.database}.sensor_aggregates GROUP BY w`,
        format: 'JSONEachRow',
      });
      for (const { w, n } of await res.json<{ w: number; n: string | number }>()) {
        const list = visibleAt.get(Number(w)) ?? [];
        const seen = list.at(-1)?.rows ?? 0;
        if (Number(n) > seen) list.push({ rows: Number(n), at: Date.now() });
        visibleAt.set(Number(w), list);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })().catch(() => {});

  const t0 = Date.now();
  await produceStream(client, names.source, p, ratePerSec);
  const produceS = (Date.now() - t0) / 1000;
  // Computed after production, so its CPU does not compete with the pipeline's.
  const expected = expectedFromParams(p, { windowSizeMs: WINDOW_MS, listAlerts: false });
  await waitForRows(sink, expected.rows.length, 5 * 60_000);
  sampling = false;
  await Promise.all([sampler, watcher]);
  const { exact, report } = await verifyRows(sink, expected);
  await Promise.all(services.map((s) => s.stop()));

  // Latency per row: visible time − (window end + out-of-orderness); the last window closes
  // by idleness instead and is left out.
  const lastWindow = Math.max(...visibleAt.keys());
  const latencies: number[] = [];
  for (const [w, list] of visibleAt) {
    if (w === lastWindow) continue;
    const closable = w * 1000 + WINDOW_MS + OUT_OF_ORDERNESS_MS;
    let prev = 0;
    for (const { rows, at } of list) {
      for (let i = prev; i < rows; i++) latencies.push(Math.max(0, at - closable) / 1000);
      prev = rows;
    }
  }
  latencies.sort((a, b) => a - b);
  const pct = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? null;
  const during = samples.filter((s) => s.t <= t0 + produceS * 1000);
  const half = during.slice(Math.floor(during.length / 2));
  const total = (s: (typeof samples)[number] | undefined) => (s ? s.backlog + s.records : 0);
  const endBacklog = total(during.at(-1));
  const midBacklog = total(half[0]);
  const cpuShare = (svc: string) => {
    const a = during.find((s) => s.usage[svc])?.usage[svc];
    const b = during.at(-1)?.usage[svc];
    const dt = ((during.at(-1)?.t ?? 0) - (during.find((s) => s.usage[svc])?.t ?? 0)) / 1000;
    return a && b && dt > 0 ? Math.round(((b.cpuSeconds - a.cpuSeconds) / dt) * 100) : null;
  };
  const maxRss = (svc: string) =>
    Math.round(Math.max(0, ...samples.map((s) => s.usage[svc]?.rssMb ?? 0)));
  const result = {
    profile,
    rate: ratePerSec,
    seconds: durationS,
    heapMb: heapMb > 0 ? heapMb : 'V8 default',
    semiSpaceMb: heapMb > 0 && semiSpaceMb > 0 ? semiSpaceMb : 'V8 default',
    achievedPublishRate: Math.round((ratePerSec * durationS) / produceS),
    // Pulsar's msgBacklog counts entries: here batches of about 40 messages each.
    backlogEntriesAtEnd: endBacklog,
    backlogEntriesMaxSecondHalf: Math.max(0, ...half.map((s) => s.backlog + s.records)),
    // Kept up: rows visible soon after their windows could close, and a backlog that did not
    // grow over the second half.
    sustained: (pct(0.99) ?? Infinity) <= 5 && endBacklog <= Math.max(2 * midBacklog, 1000),
    windowCloseToVisibleS: {
      p50: pct(0.5),
      p99: pct(0.99),
      max: latencies.at(-1) ?? null,
      rows: latencies.length,
    },
    cpuPercent: Object.fromEntries(services.map((s) => [s.service, cpuShare(s.service)])),
    maxRssMb: Object.fromEntries(services.map((s) => [s.service, maxRss(s.service)])),
    exact,
    verify: report.split('\n')[0],
  };
  await dropDatabase(names.database);
  log(`  ${JSON.stringify(result)}`);
  return result;
}

/**
 * CPU one scrape of /metrics costs a service, measured on idle services (no input), where a
 * process's own CPU time is not drowned in the noise of a loaded machine: each service's CPU
 * over `seconds` without scraping, then over `seconds` scraped 10 times a second (ten times
 * the 1 s interval, to lift it well above the idle figure); the difference per scrape.
 */
async function scrapeCpu(seconds = 20) {
  const names = await createPipelineTopics(
    { adminUrl: URLS.pulsarAdminUrl, authToken: URLS.credentials.admin.pulsarToken },
    'bench-scrape',
    PARTITIONS,
    PARTITIONS,
  );
  const services = await startStages(names, true);
  const cpu = () =>
    Object.fromEntries(services.map((s) => [s.service, usage(s.pid)?.cpuSeconds ?? 0]));
  const sleepS = (n: number) => new Promise((r) => setTimeout(r, n * 1000));
  await sleepS(5); // start-up settles
  const a = cpu();
  await sleepS(seconds);
  const b = cpu();
  const stop = scrapeLoop(services, 100);
  await sleepS(seconds);
  const scrapes = await stop();
  const c = cpu();
  await Promise.all(services.map((s) => s.stop()));
  await ch.command({ query: `DROP DATABASE IF EXISTS ${names.database}` });
  const perService = scrapes / services.length;
  const usPerScrape = Object.fromEntries(
    services.map((s) => {
      const idle = b[s.service]! - a[s.service]!;
      const scraped = c[s.service]! - b[s.service]!;
      return [s.service, round2(((scraped - idle) * 1e6) / perService)];
    }),
  );
  log(`  CPU per scrape (µs): ${JSON.stringify(usPerScrape)}`);
  return { seconds, scrapesPerService: perService, usPerScrape };
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/**
 * The cost of observability: the same drain as baseline, with every service's /metrics
 * scraped every second, and with tracing at the default sampling exported to Zipkin. The
 * variants take turns (the order rotates every round), so the machine's drift spreads over
 * all of them; the medians are compared.
 */
async function overhead(repeat: number) {
  const variants: Record<string, Variant> = {
    baseline: BASELINE,
    scrapeEverySecond: { scrapeEveryMs: 1000, tracing: false },
    tracingDefaultSampling: { scrapeEveryMs: 0, tracing: true },
  };
  const names = Object.keys(variants);
  const runs: Record<string, { msgPerSec: number; usPerMessage: number; calibrationMs: number }[]> =
    Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < repeat; round++) {
    const order = names.map((_, i) => names[(i + round) % names.length]!);
    for (const name of order) {
      log(`overhead round ${round + 1}/${repeat}: ${name}`);
      const cal = calibrationMs();
      const r = await drain(true, variants[name]!);
      runs[name]!.push({
        msgPerSec: r.msgPerSec,
        usPerMessage: r.usPerMessageTotal,
        calibrationMs: cal,
      });
    }
  }
  const summary = Object.fromEntries(
    names.map((n) => [
      n,
      {
        msgPerSec: median(runs[n]!.map((r) => r.msgPerSec)),
        usPerMessage: round2(median(runs[n]!.map((r) => r.usPerMessage))),
      },
    ]),
  );
  const base = summary.baseline!;
  const cost = Object.fromEntries(
    names
      .filter((n) => n !== 'baseline')
      .map((n) => [
        n,
        {
          // Positive: slower / more CPU than the baseline.
          throughputPercent: round2((1 - summary[n]!.msgPerSec / base.msgPerSec) * 100),
          cpuPerMessagePercent: round2((summary[n]!.usPerMessage / base.usPerMessage - 1) * 100),
        },
      ]),
  );
  // The scraping cost, from CPU per scrape: at one scrape a second per service, against the
  // CPU the three stages spend per second at the baseline's drain rate.
  const perScrape = await scrapeCpu();
  const stagesUsPerScrape = ['ingest', 'aggregator', 'writer'].reduce(
    (sum, svc) => sum + (perScrape.usPerScrape[svc] ?? 0),
    0,
  );
  const scrapeEverySecondPercent = round2(
    (stagesUsPerScrape / (base.usPerMessage * base.msgPerSec)) * 100,
  );
  log(
    `  overhead: ${JSON.stringify(cost)}; scraping every second from CPU per scrape: ${scrapeEverySecondPercent} %`,
  );
  return {
    profile,
    messages: drainMessages,
    repeat,
    runs,
    medians: summary,
    cost,
    scrapeCpu: { ...perScrape, scrapeEverySecondPercentOfStagesCpu: scrapeEverySecondPercent },
  };
}

/**
 * How fast this machine runs our code right now: ms to generate (PRNG + AVRO encoding) 200,000
 * readings on one core, taken before each phase. Figures from machines (or moments) with
 * different calibrations are not comparable one to one.
 */
function calibrationMs(): number {
  const t0 = performance.now();
  let bytes = 0;
  for (const m of generateStream(params(0, 200_000, 30_000))) bytes += m.payload.length;
  if (bytes === 0) throw new Error('calibration generated nothing');
  return Math.round(performance.now() - t0);
}

const RESULTS = values.results
  ? new URL(`file://${resolve(values.results)}`)
  : values['cpu-prof']
    ? new URL(`file://${resolve(values['cpu-prof'])}/pipeline.json`)
    : new URL('./results/pipeline.json', import.meta.url);
type Stamp = { at: string; calibrationMs?: number };
type Results = {
  machine: string;
  /** Where the state and the rows lived: a single server or a cluster. */
  servers?: { redis: string; clickhouse: string };
  drain: (Awaited<ReturnType<typeof drain>> & Stamp)[];
  sustained: (Awaited<ReturnType<typeof sustained>> & Stamp) | null;
  /** The same phase with --heap-mb (as the k8s manifests run the services). */
  sustainedCappedHeap: (Awaited<ReturnType<typeof sustained>> & Stamp) | null;
  /** The cost of metrics scraping and of tracing (--phases overhead). */
  overhead: (Awaited<ReturnType<typeof overhead>> & Stamp) | null;
};
// A run of some phases keeps the other phases' figures from the last run that had them.
const previous: Partial<Results> = existsSync(RESULTS)
  ? (JSON.parse(readFileSync(RESULTS, 'utf8')) as Partial<Results>)
  : {};
const results: Results = {
  machine:
    '2 cores, 24 GiB; Pulsar, ClickHouse 18.16, Redis, NATS, S3Proxy and the services co-located',
  servers: {
    redis: URLS.redisClusterNodes
      ? `Redis Cluster ${URLS.redisClusterNodes}`
      : `single Redis ${URLS.redisUrl}`,
    clickhouse: URLS.clickhouseCluster
      ? `cluster ${URLS.clickhouseCluster} via ${URLS.clickhouseUrl}`
      : `single ClickHouse ${URLS.clickhouseUrl}`,
  },
  drain: phases.has('drain') ? [] : (previous.drain ?? []),
  sustained: phases.has('sustained') && heapMb === 0 ? null : (previous.sustained ?? null),
  sustainedCappedHeap:
    phases.has('sustained') && heapMb > 0 ? null : (previous.sustainedCappedHeap ?? null),
  overhead: phases.has('overhead') ? null : (previous.overhead ?? null),
};
const at = () => new Date().toISOString();
// Written after every phase, so a run stopped early still leaves what it measured.
const save = (): void => {
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(RESULTS, JSON.stringify(results, null, 2) + '\n');
};
try {
  if (phases.has('drain')) {
    results.drain.push({ calibrationMs: calibrationMs(), ...(await drain(false)), at: at() });
    save();
    if (!values['no-checkpoints']) {
      results.drain.push({ calibrationMs: calibrationMs(), ...(await drain(true)), at: at() });
      save();
    }
  }
  if (phases.has('sustained')) {
    const result = {
      calibrationMs: calibrationMs(),
      ...(await sustained(rate, seconds)),
      at: at(),
    };
    if (heapMb > 0) results.sustainedCappedHeap = result;
    else results.sustained = result;
    save();
  }
  if (phases.has('overhead')) {
    results.overhead = {
      calibrationMs: calibrationMs(),
      ...(await overhead(Number(values.repeat))),
      at: at(),
    };
    save();
  }
} finally {
  await client.close();
  await ch.close();
}
process.stdout.write(JSON.stringify(results, null, 2) + '\n');
