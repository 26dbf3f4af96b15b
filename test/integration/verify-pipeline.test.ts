// The two command lines around the real pipeline: loadgen publishes a paced stream with
// every kind of trouble, the ingest, aggregator and writer services (separate processes)
// process it, and verify --wait --dlq-topic finds exactly the expected rows and DLQ entries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceProcess, clickhouse, createPipelineTopics } from '@iot/harness';
import { envAs, auth, repoRoot, stack } from '../support/stack.ts';

function tool(
  name: 'loadgen' | 'verify',
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(repoRoot, 'tools', name, 'src/main.ts'), ...args],
      { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test(
  'loadgen → ingest, aggregator, writer → verify: exact rows and DLQ',
  { timeout: 120_000 },
  async () => {
    const names = await createPipelineTopics(
      { adminUrl: stack.pulsarAdminUrl, ...auth.pulsar },
      'lg-verify',
      2,
      2,
    );
    const dir = await mkdtemp(join(tmpdir(), 'verify-pipeline-'));
    const env = {
      ...envAs('services'),
      PULSAR_URL: stack.pulsarUrl,
      PULSAR_ADMIN_URL: stack.pulsarAdminUrl,
      PULSAR_TOPIC: names.source,
      RECORDS_TOPIC: names.records,
      AGGREGATES_TOPIC: names.aggregates,
      ALERTS_TOPIC: names.alerts,
      DLQ_TOPIC: names.dlq,
      CLICKHOUSE_URL: `${stack.clickhouseUrl}/${names.database}`,
      REDIS_URL: stack.redisUrl,
      STATE_NAMESPACE: names.name,
      WINDOW_SIZE: '10s',
      MAX_OUT_OF_ORDERNESS: '2s',
      WATERMARK_IDLE_TIMEOUT: '5s',
      WRITER_FLUSH_INTERVAL: '200ms',
    };
    const services = (['ingest', 'aggregator', 'writer'] as const).map(
      (s) => new ServiceProcess(s, env),
    );
    const ch = clickhouse(stack.clickhouseUrl, auth.clickhouse);
    try {
      await Promise.all(services.map((s) => s.start()));
      const paramsFile = join(dir, 'params.json');
      // loadgen and verify read the same environment as the services (topic, out-of-orderness,
      // window size, ClickHouse URL with the database in its path).
      const load = await tool(
        'loadgen',
        [
          '--devices',
          '100',
          '--duration',
          '15s',
          '--rate',
          '2000',
          '--late',
          '0.01',
          '--out-of-order',
          '0.05',
          '--duplicate',
          '0.01',
          '--legacy-json',
          '0.03',
          '--malformed',
          '0.02',
          '--params-out',
          paramsFile,
        ],
        env,
      );
      assert.equal(load.code, 0, load.stderr);
      const check = await tool(
        'verify',
        ['--params', paramsFile, '--wait', '60', '--dlq-topic', names.dlq, '--dlq-idle', '3s'],
        env,
      );
      assert.equal(check.code, 0, check.stdout + check.stderr);
      assert.match(check.stdout, /^exact: \d+ rows, 0 missing, 0 extra, 0 mismatched$/m);
      assert.match(check.stdout, /^dlq: exact: \d+ entries, .*late \d+/m);
    } finally {
      await Promise.all(services.map((s) => s.kill()));
      await ch.command({ query: `DROP DATABASE IF EXISTS ${names.database}` }).catch(() => {});
      await ch.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
);
