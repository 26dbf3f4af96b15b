import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { redact } from '@iot/config';
import type { ConsoleState } from './collector.ts';
import { consoleRoutes } from './console-routes.ts';

test('the state the console serves goes through the service redaction', async () => {
  // Only what the route touches: it serialises whatever state the collector holds.
  const state = {
    storage: { error: 'GET http://iot:s3cr3t-pw@127.0.0.1:9000/bucket failed (token tok-123)' },
  } as unknown as ConsoleState;
  const handler = consoleRoutes(
    { latest: state, collect: () => Promise.resolve(state) },
    { redact: (text) => redact(text, ['tok-123']) },
  );
  const server = createServer((req, res) => {
    void handler(req, res, new URL(req.url ?? '/', 'http://x').pathname);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}/console/api/state`);
    assert.equal(res.status, 200);
    const body = await res.text();
    assert.doesNotMatch(body, /s3cr3t-pw/);
    assert.doesNotMatch(body, /tok-123/);
    assert.match(body, /127\.0\.0\.1:9000\/bucket failed/, 'the rest of the reason stays');
    const page = await fetch(`http://127.0.0.1:${port}/console`);
    assert.match(await page.text(), /<html/i);
  } finally {
    server.close();
  }
});
