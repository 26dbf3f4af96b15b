// NATS_CREDS against a real nats-server in operator (decentralized JWT) mode, as production
// NATS runs: an operator, an account it signed (with JetStream) and users the account signed,
// all made here with nkeys.js (test/support/nats-jwt.ts). A service's connect options from
// natsConnection() log in with the .creds file, publish, subscribe and use a KV bucket (the
// control plane's leader lease); a user signed by an account the server does not know is
// refused; iotctl logs in with NATS_CREDS. The server is our own child on loopback, not the
// local stack's.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { connect, type NatsConnection } from 'nats';
import { createAccount } from 'nkeys.js';

import { loadConfig, natsConnection, natsSpec } from '@iot/config';

import { account, operator, userCreds } from '../support/nats-jwt.ts';
import { repoRoot } from '../support/stack.ts';

const missing = spawnSync('nats-server', ['--version']).status !== 0;
const skip = missing ? 'nats-server is not installed (stack/stack.sh up installs it)' : false;

const dir = mkdtempSync(join(tmpdir(), 'nats-creds-'));
let server: ChildProcess | undefined;
let natsUrl = '';
const op = operator();
const acct = account(op.kp);
// JetStream in operator mode needs a system account for its internal subscriptions.
const sys = account(op.kp, 'SYS', { jetstream: false });
const goodCreds = join(dir, 'good.creds');
const strangerCreds = join(dir, 'stranger.creds');

/** A port free on loopback right now. */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as { port: number };
  await new Promise((resolve) => s.close(resolve));
  return port;
}

async function waitForServer(url: string, creds: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const nc = await connect({ ...natsConnection({ NATS_URL: url, NATS_CREDS: creds }) });
      await nc.close();
      return;
    } catch (err) {
      if (server?.exitCode !== null || Date.now() > deadline)
        throw new Error(`nats-server did not come up at ${url}: ${String(err)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

before(async () => {
  if (missing) return;
  writeFileSync(goodCreds, userCreds(acct.kp, 'pipeline').creds, { mode: 0o600 });
  // Signed by an account key the operator never signed, so the server has no JWT for it.
  writeFileSync(strangerCreds, userCreds(createAccount(), 'stranger').creds, { mode: 0o600 });
  const port = await freePort();
  natsUrl = `nats://127.0.0.1:${port}`;
  const conf = join(dir, 'nats.conf');
  writeFileSync(
    conf,
    [
      `listen: 127.0.0.1:${port}`,
      `operator: ${op.jwt}`,
      // The account JWTs the server trusts, given up front instead of by an account server.
      `system_account: ${sys.kp.getPublicKey()}`,
      'resolver: MEMORY',
      `resolver_preload: { ${acct.kp.getPublicKey()}: ${acct.jwt}, ${sys.kp.getPublicKey()}: ${sys.jwt} }`,
      `jetstream: { store_dir: ${JSON.stringify(join(dir, 'js'))} }`,
      '',
    ].join('\n'),
  );
  const child = spawn('nats-server', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  server = child;
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  try {
    await waitForServer(natsUrl, goodCreds);
  } catch (err) {
    throw new Error(`${(err as Error).message}\nnats-server said:\n${log}`);
  }
});

after(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server?.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

async function connectWith(creds: string): Promise<NatsConnection> {
  const config = loadConfig(natsSpec, { NATS_URL: natsUrl, NATS_CREDS: creds });
  return connect({ ...natsConnection(config), timeout: 3000, reconnect: false });
}

test(
  'a service logs in with NATS_CREDS, publishes, subscribes and uses a KV bucket',
  { skip },
  async () => {
    const nc = await connectWith(goodCreds);
    try {
      const sub = nc.subscribe('iot.creds.test', { max: 1 });
      nc.publish('iot.creds.test', 'hello');
      for await (const m of sub) assert.equal(m.string(), 'hello');

      // JetStream in the account: the control plane keeps its leader lease in a KV bucket.
      const kv = await nc.jetstream().views.kv('creds_lease', { history: 1 });
      await kv.put('leader', 'checkpointer-0');
      assert.equal((await kv.get('leader'))?.string(), 'checkpointer-0');
      await kv.destroy();
    } finally {
      await nc.close();
    }
  },
);

test(
  'a .creds file signed by an account the server does not know is refused',
  { skip },
  async () => {
    await assert.rejects(connectWith(strangerCreds), (err: Error) => {
      assert.match(err.message, /Authorization Violation/);
      return true;
    });
  },
);

test('without credentials the operator-mode server refuses the connection', { skip }, async () => {
  await assert.rejects(
    connect({ servers: natsUrl, timeout: 3000, reconnect: false }),
    /Authorization Violation/,
  );
});

test(
  'iotctl logs in with NATS_CREDS, and names NATS_CREDS when the server refuses it',
  { skip },
  async () => {
    const iotctl = (creds: string) =>
      promisify(execFile)(
        join(repoRoot, 'node_modules/.bin/node'),
        [
          '--import',
          'tsx',
          join(repoRoot, 'tools/iotctl/src/main.ts'),
          'suspend',
          '--timeout',
          '1s',
        ],
        {
          cwd: repoRoot,
          env: { PATH: process.env.PATH ?? '', NATS_URL: natsUrl, NATS_CREDS: creds },
          timeout: 30_000,
        },
      ).then(
        () => assert.fail('iotctl suspend succeeded with no instance running'),
        (err: { stderr: string }) => err.stderr,
      );
    // Logged in: the request went out, and no stage is running to answer it.
    assert.match(await iotctl(goodCreds), /no instance answered the suspend/);
    const refused = await iotctl(strangerCreds);
    assert.match(refused, /cannot reach NATS at .*NATS_CREDS/);
    assert.doesNotMatch(refused, /SU[A-Z2-7]{20,}|eyJ/, 'no seed or JWT in the message');
  },
);
