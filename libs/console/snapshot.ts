// The pipeline at one moment, as the console page and `iotctl status` show it. Pure: built
// from what the control plane says (who is alive, what they own, suspended, restoring), what
// each instance's /metrics says (instance-metrics.ts), and the epochs in checkpoint storage.
// Rates come from the difference to the previous build's counter totals.
import type { Manifest } from '@iot/checkpoint-storage';
import type { InstanceStatus } from '@iot/control-plane';
import type { InstanceMetrics } from './instance-metrics.ts';

export type PipelineState = 'running' | 'suspending' | 'suspended' | 'restoring' | 'no instances';

/** An instance as the control plane announces it, plus where its ops server listens. */
export type Member = InstanceStatus;

export interface Scrape {
  metrics?: InstanceMetrics;
  /** Why /metrics could not be read (unreachable, no ops URL announced, bad format). */
  error?: string;
}

export interface InstanceView {
  instance: string;
  ops?: string;
  partitions: number[];
  suspended: boolean;
  restoring: boolean;
  role?: 'leader' | 'standby';
  lastEpoch: number;
  heartbeatAgeSeconds: number;
  /** "ok" or why the metrics are missing. */
  scrape: string;
  inRate: number | null;
  outRate: number | null;
}

export interface StageView {
  name: string;
  instances: InstanceView[];
  /** Per second, summed over instances; null until two scrapes. */
  inRate: number | null;
  outRate: number | null;
  inTotal: number;
  outTotal: number;
  backlog: number | null;
  maxLagSeconds: number | null;
}

export interface PartitionView {
  stage: string;
  partition: number;
  owner?: string;
  backlog?: number;
  lagSeconds?: number;
  /** Seconds since the Unix epoch. */
  watermark?: number;
  openWindows?: number;
  inRate?: number;
}

export interface EpochView {
  epoch: number;
  kind: 'checkpoint' | 'savepoint';
  name?: string;
  completedAt: string;
  ageSeconds: number;
  bytes: number;
  parts: number;
}

export interface CheckpointView {
  lastEpoch?: number;
  lastCompleteAgeSeconds?: number;
  lastBytes?: number;
  complete: number;
  abandoned: number;
  leader?: string;
  /** The newest complete epoch or savepoint in storage. */
  newest?: EpochView;
  /** Newest first. */
  recent: EpochView[];
  savepoints: EpochView[];
  storageError?: string;
}

export interface DlqView {
  stage: string;
  reason: string;
  total: number;
  perMinute: number | null;
}

export interface PipelineSnapshot {
  /** ms since the Unix epoch. */
  at: number;
  state: PipelineState;
  stages: StageView[];
  partitions: PartitionView[];
  checkpoints: CheckpointView;
  alerts: { total: number; perMinute: number | null; byKind: Record<string, number> };
  dlq: DlqView[];
}

/** Counter totals by key, kept between builds for rates. */
export interface Totals {
  at: number;
  values: Record<string, number>;
}

export interface SnapshotInput {
  now: number;
  members: readonly Member[];
  /** By `memberKey`. */
  scrapes: ReadonlyMap<string, Scrape>;
  /** Complete epochs and savepoints in storage (manifests), or why they could not be listed. */
  storage?: { manifests: readonly Manifest[] } | { error: string };
  previous?: Totals;
}

const STAGE_ORDER = ['ingest', 'aggregator', 'writer', 'checkpointer'];

export const memberKey = (m: Pick<Member, 'service' | 'instance'>) => `${m.service}/${m.instance}`;

export function buildSnapshot(input: SnapshotInput): {
  snapshot: PipelineSnapshot;
  totals: Totals;
} {
  const { now, members, scrapes, previous } = input;
  const values: Record<string, number> = {};
  const rate = (key: string, total: number): number | null => {
    values[key] = total;
    const before = previous?.values[key];
    const dt = previous === undefined ? 0 : (now - previous.at) / 1000;
    if (before === undefined || dt <= 0) return null;
    // A counter that went down is a restarted process: it counted `total` since then.
    return (total >= before ? total - before : total) / dt;
  };
  const sum = (xs: (number | null)[]): number | null =>
    xs.some((x) => x !== null) ? xs.reduce<number>((a, x) => a + (x ?? 0), 0) : null;

  const byStage = new Map<string, Member[]>();
  for (const m of members) byStage.set(m.service, [...(byStage.get(m.service) ?? []), m]);
  const stageNames = [...byStage.keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));

  const partitions = new Map<string, PartitionView>();
  const partitionOf = (stage: string, p: number): PartitionView => {
    const key = `${stage}/${p}`;
    let v = partitions.get(key);
    if (v === undefined) partitions.set(key, (v = { stage, partition: p }));
    return v;
  };

  const stages: StageView[] = stageNames.map((name) => {
    const instances = [...(byStage.get(name) ?? [])].sort((a, b) =>
      a.instance.localeCompare(b.instance),
    );
    let inTotal = 0;
    let outTotal = 0;
    const views = instances.map((m): InstanceView => {
      const key = memberKey(m);
      const scrape = scrapes.get(key);
      const metrics = scrape?.metrics;
      for (const p of m.partitions) {
        const pv = partitionOf(name, p);
        pv.owner = m.instance;
        // The owner's own figure from the control plane, until its metrics say more.
        const lag = m.lag?.[String(p)];
        if (lag !== undefined) pv.backlog = lag;
      }
      let inRate: number | null = null;
      let outRate: number | null = null;
      if (metrics !== undefined) {
        inTotal += metrics.recordsIn;
        outTotal += metrics.recordsOut;
        inRate = rate(`in|${key}`, metrics.recordsIn);
        outRate = rate(`out|${key}`, metrics.recordsOut);
        for (const [p, n] of Object.entries(metrics.recordsInByPartition)) {
          const r = rate(`in|${key}|${p}`, n);
          if (r !== null) partitionOf(name, Number(p)).inRate = r;
        }
        for (const [p, n] of Object.entries(metrics.backlog))
          partitionOf(name, Number(p)).backlog = n;
        for (const [p, s] of Object.entries(metrics.eventTimeLagSeconds))
          partitionOf(name, Number(p)).lagSeconds = s;
        for (const [p, s] of Object.entries(metrics.watermarkSeconds))
          partitionOf(name, Number(p)).watermark = s;
        for (const [p, n] of Object.entries(metrics.openWindows))
          partitionOf(name, Number(p)).openWindows = n;
      }
      return {
        instance: m.instance,
        ...(m.ops === undefined ? {} : { ops: m.ops }),
        partitions: [...m.partitions].sort((a, b) => a - b),
        suspended: m.suspended || metrics?.suspended === true,
        restoring: m.restoring === true,
        ...(m.role === undefined ? {} : { role: m.role }),
        lastEpoch: m.lastEpoch,
        heartbeatAgeSeconds: Math.max(0, (now - m.sentAt) / 1000),
        scrape: metrics !== undefined ? 'ok' : (scrape?.error ?? 'not scraped yet'),
        inRate,
        outRate,
      };
    });
    const own = [...partitions.values()].filter((p) => p.stage === name);
    const backlogs = own.map((p) => p.backlog).filter((x) => x !== undefined);
    const lags = own.map((p) => p.lagSeconds).filter((x) => x !== undefined);
    return {
      name,
      instances: views,
      inRate: sum(views.map((v) => v.inRate)),
      outRate: sum(views.map((v) => v.outRate)),
      inTotal,
      outTotal,
      backlog: backlogs.length > 0 ? backlogs.reduce((a, b) => a + b, 0) : null,
      maxLagSeconds: lags.length > 0 ? Math.max(...lags) : null,
    };
  });

  // Alerts and DLQ, from every instance that counts them.
  const alertsByKind: Record<string, number> = {};
  const alertRates: (number | null)[] = [];
  const dlq = new Map<string, DlqView>();
  for (const m of members) {
    const metrics = scrapes.get(memberKey(m))?.metrics;
    if (metrics === undefined) continue;
    for (const [kind, n] of Object.entries(metrics.alerts)) {
      alertsByKind[kind] = (alertsByKind[kind] ?? 0) + n;
      alertRates.push(rate(`alerts|${memberKey(m)}|${kind}`, n));
    }
    for (const d of metrics.dlq) {
      const stage = d.stage || m.service;
      const key = `${stage}|${d.reason}`;
      const r = rate(`dlq|${memberKey(m)}|${key}`, d.total);
      const v = dlq.get(key) ?? { stage, reason: d.reason, total: 0, perMinute: null };
      v.total += d.total;
      if (r !== null) v.perMinute = (v.perMinute ?? 0) + r * 60;
      dlq.set(key, v);
    }
  }
  const alertRate = sum(alertRates);

  // Partitions mean ownership: a stage whose instances own none (the writer's Shared
  // subscription, the checkpointer) has no partition rows, its figures are the stage's.
  const owning = new Set(members.filter((m) => m.partitions.length > 0).map((m) => m.service));
  const snapshot: PipelineSnapshot = {
    at: now,
    state: pipelineState(stages),
    stages,
    partitions: [...partitions.values()]
      .filter((p) => owning.has(p.stage))
      .sort((a, b) => rank(a.stage) - rank(b.stage) || a.partition - b.partition),
    checkpoints: checkpointView(input, now),
    alerts: {
      total: Object.values(alertsByKind).reduce((a, b) => a + b, 0),
      perMinute: alertRate === null ? null : alertRate * 60,
      byKind: alertsByKind,
    },
    dlq: [...dlq.values()].sort(
      (a, b) => rank(a.stage) - rank(b.stage) || a.reason.localeCompare(b.reason),
    ),
  };
  return { snapshot, totals: { at: now, values } };
}

function rank(stage: string): number {
  const i = STAGE_ORDER.indexOf(stage);
  return i < 0 ? STAGE_ORDER.length : i;
}

/** Owners (instances with partitions) decide: all parked = suspended, some = suspending. */
export function pipelineState(stages: readonly StageView[]): PipelineState {
  const all = stages.flatMap((s) => s.instances);
  if (all.length === 0) return 'no instances';
  if (all.some((i) => i.restoring)) return 'restoring';
  const owners = all.filter((i) => i.partitions.length > 0);
  const parked = owners.filter((i) => i.suspended).length;
  if (owners.length > 0 && parked === owners.length) return 'suspended';
  if (parked > 0) return 'suspending';
  return 'running';
}

function checkpointView(input: SnapshotInput, now: number): CheckpointView {
  const view: CheckpointView = { complete: 0, abandoned: 0, recent: [], savepoints: [] };
  for (const m of input.members) {
    if (m.role === 'leader') view.leader = m.instance;
    const facts = input.scrapes.get(memberKey(m))?.metrics?.checkpoint;
    if (facts === undefined) continue;
    view.complete += facts.epochs.complete ?? 0;
    view.abandoned += facts.epochs.abandoned ?? 0;
    // Standbys export zeros: the newest epoch any checkpointer completed is the one.
    if (facts.lastEpoch !== undefined && facts.lastEpoch > (view.lastEpoch ?? 0)) {
      view.lastEpoch = facts.lastEpoch;
      if (facts.lastCompleteAt !== undefined && facts.lastCompleteAt > 0)
        view.lastCompleteAgeSeconds = Math.max(0, now / 1000 - facts.lastCompleteAt);
      if (facts.lastBytes !== undefined) view.lastBytes = facts.lastBytes;
    }
  }
  const storage = input.storage;
  if (storage !== undefined && 'error' in storage) view.storageError = storage.error;
  else if (storage !== undefined) {
    const epochView = (m: Manifest): EpochView => ({
      epoch: m.epoch,
      kind: m.kind,
      ...(m.name === undefined ? {} : { name: m.name }),
      completedAt: m.completedAt,
      ageSeconds: Math.max(0, (now - Date.parse(m.completedAt)) / 1000),
      bytes: m.parts.reduce((a, p) => a + p.bytes, 0),
      parts: m.parts.length,
    });
    const newestFirst = [...storage.manifests].sort((a, b) => b.epoch - a.epoch);
    if (newestFirst[0] !== undefined) view.newest = epochView(newestFirst[0]);
    view.recent = newestFirst
      .filter((m) => m.kind === 'checkpoint')
      .slice(0, 5)
      .map(epochView);
    view.savepoints = newestFirst
      .filter((m) => m.kind === 'savepoint')
      .slice(0, 10)
      .map(epochView);
    // Before the leader's metrics say anything (a restarted checkpointer), storage does.
    const newest = view.recent[0];
    if (newest !== undefined && newest.epoch > (view.lastEpoch ?? -1)) {
      view.lastEpoch = newest.epoch;
      view.lastCompleteAgeSeconds = newest.ageSeconds;
      view.lastBytes = newest.bytes;
    }
  }
  return view;
}
