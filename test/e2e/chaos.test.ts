// The chaos run's short form (tools/chaos): two minutes of the stream with every fault kind
// at least once (kill -9 of instances, a stage's both instances, the checkpointer leader
// mid-epoch; SIGSTOP past the ownership lease; the broker and Redis killed; the pipeline's
// Redis state wiped; ClickHouse and S3 stopped; a rescale). ClickHouse rows, alerts and the
// DLQ must come out exact, and nothing may be left crash-looping.
//
// It stops and kills the shared stack servers (and brings them back): like
// test/integration/stack-lifecycle.test.ts, do not run it while others use the stack.
//
// Seed 12 by default (the seed of the findings: rows short after a Redis wipe, fixed by the
// records envelopes' chain; windows closed early during stalls, fixed by explicit
// idleness); CHAOS_SEED=N replays another schedule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../support/stack.ts';

interface ChaosReport {
  faultsByKind: Record<string, number>;
  skipped: Record<string, string>;
  verify: { exact: boolean; rows: string; alerts: string; dlqExact: boolean };
  zombie: { fenced: number; released: number };
}

test(
  'chaos, short form: every fault kind, exact rows, alerts and DLQ',
  { timeout: 15 * 60_000 },
  async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'chaos-')), 'chaos.json');
    const args = ['--import', 'tsx', 'tools/chaos/src/main.ts', '--minutes', '2'];
    args.push('--rate', '2000', '--seed', process.env.CHAOS_SEED ?? '12', '--out', out);
    const child = spawn(process.execPath, args, {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    assert.equal(code, 0, `chaos run not exact (exit ${code}):\n${output.slice(-6000)}`);

    const report = JSON.parse(readFileSync(out, 'utf8')) as ChaosReport;
    const kinds = [
      'kill',
      'kill-pair',
      'kill-leader',
      'stop-cont',
      'pulsar-kill',
      'redis-kill',
      'redis-wipe',
      'clickhouse-stop',
      's3-stop',
      'nats-restart',
      'rescale',
    ];
    for (const kind of kinds) {
      assert.ok(
        (report.faultsByKind[kind] ?? 0) > 0 || report.skipped[kind] !== undefined,
        `${kind} injected or skipped with a reason`,
      );
    }
    assert.ok(report.verify.exact, JSON.stringify(report.verify));
  },
);
