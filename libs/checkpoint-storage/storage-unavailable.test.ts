import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CheckpointStorageError, isStorageUnavailable } from './checkpoint-store.ts';

const wrapped = (cause: unknown) =>
  new CheckpointStorageError('listing s3://b/p/ failed: …', { cause });
const sdkError = (name: string, httpStatusCode?: number) =>
  Object.assign(new Error(name), { name, $metadata: { httpStatusCode } });

test('storage away: unreachable, timing out or answering 5xx', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9000'), {
    code: 'ECONNREFUSED',
  });
  assert.equal(isStorageUnavailable(wrapped(refused)), true);
  assert.equal(isStorageUnavailable(wrapped(sdkError('TimeoutError'))), true);
  assert.equal(isStorageUnavailable(wrapped(sdkError('ServiceUnavailable', 503))), true);
  assert.equal(isStorageUnavailable(wrapped(sdkError('Whatever', 502))), true);
});

test('storage refusing: waiting would not help', () => {
  assert.equal(isStorageUnavailable(wrapped(sdkError('InvalidAccessKeyId', 403))), false);
  assert.equal(isStorageUnavailable(wrapped(sdkError('NoSuchBucket', 404))), false);
  assert.equal(isStorageUnavailable(wrapped(new TypeError('bad'))), false);
  assert.equal(isStorageUnavailable('text'), false);
  assert.equal(isStorageUnavailable(undefined), false);
});
