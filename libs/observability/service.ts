// The start-up every service shares: validate config (bad → one line on stderr, exit 1),
// JSON logger, tracing, metrics, the ops HTTP server, graceful shutdown and a start line.
// The service then plugs its processing in: readiness checks, metrics, stop hooks.

import {
  describeConfig,
  loadConfigOrExit,
  redact,
  secretValues,
  type ConfigOf,
  type Env,
  type Spec,
  type serviceSpec,
} from '@iot/config';
import type { Tracer } from '@opentelemetry/api';
import { networkInterfaces } from 'node:os';

import { advertisedHost, opsUrl } from './advertised-address.ts';

import { Health } from './health.ts';
import { Logger, type LogStream } from './logger.ts';
import { MetricsRegistry, registerProcessMetrics } from './metrics.ts';
import { startOpsServer, type OpsServer } from './ops-server.ts';
import { Readiness } from './readiness.ts';
import { Shutdown, type SignalSource } from './shutdown.ts';
import { setupTracing } from './tracing.ts';

type ServiceSpec = ReturnType<typeof serviceSpec>;

export interface ServiceOptions<S extends Spec & ServiceSpec> {
  /** Short name: "ingest", "aggregator", … (logs, traces, metrics). */
  service: string;
  spec: S;
  env?: Env;
  version?: string;
  stdout?: LogStream;
  stderr?: LogStream;
  exit?: (code: number) => never;
  process?: SignalSource;
}

export interface ServiceRuntime<C> {
  readonly config: C;
  readonly log: Logger;
  readonly metrics: MetricsRegistry;
  readonly readiness: Readiness;
  /** Liveness: register partition loops with `health.watchLoops(…)`. */
  readonly health: Health;
  readonly shutdown: Shutdown;
  readonly tracer: Tracer;
  readonly ops: OpsServer;
  /** Where other processes reach `ops` (OPS_ADVERTISE_HOST, else this host's address). */
  readonly opsUrl: string;
  /** redact() with this process's secrets: for error texts thrown or put anywhere else. */
  readonly redact: (text: string) => string;
}

export async function startService<S extends Spec & ServiceSpec>(
  opts: ServiceOptions<S>,
): Promise<ServiceRuntime<ConfigOf<S>>> {
  const { service, spec } = opts;
  const exit = opts.exit ?? ((code: number): never => process.exit(code));
  const stdout = opts.stdout ?? process.stdout;
  // Before the config is read, only URL passwords are known to mask.
  const bootRedact = (line: string) => redact(line);
  const bootLog = new Logger({
    service,
    stream: opts.stderr ?? process.stderr,
    redact: bootRedact,
  });

  const config = loadConfigOrExit(spec, opts.env ?? process.env, bootLog, exit);
  // S extends ServiceSpec, so its config has these fields; TypeScript cannot see through ConfigOf<S>.
  const base = config as unknown as ConfigOf<ServiceSpec>;

  // Every line, answer and error text of the process goes through this (libs/config/redact.ts).
  const secrets = secretValues(spec, config);
  const clean = (text: string) => redact(text, secrets);
  const log = new Logger({ service, level: base.LOG_LEVEL, stream: stdout, redact: clean });
  const metrics = new MetricsRegistry();
  registerProcessMetrics(metrics);
  const readiness = new Readiness();
  // What /readyz says, for alerting on it without probing every pod from outside.
  metrics.gauge({
    name: 'iot_ready',
    help: '1 while the service is ready (/readyz answers 200), else 0',
    collect: async (g) => g.set((await readiness.evaluate()).ready ? 1 : 0),
  });
  const health = new Health({
    eventLoopStallMs: base.HEALTH_EVENT_LOOP_STALL,
    loopStallMs: base.HEALTH_LOOP_STALL,
    dependenciesDown: () => readiness.failingStates(),
  });

  let ops: OpsServer;
  try {
    ops = await startOpsServer({
      port: base.HTTP_PORT,
      metrics,
      readiness,
      health,
      log,
      redact: clean,
    });
  } catch (err) {
    const reason = clean(err instanceof Error ? err.message : String(err));
    bootLog.error(
      `Cannot serve HTTP_PORT=${base.HTTP_PORT}: ${reason} (set HTTP_PORT to a free port)`,
    );
    health.close();
    return exit(1);
  }

  // After the port is ours: a process that cannot serve exits without a tracer to unwind.
  const tracing = setupTracing({
    serviceName: service,
    exporterName: base.OTEL_TRACES_EXPORTER,
    otlpEndpoint: base.OTEL_EXPORTER_OTLP_ENDPOINT,
    zipkinEndpoint: base.OTEL_EXPORTER_ZIPKIN_ENDPOINT,
    sampler: base.OTEL_TRACES_SAMPLER,
    samplerArg: base.OTEL_TRACES_SAMPLER_ARG,
    log,
    ...(opts.version === undefined ? {} : { serviceVersion: opts.version }),
  });

  const shutdown = new Shutdown({
    log,
    timeoutMs: base.SHUTDOWN_TIMEOUT,
    exit,
    ...(opts.process === undefined ? {} : { process: opts.process }),
  }).install();
  if (opts.process === undefined) {
    // A crash still stops in order: hooks run, the exit code says it failed.
    const fatal = (kind: string) => (err: unknown) => {
      log.error(kind, { err });
      void shutdown.stop(kind, 1);
    };
    process.on('uncaughtException', fatal('uncaught exception'));
    process.on('unhandledRejection', fatal('unhandled rejection'));
    // Nobody reads our logs any more (the parent died, the pipe closed): stop in order
    // instead of failing every write, which would otherwise loop error → log → error.
    let outputLost = false;
    for (const stream of [process.stdout, process.stderr]) {
      stream.on('error', (err: NodeJS.ErrnoException) => {
        if (outputLost) return;
        outputLost = true;
        void shutdown.stop(`cannot write logs (${err.code ?? err.message})`, 1);
      });
    }
  }
  // Not ready from the first moment of shutdown, so no new work is routed here.
  shutdown.onStop('readiness', () => readiness.set('shutdown', false, 'shutting down'));
  shutdown.onStop('health', () => {
    readiness.stopWatching();
    health.close();
  });
  shutdown.onStop('tracing', () => tracing.shutdown(), { last: true });
  shutdown.onStop('ops-server', () => ops.close(), { last: true });

  log.info('started', {
    port: ops.port,
    pid: process.pid,
    node: process.version,
    tracing: tracing.exporterName,
    config: describeConfig(spec, config),
  });
  return {
    config,
    log,
    metrics,
    readiness,
    health,
    shutdown,
    tracer: tracing.tracer,
    ops,
    opsUrl: opsUrl(advertisedHost(base.OPS_ADVERTISE_HOST, networkInterfaces()), ops.port),
    redact: clean,
  };
}
