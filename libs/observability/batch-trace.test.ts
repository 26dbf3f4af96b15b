import { test } from 'node:test';
import assert from 'node:assert/strict';

import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-node';

import { BatchTrace, TRACEPARENT, isSampledTraceparent } from './batch-trace.ts';
import { setupTracing, type TracesSamplerName } from './tracing.ts';

async function withTracing(
  sampler: TracesSamplerName,
  ratio: number,
  body: (t: ReturnType<typeof setupTracing>) => Promise<void> | void,
): Promise<ReadableSpan[]> {
  const exporter = new InMemorySpanExporter();
  const tracing = setupTracing({ serviceName: 'test', exporter, sampler, samplerArg: ratio });
  try {
    await body(tracing);
    await tracing.flush();
    return exporter.getFinishedSpans();
  } finally {
    await tracing.shutdown();
  }
}

const msgs = (...props: Record<string, string>[]) => props.map((properties) => ({ properties }));

test('a sampled batch: span with phases, back-dated to the receive; its traceparent stamped', async () => {
  const stamped: Record<string, string> = {};
  const spans = await withTracing('parentbased_always_on', 1, (t) => {
    const bt = new BatchTrace(t.tracer, 'ingest batch', { upstream: 'link' });
    const t0 = Date.now() - 50;
    bt.received(msgs({}, {}), t0);
    bt.begin(() => ({ 'iot.partition': 3 }));
    assert.equal(bt.recording, true);
    bt.phase('decode');
    bt.phase('publish', () => ({ 'iot.envelopes': 2 }));
    bt.inject(stamped);
    bt.end(() => ({ 'iot.records': 2 }));
  });
  const batch = spans.find((s) => s.name === 'ingest batch')!;
  assert.deepEqual(
    spans.filter((s) => s !== batch).map((s) => s.name),
    ['receive', 'decode', 'publish'],
  );
  for (const s of spans.filter((x) => x !== batch)) {
    assert.equal(s.parentSpanContext?.spanId, batch.spanContext().spanId);
  }
  assert.equal(batch.attributes['iot.partition'], 3);
  assert.equal(batch.attributes['iot.records'], 2);
  const receive = spans.find((s) => s.name === 'receive')!;
  assert.ok(receive.duration[0] * 1e3 + receive.duration[1] / 1e6 >= 45, 'receive is back-dated');
  const { traceId, spanId } = batch.spanContext();
  assert.equal(stamped[TRACEPARENT], `00-${traceId}-${spanId}-01`);
});

test('the next stage: parent is the first sampled envelope, the others are links', async () => {
  const a = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00'; // not sampled
  const b = '00-1af7651916cd43dd8448eb211c80319c-c7ad6b7169203331-01';
  const c = '00-2af7651916cd43dd8448eb211c80319c-d7ad6b7169203331-01';
  const spans = await withTracing('parentbased_traceidratio', 0, (t) => {
    const bt = new BatchTrace(t.tracer, 'aggregator batch', { upstream: 'parent' });
    bt.received(msgs({ [TRACEPARENT]: a }, {}));
    bt.received(msgs({ [TRACEPARENT]: b }, { [TRACEPARENT]: c }, { [TRACEPARENT]: c }));
    bt.begin();
    assert.equal(bt.recording, true, 'a sampled parent is followed even at ratio 0');
    bt.end();
  });
  const batch = spans.find((s) => s.name === 'aggregator batch')!;
  assert.equal(batch.spanContext().traceId, '1af7651916cd43dd8448eb211c80319c');
  assert.equal(batch.parentSpanContext?.spanId, 'c7ad6b7169203331');
  assert.deepEqual(
    batch.links.map((l) => l.context.spanId),
    ['b7ad6b7169203331', 'd7ad6b7169203331'],
  );
});

test('an unsampled batch records nothing and passes "not sampled" on', async () => {
  const stamped: Record<string, string> = {};
  const spans = await withTracing('parentbased_traceidratio', 0, (t) => {
    const bt = new BatchTrace(t.tracer, 'ingest batch', { upstream: 'link' });
    bt.received(msgs({}));
    let asked = false;
    bt.begin(() => {
      asked = true;
      return {};
    });
    bt.phase('decode', () => {
      asked = true;
      return {};
    });
    bt.inject(stamped);
    bt.end();
    assert.equal(asked, false, 'attributes are not computed');
    assert.equal(bt.recording, false);
  });
  assert.deepEqual(spans, []);
  assert.match(stamped[TRACEPARENT] ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
  assert.equal(isSampledTraceparent(stamped[TRACEPARENT]!), false);
});

test('readings with a device traceparent are linked, not parents', async () => {
  const device = '00-3af7651916cd43dd8448eb211c80319c-e7ad6b7169203331-01';
  const spans = await withTracing('always_on', 1, (t) => {
    const bt = new BatchTrace(t.tracer, 'ingest batch', { upstream: 'link', maxLinks: 2 });
    const readings = Array.from({ length: 5000 }, (_, i): { properties: Record<string, string> } =>
      i % 100 === 0
        ? { properties: { [TRACEPARENT]: device.replace('e7ad', (1000 + i / 100).toString()) } }
        : { properties: {} },
    );
    bt.received(readings);
    bt.begin();
    bt.end();
  });
  const batch = spans.find((s) => s.name === 'ingest batch');
  assert.equal(batch?.parentSpanContext, undefined);
  assert.notEqual(batch?.spanContext().traceId, '3af7651916cd43dd8448eb211c80319c');
  assert.equal(batch?.links.length, 2);
});

test('a failed step ends the batch span with an error status', async () => {
  const spans = await withTracing('always_on', 1, (t) => {
    const bt = new BatchTrace(t.tracer, 'writer batch', { upstream: 'parent' });
    bt.received(msgs({}));
    bt.begin(undefined, 'gather');
    bt.fail(new Error('ClickHouse refused'));
  });
  const batch = spans.find((s) => s.name === 'writer batch');
  assert.equal(batch?.status.code, 2);
  assert.equal(batch?.status.message, 'ClickHouse refused');
  assert.deepEqual(spans.map((s) => s.name).sort(), ['gather', 'writer batch']);
});
