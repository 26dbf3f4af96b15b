import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Logger } from './logger.ts';
import { Readiness } from './readiness.ts';
import { whenReachable } from './when-reachable.ts';

function context() {
  const lines: Record<string, unknown>[] = [];
  const readiness = new Readiness({ timeoutMs: 50 });
  const log = new Logger({
    service: 't',
    stream: { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  const reports: Awaited<ReturnType<Readiness['evaluate']>>[] = [];
  const ctx = {
    readiness,
    log,
    redact: (text: string) => text.replaceAll('pw', '***'),
    // Instead of sleeping: what /readyz says while it waits.
    delay: async () => void reports.push(await readiness.evaluate()),
  };
  return { ctx, lines, reports, readiness };
}
const away = Object.assign(new Error('connect ECONNREFUSED http://u:pw@s3:9000'), {
  transient: true,
});

test('waits through transient failures, not ready meanwhile, then ready', async () => {
  const { ctx, lines, reports, readiness } = context();
  let calls = 0;
  const result = await whenReachable(
    ctx,
    {
      check: 's3',
      what: 'S3',
      fields: { endpoint: 'http://s3:9000' },
      transient: (e) => (e as { transient?: boolean }).transient === true,
    },
    () => (++calls < 3 ? Promise.reject(away) : Promise.resolve('listed')),
  );
  assert.equal(result, 'listed');
  assert.equal(calls, 3);
  assert.equal(reports.length, 2);
  for (const r of reports) {
    assert.deepEqual(r.failing, ['s3']);
    assert.match(r.checks[0]!.reason ?? '', /ECONNREFUSED http:\/\/u:\*\*\*@s3/, 'redacted');
  }
  assert.deepEqual(
    lines.map((l) => [l.msg, l.endpoint, l.attempt]),
    [
      ['S3 is not reachable yet; waiting for it before starting', 'http://s3:9000', 1],
      ['S3 is not reachable yet; waiting for it before starting', 'http://s3:9000', 2],
    ],
  );
  assert.equal((await readiness.evaluate()).ready, true);
});

test('a refusal is thrown at once, without waiting', async () => {
  const { ctx, reports } = context();
  const refused = new Error('403 InvalidAccessKeyId');
  await assert.rejects(
    whenReachable(ctx, { check: 's3', what: 'S3', transient: () => false }, () =>
      Promise.reject(refused),
    ),
    refused,
  );
  assert.equal(reports.length, 0);
});
