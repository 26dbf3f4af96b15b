// NATS subjects of the control plane (docs/architecture.md, "Control plane"), all below one prefix (`iot` in
// production; tests pass a unique one so runs never see each other). README lists them.
import { checkName } from '@iot/checkpoint-storage';

export interface Subjects {
  readonly prefix: string;
  /** publish, checkpointer → participants: start epoch N. */
  readonly trigger: string;
  /** publish, participant → checkpointer: one partition's snapshot is stored (or failed). */
  readonly report: string;
  /** publish, checkpointer → all: epoch N is complete (manifest written) or abandoned. */
  readonly complete: string;
  /** request, operator → checkpointer leader: take a savepoint now; reply when it ends. */
  readonly savepoint: string;
  /** request, operator → every instance: pause at the next micro-batch boundary; one ack each. */
  readonly suspend: string;
  /** request, operator → every instance: continue; one ack each. */
  readonly resume: string;
  /** request, operator → every instance: restore owned partitions from an epoch; one ack each. */
  readonly restore: string;
  /** request, operator → every instance: one status reply each. */
  readonly status: string;
  /** `<prefix>.heartbeat.<service>.<instance>`: publish, every instance, every few seconds. */
  heartbeat(service: string, instance: string): string;
  /** Wildcard over every heartbeat. */
  readonly heartbeats: string;
}

const TOKEN = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

export function subjects(prefix = 'iot'): Subjects {
  if (!TOKEN.test(prefix)) {
    throw new TypeError(`subject prefix "${prefix}" must be dot-separated letters, digits, _ or -`);
  }
  return {
    prefix,
    trigger: `${prefix}.checkpoint.trigger`,
    report: `${prefix}.checkpoint.report`,
    complete: `${prefix}.checkpoint.complete`,
    savepoint: `${prefix}.checkpoint.savepoint`,
    suspend: `${prefix}.control.suspend`,
    resume: `${prefix}.control.resume`,
    restore: `${prefix}.control.restore`,
    status: `${prefix}.status`,
    heartbeat: (service, instance) =>
      `${prefix}.heartbeat.${token('service', service)}.${token('instance', instance)}`,
    heartbeats: `${prefix}.heartbeat.>`,
  };
}

/** A subject token: names may hold "." (host names), which NATS would split. */
function token(what: string, name: string): string {
  checkName(what, name.replaceAll('.', '_'));
  return name.replaceAll('.', '_');
}
