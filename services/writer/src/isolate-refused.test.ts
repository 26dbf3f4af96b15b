import { test } from 'node:test';
import assert from 'node:assert/strict';
import { insertIsolatingRefused } from './isolate-refused.ts';

class Refusal extends Error {}
const isRefusal = (err: unknown) => err instanceof Refusal;

/** A table that refuses any insert containing one of `bad` (one block: all or nothing). */
function table(bad: ReadonlySet<number>) {
  const written: number[] = [];
  let inserts = 0;
  return {
    written,
    inserts: () => inserts,
    insert: async (xs: readonly number[]) => {
      inserts++;
      const b = xs.find((x) => bad.has(x));
      if (b !== undefined) throw new Refusal(`row ${b} refused`);
      written.push(...xs);
    },
  };
}

test('an accepted batch is one insert and nothing is refused', async () => {
  const t = table(new Set());
  assert.deepEqual(await insertIsolatingRefused([1, 2, 3], t.insert, isRefusal), []);
  assert.deepEqual(t.written, [1, 2, 3]);
  assert.equal(t.inserts(), 1);
});

test('bisection writes every good row and returns exactly the refused ones, with their error', async () => {
  const items = Array.from({ length: 1000 }, (_, i) => i);
  const bad = new Set([0, 377, 378, 999]);
  const t = table(bad);
  const refused = await insertIsolatingRefused(items, t.insert, isRefusal);
  assert.deepEqual(
    refused.map((r) => r.item),
    [0, 377, 378, 999],
  );
  assert.equal((refused[1]?.error as Error).message, 'row 377 refused');
  assert.deepEqual(
    [...t.written].sort((a, b) => a - b),
    items.filter((i) => !bad.has(i)),
  );
  // About 2·k·log2(n) inserts, far fewer than one per row.
  assert.ok(t.inserts() < 2 * bad.size * Math.log2(items.length) + 1, `${t.inserts()} inserts`);
});

test('a batch every row of which is refused returns them all', async () => {
  const t = table(new Set([1, 2, 3]));
  const refused = await insertIsolatingRefused([1, 2, 3], t.insert, isRefusal);
  assert.deepEqual(
    refused.map((r) => r.item),
    [1, 2, 3],
  );
  assert.deepEqual(t.written, []);
});

test('an error that is not a refusal is rethrown, never bisected', async () => {
  let inserts = 0;
  const insert = async () => {
    inserts++;
    throw new Error('ECONNREFUSED');
  };
  await assert.rejects(insertIsolatingRefused([1, 2, 3, 4], insert, isRefusal), /ECONNREFUSED/);
  assert.equal(inserts, 1);
});

test('nothing to insert: no insert at all', async () => {
  const t = table(new Set());
  assert.deepEqual(await insertIsolatingRefused([], t.insert, isRefusal), []);
  assert.equal(t.inserts(), 0);
});
