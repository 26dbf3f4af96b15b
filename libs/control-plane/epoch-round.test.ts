import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EpochRound } from './epoch-round.ts';
import type { ReportMsg } from './messages.ts';

const sha = 'b'.repeat(64);
const expected = [
  { service: 'ingest', partition: 0 },
  { service: 'ingest', partition: 1 },
  { service: 'aggregator', partition: 0 },
];

function ok(service: string, partition: number, epoch = 5): ReportMsg & { ok: true } {
  return {
    epoch,
    service,
    partition,
    instance: 'i1',
    ok: true,
    key: `k/${service}/${partition}`,
    bytes: 10,
    sha256: sha,
  };
}

test('completes when every expected partition reported; parts sorted', () => {
  const r = new EpochRound({ epoch: 5, kind: 'checkpoint', expected, deadline: 1000 });
  assert.equal(r.report(ok('ingest', 1), 10), undefined);
  assert.equal(r.report(ok('aggregator', 0), 20), undefined);
  assert.deepEqual(r.missing, [{ service: 'ingest', partition: 0 }]);
  const out = r.report(ok('ingest', 0), 30);
  assert.equal(out?.status, 'complete');
  assert.deepEqual(
    out.parts.map((p) => `${p.service}/${p.partition}`),
    ['aggregator/0', 'ingest/0', 'ingest/1'],
  );
  assert.equal(r.tick(5000), out, 'decided for good');
});

test('reports of other epochs and duplicates do not count twice', () => {
  const r = new EpochRound({
    epoch: 5,
    kind: 'checkpoint',
    expected: expected.slice(0, 2),
    deadline: 1000,
  });
  r.report(ok('ingest', 0, 4), 1);
  r.report(ok('ingest', 0), 2);
  assert.equal(r.report({ ...ok('ingest', 0), key: 'other' }, 3), undefined);
  assert.deepEqual(r.missing, [{ service: 'ingest', partition: 1 }]);
  const out = r.report(ok('ingest', 1), 4);
  assert.equal(out?.status, 'complete');
  assert.equal(out.parts[0]?.key, 'k/ingest/0');
});

test('a report from an unexpected partition is kept, but not waited for', () => {
  const r = new EpochRound({
    epoch: 5,
    kind: 'checkpoint',
    expected: expected.slice(0, 1),
    deadline: 1000,
  });
  r.report(ok('aggregator', 7), 1);
  const out = r.report(ok('ingest', 0), 2);
  assert.equal(out?.status, 'complete');
  assert.equal(out.parts.length, 2);
});

test('abandons at the deadline naming who is missing', () => {
  const r = new EpochRound({ epoch: 5, kind: 'checkpoint', expected, deadline: 1000 });
  r.report(ok('ingest', 0), 10);
  assert.equal(r.tick(1000), undefined, 'at the deadline still open');
  const out = r.tick(1001);
  assert.equal(out?.status, 'abandoned');
  assert.match(
    out.status === 'abandoned' ? out.reason : '',
    /timed out waiting for 2 partition\(s\): ingest\/1, aggregator\/0/,
  );
  assert.equal(r.report(ok('ingest', 1), 1002), out, 'late reports change nothing');
});

test('an error report abandons at once', () => {
  const r = new EpochRound({ epoch: 5, kind: 'savepoint', name: 'x', expected, deadline: 1000 });
  const out = r.report(
    { epoch: 5, service: 'ingest', partition: 1, instance: 'i9', ok: false, error: 'S3 down' },
    5,
  );
  assert.equal(out?.status, 'abandoned');
  assert.match(
    out.status === 'abandoned' ? out.reason : '',
    /ingest\/1 \(instance i9\) failed its snapshot: S3 down/,
  );
});

test('no participants: abandoned from the start', () => {
  const r = new EpochRound({ epoch: 1, kind: 'checkpoint', expected: [], deadline: 1000 });
  assert.equal(r.outcome?.status, 'abandoned');
});
