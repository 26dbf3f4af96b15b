// Traces end to end: ingest, aggregator, writer and checkpointer as processes exporting to the
// stack's Zipkin with every batch sampled. Zipkin's API must hold traces in which a writer
// batch that inserted rows into ClickHouse is the child of an aggregator batch, itself the
// child of an ingest batch: the traceparent crossed both internal topics in the envelopes'
// properties. The checkpointer's epochs are spans too, with their phases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from '@clickhouse/client';
import { PipelineRun } from '@iot/harness';
import { auth, stack } from '../support/stack.ts';

interface ZipkinSpan {
  traceId: string;
  id: string;
  parentId?: string;
  name?: string;
  localEndpoint?: { serviceName?: string };
  tags?: Record<string, string>;
}

async function zipkinTraces(query: Record<string, string>): Promise<ZipkinSpan[][]> {
  const url = new URL('/api/v2/traces', stack.zipkinUrl);
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  const res = await fetch(url);
  assert.equal(res.status, 200, `GET ${url}: ${await res.clone().text()}`);
  return (await res.json()) as ZipkinSpan[][];
}

const service = (s: ZipkinSpan | undefined) => s?.localEndpoint?.serviceName;

test(
  'a sampled trace joins ingest → aggregator → writer for rows ClickHouse holds',
  {
    timeout: 240_000,
  },
  async () => {
    const health = await fetch(new URL('/health', stack.zipkinUrl)).catch((err: unknown) => err);
    assert.ok(
      health instanceof Response && health.ok,
      `Zipkin does not answer at ${stack.zipkinUrl} (start it: npm run stack -- up zipkin)`,
    );
    const run = await PipelineRun.create(stack, {
      prefix: 'e2e-traces',
      seed: 41,
      env: {
        OTEL_TRACES_EXPORTER: 'zipkin',
        OTEL_EXPORTER_ZIPKIN_ENDPOINT: new URL('/api/v2/spans', stack.zipkinUrl).href,
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '1',
        CHECKPOINT_INTERVAL: '2s',
      },
    });
    const services = [
      run.service('ingest'),
      run.service('aggregator'),
      run.service('writer'),
      run.service('checkpointer'),
    ];
    const ch = createClient({ ...auth.clickhouse, url: stack.clickhouseUrl });
    try {
      const startedAt = Date.now();
      await Promise.all(services.map((s) => s.start()));
      await run.produce(5_000);
      await run.assertExact();
      // A graceful stop flushes each process's spans to Zipkin.
      for (const s of services) await s.stopCleanly();

      const traces = await zipkinTraces({
        serviceName: 'writer',
        spanName: 'writer batch',
        annotationQuery: `messaging.destination.name=${run.names.aggregates}`,
        lookback: String(Date.now() - startedAt + 60_000),
        endTs: String(Date.now()),
        limit: '1000',
      });
      assert.ok(traces.length > 0, 'Zipkin holds writer batches of this run');

      let joined = 0;
      for (const spans of traces) {
        const byId = new Map(spans.map((s) => [s.id, s]));
        for (const writer of spans.filter(
          (s) => s.name === 'writer batch' && s.tags?.['iot.rows'] !== undefined,
        )) {
          const aggregator = byId.get(writer.parentId ?? '');
          const ingest = byId.get(aggregator?.parentId ?? '');
          const insert = spans.find(
            (s) => s.parentId === writer.id && s.name === 'insert sensor_aggregates',
          );
          if (service(aggregator) !== 'aggregator' || service(ingest) !== 'ingest') continue;
          if (insert === undefined || Number(insert.tags?.['db.operation.batch.size']) === 0)
            continue;
          assert.equal(aggregator?.name, 'aggregator batch');
          assert.equal(ingest?.name, 'ingest batch');
          assert.equal(ingest?.tags?.['iot.partition'] !== undefined, true);
          // The rows this insert carried are in ClickHouse.
          const min = Number(insert.tags?.['iot.window_start.min']) / 1000;
          const max = Number(insert.tags?.['iot.window_start.max']) / 1000;
          const rs = await ch.query({
            query:
              `SELECT count() AS n FROM ${run.names.database}.sensor_aggregates FINAL ` +
              `WHERE window_start BETWEEN toDateTime(${min}) AND toDateTime(${max})`,
            format: 'JSONEachRow',
          });
          const [{ n }] = (await rs.json()) as [{ n: string }];
          assert.ok(Number(n) > 0, `ClickHouse holds the windows of writer span ${writer.id}`);
          joined++;
        }
      }
      assert.ok(joined > 0, `no writer batch with rows joins an aggregator and an ingest batch`);

      const epochs = (
        await zipkinTraces({
          serviceName: 'checkpointer',
          spanName: 'checkpointer epoch',
          annotationQuery: 'iot.outcome=complete',
          lookback: String(Date.now() - startedAt + 60_000),
          endTs: String(Date.now()),
          limit: '1000',
        })
      ).filter((spans) =>
        spans.some((s) => s.tags?.['iot.checkpoint.prefix']?.includes(run.names.name)),
      );
      assert.ok(epochs.length > 0, 'Zipkin holds complete checkpoint epochs of this run');
      const phases = epochs[0]!.filter((s) => s.name !== 'checkpointer epoch').map((s) => s.name);
      assert.deepEqual(phases.sort(), ['manifest', 'retention', 'snapshots', 'trigger']);
    } finally {
      await ch.close();
      await run.cleanup();
    }
  },
);
