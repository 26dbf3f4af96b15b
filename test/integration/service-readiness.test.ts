// /readyz and /healthz of real service processes against the real servers, with a dependency
// going down and coming back WITHOUT touching the shared stack: each service reaches Redis,
// NATS or ClickHouse through a TCP forwarder this test owns, and "the server is down" means
// the forwarder stops listening and drops its connections.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { spawnService, type ServiceProcess } from '@iot/observability/testing';
import { PulsarAdmin } from '@iot/pulsar';
import { envAs, auth, stack, uniqueName } from '../support/stack.ts';

/** Forwards a local port to `target` while up; down = not listening, connections cut. */
class Forwarder {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  constructor(
    readonly port: number,
    private readonly target: URL,
  ) {}

  static async onFreePort(target: string): Promise<Forwarder> {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const { port } = probe.address() as AddressInfo;
    await new Promise((r) => probe.close(r));
    return new Forwarder(port, new URL(target));
  }

  url(protocol: string): string {
    return `${protocol}//127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    const server = createServer((client) => {
      const upstream = tcpConnect(Number(this.target.port), this.target.hostname);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => server.listen(this.port, '127.0.0.1', r));
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server !== undefined) await new Promise((r) => server.close(r));
  }
}

const procs: ServiceProcess[] = [];
const forwarders: Forwarder[] = [];
const topics: string[] = [];
const topic = (name: string): string => {
  topics.push(`persistent://public/default/${name}`);
  return topics.at(-1)!;
};
after(async () => {
  for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await Promise.all(forwarders.map((f) => f.down()));
  const admin = new PulsarAdmin({ ...auth.pulsar, adminUrl: stack.pulsarAdminUrl });
  await Promise.allSettled(topics.map((t) => admin.deleteTopic(t)));
});

interface Ready {
  status: number;
  body: { status: string; failing?: string[]; checks: Record<string, unknown> };
}
async function readyz(port: number): Promise<Ready> {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`);
  return { status: res.status, body: (await res.json()) as Ready['body'] };
}
/** Polls /readyz until `pred` holds (probes run every 5 s, so allow a few rounds). */
async function until(port: number, pred: (r: Ready) => boolean, what: string): Promise<Ready> {
  const deadline = Date.now() + 25_000;
  let last: Ready | undefined;
  while (Date.now() < deadline) {
    last = await readyz(port);
    if (pred(last)) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.fail(`/readyz never showed ${what}; last answer: ${JSON.stringify(last)}`);
}
async function healthz(port: number): Promise<number> {
  return (await fetch(`http://127.0.0.1:${port}/healthz`)).status;
}
const failing = (name: string) => (r: Ready) =>
  r.status === 503 && (r.body.failing ?? []).includes(name);
const ready = (r: Ready) => r.status === 200;

/**
 * Takes one dependency away: /readyz must name it alone while /healthz stays 200 (a
 * dependency down is not a wedge); given back, /readyz is 200 again. Returns the 503 answer.
 */
async function outage(
  port: number,
  name: string,
  dependency: { down(): Promise<void>; up(): Promise<void> },
): Promise<Ready> {
  await dependency.down();
  const down = await until(port, failing(name), `${name} failing`);
  assert.deepEqual(down.body.failing, [name], `only ${name} fails`);
  assert.equal(await healthz(port), 200, 'a dependency down is not a wedge');
  await dependency.up();
  await until(port, ready, `ready once ${name} is back`);
  return down;
}

type Service = 'ingest' | 'writer' | 'checkpointer';

/** Starts a service process with the stack's credentials; resolves at its `started` line. */
async function spawn(
  service: Service,
  env: Record<string, string>,
): Promise<{ proc: ServiceProcess; port: number }> {
  const main = new URL(`../../services/${service}/src/main.ts`, import.meta.url);
  const proc = spawnService(main, { HTTP_PORT: '0', ...envAs('services'), ...env });
  procs.push(proc);
  const started = await proc.waitForLine((l) => l.msg === 'started');
  return { proc, port: started.port as number };
}

/** Starts a stage and waits until it consumes; returns its HTTP port. */
async function start(service: Service, env: Record<string, string>): Promise<number> {
  const { proc, port } = await spawn(service, env);
  await proc.waitForLine((l) => l.msg === 'consuming', 30_000);
  return port;
}

/** Each service's variables for a run named `id`; `deps` overrides where it finds a server. */
const ingestEnv = (id: string, deps: Record<string, string>): Record<string, string> => ({
  PULSAR_URL: stack.pulsarUrl,
  PULSAR_TOPIC: topic(`${id}-data`),
  RECORDS_TOPIC: topic(`${id}-records`),
  DLQ_TOPIC: topic(`${id}-dlq`),
  PULSAR_SUBSCRIPTION: id,
  REDIS_URL: stack.redisUrl,
  NATS_URL: stack.natsUrl,
  S3_ENDPOINT: stack.s3Endpoint,
  STATE_NAMESPACE: id,
  CONTROL_SUBJECT_PREFIX: id.replaceAll('-', '_'),
  ...deps,
});
const writerEnv = (id: string, deps: Record<string, string>): Record<string, string> => ({
  PULSAR_URL: stack.pulsarUrl,
  AGGREGATES_TOPIC: topic(`${id}-aggregates`),
  ALERTS_TOPIC: topic(`${id}-alerts`),
  DLQ_TOPIC: topic(`${id}-dlq`),
  PULSAR_SUBSCRIPTION: id,
  ...deps,
});
const checkpointerEnv = (id: string, deps: Record<string, string>): Record<string, string> => ({
  PULSAR_ADMIN_URL: stack.pulsarAdminUrl,
  PULSAR_TOPIC: topic(`${id}-data`),
  RECORDS_TOPIC: topic(`${id}-records`),
  NATS_URL: stack.natsUrl,
  S3_ENDPOINT: stack.s3Endpoint,
  S3_BUCKET: stack.s3Bucket,
  CHECKPOINT_S3_PREFIX: id,
  CHECKPOINT_LEASE_BUCKET: `lease_${id}`,
  CONTROL_SUBJECT_PREFIX: id,
  ...deps,
});

async function stop(): Promise<void> {
  const proc = procs.pop()!;
  proc.child.kill('SIGTERM');
  const { code } = await proc.exited;
  assert.equal(code, 0, `clean exit; stderr:\n${proc.stderr()}`);
}

test('ingest: /readyz names Redis while it is unreachable and NATS when it goes away; /healthz stays 200', async () => {
  const id = uniqueName('ready');
  const redis = await Forwarder.onFreePort(stack.redisUrl);
  const nats = await Forwarder.onFreePort(stack.natsUrl);
  forwarders.push(redis, nats);
  await nats.up();
  const port = await start(
    'ingest',
    ingestEnv(id, {
      REDIS_URL: redis.url('redis:'), // nothing listens there yet: Redis is down
      NATS_URL: nats.url('nats:'),
    }),
  );

  // Redis is down from the start (nothing listens on its forwarder yet), then comes up.
  const down = await outage(port, 'redis', { down: async () => {}, up: () => redis.up() });
  assert.match(JSON.stringify(down.body.checks.redis), /"ready":false,"reason":"connection /);
  await outage(port, 'nats', nats);
  await stop();
});

test('ingest: started while NATS is unreachable, it waits, then starts once NATS is there', async () => {
  const id = uniqueName('late-nats');
  const nats = await Forwarder.onFreePort(stack.natsUrl);
  forwarders.push(nats);
  // Nothing listens on the forwarder's port yet: NATS is "down" at start.
  const { proc, port } = await spawn('ingest', ingestEnv(id, { NATS_URL: nats.url('nats:') }));
  await proc.waitForLine((l) => /^NATS is not reachable yet/.test(String(l.msg)), 15_000);
  await new Promise((r) => setTimeout(r, 2_000));
  assert.equal(proc.child.exitCode, null, 'still running while NATS is away');
  const early = await readyz(port);
  assert.equal(early.status, 503);
  assert.ok(early.body.failing?.includes('nats'), JSON.stringify(early.body));
  await nats.up();
  await proc.waitForLine((l) => l.msg === 'consuming', 30_000);
  await until(port, ready, 'ready once NATS came up');
  await stop();
});

test('writer: /readyz names ClickHouse when it goes away and is ready again when it is back', async () => {
  const id = uniqueName('ready-w');
  const ch = await Forwarder.onFreePort(stack.clickhouseUrl);
  forwarders.push(ch);
  await ch.up();
  const port = await start('writer', writerEnv(id, { CLICKHOUSE_URL: ch.url('http:') }));
  await until(port, ready, 'ready at start');
  await outage(port, 'clickhouse', ch);
  await stop();
});

test('writer: started while ClickHouse is unreachable, it waits, then starts once ClickHouse is there', async () => {
  const id = uniqueName('late-ch');
  const ch = await Forwarder.onFreePort(stack.clickhouseUrl);
  forwarders.push(ch);
  // Nothing listens on the forwarder's port yet: ClickHouse is "down" at start.
  const { proc, port } = await spawn('writer', writerEnv(id, { CLICKHOUSE_URL: ch.url('http:') }));
  await proc.waitForLine((l) => /not reachable yet/.test(String(l.msg)), 15_000);
  assert.equal(proc.child.exitCode, null, 'still running while ClickHouse is away');
  const early = await readyz(port);
  assert.equal(early.status, 503);
  await ch.up();
  await proc.waitForLine((l) => l.msg === 'consuming', 30_000);
  await until(port, ready, 'ready once ClickHouse came up');
  await stop();
});

test('checkpointer: started while the broker admin API is unreachable, it waits, then starts', async () => {
  const id = uniqueName('late-admin').replaceAll('-', '_');
  const pulsarAdmin = await Forwarder.onFreePort(stack.pulsarAdminUrl);
  forwarders.push(pulsarAdmin);
  // Nothing listens on the forwarder's port yet: the broker's admin API is "down" at start.
  const { proc } = await spawn(
    'checkpointer',
    checkpointerEnv(id, { PULSAR_ADMIN_URL: pulsarAdmin.url('http:') }),
  );
  const waiting = await proc.waitForLine(
    (l) => /broker admin API is not reachable yet/.test(String(l.msg)),
    15_000,
  );
  assert.equal(waiting.adminUrl, pulsarAdmin.url('http:'), 'it says what it waits for');
  await new Promise((r) => setTimeout(r, 2_000));
  assert.equal(proc.child.exitCode, null, 'still running while the admin API is away');
  await pulsarAdmin.up();
  await proc.waitForLine((l) => l.msg === 'checkpointing', 30_000);
  await stop();
});

test('checkpointer: started while S3 is unreachable, it waits, then starts', async () => {
  const id = uniqueName('late-s3').replaceAll('-', '_');
  const s3 = await Forwarder.onFreePort(stack.s3Endpoint);
  forwarders.push(s3);
  // Nothing listens on the forwarder's port yet: S3 is "down" at start (the chaos run killed
  // a checkpointer during its S3 outage, and it exited 1 at every restart until S3 was back).
  const { proc, port } = await spawn(
    'checkpointer',
    checkpointerEnv(id, { S3_ENDPOINT: s3.url('http:') }),
  );
  const waiting = await proc.waitForLine(
    (l) => /^S3 is not reachable yet/.test(String(l.msg)),
    15_000,
  );
  assert.equal(waiting.endpoint, s3.url('http:'), 'it says what it waits for');
  await new Promise((r) => setTimeout(r, 2_000));
  assert.equal(proc.child.exitCode, null, 'still running while S3 is away');
  const early = await readyz(port);
  assert.equal(early.status, 503);
  await s3.up();
  await proc.waitForLine((l) => l.msg === 'checkpointing', 30_000);
  await stop();
});
