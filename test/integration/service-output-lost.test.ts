// A service whose log output is gone (its parent died with the pipe) stops in order instead
// of spinning on failed writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { alive, repoRoot } from '../support/stack.ts';

test('a service exits when nobody reads its logs any more', { timeout: 90_000 }, async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', 'test/fixtures/orphan-checkpointer.ts'],
    { cwd: repoRoot, timeout: 60_000 },
  );
  const pid = Number(stdout.trim().split('\n').at(-1));
  assert.ok(Number.isSafeInteger(pid) && pid > 0, `pid from the fixture: ${stdout}`);
  const deadline = Date.now() + 30_000;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  const still = alive(pid);
  if (still) process.kill(pid, 'SIGKILL');
  assert.equal(still, false, 'the orphaned service should have stopped');
});
