import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Membership } from './membership.ts';
import { decodeReport, decodeTrigger, encode } from './messages.ts';

const hb = (service: string, instance: string, partitions: number[]) => ({
  service,
  instance,
  partitions,
  lastEpoch: -1,
  suspended: false,
  sentAt: 0,
});

test('membership: latest heartbeat per instance, silent instances expire, partitions once', () => {
  const m = new Membership(1000);
  m.observe(hb('ingest', 'a', [0, 1]), 0);
  m.observe(hb('ingest', 'b', [1, 2]), 500); // partition 1 moving: listed by both
  m.observe(hb('aggregator', 'a', [0]), 900);
  assert.deepEqual(
    m.participants(1000).map((p) => `${p.service}/${p.partition}`),
    ['aggregator/0', 'ingest/0', 'ingest/1', 'ingest/2'],
  );
  assert.deepEqual(
    m.live(1200).map((s) => s.instance),
    ['b', 'a'],
    'ingest/a silent for 1.2 s',
  );
  m.observe(hb('ingest', 'b', []), 1300);
  assert.deepEqual(
    m.participants(1300).map((p) => `${p.service}/${p.partition}`),
    ['aggregator/0'],
  );
});

test('messages: malformed payloads are refused naming the field', () => {
  assert.throws(
    () => decodeTrigger(encode({ epoch: 1, kind: 'savepoint', startedAt: 'x', deadline: 1 })),
    /needs "name"/,
  );
  assert.throws(
    () => decodeTrigger(new TextEncoder().encode('nope'), 's'),
    /s: malformed control message \(not JSON\)/,
  );
  assert.throws(
    () =>
      decodeReport(
        encode({
          epoch: 1,
          service: 's',
          partition: 0,
          instance: 'i',
          ok: true,
          key: 'k',
          bytes: -1,
          sha256: 'x',
        }),
      ),
    /"bytes"/,
  );
  assert.equal(
    decodeReport(
      encode({ epoch: 1, service: 's', partition: 0, instance: 'i', ok: false, error: 'e' }),
    ).ok,
    false,
  );
});
