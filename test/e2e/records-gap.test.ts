// Found by the chaos run (issue 12): after a Redis wipe the aggregator restored its windows
// from S3 and sought its records subscription back, but some records never reached it again
// (265 rows of one records partition short, alerts and DLQ exact). The broker can move a
// subscription's cursor past envelopes the aggregator's state has not applied: a seek it
// reports done and does not apply (apache/pulsar#26304), a read served from the old position
// before a seek completes (apache/pulsar#14559), a stray cumulative ack, an operator's
// reset-cursor. The aggregator then applied what came after the jump, and a replay could
// not fill the hole (those records' positions were behind the channel's).
//
// Here the cursor jumps for real: the aggregator is stopped (SIGSTOP) while ingest goes on,
// the records subscription is reset to a later publish time, and the aggregator continues.
// Every records envelope names the one ingest sent before it on its channel, so the
// aggregator sees the hole, seeks back to its committed position and reads it again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PipelineRun } from '@iot/harness';
import { PulsarAdmin } from '@iot/pulsar';
import { auth, stack } from '../support/stack.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test(
  'the records cursor jumps past unapplied envelopes: the aggregator re-reads them, exact',
  { timeout: 240_000 },
  async () => {
    const run = await PipelineRun.create(stack, { prefix: 'e2e-gap', seed: 47 });
    const aggregator = run.service('aggregator');
    const services = [run.service('ingest'), aggregator, run.service('writer')];
    const admin = new PulsarAdmin({ adminUrl: stack.pulsarAdminUrl, ...auth.pulsar });
    try {
      await Promise.all(services.map((s) => s.start()));
      const producing = run.produce(12_000);
      await sleep(3_000);
      const pid = aggregator.pid;
      assert.ok(pid !== undefined, 'the aggregator runs');
      process.kill(pid, 'SIGSTOP');
      try {
        await sleep(2_000);
        const jumpTo = Date.now();
        await sleep(2_000);
        // Every records partition's cursor moves past about 2 s of envelopes it never read.
        await admin.resetCursor(run.names.records, 'iot-aggregator', jumpTo);
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      await producing;
      await run.assertExact();
      assert.match(
        aggregator.logs(),
        /records are missing before an envelope/,
        'the aggregator saw the hole',
      );
    } finally {
      await run.cleanup();
    }
  },
);
