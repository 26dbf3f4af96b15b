import { test } from 'node:test';
import assert from 'node:assert/strict';

import { loadConfigOrExit } from './load-or-exit.ts';
import { int } from './spec.ts';

class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}
const exit = (code: number): never => {
  throw new Exit(code);
};

test('logs one line naming the variable and exits 1', () => {
  const lines: { msg: string; fields: Record<string, unknown> | undefined }[] = [];
  const log = {
    error: (msg: string, fields?: Record<string, unknown>) => lines.push({ msg, fields }),
  };
  assert.throws(
    () => loadConfigOrExit({ HTTP_PORT: int({ min: 0 }) }, { HTTP_PORT: 'x' }, log, exit),
    (err: unknown) => err instanceof Exit && err.code === 1,
  );
  assert.equal(lines.length, 1);
  assert.match(lines[0]?.msg ?? '', /^Invalid configuration: HTTP_PORT="x" is not an integer/);
  assert.deepEqual(lines[0]?.fields, { variables: ['HTTP_PORT'] });
});

test('returns the config when it is valid', () => {
  const log = { error: () => assert.fail('nothing to log') };
  const config = loadConfigOrExit({ N: int() }, { N: '7' }, log, exit);
  assert.equal(config.N, 7);
});
