// Deployment files against the services' config specs: every YAML under k8s/ and
// docker-compose.yml must parse, and each service must get an environment its spec accepts,
// with every variable a deployment has to set (deploymentVariables), probes on /healthz and
// /readyz at its HTTP_PORT, resources, and its metrics Service. No cluster or Docker needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { parse } from 'yaml';

import { deploymentVariables, loadConfig, type Spec } from '@iot/config';

import { spec as aggregator } from '../../services/aggregator/src/config.ts';
import { spec as checkpointer } from '../../services/checkpointer/src/config.ts';
import { spec as ingest } from '../../services/ingest/src/config.ts';
import { spec as writer } from '../../services/writer/src/config.ts';
import { spec as iotctl } from '../../tools/iotctl/src/config.ts';
import { renderKustomization } from '../support/kustomize.ts';

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

const key = (o: Obj) => `${String(o.kind)}/${String(at(o, 'metadata.name'))}`;

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
// Each kustomization (the base and both overlays) rendered as `kubectl kustomize` would
// (test/support/kustomize.ts), then checked as a whole.

const k8sDir = join(root, 'k8s');
const RENDERINGS = ['base', 'overlays/laptop', 'overlays/production'] as const;
const rendered = new Map(RENDERINGS.map((r) => [r, renderKustomization(join(k8sDir, r))]));
const ALL_K8S_VARIABLES = new Set([...ALL_VARIABLES, ...Object.keys(iotctl)]);

function k8sObject(docs: readonly Obj[], kind: string, name: string): Obj {
  const found = docs.filter((doc) => doc.kind === kind && at(doc, 'metadata.name') === name);
  assert.equal(found.length, 1, `exactly one ${kind} ${name}`);
  return found[0] as Obj;
}

/** The environment a container sees: envFrom ConfigMaps, then env entries (secrets as placeholders). */
function containerEnv(docs: readonly Obj[], container: Obj): Record<string, string> {
  const env: Record<string, string> = {};
  for (const source of list(container.envFrom ?? [], 'envFrom')) {
    const name = text(at(source, 'configMapRef.name'), 'envFrom.configMapRef.name');
    for (const [k, v] of Object.entries(
      obj(k8sObject(docs, 'ConfigMap', name).data, `ConfigMap ${name} data`),
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

/** Each of `names` comes from iot-pipeline-secrets under the name in kebab case. */
function assertFromSecret(what: string, names: readonly string[], container: Obj): void {
  const env = list(container.env ?? [], 'env').map((e) => obj(e, 'env entry'));
  for (const name of names) {
    const entry = env.find((e) => e.name === name);
    assert.ok(entry, `${what}: ${name} is not set`);
    assert.deepEqual(
      [at(entry, 'valueFrom.secretKeyRef.name'), at(entry, 'valueFrom.secretKeyRef.key')],
      ['iot-pipeline-secrets', name.toLowerCase().replaceAll('_', '-')],
      `${what}: ${name} from the Secret`,
    );
  }
}

const secretsOf = (spec: Spec) => Object.keys(spec).filter((name) => spec[name]?.info.secret);

const yamlFilesUnder = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => /\.ya?ml$/.test(f));

test('every kustomization uses every YAML file of its folder', () => {
  for (const r of RENDERINGS) {
    const dir = join(k8sDir, r);
    const k = obj(parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')), r);
    const used = [
      ...list(k.resources ?? [], 'resources').map((x) => text(x, 'resource')),
      ...list(k.patches ?? [], 'patches').map((p) => text(obj(p, 'patch').path, 'patch path')),
    ];
    const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml');
    for (const f of files) assert.ok(used.includes(f), `${r}/kustomization.yaml uses ${f}`);
  }
  for (const f of yamlFilesUnder(k8sDir).filter((f) => dirname(f) !== 'templates'))
    assert.ok(
      RENDERINGS.some((r) => dirname(f) === r),
      `k8s/${f} is in no kustomization's folder`,
    );
});

test('k8s/templates/secret.yaml has every key a Deployment or KEDA reads from the Secret', () => {
  const template = obj(
    parse(readFileSync(join(k8sDir, 'templates/secret.yaml'), 'utf8')),
    'templates/secret.yaml',
  );
  assert.equal(template.kind, 'Secret');
  assert.equal(at(template, 'metadata.name'), 'iot-pipeline-secrets');
  assert.equal(at(template, 'metadata.namespace'), 'iot-pipeline');
  const keys = new Set(Object.keys(obj(template.stringData, 'stringData')));
  const used = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (typeof v === 'object' && v !== null) {
      const o = v as Obj;
      if (o.name === 'iot-pipeline-secrets' && typeof o.key === 'string') used.add(o.key);
      Object.values(o).forEach(walk);
    }
  };
  for (const docs of rendered.values()) walk(docs);
  assert.ok(used.size >= 6, `keys read: ${[...used].join(', ')}`);
  for (const k of used) assert.ok(keys.has(k), `the template lacks ${k}`);
});

for (const [r, docs] of rendered) {
  test(`k8s ${r}: named resources in the iot-pipeline namespace; the ConfigMap sets only variables something reads`, () => {
    for (const doc of docs) {
      assert.ok(typeof doc.apiVersion === 'string' && typeof doc.kind === 'string');
      assert.ok(typeof at(doc, 'metadata.name') === 'string', `${String(doc.kind)}: metadata.name`);
      if (doc.kind !== 'Namespace')
        assert.equal(at(doc, 'metadata.namespace'), 'iot-pipeline', key(doc));
    }
    const data = obj(k8sObject(docs, 'ConfigMap', 'iot-pipeline-config').data, 'data');
    for (const name of Object.keys(data))
      assert.ok(ALL_K8S_VARIABLES.has(name), `ConfigMap sets ${name}, which nothing reads`);
  });

  for (const [service, spec] of Object.entries(SERVICES)) {
    test(`k8s ${r} ${service}: env its spec accepts, secrets from the Secret, probes, resources, metrics Service, PDB`, () => {
      const deployment = k8sObject(docs, 'Deployment', service);
      const containers = list(at(deployment, 'spec.template.spec.containers'), 'containers');
      assert.equal(containers.length, 1);
      const container = obj(containers[0], 'container');
      const env = containerEnv(docs, container);
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
      assertFromSecret(`k8s ${service}`, secretsOf(spec), container);
      const config = loadConfig(spec, env) as Record<string, unknown>;

      const ports = list(container.ports, 'ports').map((p) => obj(p, 'port'));
      const metrics = ports.find((p) => p.name === 'metrics');
      assert.ok(metrics, `${service}: a port named metrics`);
      assert.equal(
        metrics.containerPort,
        config.HTTP_PORT,
        `${service}: metrics port is HTTP_PORT`,
      );

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
        const res = obj(at(container, `resources.${kind}`), `${service} resources.${kind}`);
        assert.ok(
          res.cpu !== undefined && res.memory !== undefined,
          `${service}: ${kind} cpu and memory`,
        );
      }

      const labels = obj(at(deployment, 'spec.template.metadata.labels'), 'pod labels');
      const svc = k8sObject(docs, 'Service', `${service}-metrics`);
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
      const pdb = k8sObject(docs, 'PodDisruptionBudget', service);
      for (const [k, v] of Object.entries(
        obj(at(pdb, 'spec.selector.matchLabels'), 'pdb selector'),
      ))
        assert.equal(labels[k], v, `the ${service} PodDisruptionBudget selects its pods`);
    });

    test(`k8s ${r} ${service}: the init step ensures the topics with the pod's image and credentials`, () => {
      const pod = obj(at(k8sObject(docs, 'Deployment', service), 'spec.template.spec'), 'pod');
      const [init, ...more] = list(pod.initContainers, 'initContainers').map((c) => obj(c, 'init'));
      assert.equal(more.length, 0);
      assert.ok(init);
      assert.deepEqual(init.command, ['iotctl', 'topics', 'ensure']);
      assert.equal(init.image, obj(list(pod.containers, 'containers')[0], 'container').image);
      // The admin API token; topics ensure reads nothing else secret.
      assertFromSecret(`k8s ${service} init`, ['PULSAR_AUTH_TOKEN'], init);
      const config = loadConfig(iotctl, containerEnv(docs, init));
      for (const name of [
        'PULSAR_ADMIN_URL',
        'PULSAR_TOPIC_PARTITIONS',
        'RECORDS_TOPIC_PARTITIONS',
      ])
        assert.ok(name in containerEnv(docs, init), `the init step gets ${name}`);
      assert.ok(config.PULSAR_TOPIC_PARTITIONS >= 1);
    });
  }

  test(`k8s ${r}: the checkpointer runs two replicas (one leader, one standby)`, () => {
    assert.equal(at(k8sObject(docs, 'Deployment', 'checkpointer'), 'spec.replicas'), 2);
  });
}

test('k8s production: KEDA scales each stage on its subscription backlog, up to its partition count', () => {
  const docs = rendered.get('overlays/production') as Obj[];
  const config = loadConfig(
    iotctl,
    obj(k8sObject(docs, 'ConfigMap', 'iot-pipeline-config').data, 'data') as Record<string, string>,
  );
  const data = obj(k8sObject(docs, 'ConfigMap', 'iot-pipeline-config').data, 'data');
  const bounds: Record<string, { topic: string; partitions: number | undefined }> = {
    ingest: { topic: config.PULSAR_TOPIC, partitions: config.PULSAR_TOPIC_PARTITIONS },
    aggregator: { topic: config.RECORDS_TOPIC, partitions: config.RECORDS_TOPIC_PARTITIONS },
    writer: { topic: config.AGGREGATES_TOPIC, partitions: undefined },
  };
  for (const [service, bound] of Object.entries(bounds)) {
    const so = k8sObject(docs, 'ScaledObject', service);
    assert.equal(at(so, 'spec.scaleTargetRef.name'), service);
    assert.equal(
      at(k8sObject(docs, 'Deployment', service), 'spec.replicas'),
      undefined,
      `${service}: KEDA owns the replica count`,
    );
    const max = Number(at(so, 'spec.maxReplicaCount'));
    if (bound.partitions !== undefined)
      assert.equal(max, bound.partitions, `${service}: at most one pod per partition`);
    assert.ok(Number(at(so, 'spec.minReplicaCount')) >= 2, `${service}: two pods at least`);
    const [trigger] = list(at(so, 'spec.triggers'), 'triggers').map((t) => obj(t, 'trigger'));
    assert.equal(trigger?.type, 'pulsar');
    const subscription = (SERVICES[service] as Spec).PULSAR_SUBSCRIPTION?.info.default;
    assert.deepEqual(
      [
        at(trigger, 'metadata.adminURL'),
        at(trigger, 'metadata.topic'),
        at(trigger, 'metadata.subscription'),
      ],
      [data.PULSAR_ADMIN_URL, bound.topic, subscription],
      `${service}: the trigger reads the stage's own subscription`,
    );
    assert.equal(
      at(trigger, 'metadata.isPartitionedTopic'),
      String(bound.partitions !== undefined),
    );
    const auth = k8sObject(
      docs,
      'TriggerAuthentication',
      text(at(trigger, 'authenticationRef.name'), 'ref'),
    );
    assert.deepEqual(list(at(auth, 'spec.secretTargetRef'), 'secretTargetRef'), [
      { parameter: 'bearerToken', name: 'iot-pipeline-secrets', key: 'pulsar-auth-token' },
    ]);
  }
});

// ---- docker-compose.yml ----------------------------------------------------------------------

const composeText = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
const compose = obj(parse(composeText, { merge: true }), 'docker-compose.yml');
const composeServices = obj(compose.services, 'services');

/**
 * Compose interpolation with the defaults written in the file; a required variable
 * (`${NAME:?message}`) stands as `<NAME>`, a value the operator must give.
 */
function interpolate(value: string): string {
  return value
    .replace(/\$\{([A-Z0-9_]+):?\?[^}]*\}/g, '<$1>')
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
    assert.equal(s.read_only, true, `${service}: read-only root filesystem`);
    assert.deepEqual(s.tmpfs, ['/tmp'], `${service}: /tmp writable`);
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

/** Every secret docker-compose.yml needs, and nothing baked in for any of them. */
const COMPOSE_SECRETS = [
  'PULSAR_TOKEN_SECRET_KEY',
  'PULSAR_ADMIN_TOKEN',
  'PULSAR_AUTH_TOKEN',
  'CLICKHOUSE_PASSWORD',
  'REDIS_PASSWORD',
  'NATS_PASSWORD',
  'NATS_IOTCTL_PASSWORD',
  'S3_ACCESS_KEY',
  'S3_SECRET_KEY',
];

test('docker-compose.yml bakes in no password: each secret is required from the environment', () => {
  for (const name of COMPOSE_SECRETS) {
    assert.match(composeText, new RegExp(`\\$\\{${name}:\\?`), `${name} is required`);
    assert.doesNotMatch(composeText, new RegExp(`\\$\\{${name}:?-`), `${name} has no default`);
  }
  assert.doesNotMatch(composeText, /:\/\/[^/\s:@]+:[^/\s@]+@/, 'no credentials inside a URL');
});

const dockerCompose = spawnSync('docker-compose', ['version'], { encoding: 'utf8' });
const composeConfig = (env: Record<string, string>) =>
  spawnSync('docker-compose', ['-f', join(root, 'docker-compose.yml'), 'config', '-q'], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...env },
  });
test(
  'docker-compose config accepts the file with the secrets set, and refuses without, naming one',
  { skip: dockerCompose.status === 0 ? false : 'docker-compose is not installed' },
  () => {
    const all = Object.fromEntries(COMPOSE_SECRETS.map((n) => [n, `test-${n.toLowerCase()}`]));
    const ok = composeConfig(all);
    assert.equal(ok.status, 0, ok.stderr);
    for (const missing of ['PULSAR_AUTH_TOKEN', 'REDIS_PASSWORD']) {
      const { [missing]: _gone, ...rest } = all;
      const refused = composeConfig(rest);
      assert.notEqual(refused.status, 0, `without ${missing}`);
      assert.match(refused.stderr, new RegExp(`set ${missing}`), `names ${missing}`);
    }
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
      at(
        k8sObject(rendered.get('base') ?? [], 'Deployment', service),
        'spec.template.spec.securityContext.runAsUser',
      ),
      1000,
    );
  assert.deepEqual(JSON.parse(steps(runtime, 'CMD')[0] ?? 'null'), ['node', 'dist/main.js']);
  assert.deepEqual(steps(runtime, 'WORKDIR').at(-1), '/app/services/${SERVICE}');
  const all = runtime.steps.map(([op, rest]) => `${op} ${rest}`).join('\n');
  assert.doesNotMatch(all, /tsx|typescript|src\/main\.ts/, 'no tsx or sources at run time');
  assert.match(all, /NODE_OPTIONS="--max-old-space-size=160 --max-semi-space-size=16"/);
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
