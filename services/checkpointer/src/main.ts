// checkpointer: snapshot epochs over NATS, manifests in S3, retention of the last K epochs,
// Pulsar retention for replay (docs/architecture.md). Every replica runs this; the one
// holding the lease (JetStream KV) triggers epochs, the others stand by.
import { hostname } from 'node:os';
import { connect, type NatsConnection } from 'nats';
import { CheckpointStore, createS3Client, isStorageUnavailable } from '@iot/checkpoint-storage';
import {
  EpochCoordinator,
  EpochCounter,
  Heartbeater,
  LeaderElection,
  MembershipWatcher,
  encode,
  isNatsUnavailable,
  subjects as controlSubjects,
  type ControlAck,
  type InstanceStatus,
} from '@iot/control-plane';
import { ConsoleCollector, consoleRoutes } from '@iot/console';
import { natsConnection, pulsarCredentials } from '@iot/config';
import { startService, whenReachable } from '@iot/observability';
import { AdminError, PulsarAdmin } from '@iot/pulsar';

import { CheckpointMetrics } from './checkpoint-metrics.ts';
import { Checkpointer } from './checkpointer.ts';
import { spec } from './config.ts';
import {
  ensureReplayRetention,
  ensureWhenCreated,
  replayRetentionMinutes,
  type RetentionChange,
} from './replay-retention.ts';

const svc = await startService({ service: 'checkpointer', spec });
const { config, log, metrics, readiness, shutdown } = svc;
readiness.set('processing', false, 'connecting');
const instance = `checkpointer-${hostname()}-${process.pid}`.replaceAll('.', '_');

const fail = async (msg: string, err: unknown): Promise<never> => {
  log.error(msg, { err });
  await shutdown.stop(msg, 1);
  // stop() exits the process; this only satisfies the type checker.
  throw err;
};

// ── Pulsar retention first: without replay, a restored epoch would lose data. ────────────
const admin = new PulsarAdmin({
  adminUrl: config.PULSAR_ADMIN_URL,
  ...pulsarCredentials(config),
  timeoutMs: 10_000,
});
const retentionMinutes = replayRetentionMinutes(
  config.CHECKPOINT_INTERVAL,
  config.CHECKPOINT_RETAIN,
);
const replayTopics = [config.PULSAR_TOPIC, config.RECORDS_TOPIC];
const raised = (changes: RetentionChange[]) =>
  changes.map((c) => `${c.topic} ${JSON.stringify(c.from)} -> ${JSON.stringify(c.to)}`);
// The broker and S3 may come up after the checkpointer: it waits for them (whenReachable);
// a refusal (401, 403, a missing bucket) stops it with what to fix.
const retentionWhenReachable = () =>
  whenReachable(
    svc,
    {
      check: 'pulsar-admin',
      what: 'the broker admin API',
      fields: { adminUrl: config.PULSAR_ADMIN_URL },
      transient: (err) => err instanceof AdminError && (err.status === 0 || err.status >= 500),
    },
    () => ensureReplayRetention(admin, replayTopics, retentionMinutes),
  );
try {
  const { changes, missing } = await retentionWhenReachable();
  log.info('pulsar retention ensured for replay', {
    minutes: retentionMinutes,
    topics: replayTopics,
    raised: raised(changes),
  });
  if (missing.length > 0) {
    log.warn('topics not created yet: their retention is checked until they exist', { missing });
    const stop = ensureWhenCreated(admin, missing, retentionMinutes, 10_000, {
      changed: (c) => log.info('pulsar retention raised for replay', { raised: raised(c) }),
      failed: (err) => log.warn('cannot check Pulsar retention yet; retrying', { err }),
    });
    shutdown.onStop('retention', stop);
  }
} catch (err) {
  await fail(
    svc.redact(
      `Cannot set Pulsar retention (${retentionMinutes} min) on ${replayTopics.join(', ')} via ` +
        `PULSAR_ADMIN_URL=${config.PULSAR_ADMIN_URL}: ${(err as Error).message}. Without it a ` +
        'restored epoch could not be replayed; fix the admin URL, PULSAR_AUTH_TOKEN or the ' +
        "role's permissions, then restart",
    ),
    err,
  );
}

// ── NATS and S3 ──────────────────────────────────────────────────────────────────────────
let nc: NatsConnection;
try {
  nc = await whenReachable(
    svc,
    {
      check: 'nats',
      what: 'NATS',
      fields: { url: config.NATS_URL },
      transient: isNatsUnavailable,
    },
    () =>
      connect({
        ...natsConnection(config),
        name: instance,
        maxReconnectAttempts: -1,
        timeout: 5000,
      }),
  );
} catch (err) {
  nc = await fail(
    svc.redact(
      `Cannot reach NATS at NATS_URL=${config.NATS_URL}: ${(err as Error).message} ` +
        '(is it running? are NATS_USER and NATS_PASSWORD, or NATS_CREDS, right?)',
    ),
    err,
  );
}
shutdown.onStop('nats', () => nc.drain(), { last: true });
const s3 = createS3Client({
  endpoint: config.S3_ENDPOINT,
  region: config.S3_REGION,
  accessKeyId: config.S3_ACCESS_KEY,
  secretAccessKey: config.S3_SECRET_KEY,
  forcePathStyle: config.S3_FORCE_PATH_STYLE,
});
shutdown.onStop('s3', () => s3.destroy(), { last: true });
const store = new CheckpointStore({
  s3,
  bucket: config.S3_BUCKET,
  prefix: config.CHECKPOINT_S3_PREFIX,
});
try {
  await whenReachable(
    svc,
    {
      check: 's3',
      what: 'S3',
      fields: { endpoint: config.S3_ENDPOINT, bucket: config.S3_BUCKET },
      transient: isStorageUnavailable,
    },
    () => store.listEpochs(),
  );
} catch (err) {
  await fail(
    svc.redact(
      `Cannot use S3 bucket ${config.S3_BUCKET} at S3_ENDPOINT=${config.S3_ENDPOINT}: ` +
        `${(err as Error).message} (check the endpoint, bucket and keys)`,
    ),
    err,
  );
}

// ── Metrics ──────────────────────────────────────────────────────────────────────────────
const checkpointMetrics = new CheckpointMetrics(metrics, config.CHECKPOINT_INTERVAL);
const newestEpoch = await store.newestComplete().catch(() => undefined);
if (newestEpoch !== undefined) checkpointMetrics.startFrom(newestEpoch);

// ── Control plane ────────────────────────────────────────────────────────────────────────
const subj = controlSubjects(config.CONTROL_SUBJECT_PREFIX);
const watcher = new MembershipWatcher(nc, subj, {
  expiryMs: config.HEARTBEAT_EXPIRY,
  onInvalid: (err) => log.warn('ignoring a malformed heartbeat', { err }),
});
shutdown.onStop('membership', () => watcher.close());
const { election, counter } = await (async () => ({
  election: await LeaderElection.open(nc, {
    bucket: config.CHECKPOINT_LEASE_BUCKET,
    role: 'checkpointer',
    candidate: instance,
    ttlMs: config.CHECKPOINT_LEASE_TTL,
  }),
  counter: new EpochCounter(await nc.jetstream().views.kv(config.CHECKPOINT_LEASE_BUCKET)),
}))().catch((err: unknown) =>
  fail(
    `Cannot open the JetStream KV bucket ${config.CHECKPOINT_LEASE_BUCKET} on NATS_URL=` +
      `${config.NATS_URL}: ${(err as Error).message} (is JetStream enabled?)`,
    err,
  ),
);
election.on('error', (err) => log.warn('leader lease: NATS call failed; retrying', { err }));

const checkpointer = new Checkpointer({
  nc,
  subjects: subj,
  store,
  election,
  counter,
  membership: watcher.membership,
  coordinator: new EpochCoordinator(nc, subj, {
    onInvalid: (err) => log.warn('ignoring a malformed report', { err }),
  }),
  log,
  metrics: checkpointMetrics,
  intervalMs: config.CHECKPOINT_INTERVAL,
  timeoutMs: config.CHECKPOINT_TIMEOUT,
  retain: config.CHECKPOINT_RETAIN,
  tracer: svc.tracer,
});

const status = (): InstanceStatus => ({
  service: 'checkpointer',
  instance,
  partitions: [],
  lastEpoch: checkpointer.lastEpoch,
  suspended: false,
  role: checkpointer.isLeader ? 'leader' : 'standby',
  ops: svc.opsUrl,
  sentAt: Date.now(),
});
const heartbeater = new Heartbeater(nc, subj, status, 2000);
heartbeater.start();
shutdown.onStop('heartbeat', () => heartbeater.stop());
// The checkpointer owns no partitions: it answers status, and acks suspend/resume/restore
// (epochs go on; parked owners still snapshot) so operators get one answer per instance.
const ack = (action: ControlAck['action']): ControlAck => ({
  service: 'checkpointer',
  instance,
  action,
  ok: true,
  partitions: [],
});
const subs = [
  nc.subscribe(subj.status, { callback: (_e, m) => m.respond(encode(status())) }),
  nc.subscribe(subj.suspend, { callback: (_e, m) => m.respond(encode(ack('suspend'))) }),
  nc.subscribe(subj.resume, { callback: (_e, m) => m.respond(encode(ack('resume'))) }),
  nc.subscribe(subj.restore, { callback: (_e, m) => m.respond(encode(ack('restore'))) }),
];
shutdown.onStop('control', () => subs.forEach((s) => s.unsubscribe()));

checkpointer.start();
shutdown.onStop('checkpointer', () => checkpointer.stop());

// The operations console on this ops port (/console): every instance the heartbeats announce,
// its /metrics, and the epochs in storage, collected every 2 s (libs/console).
const collector = new ConsoleCollector({
  members: () => watcher.membership.live(Date.now()),
  storage: () => store.listComplete(),
});
collector.start(2000, (err) => log.warn('operations console: a collection round failed', { err }));
shutdown.onStop('console', () => collector.stop());
svc.ops.mount('/console', consoleRoutes(collector, { redact: svc.redact }));
void readiness.watch('nats', async () => {
  if (nc.isClosed()) throw new Error('connection closed');
  await nc.rtt();
  return true;
});
readiness.set('processing', true);
log.info('checkpointing', {
  instance,
  intervalMs: config.CHECKPOINT_INTERVAL,
  timeoutMs: config.CHECKPOINT_TIMEOUT,
  retain: config.CHECKPOINT_RETAIN,
  bucket: config.S3_BUCKET,
  prefix: store.prefix,
  subjects: `${subj.prefix}.>`,
});
