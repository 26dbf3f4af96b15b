// A stage that takes no part in checkpoints (the writer: stateless, Shared subscription) still
// announces itself on the control plane's heartbeat subject, so the operations console and
// `iotctl status` list it and find its ops server. It owns no partitions, so no epoch waits
// for it, and it answers no control request. NATS being away never holds the stage up: the
// connection is made in the background and retried for as long as the process runs.
import { connect, type NatsConnection } from 'nats';
import { natsConnection } from '@iot/config';
import { Heartbeater, subjects, type InstanceStatus } from '@iot/control-plane';
import type { Logger } from '@iot/observability';

export interface Announcement {
  close(): Promise<void>;
}

export function announceOnControlPlane(
  config: Parameters<typeof natsConnection>[0] & { CONTROL_SUBJECT_PREFIX: string },
  status: () => InstanceStatus,
  log: Logger,
  heartbeatMs = 2000,
): Announcement {
  let closed = false;
  let heartbeater: Heartbeater | undefined;
  const connecting: Promise<NatsConnection | undefined> = connect({
    ...natsConnection(config),
    name: status().instance,
    waitOnFirstConnect: true,
    maxReconnectAttempts: -1,
  }).then(
    (nc) => {
      if (closed) {
        void nc.close();
        return undefined;
      }
      heartbeater = new Heartbeater(
        nc,
        subjects(config.CONTROL_SUBJECT_PREFIX),
        status,
        heartbeatMs,
      );
      heartbeater.start();
      return nc;
    },
    (err: unknown) => {
      log.warn('cannot announce this instance on the control plane; the console will miss it', {
        natsUrl: natsConnection(config).servers,
        err,
      });
      return undefined;
    },
  );
  return {
    close: async () => {
      closed = true;
      heartbeater?.stop();
      // Not waiting for a first connection that may never come.
      const nc = await Promise.race([connecting, Promise.resolve(undefined)]);
      await nc?.drain();
    },
  };
}
