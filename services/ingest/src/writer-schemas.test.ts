import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdminError, ConnectionError, type RegisteredSchema } from '@iot/pulsar';
import { WriterSchemas, type SchemaRegistry } from './writer-schemas.ts';

const v = (n: number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt(n));
  return b;
};

function registry(answers: ((version: number) => RegisteredSchema | Error)[]) {
  const calls: string[] = [];
  const r: SchemaRegistry = {
    getSchema: (topic, version) => {
      calls.push(`${topic}@${version.readBigInt64BE()}`);
      const next = answers.length > 1 ? answers.shift()! : answers[0]!;
      const a = next(Number(version.readBigInt64BE()));
      return a instanceof Error ? Promise.reject(a) : Promise.resolve(a);
    },
  };
  return { r, calls };
}

const avro = (version: number): RegisteredSchema => ({
  type: 'AVRO',
  data: `{"type":"record","name":"V${version}","fields":[]}`,
  version,
  properties: {},
});
const noWait = { wait: () => Promise.resolve() };

test('an AVRO version resolves to its schema text, once per topic and version (partitions share it)', async () => {
  const { r, calls } = registry([avro]);
  const schemas = new WriterSchemas(r, noWait);
  assert.deepEqual(await schemas.resolve('t-partition-0', v(1)), {
    ok: true,
    schema: avro(1).data,
  });
  await schemas.resolve('t-partition-3', v(1));
  await schemas.resolve('t-partition-0', v(2));
  assert.deepEqual(calls, ['t-partition-0@1', 't-partition-0@2']);
});

test('a registry type other than AVRO resolves without a writer schema (decoded as usual)', async () => {
  const { r } = registry([() => ({ type: 'JSON', data: '{}', version: 0, properties: {} })]);
  assert.deepEqual(await new WriterSchemas(r, noWait).resolve('t', v(0)), {
    ok: true,
    schema: undefined,
  });
});

test('a version the registry does not know is permanent: a rejection detail, asked once', async () => {
  const { r, calls } = registry([() => new AdminError('GET …: HTTP 404: Not Found', 404)]);
  const schemas = new WriterSchemas(r, noWait);
  const w = await schemas.resolve('t', v(7));
  assert.equal(w.ok, false);
  assert.match(
    !w.ok ? w.detail : '',
    /schema version 0x0000000000000007 of t is not in the schema registry/,
  );
  await schemas.resolve('t', v(7));
  assert.equal(calls.length, 1);
});

test('transient admin errors back off and retry; after the last attempt the error is thrown, not cached', async () => {
  const waits: number[] = [];
  const down = () => new ConnectionError('connect ECONNREFUSED');
  const { r, calls } = registry([down, () => new AdminError('HTTP 503', 503), avro]);
  const schemas = new WriterSchemas(r, { wait: (ms) => (waits.push(ms), Promise.resolve()) });
  assert.deepEqual(await schemas.resolve('t', v(1)), { ok: true, schema: avro(1).data });
  assert.equal(calls.length, 3);
  assert.equal(waits.length, 2);
  assert.ok(waits[1]! > waits[0]!, `backoff grows: ${waits.join(', ')}`);

  const always = registry([down]);
  const failing = new WriterSchemas(always.r, { attempts: 3, ...noWait });
  await assert.rejects(failing.resolve('t', v(1)), ConnectionError);
  await assert.rejects(failing.resolve('t', v(1)), ConnectionError);
  assert.equal(always.calls.length, 6);
});
