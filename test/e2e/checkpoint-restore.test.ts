// Checkpoints with the real stages: the checkpointer triggers epochs over NATS, ingest and
// aggregator snapshot every owned partition to S3, and manifests list them all. Then Redis
// loses the pipeline's state in the middle of the stream: the stages restore from the newest
// epoch, seek back, replay, and ClickHouse still ends up exact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PipelineRun } from '@iot/harness';
import { stack } from '../support/stack.ts';

test(
  'epochs cover every partition; after Redis loses the state the pipeline restores and stays exact',
  { timeout: 300_000 },
  async () => {
    const run = await PipelineRun.create(stack, {
      prefix: 'e2e-ckpt',
      seed: 31,
      env: { CHECKPOINT_INTERVAL: '2s', CHECKPOINT_TIMEOUT: '5s', CHECKPOINT_RETAIN: '3' },
    });
    const services = (['checkpointer', 'ingest', 'aggregator', 'writer'] as const).map((s) =>
      run.service(s),
    );
    try {
      await Promise.all(services.map((s) => s.start()));
      void run.produce(12_000);

      // Wait for a complete epoch that covers every partition of both stateful stages.
      await run.coveringEpoch(['ingest/0', 'ingest/1', 'aggregator/0', 'aggregator/1']);

      // Redis loses the pipeline's state while the stream is flowing.
      const keys = await run.stateKeys();
      assert.ok(keys.length > 0, 'the stages keep state in Redis');
      await run.wipeState();

      await run.assertExact();
      const logs = services.map((s) => s.logs()).join('\n');
      assert.match(logs, /restored partition state from checkpoint storage/);
      const epochs = await run.store.listComplete();
      assert.ok(
        epochs.length <= 3 + 1,
        `retention keeps the last 3 epochs, found ${epochs.length}`,
      );
    } finally {
      await run.cleanup();
    }
  },
);
