// aggregator: per-device tumbling windows over the records topic, state in Redis, closed on
// the watermark; results to the aggregates topic, alerts to the alerts topic, late → DLQ.
// One loop per owned records partition (Failover) (docs/architecture.md).
import { Redis } from 'ioredis';
import { pulsarCredentials } from '@iot/config';
import { PartitionSupervisor } from '@iot/actors';
import { batchSource } from '@iot/channel';
import { BatchTrace, startService, tracedSource, tracedStep } from '@iot/observability';
import { MessageId, PulsarClient } from '@iot/pulsar';
import { FencedError, PartitionState } from '@iot/state';
import {
  BatchClock,
  Checkpointing,
  FailoverOwnership,
  envelopeProducer,
  instanceName,
  outputProducer,
  StageMetrics,
  subscribePartitions,
  watchBacklog,
  watchPartitionedStage,
} from '@iot/stage';
import { spec } from './config.ts';
import { AggregatorPartitionTask } from './partition-task.ts';

/**
 * Records envelopes read ahead per partition, and at most per micro-batch. An envelope holds
 * a whole ingest batch (up to about 1 MB), and buffered payloads count against the capped
 * heap's GC budget: a deep read-ahead made V8 collect almost without pause.
 */
const ENVELOPE_QUEUE = 8;
const ENVELOPES_PER_BATCH = 8;

const svc = await startService({ service: 'aggregator', spec });
const { config, log, metrics, readiness, health, shutdown } = svc;
readiness.set('processing', false, 'connecting');

const stageMetrics = new StageMetrics(metrics, 'aggregator');
const windowsClosed = metrics.counter({
  name: 'iot_windows_closed_total',
  help: 'Windows closed and emitted as aggregate rows',
});
const alerts = metrics.counter({
  name: 'iot_alerts_total',
  help: 'Alerts emitted, by kind',
  labelNames: ['kind'] as const,
});
/** Windows open per owned records partition, after its last batch. */
const openWindows = new Map<number, number>();
metrics.gauge({
  name: 'iot_open_windows',
  help: 'Windows open (device × window with records, not yet closed), by records partition',
  labelNames: ['partition'] as const,
  collect: (g) => {
    g.reset();
    for (const [partition, n] of openWindows) g.set({ partition }, n);
  },
});

const client = new PulsarClient({
  serviceUrl: config.PULSAR_URL,
  ...pulsarCredentials(config),
});
const redis = new Redis(config.REDIS_URL);
shutdown.onStop('redis', () => redis.quit(), { last: true });
shutdown.onStop('pulsar', () => client.close(), { last: true });
const checkpointing = await Checkpointing.connect(
  config,
  'aggregator',
  instanceName('aggregator'),
  log,
);
shutdown.onStop('control-plane', () => checkpointing.close(), { last: true });

// A window waits for a watermark from every source partition.
const upstreamPartitions = Math.max(1, await client.getPartitionCount(config.PULSAR_TOPIC));
const outs = {
  aggregates: await envelopeProducer(client, config.AGGREGATES_TOPIC, config.INTERNAL_COMPRESSION),
  alerts: await envelopeProducer(client, config.ALERTS_TOPIC, config.INTERNAL_COMPRESSION),
  dlq: await outputProducer(client, config.DLQ_TOPIC, 'round-robin'),
};
const sources = await subscribePartitions(client, {
  topic: config.RECORDS_TOPIC,
  subscription: config.PULSAR_SUBSCRIPTION,
  consumerName: instanceName('aggregator'),
  // Envelopes of up to a whole ingest batch each: a short queue bounds the memory.
  receiverQueueSize: ENVELOPE_QUEUE,
});
const byPartition = new Map(sources.map((s) => [s.partition, s.consumer]));
const alertRules = {
  temperatureHigh: config.ALERT_TEMPERATURE_HIGH,
  humidityHigh: config.ALERT_HUMIDITY_HIGH,
  batteryLow: config.ALERT_BATTERY_LOW,
};

const supervisor = new PartitionSupervisor<number>({
  create: (partition) => {
    const consumer = byPartition.get(partition)!;
    const state = new PartitionState(redis, 'aggregator', partition, config.STATE_NAMESPACE);
    // One span per micro-batch, child of the first sampled records envelope it consumed and
    // linked to the others; each aggregates and alerts envelope carries its traceparent on.
    const trace = new BatchTrace(svc.tracer, 'aggregator batch', { upstream: 'parent' });
    const clock = new BatchClock();
    const task = new AggregatorPartitionTask({
      state,
      restore: checkpointing.restorer(partition),
      seek: (position) => consumer.seek(MessageId.parse(position)),
      source: tracedSource(
        clock.wrap(
          batchSource(
            consumer,
            (m) => ({
              payload: m.payload,
              properties: m.properties,
              position: m.messageId.serialize(),
            }),
            { cumulative: true },
          ),
        ),
        trace,
        {
          next: 'apply',
          attributes: ({ messages }) => ({
            'iot.partition': partition,
            'iot.owner_epoch': state.ownerEpoch,
            'iot.envelopes': messages.length,
            'iot.position.first': messages[0]!.position,
            'iot.position.last': messages.at(-1)!.position,
          }),
        },
      ),
      sink: {
        publish: async (outputs) => {
          // Windows closed by time alone (no input in the batch), or outputs republished at
          // start: a batch span of its own (a root).
          trace.begin(
            () => ({ 'iot.partition': partition, 'iot.owner_epoch': state.ownerEpoch }),
            'publish',
          );
          for (const o of outputs) trace.inject(o.message.properties);
          await Promise.all(outputs.map((o) => outs[o.topic].send(o.message)));
        },
      },
      options: {
        windowSizeMs: config.WINDOW_SIZE,
        alertRules,
        upstreamPartitions,
        idleTimeoutMs: config.WATERMARK_IDLE_TIMEOUT,
      },
      now: Date.now,
      maxBatch: ENVELOPES_PER_BATCH,
      batchTimeoutMs: 100,
      onPhase: (phase) => trace.phase(phase),
      onBatch: (s) => {
        trace.end(() => ({
          'iot.records_applied': s.applied,
          'iot.duplicates': s.duplicates,
          'iot.late': s.late,
          'iot.windows_closed': s.windowsClosed,
          'iot.alerts': s.alerts,
          ...(s.watermark === null ? {} : { 'iot.watermark': s.watermark }),
        }));
        // An empty batch (time alone may close windows) consumed nothing: no batch sample.
        if (s.envelopes > 0) {
          stageMetrics.batch(partition, s.applied + s.duplicates + s.fenced, clock.elapsed());
        }
        stageMetrics.out(s.windowsClosed + s.alerts);
        stageMetrics.skip('duplicate', s.duplicates);
        stageMetrics.skip('fenced', s.fenced);
        stageMetrics.toDlq('late', s.late);
        stageMetrics.toDlq('bad_channel_message', s.malformed);
        stageMetrics.watermark(partition, s.watermark);
        openWindows.set(partition, s.openWindows);
        if (s.windowsClosed > 0) windowsClosed.inc(s.windowsClosed);
        for (const [kind, n] of Object.entries(s.alertsByKind)) alerts.inc({ kind }, n);
        if (s.windowsClosed > 0) {
          log.info('windows closed', {
            partition,
            windows: s.windowsClosed,
            watermark: s.watermark,
          });
        }
      },
    });
    return checkpointing.wrap(partition, state, {
      start: async () => {
        const started = await task.start();
        trace.end(() => ({ 'iot.republished': started.republished }));
        return started;
      },
      step: tracedStep(trace, () => task.step()),
    });
  },
  beforeRestart: (partition) => byPartition.get(partition)!.redeliverUnacknowledged(),
  isFenced: (err) => err instanceof FencedError,
  onEvent: (e) => {
    if (e.kind === 'stopped' || e.kind === 'fenced') {
      checkpointing.release(e.key);
      stageMetrics.release(e.key);
      openWindows.delete(e.key);
    }
    if (e.kind === 'failed') {
      stageMetrics.restarted();
      log.error('partition loop failed; restarting from committed state', {
        partition: e.key,
        err: e.error,
        delayMs: e.delayMs,
      });
    } else log.info(`partition ${e.kind}`, { partition: e.key });
  },
});
const ownership = new FailoverOwnership(sources, supervisor);
ownership.start();
// Health and readiness: loops with waiting input must progress; dependencies must answer.
watchPartitionedStage({
  health,
  readiness,
  supervisor,
  consumers: byPartition,
  producers: [...Object.values(outs)],
  redis,
  checkpointing,
});
// Lag for `iotctl status`: the subscription's backlog per partition, from the admin API.
const backlog = watchBacklog(config, sources, config.PULSAR_SUBSCRIPTION, log);
checkpointing.reportLag((p) => backlog.of(p));
stageMetrics.watchBacklog(backlog, () => supervisor.owned);
stageMetrics.ownedPartitions(() => supervisor.owned.length);
stageMetrics.watchSuspended(() => checkpointing.suspended);
shutdown.onStop('backlog', () => backlog.stop());
readiness.set('processing', true);
log.info('consuming', {
  topic: config.RECORDS_TOPIC,
  partitions: sources.length,
  upstreamPartitions,
});

shutdown.onStop('partitions', () => ownership.stop());
shutdown.onStop('consumers', () => Promise.all(sources.map((s) => s.consumer.close())));
shutdown.onStop('producers', () => Promise.all(Object.values(outs).map((p) => p.close())));
