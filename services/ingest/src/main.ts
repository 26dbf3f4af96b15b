// ingest: raw readings → SensorRecords with event time and watermarks; bad or late input → DLQ.
// One loop per owned source partition (Failover), state in Redis (docs/architecture.md).
import { pulsarCredentials } from '@iot/config';
import { batchSource, publishAll } from '@iot/channel';
import { BatchTrace, startService, tracedSource, tracedStep } from '@iot/observability';
import { PulsarAdmin, partitionTopicName } from '@iot/pulsar';
import {
  BatchClock,
  connectStage,
  envelopeProducer,
  followPartitionCount,
  outputProducer,
  runPartitionedStage,
  StageMetrics,
} from '@iot/stage';
import { caughtUpWith } from './caught-up.ts';
import { spec } from './config.ts';
import { IngestPartitionTask } from './partition-task.ts';
import { WriterSchemas } from './writer-schemas.ts';

const svc = await startService({ service: 'ingest', spec });
const { config, log, metrics } = svc;

const stageMetrics = new StageMetrics(metrics, 'ingest');

const stage = await connectStage(svc, 'ingest');
const { client } = stage;

const dlq = await outputProducer(client, config.DLQ_TOPIC, 'round-robin');
// One producer per records partition: the operator routes each record by device_id and sends
// one envelope per partition and batch. The count is fixed for this process's life: a device
// must keep reaching the aggregator partition that holds its open windows, so new records
// partitions are not routed to while running (docs/architecture.md, "Partitions added while
// running").
const recordsPartitions = await client.getPartitionCount(config.RECORDS_TOPIC);
const recordsOuts = await Promise.all(
  (recordsPartitions === 0
    ? [config.RECORDS_TOPIC]
    : Array.from({ length: recordsPartitions }, (_, q) =>
        partitionTopicName(config.RECORDS_TOPIC, q),
      )
  ).map((t) => envelopeProducer(client, t, config.INTERNAL_COMPRESSION)),
);
await followPartitionCount(svc, client, config.RECORDS_TOPIC, (from, to) =>
  log.error(
    'the records topic has more partitions than this process routes to; it keeps routing ' +
      'to the count it started with. Repartition the records topic only on a drained ' +
      'pipeline with ingest and the aggregator stopped (k8s/README.md, Topics and partitions)',
    { topic: config.RECORDS_TOPIC, routing: from, partitions: to },
  ),
);

// Messages from producers with a registered schema (Java Schema.AVRO) carry its version.
const writerSchemas = new WriterSchemas(
  new PulsarAdmin({
    adminUrl: config.PULSAR_ADMIN_URL,
    ...pulsarCredentials(config),
    timeoutMs: 10_000,
  }),
);

await runPartitionedStage(svc, stage, {
  service: 'ingest',
  metrics: stageMetrics,
  topic: config.PULSAR_TOPIC,
  // An entry the client cannot decode (oversized, corrupt compression or batch) goes to the
  // DLQ like any bad reading instead of being dropped with a log line.
  subscribe: { corruptMessages: 'deliver' },
  producers: [dlq, ...recordsOuts],
  describe: () => ({ recordsPartitions: recordsOuts.length }),
  task: ({ partition, consumer, state, seek, seekToStart }) => {
    // One span per micro-batch; each records envelope carries its traceparent on.
    const trace = new BatchTrace(svc.tracer, 'ingest batch', { upstream: 'link' });
    const clock = new BatchClock();
    const task = new IngestPartitionTask({
      state,
      restore: stage.checkpointing.restorer(partition),
      seek,
      seekToStart,
      writerSchema: (version) => writerSchemas.resolve(consumer.topic, version),
      caughtUp: caughtUpWith(consumer),
      idleAfterMs: config.WATERMARK_IDLE_TIMEOUT,
      // A Message is a SourceMessage: handed over as it is, without a copy per message.
      source: tracedSource(
        clock.wrap(batchSource(consumer, (m) => m, { cumulative: true })),
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
        stageMetrics.batch(partition, s.messages, clock.elapsed());
        stageMetrics.out(s.records);
        stageMetrics.skip('redelivered', s.skipped);
        for (const [reason, n] of Object.entries(s.reasons)) stageMetrics.toDlq(reason, n);
        stageMetrics.toDlq('late', s.late);
        stageMetrics.watermark(partition, s.watermark);
        if (s.reasons.operator_error) {
          log.error('the ingest operator threw on messages; sent to the DLQ (operator_error)', {
            partition,
            messages: s.reasons.operator_error,
          });
        }
      },
    });
    return { start: () => task.start(), step: tracedStep(trace, () => task.step()) };
  },
});
