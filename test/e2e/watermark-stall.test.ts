// Found by the chaos run (issue 12, tools/chaos): when every upstream partition of the
// aggregator went silent because ingest was down or the broker restarted — a stall, not the
// end of the stream — for longer than WATERMARK_IDLE_TIMEOUT, the aggregator took all of
// them for idle and advanced its watermark with processing time. Windows closed early, and
// the records the stall held back reached the DLQ as `late`: ClickHouse missed them.
// Fixed by explicit idleness: only ingest, once it has caught up with its source partition
// for the idle timeout, says a partition is idle; a dead ingest says nothing, and the
// windows wait. The stream's last windows still close (ingest catches up after it).
import { test } from 'node:test';
import { PipelineRun } from '@iot/harness';
import { stack } from '../support/stack.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test(
  'ingest down longer than the idle timeout mid-stream: exact (no window closes early)',
  { timeout: 240_000 },
  async () => {
    const run = await PipelineRun.create(stack, {
      prefix: 'e2e-stall',
      seed: 31,
      env: { WATERMARK_IDLE_TIMEOUT: '3s' },
    });
    const ingest = run.service('ingest');
    const services = [ingest, run.service('aggregator'), run.service('writer')];
    try {
      await Promise.all(services.map((s) => s.start()));
      // 60 s of event time in 12 s; ingest is down 15 s, five times the idle timeout. Before
      // the fix the watermark ran 12 s (processing time) past the last one seen, more than a
      // 10 s window: windows closed before their records.
      const producing = run.produce(12_000);
      await sleep(3_000);
      await ingest.kill();
      await sleep(15_000);
      await ingest.start();
      await producing;
      await run.assertExact();
    } finally {
      await run.cleanup();
    }
  },
);
