import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashTagOf } from './redis-client.ts';

test('the hash tag is what Redis Cluster hashes: the first non-empty {…}, else the key', () => {
  assert.equal(hashTagOf('iot:aggregator:{3}:entries'), '3');
  assert.equal(hashTagOf('run-x:ingest:{12}:epoch'), '12');
  assert.equal(hashTagOf('plain'), 'plain');
  assert.equal(hashTagOf('a{}b{c}'), 'a{}b{c}', 'an empty first tag means no tag');
  assert.equal(hashTagOf('a{b}{c}'), 'b', 'only the first');
  assert.equal(hashTagOf('a{b'), 'a{b');
});
