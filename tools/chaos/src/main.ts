// `npm run chaos`: exactly once under faults. Two instances of every stage and two
// checkpointers as processes under a supervisor, a steady generated stream (event time = wall
// clock, 1-minute windows, the demo's shares of bad input), and a seeded schedule of faults:
// kill -9 of instances, SIGSTOP past the ownership lease, the broker and Redis killed, the
// pipeline's Redis state wiped, ClickHouse and S3 stopped, NATS restarted, a rescale. Then it
// drains, verifies rows, alerts and DLQ exactly, and writes bench/results/chaos.json.
//
//   npm run chaos -- [--minutes 10] [--rate 20000] [--seed N] [--devices 1000]
//                    [--kills-per-minute 2] [--stop-seconds 75] [--outage-seconds 30]
//                    [--skip kind,kind] [--out bench/results/chaos.json]
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { Redis } from 'ioredis';
import {
  usageFailure,
  WINDOW_MS,
  OUT_OF_ORDERNESS_MS,
  clientAuth,
  localServers,
  ClickHouseSink,
  PipelineRun,
  dlqByReason,
  produceStream,
  verifyRows,
  type RunServers,
} from '@iot/harness';
import { eventTimeBounds, resolveParams } from '@iot/loadgen';
import { PulsarAdmin, PulsarClient, type TopicStats } from '@iot/pulsar';
import { AlertDigest, compareAlerts as compareAlertLists, expectedFromParams } from '@iot/verify';
import { windowStart, type Alert } from '@iot/windows';
import { p50Max, recoveryOf, type Sample } from './recovery.ts';
import {
  STAGES,
  buildSchedule,
  describeFault,
  type Fault,
  type FaultKind,
  type Stage,
} from './schedule.ts';
import { cannotFault, killServer, startServer, stopServer, type Server } from './servers.ts';
import { Supervised } from './supervisor.ts';

const servers: RunServers = localServers();
const CHECKPOINT_INTERVAL_MS = 10_000;
const PARTITIONS = 4;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const say = (line: string) =>
  process.stderr.write(`chaos ${new Date().toISOString().slice(11, 19)}: ${line}\n`);
const fail = usageFailure('chaos');

function options() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        minutes: { type: 'string', default: '10' },
        rate: { type: 'string', default: '20000' },
        seed: { type: 'string' },
        devices: { type: 'string', default: '1000' },
        'kills-per-minute': { type: 'string', default: '2' },
        'stop-seconds': { type: 'string', default: '75' },
        'outage-seconds': { type: 'string', default: '30' },
        // Shorter than the stalls the faults cause (SIGSTOP 75 s, a broker restart): only
        // ingest declares a partition idle, once caught up, so a stall closes no window.
        'idle-timeout': { type: 'string', default: '10s' },
        skip: { type: 'string', default: '' },
        out: { type: 'string', default: 'bench/results/chaos.json' },
      },
    }));
  } catch (err) {
    return fail(`${(err as Error).message} (see tools/chaos/README.md)`);
  }
  const num = (name: keyof typeof values, min: number): number => {
    const n = Number(values[name]);
    if (!Number.isFinite(n) || n < min) fail(`--${name} must be a number ≥ ${min}`);
    return n;
  };
  return {
    minutes: num('minutes', 1),
    rate: Math.round(num('rate', 1)),
    seed: values.seed === undefined ? Date.now() % 1_000_000 : Math.round(num('seed', 0)),
    devices: Math.round(num('devices', 1)),
    killsPerMinute: num('kills-per-minute', 0),
    stopMs: num('stop-seconds', 1) * 1000,
    outageMs: num('outage-seconds', 1) * 1000,
    idleTimeout: values['idle-timeout'],
    skip: new Set(values.skip.split(',').filter((s) => s !== '')),
    out: resolve(values.out),
  };
}

const opts = options();
const durationMs = Math.round(opts.minutes * 60_000);
const schedule = buildSchedule({
  seed: opts.seed,
  durationMs,
  killsPerMinute: opts.killsPerMinute,
  stopMs: opts.stopMs,
  outageMs: opts.outageMs,
});
say(`seed ${opts.seed} (replay with --seed ${opts.seed}); schedule:`);
for (const f of schedule) process.stderr.write(`  ${describeFault(f)}\n`);

// Kinds that cannot be done here are skipped, each with its reason.
const SERVER_OF: Partial<Record<FaultKind, Server>> = {
  'pulsar-kill': 'pulsar',
  'redis-kill': 'redis',
  'clickhouse-stop': 'clickhouse',
  's3-stop': 's3',
  'nats-restart': 'nats',
};
const skipped = new Map<FaultKind, string>();
for (const kind of new Set(schedule.map((f) => f.kind))) {
  if (opts.skip.has(kind)) skipped.set(kind, 'skipped with --skip');
  const server = SERVER_OF[kind];
  const reason = server === undefined ? undefined : cannotFault(server);
  if (reason !== undefined && !skipped.has(kind)) skipped.set(kind, reason);
}
for (const [kind, reason] of skipped) say(`not injecting ${kind}: ${reason}`);

const startMs = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS;
const params = resolveParams({
  seed: opts.seed,
  devices: opts.devices,
  startMs,
  durationMs,
  ratePerSec: opts.rate,
  partitions: PARTITIONS,
  maxOutOfOrdernessMs: OUT_OF_ORDERNESS_MS,
  shares: { late: 0.002, outOfOrder: 0.02, duplicate: 0.005, legacyJson: 0.01, malformed: 0.002 },
});
say(`computing the expected rows and alerts of ${(opts.rate * durationMs) / 1000} messages`);
// Alerts as per-minute digests, not a list: millions of them at the default rate.
const wantAlerts = new AlertDigest(WINDOW_MS);
const expected = expectedFromParams(params, {
  windowSizeMs: WINDOW_MS,
  listAlerts: false,
  onAlert: (a) => wantAlerts.add(a),
});
const run = await PipelineRun.create(servers, {
  prefix: 'chaos',
  seed: opts.seed,
  sourcePartitions: PARTITIONS,
  recordsPartitions: PARTITIONS,
  env: {
    WINDOW_SIZE: '1m',
    MAX_OUT_OF_ORDERNESS: `${OUT_OF_ORDERNESS_MS}ms`,
    WATERMARK_IDLE_TIMEOUT: opts.idleTimeout,
    WRITER_FLUSH_INTERVAL: '1s',
    CHECKPOINT_INTERVAL: `${CHECKPOINT_INTERVAL_MS}ms`,
    LOG_LEVEL: 'info',
  },
});
const names = run.names;
say(`run ${names.name}: topics ${names.source} (+ records, aggregates, alerts, dlq)`);

const instances = new Map<string, Supervised>();
function supervise(service: Stage | 'checkpointer', i: number): Supervised {
  const s = new Supervised(`${service}#${i}`, run.service(service), say);
  instances.set(s.name, s);
  return s;
}
for (const service of [...STAGES, 'checkpointer'] as const) {
  for (let i = 0; i < 2; i++) supervise(service, i);
}
// Whatever ends this process early (Ctrl-C, a bug) takes the services along, and leaves no
// instance stopped with SIGSTOP; the servers are brought back by the next `stack.sh up`.
function killAll(why: string): never {
  say(`${why}; killing the services`);
  for (const s of instances.values()) {
    const pid = s.proc.pid;
    if (pid === undefined) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  process.exit(2);
}
process.on('SIGINT', () => killAll('interrupted'));
process.on('uncaughtException', (err) => killAll(`uncaught: ${err.stack ?? String(err)}`));
process.on('unhandledRejection', (err) =>
  killAll(
    `unhandled rejection: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
  ),
);

const auth = clientAuth(servers.credentials.admin);
const admin = new PulsarAdmin({
  adminUrl: servers.pulsarAdminUrl,
  ...auth.pulsar,
  timeoutMs: 2000,
});
const client = new PulsarClient({ serviceUrl: servers.pulsarUrl, ...auth.pulsar });
// Quiet: ClickHouse is stopped on purpose, and the sampler's failed reads are expected then.
const ch = createClient({
  url: servers.clickhouseUrl,
  ...auth.clickhouse,
  log: { level: ClickHouseLogLevel.OFF },
});
const sink = new ClickHouseSink(ch, { database: names.database });
const bounds = eventTimeBounds(params);
const range = { fromMs: windowStart(bounds.fromMs, WINDOW_MS), toMs: bounds.toMs + WINDOW_MS };

// ── Measurements ─────────────────────────────────────────────────────────────────────────
const samples: Sample[] = [];
const backlogOf = (t: TopicStats, sub: string) => t.subscriptions[sub]?.msgBacklog ?? 0;
async function readBacklog(): Promise<number | undefined> {
  try {
    const [source, records, aggregates, alerts] = await Promise.all([
      admin.getPartitionedStats(names.source, false),
      admin.getPartitionedStats(names.records, false),
      admin.getTopicStats(names.aggregates),
      admin.getTopicStats(names.alerts),
    ]);
    return (
      backlogOf(source, 'iot-ingest') +
      backlogOf(records, 'iot-aggregator') +
      backlogOf(aggregates, 'iot-writer') +
      backlogOf(alerts, 'iot-writer')
    );
  } catch {
    return undefined;
  }
}

// Window close (watermark passes its end) → all its rows visible in ClickHouse.
const rowsPerWindow = new Map<number, number>();
for (const r of expected.rows) {
  rowsPerWindow.set(r.window_start, (rowsPerWindow.get(r.window_start) ?? 0) + 1);
}
const visibleAt = new Map<number, number>();
let t0 = 0;
/** Wall time at which the stream's event time passes `eventMs` (event time tracks the clock). */
const wallOf = (eventMs: number) => t0 + (eventMs - startMs);
async function checkWindows(): Promise<void> {
  for (const [ws, want] of rowsPerWindow) {
    if (visibleAt.has(ws) || Date.now() < wallOf(ws + WINDOW_MS + OUT_OF_ORDERNESS_MS)) continue;
    const n = await sink.countAggregatesFinal({ fromMs: ws, toMs: ws + WINDOW_MS });
    if (n >= want) visibleAt.set(ws, Date.now());
  }
}

let measuring = true;
const measuring$ = (async () => {
  while (measuring) {
    const at = Date.now();
    samples.push({ atMs: at, backlog: await readBacklog() });
    if (t0 > 0) await checkWindows().catch(() => undefined);
    await sleep(Math.max(0, 2_000 - (Date.now() - at)));
  }
})();

// ── Faults ───────────────────────────────────────────────────────────────────────────────
interface Injected {
  fault: Fault;
  description: string;
  startMs: number;
  endMs: number;
  note?: string;
  error?: string;
}
const injected: Injected[] = [];
let zombieLog: (() => string) | undefined;
const redis = new Redis(servers.redisUrl, {
  ...auth.redis,
  lazyConnect: true,
  maxRetriesPerRequest: 3,
});
// Redis goes down on purpose: its clients reconnect; the errors meanwhile are expected.
redis.on('error', () => undefined);
run.redis.on('error', () => undefined);

async function scrapeLeader(s: Supervised): Promise<boolean> {
  const port = s.proc.httpPort;
  if (port === undefined || !s.running) return false;
  const text = await fetch(`http://127.0.0.1:${port}/metrics`, {
    signal: AbortSignal.timeout(2000),
  })
    .then((r) => r.text())
    .catch(() => '');
  return /^iot_checkpoint_leader(\{[^}]*\})? 1$/m.test(text);
}

/** The time the leader's last epoch started: its last "epoch complete" minus its duration. */
function lastEpochStart(s: Supervised): number | undefined {
  const lines = s.proc
    .logs()
    .split('\n')
    .filter((l) => l.includes('"msg":"epoch complete"') && l.includes('"kind":"checkpoint"'));
  const last = lines.at(-1);
  if (last === undefined) return undefined;
  const parsed = JSON.parse(last) as { time: string; durationMs: number };
  return Date.parse(parsed.time) - parsed.durationMs;
}

async function killLeader(): Promise<string> {
  const cps = [0, 1].map((i) => instances.get(`checkpointer#${i}`)!);
  const flags = await Promise.all(cps.map(scrapeLeader));
  const leader = cps[flags.indexOf(true)];
  if (leader === undefined) return 'no leader found; killed nothing';
  const started = lastEpochStart(leader);
  if (started !== undefined) {
    // Kill just after the next trigger, while that epoch collects its snapshots.
    let next = started + CHECKPOINT_INTERVAL_MS;
    while (next < Date.now()) next += CHECKPOINT_INTERVAL_MS;
    await sleep(next - Date.now() + 20);
  }
  await leader.kill();
  return `killed ${leader.name}${started === undefined ? ' (no epoch seen yet)' : ' 20 ms after an epoch trigger'}`;
}

async function inject(f: Fault): Promise<Injected> {
  const rec: Injected = { fault: f, description: describeFault(f), startMs: Date.now(), endMs: 0 };
  const inst = (name: string) => instances.get(name)!;
  try {
    switch (f.kind) {
      case 'kill':
        if (!(await inst(f.target).kill())) rec.note = `${f.target} was not running or stopped`;
        break;
      case 'kill-pair': {
        const a = inst(`${f.stage}#0`).kill();
        await sleep(f.gapMs);
        const b = inst(`${f.stage}#1`).kill();
        const done = await Promise.all([a, b]);
        if (done.includes(false)) rec.note = 'one of the pair was not running or stopped';
        break;
      }
      case 'kill-leader':
        rec.note = await killLeader();
        break;
      case 'stop-cont': {
        // The target may be restarting after a kill: then its sibling, or wait for either.
        const [stage, i] = f.target.split('#') as [string, string];
        const candidates = [inst(f.target), inst(`${stage}#${1 - Number(i)}`)];
        let s: Supervised | undefined;
        for (let tries = 0; s === undefined && tries < 60; tries++) {
          s = candidates.find((c) => c.signal('SIGSTOP'));
          if (s === undefined) await sleep(500);
        }
        if (s === undefined) {
          rec.note = `neither ${stage} instance was running for 30 s`;
          break;
        }
        rec.note = `stopped ${s.name}`;
        await sleep(f.forMs);
        const from = s.proc.logs().length;
        s.signal('SIGCONT');
        // What the zombie did once continued: read when the report is made.
        zombieLog = () => s.proc.logs().slice(from);
        break;
      }
      case 'pulsar-kill':
        await killServer('pulsar');
        await sleep(2_000);
        await startServer('pulsar');
        break;
      case 'redis-kill':
        await killServer('redis');
        await sleep(1_000);
        await startServer('redis');
        break;
      case 'redis-wipe': {
        // Only this run's keys: FLUSHALL would wipe every other user of the shared Redis.
        if (redis.status === 'wait') await redis.connect();
        const keys = await redis.keys(`${names.name}:*`);
        if (keys.length > 0) await redis.del(...keys);
        rec.note = `deleted ${keys.length} keys (${names.name}:*)`;
        break;
      }
      case 'clickhouse-stop':
        await stopServer('clickhouse');
        await sleep(f.forMs);
        await startServer('clickhouse');
        break;
      case 's3-stop':
        await stopServer('s3');
        await sleep(f.forMs);
        await startServer('s3');
        break;
      case 'nats-restart':
        await killServer('nats');
        await startServer('nats');
        break;
      case 'rescale': {
        const third = supervise('aggregator', 2);
        await third.start();
        await sleep(f.forMs);
        const code = await third.stop();
        rec.note = `aggregator#2 stopped with exit code ${code}`;
        break;
      }
    }
  } catch (err) {
    rec.error = (err as Error).message.split('\n')[0];
    say(`fault ${f.kind} failed: ${rec.error}`);
  }
  rec.endMs = Date.now();
  return rec;
}

// ── The run ──────────────────────────────────────────────────────────────────────────────
let exitCode = 1;
let resultJson: Record<string, unknown> = {};
try {
  await ch.command({ query: `DROP DATABASE IF EXISTS ${names.database}` });
  await admin.setTopicDeduplication(names.source, true);
  await Promise.all([...instances.values()].map((s) => s.start()));
  say(
    `services up (2 × ingest, aggregator, writer, checkpointer); logs: ${[...instances.values()]
      .map((s) => s.proc.logFile)
      .join(' ')}`,
  );
  t0 = Date.now();
  // A broker killed mid-send: the producers resend after reconnecting, and deduplication on
  // the source topic stores what was persisted already once (as a real device gateway must).
  const producing = produceStream(client, names.source, params, opts.rate, {
    sendTimeoutMs: 0,
    name: `${names.name}-loadgen`,
  });
  const faulting = schedule
    .filter((f) => !skipped.has(f.kind))
    .map(async (f) => {
      await sleep(Math.max(0, t0 + f.atMs - Date.now()));
      say(`inject: ${describeFault(f)}`);
      const rec = await inject(f);
      injected.push(rec);
      say(`done (${((rec.endMs - rec.startMs) / 1000).toFixed(1)} s): ${f.kind} ${rec.note ?? ''}`);
    });
  const sent = await producing;
  const produceMs = Date.now() - t0;
  say(`published ${sent} messages in ${(produceMs / 1000).toFixed(1)} s`);
  await Promise.all(faulting);
  say('schedule done; waiting for the backlog to drain and the last windows');

  // Drain: every expected row there, then a pause so a late extra row would show.
  const deadline = Date.now() + 15 * 60_000;
  let rows = 0;
  while (Date.now() < deadline) {
    rows = await sink.countAggregatesFinal(range).catch(() => rows);
    if (rows >= expected.rows.length) break;
    await sleep(2_000);
  }
  await sleep(5_000);
  measuring = false;
  await measuring$;
  await checkWindows().catch(() => undefined);

  const { exact: rowsExact, report } = await verifyRows(sink, expected, range);
  const alerts = await compareAlerts();
  const wantDlq = Object.values(expected.counts.dlq).reduce((a, b) => a + b, 0);
  const dlq = await dlqByReason(client, names.dlq, wantDlq, 60_000);
  const dlqExact = JSON.stringify(sortKeys(dlq)) === JSON.stringify(sortKeys(expected.counts.dlq));
  const looping = [...instances.values()]
    .filter((s) => s.name !== 'aggregator#2' && s.crashLooping())
    .map((s) => s.name);

  const faults = injected
    .sort((a, b) => a.startMs - b.startMs)
    .map((r) => {
      const rec = recoveryOf(samples, r.startMs, r.endMs);
      return {
        kind: r.fault.kind,
        description: r.description,
        atS: (r.startMs - t0) / 1000,
        faultS: (r.endMs - r.startMs) / 1000,
        preFaultBacklog: rec.preFault ?? null,
        peakBacklog: rec.peak ?? null,
        recoverS: rec.recoverMs === undefined ? null : rec.recoverMs / 1000,
        catchUpS: rec.catchUpMs === undefined ? null : rec.catchUpMs / 1000,
        ...(r.note === undefined ? {} : { note: r.note }),
        ...(r.error === undefined ? {} : { error: r.error }),
      };
    });
  const faultFrom = Math.min(...injected.map((r) => r.startMs));
  const faultTo = Math.max(...injected.map((r) => r.endMs));
  const latencies = [...visibleAt].map(([ws, at]) => ({
    windowStart: new Date(ws).toISOString(),
    closeMs: wallOf(ws + WINDOW_MS + OUT_OF_ORDERNESS_MS),
    latencyS: (at - wallOf(ws + WINDOW_MS + OUT_OF_ORDERNESS_MS)) / 1000,
  }));
  // Windows the stream's own event time closes: the last ones wait for the idle timeout.
  const closedByStream = (l: { closeMs: number }) => l.closeMs <= wallOf(startMs + durationMs);
  const duringFaults = latencies.filter(
    (l) => closedByStream(l) && l.closeMs >= faultFrom && l.closeMs <= faultTo,
  );
  const worstDuringFaults = Math.max(...duringFaults.map((l) => l.latencyS), 0);
  const restarts = Object.fromEntries(
    [...STAGES, 'checkpointer'].map((service) => {
      const of = [...instances.values()].filter((s) => s.name.startsWith(`${service}#`));
      return [
        service,
        {
          killed: of.reduce((a, s) => a + s.planned, 0),
          crashed: of.reduce((a, s) => a + s.crashes.length, 0),
          failedStarts: of.reduce((a, s) => a + s.failedStarts, 0),
        },
      ];
    }),
  );
  const logs = (service: string) =>
    [...instances.values()].filter((s) => s.name.startsWith(service)).map((s) => s.proc.logs());
  const count = (texts: string[], msg: string) =>
    texts.reduce((a, t) => a + t.split(`"msg":"${msg}"`).length - 1, 0);
  const epochs = {
    completed: count(logs('checkpointer'), 'epoch complete'),
    abandoned: count(logs('checkpointer'), 'epoch abandoned'),
    restoredPartitions: count(
      [...logs('ingest'), ...logs('aggregator')],
      'restored partition state from checkpoint storage',
    ),
  };
  // The continued instance: partitions it found fenced (a commit refused) or released.
  const zombieText = zombieLog?.() ?? '';
  const zombie = {
    fenced: zombieText.split('"msg":"partition fenced"').length - 1,
    released: zombieText.split('"msg":"partition stopped"').length - 1,
  };
  const recoveries = faults.flatMap((f) => (f.recoverS === null ? [] : [f.recoverS]));
  const catchUps = faults.flatMap((f) => (f.catchUpS === null ? [] : [f.catchUpS]));
  const byKind: Record<string, number> = {};
  for (const f of faults) byKind[f.kind] = (byKind[f.kind] ?? 0) + 1;
  const exact = rowsExact && alerts.exact && dlqExact && looping.length === 0;

  resultJson = {
    when: new Date().toISOString(),
    seed: opts.seed,
    minutes: opts.minutes,
    rate: opts.rate,
    devices: opts.devices,
    messages: sent,
    schedule: schedule.map(describeFault),
    skipped: Object.fromEntries(skipped),
    faultsByKind: byKind,
    faults,
    recoveryS: p50Max(recoveries),
    catchUpS: p50Max(catchUps),
    notRecovered: faults.filter((f) => f.recoverS === null).map((f) => f.description),
    peakBacklog: Math.max(...samples.map((s) => s.backlog ?? 0)),
    worstWindowLatencyDuringFaultsS: worstDuringFaults,
    windowLatencies: latencies.map(({ windowStart, latencyS }) => ({ windowStart, latencyS })),
    restarts,
    epochs,
    zombie,
    verify: {
      exact,
      rows: report.split('\n')[0],
      rowsExact,
      alerts: alerts.summary,
      alertsExact: alerts.exact,
      dlq: sortKeys(dlq),
      dlqExpected: sortKeys(expected.counts.dlq),
      dlqExact,
      crashLooping: looping,
    },
  };
  mkdirSync(dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, JSON.stringify(resultJson, null, 2) + '\n');

  const table: [string, string][] = [
    ['seed', String(opts.seed)],
    ['messages', `${sent} at ${opts.rate}/s over ${opts.minutes} min`],
    [
      'faults',
      Object.entries(byKind)
        .map(([k, n]) => `${k} ${n}`)
        .join(', '),
    ],
    ['skipped', [...skipped.keys()].join(', ') || 'none'],
    [
      'recovery (s)',
      `p50 ${p50Max(recoveries).p50} max ${p50Max(recoveries).max} (${faults.length - recoveries.length} not recovered)`,
    ],
    [
      'catch-up (s)',
      `p50 ${p50Max(catchUps).p50} max ${p50Max(catchUps).max} after the fault ended`,
    ],
    ['peak backlog', String(resultJson.peakBacklog)],
    ['worst close→visible', `${worstDuringFaults.toFixed(1)} s during faults`],
    [
      'restarts',
      Object.entries(restarts)
        .map(([s, r]) => `${s} ${r.killed} killed/${r.crashed} crashed`)
        .join(', '),
    ],
    [
      'epochs',
      `${epochs.completed} completed, ${epochs.abandoned} abandoned, ${epochs.restoredPartitions} partitions restored from S3`,
    ],
    [
      'zombie (SIGCONT)',
      `${zombie.fenced} partitions fenced, ${zombie.released} released after it continued`,
    ],
    ['verify rows', report.split('\n')[0]!],
    ['verify alerts', alerts.summary],
    [
      'verify DLQ',
      dlqExact ? 'exact' : `got ${JSON.stringify(dlq)} want ${JSON.stringify(expected.counts.dlq)}`,
    ],
    ['crash-looping', looping.join(', ') || 'none'],
    ['result', exact ? 'EXACT' : 'NOT EXACT'],
  ];
  const width = Math.max(...table.map(([k]) => k.length));
  process.stdout.write('\n' + table.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n') + '\n');
  if (!rowsExact) process.stdout.write(report + '\n');
  process.stdout.write(`report: ${opts.out}\n`);
  exitCode = exact ? 0 : 1;
} finally {
  measuring = false;
  for (const s of instances.values()) s.signal('SIGCONT');
  const codes = await Promise.all([...instances.values()].map((s) => s.stop()));
  if (codes.some((c) => c !== 0)) say(`exit codes on SIGTERM: ${codes.join(', ')}`);
  // Whatever a fault left down comes back up before we go.
  for (const server of ['pulsar', 'redis', 'clickhouse', 's3'] as const) {
    await startServer(server).catch((err: Error) => say(`stack up ${server}: ${err.message}`));
  }
  redis.disconnect();
  await ch.close();
  // A run that is not exact keeps its data, so what went wrong can be read back.
  if (exitCode === 0) await run.cleanup();
  else {
    await run.keep();
    say(
      `kept the run's data: topics ${names.name}-*, database ${names.database}, ` +
        `Redis keys ${names.name}:*, checkpoints under ${names.name}/ in S3`,
    );
  }
}
process.exit(exitCode);

/**
 * Alerts through FINAL against the expected ones, a minute of event time at a time: digests
 * first (count and hash sums per minute, so no run holds all its alerts), then alert by alert
 * in the minutes whose digests differ, with the expected alerts of just those minutes
 * computed again. Alerts are compared per (device, event time, kind) as multisets of their
 * values: the expected stream knows no source positions, and readings of one device can
 * share an event time.
 */
async function compareAlerts(): Promise<{ exact: boolean; summary: string }> {
  const gotAlerts = new AlertDigest(WINDOW_MS);
  const from = gotAlerts.bucketOf(bounds.fromMs - WINDOW_MS);
  const minute = (m: number) => sink.readAlertsFinal({ fromMs: m, toMs: m + WINDOW_MS });
  for (let m = from; m < range.toMs; m += WINDOW_MS)
    for (const a of await minute(m)) gotAlerts.add(a);
  const differing = AlertDigest.differing(wantAlerts, gotAlerts);
  let missing = 0;
  let extra = 0;
  let mismatched = 0;
  if (differing.length > 0) {
    say(`alerts differ in ${differing.length} minute(s); comparing them alert by alert`);
    const want = new Map(differing.map((m) => [m, [] as Alert[]]));
    expectedFromParams(params, {
      windowSizeMs: WINDOW_MS,
      listAlerts: false,
      onAlert: (a) => want.get(wantAlerts.bucketOf(a.event_time))?.push(a),
    });
    for (const [m, list] of want) {
      const c = compareAlertLists(list, await minute(m));
      missing += c.missing;
      extra += c.extra;
      mismatched += c.mismatched;
      for (const e of c.examples) say(`alert mismatch in ${new Date(m).toISOString()}: ${e}`);
    }
  }
  const exact = differing.length === 0;
  return {
    exact,
    summary: `${gotAlerts.total} of ${wantAlerts.total} expected: ${missing} missing, ${extra} extra, ${mismatched} mismatched`,
  };
}

function sortKeys(o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
}
