import { test } from 'node:test';
import assert from 'node:assert/strict';

import { MetricsRegistry } from './metrics.ts';
import { startOpsServer } from './ops-server.ts';
import { Readiness } from './readiness.ts';

async function withServer(
  fn: (base: string, parts: { readiness: Readiness; metrics: MetricsRegistry }) => Promise<void>,
) {
  const metrics = new MetricsRegistry();
  const readiness = new Readiness({ timeoutMs: 50 });
  const server = await startOpsServer({ port: 0, host: '127.0.0.1', metrics, readiness });
  try {
    await fn(`http://127.0.0.1:${server.port}`, { readiness, metrics });
  } finally {
    await server.close();
  }
}

test('/healthz answers while the process lives', () =>
  withServer(async (base) => {
    const res = await fetch(`${base}/healthz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
  }));

test('/readyz is 503 naming the failing checks, 200 when all pass', () =>
  withServer(async (base, { readiness }) => {
    readiness.set('pulsar', true);
    readiness.set('partitions', false, 'no partition assigned yet');
    readiness.register('redis', () => false);
    readiness.register('nats', async () => true);
    let res = await fetch(`${base}/readyz`);
    assert.equal(res.status, 503);
    assert.deepEqual(await res.json(), {
      status: 'not ready',
      failing: ['partitions', 'redis'],
      checks: {
        pulsar: true,
        partitions: { ready: false, reason: 'no partition assigned yet' },
        redis: false,
        nats: true,
      },
    });
    readiness.set('partitions', true);
    readiness.register('redis', () => true);
    res = await fetch(`${base}/readyz`);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { status: string }).status, 'ready');
  }));

test('a check that throws or hangs is not ready, with a reason', () =>
  withServer(async (base, { readiness }) => {
    readiness.register('throws', () => {
      throw new Error('connection refused');
    });
    readiness.register('hangs', () => new Promise<boolean>(() => {}));
    const res = await fetch(`${base}/readyz`);
    assert.equal(res.status, 503);
    const body = (await res.json()) as { failing: string[]; checks: Record<string, unknown> };
    assert.deepEqual(body.failing, ['throws', 'hangs']);
    assert.deepEqual(body.checks.throws, { ready: false, reason: 'connection refused' });
    assert.deepEqual(body.checks.hangs, { ready: false, reason: 'no answer within 50 ms' });
  }));

test('/metrics serves the registry as Prometheus text', () =>
  withServer(async (base, { metrics }) => {
    metrics.counter({ name: 'iot_alerts_total', help: 'Alerts.' }).inc(3);
    const res = await fetch(`${base}/metrics`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    assert.match(await res.text(), /^iot_alerts_total 3$/m);
  }));

test('unknown paths are 404, other methods 405', () =>
  withServer(async (base) => {
    assert.equal((await fetch(`${base}/nope`)).status, 404);
    assert.equal((await fetch(`${base}/healthz`, { method: 'POST' })).status, 405);
    const head = await fetch(`${base}/healthz`, { method: 'HEAD' });
    assert.equal(head.status, 200);
  }));

test('a taken port is an error, not a silent retry', async () => {
  const metrics = new MetricsRegistry();
  const readiness = new Readiness();
  const first = await startOpsServer({ port: 0, host: '127.0.0.1', metrics, readiness });
  try {
    await assert.rejects(
      startOpsServer({ port: first.port, host: '127.0.0.1', metrics, readiness }),
      /EADDRINUSE/,
    );
  } finally {
    await first.close();
  }
});

test('/healthz is 503 with the reasons when the health check says the process is wedged', async () => {
  const metrics = new MetricsRegistry();
  const readiness = new Readiness();
  let reasons: string[] = ['partition 2: no micro-batch completed for 40000 ms'];
  const health = { check: () => ({ healthy: reasons.length === 0, reasons }) };
  const server = await startOpsServer({ port: 0, host: '127.0.0.1', metrics, readiness, health });
  try {
    let res = await fetch(`http://127.0.0.1:${server.port}/healthz`);
    assert.equal(res.status, 503);
    assert.deepEqual(await res.json(), {
      status: 'unhealthy',
      reasons: ['partition 2: no micro-batch completed for 40000 ms'],
    });
    reasons = [];
    res = await fetch(`http://127.0.0.1:${server.port}/healthz`);
    assert.equal(res.status, 200);
  } finally {
    await server.close();
  }
});

test('a mounted path answers below its prefix, the built-in paths stay', async () => {
  const metrics = new MetricsRegistry();
  const server = await startOpsServer({
    port: 0,
    host: '127.0.0.1',
    metrics,
    readiness: new Readiness(),
  });
  server.mount('/console/', async (_req, res, path) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`console saw ${path}`);
  });
  try {
    const base = `http://127.0.0.1:${server.port}`;
    assert.equal(await (await fetch(`${base}/console`)).text(), 'console saw /console');
    assert.equal(
      await (await fetch(`${base}/console/api/state?x=1`)).text(),
      'console saw /console/api/state',
    );
    assert.equal((await fetch(`${base}/consoles`)).status, 404);
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
  } finally {
    await server.close();
  }
});
