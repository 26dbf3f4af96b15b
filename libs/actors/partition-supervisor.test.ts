import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PartitionSupervisor, type PartitionEvent } from './partition-supervisor.ts';

class Fenced extends Error {}

const tick = () => new Promise((r) => setImmediate(r));

test('a failing step restarts the loop from a fresh task with backoff; release stops it', async () => {
  const events: PartitionEvent<number>[] = [];
  const created: number[] = [];
  let steps = 0;
  let redeliveries = 0;
  const sup = new PartitionSupervisor<number>({
    create: (key) => {
      created.push(key);
      return {
        start: async () => {},
        step: async () => {
          steps++;
          await tick();
          if (steps === 3) throw new Error('redis went away');
        },
      };
    },
    beforeRestart: () => void redeliveries++,
    backoff: { initialMs: 5, jitter: 0 },
    onEvent: (e) => events.push(e),
    sleep: async () => {},
  });
  sup.own(7);
  sup.own(7); // already owned: no second loop
  while (steps < 10) await tick();
  await sup.release(7);
  assert.deepEqual(created, [7, 7]);
  assert.equal(redeliveries, 1);
  assert.equal(sup.restartsOf(7), 0, 'released keys are forgotten');
  assert.deepEqual(
    events.map((e) => e.kind),
    ['started', 'failed', 'started', 'stopped'],
  );
  assert.equal(events[1]?.kind === 'failed' && events[1].delayMs, 5);
  assert.deepEqual(sup.owned, []);
});

test('a fenced task stops for good instead of taking the partition back', async () => {
  const events: string[] = [];
  let creates = 0;
  const sup = new PartitionSupervisor<string>({
    create: () => {
      creates++;
      return {
        start: async () => {},
        step: async () => {
          await tick();
          throw new Fenced('epoch 3 fenced by 4');
        },
      };
    },
    isFenced: (e) => e instanceof Fenced,
    onEvent: (e) => events.push(e.kind),
    sleep: async () => {},
  });
  sup.own('p0');
  while (!events.includes('stopped')) await tick();
  assert.deepEqual(events, ['started', 'fenced', 'stopped']);
  assert.equal(creates, 1);
  assert.deepEqual(sup.owned, []);
});

test('release waits for the running micro-batch to finish', async () => {
  let inStep = false;
  let finishedSteps = 0;
  const sup = new PartitionSupervisor<number>({
    create: () => ({
      start: async () => {},
      step: async () => {
        inStep = true;
        await new Promise((r) => setTimeout(r, 20));
        inStep = false;
        finishedSteps++;
      },
    }),
  });
  sup.own(1);
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(inStep, true);
  await sup.release(1);
  assert.equal(inStep, false);
  assert.equal(finishedSteps, 1);
});

test('release interrupts a step that is waiting, so the loop stops without waiting it out', async () => {
  const events: string[] = [];
  let interrupts = 0;
  let wake: (() => void) | undefined;
  let parked = false;
  const sup = new PartitionSupervisor<number>({
    create: () => ({
      start: async () => {},
      // Parks until interrupted (as a suspended instance's loop does at a boundary).
      step: async () => {
        parked = true;
        await new Promise<void>((r) => (wake = r));
        parked = false;
      },
      interrupt: () => {
        interrupts++;
        wake?.();
      },
    }),
    onEvent: (e) => events.push(e.kind),
  });
  sup.own(1);
  while (!parked) await tick();
  await sup.release(1);
  assert.equal(interrupts, 1);
  assert.deepEqual(events, ['started', 'stopped']);
  assert.deepEqual(sup.owned, []);
});

test('progress() tells when each running loop last started or completed a step', async () => {
  let clock = 1000;
  const gate: { release?: () => void } = {};
  const sup = new PartitionSupervisor<number>({
    create: () => ({
      start: async () => {},
      step: () => new Promise<void>((r) => (gate.release = r)),
    }),
    now: () => clock,
  });
  sup.own(1);
  while (gate.release === undefined) await tick();
  assert.deepEqual(sup.progress(), [{ key: 1, progressAt: 1000 }]);
  clock = 5000;
  assert.deepEqual(
    sup.progress(),
    [{ key: 1, progressAt: 1000 }],
    'a step in progress is not progress',
  );
  // Through functions: TypeScript would otherwise keep gate.release narrowed across awaits.
  const releaseStep = (): void => {
    const r = gate.release;
    delete gate.release;
    r?.();
  };
  const stepWaiting = (): boolean => gate.release !== undefined;
  releaseStep();
  while (!stepWaiting()) await tick();
  assert.deepEqual(sup.progress(), [{ key: 1, progressAt: 5000 }]);
  const stopping = sup.release(1);
  releaseStep();
  await stopping;
  assert.deepEqual(sup.progress(), []);
});
