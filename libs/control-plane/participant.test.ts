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

function participantFor(instance: string, restoreWaitMs = 1_000): CheckpointParticipant {
  return new CheckpointParticipant({
    nc: fakeNats,
    subjects: subjects('test'),
    store: {} as CheckpointStore,
    service: 'aggregator',
    instance,
    suspendWaitMs: 1_000,
    restoreWaitMs,
  });
}

const emptySnapshot = async () => ({ entries: new Map(), meta: new Map(), pending: [] });

test('restore runs at the next boundary of a running partition, before its next step', async () => {
  const participant = participantFor('a-2');
  try {
    const order: string[] = [];
    const handle = participant.partition(1, {
      snapshot: emptySnapshot,
      restore: async (from) => {
        order.push(`restore ${from}`);
      },
    });
    const task = checkpointed(
      { start: async () => {}, step: async () => order.push('step') },
      handle,
    );
    await task.step();
    assert.equal(participant.status().restoring, undefined);
    const restoring = participant.restore('epoch-7');
    // Announced (status, heartbeats) until done: the console shows the pipeline restoring.
    assert.equal(participant.status().restoring, true);
    await task.step();
    const ack = await restoring;
    assert.equal(participant.status().restoring, undefined);
    assert.deepEqual(order, ['step', 'restore epoch-7', 'step']);
    assert.deepEqual(ack, {
      service: 'aggregator',
      instance: 'a-2',
      action: 'restore',
      ok: true,
      partitions: [1],
    });
  } finally {
    await participant.close();
  }
});

test('a suspended partition restores while parked and stays parked until resume', async () => {
  const participant = participantFor('a-3');
  try {
    let restores = 0;
    let steps = 0;
    const handle = participant.partition(2, {
      snapshot: emptySnapshot,
      restore: async () => {
        restores++;
      },
    });
    const task = checkpointed({ start: async () => {}, step: async () => steps++ }, handle);
    const suspending = participant.suspend();
    const parked = task.step();
    assert.equal((await suspending).ok, true);
    const ack = await participant.restore('my-savepoint');
    assert.equal(ack.ok, true);
    assert.equal(restores, 1);
    await tick();
    assert.equal(steps, 0, 'still parked after the restore');
    participant.resume();
    await parked;
    assert.equal(steps, 1);
  } finally {
    await participant.close();
  }
});

test('a failed or unanswered restore is reported per partition, not as success', async () => {
  const participant = participantFor('a-4', 200);
  try {
    const failing = participant.partition(0, {
      snapshot: emptySnapshot,
      restore: async () => {
        throw new Error('epoch-9 has no snapshot of aggregator partition 0');
      },
    });
    participant.partition(5, { snapshot: emptySnapshot, restore: async () => {} }); // never steps
    participant.partition(6, { snapshot: emptySnapshot }); // cannot restore
    const task = checkpointed({ start: async () => {}, step: async () => {} }, failing);
    const restoring = participant.restore('9');
    await task.step();
    const ack = await restoring;
    assert.equal(ack.ok, false);
    assert.deepEqual(ack.partitions, []);
    assert.match(ack.error ?? '', /0: epoch-9 has no snapshot of aggregator partition 0/);
    assert.match(ack.error ?? '', /5: not restored within 200 ms/);
    assert.match(ack.error ?? '', /6: this owner cannot restore while running/);
  } finally {
    await participant.close();
  }
});
