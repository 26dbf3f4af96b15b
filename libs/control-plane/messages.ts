// Payloads on the control-plane subjects: JSON objects, validated on receipt so a stray or
// foreign message is dropped with a reason instead of corrupting an epoch.

export type EpochKind = 'checkpoint' | 'savepoint';

/** `<prefix>.checkpoint.trigger` */
export interface TriggerMsg {
  epoch: number;
  kind: EpochKind;
  /** Savepoints only. */
  name?: string;
  /** ISO time the checkpointer started the epoch. */
  startedAt: string;
  /** Wall-clock ms after which the epoch is abandoned; a late snapshot is pointless. */
  deadline: number;
}

interface ReportBase {
  epoch: number;
  service: string;
  partition: number;
  instance: string;
}

/** `<prefix>.checkpoint.report` */
export type ReportMsg =
  | (ReportBase & {
      ok: true;
      key: string;
      bytes: number;
      sha256: string;
      ownerEpoch?: number;
    })
  | (ReportBase & { ok: false; error: string });

/** `<prefix>.checkpoint.complete`, and the reply to a savepoint request. */
export interface CompleteMsg {
  epoch: number;
  kind: EpochKind;
  name?: string;
  outcome: 'complete' | 'abandoned';
  /** Why an epoch was abandoned. */
  reason?: string;
  parts: number;
  bytes: number;
  durationMs: number;
}

/** `<prefix>.heartbeat.<service>.<instance>`, and each reply to `<prefix>.status`. */
export interface InstanceStatus {
  service: string;
  instance: string;
  /** Partitions this instance owns now (state it must snapshot). */
  partitions: number[];
  /** Last epoch this instance saw complete (-1: none yet). */
  lastEpoch: number;
  suspended: boolean;
  /** Per partition: messages not yet processed, when the owner knows. */
  lag?: Record<string, number>;
  /** The checkpointer says whether it leads. */
  role?: 'leader' | 'standby';
  /** Base URL of the instance's ops server (/metrics, /healthz), for the console to scrape. */
  ops?: string;
  /** True while the instance restores its partitions from an epoch (iotctl restore). */
  restoring?: boolean;
  sentAt: number;
}

export type ControlAction = 'suspend' | 'resume' | 'restore';

/** Reply of each instance to `<prefix>.control.suspend|resume|restore`. */
export interface ControlAck {
  service: string;
  instance: string;
  action: ControlAction;
  ok: boolean;
  /** Partitions parked at a boundary (suspend), running again (resume) or restored (restore). */
  partitions: number[];
  error?: string;
}

/** Request on `<prefix>.control.restore`: every owner restores its partitions from `from`. */
export interface RestoreRequest {
  /** An epoch ("12", "epoch-12") or a savepoint name, as iotctl restore --from takes. */
  from: string;
}

/** Request on `<prefix>.checkpoint.savepoint`. */
export interface SavepointRequest {
  name?: string;
}

/** Reply of the checkpointer to a request it could not serve. */
export interface ErrorReply {
  error: string;
}

export class MessageFormatError extends Error {
  constructor(subject: string, problem: string) {
    super(`${subject}: malformed control message (${problem})`);
    this.name = 'MessageFormatError';
  }
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export function encode(msg: object): Uint8Array {
  return enc.encode(JSON.stringify(msg));
}

type Obj = Record<string, unknown>;

function object(data: Uint8Array, subject: string): Obj {
  let v: unknown;
  try {
    v = JSON.parse(dec.decode(data));
  } catch {
    throw new MessageFormatError(subject, 'not JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new MessageFormatError(subject, 'not a JSON object');
  }
  return v as Obj;
}

function need(o: Obj, subject: string, checks: Record<string, (v: unknown) => boolean>): void {
  for (const [field, ok] of Object.entries(checks)) {
    if (!ok(o[field])) throw new MessageFormatError(subject, `bad or missing "${field}"`);
  }
}

const isInt = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v);
const isCount = (v: unknown) => isInt(v) && (v as number) >= 0;
const isStr = (v: unknown) => typeof v === 'string';
const isOptStr = (v: unknown) => v === undefined || typeof v === 'string';
const isKind = (v: unknown) => v === 'checkpoint' || v === 'savepoint';
const isBool = (v: unknown) => typeof v === 'boolean';
const isPartitions = (v: unknown) => Array.isArray(v) && v.every(isCount);

export function decodeTrigger(data: Uint8Array, subject = 'trigger'): TriggerMsg {
  const o = object(data, subject);
  need(o, subject, {
    epoch: isCount,
    kind: isKind,
    name: isOptStr,
    startedAt: isStr,
    deadline: isInt,
  });
  if (o.kind === 'savepoint' && typeof o.name !== 'string') {
    throw new MessageFormatError(subject, 'a savepoint trigger needs "name"');
  }
  return o as unknown as TriggerMsg;
}

export function decodeReport(data: Uint8Array, subject = 'report'): ReportMsg {
  const o = object(data, subject);
  need(o, subject, {
    epoch: isCount,
    service: isStr,
    partition: isCount,
    instance: isStr,
    ok: isBool,
  });
  if (o.ok === true) need(o, subject, { key: isStr, bytes: isCount, sha256: isStr });
  else need(o, subject, { error: isStr });
  return o as unknown as ReportMsg;
}

export function decodeComplete(data: Uint8Array, subject = 'complete'): CompleteMsg {
  const o = object(data, subject);
  need(o, subject, {
    epoch: isCount,
    kind: isKind,
    outcome: (v) => v === 'complete' || v === 'abandoned',
    parts: isCount,
    bytes: isCount,
    durationMs: isCount,
  });
  return o as unknown as CompleteMsg;
}

export function decodeStatus(data: Uint8Array, subject = 'status'): InstanceStatus {
  const o = object(data, subject);
  need(o, subject, {
    service: isStr,
    instance: isStr,
    partitions: isPartitions,
    lastEpoch: isInt,
    suspended: isBool,
    sentAt: isInt,
    ops: isOptStr,
    restoring: (v) => v === undefined || isBool(v),
  });
  return o as unknown as InstanceStatus;
}

export function decodeAck(data: Uint8Array, subject = 'control'): ControlAck {
  const o = object(data, subject);
  need(o, subject, {
    service: isStr,
    instance: isStr,
    action: (v) => v === 'suspend' || v === 'resume' || v === 'restore',
    ok: isBool,
    partitions: isPartitions,
  });
  return o as unknown as ControlAck;
}

export function decodeRestoreRequest(data: Uint8Array, subject = 'restore'): RestoreRequest {
  const o = object(data, subject);
  need(o, subject, { from: (v) => typeof v === 'string' && v.length > 0 });
  return { from: o.from as string };
}

export function decodeSavepointRequest(data: Uint8Array, subject = 'savepoint'): SavepointRequest {
  if (data.length === 0) return {};
  const o = object(data, subject);
  need(o, subject, { name: isOptStr });
  return o as SavepointRequest;
}

/** A savepoint reply: the epoch's outcome, or the checkpointer's error. */
export function decodeSavepointReply(
  data: Uint8Array,
  subject = 'savepoint',
): CompleteMsg | ErrorReply {
  const o = object(data, subject);
  if (typeof o.error === 'string') return { error: o.error };
  return decodeComplete(data, subject);
}
