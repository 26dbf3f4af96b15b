// The pipeline as separate processes (ingest, aggregator, writer) over the real Pulsar, Redis
// and ClickHouse, with processes killed (-9) at moments in the middle of the stream and
// started again. Whatever is killed, ClickHouse ends up exactly as the verifier recomputes
// it from the generated input, and the DLQ holds every bad and late message once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PipelineRun, type ServiceName } from '@iot/harness';
import { stack } from '../support/stack.ts';

interface Kill {
  service: Exclude<ServiceName, 'checkpointer'>;
  /** When, as a fraction of the production time. */
  at: number;
}

async function scenario(seed: number, kills: readonly Kill[]): Promise<void> {
  const run = await PipelineRun.create(stack, {
    prefix: 'e2e-proc',
    seed,
    env: { LOG_LEVEL: 'info' },
  });
  const services = {
    ingest: run.service('ingest'),
    aggregator: run.service('aggregator'),
    writer: run.service('writer'),
  };
  try {
    await Promise.all(Object.values(services).map((s) => s.start()));
    const productionMs = 10_000;
    // Kills of one service wait for its previous restart: on a slow machine a start can
    // outlast the gap between two kills, and killing a starting process fails its start().
    const previous = new Map<string, Promise<void>>();
    const killing = kills.map(({ service, at }) => {
      const before = previous.get(service);
      const next = (async () => {
        await new Promise((r) => setTimeout(r, at * productionMs));
        await before;
        await services[service].kill();
        await services[service].start();
      })();
      previous.set(service, next);
      return next;
    });
    await run.produce(productionMs);
    await Promise.all(killing);

    await run.assertExact();
    for (const { service } of kills) {
      assert.ok(services[service].restarts > 0, `${service} was restarted`);
    }

    // Graceful stop: every service finishes its micro-batch, commits and exits 0.
    for (const s of Object.values(services)) await s.stopCleanly();
  } finally {
    await run.cleanup();
  }
}

const opts = { timeout: 240_000 };
test('separate processes, no failures: exact, and a graceful stop exits 0', opts, () =>
  scenario(21, []),
);
test('ingest killed -9 mid-stream and restarted: exact', opts, () =>
  scenario(22, [{ service: 'ingest', at: 0.4 }]),
);
test('aggregator killed -9 mid-stream and restarted: exact', opts, () =>
  scenario(23, [{ service: 'aggregator', at: 0.5 }]),
);
test('writer killed -9 mid-stream and restarted: exact', opts, () =>
  scenario(24, [{ service: 'writer', at: 0.6 }]),
);
test('several kills of every service: exact', opts, () =>
  scenario(25, [
    { service: 'aggregator', at: 0.2 },
    { service: 'ingest', at: 0.35 },
    { service: 'writer', at: 0.5 },
    { service: 'aggregator', at: 0.7 },
    { service: 'ingest', at: 0.85 },
  ]),
);
