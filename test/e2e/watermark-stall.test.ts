// Found by the chaos run (issue 12, tools/chaos): when every upstream partition of the
// aggregator goes silent because ingest is down or the broker restarts — a stall, not the end
// of the stream — for longer than WATERMARK_IDLE_TIMEOUT, the aggregator takes all of them for
// idle and advances its watermark with processing time (WatermarkTracker, whenAllIdle:
// 'advance'). Windows close early, and the records the stall held back reach the DLQ as
// `late`: ClickHouse misses them. Known and not fixed yet (see the report of issue 12): the
// fix is explicit idleness from ingest (a partition is idle only when ingest says it has
// caught up with its source), so a dead or cut-off ingest never lets a window close.
// Until then it runs as a todo (reported, never failing the suite): remove `todo` with the fix.
import { test } from 'node:test';
import { PipelineRun } from '@iot/harness';
import { stack } from '../support/stack.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test(
  'ingest down longer than the idle timeout mid-stream: exact (no window closes early)',
  { timeout: 240_000, todo: 'issue 12: all-idle watermark advance during a stall' },
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
      // 60 s of event time in 12 s. The watermark runs 12 s (processing time) past the last
      // one seen, more than a 10 s window: at least one window closes before its records.
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
