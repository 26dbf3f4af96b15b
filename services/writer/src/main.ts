// writer: aggregates and alerts → ClickHouse, batched, idempotent, acked after the insert.
import { startService } from '@iot/observability';

import { spec } from './config.ts';

const svc = await startService({ service: 'writer', spec });

// ── Processing plugs in here ─────────────────────────────────────────────────────────────
// Not wired yet. The writer work builds, from svc.config: consumers on AGGREGATES_TOPIC and
// ALERTS_TOPIC (PULSAR_SUBSCRIPTION), a ClickHouseSink from @iot/clickhouse on CLICKHOUSE_URL
// (ensureSchema at start), batches of WRITER_BATCH_ROWS or WRITER_FLUSH_INTERVAL, acks after
// ClickHouse confirmed, and NATS heartbeats. It then replaces the check below with real ones
// (svc.readiness) and registers its stop hooks (svc.shutdown.onStop: flush, then close).
// Until then this process serves /healthz and /metrics only and is never ready.
svc.readiness.set('processing', false, 'writer processing is not wired in yet');
svc.log.warn('processing not wired in: serving health and metrics only');
