// The compiled services, as the images run them: `npm run build` bundles each one into
// services/<svc>/dist/main.js, and plain `node dist/main.js` (no tsx) must keep the same
// process contract as the sources (services/*/src/main.test.ts): a bad variable exits 1 with
// one line, /healthz answers, SIGTERM stops it cleanly. Needs the local stack (servers).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { testServiceLifecycle } from '@iot/observability/testing';

import { useLifecycleTestEnv } from '../../services/checkpointer/src/lifecycle-test-env.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const SERVICES = ['ingest', 'aggregator', 'writer', 'checkpointer'];

const built = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    'tools/build/src/main.ts',
    ...SERVICES.map((s) => `services/${s}`),
    'tools/iotctl',
  ],
  { cwd: root, encoding: 'utf8' },
);
if (built.status !== 0) throw new Error(`npm run build failed:\n${built.stdout}${built.stderr}`);

// The checkpointer's test namespace, subjects, bucket and prefix, as for its source test.
await useLifecycleTestEnv();

for (const service of SERVICES)
  testServiceLifecycle(service, new URL(`../../services/${service}/dist/main.js`, import.meta.url));

test('compiled iotctl runs without tsx and prints its usage', () => {
  const result = spawnSync(process.execPath, ['tools/iotctl/dist/main.js', 'no-such-command'], {
    cwd: root,
    encoding: 'utf8',
  });
  assert.equal(result.status, 2, result.stderr);
  assert.match(result.stderr, /usage: iotctl <command>/);
});
