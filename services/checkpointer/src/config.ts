// checkpointer's environment (docs/architecture.md, "Checkpoints"): triggers snapshot epochs over NATS, writes
// each epoch's manifest to S3 once every owner reported, keeps the last K epochs, and sets
// Pulsar retention so every kept epoch can be replayed.
import {
  controlPlaneSpec,
  duration,
  int,
  natsSpec,
  pulsarSpec,
  s3Spec,
  serviceSpec,
  str,
  topics,
} from '@iot/config';

export const spec = {
  ...serviceSpec(9467),
  ...natsSpec,
  ...s3Spec,
  PULSAR_ADMIN_URL: pulsarSpec.PULSAR_ADMIN_URL,
  PULSAR_AUTH_TOKEN: pulsarSpec.PULSAR_AUTH_TOKEN,
  PULSAR_TLS_TRUST_CERTS: pulsarSpec.PULSAR_TLS_TRUST_CERTS,
  // The stateful stages' inputs: replaying an epoch reads them again.
  PULSAR_TOPIC: topics.PULSAR_TOPIC,
  RECORDS_TOPIC: topics.RECORDS_TOPIC,
  // The seed checkpointed every minute.
  CHECKPOINT_INTERVAL: duration({ min: '1s' }).default('60s'),
  // An epoch not fully reported by then is abandoned (no manifest) and its objects deleted.
  CHECKPOINT_TIMEOUT: duration({ min: '1s' }).default('30s'),
  // Complete epochs kept (savepoints are never expired).
  CHECKPOINT_RETAIN: int({ min: 1, max: 1000 }).default('5'),
  // Leader lease: a standby takes over this long after the leader stopped renewing.
  CHECKPOINT_LEASE_TTL: duration({ min: '1s', max: '5m' }).default('6s'),
  // JetStream KV bucket of the lease and the epoch counter.
  CHECKPOINT_LEASE_BUCKET: str({ pattern: /^[A-Za-z0-9_-]+$/, example: 'iot_leases' }).default(
    'iot_leases',
  ),
  ...controlPlaneSpec,
  // An instance silent this long is no longer expected to report (heartbeats every 2 s).
  HEARTBEAT_EXPIRY: duration({ min: '1s' }).default('6s'),
};
