// The fault schedule of a chaos run: a pure function of the seed and the run's length, so
// `--seed N` replays the same faults at the same offsets. Times are ms from the run's start.
import { mulberry32, randInt, type Rng } from '@iot/loadgen';

export type Stage = 'ingest' | 'aggregator' | 'writer';
export type Instance = `${Stage | 'checkpointer'}#${number}`;

export type Fault =
  /** kill -9 of one instance (restarted by the supervisor). */
  | { kind: 'kill'; atMs: number; target: Instance }
  /** kill -9 of both instances of a stage, `gapMs` apart (well within one lease). */
  | { kind: 'kill-pair'; atMs: number; stage: Stage; gapMs: number }
  /** kill -9 of the checkpointer leader just after it triggered an epoch. */
  | { kind: 'kill-leader'; atMs: number }
  /** SIGSTOP longer than the ownership lease, then SIGCONT: the zombie must be fenced. */
  | { kind: 'stop-cont'; atMs: number; target: Instance; forMs: number }
  | { kind: 'pulsar-kill'; atMs: number }
  | { kind: 'redis-kill'; atMs: number }
  /** The pipeline's Redis state wiped: partitions restore from the newest S3 checkpoint. */
  | { kind: 'redis-wipe'; atMs: number }
  | { kind: 'clickhouse-stop'; atMs: number; forMs: number }
  | { kind: 's3-stop'; atMs: number; forMs: number }
  | { kind: 'nats-restart'; atMs: number }
  /** A third aggregator joins, and leaves (SIGTERM) `forMs` later. */
  | { kind: 'rescale'; atMs: number; forMs: number };

export type FaultKind = Fault['kind'];

export const STAGES: readonly Stage[] = ['ingest', 'aggregator', 'writer'];

export interface ScheduleOptions {
  seed: number;
  /** Length of the injection phase (the stream lasts this long). */
  durationMs: number;
  /** Single kill -9s per minute (the pair and the leader kill come on top). */
  killsPerMinute: number;
  /** How long a stopped instance stays stopped: longer than the ownership lease. */
  stopMs: number;
  /** How long ClickHouse and S3 stay stopped. */
  outageMs: number;
}

/** The server faults and the one-off ones, each placed once in its own slot. */
const ONE_OFF: readonly FaultKind[] = [
  'kill-pair',
  'kill-leader',
  'stop-cont',
  'pulsar-kill',
  'redis-kill',
  'redis-wipe',
  'clickhouse-stop',
  's3-stop',
  'nats-restart',
  'rescale',
];

/** Faults start after a warm-up and end before the stream does, so the last ones can recover. */
export function injectionWindow(durationMs: number): { fromMs: number; toMs: number } {
  const fromMs = Math.min(30_000, durationMs * 0.15);
  return { fromMs, toMs: durationMs - Math.min(20_000, durationMs * 0.1) };
}

function shuffle<T>(rng: Rng, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = randInt(rng, i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function instance(rng: Rng): Instance {
  const services = [...STAGES, 'checkpointer'] as const;
  return `${services[randInt(rng, services.length)]!}#${randInt(rng, 2)}`;
}

/**
 * Every one-off kind once, in a seeded order, each in its own slot of the injection window
 * (jittered inside the slot); single kills at seeded times across the whole window.
 */
export function buildSchedule(o: ScheduleOptions): Fault[] {
  const rng = mulberry32(o.seed);
  const { fromMs, toMs } = injectionWindow(o.durationMs);
  const span = toMs - fromMs;
  const order = shuffle(rng, ONE_OFF);
  const slot = span / order.length;
  const faults: Fault[] = order.map((kind, i): Fault => {
    const atMs = Math.round(fromMs + i * slot + rng() * slot * 0.5);
    switch (kind) {
      case 'kill-pair':
        return { kind, atMs, stage: STAGES[randInt(rng, STAGES.length)]!, gapMs: 1_000 };
      case 'stop-cont': {
        const stage = STAGES[randInt(rng, STAGES.length)]!;
        return { kind, atMs, target: `${stage}#${randInt(rng, 2)}`, forMs: o.stopMs };
      }
      case 'clickhouse-stop':
      case 's3-stop':
        return { kind, atMs, forMs: o.outageMs };
      case 'rescale':
        return { kind, atMs, forMs: Math.max(20_000, Math.round(slot)) };
      default:
        return { kind, atMs } as Fault;
    }
  });
  const kills = Math.ceil((o.killsPerMinute * o.durationMs) / 60_000);
  for (let i = 0; i < kills; i++) {
    faults.push({ kind: 'kill', atMs: Math.round(fromMs + rng() * span), target: instance(rng) });
  }
  return faults.sort((a, b) => a.atMs - b.atMs);
}

/** One line per fault, for the printed schedule. */
export function describeFault(f: Fault): string {
  const at = `t+${(f.atMs / 1000).toFixed(1).padStart(6)} s`;
  switch (f.kind) {
    case 'kill':
      return `${at}  kill -9 ${f.target}`;
    case 'kill-pair':
      return `${at}  kill -9 ${f.stage}#0 and ${f.stage}#1, ${f.gapMs} ms apart`;
    case 'kill-leader':
      return `${at}  kill -9 the checkpointer leader during an epoch`;
    case 'stop-cont':
      return `${at}  SIGSTOP ${f.target} for ${f.forMs / 1000} s, then SIGCONT`;
    case 'pulsar-kill':
      return `${at}  kill -9 the Pulsar broker, restart it`;
    case 'redis-kill':
      return `${at}  kill -9 Redis, restart it (AOF replay)`;
    case 'redis-wipe':
      return `${at}  wipe the pipeline's Redis state (restore from S3)`;
    case 'clickhouse-stop':
      return `${at}  stop ClickHouse for ${f.forMs / 1000} s`;
    case 's3-stop':
      return `${at}  stop S3 for ${f.forMs / 1000} s (across checkpoint triggers)`;
    case 'nats-restart':
      return `${at}  restart NATS`;
    case 'rescale':
      return `${at}  start aggregator#2, stop it ${Math.round(f.forMs / 1000)} s later`;
  }
}
