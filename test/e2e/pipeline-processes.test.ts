// The pipeline as separate processes (ingest, aggregator, writer) over the real Pulsar, Redis
// and ClickHouse, with processes killed (-9) at moments in the middle of the stream and
// started again. Whatever is killed, ClickHouse ends up exactly as the verifier recomputes
// it from the generated input, and the DLQ holds every bad and late message once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PulsarClient } from '@iot/pulsar';
import { resolveParams } from '@iot/loadgen';
import { expectedFromParams } from '@iot/verify';
import {
  ClickHouseSink,
  clickhouse,
  createPipelineTopics,
  dlqByReason,
  produceStream,
  verifyRows,
  waitForRows,
  pipelineEnv,
} from '@iot/harness';
import { ServiceProcess, type ServiceName } from '@iot/harness';
import { stack } from '../support/stack.ts';

const WINDOW_MS = 10_000;

interface Kill {
  service: Exclude<ServiceName, 'checkpointer'>;
  /** When, as a fraction of the production time. */
  at: number;
}

async function scenario(seed: number, kills: readonly Kill[]): Promise<void> {
  const names = await createPipelineTopics(stack.pulsarAdminUrl, 'e2e-proc', 2, 2);
  const params = resolveParams({
    seed,
    devices: 40,
    startMs: Date.UTC(2026, 0, 1),
    durationMs: 60_000,
    ratePerSec: 150,
    partitions: 2,
    maxOutOfOrdernessMs: 2_000,
    shares: { late: 0.01, outOfOrder: 0.05, duplicate: 0.01, legacyJson: 0.03, malformed: 0.02 },
  });
  const expected = expectedFromParams(params, { windowSizeMs: WINDOW_MS, listAlerts: false });
  const env = pipelineEnv(names, stack, {
    WINDOW_SIZE: '10s',
    MAX_OUT_OF_ORDERNESS: '2s',
    WATERMARK_IDLE_TIMEOUT: '8s',
    WRITER_FLUSH_INTERVAL: '200ms',
    LOG_LEVEL: 'info',
  });
  const services = {
    ingest: new ServiceProcess('ingest', env),
    aggregator: new ServiceProcess('aggregator', env),
    writer: new ServiceProcess('writer', env),
  };
  const client = new PulsarClient({ serviceUrl: stack.pulsarUrl });
  const ch = clickhouse(stack.clickhouseUrl);
  const sink = new ClickHouseSink(ch, { database: names.database });
  try {
    await Promise.all(Object.values(services).map((s) => s.start()));
    const productionMs = 10_000;
    const killing = kills.map(async ({ service, at }) => {
      await new Promise((r) => setTimeout(r, at * productionMs));
      await services[service].kill();
      await services[service].start();
    });
    await produceStream(
      client,
      names.source,
      params,
      (expected.counts.messages * 1000) / productionMs,
    );
    await Promise.all(killing);

    const count = await waitForRows(sink, expected.rows.length, 120_000);
    assert.equal(count, expected.rows.length, 'rows in ClickHouse');
    await new Promise((r) => setTimeout(r, 1_000));
    const { exact, report } = await verifyRows(sink, expected);
    assert.ok(exact, report);

    const want = Object.values(expected.counts.dlq).reduce((a, b) => a + b, 0);
    assert.deepEqual(await dlqByReason(client, names.dlq, want), expected.counts.dlq);
    for (const { service } of kills) {
      assert.ok(services[service].restarts > 0, `${service} was restarted`);
    }

    // Graceful stop: every service finishes its micro-batch, commits and exits 0.
    for (const s of Object.values(services))
      assert.equal(await s.stop(), 0, `${s.service} exit code`);
  } finally {
    await Promise.all(Object.values(services).map((s) => s.kill()));
    await client.close();
    await ch.command({ query: `DROP DATABASE IF EXISTS ${names.database}` }).catch(() => {});
    await ch.close();
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
