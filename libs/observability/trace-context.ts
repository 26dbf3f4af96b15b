// W3C trace context (traceparent, tracestate) in and out of string maps. Pulsar message
// properties are such a map: producers inject the current span, consumers extract it as the
// parent of their processing span. The W3C propagator is used directly, so this works whether
// or not a tracer provider is registered.

import {
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  type Context,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

const w3c = new W3CTraceContextPropagator();

/** Adds traceparent (and tracestate) for the span in `ctx` to `properties`; returns them. */
export function injectTraceContext(
  properties: Record<string, string>,
  ctx: Context = context.active(),
): Record<string, string> {
  w3c.inject(ctx, properties, defaultTextMapSetter);
  return properties;
}

/** A context whose remote parent span comes from `properties`; `base` when they carry none. */
export function extractTraceContext(
  properties: Readonly<Record<string, string>>,
  base: Context = context.active(),
): Context {
  return w3c.extract(base, properties, defaultTextMapGetter);
}
