// npm run build [-- <workspace>...]: bundles the services and the operator's tools into
// <workspace>/dist/main.js (see build.ts). Default: every service and iotctl, loadgen, verify.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildEntry } from './build.ts';

export const ENTRIES = [
  'services/ingest',
  'services/aggregator',
  'services/writer',
  'services/checkpointer',
  'tools/iotctl',
  'tools/loadgen',
  'tools/verify',
] as const;

const root = fileURLToPath(new URL('../../../', import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as {
  dependencies?: Record<string, string>;
};
const dependencies = new Set(Object.keys(pkg.dependencies ?? {}));

const requested = process.argv.slice(2);
const unknown = requested.filter((w) => !(ENTRIES as readonly string[]).includes(w));
if (unknown.length > 0) {
  process.stderr.write(
    `build: unknown workspace ${unknown.join(', ')}; one of ${ENTRIES.join(', ')}\n`,
  );
  process.exit(2);
}
try {
  for (const workspace of requested.length > 0 ? requested : ENTRIES) {
    const started = performance.now();
    const { externals } = await buildEntry(root, workspace, dependencies);
    const ms = Math.round(performance.now() - started);
    process.stdout.write(
      `${workspace}/dist/main.js  ${ms} ms  imports ${externals.join(' ') || '-'}\n`,
    );
  }
} catch (err) {
  process.stderr.write(`build: ${(err as Error).message}\n`);
  process.exit(1);
}
