// The aggregator's micro-batch loop against the real Redis, crashed at every step of the
// commit protocol: the set of rows it emits stays exactly the set of a run without crashes.
// The Pulsar side is an in-memory log here (redelivers what was not acked); the Pulsar
// adapters are proven against the broker in their own tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import {
  decodeOutputMessage,
  recordsMessage,
  RecordsEnvelopeBuilder,
  type ReceivedBatch,
} from '@iot/channel';
import { MessageId } from '@iot/pulsar';
import { mapSensorData } from '@iot/schema';
import { PartitionState } from '@iot/state';
import { DEFAULT_ALERT_RULES } from '@iot/windows';
import {
  AggregatorPartitionTask,
  type OutputSink,
  type RecordsMessage,
  type RecordsSource,
} from '../../services/aggregator/src/partition-task.ts';
import type { Output } from '../../services/aggregator/src/window-operator.ts';
import { auth, stack, uniqueName } from '../support/stack.ts';

const T0 = Date.UTC(2026, 0, 1);
const options = {
  windowSizeMs: 10_000,
  alertRules: DEFAULT_ALERT_RULES,
  upstreamPartitions: 1,
  idleTimeoutMs: 60_000,
};

/** The records partition: a log with an acked cursor; unacked messages come again. */
function makeLog() {
  const messages: { payload: Uint8Array; properties: Record<string, string> }[] = [];
  let n = 0;
  let previous: string | null = null;
  const envelope = new RecordsEnvelopeBuilder();
  for (let i = 0; i < 400; i++) {
    const t = T0 + i * 250;
    const r = mapSensorData(
      {
        sensorId: i % 7,
        sensorType: 1,
        timestamp: t,
        temperature: 20 + (i % 19),
        humidity: 50,
        pressure: 1000,
        batteryLevel: 50,
        status: 1,
      },
      t,
    );
    envelope.add(r, MessageId.parse(`1:${++n}:0:-1:0`));
    // An ingest batch of 10 readings: one envelope with the watermark after it.
    if (i % 10 === 9) {
      const origin = { partition: 0, position: `1:${n}:0:-1:0`, epoch: 1 };
      messages.push(recordsMessage(envelope.finish(origin, t - 1000, previous)));
      previous = origin.position;
    }
  }
  let acked = 0;
  let read = 0;
  const source: RecordsSource = {
    async receiveBatch(max) {
      const from = read;
      read = Math.min(messages.length, read + max);
      const end = read;
      const batch: ReceivedBatch<RecordsMessage> = {
        messages: messages.slice(from, end),
        ack: async () => void (acked = end),
      };
      return batch;
    },
  };
  return {
    source,
    done: () => acked >= messages.length,
    restart: () => void (read = acked),
    /** The subscription back at its first message (the stages subscribe at Earliest). */
    seekToStart: async () => void (read = acked = 0),
  };
}

type Crash = 'none' | 'before-commit' | 'after-commit' | 'after-publish' | 'before-ack';

async function run(
  redis: Redis,
  ns: string,
  crashEvery: number,
  where: Crash,
  opts: { wipeAfterSteps?: number } = {},
) {
  const log = makeLog();
  let wiped = false;
  const published: Output[] = [];
  let steps = 0;
  const crashNow = (point: Crash) => where === point && steps % crashEvery === crashEvery - 1;
  let restarts = 0;
  while (!log.done() && restarts < 200) {
    const sink: OutputSink = {
      async publish(outputs) {
        published.push(...outputs);
        if (crashNow('after-publish')) throw new Error('crash');
      },
    };
    const guarded = new (class extends PartitionState {
      override async commit(c: Parameters<PartitionState['commit']>[0]): Promise<void> {
        if (crashNow('before-commit')) throw new Error('crash');
        await super.commit(c);
        if (crashNow('after-commit')) throw new Error('crash');
      }
    })(redis, 'aggregator', 0, ns);
    const source: RecordsSource = {
      async receiveBatch(max, timeout) {
        const b = await log.source.receiveBatch(max, timeout);
        return {
          ...b,
          ack: async () => {
            if (crashNow('before-ack')) throw new Error('crash');
            await b.ack();
          },
        };
      },
    };
    const task = new AggregatorPartitionTask({
      state: guarded,
      source,
      sink,
      options,
      now: () => T0,
      maxBatch: 3,
      batchTimeoutMs: 1,
      seekToStart: log.seekToStart,
    });
    await task.start();
    try {
      while (!log.done()) {
        await task.step();
        steps++;
        if (!wiped && steps === opts.wipeAfterSteps) {
          // Redis loses the partition with no checkpoint to restore: acked input is gone
          // from the cursor but was never kept anywhere else.
          wiped = true;
          const keys = await redis.keys(`${ns}:*`);
          if (keys.length > 0) await redis.del(...keys);
          throw new Error('state lost');
        }
      }
    } catch {
      steps++;
      restarts++;
      log.restart();
    }
  }
  const rows = new Map<string, string>();
  for (const o of published) {
    if (o.topic !== 'aggregates') continue;
    const d = decodeOutputMessage({ payload: o.message.payload, properties: o.message.properties });
    if (d.kind !== 'aggregates') continue;
    for (const row of d.rows) {
      const key = `${row.device_id}|${row.window_start}`;
      const text = JSON.stringify(row);
      // The sink is keyed by (device_id, window_start): a re-emitted row must be identical.
      if (rows.has(key)) assert.equal(text, rows.get(key), `re-emitted ${key} differs`);
      rows.set(key, text);
    }
  }
  return { rows, restarts };
}

test(
  'crashes at every step of the commit protocol change no emitted row',
  { timeout: 120_000 },
  async () => {
    const redis = new Redis(stack.redisUrl, auth.redis);
    const base = uniqueName('agg-task');
    try {
      const clean = await run(redis, `${base}-clean`, 1, 'none');
      assert.ok(clean.rows.size > 20, `expected many closed windows, got ${clean.rows.size}`);
      for (const where of [
        'before-commit',
        'after-commit',
        'after-publish',
        'before-ack',
      ] as const) {
        const crashed = await run(redis, `${base}-${where}`, 3, where);
        assert.ok(crashed.restarts > 3, `${where}: only ${crashed.restarts} crashes happened`);
        assert.deepEqual(crashed.rows, clean.rows, where);
      }
    } finally {
      const keys = await redis.keys(`${base}*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
    }
  },
);

test('state lost with nothing to restore: the partition is read again from its start, rows unchanged', async () => {
  const redis = new Redis(stack.redisUrl, auth.redis);
  const base = uniqueName('agg-lost');
  try {
    const clean = await run(redis, `${base}-clean`, 1, 'none');
    const lost = await run(redis, `${base}-lost`, 1, 'none', { wipeAfterSteps: 8 });
    assert.equal(lost.restarts, 1, 'the wipe happened once');
    assert.deepEqual(lost.rows, clean.rows);
  } finally {
    const keys = await redis.keys(`${base}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  }
});
