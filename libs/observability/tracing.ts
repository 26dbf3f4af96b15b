// OpenTelemetry tracing: a NodeTracerProvider registered globally (AsyncLocalStorage context,
// W3C trace context), configured by the SDK's own variables: OTEL_TRACES_EXPORTER picks the
// exporter (otlp, zipkin, console, none), OTEL_TRACES_SAMPLER(_ARG) the sampler. Spans still
// get ids when nothing is exported, so trace context still flows through Pulsar properties.

import { context, propagation, trace, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { ZipkinExporter } from '@opentelemetry/exporter-zipkin';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  NodeTracerProvider,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

import type { Logger } from './logger.ts';

export type TracesExporterName = 'otlp' | 'zipkin' | 'console' | 'none';
export type TracesSamplerName =
  | 'parentbased_traceidratio'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'traceidratio'
  | 'always_on'
  | 'always_off';

/** The local stack's Zipkin (the SDK's default says localhost, which may resolve to ::1 first). */
export const DEFAULT_ZIPKIN_ENDPOINT = 'http://127.0.0.1:9411/api/v2/spans';

export interface TracingOptions {
  serviceName: string;
  serviceVersion?: string;
  /** OTEL_TRACES_EXPORTER; unset: otlp when `otlpEndpoint` is set, else none. */
  exporterName?: TracesExporterName | undefined;
  /** OTEL_EXPORTER_OTLP_ENDPOINT: the collector's base URL; spans go to <endpoint>/v1/traces. */
  otlpEndpoint?: string | undefined;
  /** OTEL_EXPORTER_ZIPKIN_ENDPOINT: the full URL of Zipkin's /api/v2/spans. */
  zipkinEndpoint?: string | undefined;
  /** OTEL_TRACES_SAMPLER (default parentbased_traceidratio). */
  sampler?: TracesSamplerName;
  /** OTEL_TRACES_SAMPLER_ARG: the ratio of the *ratio samplers (default 0.01). */
  samplerArg?: number;
  /** Replaces the configured exporter (tests use an InMemorySpanExporter). */
  exporter?: SpanExporter;
  log?: Logger;
}

export interface Tracing {
  readonly tracer: Tracer;
  /** Where spans go: otlp, zipkin, console, none (or "custom" for an injected exporter). */
  readonly exporterName: string;
  /** True when spans leave the process. */
  readonly exporting: boolean;
  /** Sends the spans finished so far. */
  flush(): Promise<void>;
  /** Flushes pending spans and unregisters the global provider. */
  shutdown(): Promise<void>;
}

/** The sampler an OTEL_TRACES_SAMPLER name and ratio stand for. */
export function samplerFor(name: TracesSamplerName, ratio: number): Sampler {
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
  }
}

function exporterFor(opts: TracingOptions): { name: string; exporter?: SpanExporter } {
  if (opts.exporter) return { name: 'custom', exporter: opts.exporter };
  const name = opts.exporterName ?? (opts.otlpEndpoint === undefined ? 'none' : 'otlp');
  switch (name) {
    case 'none':
      return { name };
    case 'console':
      return { name, exporter: new ConsoleSpanExporter() };
    case 'zipkin':
      return {
        name,
        exporter: new ZipkinExporter({ url: opts.zipkinEndpoint ?? DEFAULT_ZIPKIN_ENDPOINT }),
      };
    case 'otlp': {
      const base = (opts.otlpEndpoint ?? 'http://127.0.0.1:4318').replace(/\/+$/, '');
      return { name, exporter: new OTLPTraceExporter({ url: `${base}/v1/traces` }) };
    }
  }
}

export function setupTracing(opts: TracingOptions): Tracing {
  const { name: exporterName, exporter } = exporterFor(opts);
  const spanProcessors: SpanProcessor[] = exporter ? [new BatchSpanProcessor(exporter)] : [];
  // Nothing leaves the process: record nothing (ids are still made, so context flows).
  const sampler = exporter
    ? samplerFor(opts.sampler ?? 'parentbased_traceidratio', opts.samplerArg ?? 0.01)
    : new AlwaysOffSampler();
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: opts.serviceName,
      ...(opts.serviceVersion === undefined ? {} : { [ATTR_SERVICE_VERSION]: opts.serviceVersion }),
    }),
    sampler,
    spanProcessors,
  });
  provider.register({ propagator: new W3CTraceContextPropagator() });
  opts.log?.debug('tracing ready', {
    exporter: exporterName,
    sampler: opts.sampler,
    ratio: opts.samplerArg,
  });
  return {
    tracer: trace.getTracer(opts.serviceName, opts.serviceVersion),
    exporterName,
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
