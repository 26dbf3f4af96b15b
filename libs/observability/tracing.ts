// OpenTelemetry tracing: a NodeTracerProvider registered globally (AsyncLocalStorage context,
// W3C trace context), exporting spans over OTLP/HTTP only when an endpoint is configured.
// Without one, spans still get ids, so trace context still flows through Pulsar properties.

import { context, propagation, trace, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  NodeTracerProvider,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

import type { Logger } from './logger.ts';

export interface TracingOptions {
  serviceName: string;
  serviceVersion?: string;
  /** OTEL_EXPORTER_OTLP_ENDPOINT: the collector's base URL; spans go to <endpoint>/v1/traces. */
  otlpEndpoint?: string | undefined;
  /** Replaces the OTLP exporter (tests use an InMemorySpanExporter). */
  exporter?: SpanExporter;
  log?: Logger;
}

export interface Tracing {
  readonly tracer: Tracer;
  /** True when spans leave the process. */
  readonly exporting: boolean;
  /** Sends the spans finished so far. */
  flush(): Promise<void>;
  /** Flushes pending spans and unregisters the global provider. */
  shutdown(): Promise<void>;
}

export function setupTracing(opts: TracingOptions): Tracing {
  const exporter =
    opts.exporter ??
    (opts.otlpEndpoint === undefined
      ? undefined
      : new OTLPTraceExporter({ url: `${opts.otlpEndpoint.replace(/\/+$/, '')}/v1/traces` }));
  const spanProcessors: SpanProcessor[] = exporter ? [new BatchSpanProcessor(exporter)] : [];
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: opts.serviceName,
      ...(opts.serviceVersion === undefined ? {} : { [ATTR_SERVICE_VERSION]: opts.serviceVersion }),
    }),
    spanProcessors,
  });
  provider.register({ propagator: new W3CTraceContextPropagator() });
  opts.log?.debug('tracing ready', {
    exporting: exporter !== undefined,
    endpoint: opts.otlpEndpoint,
  });
  return {
    tracer: trace.getTracer(opts.serviceName, opts.serviceVersion),
    exporting: exporter !== undefined,
    flush: () => provider.forceFlush(),
    shutdown: async () => {
      try {
        await provider.shutdown();
      } finally {
        trace.disable();
        context.disable();
        propagation.disable();
      }
    },
  };
}
