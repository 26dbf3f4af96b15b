// Rescaling a running pipeline: a second replica of a stage joins in the middle of the stream
// (the broker's Failover assignment moves some partitions to it; the new owner takes a higher
// owner epoch in Redis, which fences the old one), then leaves again — stopped gracefully or
// killed -9 — and its partitions move back. ClickHouse and the DLQ stay exact throughout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PipelineRun } from '@iot/harness';
import { stack } from '../support/stack.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Partitions a service's log says it started (in order, repeats included). */
function startedPartitions(log: string): number[] {
  const out: number[] = [];
  for (const line of log.split('\n')) {
    if (!line.includes('"msg":"partition started"')) continue;
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed === 'object' && parsed !== null && 'partition' in parsed) {
      const p = parsed.partition;
      if (typeof p === 'number') out.push(p);
    }
  }
  return out;
}

async function waitFor(what: string, ms: number, ok: () => boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) assert.fail(`${what} within ${ms} ms`);
    await sleep(200);
  }
}

interface Rescale {
  seed: number;
  /** The stage that gets a second replica. */
  service: 'ingest' | 'aggregator';
  sourcePartitions: number;
  recordsPartitions: number;
  /** How the second replica leaves: SIGTERM (must exit 0) or kill -9. */
  leave: 'stop' | 'kill';
}

async function scenario(r: Rescale): Promise<void> {
  const run = await PipelineRun.create(stack, {
    prefix: 'e2e-rescale',
    seed: r.seed,
    sourcePartitions: r.sourcePartitions,
    recordsPartitions: r.recordsPartitions,
  });
  const services = {
    ingest: run.service('ingest'),
    aggregator: run.service('aggregator'),
    writer: run.service('writer'),
  };
  const first = services[r.service];
  try {
    await Promise.all(Object.values(services).map((s) => s.start()));
    const partitions = r.service === 'ingest' ? r.sourcePartitions : r.recordsPartitions;
    const all = Array.from({ length: partitions }, (_, p) => p);
    await waitFor(`the only ${r.service} starts every partition`, 15_000, () =>
      all.every((p) => startedPartitions(first.logs()).includes(p)),
    );

    const productionMs = 12_000;
    const started = Date.now();
    let produced = false;
    const producing = run.produce(productionMs).finally(() => (produced = true));

    // Scale out while the stream flows.
    await sleep(2_000);
    const second = run.service(r.service);
    assert.notEqual(second.logFile, first.logFile, 'each replica logs to its own file');
    await second.start();
    await waitFor(
      `the second ${r.service} starts a partition`,
      15_000,
      () => startedPartitions(second.logs()).length > 0,
    );
    const moved = [...new Set(startedPartitions(second.logs()))].sort();
    assert.ok(moved.length < partitions, `the second replica took some, not all: ${moved}`);
    // The first replica handed them over: its loops for them stopped (or were fenced).
    await waitFor(`the first ${r.service} lets go of ${moved}`, 15_000, () =>
      moved.every((p) =>
        new RegExp(`"msg":"partition (stopped|fenced)","partition":${p}\\b`).test(first.logs()),
      ),
    );
    const startsBefore = startedPartitions(first.logs()).length;

    // Let both replicas process for a while, then scale back in before production ends.
    await sleep(Math.max(0, started + productionMs * 0.7 - Date.now()));
    assert.ok(!produced, 'the second replica leaves while production is still running');
    if (r.leave === 'stop') await second.stopCleanly();
    else await second.kill();
    await waitFor(`the first ${r.service} takes ${moved} back`, 30_000, () => {
      const again = startedPartitions(first.logs()).slice(startsBefore);
      return moved.every((p) => again.includes(p));
    });
    await producing;

    await run.assertExact();

    for (const s of Object.values(services)) await s.stopCleanly();
  } finally {
    await run.cleanup();
  }
}

const opts = { timeout: 150_000 };
test('aggregator 1→2→1 replicas mid-stream (second stopped gracefully): exact', opts, () =>
  scenario({
    seed: 41,
    service: 'aggregator',
    sourcePartitions: 2,
    recordsPartitions: 4,
    leave: 'stop',
  }),
);
test('aggregator 1→2→1 replicas mid-stream (second killed -9): exact', opts, () =>
  scenario({
    seed: 42,
    service: 'aggregator',
    sourcePartitions: 2,
    recordsPartitions: 4,
    leave: 'kill',
  }),
);
test('ingest 1→2→1 replicas mid-stream (second stopped gracefully): exact', opts, () =>
  scenario({
    seed: 43,
    service: 'ingest',
    sourcePartitions: 4,
    recordsPartitions: 2,
    leave: 'stop',
  }),
);
test('ingest 1→2→1 replicas mid-stream (second killed -9): exact', opts, () =>
  scenario({
    seed: 44,
    service: 'ingest',
    sourcePartitions: 4,
    recordsPartitions: 2,
    leave: 'kill',
  }),
);
