// The writer's ClickHouse sink as seen by one loop's batch trace: the first insert of a
// gathered batch begins its span (back-dated to the first envelope), and each table's insert
// is a phase with the rows it carries and the windows they cover. Attributes are computed
// only for sampled batches.
import type { Attributes } from '@opentelemetry/api';
import type { BatchTrace } from '@iot/observability';
import type { AggregateRow } from '@iot/windows';
import type { RowSink, WriterTable } from './write-task.ts';

export function tracedRowSink(sink: RowSink, trace: BatchTrace, input: string): RowSink {
  const phase = (table: WriterTable, n: number, extra?: () => Attributes): void => {
    trace.begin(() => ({ 'messaging.destination.name': input }), 'gather');
    trace.phase(`insert ${table}`, () => ({
      'db.system.name': 'clickhouse',
      'db.collection.name': table,
      'db.operation.batch.size': n,
      ...extra?.(),
    }));
  };
  return {
    insertSensorsLocal: (rows) => {
      phase('sensors_local', rows.length, () => windowRange(rows));
      return sink.insertSensorsLocal(rows);
    },
    insertAggregates: (rows) => {
      phase('sensor_aggregates', rows.length, () => windowRange(rows));
      return sink.insertAggregates(rows);
    },
    insertAlerts: (alerts) => {
      phase('sensor_alerts', alerts.length);
      return sink.insertAlerts(alerts);
    },
  };
}

/** The windows a batch's rows cover (window_start, epoch ms) and how many devices. */
function windowRange(rows: readonly AggregateRow[]): Attributes {
  if (rows.length === 0) return {};
  let min = Infinity;
  let max = -Infinity;
  const devices = new Set<string>();
  for (const r of rows) {
    const start = r.window_start;
    if (start < min) min = start;
    if (start > max) max = start;
    devices.add(r.device_id);
  }
  return { 'iot.window_start.min': min, 'iot.window_start.max': max, 'iot.devices': devices.size };
}
