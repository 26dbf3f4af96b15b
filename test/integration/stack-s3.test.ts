// The S3 server (checkpoint storage) is real S3 API: put, get, list and delete objects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { stack, uniqueName } from '../support/stack.ts';

test('S3: @aws-sdk/client-s3 puts, gets, lists and deletes objects in the bucket', async () => {
  const s3 = new S3Client({
    endpoint: stack.s3Endpoint,
    region: stack.s3Region,
    forcePathStyle: true,
    // S3Proxy (like several S3-compatible servers) rejects the SDK's default flexible checksums.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    credentials: { accessKeyId: stack.s3AccessKey, secretAccessKey: stack.s3SecretKey },
  });
  const prefix = `${uniqueName('stack-test')}/`;
  const Bucket = stack.s3Bucket;
  try {
    for (const name of ['a.json', 'b.json']) {
      await s3.send(
        new PutObjectCommand({ Bucket, Key: prefix + name, Body: JSON.stringify({ name }) }),
      );
    }
    const got = await s3.send(new GetObjectCommand({ Bucket, Key: `${prefix}b.json` }));
    assert.deepEqual(JSON.parse(await got.Body!.transformToString()), { name: 'b.json' });

    const listed = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: prefix }));
    assert.deepEqual(
      (listed.Contents ?? []).map((o) => o.Key),
      [`${prefix}a.json`, `${prefix}b.json`],
    );

    await s3.send(new DeleteObjectCommand({ Bucket, Key: `${prefix}a.json` }));
    const after = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: prefix }));
    assert.deepEqual(
      (after.Contents ?? []).map((o) => o.Key),
      [`${prefix}b.json`],
    );
  } finally {
    await s3.send(new DeleteObjectCommand({ Bucket, Key: `${prefix}b.json` })).catch(() => {});
    s3.destroy();
  }
});
