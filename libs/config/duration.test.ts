import { test } from 'node:test';
import assert from 'node:assert/strict';

import { formatDuration, parseDuration } from './duration.ts';

test('parses the units operators write', () => {
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('1s'), 1000);
  assert.equal(parseDuration('60s'), 60_000);
  assert.equal(parseDuration('1.5s'), 1500);
  assert.equal(parseDuration('5m'), 300_000);
  assert.equal(parseDuration('1h'), 3_600_000);
  assert.equal(parseDuration('0s'), 0);
});

test('rejects what is not a duration', () => {
  for (const text of ['', '10', 's', '1 s', '-1s', '1d', '1sec', '1s5ms']) {
    assert.equal(parseDuration(text), undefined, text);
  }
});

test('formats with the largest exact unit', () => {
  assert.equal(formatDuration(60_000), '1m');
  assert.equal(formatDuration(1500), '1500ms');
  assert.equal(formatDuration(10_000), '10s');
  assert.equal(formatDuration(0), '0ms');
});
