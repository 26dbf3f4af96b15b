import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergePatch } from './kustomize.ts';

test('mergePatch: maps merge, null deletes, containers and env merge by name', () => {
  const base = {
    spec: {
      replicas: 2,
      template: {
        spec: {
          containers: [
            { name: 'a', image: 'x:1', env: [{ name: 'K', value: '1' }] },
            { name: 'b', image: 'y:1' },
          ],
        },
      },
    },
  };
  const patched = mergePatch(base, {
    spec: {
      replicas: null,
      template: { spec: { containers: [{ name: 'a', env: [{ name: 'L', value: '2' }] }] } },
    },
  });
  assert.deepEqual(patched, {
    spec: {
      template: {
        spec: {
          containers: [
            {
              name: 'a',
              image: 'x:1',
              env: [
                { name: 'K', value: '1' },
                { name: 'L', value: '2' },
              ],
            },
            { name: 'b', image: 'y:1' },
          ],
        },
      },
    },
  });
  assert.equal(base.spec.replicas, 2, 'the base is left alone');
});

test('mergePatch refuses to patch a list it cannot merge the way kustomize does', () => {
  assert.throws(() => mergePatch({ ports: [{ containerPort: 1 }] }, { ports: [] }), /"ports"/);
});
