import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildEntry, packageName } from './build.ts';

test('packageName: the package a bare specifier names', () => {
  assert.equal(packageName('avsc'), 'avsc');
  assert.equal(packageName('avsc/lib/index.js'), 'avsc');
  assert.equal(packageName('@aws-sdk/client-s3'), '@aws-sdk/client-s3');
  assert.equal(
    packageName('@opentelemetry/sdk-trace-node/build/x.js'),
    '@opentelemetry/sdk-trace-node',
  );
});

test('a bundle that imports a package outside "dependencies" fails the build, naming it', async () => {
  const root = mkdtempSync(join(tmpdir(), 'iot-build-'));
  try {
    mkdirSync(join(root, 'tools/x/src'), { recursive: true });
    writeFileSync(
      join(root, 'tools/x/src/main.ts'),
      "import { parse } from 'yaml';\nimport { Redis } from 'ioredis';\nconsole.log(parse, Redis);\n",
    );
    await assert.rejects(buildEntry(root, 'tools/x', new Set(['ioredis'])), (err: Error) => {
      assert.match(
        err.message,
        /^tools\/x imports yaml, which the root package\.json does not list/,
      );
      return true;
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
