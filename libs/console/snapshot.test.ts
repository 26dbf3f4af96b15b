import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Manifest } from '@iot/checkpoint-storage';
import { instanceMetrics, type InstanceMetrics } from './instance-metrics.ts';
import { METRIC } from './metric-names.ts';
import { parsePrometheusText } from './prometheus-text.ts';
import { buildSnapshot, type Member, type Scrape } from './snapshot.ts';
import { statusText } from './status-text.ts';

const T0 = Date.UTC(2026, 10, 26, 12, 0, 0);

const member = (service: string, instance: string, more: Partial<Member> = {}): Member => ({
  service,
  instance,
  partitions: [],
  lastEpoch: -1,
  suspended: false,
  ops: `http://${instance}:9464`,
  sentAt: T0 - 1000,
  ...more,
});

const metrics = (lines: string[]): InstanceMetrics =>
  instanceMetrics(parsePrometheusText(lines.join('\n')));

function scrapes(step: number): Map<string, Scrape> {
  return new Map<string, Scrape>([
    [
      'ingest/ingest-a',
      {
        metrics: metrics([
          `${METRIC.recordsIn}{stage="ingest",partition="0"} ${1000 + step * 200}`,
          `${METRIC.recordsOut}{stage="ingest"} ${990 + step * 190}`,
          `${METRIC.dlq}{stage="ingest",reason="invalid"} ${5 + step * 2}`,
          `${METRIC.backlog}{stage="ingest",topic="src",partition="0"} 30`,
        ]),
      },
    ],
    ['ingest/ingest-b', { error: 'http://ingest-b:9464/metrics: ECONNREFUSED' }],
    [
      'aggregator/agg-a',
      {
        metrics: metrics([
          `${METRIC.recordsIn}{stage="aggregator",partition="0"} ${step * 100}`,
          `${METRIC.recordsIn}{stage="aggregator",partition="1"} ${step * 90}`,
          `${METRIC.recordsOut}{stage="aggregator"} ${step * 10}`,
          `${METRIC.alerts}{kind="temperature_high"} ${step * 4}`,
          `${METRIC.eventTimeLag}{stage="aggregator",partition="0"} 3`,
          `${METRIC.eventTimeLag}{stage="aggregator",partition="1"} 7.5`,
          `${METRIC.watermark}{stage="aggregator",partition="1"} 1767225600`,
        ]),
      },
    ],
    [
      'writer/writer-1',
      {
        metrics: metrics([
          `${METRIC.recordsIn}{stage="writer",partition="0"} ${step * 30}`,
          `${METRIC.recordsOut}{stage="writer"} ${step * 28}`,
        ]),
      },
    ],
    [
      'checkpointer/cp-1',
      {
        metrics: metrics([
          `${METRIC.lastEpoch} 7`,
          `${METRIC.lastEpochAt} ${T0 / 1000 - 4}`,
          `${METRIC.lastEpochBytes} 3072`,
          `${METRIC.epochs}{kind="checkpoint",result="complete"} 7`,
        ]),
      },
    ],
  ]);
}

const members = [
  member('writer', 'writer-1'),
  member('checkpointer', 'cp-1', { role: 'leader', lastEpoch: 7 }),
  member('ingest', 'ingest-b', { partitions: [1], lag: { '1': 12 } }),
  member('ingest', 'ingest-a', { partitions: [0] }),
  member('aggregator', 'agg-a', { partitions: [0, 1] }),
];

const manifest = (epoch: number, kind: 'checkpoint' | 'savepoint', ageS: number): Manifest => ({
  epoch,
  kind,
  ...(kind === 'savepoint' ? { name: `sp-${epoch}` } : {}),
  startedAt: new Date(T0 - ageS * 1000 - 500).toISOString(),
  completedAt: new Date(T0 - ageS * 1000).toISOString(),
  parts: [
    { service: 'ingest', partition: 0, key: 'k', bytes: 1000, sha256: 'x' },
    { service: 'aggregator', partition: 0, key: 'k', bytes: 24, sha256: 'x' },
  ],
});

test('stages in pipeline order with their instances; rates from two rounds; lag and backlog per partition', () => {
  const first = buildSnapshot({ now: T0, members, scrapes: scrapes(0) });
  assert.deepEqual(
    first.snapshot.stages.map((s) => [s.name, s.instances.map((i) => i.instance)]),
    [
      ['ingest', ['ingest-a', 'ingest-b']],
      ['aggregator', ['agg-a']],
      ['writer', ['writer-1']],
      ['checkpointer', ['cp-1']],
    ],
  );
  assert.equal(first.snapshot.stages[0]?.inRate, null, 'one round: no rate yet');

  const { snapshot: s } = buildSnapshot({
    now: T0 + 2000,
    members,
    scrapes: scrapes(1),
    previous: first.totals,
  });
  const ingest = s.stages[0]!;
  assert.equal(ingest.inRate, 100);
  assert.equal(ingest.outRate, 95);
  assert.equal(ingest.instances[1]?.scrape, 'http://ingest-b:9464/metrics: ECONNREFUSED');
  // ingest/0 from the metric; ingest/1 from the owner's heartbeat (its metrics are missing).
  assert.equal(ingest.backlog, 42);
  const aggregator = s.stages[1]!;
  assert.equal(aggregator.inRate, 95);
  assert.equal(aggregator.maxLagSeconds, 7.5);
  assert.deepEqual([s.stages[2]?.inRate, s.stages[2]?.outRate], [15, 14], 'writer');
  assert.deepEqual(
    s.partitions.map((p) => [`${p.stage}/${p.partition}`, p.owner, p.backlog, p.lagSeconds]),
    // No writer rows: its instances own no partitions (Shared subscription).
    [
      ['ingest/0', 'ingest-a', 30, undefined],
      ['ingest/1', 'ingest-b', 12, undefined],
      ['aggregator/0', 'agg-a', undefined, 3],
      ['aggregator/1', 'agg-a', undefined, 7.5],
    ],
  );
  assert.equal(s.partitions[3]?.watermark, 1767225600);
  assert.equal(s.partitions[2]?.inRate, 50);
  assert.equal(s.alerts.perMinute, 120);
  assert.deepEqual(s.alerts.byKind, { temperature_high: 4 });
  assert.deepEqual(s.dlq, [{ stage: 'ingest', reason: 'invalid', total: 7, perMinute: 60 }]);
  assert.equal(s.state, 'running');
  assert.deepEqual(
    {
      last: s.checkpoints.lastEpoch,
      age: s.checkpoints.lastCompleteAgeSeconds,
      bytes: s.checkpoints.lastBytes,
      leader: s.checkpoints.leader,
      complete: s.checkpoints.complete,
    },
    { last: 7, age: 6, bytes: 3072, leader: 'cp-1', complete: 7 },
  );
});

test('a restarted process (counter went down) counts from zero, not negative', () => {
  const first = buildSnapshot({ now: T0, members, scrapes: scrapes(5) });
  const { snapshot } = buildSnapshot({
    now: T0 + 1000,
    members,
    scrapes: scrapes(1),
    previous: first.totals,
  });
  assert.equal(snapshot.stages[1]?.inRate, 190, 'aggregator: 190 counted since its restart');
});

test('state: suspended when every owner is parked, suspending when some, restoring wins', () => {
  const state = (ms: Member[]) =>
    buildSnapshot({ now: T0, members: ms, scrapes: new Map() }).snapshot.state;
  const owners = (a: Partial<Member>, b: Partial<Member>) => [
    member('ingest', 'i', { partitions: [0], ...a }),
    member('aggregator', 'a', { partitions: [0], ...b }),
    // Never suspended itself: the checkpointer and the writer own no partitions.
    member('checkpointer', 'c', { role: 'leader' }),
    member('writer', 'w'),
  ];
  assert.equal(state(owners({}, {})), 'running');
  assert.equal(state(owners({ suspended: true }, {})), 'suspending');
  assert.equal(state(owners({ suspended: true }, { suspended: true })), 'suspended');
  assert.equal(state(owners({ suspended: true }, { restoring: true })), 'restoring');
  assert.equal(state([]), 'no instances');
});

test('checkpoints and savepoints from storage, newest first, with age and size', () => {
  const { snapshot } = buildSnapshot({
    now: T0,
    members: [],
    scrapes: new Map(),
    storage: {
      manifests: [
        manifest(3, 'checkpoint', 30),
        manifest(5, 'savepoint', 12),
        manifest(6, 'checkpoint', 2),
      ],
    },
  });
  const c = snapshot.checkpoints;
  assert.deepEqual(
    c.recent.map((e) => [e.epoch, e.ageSeconds, e.bytes, e.parts]),
    [
      [6, 2, 1024, 2],
      [3, 30, 1024, 2],
    ],
  );
  assert.deepEqual(
    c.savepoints.map((e) => e.name),
    ['sp-5'],
  );
  assert.equal(c.lastEpoch, 6, 'storage speaks when no checkpointer metrics do');
  assert.equal(c.newest?.epoch, 6);
  const failed = buildSnapshot({
    now: T0,
    members: [],
    scrapes: new Map(),
    storage: { error: 'Access Denied' },
  });
  assert.equal(failed.snapshot.checkpoints.storageError, 'Access Denied');
});

test('iotctl status lines: instance lines as before, then throughput, partitions, checkpoints', () => {
  const first = buildSnapshot({ now: T0, members, scrapes: scrapes(0) });
  const { snapshot } = buildSnapshot({
    now: T0 + 2000,
    members: members.map((m) =>
      m.service === 'checkpointer' ? m : { ...m, suspended: m.partitions.length > 0 },
    ),
    scrapes: scrapes(1),
    previous: first.totals,
    storage: { manifests: [manifest(7, 'checkpoint', 6), manifest(4, 'savepoint', 60)] },
  });
  const text = statusText(snapshot).join('\n');
  assert.match(text, /^pipeline SUSPENDED$/m);
  assert.match(
    text,
    /^ingest\s+ingest-b\s+partitions \[1\]\s+last epoch -\s+lag 12\s+SUSPENDED\s+\(metrics: http:\/\/ingest-b:9464\/metrics: ECONNREFUSED\)$/m,
  );
  assert.match(text, /^checkpointer\s+cp-1\s+leader\s+last epoch 7$/m);
  assert.match(text, /^ {2}ingest\s+in\s+100\/s\s+out\s+95\/s\s+backlog 42/m);
  assert.match(
    text,
    /^ {2}aggregator\/1\s+backlog -\s+event-time lag 7\.5 s\s+watermark 2026-01-01T00:00:00\.000Z/m,
  );
  assert.match(
    text,
    /^checkpoints {2}last epoch 7, 6\.0 s ago, 3\.0 KiB; 7 complete, 0 abandoned$/m,
  );
  assert.match(text, /^ {2}savepoint "sp-4" \(epoch 4\), 62 s ago, 1\.0 KiB$/m);
  assert.match(text, /^newest complete: epoch 7 \(epoch 7, .*, 2 parts\)$/m);
  assert.match(text, /^alerts {7}120\.0\/min \(temperature_high 4\)$/m);
  assert.match(text, /^dlq {10}ingest\/invalid 7$/m);
});
