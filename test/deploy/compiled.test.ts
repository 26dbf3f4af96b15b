// The compiled services as the images run them (Dockerfile, runtime stage), without Docker:
// `npm run build` bundles each service into services/<svc>/dist/main.js; this test lays out
// an /app like the image's in a temporary folder (the package manifests, production
// dependencies only from `npm ci --omit=dev --ignore-scripts`, each service's dist/ and
// iotctl's bin/ and dist/, no sources) and runs them with plain `node dist/main.js`. They must
// keep the same process contract as the sources (services/*/src/main.test.ts): a bad variable
// exits 1 with one line, /healthz answers, SIGTERM stops them cleanly. Needs the local stack.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { spawnService, testServiceLifecycle } from '@iot/observability/testing';

import { useLifecycleTestEnv } from '../../services/checkpointer/src/lifecycle-test-env.ts';
import { IMAGE_SERVICES, layOutImage } from '../../tools/build/src/image-layout.ts';
import { auth, envAs } from '../support/stack.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const SERVICES = IMAGE_SERVICES;

function run(command: string, args: string[], cwd: string): string {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8' });
  if (r.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed (${r.status}):\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

run(process.execPath, ['--import', 'tsx', 'tools/build/src/main.ts'], root);

const app = mkdtempSync(join(tmpdir(), 'iot-image-'));
after(() => rmSync(app, { recursive: true, force: true }));
layOutImage(root, app);

// The checkpointer's test namespace, subjects, bucket and prefix, as for its source test.
await useLifecycleTestEnv(auth.pulsar.authToken);

test('the image layout has production dependencies only and no sources', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  // A dev dependency that a production one needs as well (nkeys.js, for nats) ships anyway;
  // the lockfile marks what only development needs with `dev: true`.
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean }>;
  };
  const devOnly = [...Object.keys(pkg.devDependencies), 'tsx', 'typescript', 'esbuild'].filter(
    (name) => lock.packages[`node_modules/${name}`]?.dev === true,
  );
  assert.ok(devOnly.includes('tsx') && devOnly.includes('typescript'), 'the lockfile marks dev');
  for (const name of devOnly)
    assert.ok(!existsSync(join(app, 'node_modules', name)), `${name} is not installed`);
  for (const name of Object.keys(pkg.dependencies))
    assert.ok(existsSync(join(app, 'node_modules', name)), `${name} is installed`);
  const sources = readdirSync(app, { recursive: true, encoding: 'utf8' }).filter(
    (f) => f.endsWith('.ts') && !f.startsWith('node_modules'),
  );
  assert.deepEqual(sources, [], 'no TypeScript outside node_modules');
});

for (const service of SERVICES)
  testServiceLifecycle(
    service,
    pathToFileURL(join(app, 'services', service, 'dist/main.js')),
    envAs('services'),
  );

test('the compiled checkpointer serves the operations console (its page files ship in dist/)', async () => {
  const proc = spawnService(pathToFileURL(join(app, 'services/checkpointer/dist/main.js')), {
    ...envAs('services'),
    HTTP_PORT: '0',
    // Its own subjects: no other test's instances on the page.
    CONTROL_SUBJECT_PREFIX: `test.console.compiled.${process.pid}`,
  });
  try {
    const started = await proc.waitForLine((l) => l.msg === 'started');
    // Mounted once NATS and S3 answered, before this line.
    await proc.waitForLine((l) => l.msg === 'checkpointing');
    const base = `http://127.0.0.1:${String(started.port)}/console`;
    const page = await fetch(base);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<script type="module" src="\/console\/assets\/console\.js">/);
    for (const asset of ['console.js', 'console.css'])
      assert.equal((await fetch(`${base}/assets/${asset}`)).status, 200, asset);
    // It lists itself once its first heartbeat is back from NATS.
    let stages: { name: string }[] = [];
    for (let i = 0; i < 40 && stages.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 250));
      stages = ((await (await fetch(`${base}/api/state`)).json()) as { stages: { name: string }[] })
        .stages;
    }
    assert.deepEqual(
      stages.map((s) => s.name),
      ['checkpointer'],
    );
  } finally {
    proc.child.kill('SIGKILL');
  }
});

test('the iotctl command runs the compiled dist/main.js where there are no sources', () => {
  const r = spawnSync(join(app, 'tools/iotctl/bin/iotctl.js'), ['no-such-command'], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /usage: iotctl <command>/);
});
