// checkpointer: snapshot epochs over NATS, manifests in S3, retention of the last K epochs.
import { startService } from '@iot/observability';

import { spec } from './config.ts';

const svc = await startService({ service: 'checkpointer', spec });

// ── Processing plugs in here ─────────────────────────────────────────────────────────────
// Not wired yet. The checkpoint work builds, from svc.config: leader election (one active
// instance of the replicas), a CHECKPOINT_INTERVAL timer that triggers epoch N over NATS,
// collects reports within CHECKPOINT_TIMEOUT, writes checkpoints/epoch-N/_manifest.json to
// S3_BUCKET last, and expires all but CHECKPOINT_RETAIN epochs. It then replaces the check
// below with real ones (svc.readiness) and registers its stop hooks (svc.shutdown.onStop).
// Until then this process serves /healthz and /metrics only and is never ready.
svc.readiness.set('processing', false, 'checkpointer processing is not wired in yet');
svc.log.warn('processing not wired in: serving health and metrics only');
