import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NatsConnection } from 'nats';
import type { CheckpointStore } from '@iot/checkpoint-storage';
import { CheckpointParticipant, checkpointed } from './participant.ts';
import { subjects } from './subjects.ts';

// Enough of a NATS connection for a participant that is never sent anything.
const fakeNats = {
  subscribe: () => ({ unsubscribe: () => undefined }),
  publish: () => undefined,
  isClosed: () => false,
} as unknown as NatsConnection;

const tick = () => new Promise((r) => setImmediate(r));

test('a loop parked at the boundary of a suspended instance returns when interrupted, without a step', async () => {
  const participant = new CheckpointParticipant({
    nc: fakeNats,
    subjects: subjects('test'),
    store: {} as CheckpointStore,
    service: 'aggregator',
    instance: 'a-1',
    suspendWaitMs: 1_000,
  });
  try {
    const handle = participant.partition(3, {
      snapshot: async () => ({ entries: new Map(), meta: new Map(), pending: [] }),
    });
    let steps = 0;
    const task = checkpointed(
      {
        start: async () => {},
        step: async () => {
          steps++;
        },
      },
      handle,
    );
    await task.step();
    assert.equal(steps, 1);

    const suspending = participant.suspend();
    let returned = false;
    const parked = task.step().then(() => (returned = true));
    assert.equal((await suspending).ok, true, 'the partition parked at its boundary');
    await tick();
    assert.equal(returned, false, 'still parked while suspended');

    task.interrupt();
    await parked;
    assert.equal(steps, 1, 'no micro-batch after the interrupt');
    assert.deepEqual(participant.partitions, [], 'the partition is no longer reported');
  } finally {
    await participant.close();
  }
});
