import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isolatePoison } from './poison.ts';

/** A stateful operator like the stages' own: it sums readings and throws on a bad one. */
class SummingOperator {
  total = 0;
  runs = 0;
  constructor(readonly committed: number) {
    this.total = committed;
  }
  process(batch: readonly string[]): number {
    this.runs++;
    for (const m of batch) {
      // Half-updates its state before throwing, as a real operator can.
      this.total += 1;
      if (m.startsWith('boom')) throw new Error(`cannot apply ${m}`);
      this.total += Number(m) - 1;
    }
    return this.total;
  }
}

function search(batch: readonly string[], committed = 100) {
  let op = new SummingOperator(committed);
  let resets = 0;
  const handle = {
    run: (length: number, skip: ReadonlyMap<number, Error>) =>
      op.process(batch.slice(0, length).filter((_, i) => !skip.has(i))),
    reset: () => {
      resets++;
      op = new SummingOperator(committed);
      return Promise.resolve();
    },
    get resets() {
      return resets;
    },
  };
  return handle;
}

test('a batch that runs cleanly runs once, with nothing poisoned', async () => {
  const s = search(['1', '2', '3']);
  const r = await isolatePoison(3, s);
  assert.equal(r.result, 106);
  assert.deepEqual(r.poisoned, []);
  assert.equal(s.resets, 0);
});

test('the messages the operator throws on are found, with their errors, and the rest applied once', async () => {
  const batch = ['1', '2', 'boom-a', '3', '4', 'boom-b', '5'];
  const r = await isolatePoison(batch.length, search(batch));
  assert.equal(r.result, 100 + 1 + 2 + 3 + 4 + 5, 'the half-update of the throwing run is gone');
  assert.deepEqual(
    r.poisoned.map((p) => [p.index, p.error.message]),
    [
      [2, 'cannot apply boom-a'],
      [5, 'cannot apply boom-b'],
    ],
  );
});

test('property: for any batch, exactly the bad messages are poisoned and every good one applied', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.oneof(fc.nat({ max: 9 }).map(String), fc.constant('boom')), { maxLength: 60 }),
      async (batch) => {
        const r = await isolatePoison(batch.length, search(batch, 0));
        const good = batch.filter((m) => m !== 'boom').reduce((n, m) => n + Number(m), 0);
        assert.equal(r.result, good);
        assert.deepEqual(
          r.poisoned.map((p) => p.index),
          batch.flatMap((m, i) => (m === 'boom' ? [i] : [])),
        );
      },
    ),
    { numRuns: 200 },
  );
});

test('an operator that throws without any message (its state is bad) rethrows: nothing to dead-letter', async () => {
  const failing = {
    run: () => {
      throw new Error('window state is unreadable');
    },
    reset: () => Promise.resolve(),
  };
  await assert.rejects(isolatePoison(4, failing), /window state is unreadable/);
});

test('fatal errors (fencing) are rethrown at once, without a search', async () => {
  class Fenced extends Error {}
  let runs = 0;
  const fenced = {
    run: () => {
      runs++;
      throw new Fenced('another owner');
    },
    reset: () => Promise.resolve(),
    isFatal: (e: Error) => e instanceof Fenced,
  };
  await assert.rejects(isolatePoison(8, fenced), Fenced);
  assert.equal(runs, 1);
});
