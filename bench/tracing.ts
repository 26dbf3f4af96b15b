// `npm run bench -- tracing`: CPU a stage's tracing costs per micro-batch, in one process
// without servers besides the stack's Zipkin, where the drains of `bench pipeline --phases
// overhead` cannot resolve a cost this small on a shared machine. Each variant runs in its own
// process (the tracer provider is global): the ingest path's calls per batch (received,
// begin, three phases, a traceparent injected into every envelope, end) with tracing off
// (`none`) and at the default sampling (parent-based 1 % of batches) exported to Zipkin.
// Writes bench/results/tracing.json with µs per batch and the cost at 30,000 msg/s.
//
//   npm run bench -- tracing [--batches 200000] [--envelopes 4]
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BatchTrace, setupTracing } from '@iot/observability';
import { localServers } from '@iot/harness';

const { values } = parseArgs({
  options: {
    batches: { type: 'string', default: '200000' },
    envelopes: { type: 'string', default: '4' },
    variant: { type: 'string' },
  },
});
const batches = Number(values.batches);
const envelopes = Number(values.envelopes);

if (values.variant !== undefined) {
  const zipkin = localServers().zipkinUrl ?? 'http://127.0.0.1:9411';
  const tracing = setupTracing({
    serviceName: 'bench-tracing',
    exporterName: values.variant === 'default' ? 'zipkin' : 'none',
    zipkinEndpoint: `${zipkin}/api/v2/spans`,
  });
  const trace = new BatchTrace(tracing.tracer, 'ingest batch', { upstream: 'link' });
  const messages = Array.from({ length: 500 }, () => ({ properties: {} }));
  const run = (n: number) => {
    for (let i = 0; i < n; i++) {
      trace.received(messages);
      trace.begin(() => ({ 'iot.partition': 0, 'messaging.batch.message_count': 500 }), 'decode');
      trace.phase('publish');
      for (let e = 0; e < envelopes; e++) trace.inject({});
      trace.phase('commit');
      trace.phase('ack');
      trace.end(() => ({ 'iot.records': 500 }));
    }
  };
  run(10_000); // warm-up
  const cpu0 = process.cpuUsage();
  run(batches);
  await tracing.flush();
  const cpu = process.cpuUsage(cpu0);
  await tracing.shutdown();
  process.stdout.write(JSON.stringify({ usPerBatch: (cpu.user + cpu.system) / batches }) + '\n');
  process.exit(0);
}

const measure = (variant: string): number => {
  const self = fileURLToPath(import.meta.url);
  const args = ['--import', 'tsx', self, '--variant', variant, '--batches', String(batches)];
  const r = spawnSync(process.execPath, [...args, '--envelopes', String(envelopes)], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`variant ${variant} failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { usPerBatch: number }).usPerBatch;
};
const runs: Record<string, number[]> = { none: [], default: [] };
for (let round = 0; round < 5; round++) {
  for (const v of round % 2 === 0 ? ['none', 'default'] : ['default', 'none']) {
    runs[v]!.push(measure(v));
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const none = median(runs.none!);
const dflt = median(runs.default!);
// At 30,000 msg/s the stages run about 120 micro-batches a second in all (ingest and
// aggregator, 4 partitions each, 100 ms batches; the writer a few), and spend about 12 µs of
// CPU per message (bench/results/pipeline-overhead.json): 360 ms of CPU a second.
const batchesPerSecond = 120;
const stagesCpuUsPerSecond = 30_000 * 12;
const result = {
  batches,
  envelopesPerBatch: envelopes,
  usPerBatch: { none: runs.none, default: runs.default },
  medianUsPerBatch: { none: Math.round(none * 100) / 100, default: Math.round(dflt * 100) / 100 },
  costAt30000MsgPerSecPercent:
    Math.round((((dflt - none) * batchesPerSecond) / stagesCpuUsPerSecond) * 100 * 1000) / 1000,
  at: new Date().toISOString(),
};
writeFileSync(
  new URL('./results/tracing.json', import.meta.url),
  JSON.stringify(result, null, 2) + '\n',
);
process.stdout.write(JSON.stringify(result, null, 2) + '\n');
