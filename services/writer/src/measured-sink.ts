// The writer's ClickHouse sink with its metrics: every insert call timed per table, and every
// failed one counted by class (`refused`, or the transient class the retry loop waits out),
// the bisection's probes and the retries included, since each is a request ClickHouse failed.
import { classifyInsertError } from '@iot/clickhouse';
import type { MetricsRegistry } from '@iot/observability';
import type { RowSink, WriterTable } from './write-task.ts';

export function measuredRowSink(sink: RowSink, metrics: MetricsRegistry): RowSink {
  const duration = metrics.histogram({
    name: 'iot_clickhouse_insert_duration_seconds',
    help: 'ClickHouse INSERT time per request, by table (failed ones included)',
    labelNames: ['table'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  });
  const errors = metrics.counter({
    name: 'iot_clickhouse_insert_errors_total',
    help: 'Failed ClickHouse INSERT requests, by class (refused, connection, timeout, overload, other)',
    labelNames: ['class'] as const,
  });
  const measured =
    <T>(table: WriterTable, insert: (items: readonly T[]) => Promise<void>) =>
    async (items: readonly T[]): Promise<void> => {
      const done = duration.startTimer({ table });
      try {
        await insert(items);
      } catch (err) {
        const c = classifyInsertError(err);
        errors.inc({ class: c.kind === 'refused' ? 'refused' : c.class });
        throw err;
      } finally {
        done();
      }
    };
  return {
    insertSensorsLocal: measured('sensors_local', (rows) => sink.insertSensorsLocal(rows)),
    insertAggregates: measured('sensor_aggregates', (rows) => sink.insertAggregates(rows)),
    insertAlerts: measured('sensor_alerts', (alerts) => sink.insertAlerts(alerts)),
  };
}
