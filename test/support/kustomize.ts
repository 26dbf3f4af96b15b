// Renders a kustomization the way `kubectl kustomize` does, for the subset k8s/ uses, so
// the tests check what a cluster would get without kubectl (Debian's is 1.20, whose
// kustomize predates `patches`). Supported: `resources` (YAML files and directories holding
// a kustomization.yaml), `patches` given by `path` (a strategic merge patch, applied to the
// object of the same kind and name: maps merge, null deletes, the lists below merge their
// items by name, other lists are replaced) and `images` (newName, newTag). Anything else
// throws, so an overlay can never use a feature this file would silently ignore.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export type Obj = Record<string, unknown>;

const KUSTOMIZATION_KEYS = new Set(['apiVersion', 'kind', 'resources', 'patches', 'images']);
// Lists Kubernetes merges by `name` in a strategic merge patch (patchMergeKey: name).
const MERGE_BY_NAME = new Set(['containers', 'initContainers', 'env', 'volumes']);

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every non-empty YAML document of a file. */
export function readYamlDocs(file: string): Obj[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).flatMap((d) => {
    if (d.errors.length > 0)
      throw new Error(`${file}: ${d.errors.map((e) => e.message).join('; ')}`);
    const js: unknown = d.toJS();
    if (js === null) return [];
    if (!isObj(js)) throw new Error(`${file}: a document is not a mapping`);
    return [js];
  });
}

const key = (o: Obj) => `${String(o.kind)}/${String((o.metadata as Obj | undefined)?.name)}`;

/** A strategic merge of `patch` into `base` (new object; `base` is left alone). */
export function mergePatch(base: unknown, patch: unknown, field = ''): unknown {
  if (isObj(base) && isObj(patch)) {
    const out: Obj = { ...base };
    for (const [k, v] of Object.entries(patch)) {
      if (v === null) delete out[k];
      else out[k] = k in base ? mergePatch(base[k], v, k) : v;
    }
    return out;
  }
  if (Array.isArray(base) && Array.isArray(patch)) {
    if (!MERGE_BY_NAME.has(field))
      throw new Error(
        `a patch replaces the list "${field}": this renderer merges only ${[...MERGE_BY_NAME].join(', ')}`,
      );
    const out = [...base] as Obj[];
    for (const item of patch as Obj[]) {
      const at = out.findIndex((b) => b.name === item.name);
      if (at < 0) out.push(item);
      else out[at] = mergePatch(out[at], item) as Obj;
    }
    return out;
  }
  return patch;
}

function setImages(doc: Obj, images: readonly Obj[]): Obj {
  const spec = ((doc.spec as Obj | undefined)?.template as Obj | undefined)?.spec as
    Obj | undefined;
  if (spec === undefined) return doc;
  for (const list of ['containers', 'initContainers']) {
    for (const c of (spec[list] as Obj[] | undefined) ?? []) {
      const [name = ''] = String(c.image).split(':');
      const image = images.find((i) => i.name === name);
      if (image === undefined) continue;
      c.image = `${String(image.newName ?? name)}:${String(image.newTag ?? String(c.image).split(':')[1])}`;
    }
  }
  return doc;
}

/** The objects `kubectl kustomize <dir>` would print, in resource order. */
export function renderKustomization(dir: string): Obj[] {
  const [k] = readYamlDocs(join(dir, 'kustomization.yaml'));
  if (k === undefined) throw new Error(`${dir}/kustomization.yaml is empty`);
  for (const name of Object.keys(k))
    if (!KUSTOMIZATION_KEYS.has(name))
      throw new Error(`${dir}/kustomization.yaml: ${name} is not supported here`);
  let docs: Obj[] = [];
  for (const resource of (k.resources as string[] | undefined) ?? []) {
    const path = join(dir, resource);
    docs.push(...(statSync(path).isDirectory() ? renderKustomization(path) : readYamlDocs(path)));
  }
  const seen = new Set<string>();
  for (const d of docs) {
    if (seen.has(key(d))) throw new Error(`${dir}: ${key(d)} is defined twice`);
    seen.add(key(d));
  }
  for (const entry of (k.patches as Obj[] | undefined) ?? []) {
    if (typeof entry.path !== 'string' || Object.keys(entry).length !== 1)
      throw new Error(`${dir}: only patches given by path are supported`);
    for (const patch of readYamlDocs(join(dir, entry.path))) {
      const at = docs.findIndex((d) => key(d) === key(patch));
      if (at < 0) throw new Error(`${join(dir, entry.path)}: no ${key(patch)} to patch`);
      docs[at] = mergePatch(docs[at], patch) as Obj;
    }
  }
  const images = (k.images as Obj[] | undefined) ?? [];
  docs = docs.map((d) => setImages(structuredClone(d), images));
  return docs;
}
