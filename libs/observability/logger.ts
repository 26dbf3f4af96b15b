// JSON-lines logs: one object per line with level, time, service, msg, then the caller's fields.
// Lines carry the active trace and span ids, so logs and traces can be joined.

import { trace } from '@opentelemetry/api';

export const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LEVELS)[number];

export type LogFields = Readonly<Record<string, unknown>>;

/** What the logger writes to: process.stdout, a file stream, or a test collector. */
export interface LogStream {
  write(line: string): unknown;
}

export interface LoggerOptions {
  service: string;
  stream: LogStream;
  level?: LogLevel;
  /** Fields added to every line (e.g. partition, actor). */
  fields?: LogFields;
  now?: () => Date;
  /** Applied to every serialized line (redact() with the process's secrets), last. */
  redact?: (line: string) => string;
}

const RESERVED = new Set(['level', 'time', 'service', 'msg']);

export class Logger {
  readonly #service: string;
  readonly #stream: LogStream;
  readonly #threshold: number;
  readonly #fields: LogFields;
  readonly #now: () => Date;
  readonly #redact: (line: string) => string;

  constructor(opts: LoggerOptions) {
    this.#service = opts.service;
    this.#stream = opts.stream;
    this.#threshold = LEVELS.indexOf(opts.level ?? 'info');
    this.#fields = opts.fields ?? {};
    this.#now = opts.now ?? (() => new Date());
    this.#redact = opts.redact ?? ((line) => line);
  }

  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger {
    return new Logger({
      service: this.#service,
      stream: this.#stream,
      level: LEVELS[this.#threshold],
      fields: { ...this.#fields, ...fields },
      now: this.#now,
      redact: this.#redact,
    });
  }

  enabled(level: LogLevel): boolean {
    return LEVELS.indexOf(level) >= this.#threshold;
  }

  debug(msg: string, fields?: LogFields): void {
    this.#log('debug', msg, fields);
  }

  info(msg: string, fields?: LogFields): void {
    this.#log('info', msg, fields);
  }

  warn(msg: string, fields?: LogFields): void {
    this.#log('warn', msg, fields);
  }

  error(msg: string, fields?: LogFields): void {
    this.#log('error', msg, fields);
  }

  #log(level: LogLevel, msg: string, fields: LogFields | undefined): void {
    if (!this.enabled(level)) return;
    const line: Record<string, unknown> = {
      level,
      time: this.#now().toISOString(),
      service: this.#service,
      msg,
    };
    const span = trace.getActiveSpan()?.spanContext();
    if (span !== undefined) {
      line.trace_id = span.traceId;
      line.span_id = span.spanId;
    }
    for (const source of [this.#fields, fields ?? {}]) {
      for (const [key, value] of Object.entries(source)) {
        // The four base keys are the contract log shippers rely on; a field may not replace them.
        line[RESERVED.has(key) ? `field_${key}` : key] = value;
      }
    }
    this.#stream.write(`${this.#redact(serialize(line))}\n`);
  }
}

function serialize(line: Record<string, unknown>): string {
  try {
    return JSON.stringify(line, replacer);
  } catch (err) {
    // Circular fields must not cost us the line itself.
    const { level, time, service, msg } = line;
    return JSON.stringify({ level, time, service, msg, log_error: String(err) });
  }
}

function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const out: Record<string, unknown> = { name: value.name, message: value.message };
    if (value.stack !== undefined) out.stack = value.stack;
    if (value.cause !== undefined) out.cause = value.cause;
    return out;
  }
  if (typeof value === 'bigint') return value.toString();
  return value;
}
