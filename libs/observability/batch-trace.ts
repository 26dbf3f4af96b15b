// One span per micro-batch, with a child span per phase of the batch (receive, decode,
// publish, commit, …), and the W3C trace context that crosses the internal topics in each
// envelope's `traceparent` property. A stage's partition loop owns one BatchTrace and calls
// it from the edges (its source, sink and phase hooks), never per record.
//
// Batches fan in: an aggregator batch consumes envelopes of several ingest batches, a writer
// batch envelopes of several aggregator batches. The batch span's parent is the first
// consumed envelope whose trace is sampled (so a sampled trace goes on through every stage,
// and parent ids join ingest → aggregator → writer in any backend, Zipkin included); it links
// to the other consumed envelopes. Device readings (upstream: 'link') are only linked.
//
// Cheap when not sampled: the sampler decides once per batch; a batch it does not sample
// creates no child span, reads no attributes and no links, and only stamps its traceparent
// (with the "not sampled" flag, so later stages skip the same batch's data too).

import {
  ROOT_CONTEXT,
  SpanStatusCode,
  isSpanContextValid,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type Tracer,
} from '@opentelemetry/api';

import { extractTraceContext } from './trace-context.ts';

export const TRACEPARENT = 'traceparent';

type Properties = Readonly<Record<string, string>>;
type Received = readonly { readonly properties?: Properties | undefined }[];

export interface BatchTraceOptions {
  /**
   * How the trace context of consumed messages shapes the batch span. 'parent': envelopes
   * of an earlier stage (the first sampled one is the parent, the rest are links).
   * 'link': device readings (the batch is a new trace that links to a few of them).
   */
  upstream: 'parent' | 'link';
  /** Links per batch span at most (default 32). */
  maxLinks?: number;
  /** 'link' mode reads the properties of at most this many readings per sampled batch. */
  maxScan?: number;
}

/** Whether a W3C traceparent says its trace is sampled (flags' lowest bit). */
export function isSampledTraceparent(tp: string): boolean {
  return tp.length >= 55 && (parseInt(tp.slice(53, 55), 16) & 1) === 1;
}

export class BatchTrace {
  private span: Span | undefined;
  private phaseSpan: Span | undefined;
  private phaseName: string | undefined;
  private traceparent: string | undefined;
  private gathered: Received[] = [];
  private firstAt: number | undefined;
  private readonly maxLinks: number;
  private readonly maxScan: number;

  constructor(
    private readonly tracer: Tracer,
    /** The batch span's name, e.g. "ingest batch". */
    private readonly name: string,
    private readonly opts: BatchTraceOptions,
  ) {
    this.maxLinks = opts.maxLinks ?? 32;
    this.maxScan = opts.maxScan ?? 256;
  }

  /** True between begin() and end() when the batch is sampled. */
  get recording(): boolean {
    return this.span !== undefined;
  }

  /**
   * Notes messages received into the batch being gathered; `at` = when receiving started, in
   * epoch ms (whole: Zipkin refuses fractional microseconds, which performance.now() makes).
   */
  received(messages: Received, at: number = Date.now()): void {
    if (messages.length === 0) return;
    this.firstAt ??= at;
    this.gathered.push(messages);
  }

  /**
   * Starts the batch span (back-dated to the first receive) and its first phase. `attributes`
   * is called only when the batch is sampled.
   */
  begin(attributes?: () => Attributes, firstPhase = 'receive'): void {
    if (this.traceparent !== undefined) return;
    const startTime = this.firstAt ?? Date.now();
    const parent = this.opts.upstream === 'parent' ? this.parentContext() : ROOT_CONTEXT;
    const span = this.tracer.startSpan(this.name, { startTime }, parent);
    const sc = span.spanContext();
    this.traceparent = isSpanContextValid(sc)
      ? `00-${sc.traceId}-${sc.spanId}-0${(sc.traceFlags & 0xff).toString(16)}`
      : '';
    if (!span.isRecording()) {
      this.gathered = [];
      return;
    }
    this.span = span;
    const links = this.links(sc.spanId);
    if (links.length > 0) span.addLinks(links);
    if (attributes) span.setAttributes(attributes());
    this.phaseSpan = this.child(firstPhase, startTime);
    this.phaseName = firstPhase;
    this.gathered = [];
  }

  /**
   * Ends the current phase and starts the next one (sampled batches only). The same name
   * again (a retried insert, a second ack) stays in the phase it is in.
   */
  phase(name: string, attributes?: () => Attributes): void {
    if (this.span === undefined || this.phaseName === name) return;
    this.phaseSpan?.end();
    this.phaseSpan = this.child(name);
    this.phaseName = name;
    if (attributes) this.phaseSpan.setAttributes(attributes());
  }

  /** Adds attributes to the batch span (sampled batches only; `attributes` is lazy). */
  annotate(attributes: () => Attributes): void {
    this.span?.setAttributes(attributes());
  }

  /** Stamps the batch span's traceparent on an outgoing message's properties. */
  inject(properties: Record<string, string>): void {
    if (this.traceparent) properties[TRACEPARENT] = this.traceparent;
  }

  /** Ends the batch (and its phase) span; the next received() starts a new batch. */
  end(attributes?: () => Attributes): void {
    if (this.span !== undefined) {
      if (attributes) this.span.setAttributes(attributes());
      this.finish();
    }
    this.reset();
  }

  /** Ends the batch with an error status (the step threw). */
  fail(err: unknown): void {
    if (this.span !== undefined) {
      const error = err instanceof Error ? err : new Error(String(err));
      this.span.recordException(error);
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
      this.finish();
    }
    this.reset();
  }

  private finish(): void {
    this.phaseSpan?.end();
    this.span?.end();
  }

  private reset(): void {
    this.span = undefined;
    this.phaseSpan = undefined;
    this.phaseName = undefined;
    this.traceparent = undefined;
    this.gathered = [];
    this.firstAt = undefined;
  }

  private child(name: string, startTime?: number): Span {
    const ctx = trace.setSpan(ROOT_CONTEXT, this.span!);
    return this.tracer.startSpan(name, startTime === undefined ? {} : { startTime }, ctx);
  }

  /** The first sampled envelope's context, else the first envelope's, else none. */
  private parentContext(): Context {
    let first: Properties | undefined;
    for (const messages of this.gathered) {
      for (const m of messages) {
        const tp = m.properties?.[TRACEPARENT];
        if (tp === undefined) continue;
        if (isSampledTraceparent(tp)) return extractTraceContext(m.properties!, ROOT_CONTEXT);
        first ??= m.properties;
      }
    }
    return first === undefined ? ROOT_CONTEXT : extractTraceContext(first, ROOT_CONTEXT);
  }

  /** Links to the consumed messages' spans other than the parent (bounded). */
  private links(selfSpanId: string): Link[] {
    const links: Link[] = [];
    const parentId = this.span === undefined ? undefined : parentSpanId(this.span);
    const seen = new Set<string>();
    let scanned = 0;
    for (const messages of this.gathered) {
      // Readings: a spread sample of at most maxScan; envelopes are few, read them all.
      const stride =
        this.opts.upstream === 'link' ? Math.max(1, Math.ceil(messages.length / this.maxScan)) : 1;
      for (let i = 0; i < messages.length; i += stride) {
        if (links.length >= this.maxLinks || scanned++ >= this.maxScan * 4) return links;
        const properties = messages[i]!.properties;
        const tp = properties?.[TRACEPARENT];
        if (tp === undefined || seen.has(tp)) continue;
        seen.add(tp);
        const sc = trace.getSpanContext(extractTraceContext(properties!, ROOT_CONTEXT));
        if (sc === undefined || sc.spanId === parentId || sc.spanId === selfSpanId) continue;
        links.push({ context: sc });
      }
    }
    return links;
  }
}

/** The parent span id of an SDK span (the API has no accessor; the SDK's ReadableSpan has). */
function parentSpanId(span: Span): string | undefined {
  const parent = (span as Partial<{ parentSpanContext: { spanId: string } }>).parentSpanContext;
  return parent?.spanId;
}

interface BatchLike {
  readonly messages: Received;
  ack(): Promise<void>;
}

/** A stage's micro-batch source (the ports of the partition tasks and the writer). */
export interface BatchSourceLike<B extends BatchLike> {
  receiveBatch(maxMessages: number, timeoutMs: number): Promise<B>;
}

/**
 * Feeds every non-empty batch a source returns to `bt`, and marks the "ack" phase. With
 * `begin`, a batch span starts as soon as the batch arrived (ingest, aggregator: one receive
 * per batch), going on in phase `begin.next`; without, the caller begins it once the batch
 * is gathered (writer: several receives per batch).
 */
export function tracedSource<B extends BatchLike>(
  source: BatchSourceLike<B>,
  bt: BatchTrace,
  begin?: { attributes?: (batch: B) => Attributes; next: string },
): BatchSourceLike<B> {
  return {
    async receiveBatch(maxMessages, timeoutMs) {
      const at = Date.now();
      const batch = await source.receiveBatch(maxMessages, timeoutMs);
      if (batch.messages.length === 0) return batch;
      bt.received(batch.messages, at);
      if (begin !== undefined) {
        const attributes = begin.attributes;
        bt.begin(attributes && (() => attributes(batch)));
        bt.phase(begin.next);
      }
      return {
        ...batch,
        ack: () => {
          bt.phase('ack');
          return batch.ack();
        },
      };
    },
  };
}

/** A loop task's step that ends the batch span as failed when it throws. */
export function tracedStep<R>(bt: BatchTrace, step: () => Promise<R>): () => Promise<R> {
  return async () => {
    try {
      return await step();
    } catch (err) {
      bt.fail(err);
      throw err;
    }
  };
}
