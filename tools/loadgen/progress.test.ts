import { test } from 'node:test';
import assert from 'node:assert/strict';
import { achievedRate, formatProgress } from './progress.ts';

test('progress line: counts, rate, ETA at the slower of achieved and target', () => {
  assert.equal(
    formatProgress({
      sent: 12_000,
      acked: 10_000,
      total: 100_000,
      elapsedMs: 1_000,
      targetRate: 5_000,
    }),
    'sent 12000/100000 (12.0%), acked 10000, 10000 msg/s (target 5000), ETA 18s',
  );
  assert.equal(
    formatProgress({ sent: 0, acked: 0, total: 9_000_000, elapsedMs: 0, targetRate: 30_000 }),
    'sent 0/9000000 (0.0%), acked 0, 0 msg/s (target 30000), ETA ?',
  );
  assert.match(
    formatProgress({ sent: 1e6, acked: 1e6, total: 9e6, elapsedMs: 40_000, targetRate: 30_000 }),
    /25000 msg\/s .* ETA 5m20s$/,
  );
  assert.equal(achievedRate(3000, 0), 0);
});
