import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'nats';
import { isNatsUnavailable } from './nats-unavailable.ts';

test('a NATS server that is not there is "away"; a refused password is not', async () => {
  // A port nothing listens on (loopback, closed right after it was free).
  const { createServer } = await import('node:net');
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address() as import('node:net').AddressInfo;
  await new Promise<void>((r) => probe.close(() => r()));
  const refused = await connect({ servers: `nats://127.0.0.1:${port}`, timeout: 1000 }).catch(
    (err: unknown) => err,
  );
  assert.equal(isNatsUnavailable(new Error('cannot reach NATS', { cause: refused })), true);

  assert.equal(
    isNatsUnavailable(
      Object.assign(new Error('Authorization Violation'), { code: 'AUTHORIZATION_VIOLATION' }),
    ),
    false,
  );
  assert.equal(isNatsUnavailable(new Error('no code')), false);
  assert.equal(isNatsUnavailable(undefined), false);
});
