import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs, UsageError } from './args.ts';

test('parses commands and flags', () => {
  const a = parseArgs(['savepoint', '--name', 'before-upgrade', '--timeout=90s']);
  assert.equal(a.command, 'savepoint');
  assert.equal(a.flags.get('name'), 'before-upgrade');
  assert.equal(a.flags.get('timeout'), '90s');
  assert.equal(parseArgs(['status', '--json']).flags.get('json'), true);
  assert.equal(parseArgs(['restore', '--from', '12']).flags.get('from'), '12');
  const t = parseArgs(['topics', 'ensure', '--repartition-records']);
  assert.equal(t.command, 'topics');
  assert.equal(t.flags.get('repartition-records'), true);
});

test('usage errors say what is wrong', () => {
  assert.throws(() => parseArgs([]), UsageError);
  assert.throws(() => parseArgs(['frobnicate']), /unknown command "frobnicate"/);
  assert.throws(() => parseArgs(['restore']), /restore needs --from/);
  assert.throws(() => parseArgs(['savepoint', '--name']), /--name needs a value/);
  assert.throws(() => parseArgs(['status', '--bogus']), /unknown option --bogus/);
  assert.throws(() => parseArgs(['topics']), /topics needs one of: ensure/);
  assert.throws(() => parseArgs(['topics', 'delete']), /topics needs one of: ensure/);
});
