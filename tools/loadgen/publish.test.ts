import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateStream } from './generator.ts';
import { publishStream, type Sender } from './publish.ts';

const params = {
  seed: 3,
  devices: 30,
  startMs: Date.UTC(2024, 0, 1),
  durationMs: 2_000,
  ratePerSec: 1_000,
  partitions: 3,
  maxOutOfOrdernessMs: 5_000,
};

/** Records what each partition received; acknowledges after a tick. */
function fakeSenders(n: number): {
  senders: Sender[];
  got: { key: string; eventTime: number }[][];
} {
  const got = Array.from({ length: n }, () => [] as { key: string; eventTime: number }[]);
  const senders = got.map((list) => ({
    send(m: { payload: Buffer; key: string; eventTime: number }) {
      list.push({ key: m.key, eventTime: m.eventTime });
      return new Promise<void>((r) => setImmediate(r));
    },
  }));
  return { senders, got };
}

test('every message goes to its partition, in stream order, paced by the clock', async () => {
  const { senders, got } = fakeSenders(3);
  let t = 0;
  const result = await publishStream(generateStream(params), senders, {
    rate: 1000,
    now: () => t,
    sleep: async (ms) => void (t += ms),
    maxInFlight: 10,
  });
  assert.equal(result.sent, 2000);
  assert.equal(result.interrupted, false);
  // 2000 messages at 1000/s with a 50-message burst: just under 2 s of (simulated) clock.
  assert.ok(result.elapsedMs >= 1940 && result.elapsedMs <= 2000, `elapsed ${result.elapsedMs}`);
  const want = Array.from({ length: 3 }, () => [] as { key: string; eventTime: number }[]);
  for (const m of generateStream(params))
    want[m.partition]!.push({ key: m.key, eventTime: m.eventTime });
  assert.deepEqual(got, want);
});

test('a failed send stops publishing with its error; stopped() interrupts', async () => {
  const failing: Sender[] = [0, 1, 2].map(() => ({
    send: () => Promise.reject(new Error('broker said no')),
  }));
  await assert.rejects(
    publishStream(generateStream(params), failing, { rate: 1e9 }),
    /broker said no/,
  );
  const { senders } = fakeSenders(3);
  const state = { sent: 0, acked: 0, startedAt: 0 };
  const r = await publishStream(
    generateStream(params),
    senders,
    { rate: 1e9, stopped: () => state.sent >= 500 },
    state,
  );
  assert.equal(r.interrupted, true);
  assert.equal(r.sent, 1000); // stops at the next chunk boundary
  assert.equal(state.acked, 1000);
});
