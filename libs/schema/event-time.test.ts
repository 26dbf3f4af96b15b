import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkEventTime, DEFAULT_MAX_FUTURE_SKEW_MS, MIN_EVENT_TIME_MS } from './event-time.ts';

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
const SKEW = DEFAULT_MAX_FUTURE_SKEW_MS;
const reasonAt = (t: number, now = NOW, skew = SKEW): string =>
  checkEventTime(t, now, skew)?.reason ?? 'ok';

test('a year-2100 reading is future; now, the recent past and small skew are fine', () => {
  assert.equal(reasonAt(Date.UTC(2100, 0, 1)), 'future');
  assert.equal(reasonAt(NOW + SKEW + 1), 'future');
  assert.equal(reasonAt(NOW + SKEW), 'ok');
  assert.equal(reasonAt(NOW), 'ok');
  assert.equal(reasonAt(Date.UTC(2024, 0, 1)), 'ok');
  assert.equal(reasonAt(MIN_EVENT_TIME_MS), 'ok');
});

test('0, seconds sent as milliseconds and anything before 2000 are invalid_timestamp', () => {
  assert.equal(reasonAt(0), 'invalid_timestamp');
  assert.equal(reasonAt(Math.floor(NOW / 1000)), 'invalid_timestamp');
  assert.equal(reasonAt(MIN_EVENT_TIME_MS - 1), 'invalid_timestamp');
  assert.equal(reasonAt(-1), 'invalid_timestamp');
});

test('the detail names the time and the clock it was compared with', () => {
  const r = checkEventTime(Date.UTC(2100, 0, 1), NOW, SKEW);
  assert.match(r?.detail ?? '', /2100-01-01T00:00:00\.000Z.*600000 ms.*2026-11-26T12:00:00\.000Z/);
});

test('property: accepted exactly when 2000 <= t <= now + skew', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 2 * NOW }),
      fc.integer({ min: MIN_EVENT_TIME_MS, max: 2 * NOW }),
      fc.integer({ min: 0, max: 24 * 3_600_000 }),
      (t, now, skew) => {
        const reason = reasonAt(t, now, skew);
        const expected =
          t < MIN_EVENT_TIME_MS ? 'invalid_timestamp' : t > now + skew ? 'future' : 'ok';
        assert.equal(reason, expected);
      },
    ),
    { numRuns: 2000 },
  );
});
