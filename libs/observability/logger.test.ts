import { test } from 'node:test';
import assert from 'node:assert/strict';

import { context, trace } from '@opentelemetry/api';

import { Logger } from './logger.ts';

function collect() {
  const chunks: string[] = [];
  return {
    stream: { write: (s: string) => chunks.push(s) },
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    raw: () => chunks.join(''),
  };
}
const now = () => new Date('2026-01-02T03:04:05.678Z');

test('writes one JSON object per line with level, time, service, msg and fields', () => {
  const out = collect();
  const log = new Logger({ service: 'ingest', stream: out.stream, now });
  log.info('batch applied', { partition: 3, records: 500 });
  assert.equal(
    out.raw(),
    '{"level":"info","time":"2026-01-02T03:04:05.678Z","service":"ingest","msg":"batch applied","partition":3,"records":500}\n',
  );
});

test('drops lines below the level', () => {
  const out = collect();
  const log = new Logger({ service: 's', stream: out.stream, level: 'warn', now });
  log.debug('d');
  log.info('i');
  log.warn('w');
  log.error('e');
  assert.deepEqual(
    out.lines().map((l) => l.level),
    ['warn', 'error'],
  );
  assert.equal(log.enabled('info'), false);
});

test('child loggers add their fields; base keys cannot be replaced', () => {
  const out = collect();
  const log = new Logger({ service: 's', stream: out.stream, now }).child({ partition: 7 });
  log.info('hello', { msg: 'sneaky', level: 'debug' });
  const [line] = out.lines();
  assert.equal(line?.msg, 'hello');
  assert.equal(line?.level, 'info');
  assert.equal(line?.partition, 7);
  assert.equal(line?.field_msg, 'sneaky');
  assert.equal(line?.field_level, 'debug');
});

test('errors, bigints and circular fields still produce a line', () => {
  const out = collect();
  const log = new Logger({ service: 's', stream: out.stream, now });
  log.error('failed', { err: new Error('boom'), ledger: 12345678901234567890n });
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  log.warn('odd', { circular });
  const [first, second] = out.lines();
  const err = first?.err as Record<string, unknown>;
  assert.equal(err.message, 'boom');
  assert.equal(err.name, 'Error');
  assert.match(String(err.stack), /boom/);
  assert.equal(first?.ledger, '12345678901234567890');
  assert.equal(second?.msg, 'odd');
  assert.match(String(second?.log_error), /circular/i);
});

test('lines inside a span carry its trace and span ids', () => {
  const out = collect();
  const log = new Logger({ service: 's', stream: out.stream, now });
  const spanContext = {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: 1,
  };
  // Without a registered context manager, context.with is a pass-through; use the span directly.
  const span = trace.wrapSpanContext(spanContext);
  const original = trace.getActiveSpan;
  trace.getActiveSpan = () => span;
  try {
    context.with(trace.setSpan(context.active(), span), () => log.info('traced'));
  } finally {
    trace.getActiveSpan = original;
  }
  const [line] = out.lines();
  assert.equal(line?.trace_id, spanContext.traceId);
  assert.equal(line?.span_id, spanContext.spanId);
});
