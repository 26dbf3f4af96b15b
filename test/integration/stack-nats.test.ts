// NATS (the control plane) answers request/reply and has JetStream KV for leases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, StringCodec } from 'nats';
import { auth, stack, uniqueName } from '../support/stack.ts';

const sc = StringCodec();

test('NATS: request/reply round trip', async () => {
  const nc = await connect({ ...auth.nats, servers: stack.natsUrl });
  try {
    const subject = `iot.test.${uniqueName('echo')}`;
    const sub = nc.subscribe(subject, { max: 1 });
    void (async () => {
      for await (const m of sub) m.respond(sc.encode(`echo:${sc.decode(m.data)}`));
    })();
    const reply = await nc.request(subject, sc.encode('ping'), { timeout: 2000 });
    assert.equal(sc.decode(reply.data), 'echo:ping');
  } finally {
    await nc.drain();
  }
});

test('NATS: JetStream KV put and get', async () => {
  const nc = await connect({ ...auth.nats, servers: stack.natsUrl });
  const bucket = uniqueName('stacktest').replaceAll('-', '_');
  try {
    const kv = await nc.jetstream().views.kv(bucket, { history: 1 });
    await kv.put('leader', sc.encode('checkpointer-1'));
    const entry = await kv.get('leader');
    assert.equal(entry && sc.decode(entry.value), 'checkpointer-1');
    await kv.destroy();
  } finally {
    await nc.drain();
  }
});
