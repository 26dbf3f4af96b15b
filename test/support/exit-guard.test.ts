// test/run.sh must report every test a file ran, and must not wait forever for a file that
// leaks a handle (test/support/exit-guard.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

// The runner marks its file processes; a nested run must not inherit the mark.
const { NODE_TEST_CONTEXT: _inherited, ...env } = process.env;

test('test/run.sh reports all 1501 verdicts of a file that leaks a timer, then ends it', () => {
  const r = spawnSync('bash', ['test/run.sh', 'test/support/fixtures/many-tests-leaking.ts'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...env, TEST_EXIT_GRACE_MS: '1000' },
    timeout: 120_000,
  });
  const out = `${r.stdout}${r.stderr}`;
  assert.equal(r.status, 0, out.slice(-2000));
  assert.match(out, /^ℹ tests 1501$/m);
  assert.match(out, /^ℹ pass 1501$/m);
  assert.match(out, /still had open handles 1000 ms after its last test/);
});
