import { test } from 'node:test';
import assert from 'node:assert/strict';

import { redact, redactError, redactUrls } from './redact.ts';
import { secretValues, str, url } from './spec.ts';

test('passwords in URLs are masked, user names kept; a lone userinfo is a token', () => {
  assert.equal(
    redactUrls('cannot reach redis://:hunter22@10.0.0.1:6379 or nats://svc:pw%40x@nats:4222'),
    'cannot reach redis://:***@10.0.0.1:6379 or nats://svc:***@nats:4222',
  );
  assert.equal(
    redactUrls('"url":"http://writer:s3cr3t@ch:8123/db"'),
    '"url":"http://writer:***@ch:8123/db"',
  );
  assert.equal(
    redactUrls('pulsar+ssl://eyJhbGciOi.x.y@broker:6651'),
    'pulsar+ssl://***@broker:6651',
  );
  assert.equal(
    redactUrls('jdbc:clickhouse://ch:8123/db?user=w&password=topsecret&ssl=true'),
    'jdbc:clickhouse://ch:8123/db?user=w&password=***&ssl=true',
  );
  assert.equal(redactUrls('http://ch:8123/db and plain text'), 'http://ch:8123/db and plain text');
});

test('known secret values are masked wherever they appear', () => {
  assert.equal(
    redact('token abcdef123 refused; again abcdef123', ['abcdef123']),
    'token *** refused; again ***',
  );
  // Too short to search for: it would mask ordinary words.
  assert.equal(redact('a b c', ['a']), 'a b c');
});

test('redactError masks message, stack and cause, and keeps the name and code', () => {
  const cause = new Error('auth redis://:pw12345@h:1 failed');
  const err = Object.assign(new Error('connect to nats://u:pw12345@h:2', { cause }), {
    code: 'ECONNREFUSED',
  });
  err.name = 'NatsError';
  const clean = redactError(err, ['pw12345']);
  assert.equal(clean.name, 'NatsError');
  assert.equal((clean as NodeJS.ErrnoException).code, 'ECONNREFUSED');
  assert.doesNotMatch(`${clean.message}${clean.stack}${String(clean.cause)}`, /pw12345/);
  assert.match(err.message, /pw12345/, 'the original is untouched');
});

test('secretValues lists secret fields and URL passwords', () => {
  const spec = {
    TOKEN: str().secret(),
    REDIS_URL: url({ protocols: ['redis:'] }),
    NAME: str(),
  };
  const values = secretValues(spec, {
    TOKEN: 'tok-1',
    REDIS_URL: 'redis://:p%40ss@h:1',
    NAME: 'n',
  });
  assert.deepEqual(values.sort(), ['p%40ss', 'p@ss', 'tok-1']);
});
