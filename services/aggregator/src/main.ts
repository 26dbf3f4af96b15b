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
  Checkpointing,
  FailoverOwnership,
  envelopeProducer,
  instanceName,
  outputProducer,
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

const applied = metrics.counter({ name: 'aggregator_records_total', help: 'Records applied' });
const dropped = metrics.counter({
  name: 'aggregator_skipped_total',
  help: 'Records not applied, by why (duplicate, fenced, late)',
  labelNames: ['why'] as const,
});
const closed = metrics.counter({
  name: 'aggregator_windows_closed_total',
  help: 'Windows emitted',
});
const alerts = metrics.counter({ name: 'aggregator_alerts_total', help: 'Alerts emitted' });
const watermark = metrics.gauge({
  name: 'aggregator_watermark_ms',
  help: 'Combined upstream watermark per records partition',
  labelNames: ['partition'] as const,
});
const restarts = metrics.counter({
  name: 'aggregator_partition_restarts_total',
  help: 'Partition loops restarted after a failure',
});
const owned = metrics.gauge({ name: 'aggregator_owned_partitions', help: 'Partitions owned' });

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
    const task = new AggregatorPartitionTask({
      state,
      restore: checkpointing.restorer(partition),
      seek: (position) => consumer.seek(MessageId.parse(position)),
      source: tracedSource(
        batchSource(
          consumer,
          (m) => ({
            payload: m.payload,
            properties: m.properties,
            position: m.messageId.serialize(),
          }),
          { cumulative: true },
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
        applied.inc(s.applied);
        dropped.inc({ why: 'duplicate' }, s.duplicates);
        dropped.inc({ why: 'fenced' }, s.fenced);
        dropped.inc({ why: 'late' }, s.late);
        closed.inc(s.windowsClosed);
        alerts.inc(s.alerts);
        if (s.watermark !== null) watermark.set({ partition: String(partition) }, s.watermark);
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
    owned.set(supervisor.owned.length);
    if (e.kind === 'stopped' || e.kind === 'fenced') checkpointing.release(e.key);
    if (e.kind === 'failed') {
      restarts.inc();
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
