// Every object the three kustomizations render (k8s/base, k8s/overlays/laptop,
// k8s/overlays/production; test/support/kustomize.ts) validated against the Kubernetes
// OpenAPI schemas, and KEDA's against its CRD schemas: the JSON schemas that the
// kubernetes-models and @kubernetes-models/keda packages ship, through their validate().
// Types, required fields and enums are checked; like kubeconform without -strict, a field the
// schema does not know is not an error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { renderKustomization, type Obj } from '../support/kustomize.ts';

const k8sDir = fileURLToPath(new URL('../../k8s/', import.meta.url));

interface Model {
  validate(): void;
}
type ModelClass = new (data: Obj) => Model;

/** The package module of an apiVersion's models: 'apps/v1' → kubernetes-models/apps/v1. */
function modelModule(apiVersion: string): string {
  if (apiVersion.startsWith('keda.sh/')) return `@kubernetes-models/keda/${apiVersion}`;
  return `kubernetes-models/${apiVersion}`;
}

async function modelOf(apiVersion: string, kind: string): Promise<ModelClass> {
  const mod = (await import(modelModule(apiVersion))) as Record<string, unknown>;
  const model = mod[kind];
  assert.equal(typeof model, 'function', `a schema for ${apiVersion} ${kind}`);
  return model as ModelClass;
}

for (const r of ['base', 'overlays/laptop', 'overlays/production']) {
  test(`k8s ${r}: every rendered object is valid against its schema`, async () => {
    const docs = renderKustomization(join(k8sDir, r));
    assert.ok(docs.length >= 10);
    for (const doc of docs) {
      const Model = await modelOf(String(doc.apiVersion), String(doc.kind));
      const what = `${String(doc.kind)} ${String((doc.metadata as Obj).name)}`;
      assert.doesNotThrow(() => new Model(doc).validate(), `${r}: ${what}`);
    }
  });
}

test('the validation rejects what a cluster would reject', async () => {
  const [deployment] = renderKustomization(join(k8sDir, 'base')).filter(
    (d) => d.kind === 'Deployment',
  );
  assert.ok(deployment);
  const Deployment = await modelOf('apps/v1', 'Deployment');
  const bad = structuredClone(deployment);
  (bad.spec as Obj).replicas = 'two';
  assert.throws(() => new Deployment(bad).validate(), /replicas must be integer/);
  const ScaledObject = await modelOf('keda.sh/v1alpha1', 'ScaledObject');
  assert.throws(
    () => new ScaledObject({ metadata: { name: 'x' }, spec: { triggers: [] } }).validate(),
    /scaleTargetRef/,
  );
});
