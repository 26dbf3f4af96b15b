// aggregator: per-device tumbling windows over the records topic, state in Redis, closed on
// the watermark; results to the aggregates topic, alerts to the alerts topic, late → DLQ.
// One loop per owned records partition (Failover) (docs/architecture.md).
import { batchSource } from '@iot/channel';
import { BatchTrace, startService, tracedSource, tracedStep } from '@iot/observability';
import {
  BatchClock,
  connectStage,
  envelopeProducer,
  followPartitionCount,
  outputProducer,
  runPartitionedStage,
  StageMetrics,
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
const { config, log, metrics } = svc;

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

const stage = await connectStage(svc, 'aggregator');
const { client } = stage;

// A window waits for a watermark from every source partition, those added to the source topic
// while running included: each loop reads the count before every batch, and a partition it
// has not heard from yet holds its windows open (docs/architecture.md, "Partitions added
// while running").
const sourceWatch = await followPartitionCount(svc, client, config.PULSAR_TOPIC, (from, to) =>
  log.info('the source topic has new partitions; windows wait for their watermarks too', {
    topic: config.PULSAR_TOPIC,
    from,
    to,
  }),
);
const upstreamPartitions = (): number => Math.max(1, sourceWatch.partitions);
const outs = {
  aggregates: await envelopeProducer(client, config.AGGREGATES_TOPIC, config.INTERNAL_COMPRESSION),
  alerts: await envelopeProducer(client, config.ALERTS_TOPIC, config.INTERNAL_COMPRESSION),
  dlq: await outputProducer(client, config.DLQ_TOPIC, 'round-robin'),
};
const alertRules = {
  temperatureHigh: config.ALERT_TEMPERATURE_HIGH,
  humidityHigh: config.ALERT_HUMIDITY_HIGH,
  batteryLow: config.ALERT_BATTERY_LOW,
};

await runPartitionedStage(svc, stage, {
  service: 'aggregator',
  metrics: stageMetrics,
  topic: config.RECORDS_TOPIC,
  // Envelopes of up to a whole ingest batch each: a short queue bounds the memory.
  subscribe: { receiverQueueSize: ENVELOPE_QUEUE },
  producers: Object.values(outs),
  describe: () => ({ upstreamPartitions: upstreamPartitions() }),
  task: ({ partition, consumer, state, seek, seekToStart }) => {
    // One span per micro-batch, child of the first sampled records envelope it consumed and
    // linked to the others; each aggregates and alerts envelope carries its traceparent on.
    const trace = new BatchTrace(svc.tracer, 'aggregator batch', { upstream: 'parent' });
    const clock = new BatchClock();
    const task = new AggregatorPartitionTask({
      state,
      restore: stage.checkpointing.restorer(partition),
      seek,
      seekToStart,
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
        stageMetrics.toDlq('operator_error', s.poisoned.length);
        for (const error of s.poisoned) {
          log.error('the window operator threw on a records envelope; sent to the DLQ', {
            partition,
            error,
          });
        }
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
    return {
      start: async () => {
        const started = await task.start();
        trace.end(() => ({ 'iot.republished': started.republished }));
        return started;
      },
      step: tracedStep(trace, () => task.step()),
    };
  },
  onPartitionReleased: (partition) => openWindows.delete(partition),
});
