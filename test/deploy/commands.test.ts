// The operator's tools as commands: `iotctl`, `loadgen` and `verify` are bins of their
// workspaces, linked into node_modules/.bin by `npm ci` (so `npx iotctl status` works in a
// checkout), and the same shim runs the compiled dist/main.js where the sources are absent,
// as in the service images.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
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

test('without the sources (as in the images) the iotctl command runs the compiled dist/main.js', () => {
  const built = run(process.execPath, [
    '--import',
    'tsx',
    'tools/build/src/main.ts',
    'tools/iotctl',
  ]);
  assert.equal(built.status, 0, built.out);
  // Inside the checkout, so the bundle's imports resolve from its node_modules as in /app.
  const image = mkdtempSync(join(root, 'tools', '.image-test-'));
  try {
    for (const dir of ['bin', 'dist'])
      cpSync(join(root, 'tools/iotctl', dir), join(image, dir), { recursive: true });
    const r = run(join(image, 'bin/iotctl.js'), ['no-such-command']);
    assert.equal(r.status, 2, r.out);
    assert.match(r.out, /usage: iotctl <command>/);
  } finally {
    rmSync(image, { recursive: true, force: true });
  }
});
