// The console's HTTP side, mounted on an ops server (`ops.mount('/console', …)`): the page,
// its script and stylesheet (files in console-assets/, read once), and the state as JSON.
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConsoleState } from './collector.ts';

export interface ConsoleSource {
  readonly latest: ConsoleState | undefined;
  collect(): Promise<ConsoleState>;
}

const ASSETS = new URL('./console-assets/', import.meta.url);
const TYPES: Record<string, string> = {
  'console.html': 'text/html; charset=utf-8',
  'console.js': 'text/javascript; charset=utf-8',
  'console.css': 'text/css; charset=utf-8',
};

export interface ConsoleRoutesOptions {
  /** Where the routes are mounted. */
  prefix?: string;
  /**
   * Applied to the state before it is sent (the service's redact()): it quotes other
   * instances' readiness reasons and errors, which may name a server's URL.
   */
  redact?: (text: string) => string;
}

/** Handler for `/console`, `/console/api/state` and `/console/assets/<file>`. */
export function consoleRoutes(
  source: ConsoleSource,
  opts: ConsoleRoutesOptions = {},
): (req: IncomingMessage, res: ServerResponse, path: string) => Promise<void> {
  const prefix = opts.prefix ?? '/console';
  const clean = opts.redact ?? ((text: string) => text);
  const files = new Map(
    Object.keys(TYPES).map((name) => [name, readFileSync(new URL(name, ASSETS), 'utf8')]),
  );
  const page = (files.get('console.html') ?? '').replaceAll('{{prefix}}', prefix);
  return async (_req, res, path) => {
    const rest = path.slice(prefix.length);
    if (rest === '' || rest === '/') return send(res, 200, TYPES['console.html']!, page);
    if (rest === '/api/state') {
      const state = source.latest ?? (await source.collect());
      return send(res, 200, 'application/json', clean(JSON.stringify(state)));
    }
    const asset = /^\/assets\/([a-z.]+)$/.exec(rest)?.[1];
    const body = asset === undefined || asset === 'console.html' ? undefined : files.get(asset);
    if (body !== undefined) return send(res, 200, TYPES[asset!]!, body);
    return send(res, 404, 'text/plain; charset=utf-8', `not found: try ${prefix}\n`);
  };
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    // Only our own script and style: nothing on the page comes from elsewhere.
    'content-security-policy': "default-src 'self'; img-src 'self' data:",
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
