// `npm run bench -- images`: what each service's image adds to node:24-slim, and how long the
// compiled service takes to become ready, without a Docker engine. Writes
// bench/results/images.json.
//
// Size: `npm run build`, then the image's /app laid out as the Dockerfile's runtime stage does
// (tools/build/src/image-layout.ts: manifests, production node_modules, the service's dist/,
// iotctl's bin/ and dist/), weighed with `du` (apparent bytes and disk usage). The base image
// (node:24-slim) is not weighed here: there is nothing to pull it with.
// Start-up: the compiled service (`node dist/main.js` in /app, the images' NODE_OPTIONS)
// against the local stack, from spawn to the first 200 of /readyz and to its `started` log
// line, and its RSS then; one warm-up and --runs runs per service, the median reported.
//
//   npm run bench -- images [--runs 5] [--results FILE]
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createPipelineTopics, localServers, pipelineEnv } from '@iot/harness';
import { IMAGE_SERVICES, layOutImage } from '../tools/build/src/image-layout.ts';

const root = fileURLToPath(new URL('../', import.meta.url));
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    results: { type: 'string', default: join(root, 'bench/results/images.json') },
  },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs takes a whole number ≥ 1');
const say = (line: string) => process.stderr.write(`images: ${line}\n`);

/** Apparent size and disk usage of a path, in bytes (`du -sb`, `du -sB1`). */
function du(path: string): { bytes: number; disk: number } {
  const size = (flag: string) =>
    Number(spawnSync('du', ['-s', flag, path], { encoding: 'utf8' }).stdout.split('\t')[0]);
  return { bytes: size('-b'), disk: size('-B1') };
}

const mb = (n: number) => Math.round(n / 1e5) / 10;

say('building (npm run build)');
const build = spawnSync(process.execPath, ['--import', 'tsx', 'tools/build/src/main.ts'], {
  cwd: root,
  encoding: 'utf8',
});
if (build.status !== 0) throw new Error(`build failed:\n${build.stdout}${build.stderr}`);

const app = mkdtempSync(join(tmpdir(), 'iot-image-'));
try {
  say(`laying out the image's /app in ${app} (npm ci --omit=dev)`);
  layOutImage(root, app);
  const nodeModules = du(join(app, 'node_modules'));
  const packages = spawnSync('du', ['-sb', ...listDir(join(app, 'node_modules'))], {
    encoding: 'utf8',
  })
    .stdout.trim()
    .split('\n')
    .map((l) => l.split('\t'))
    .map(([b, p]) => ({ name: p!.slice(app.length + '/node_modules/'.length), bytes: Number(b) }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 8);
  const manifests = spawnSync(
    'sh',
    ['-c', `find . -name package.json -not -path './node_modules/*' | xargs du -cb | tail -1`],
    { cwd: app, encoding: 'utf8' },
  );
  const iotctl = du(join(app, 'tools/iotctl'));
  const sizes = Object.fromEntries(
    IMAGE_SERVICES.map((s) => {
      const dist = du(join(app, 'services', s, 'dist'));
      const mainJs = du(join(app, 'services', s, 'dist/main.js'));
      const added = nodeModules.bytes + dist.bytes + iotctl.bytes;
      return [s, { distBytes: dist.bytes, mainJsBytes: mainJs.bytes, addedBytes: added }];
    }),
  );
  say(`node_modules ${mb(nodeModules.bytes)} MB; iotctl ${mb(iotctl.bytes)} MB`);

  const servers = localServers();
  const names = await createPipelineTopics(
    { adminUrl: servers.pulsarAdminUrl, authToken: servers.credentials.admin.pulsarToken },
    'bench-images',
    4,
    4,
  );
  const env = pipelineEnv(names, servers, {
    HTTP_PORT: '0',
    NODE_ENV: 'production',
    NODE_OPTIONS: '--max-old-space-size=160 --max-semi-space-size=16',
  });
  const startup: Record<string, unknown> = {};
  for (const service of IMAGE_SERVICES) {
    const samples: Start[] = [];
    for (let i = 0; i <= runs; i++) {
      const s = await startOnce(service, env);
      if (i > 0) samples.push(s); // the first run warms the page cache
    }
    const median = (k: keyof Start) =>
      samples.map((s) => s[k]).sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
    startup[service] = {
      readyMs: median('readyMs'),
      startedMs: median('startedMs'),
      rssMb: median('rssMb'),
      samples,
    };
    say(`${service}: ready in ${median('readyMs')} ms (started line ${median('startedMs')} ms)`);
  }

  const results = {
    at: new Date().toISOString(),
    node: process.version,
    loadAverage: loadavg().map((l) => Math.round(l * 10) / 10),
    baseImage: 'node:24-slim (not weighed here: no Docker engine)',
    nodeModules: { ...nodeModules, largest: packages },
    manifestsBytes: Number(manifests.stdout.split('\t')[0]),
    iotctlBytes: iotctl.bytes,
    services: sizes,
    startup,
  };
  mkdirSync(dirname(resolve(values.results)), { recursive: true });
  writeFileSync(values.results, JSON.stringify(results, null, 2) + '\n');
  say(`wrote ${values.results}`);
} finally {
  rmSync(app, { recursive: true, force: true });
}

/** The packages in a node_modules folder, scoped ones (`@scope/name`) one by one. */
function listDir(dir: string): string[] {
  return readdirSync(dir).flatMap((name) =>
    name.startsWith('@')
      ? readdirSync(join(dir, name)).map((n) => join(dir, name, n))
      : name.startsWith('.')
        ? []
        : [join(dir, name)],
  );
}

interface Start {
  readyMs: number;
  startedMs: number;
  rssMb: number;
}

/** Spawns the compiled service, waits for /readyz to answer 200, stops it with SIGTERM. */
async function startOnce(service: string, env: Record<string, string>): Promise<Start> {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: join(app, 'services', service),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let startedMs: number | undefined;
  let port: number | undefined;
  child.stdout.on('data', (b: Buffer) => {
    out += b.toString();
    const m = /"msg":"started"[^\n]*?"port":(\d+)/.exec(out);
    if (m !== null && port === undefined) {
      port = Number(m[1]);
      startedMs = performance.now() - t0;
    }
  });
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  try {
    const deadline = performance.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${service} exited:\n${out}${err}`);
      if (performance.now() > deadline) throw new Error(`${service} not ready in 60 s:\n${out}`);
      if (port !== undefined) {
        const ok = await fetch(`http://127.0.0.1:${port}/readyz`)
          .then((r) => r.status === 200)
          .catch(() => false);
        if (ok) break;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    const readyMs = performance.now() - t0;
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
    return {
      readyMs: Math.round(readyMs),
      startedMs: Math.round(startedMs!),
      rssMb: Math.round(rssKb / 1024),
    };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}
