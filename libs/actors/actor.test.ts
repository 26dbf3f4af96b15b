import { test } from 'node:test';
import assert from 'node:assert/strict';

import { Actor, ActorStoppedError, type ActorExit } from './actor.ts';

const tick = () => new Promise<void>((r) => setImmediate(r));

/** A gate the behavior waits on, opened by the test. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

test('processes messages in send order and never two batches at once', async () => {
  const seen: number[] = [];
  let inFlight = false;
  const actor = new Actor<number>(
    {
      handle: async (batch) => {
        assert.equal(inFlight, false, 'two batches of one actor at once');
        inFlight = true;
        await new Promise((r) => setTimeout(r, Math.random() * 2));
        seen.push(...batch);
        inFlight = false;
      },
    },
    { name: 'order', maxBatch: 7, capacity: 2 },
  );
  // Three producers send while batches run, some waiting for room (capacity 2): processing
  // order must equal the order of the send() calls.
  const called: number[] = [];
  const producer = async (id: number) => {
    for (let i = 0; i < 200; i++) {
      const msg = id * 1000 + i;
      called.push(msg);
      const sent = actor.send(msg);
      if (i % 7 === 0) await new Promise((r) => setTimeout(r, 1));
      await sent;
    }
  };
  await Promise.all([producer(1), producer(2), producer(3)]);
  await actor.stop({ drain: true });
  assert.equal(seen.length, 600);
  assert.deepEqual(seen, called);
});

test('drains queued messages as micro-batches of at most maxBatch', async () => {
  const batches: number[][] = [];
  const actor = new Actor<number>(
    { handle: (b) => void batches.push([...b]) },
    { name: 'batch', maxBatch: 10 },
  );
  for (let i = 0; i < 25; i++) void actor.send(i);
  await actor.stop({ drain: true });
  assert.deepEqual(
    batches.map((b) => b.length),
    [10, 10, 5],
  );
  assert.deepEqual(
    batches.flat(),
    Array.from({ length: 25 }, (_, i) => i),
  );
  assert.deepEqual(actor.stats(), {
    name: 'batch',
    state: 'stopped',
    mailbox: 0,
    processed: 25,
    batches: 3,
    lastBatchSize: 5,
  });
});

test('a full mailbox makes send wait until there is room', async () => {
  const g = gate();
  const seen: string[] = [];
  const actor = new Actor<string>(
    {
      handle: async (batch) => {
        if (batch[0] === 'a') await g.opened;
        seen.push(...batch);
      },
    },
    { name: 'bp', maxBatch: 1, capacity: 2 },
  );
  await actor.send('a');
  await tick(); // 'a' is taken and blocks the actor
  await actor.send('b');
  await actor.send('c');
  let dAccepted = false;
  const d = actor.send('d').then(() => (dAccepted = true));
  let eAccepted = false;
  const e = actor.send('e').then(() => (eAccepted = true));
  for (let i = 0; i < 5; i++) await tick();
  assert.equal(dAccepted, false, 'd must wait while the mailbox is full');
  assert.equal(eAccepted, false);
  assert.equal(actor.mailboxSize, 4);

  g.open();
  await d;
  await e;
  await actor.stop({ drain: true });
  assert.deepEqual(seen, ['a', 'b', 'c', 'd', 'e']);
});

test('a failing behavior fails the actor, drops the rest and refuses new messages', async () => {
  const seen: string[] = [];
  let closedWith: ActorExit | undefined;
  const actor = new Actor<string>(
    {
      handle: (batch) => {
        if (batch.includes('bad')) throw new Error('poison');
        seen.push(...batch);
      },
      close: (exit) => void (closedWith = exit),
    },
    { name: 'p/3', maxBatch: 1 },
  );
  for (const m of ['ok', 'bad', 'x', 'y']) void actor.send(m);
  const exit = await actor.done;
  assert.equal(exit.state, 'failed');
  assert.equal((exit.error as Error).message, 'poison');
  assert.equal(exit.unprocessed, 3);
  assert.deepEqual(seen, ['ok']);
  assert.deepEqual(closedWith, exit);
  await assert.rejects(actor.send('later'), (err: unknown) => {
    assert.ok(err instanceof ActorStoppedError);
    assert.equal(err.message, 'actor p/3 is failed: message not processed');
    return true;
  });
});

test('senders waiting on a failed actor are refused', async () => {
  const actor = new Actor<number>(
    {
      handle: async () => {
        await tick();
        throw new Error('down');
      },
    },
    { name: 'w', maxBatch: 1, capacity: 1 },
  );
  await actor.send(1);
  await tick();
  await actor.send(2);
  const waiting = actor.send(3);
  await assert.rejects(waiting, ActorStoppedError);
  assert.equal((await actor.done).unprocessed, 3);
});

test('stop lets the batch in progress finish and drops the rest', async () => {
  const g = gate();
  const seen: number[] = [];
  let closes = 0;
  const actor = new Actor<number>(
    {
      handle: async (batch) => {
        await g.opened;
        seen.push(...batch);
      },
      close: () => void (closes += 1),
    },
    { name: 's', maxBatch: 1, capacity: 2 },
  );
  await actor.send(1);
  await tick();
  await actor.send(2);
  await actor.send(3);
  const refused = actor.send(4);
  const stopped = actor.stop();
  assert.equal(actor.state, 'stopping');
  await assert.rejects(refused, ActorStoppedError);
  await assert.rejects(actor.send(5), /is stopping/);
  g.open();
  const exit = await stopped;
  assert.deepEqual(exit, { state: 'stopped', unprocessed: 2 });
  assert.deepEqual(seen, [1]);
  assert.equal(closes, 1);
  assert.equal(await actor.stop(), exit, 'stop again returns the same exit');
});

test('stop with drain processes everything accepted first', async () => {
  const seen: number[] = [];
  const actor = new Actor<number>(
    { handle: (b) => void seen.push(...b) },
    { name: 'd', maxBatch: 2, capacity: 2 },
  );
  const sends = [1, 2, 3, 4, 5].map((n) => actor.send(n));
  const exit = await actor.stop({ drain: true });
  await Promise.all(sends);
  assert.deepEqual(exit, { state: 'stopped', unprocessed: 0 });
  assert.deepEqual(seen, [1, 2, 3, 4, 5]);
});

test('a close error is reported in the exit, not thrown', async () => {
  const actor = new Actor<number>(
    {
      handle: () => {},
      close: () => {
        throw new Error('close failed');
      },
    },
    { name: 'c' },
  );
  const exit = await actor.stop();
  assert.equal(exit.state, 'stopped');
  assert.equal((exit.closeError as Error).message, 'close failed');
});

test('bad options are rejected', () => {
  assert.throws(() => new Actor({ handle: () => {} }, { name: 'x', capacity: 0 }), /at least 1/);
});
