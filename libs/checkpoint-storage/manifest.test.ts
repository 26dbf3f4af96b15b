import { test } from 'node:test';
import assert from 'node:assert/strict';
import { epochDir, parseEpochKey, partPath } from './layout.ts';
import { ManifestFormatError, parseManifest, selectExpired, type Manifest } from './manifest.ts';

const sha = 'a'.repeat(64);

function manifest(epoch: number, kind: Manifest['kind'] = 'checkpoint', name?: string): Manifest {
  return {
    epoch,
    startedAt: '2024-01-01T00:00:00.000Z',
    completedAt: '2024-01-01T00:00:01.000Z',
    kind,
    ...(name === undefined ? {} : { name }),
    parts: [{ service: 'aggregator', partition: 0, key: 'k', bytes: 10, sha256: sha }],
  };
}

test('layout: keys per docs/architecture.md (checkpoints) and parsed back', () => {
  assert.equal(
    partPath({ kind: 'checkpoint', epoch: 12 }, 'aggregator', 3),
    'checkpoints/epoch-12/aggregator/3',
  );
  assert.equal(
    epochDir({ kind: 'savepoint', name: 'before-upgrade' }),
    'savepoints/before-upgrade/',
  );
  assert.deepEqual(parseEpochKey('checkpoints/epoch-12/_manifest.json'), {
    loc: { kind: 'checkpoint', epoch: 12 },
    rest: '_manifest.json',
  });
  assert.deepEqual(parseEpochKey('savepoints/x/ingest/0'), {
    loc: { kind: 'savepoint', name: 'x' },
    rest: 'ingest/0',
  });
  assert.equal(parseEpochKey('other/thing'), undefined);
  assert.throws(
    () => epochDir({ kind: 'savepoint', name: '../etc' }),
    /savepoint name "..\/etc" is not allowed/,
  );
  assert.throws(() => partPath({ kind: 'checkpoint', epoch: 1 }, 'a/b', 0), /service name/);
});

test('manifest: round trip and validation names the field', () => {
  const m = manifest(4, 'savepoint', 'sp1');
  assert.deepEqual(parseManifest(JSON.stringify(m)), m);
  assert.throws(
    () => parseManifest('{"epoch":-1}', 'here'),
    /here: invalid epoch manifest \(epoch/,
  );
  const bad = { ...manifest(1), parts: [{ ...manifest(1).parts[0], sha256: 'zz' }] };
  assert.throws(() => parseManifest(JSON.stringify(bad)), /parts\[0\]\.sha256/);
  assert.throws(
    () => parseManifest(JSON.stringify({ ...manifest(1), kind: 'savepoint' })),
    /savepoint without a name/,
  );
});

test('retention keeps the newest K checkpoints, every savepoint, sweeps only below the current epoch', () => {
  const complete = [1, 2, 3, 4, 5, 6].map((e) => manifest(e));
  complete.push(manifest(0, 'savepoint', 'old'));
  const incomplete = [
    { kind: 'checkpoint' as const, epoch: 7 }, // in progress
    { kind: 'checkpoint' as const, epoch: 0 },
    { kind: 'savepoint' as const, name: 'half' },
  ];
  assert.deepEqual(selectExpired(complete, incomplete, 3, 7), { expire: [1, 2, 3], sweep: [0] });
  assert.deepEqual(selectExpired(complete, incomplete, 10, 8), { expire: [], sweep: [0, 7] });
  assert.throws(() => selectExpired(complete, incomplete, 0, 0), /keep must be ≥ 1/);
});

test('a pinned checkpoint is kept beyond the newest K, and the others still expire', () => {
  const complete = [1, 2, 3, 4, 5, 6].map((e) => manifest(e));
  assert.deepEqual(selectExpired(complete, [], 3, 7, new Set([2])), { expire: [1, 3], sweep: [] });
  assert.deepEqual(selectExpired(complete, [], 3, 7, new Set([5])), {
    expire: [1, 2, 3],
    sweep: [],
  });
});

test('a savepoint manifest with a name the layout refuses is a ManifestFormatError (fuzz finding)', () => {
  const text = JSON.stringify({
    epoch: 5,
    startedAt: 'x',
    completedAt: 'y',
    kind: 'savepoint',
    name: '{efore-upgrade',
    parts: [],
  });
  assert.throws(
    () => parseManifest(text, 's3://b/savepoints/x/manifest.json'),
    (err: unknown) => err instanceof ManifestFormatError && /savepoint name/.test(err.message),
  );
});
