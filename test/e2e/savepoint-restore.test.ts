// Restore with the real services and iotctl. The seed's upgrade procedure: suspend the pipeline
// in the middle of the stream, take a named savepoint, stop every service, lose the Redis
// state (a new deployment), restore the savepoint into Redis, start everything again and
// resume; the savepoint outlives checkpoint retention. And a restore of a savepoint into the
// running pipeline over NATS. Production never stops; ClickHouse and the DLQ end exact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Manifest } from '@iot/checkpoint-storage';
import { PipelineRun, iotctlOk } from '@iot/harness';
import { stack } from '../support/stack.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const STAGE_PARTS = ['aggregator/0', 'aggregator/1', 'ingest/0', 'ingest/1'];
const partsOf = (m: Manifest | undefined) =>
  [...new Set(m?.parts.map((p) => `${p.service}/${p.partition}`))].sort();

/** A run with the four services and checkpoints every 2 s; production takes about 16 s. */
async function pipelineRun(prefix: string, seed: number) {
  const run = await PipelineRun.create(stack, {
    prefix,
    seed,
    env: {
      CHECKPOINT_INTERVAL: '2s',
      CHECKPOINT_TIMEOUT: '5s',
      CHECKPOINT_RETAIN: '3',
      // Longer than the services are down: a restarted aggregator counts every upstream
      // partition as active from its start, and must not close windows on processing time
      // before ingest is back.
      WATERMARK_IDLE_TIMEOUT: '20s',
    },
  });
  const services = (['checkpointer', 'ingest', 'aggregator', 'writer'] as const).map((s) =>
    run.service(s),
  );
  return { run, services };
}

test(
  'suspend, savepoint, stop everything, lose Redis, restore --from the savepoint, start, resume: exact',
  { timeout: 240_000 },
  async () => {
    const { run, services } = await pipelineRun('e2e-savepoint', 51);
    const { store, redis } = run;
    const savepoint = `upgrade-${run.id}`;
    try {
      await Promise.all(services.map((s) => s.start()));
      void run.produce(16_000);

      // Checkpoints run and cover every stage partition (so a leader is there to savepoint).
      await run.coveringEpoch(STAGE_PARTS);
      await sleep(1_000);

      // The upgrade: suspend, savepoint, stop.
      const suspended = await iotctlOk(run.iotctlEnv, 'suspend');
      // The writer holds no state and is not on the control plane; the rest must park.
      for (const s of ['ingest', 'aggregator', 'checkpointer'])
        assert.match(suspended, new RegExp(`^${s}/\\S+: ok`, 'm'), `${s} acked the suspend`);
      const saved = await iotctlOk(run.iotctlEnv, 'savepoint', '--name', savepoint);
      assert.match(saved, new RegExp(`savepoint "${savepoint}" complete`));
      const manifest = await store.findComplete(savepoint);
      assert.equal(manifest.kind, 'savepoint');
      assert.deepEqual(partsOf(manifest), STAGE_PARTS, 'the savepoint holds every partition');

      for (const s of services) await s.stopCleanly();

      // A new deployment: the pipeline's Redis state is gone (or belongs to someone else).
      const keys = await run.stateKeys();
      assert.ok(keys.length > 0, 'the stages kept state in Redis');
      await redis.del(...keys);

      const restored = await iotctlOk(run.iotctlEnv, 'restore', '--from', savepoint);
      assert.match(restored, /restored .*4 parts.*no service was running/);
      assert.ok((await run.stateKeys()).length > 0, 'restore wrote the state back into Redis');

      await Promise.all(services.map((s) => s.start()));
      await iotctlOk(run.iotctlEnv, 'resume');

      await run.assertExact();

      // The stages resumed from the restored Redis state, not from a checkpoint.
      const logs = services.map((s) => s.logs()).join('\n');
      assert.doesNotMatch(logs, /restored partition state from checkpoint storage/);

      // Retention: once CHECKPOINT_RETAIN (3) checkpoints newer than the savepoint exist, every
      // older checkpoint is expired, but the savepoint is still listed.
      const checkpoints = async () =>
        (await store.listComplete()).filter((m) => m.kind === 'checkpoint').map((m) => m.epoch);
      let kept = await checkpoints();
      const retainDeadline = Date.now() + 30_000;
      while (
        !(kept.length >= 3 && kept.every((e) => e > manifest.epoch)) &&
        Date.now() < retainDeadline
      ) {
        await sleep(500);
        kept = await checkpoints();
      }
      assert.ok(
        kept.length >= 3 && kept.length <= 3 + 1 && kept.every((e) => e > manifest.epoch),
        `retention keeps the 3 newest checkpoints, all after savepoint epoch ${manifest.epoch}: ${kept}`,
      );
      const epochs: unknown = JSON.parse(await iotctlOk(run.iotctlEnv, 'epochs', '--json'));
      assert.ok(Array.isArray(epochs));
      assert.ok(
        epochs.some(
          (m: unknown) =>
            typeof m === 'object' && m !== null && 'name' in m && m.name === savepoint,
        ),
        'iotctl epochs still lists the savepoint',
      );

      for (const s of services) await s.stopCleanly();
    } finally {
      await run.cleanup();
    }
  },
);

test(
  'restore --from a savepoint while everything runs: owners reload it at a boundary, exact',
  { timeout: 240_000 },
  async () => {
    const { run, services } = await pipelineRun('e2e-live-restore', 52);

    const savepoint = `rollback-${run.id}`;
    try {
      await Promise.all(services.map((s) => s.start()));
      void run.produce(16_000);
      await run.coveringEpoch(STAGE_PARTS);
      // A savepoint of the running pipeline, as an operator takes before a risky change.
      await iotctlOk(run.iotctlEnv, 'savepoint', '--name', savepoint);
      // Let the pipeline move well past it, so the restore really goes back in time.
      await sleep(4_000);

      const restored = await iotctlOk(run.iotctlEnv, 'restore', '--from', savepoint);
      for (const s of ['ingest', 'aggregator'])
        assert.match(restored, new RegExp(`^${s}/\\S+: restored {2}partitions \\[0,1\\]`, 'm'));
      assert.match(restored, /into the running pipeline; resumed/);
      const logs = () => services.map((s) => s.logs()).join('\n');
      assert.equal(
        logs().match(/restored partition state on request/g)?.length,
        4,
        'each stage partition reloaded the savepoint once',
      );

      await run.assertExact();
      for (const s of services) await s.stopCleanly();
    } finally {
      await run.cleanup();
    }
  },
);
