// ingest: raw readings → SensorRecords with event time and watermarks; bad or late input → DLQ.
// One loop per owned source partition (Failover), state in Redis (docs/architecture.md).
import { Redis } from 'ioredis';
import { pulsarCredentials } from '@iot/config';
import { PartitionSupervisor } from '@iot/actors';
import { batchSource, publishAll } from '@iot/channel';
import { BatchTrace, startService, tracedSource, tracedStep } from '@iot/observability';
import { MessageId, PulsarClient, partitionTopicName } from '@iot/pulsar';
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
import { caughtUpWith } from './caught-up.ts';
import { spec } from './config.ts';
import { IngestPartitionTask } from './partition-task.ts';

const svc = await startService({ service: 'ingest', spec });
const { config, log, metrics, readiness, health, shutdown } = svc;
readiness.set('processing', false, 'connecting');

const recordsOut = metrics.counter({ name: 'ingest_records_total', help: 'Records published' });
const dlqOut = metrics.counter({
  name: 'ingest_dlq_total',
  help: 'Messages sent to the DLQ, by reason (late included)',
  labelNames: ['reason'] as const,
});
const skipped = metrics.counter({
  name: 'ingest_redelivered_skipped_total',
  help: 'Redelivered messages already committed',
});
const batches = metrics.counter({ name: 'ingest_batches_total', help: 'Micro-batches committed' });
const restarts = metrics.counter({
  name: 'ingest_partition_restarts_total',
  help: 'Partition loops restarted after a failure',
});
const owned = metrics.gauge({ name: 'ingest_owned_partitions', help: 'Source partitions owned' });

const client = new PulsarClient({
  serviceUrl: config.PULSAR_URL,
  ...pulsarCredentials(config),
});
const redis = new Redis(config.REDIS_URL, { lazyConnect: false });
shutdown.onStop('redis', () => redis.quit(), { last: true });
shutdown.onStop('pulsar', () => client.close(), { last: true });
const checkpointing = await Checkpointing.connect(config, 'ingest', instanceName('ingest'), log);
shutdown.onStop('control-plane', () => checkpointing.close(), { last: true });

const dlq = await outputProducer(client, config.DLQ_TOPIC, 'round-robin');
// One producer per records partition: the operator routes each record by device_id and sends
// one envelope per partition and batch.
const recordsPartitions = await client.getPartitionCount(config.RECORDS_TOPIC);
const recordsOuts = await Promise.all(
  (recordsPartitions === 0
    ? [config.RECORDS_TOPIC]
    : Array.from({ length: recordsPartitions }, (_, q) =>
        partitionTopicName(config.RECORDS_TOPIC, q),
      )
  ).map((t) => envelopeProducer(client, t, config.INTERNAL_COMPRESSION)),
);

const sources = await subscribePartitions(client, {
  topic: config.PULSAR_TOPIC,
  subscription: config.PULSAR_SUBSCRIPTION,
  consumerName: instanceName('ingest'),
  // An entry the client cannot decode (oversized, corrupt compression or batch) goes to the
  // DLQ like any bad reading instead of being dropped with a log line.
  corruptMessages: 'deliver',
});
const byPartition = new Map(sources.map((s) => [s.partition, s.consumer]));

const supervisor = new PartitionSupervisor<number>({
  create: (partition) => {
    const consumer = byPartition.get(partition)!;
    const state = new PartitionState(redis, 'ingest', partition, config.STATE_NAMESPACE);
    // One span per micro-batch; each records envelope carries its traceparent on.
    const trace = new BatchTrace(svc.tracer, 'ingest batch', { upstream: 'link' });
    const task = new IngestPartitionTask({
      state,
      restore: checkpointing.restorer(partition),
      seek: (position) => consumer.seek(MessageId.parse(position)),
      caughtUp: caughtUpWith(consumer),
      idleAfterMs: config.WATERMARK_IDLE_TIMEOUT,
      // A Message is a SourceMessage: handed over as it is, without a copy per message.
      source: tracedSource(
        batchSource(consumer, (m) => m, { cumulative: true }),
        trace,
        {
          next: 'decode',
          attributes: ({ messages }) => ({
            'iot.partition': partition,
            'iot.owner_epoch': state.ownerEpoch,
            'messaging.batch.message_count': messages.length,
            'iot.position.first': String(messages[0]!.messageId),
            'iot.position.last': String(messages.at(-1)!.messageId),
          }),
        },
      ),
      sink: {
        publishEnvelopes: async (envelopes) => {
          trace.annotate(() => ({ 'iot.envelopes': envelopes.length }));
          for (const e of envelopes) trace.inject(e.message.properties);
          await Promise.all(envelopes.map((e) => recordsOuts[e.partition]!.send(e.message)));
        },
        publishDlq: (ms) => publishAll(dlq, ms),
      },
      options: {
        sourcePartition: partition,
        timeMode: config.TIME_MODE,
        maxOutOfOrdernessMs: config.MAX_OUT_OF_ORDERNESS,
        recordsPartitions: recordsOuts.length,
        maxFutureSkewMs: config.MAX_FUTURE_SKEW,
      },
      now: Date.now,
      maxBatch: 5000,
      batchTimeoutMs: 100,
      onPhase: (phase) => trace.phase(phase),
      onBatch: (s) => {
        trace.end(() => ({
          'iot.records': s.records,
          'iot.dlq': s.dlq,
          'iot.late': s.late,
          'iot.skipped': s.skipped,
        }));
        batches.inc();
        recordsOut.inc(s.records);
        skipped.inc(s.skipped);
        for (const [reason, n] of Object.entries(s.reasons)) dlqOut.inc({ reason }, n);
        if (s.late > 0) dlqOut.inc({ reason: 'late' }, s.late);
      },
    });
    return checkpointing.wrap(partition, state, {
      start: () => task.start(),
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
  producers: [dlq, ...recordsOuts],
  redis,
  checkpointing,
});
// Lag for `iotctl status`: the subscription's backlog per partition, from the admin API.
const backlog = watchBacklog(config, sources, config.PULSAR_SUBSCRIPTION, log);
checkpointing.reportLag((p) => backlog.of(p));
shutdown.onStop('backlog', () => backlog.stop());
readiness.set('processing', true);
log.info('consuming', {
  topic: config.PULSAR_TOPIC,
  partitions: sources.length,
  recordsPartitions: recordsOuts.length,
});

// Stop at a micro-batch boundary (everything committed), then flush and close.
shutdown.onStop('partitions', () => ownership.stop());
shutdown.onStop('consumers', () => Promise.all(sources.map((s) => s.consumer.close())));
shutdown.onStop('producers', () => Promise.all([dlq, ...recordsOuts].map((p) => p.close())));
