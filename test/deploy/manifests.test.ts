// Deployment files against the services' config specs: every YAML under k8s/ and
// docker-compose.yml must parse, and each service must get an environment its spec accepts,
// with every variable a deployment has to set (deploymentVariables), probes on /healthz and
// /readyz at its HTTP_PORT, resources, and its metrics Service. No cluster or Docker needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { parse, parseAllDocuments } from 'yaml';

import { deploymentVariables, loadConfig, type Spec } from '@iot/config';

import { spec as aggregator } from '../../services/aggregator/src/config.ts';
import { spec as checkpointer } from '../../services/checkpointer/src/config.ts';
import { spec as ingest } from '../../services/ingest/src/config.ts';
import { spec as writer } from '../../services/writer/src/config.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const SERVICES: Record<string, Spec> = { ingest, aggregator, writer, checkpointer };
const ALL_VARIABLES = new Set(Object.values(SERVICES).flatMap((s) => Object.keys(s)));

// Which compose service each server setting points at, and how the service must wait for it.
const SERVERS: Record<string, { host: string; dependsOn: string; condition: string }> = {
  PULSAR_URL: { host: 'pulsar', dependsOn: 'pulsar', condition: 'service_healthy' },
  PULSAR_ADMIN_URL: { host: 'pulsar', dependsOn: 'pulsar', condition: 'service_healthy' },
  CLICKHOUSE_URL: { host: 'clickhouse', dependsOn: 'clickhouse', condition: 'service_healthy' },
  REDIS_URL: { host: 'redis', dependsOn: 'redis', condition: 'service_healthy' },
  NATS_URL: { host: 'nats', dependsOn: 'nats', condition: 'service_healthy' },
  S3_ENDPOINT: {
    host: 'minio',
    dependsOn: 'minio-init',
    condition: 'service_completed_successfully',
  },
};

// ---- narrowing helpers ----------------------------------------------------------------------

type Obj = Record<string, unknown>;

function obj(value: unknown, what: string): Obj {
  assert.ok(
    typeof value === 'object' && value !== null && !Array.isArray(value),
    `${what}: expected a mapping`,
  );
  return value as Obj;
}

function list(value: unknown, what: string): unknown[] {
  assert.ok(Array.isArray(value), `${what}: expected a list`);
  return value;
}

function text(value: unknown, what: string): string {
  assert.ok(typeof value === 'string' || typeof value === 'number', `${what}: expected a scalar`);
  return String(value);
}

function at(value: unknown, path: string): unknown {
  let cur = value;
  for (const key of path.split('.')) cur = obj(cur, path)[key];
  return cur;
}

// ---- k8s ------------------------------------------------------------------------------------

const k8sDir = join(root, 'k8s');
const k8sFiles = readdirSync(k8sDir).filter((f) => /\.ya?ml$/.test(f));
const k8sDocs: { file: string; doc: Obj }[] = k8sFiles.flatMap((file) =>
  parseAllDocuments(readFileSync(join(k8sDir, file), 'utf8')).flatMap((d) => {
    assert.deepEqual(d.errors, [], `${file}: YAML errors`);
    const js: unknown = d.toJS();
    return js === null ? [] : [{ file, doc: obj(js, file) }];
  }),
);

function k8sObject(kind: string, name: string): Obj {
  const found = k8sDocs.filter(({ doc }) => doc.kind === kind && at(doc, 'metadata.name') === name);
  assert.equal(found.length, 1, `exactly one ${kind} ${name} in k8s/`);
  return (found[0] as { doc: Obj }).doc;
}

/** The environment a container sees: envFrom ConfigMaps, then env entries (secrets as placeholders). */
function containerEnv(container: Obj): Record<string, string> {
  const env: Record<string, string> = {};
  for (const source of list(container.envFrom ?? [], 'envFrom')) {
    const name = text(at(source, 'configMapRef.name'), 'envFrom.configMapRef.name');
    for (const [k, v] of Object.entries(
      obj(k8sObject('ConfigMap', name).data, `ConfigMap ${name} data`),
    )) {
      env[k] = text(v, `ConfigMap ${name} ${k}`);
    }
  }
  for (const entry of list(container.env ?? [], 'env')) {
    const e = obj(entry, 'env entry');
    const name = text(e.name, 'env name');
    if (e.value !== undefined) env[name] = text(e.value, `env ${name}`);
    else {
      const ref = obj(at(e, 'valueFrom.secretKeyRef'), `env ${name} valueFrom.secretKeyRef`);
      if (ref.optional !== true) env[name] = `secret:${text(ref.key, `env ${name} key`)}`;
    }
  }
  return env;
}

test('every YAML file under k8s/ parses into named resources in the iot-pipeline namespace', () => {
  assert.ok(k8sDocs.length > 0);
  for (const { file, doc } of k8sDocs) {
    assert.ok(
      typeof doc.apiVersion === 'string' && typeof doc.kind === 'string',
      `${file}: apiVersion and kind`,
    );
    if (doc.kind === 'Kustomization') continue;
    assert.ok(typeof at(doc, 'metadata.name') === 'string', `${file}: metadata.name`);
    if (doc.kind !== 'Namespace')
      assert.equal(at(doc, 'metadata.namespace'), 'iot-pipeline', `${file} ${String(doc.kind)}`);
  }
});

test('kustomization.yaml lists every manifest', () => {
  const kustomizations = k8sDocs.filter(({ doc }) => doc.kind === 'Kustomization');
  assert.equal(kustomizations.length, 1);
  const resources = list(kustomizations[0]?.doc.resources, 'resources').map((r) =>
    text(r, 'resource'),
  );
  const manifests = k8sFiles.filter((f) => f !== 'kustomization.yaml');
  assert.deepEqual([...resources].sort(), [...manifests].sort());
});

test('the ConfigMap sets only variables some service reads', () => {
  const data = obj(k8sObject('ConfigMap', 'iot-pipeline-config').data, 'data');
  for (const name of Object.keys(data))
    assert.ok(ALL_VARIABLES.has(name), `ConfigMap sets ${name}, which no service reads`);
});

for (const [service, spec] of Object.entries(SERVICES)) {
  test(`k8s ${service}: its spec accepts the environment and every deployment variable is set`, () => {
    const deployment = k8sObject('Deployment', service);
    const containers = list(at(deployment, 'spec.template.spec.containers'), 'containers');
    assert.equal(containers.length, 1);
    const container = obj(containers[0], 'container');
    const env = containerEnv(container);
    for (const name of deploymentVariables(spec)) {
      assert.ok(
        name in env,
        `k8s ${service}: ${name} must be set (its default only fits a developer machine)`,
      );
    }
    for (const entry of list(container.env ?? [], 'env')) {
      const name = text(obj(entry, 'env').name, 'env name');
      assert.ok(name in spec, `k8s ${service}: sets ${name}, which it does not read`);
    }
    const config = loadConfig(spec, env) as Record<string, unknown>;

    const ports = list(container.ports, 'ports').map((p) => obj(p, 'port'));
    const metrics = ports.find((p) => p.name === 'metrics');
    assert.ok(metrics, `${service}: a port named metrics`);
    assert.equal(metrics.containerPort, config.HTTP_PORT, `${service}: metrics port is HTTP_PORT`);

    for (const [probe, path] of [
      ['readinessProbe', '/readyz'],
      ['livenessProbe', '/healthz'],
    ] as const) {
      const get = obj(at(container, `${probe}.httpGet`), `${service} ${probe}.httpGet`);
      assert.equal(get.path, path, `${service} ${probe} path`);
      assert.ok(
        get.port === 'metrics' || get.port === config.HTTP_PORT,
        `${service} ${probe} port`,
      );
    }
    for (const kind of ['requests', 'limits']) {
      const r = obj(at(container, `resources.${kind}`), `${service} resources.${kind}`);
      assert.ok(
        r.cpu !== undefined && r.memory !== undefined,
        `${service}: ${kind} cpu and memory`,
      );
    }

    const labels = obj(at(deployment, 'spec.template.metadata.labels'), 'pod labels');
    const svc = k8sObject('Service', `${service}-metrics`);
    for (const [k, v] of Object.entries(obj(at(svc, 'spec.selector'), 'selector'))) {
      assert.equal(labels[k], v, `${service}-metrics selects the ${service} pods`);
    }
    const svcPorts = list(at(svc, 'spec.ports'), 'service ports').map((p) =>
      obj(p, 'service port'),
    );
    assert.ok(
      svcPorts.some((p) => p.port === config.HTTP_PORT),
      `${service}-metrics exposes HTTP_PORT`,
    );
  });
}

test('k8s: every secret a service reads comes from the Secret (key: the name in kebab case)', () => {
  for (const [service, spec] of Object.entries(SERVICES)) {
    const containers = list(
      at(k8sObject('Deployment', service), 'spec.template.spec.containers'),
      'containers',
    );
    const env = list(obj(containers[0], 'container').env ?? [], 'env').map((e) =>
      obj(e, 'env entry'),
    );
    for (const [name, field] of Object.entries(spec)) {
      if (!field.info.secret) continue;
      const entry = env.find((e) => e.name === name);
      assert.ok(entry, `k8s ${service}: ${name} is not set`);
      assert.deepEqual(
        [at(entry, 'valueFrom.secretKeyRef.name'), at(entry, 'valueFrom.secretKeyRef.key')],
        ['iot-pipeline-secrets', name.toLowerCase().replaceAll('_', '-')],
        `k8s ${service}: ${name} from the Secret`,
      );
    }
  }
});

test('k8s checkpointer runs two replicas (one leader, one standby)', () => {
  assert.equal(at(k8sObject('Deployment', 'checkpointer'), 'spec.replicas'), 2);
});

// ---- docker-compose.yml ----------------------------------------------------------------------

const composeText = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
const compose = obj(parse(composeText, { merge: true }), 'docker-compose.yml');
const composeServices = obj(compose.services, 'services');

/** Compose interpolation with the defaults written in the file (an empty shell environment). */
function interpolate(value: string): string {
  return value
    .replace(/\$\{[A-Z0-9_]+:?-([^}]*)\}/g, '$1')
    .replace(/\$\{[A-Z0-9_]+\}/g, '')
    .replace(/\$\$/g, '$');
}

function composeService(name: string): Obj {
  return obj(composeServices[name], `compose service ${name}`);
}

test('docker-compose.yml runs the real engines as designed', () => {
  const image = (name: string) => text(composeService(name).image, `${name} image`);
  // The versions the local stack, and so every test, runs.
  const stackScript = readFileSync(join(root, 'stack/stack.sh'), 'utf8');
  const pulsarVersion = /^PULSAR_VERSION="([^"]+)"/m.exec(stackScript)?.[1];
  assert.equal(image('pulsar'), `apachepulsar/pulsar:${String(pulsarVersion)}`);
  assert.match(text(composeService('pulsar').command, 'pulsar command'), /bin\/pulsar standalone/);
  assert.match(image('clickhouse'), /^clickhouse\/clickhouse-server:/);
  assert.deepEqual(list(composeService('redis').command, 'redis command').slice(1, 3), [
    '--appendonly',
    'yes',
  ]);
  assert.ok(
    list(composeService('nats').command, 'nats command').includes('-js'),
    'NATS with JetStream',
  );
  assert.match(image('minio'), /^minio\/minio:/);
  const init = list(composeService('minio-init').command, 'minio-init command').join(' ');
  assert.match(init, /mc mb --ignore-existing s3\/iot-checkpoints/);
  for (const name of ['pulsar', 'clickhouse', 'redis', 'nats', 'minio']) {
    assert.ok(composeService(name).healthcheck, `${name} has a healthcheck`);
    for (const port of list(composeService(name).ports, `${name} ports`))
      assert.match(text(port, `${name} port`), /^127\.0\.0\.1:/, `${name} binds to 127.0.0.1`);
  }
});

for (const [service, spec] of Object.entries(SERVICES)) {
  test(`compose ${service}: built from the Dockerfile, complete valid env, health check, ordered start`, () => {
    const s = composeService(service);
    assert.equal(at(s, 'build.args.SERVICE'), service);
    assert.equal(at(s, 'build.dockerfile'), 'Dockerfile');
    const env = Object.fromEntries(
      Object.entries(obj(s.environment, `${service} environment`)).map(([k, v]) => [
        k,
        interpolate(text(v, k)),
      ]),
    );
    for (const name of Object.keys(env))
      assert.ok(ALL_VARIABLES.has(name), `compose ${service}: ${name} is read by no service`);
    for (const name of deploymentVariables(spec)) {
      assert.ok(name in env && env[name] !== '', `compose ${service}: ${name} must be set`);
    }
    const config = loadConfig(spec, env) as Record<string, unknown>;
    const port = config.HTTP_PORT;

    const check = list(at(s, 'healthcheck.test'), `${service} healthcheck.test`).join(' ');
    assert.ok(
      check.includes(`http://127.0.0.1:${String(port)}/healthz`),
      `${service} healthcheck hits /healthz on HTTP_PORT`,
    );
    assert.ok(
      list(s.ports, `${service} ports`).includes(`${String(port)}:${String(port)}`),
      `${service} publishes HTTP_PORT`,
    );

    const dependsOn = obj(s.depends_on, `${service} depends_on`);
    for (const [name, server] of Object.entries(SERVERS)) {
      if (!(name in spec)) continue;
      const host = new URL(text(config[name], name)).hostname;
      assert.equal(
        host,
        server.host,
        `compose ${service}: ${name} points at the ${server.host} service`,
      );
      assert.equal(
        at(dependsOn, `${server.dependsOn}.condition`),
        server.condition,
        `compose ${service} waits for ${server.dependsOn}`,
      );
    }
  });
}

const dockerCompose = spawnSync('docker-compose', ['version'], { encoding: 'utf8' });
test(
  'docker-compose config accepts the file',
  { skip: dockerCompose.status === 0 ? false : 'docker-compose is not installed' },
  () => {
    const result = spawnSync(
      'docker-compose',
      ['-f', join(root, 'docker-compose.yml'), 'config', '-q'],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(result.status, 0, result.stderr);
  },
);

// ---- Dockerfile -------------------------------------------------------------------------------
// No Docker engine here: what can be read from the file. test/deploy/compiled.test.ts runs the
// same layout (production dependencies, dist/ only) with the local servers.

interface Stage {
  from: string;
  name: string;
  /** Instructions with continuation lines joined, comments dropped: ['RUN', 'npm ci …']. */
  steps: [string, string][];
}

function dockerStages(source: string): Stage[] {
  const stages: Stage[] = [];
  const logical = source
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((l) => l.trim() !== '');
  for (const line of logical) {
    const [, op = '', rest = ''] = /^\s*(\S+)\s+(.*)$/.exec(line) ?? [];
    if (op.toUpperCase() === 'FROM') {
      const [from = '', , name = ''] = rest.trim().split(/\s+/);
      stages.push({ from, name, steps: [] });
    } else stages.at(-1)?.steps.push([op.toUpperCase(), rest.trim()]);
  }
  return stages;
}

const stages = dockerStages(readFileSync(join(root, 'Dockerfile'), 'utf8'));
const runtime = stages.at(-1) as Stage;
const steps = (stage: Stage, op: string): string[] =>
  stage.steps.filter(([o]) => o === op).map(([, rest]) => rest);

test('Dockerfile: the runtime stage is Node 24 slim or distroless', () => {
  for (const stage of stages)
    if (!stages.some((s) => s.name === stage.from))
      assert.match(
        stage.from,
        /^(node:24-slim|gcr\.io\/distroless\/nodejs24-debian\d+)(@sha256:\w+)?$/,
      );
  assert.equal(runtime.name, 'runtime');
});

test('Dockerfile: runs the compiled service as a non-root user with node as PID 1', () => {
  const user = steps(runtime, 'USER');
  assert.equal(user.length, 1, 'one USER in the runtime stage');
  assert.match(user[0] ?? '', /^(1000(:1000)?|node)$/);
  // k8s runs the pods as uid 1000 (the base image's node user) with runAsNonRoot.
  for (const service of Object.keys(SERVICES))
    assert.equal(
      at(k8sObject('Deployment', service), 'spec.template.spec.securityContext.runAsUser'),
      1000,
    );
  assert.deepEqual(JSON.parse(steps(runtime, 'CMD')[0] ?? 'null'), ['node', 'dist/main.js']);
  assert.deepEqual(steps(runtime, 'WORKDIR').at(-1), '/app/services/${SERVICE}');
  const all = runtime.steps.map(([op, rest]) => `${op} ${rest}`).join('\n');
  assert.doesNotMatch(all, /tsx|typescript|src\/main\.ts/, 'no tsx or sources at run time');
  assert.match(all, /NODE_OPTIONS=--max-old-space-size=160/);
});

test('Dockerfile: the runtime gets production dependencies only, and dist/ from the build', () => {
  const copies = steps(runtime, 'COPY');
  const fromStage = (dest: string) => {
    const copy = copies.find((c) => c.endsWith(` ${dest}`));
    assert.ok(copy, `the runtime stage copies ${dest}`);
    const name = /--from=(\S+)/.exec(copy)?.[1];
    const stage = stages.find((s) => s.name === name);
    assert.ok(stage, `${dest} comes from a stage of this file`);
    return { copy, stage };
  };
  const deps = fromStage('./node_modules').stage;
  const install = steps(deps, 'RUN').join('\n');
  assert.match(install, /npm ci --omit=dev --ignore-scripts/);
  assert.ok(!copies.some((c) => /^(?!--from)/.test(c)), 'nothing from the build context');
  assert.match(
    fromStage('services/${SERVICE}/dist').copy,
    / \/src\/services\/\$\{SERVICE\}\/dist /,
  );
  // The build stage compiles every service and iotctl.
  const build = stages.find((s) => s.name === 'build') as Stage;
  assert.ok(steps(build, 'RUN').includes('node --import tsx tools/build/src/main.ts'));
  assert.match(
    steps(runtime, 'RUN').join('\n'),
    /ln -s \/app\/tools\/iotctl\/bin\/iotctl\.js \/usr\/local\/bin\/iotctl/,
  );
});

test('.dockerignore keeps the build inputs and leaves out node_modules and local builds', () => {
  const ignored = readFileSync(join(root, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  for (const needed of ['libs', 'services', 'tools', 'tsconfig.json', 'package.json'])
    assert.ok(!ignored.includes(needed), `${needed} is in the build context`);
  for (const left of ['**/node_modules', '**/dist']) assert.ok(ignored.includes(left), left);
});

// ---- docs -------------------------------------------------------------------------------------

for (const [service, spec] of Object.entries(SERVICES)) {
  test(`services/${service}/README.md lists every variable it reads`, () => {
    const readme = readFileSync(join(root, 'services', service, 'README.md'), 'utf8');
    for (const name of Object.keys(spec))
      assert.ok(readme.includes(`\`${name}\``), `README of ${service} lacks ${name}`);
  });
}
