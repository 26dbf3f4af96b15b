import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';

import { Logger } from './logger.ts';
import { Shutdown } from './shutdown.ts';

function setup(timeoutMs = 1000) {
  const lines: Record<string, unknown>[] = [];
  const log = new Logger({
    service: 't',
    level: 'debug',
    stream: { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) },
  });
  const exits: number[] = [];
  const signals = new EventEmitter();
  const shutdown = new Shutdown({
    log,
    timeoutMs,
    exit: (c) => exits.push(c),
    process: signals,
  }).install();
  return { shutdown, signals, exits, lines };
}

test('SIGTERM runs the hooks in registration order, last hooks at the end, then exits 0', async () => {
  const { shutdown, signals, exits } = setup();
  const order: string[] = [];
  shutdown.onStop('server', () => order.push('server'), { last: true });
  shutdown.onStop('consumers', async () => {
    await new Promise((r) => setTimeout(r, 10));
    order.push('consumers');
  });
  shutdown.onStop('clients', () => order.push('clients'));
  signals.emit('SIGTERM');
  assert.equal(shutdown.stopping, true);
  assert.equal(await shutdown.stop('again'), 0);
  assert.deepEqual(order, ['consumers', 'clients', 'server']);
  assert.deepEqual(exits, [0]);
  assert.equal(signals.listenerCount('SIGTERM'), 0, 'listeners removed');
});

test('a failing hook does not stop the others; the exit code is 1', async () => {
  const { shutdown, exits, lines } = setup();
  const ran: string[] = [];
  shutdown.onStop('a', () => {
    throw new Error('flush failed');
  });
  shutdown.onStop('b', () => ran.push('b'));
  assert.equal(await shutdown.stop('test'), 1);
  assert.deepEqual(ran, ['b']);
  assert.deepEqual(exits, [1]);
  assert.ok(lines.some((l) => l.msg === 'stop hook failed' && l.hook === 'a'));
});

test('the deadline ends a hung shutdown with exit code 1 and names the hook', async () => {
  const { shutdown, exits, lines } = setup(30);
  shutdown.onStop('stuck', () => new Promise(() => {}));
  shutdown.onStop('never', () => assert.fail('must not run after the deadline'));
  assert.equal(await shutdown.stop('test'), 1);
  assert.deepEqual(exits, [1]);
  const line = lines.find((l) => l.msg === 'shutdown deadline passed');
  assert.equal(line?.hook, 'stuck');
});

test('a second signal while stopping exits at once', async () => {
  const { shutdown, signals, exits } = setup();
  let release = () => {};
  shutdown.onStop('slow', () => new Promise<void>((r) => (release = r)));
  signals.emit('SIGINT');
  await new Promise((r) => setImmediate(r));
  signals.emit('SIGINT');
  assert.deepEqual(exits, [1]);
  release();
  await shutdown.stop('x');
});
