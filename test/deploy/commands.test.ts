// The operator's tools as commands: `iotctl`, `loadgen` and `verify` are bins of their
// workspaces, linked into node_modules/.bin by `npm ci` (so `npx iotctl status` works in a
// checkout). The same shim runs the compiled dist/main.js where the sources are absent, as in
// the service images: test/deploy/compiled.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

function run(command: string, args: string[]): { status: number | null; out: string } {
  const r = spawnSync(command, args, { cwd: root, encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

test('iotctl, loadgen and verify run from node_modules/.bin in a checkout (the sources, via tsx)', () => {
  const iotctl = run(join(root, 'node_modules/.bin/iotctl'), ['no-such-command']);
  assert.equal(iotctl.status, 2, iotctl.out);
  assert.match(iotctl.out, /usage: iotctl <command>/);
  for (const tool of ['loadgen', 'verify']) {
    const r = run(join(root, 'node_modules/.bin', tool), ['--help']);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, new RegExp(`^Usage: ${tool} `, 'm'));
  }
});
