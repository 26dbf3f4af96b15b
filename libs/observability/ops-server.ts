// The operations endpoint every service runs: /healthz (the process is alive and not wedged,
// else 503 saying why), /readyz (all readiness checks pass, else 503 naming the failing ones)
// and /metrics (Prometheus text). A service may mount more under a path of its own
// (`ops.mount('/console', handler)`: the checkpointer's operations console).

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { HealthVerdict } from './health.ts';
import type { Logger } from './logger.ts';
import { PROMETHEUS_CONTENT_TYPE, type MetricsRegistry } from './metrics.ts';
import type { Readiness } from './readiness.ts';

export interface OpsServerOptions {
  port: number;
  /** Default 0.0.0.0: probes and scrapers come from outside the container. */
  host?: string;
  metrics: MetricsRegistry;
  readiness: Readiness;
  /** Liveness verdict for /healthz; without it /healthz answers 200 while the server runs. */
  health?: { check(): HealthVerdict };
  log?: Logger;
  /** Applied to every answer (redact() with the process's secrets): reasons may quote errors. */
  redact?: (text: string) => string;
}

/** Answers a GET or HEAD below a mounted path; `path` is the URL's path, query stripped. */
export type OpsHandler = (req: IncomingMessage, res: ServerResponse, path: string) => Promise<void>;

export interface OpsServer {
  /** The bound port (differs from the requested one when that was 0). */
  readonly port: number;
  /** Serves `prefix` and every path below it with `handler`. */
  mount(prefix: string, handler: OpsHandler): void;
  close(): Promise<void>;
}

export async function startOpsServer(opts: OpsServerOptions): Promise<OpsServer> {
  const mounts = new Map<string, OpsHandler>();
  const server = createServer((req, res) => {
    route(req, res, opts, mounts).catch((err: unknown) => {
      opts.log?.error('ops endpoint failed', { path: req.url, err });
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    mount: (prefix, handler) => void mounts.set(prefix.replace(/\/+$/, ''), handler),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Scrapers keep connections alive; without this, close() waits for them to time out.
        server.closeAllConnections();
      }),
  };
}

async function route(
  req: IncomingMessage,
  res: ServerResponse,
  opts: OpsServerOptions,
  mounts: ReadonlyMap<string, OpsHandler>,
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
  }
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  for (const [prefix, handler] of mounts) {
    if (path === prefix || path.startsWith(`${prefix}/`)) return handler(req, res, path);
  }
  const clean = opts.redact ?? ((text: string) => text);
  const sendJson = (res: ServerResponse, status: number, body: unknown): void =>
    send(res, status, 'application/json', clean(`${JSON.stringify(body)}\n`));
  switch (path) {
    case '/healthz': {
      const verdict = opts.health?.check() ?? { healthy: true, reasons: [] };
      return verdict.healthy
        ? sendJson(res, 200, { status: 'ok' })
        : sendJson(res, 503, { status: 'unhealthy', reasons: verdict.reasons });
    }
    case '/readyz': {
      const report = await opts.readiness.evaluate();
      const checks = Object.fromEntries(
        report.checks.map((c) => [
          c.name,
          c.reason === undefined ? c.ready : { ready: c.ready, reason: c.reason },
        ]),
      );
      return report.ready
        ? sendJson(res, 200, { status: 'ready', checks })
        : sendJson(res, 503, { status: 'not ready', failing: report.failing, checks });
    }
    case '/metrics':
      return send(res, 200, PROMETHEUS_CONTENT_TYPE, clean(await opts.metrics.render()));
    default:
      return send(
        res,
        404,
        'text/plain; charset=utf-8',
        'not found: try /healthz, /readyz or /metrics\n',
      );
  }
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
