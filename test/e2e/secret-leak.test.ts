// Secrets never leak (README, "Security"): a demo-sized pipeline and iotctl run with the
// stack's credentials (the Redis one inside REDIS_URL, the older way), every dependency is
// made to fail once — a wrong password or token, a server that is not there with the password
// in its URL — so the error paths run, and no secret value may appear in any log line, error,
// /metrics, /readyz or /healthz answer, or console output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { PipelineRun, runIotctl, type CliResult } from '@iot/harness';
import { spawnService } from '@iot/observability/testing';
import { stack } from '../support/stack.ts';

const withPassword = (url: string, user: string, password: string) => {
  const u = new URL(url);
  u.username = user;
  u.password = password;
  return u.toString().replace(/\/$/, '');
};
const main = (service: string) => new URL(`../../services/${service}/src/main.ts`, import.meta.url);

test(
  'no secret value reaches a log, an error, /metrics or the console, on success and failure',
  { timeout: 300_000 },
  async () => {
    const { services: svc, operator, admin } = stack.credentials;
    // Wrong passwords and tokens the servers refuse: distinctive, so a leak is unmistakable.
    const canary = `canary${randomBytes(12).toString('hex')}`;
    const run = await PipelineRun.create(stack, {
      prefix: 'e2e-leak',
      seed: 47,
      env: {
        REDIS_URL: withPassword(stack.redisUrl, '', svc.redisPassword),
        REDIS_PASSWORD: '',
        CHECKPOINT_INTERVAL: '2s',
        LOG_LEVEL: 'debug',
      },
    });
    const seen: string[] = [];
    const cli = (r: CliResult, what: string): CliResult => {
      seen.push(`--- ${what}\n${r.stdout}${r.stderr}`);
      return r;
    };
    const services = (['checkpointer', 'ingest', 'aggregator', 'writer'] as const).map((s) =>
      run.service(s),
    );
    try {
      await Promise.all(services.map((s) => s.start()));
      const producing = run.produce(6_000);
      await run.coveringEpoch(['ingest/0', 'ingest/1', 'aggregator/0', 'aggregator/1'], 60_000);

      // The operator at work.
      for (const args of [['status'], ['epochs'], ['savepoint', '--name', 'leak-test']]) {
        const r = cli(await runIotctl(run.iotctlEnv, args), `iotctl ${args[0]}`);
        assert.equal(r.code, 0, r.stderr);
      }
      await producing;
      for (const s of services) {
        for (const path of ['/metrics', '/readyz', '/healthz']) {
          const res = await fetch(`http://127.0.0.1:${s.httpPort}${path}`);
          seen.push(`--- ${s.service} ${path}\n${await res.text()}`);
        }
      }

      // Each dependency fails once, through iotctl.
      const failures: [string, Record<string, string>, string[], RegExp][] = [
        ['NATS, wrong password', { NATS_PASSWORD: canary }, ['status'], /NATS/],
        [
          'NATS down, password in the URL',
          { NATS_URL: `nats://iotctl:${canary}@127.0.0.1:1`, NATS_USER: '', NATS_PASSWORD: '' },
          ['status'],
          /cannot reach NATS at nats:\/\/iotctl:\*\*\*@127\.0\.0\.1:1/,
        ],
        ['S3, wrong secret key', { S3_SECRET_KEY: canary }, ['epochs'], /S3/],
        ['Pulsar, wrong token', { PULSAR_AUTH_TOKEN: canary }, ['topics'], /401|auth/i],
      ];
      for (const [what, env, args, expect] of failures) {
        const r = cli(await runIotctl({ ...run.iotctlEnv, ...env }, args, 30_000), what);
        assert.notEqual(r.code, 0, `${what}: iotctl should fail`);
        assert.match(r.stderr, expect, what);
      }
    } finally {
      for (const s of services) seen.push(`--- ${s.service} log\n${s.logs()}`);
      await run.cleanup();
    }

    // Each dependency fails once, under a service.
    const base = { ...run.env, HTTP_PORT: '0' };
    const serviceFailures: [string, string, Record<string, string>][] = [
      ['writer', 'ClickHouse, wrong password', { CLICKHOUSE_PASSWORD: canary }],
      ['checkpointer', 'NATS, wrong password', { NATS_PASSWORD: canary }],
      ['aggregator', 'Pulsar, wrong token', { PULSAR_AUTH_TOKEN: canary }],
    ];
    for (const [service, what, env] of serviceFailures) {
      const proc = spawnService(main(service), { ...base, ...env });
      const { code } = await proc.exited;
      assert.notEqual(code, 0, `${service}, ${what}: should stop`);
      seen.push(`--- ${service}, ${what}\n${proc.stdout()}${proc.stderr()}`);
    }
    // NATS down with the password in its URL: the checkpointer waits for it, logging where it
    // looks and naming it on /readyz.
    const checkpointer = spawnService(main('checkpointer'), {
      ...base,
      NATS_URL: `nats://pipeline:${canary}@127.0.0.1:1`,
      NATS_USER: '',
      NATS_PASSWORD: '',
    });
    try {
      const started = await checkpointer.waitForLine((l) => l.msg === 'started');
      await checkpointer.waitForLine((l) => /^NATS is not reachable yet/.test(String(l.msg)));
      const res = await fetch(`http://127.0.0.1:${started.port as number}/readyz`);
      const readyz = await res.text();
      assert.equal(res.status, 503);
      assert.match(readyz, /nats/, 'the checkpointer reports NATS unreachable');
      seen.push(`--- checkpointer, NATS down\n${readyz}`);
    } finally {
      checkpointer.child.kill('SIGKILL');
      await checkpointer.exited;
      seen.push(`${checkpointer.stdout()}${checkpointer.stderr()}`);
    }
    // Redis down with the password in its URL: ingest keeps running and says so on /readyz.
    const ingest = spawnService(main('ingest'), {
      ...base,
      REDIS_URL: `redis://:${canary}@127.0.0.1:1`,
    });
    try {
      const started = await ingest.waitForLine((l) => l.msg === 'started');
      const port = started.port as number;
      let readyz = '';
      const deadline = Date.now() + 20_000;
      while (!/redis/.test(readyz) && Date.now() < deadline) {
        readyz = await (await fetch(`http://127.0.0.1:${port}/readyz`)).text();
        await new Promise((r) => setTimeout(r, 300));
      }
      assert.match(readyz, /redis/, 'ingest reports Redis unreachable');
      seen.push(`--- ingest, Redis down\n${readyz}`);
      seen.push(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
    } finally {
      ingest.child.kill('SIGKILL');
      await ingest.exited;
      seen.push(`${ingest.stdout()}${ingest.stderr()}`);
    }

    const everything = seen.join('\n');
    const secrets: [string, string][] = [
      ['canary (wrong passwords and tokens)', canary],
      ["the services' Pulsar token", svc.pulsarToken],
      ["the writer's ClickHouse password", svc.clickhousePassword],
      ['the Redis password', svc.redisPassword],
      ["the services' NATS password", svc.natsPassword],
      ["the operator's Pulsar token", operator.pulsarToken],
      ["the operator's NATS password", operator.natsPassword],
      ["the admin's Pulsar token", admin.pulsarToken],
      ['the S3 secret key', stack.s3SecretKey],
    ];
    for (const [what, value] of secrets) {
      const at = everything.indexOf(value);
      assert.equal(at, -1, `${what} leaked: …${everything.slice(Math.max(0, at - 200), at + 50)}…`);
    }
    // The failures were really there to leak from, masked.
    assert.match(everything, /\*\*\*@127\.0\.0\.1:1/);
    assert.match(everything, /ClickHouse refused/);
  },
);
