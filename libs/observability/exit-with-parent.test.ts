import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { alive, exitWithParent } from './testing.ts';

test('a process started with the preload stops once the process that started it is gone', async () => {
  // bash starts a node that would run forever, prints its pid and exits: node is orphaned.
  const script = `"${process.execPath}" --import "${exitWithParent}" -e "setInterval(() => {}, 1000)" & echo $!; sleep 0.3`;
  const parent = spawn('bash', ['-c', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  parent.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  await once(parent, 'exit');
  const pid = Number(out.trim());
  assert.ok(pid > 0, `the orphan's pid: ${out}`);
  const deadline = Date.now() + 10_000;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const stillAlive = alive(pid);
  if (stillAlive) process.kill(pid, 'SIGKILL');
  assert.equal(stillAlive, false, 'the orphan ended itself within 10 s');
});

test('while its parent lives, the preload leaves the process alone', async () => {
  const child = spawn(
    process.execPath,
    ['--import', exitWithParent, '-e', 'setTimeout(() => process.exit(7), 2500)'],
    { stdio: 'ignore' },
  );
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 7, 'it ran to its own end');
});
