// A source partition added while the stages run (`iotctl topics ensure` raising
// PULSAR_TOPIC_PARTITIONS): ingest subscribes to it and owns it, the aggregator's windows wait
// for its watermark, and its readings are counted exactly once, with no restart of either
// process. Real broker, Redis, NATS and S3; ingest and aggregator as their own processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeOutputMessage, PROP } from '@iot/channel';
import { ServiceProcess, createPipelineTopics, pipelineEnv } from '@iot/harness';
import { MessageId, PulsarAdmin, partitionTopicName } from '@iot/pulsar';
import { avroReading as reading } from '../support/readings.ts';
import { auth, stack } from '../support/stack.ts';
import { stackClient } from '../support/pulsar.ts';

const WINDOW_MS = 10_000;

/** Waits until `line` appears `times` times in the service's log. */
async function logged(service: ServiceProcess, line: string, times: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (service.logs().split(line).length - 1 < times) {
    if (Date.now() > deadline) {
      throw new Error(`${service.service} did not log "${line}":\n${service.logs()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

test(
  'a source partition added while ingest and the aggregator run is processed exactly once',
  { timeout: 180_000 },
  async () => {
    const names = await createPipelineTopics(
      { adminUrl: stack.pulsarAdminUrl, ...auth.pulsar },
      'new-partitions',
      2,
      2,
    );
    const env = pipelineEnv(names, stack, {
      PULSAR_PARTITIONS_REFRESH: '1s',
      WINDOW_SIZE: `${WINDOW_MS}ms`,
      MAX_OUT_OF_ORDERNESS: '1s',
      // Longer than the test: a silent partition must hold the windows, not idle out.
      WATERMARK_IDLE_TIMEOUT: '10m',
    });
    const ingest = new ServiceProcess('ingest', env);
    const aggregator = new ServiceProcess('aggregator', env);
    const admin = new PulsarAdmin({ adminUrl: stack.pulsarAdminUrl, ...auth.pulsar });
    const client = stackClient();
    try {
      await Promise.all([ingest.start(), aggregator.start()]);
      const window = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS - 10 * WINDOW_MS;
      const send = async (partition: number, payloads: Buffer[]): Promise<void> => {
        const p = await client.createProducer({
          topic: partitionTopicName(names.source, partition),
          batching: false,
        });
        for (const payload of payloads) await p.send({ payload });
        await p.close();
      };
      // Devices 1-6 on the two first partitions, in one window.
      await send(
        0,
        [1, 2, 3].map((d) => reading(d, window + 1000 + d)),
      );
      await send(
        1,
        [4, 5, 6].map((d) => reading(d, window + 2000 + d)),
      );

      // The count goes to 3; device 7 is published to the new partition at once, before
      // either stage can have noticed it: ingest must read it from the partition's start.
      await admin.updatePartitionedTopic(names.source, 3);
      await send(2, [reading(7, window + 3007)]);
      await logged(ingest, 'subscribed to new partitions of the input topic', 1);
      await logged(aggregator, 'the source topic has new partitions', 1);

      // Then to 4, and the three older partitions move past the window's end: the window must
      // stay open for partition 3, which has not said anything yet, so devices 8 and 9,
      // published there later, still join it instead of going to the DLQ as late.
      await admin.updatePartitionedTopic(names.source, 4);
      await logged(ingest, 'subscribed to new partitions of the input topic', 2);
      await logged(aggregator, 'the source topic has new partitions', 2);
      const after = window + WINDOW_MS + 5000;
      for (const [partition, device] of [
        [0, 1],
        [1, 4],
        [2, 7],
      ] as const) {
        await send(partition, [reading(device, after)]);
      }
      await new Promise((r) => setTimeout(r, 3000));
      await send(3, [reading(8, window + 3008), reading(9, window + 3009), reading(8, after)]);

      const reader = await client.createReader({
        topic: names.aggregates,
        startMessageId: MessageId.earliest,
      });
      const rows: { device_id: string; window_start: number; count: number }[] = [];
      const deadline = Date.now() + 60_000;
      while (rows.length < 9 && Date.now() < deadline) {
        for (const m of await reader.receiveBatch(10, 500)) {
          const d = decodeOutputMessage(m);
          if (d.kind === 'aggregates') rows.push(...d.rows);
        }
      }
      await reader.close();
      assert.deepEqual(
        rows.map((r) => [r.device_id, r.window_start, r.count]).sort(),
        Array.from({ length: 9 }, (_, i) => [`sensor_${i + 1}`, window, 1]).sort(),
        'one row per device, partition 2’s devices included, each reading counted once',
      );

      // Nothing went to the DLQ (no reading of partition 2 came too late for its window).
      const dlq = await client.createReader({
        topic: names.dlq,
        startMessageId: MessageId.earliest,
      });
      const dead = await dlq.receiveBatch(10, 2000);
      await dlq.close();
      assert.deepEqual(
        dead.map((m) => m.properties[PROP.reason]),
        [],
      );
      // The same ingest process took the new partition: its loop started, none failed.
      const lines = ingest.logs().split('\n');
      assert.ok(
        lines.some((l) => l.includes('"partition started"') && l.includes('"partition":2')),
      );
      assert.ok(!lines.some((l) => l.includes('partition loop failed')));
    } finally {
      await client.close();
      await Promise.all([ingest.stop(), aggregator.stop()]);
    }
  },
);
