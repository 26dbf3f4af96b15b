import { test } from 'node:test';
import assert from 'node:assert/strict';

import type { Behavior } from './actor.ts';
import {
  ActorUnavailableError,
  Supervisor,
  type StartContext,
  type SupervisorEvent,
} from './supervisor.ts';

const tick = () => new Promise<void>((r) => setImmediate(r));

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 2));
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** Records requested delays and resolves them at once (or when released, if held). */
function fakeDelay(hold = false) {
  const requested: number[] = [];
  const pending: (() => void)[] = [];
  const delay = (ms: number, signal: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      requested.push(ms);
      if (!hold) return resolve();
      pending.push(resolve);
      signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
    });
  return { delay, requested, release: () => pending.shift()?.() };
}

const noJitter = { initialMs: 100, maxMs: 1000, jitter: 0 };

test('a failed actor restarts from its last committed state after a backoff', async () => {
  // "Committed" state per partition, as Redis would hold it: a running sum and the last offset.
  const committed = new Map<number, { sum: number; offset: number }>();
  const contexts: StartContext[] = [];
  let poisonOnce = true;
  const events: SupervisorEvent<number>[] = [];
  const d = fakeDelay();
  const sup = new Supervisor<number, { offset: number; value: number }>({
    name: 'agg',
    delay: d.delay,
    backoff: noJitter,
    onEvent: (e) => events.push(e),
    factory: (key, ctx) => {
      contexts.push(ctx);
      const state = { ...(committed.get(key) ?? { sum: 0, offset: -1 }) };
      return {
        handle: (batch) => {
          for (const m of batch) {
            if (m.offset <= state.offset) continue; // replayed: already applied
            if (m.value < 0 && poisonOnce) {
              poisonOnce = false;
              throw new Error('transient failure');
            }
            state.sum += m.value;
            state.offset = m.offset;
          }
          committed.set(key, { ...state });
        },
      };
    },
  });
  await sup.start(7);
  await sup.send(7, { offset: 0, value: 10 });
  await until(() => committed.get(7)?.offset === 0, 'first commit');
  await sup.send(7, { offset: 1, value: -1 });
  await until(() => events.some((e) => e.type === 'started' && e.attempt === 1), 'restart');

  assert.equal(contexts.length, 2);
  assert.equal(contexts[1]?.attempt, 1);
  assert.equal((contexts[1]?.lastError as Error).message, 'transient failure');
  assert.deepEqual(d.requested, [100]);
  assert.deepEqual(
    events.map((e) => e.type),
    ['started', 'failed', 'restarting', 'started'],
  );

  // The source replays from the committed position (offset 0): 0 is skipped, 1 and 2 apply.
  for (const m of [
    { offset: 0, value: 10 },
    { offset: 1, value: -1 },
    { offset: 2, value: 5 },
  ]) {
    await sup.send(7, m);
  }
  await until(() => committed.get(7)?.offset === 2, 'replay');
  assert.deepEqual(committed.get(7), { sum: 14, offset: 2 });
  assert.equal(sup.status()[0]?.restarts, 1);
  await sup.stopAll();
});

test('backoff grows while starts keep failing and resets after a successful batch', async () => {
  let factoryFailures = 3;
  let failNextBatch = false;
  const d = fakeDelay();
  const sup = new Supervisor<string, number>({
    name: 's',
    delay: d.delay,
    backoff: noJitter,
    factory: () => {
      if (factoryFailures-- > 0) throw new Error('redis unreachable');
      return {
        handle: () => {
          if (failNextBatch) {
            failNextBatch = false;
            throw new Error('boom');
          }
        },
      };
    },
  });
  await sup.start('p0');
  assert.deepEqual(d.requested, [100, 200, 400]);
  assert.equal(sup.status()[0]?.failures, 3);
  assert.equal(sup.status()[0]?.lastError, 'redis unreachable');

  await sup.send('p0', 1);
  await until(() => sup.status()[0]?.failures === 0, 'reset after a good batch');
  failNextBatch = true;
  await sup.send('p0', 2);
  await until(() => d.requested.length === 4, 'next restart');
  assert.equal(d.requested[3], 100, 'backoff starts over after progress');
  await sup.stopAll();
});

test('send refuses while a key is restarting or not owned', async () => {
  const d = fakeDelay(true);
  let fail = true;
  const sup = new Supervisor<number, number>({
    name: 'r',
    delay: d.delay,
    backoff: noJitter,
    factory: () => ({
      handle: () => {
        if (fail) throw new Error('x');
      },
    }),
  });
  await sup.start(1);
  await sup.send(1, 1);
  await until(() => sup.status()[0]?.state === 'restarting', 'restarting');
  await assert.rejects(sup.send(1, 2), (err: unknown) => {
    assert.ok(err instanceof ActorUnavailableError);
    assert.equal(err.state, 'restarting');
    return true;
  });
  await assert.rejects(sup.send(2, 1), /no running actor for 2 \(not owned\)/);
  fail = false;
  d.release();
  await until(() => sup.status()[0]?.state === 'running', 'running again');
  await sup.send(1, 3);
  await sup.stopAll();
});

test('stop ends an actor for good (partition lost): batch in progress completes, rest dropped', async () => {
  let release!: () => void;
  const blocked = new Promise<void>((r) => (release = r));
  const seen: number[] = [];
  const closed: string[] = [];
  const events: SupervisorEvent<number>[] = [];
  const sup = new Supervisor<number, number>({
    name: 'lost',
    actor: { maxBatch: 1 },
    onEvent: (e) => events.push(e),
    factory: (key) => ({
      handle: async (batch) => {
        if (batch[0] === 1) await blocked;
        seen.push(...batch);
      },
      close: (exit) => void closed.push(`${key}:${exit.state}`),
    }),
  });
  await sup.start(3);
  await sup.start(4);
  for (const n of [1, 2, 3]) await sup.send(3, n);
  await tick();
  const stopping = sup.stop(3);
  assert.equal(sup.status().find((s) => s.key === 3)?.state, 'stopping');
  await assert.rejects(sup.send(3, 4), /stopping/);
  release();
  await stopping;
  assert.deepEqual(seen, [1]);
  assert.deepEqual(closed, ['3:stopped']);
  assert.equal(sup.has(3), false);
  assert.deepEqual(sup.keys(), [4]);
  assert.deepEqual(events.at(-1), { type: 'stopped', key: 3, unprocessed: 2 });

  // Regained later: a fresh first start.
  await sup.start(3);
  assert.equal(sup.status().find((s) => s.key === 3)?.restarts, 0);
  await sup.stopAll();
});

test('stop during the restart backoff cancels the restart', async () => {
  const d = fakeDelay(true);
  let builds = 0;
  const sup = new Supervisor<number, number>({
    name: 'b',
    delay: d.delay,
    factory: () => {
      builds += 1;
      return {
        handle: () => {
          throw new Error('always');
        },
      };
    },
  });
  await sup.start(1);
  await sup.send(1, 1);
  await until(() => sup.status()[0]?.state === 'restarting', 'restarting');
  await sup.stop(1);
  assert.equal(sup.has(1), false);
  assert.equal(builds, 1);
});

test('stop while the factory runs: its behavior is closed and never used', async () => {
  let finishFactory!: () => void;
  const factoryDone = new Promise<void>((r) => (finishFactory = r));
  let signal: AbortSignal | undefined;
  const closed: string[] = [];
  const sup = new Supervisor<number, number>({
    name: 'f',
    factory: async (_key, ctx) => {
      signal = ctx.signal;
      await factoryDone;
      const behavior: Behavior<number> = {
        handle: () => assert.fail('must not run'),
        close: (exit) => void closed.push(exit.state),
      };
      return behavior;
    },
  });
  const started = sup.start(9);
  await tick();
  const stopped = sup.stop(9);
  assert.equal(signal?.aborted, true, 'the factory is told to give up');
  finishFactory();
  await stopped;
  await assert.rejects(started, ActorUnavailableError);
  assert.deepEqual(closed, ['stopped']);
});

test('stopAll with drain processes everything accepted; status reports each key', async () => {
  const seen = new Map<string, number[]>();
  const sup = new Supervisor<string, number>({
    name: 'all',
    actor: { maxBatch: 2 },
    factory: (key) => ({
      handle: (batch) => void seen.set(key, [...(seen.get(key) ?? []), ...batch]),
    }),
  });
  await Promise.all([sup.start('a'), sup.start('b')]);
  const sends = [1, 2, 3, 4, 5].flatMap((n) => [sup.send('a', n), sup.send('b', n * 10)]);
  const status = sup.status();
  assert.deepEqual(
    status.map((s) => [s.key, s.state, s.mailbox]),
    [
      ['a', 'running', 5],
      ['b', 'running', 5],
    ],
  );
  await Promise.all(sends);
  await sup.stopAll({ drain: true });
  assert.deepEqual(seen.get('a'), [1, 2, 3, 4, 5]);
  assert.deepEqual(seen.get('b'), [10, 20, 30, 40, 50]);
  assert.deepEqual(sup.status(), []);
});
