// aggregator: records → 1-minute windows per device in Redis → aggregates and alerts.
import { startService } from '@iot/observability';

import { spec } from './config.ts';

const svc = await startService({ service: 'aggregator', spec });

// ── Processing plugs in here ─────────────────────────────────────────────────────────────
// Not wired yet. The aggregator work builds, from svc.config: a Failover consumer on
// RECORDS_TOPIC (PULSAR_SUBSCRIPTION), producers for AGGREGATES_TOPIC, ALERTS_TOPIC and
// DLQ_TOPIC, a Supervisor from @iot/actors with one actor per owned records partition
// running AggregatorPartitionTask (./partition-task.ts) over Redis state, and the NATS
// checkpoint participant. It then replaces the check below with real ones (svc.readiness)
// and registers its stop hooks (svc.shutdown.onStop).
// Until then this process serves /healthz and /metrics only and is never ready.
svc.readiness.set('processing', false, 'aggregator processing is not wired in yet');
svc.log.warn('processing not wired in: serving health and metrics only');
