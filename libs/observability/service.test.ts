import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { createServer } from 'node:net';

import { serviceSpec } from '@iot/config';

import { startService } from './service.ts';

class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

test('a taken HTTP_PORT ends start-up with one line and exit 1', async () => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, r));
  const { port } = blocker.address() as { port: number };
  const errors: string[] = [];
  try {
    await assert.rejects(
      startService({
        service: 'test',
        spec: serviceSpec(9999),
        env: { HTTP_PORT: String(port) },
        stdout: { write: () => true },
        stderr: { write: (s: string) => errors.push(s) },
        exit: (code) => {
          throw new Exit(code);
        },
        process: new EventEmitter(),
      }),
      (err: unknown) => err instanceof Exit && err.code === 1,
    );
  } finally {
    blocker.close();
  }
  assert.equal(errors.length, 1);
  assert.match(
    errors[0] ?? '',
    new RegExp(`Cannot serve HTTP_PORT=${port}: .*EADDRINUSE.*set HTTP_PORT to a free port`),
  );
});

test('start line, readiness flips on shutdown, server closes last', async () => {
  const out: string[] = [];
  const exits: number[] = [];
  const signals = new EventEmitter();
  const svc = await startService({
    service: 'test',
    spec: serviceSpec(9999),
    env: { HTTP_PORT: '0', LOG_LEVEL: 'debug' },
    stdout: { write: (s: string) => out.push(s) },
    exit: ((code: number) => exits.push(code)) as (code: number) => never,
    process: signals,
  });
  const started = JSON.parse(out[out.length - 1] ?? '') as Record<string, unknown>;
  assert.equal(started.msg, 'started');
  assert.equal(started.port, svc.ops.port);
  assert.equal((started.config as Record<string, unknown>).HTTP_PORT, 0);

  let readyDuringDrain: number | undefined;
  svc.shutdown.onStop('drain', async () => {
    readyDuringDrain = (await fetch(`http://127.0.0.1:${svc.ops.port}/readyz`)).status;
  });
  signals.emit('SIGTERM');
  assert.equal(await svc.shutdown.stop('test'), 0);
  assert.equal(readyDuringDrain, 503, 'not ready while draining, server still up');
  assert.deepEqual(exits, [0]);
  await assert.rejects(fetch(`http://127.0.0.1:${svc.ops.port}/healthz`));
});
