// `iotctl status`: the console's snapshot as terminal lines. Pure. The instance lines keep
// the shape operators and scripts know (service, instance, partitions or role, last epoch,
// lag, SUSPENDED); throughput, partitions, checkpoints, alerts and the DLQ follow.
import type { EpochView, PartitionView, PipelineSnapshot } from './snapshot.ts';

const n = (v: number) => Math.round(v).toLocaleString('en');
const rate = (v: number | null) => (v === null ? '-' : `${v < 10 ? v.toFixed(1) : n(v)}/s`);

export function duration(s: number | undefined | null): string {
  if (s === undefined || s === null) return '-';
  if (s < 90) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  if (s < 5400) return `${(s / 60).toFixed(1)} min`;
  if (s < 172_800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86_400).toFixed(1)} d`;
}

export function bytes(b: number | undefined): string {
  if (b === undefined) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  while (b >= 1024 && i < units.length - 1) {
    b /= 1024;
    i++;
  }
  return i === 0 ? `${b} B` : `${b.toFixed(1)} ${units[i]}`;
}

const epochName = (e: EpochView) =>
  e.kind === 'savepoint' ? `savepoint "${e.name ?? ''}"` : `epoch ${e.epoch}`;

export function statusText(s: PipelineSnapshot): string[] {
  const out: string[] = [];
  out.push(`pipeline ${s.state.toUpperCase()}`);
  const instances = s.stages.flatMap((st) => st.instances.map((i) => ({ stage: st.name, i })));
  if (instances.length === 0)
    out.push('no instance answered (nothing running, or another CONTROL_SUBJECT_PREFIX)');
  for (const { stage, i } of instances) {
    const own = s.partitions.filter((p) => p.stage === stage && p.owner === i.instance);
    const lags = own.filter(
      (p): p is PartitionView & { backlog: number } => p.backlog !== undefined,
    );
    const lag = lags.reduce((a, p) => a + p.backlog, 0);
    // Per partition too when there are several: one slow partition hides in a total.
    const perPartition =
      lags.length > 1 ? ` (${lags.map((p) => `${p.partition}:${p.backlog}`).join(' ')})` : '';
    out.push(
      [
        stage.padEnd(13),
        i.instance.padEnd(40),
        i.role ?? `partitions [${i.partitions.join(',')}]`,
        `last epoch ${i.lastEpoch < 0 ? '-' : i.lastEpoch}`,
        lags.length === 0 ? '' : `lag ${lag}${perPartition}`,
        i.suspended ? 'SUSPENDED' : '',
        i.restoring ? 'RESTORING' : '',
        i.scrape === 'ok' ? '' : `(metrics: ${i.scrape})`,
      ]
        .filter(Boolean)
        .join('  '),
    );
  }

  const flowing = s.stages.filter((st) => st.name !== 'checkpointer');
  if (flowing.length > 0) {
    out.push('', 'throughput');
    for (const st of flowing) {
      out.push(
        [
          `  ${st.name.padEnd(11)}`,
          `in ${rate(st.inRate).padStart(9)}`,
          `out ${rate(st.outRate).padStart(9)}`,
          `backlog ${st.backlog === null ? '-' : n(st.backlog)}`,
          `event-time lag ${duration(st.maxLagSeconds)}`,
        ].join('  '),
      );
    }
  }
  const withFacts = s.partitions.filter(
    (p) => p.lagSeconds !== undefined || p.watermark !== undefined || p.openWindows !== undefined,
  );
  if (withFacts.length > 0) {
    out.push('', 'partitions');
    for (const p of withFacts) {
      out.push(
        [
          `  ${`${p.stage}/${p.partition}`.padEnd(14)}`,
          `backlog ${p.backlog === undefined ? '-' : n(p.backlog)}`,
          `event-time lag ${duration(p.lagSeconds)}`,
          `watermark ${p.watermark === undefined ? '-' : new Date(p.watermark * 1000).toISOString()}`,
          p.openWindows === undefined ? '' : `open windows ${n(p.openWindows)}`,
        ]
          .filter(Boolean)
          .join('  '),
      );
    }
  }

  const c = s.checkpoints;
  out.push('');
  out.push(
    c.lastEpoch === undefined
      ? 'checkpoints  none complete yet'
      : `checkpoints  last epoch ${c.lastEpoch}, ${duration(c.lastCompleteAgeSeconds)} ago, ` +
          `${bytes(c.lastBytes)}; ${c.complete} complete, ${c.abandoned} abandoned` +
          `${c.leader === undefined ? '; NO LEADER' : ''}`,
  );
  for (const sp of c.savepoints.slice(0, 3))
    out.push(
      `  ${epochName(sp)} (epoch ${sp.epoch}), ${duration(sp.ageSeconds)} ago, ${bytes(sp.bytes)}`,
    );
  if (c.storageError !== undefined) out.push(`  checkpoint storage: ${c.storageError}`);
  out.push(
    c.newest === undefined
      ? 'no complete epoch in checkpoint storage'
      : `newest complete: ${epochName(c.newest)} (epoch ${c.newest.epoch}, ${c.newest.completedAt}, ${c.newest.parts} parts)`,
  );

  const kinds = Object.entries(s.alerts.byKind);
  out.push(
    `alerts       ${s.alerts.perMinute === null ? '-' : s.alerts.perMinute.toFixed(1)}/min` +
      (kinds.length === 0 ? '' : ` (${kinds.map(([k, v]) => `${k} ${n(v)}`).join(', ')})`),
  );
  out.push(
    s.dlq.length === 0
      ? 'dlq          empty'
      : `dlq          ${s.dlq.map((d) => `${d.stage}/${d.reason} ${n(d.total)}`).join(', ')}`,
  );
  return out;
}
