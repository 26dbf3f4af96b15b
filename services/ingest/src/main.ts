// ingest: raw readings → SensorRecords with event time and watermarks; bad or late input → DLQ.
import { startService } from '@iot/observability';

import { spec } from './config.ts';

const svc = await startService({ service: 'ingest', spec });

// ── Processing plugs in here ─────────────────────────────────────────────────────────────
// Not wired yet. The ingest work builds, from svc.config: a Failover consumer on PULSAR_TOPIC
// (PULSAR_SUBSCRIPTION), producers for RECORDS_TOPIC and DLQ_TOPIC, a Supervisor from
// @iot/actors with one actor per active source partition running IngestOperator
// (./ingest-operator.ts) over Redis state, and the NATS checkpoint participant. It then
// replaces the check below with real ones (svc.readiness) and registers its stop hooks
// (svc.shutdown.onStop: stop consuming, drain actors, flush producers, close clients).
// Until then this process serves /healthz and /metrics only and is never ready.
svc.readiness.set('processing', false, 'ingest processing is not wired in yet');
svc.log.warn('processing not wired in: serving health and metrics only');
