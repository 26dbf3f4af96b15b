import { test } from 'node:test';
import assert from 'node:assert/strict';

import { ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-node';

import { extractTraceContext, injectTraceContext } from './trace-context.ts';
import { setupTracing } from './tracing.ts';

const parent = {
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags: TraceFlags.SAMPLED,
};

test('injects traceparent into message properties', () => {
  const ctx = trace.setSpanContext(ROOT_CONTEXT, parent);
  const props = injectTraceContext({ sensor: '12345' }, ctx);
  assert.deepEqual(props, {
    sensor: '12345',
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  });
});

test('extracts the remote parent from message properties', () => {
  const ctx = extractTraceContext(
    { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: 'a=1' },
    ROOT_CONTEXT,
  );
  const span = trace.getSpanContext(ctx);
  assert.equal(span?.traceId, parent.traceId);
  assert.equal(span?.spanId, parent.spanId);
  assert.equal(span?.isRemote, true);
  assert.equal(span?.traceState?.get('a'), '1');
});

test('properties without trace context give the base context back', () => {
  assert.equal(trace.getSpanContext(extractTraceContext({ other: 'x' }, ROOT_CONTEXT)), undefined);
  assert.deepEqual(injectTraceContext({}, ROOT_CONTEXT), {});
});

test('a consumer span continues the producer trace across the properties', async () => {
  const exporter = new InMemorySpanExporter();
  const tracing = setupTracing({ serviceName: 'test', exporter, sampler: 'always_on' });
  try {
    const producer = tracing.tracer.startSpan('publish');
    const props = injectTraceContext({}, trace.setSpan(ROOT_CONTEXT, producer));
    producer.end();
    const consumer = tracing.tracer.startSpan(
      'process',
      {},
      extractTraceContext(props, ROOT_CONTEXT),
    );
    consumer.end();
    assert.equal(consumer.spanContext().traceId, producer.spanContext().traceId);
    await tracing.flush();
    const spans = exporter.getFinishedSpans();
    assert.deepEqual(spans.map((s) => s.name).sort(), ['process', 'publish']);
    const processSpan = spans.find((s) => s.name === 'process');
    assert.equal(processSpan?.parentSpanContext?.spanId, producer.spanContext().spanId);
    assert.equal(processSpan?.resource.attributes['service.name'], 'test');
  } finally {
    await tracing.shutdown();
  }
});

test('without an endpoint nothing is exported but spans still have ids', async () => {
  const tracing = setupTracing({ serviceName: 'quiet' });
  try {
    assert.equal(tracing.exporting, false);
    const span = tracing.tracer.startSpan('x');
    assert.match(span.spanContext().traceId, /^[0-9a-f]{32}$/);
    assert.notEqual(span.spanContext().traceId, '0'.repeat(32));
    span.end();
  } finally {
    await tracing.shutdown();
  }
});

test('with an endpoint spans go to OTLP/HTTP <endpoint>/v1/traces', async () => {
  const { createServer } = await import('node:http');
  const paths: string[] = [];
  const server = createServer((req, res) => {
    paths.push(`${req.method} ${req.url}`);
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  const tracing = setupTracing({
    serviceName: 'otlp',
    otlpEndpoint: `http://127.0.0.1:${port}/`,
    sampler: 'always_on',
  });
  try {
    assert.equal(tracing.exporting, true);
    tracing.tracer.startSpan('sent').end();
  } finally {
    await tracing.shutdown();
    server.close();
  }
  assert.deepEqual(paths, ['POST /v1/traces']);
});
