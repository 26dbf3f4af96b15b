import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';

import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-node';

import { BatchTrace } from './batch-trace.ts';
import { setupTracing } from './tracing.ts';

test('zipkin: a batch span reaches <endpoint> as JSON v2 that Zipkin accepts', async () => {
  const bodies: unknown[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      bodies.push({ url: req.url, spans: JSON.parse(body) as unknown });
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  const tracing = setupTracing({
    serviceName: 'writer',
    exporterName: 'zipkin',
    zipkinEndpoint: `http://127.0.0.1:${port}/api/v2/spans`,
    sampler: 'always_on',
  });
  try {
    assert.equal(tracing.exporterName, 'zipkin');
    const bt = new BatchTrace(tracing.tracer, 'writer batch', { upstream: 'parent' });
    bt.received([{ properties: {} }], Date.now() - 5);
    bt.begin(undefined, 'gather');
    bt.end(() => ({ 'iot.rows': 3 }));
    await tracing.flush();
  } finally {
    await tracing.shutdown();
    server.close();
  }
  const [post] = bodies as { url: string; spans: Record<string, unknown>[] }[];
  assert.equal(post?.url, '/api/v2/spans');
  const batch = post?.spans.find((s) => s.name === 'writer batch');
  assert.deepEqual(batch?.localEndpoint, { serviceName: 'writer' });
  assert.equal((batch?.tags as Record<string, string>)['iot.rows'], '3');
  // Zipkin refuses (400) a timestamp or duration that is not a whole number of microseconds.
  for (const s of post!.spans) {
    assert.ok(Number.isInteger(s.timestamp), `timestamp ${String(s.timestamp)}`);
    assert.ok(Number.isInteger(s.duration), `duration ${String(s.duration)}`);
  }
});

test('the default sampler is parent-based on a ratio; no exporter records nothing', async () => {
  const exporter = new InMemorySpanExporter();
  const low = setupTracing({ serviceName: 't', exporter, samplerArg: 0 });
  try {
    assert.equal(low.tracer.startSpan('root').isRecording(), false);
  } finally {
    await low.shutdown();
  }
  const none = setupTracing({ serviceName: 't', exporterName: 'none', sampler: 'always_on' });
  try {
    assert.equal(none.exporting, false);
    assert.equal(none.tracer.startSpan('root').isRecording(), false);
  } finally {
    await none.shutdown();
  }
  const unset = setupTracing({ serviceName: 't' });
  try {
    assert.equal(unset.exporterName, 'none', 'no exporter and no OTLP endpoint: none');
  } finally {
    await unset.shutdown();
  }
});
