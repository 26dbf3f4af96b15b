// Shared helpers for the Pulsar integration tests: broker URLs (overridable by env) and
// unique topic names so tests never interfere.
import { createHmac, randomBytes } from 'node:crypto';
import {
  MessageId,
  PulsarClient,
  PulsarError,
  type ClientOptions,
} from '../../libs/pulsar/index.ts';
import { Connection } from '../../libs/pulsar/connection.ts';
import {
  CommandType,
  type BaseCommand,
  type MessageMetadata,
} from '../../libs/pulsar/protocol/commands.ts';
import { encodePayloadCommand } from '../../libs/pulsar/protocol/frame.ts';
import { auth, stack } from './stack.ts';

export const PULSAR_URL = stack.pulsarUrl;
export const PULSAR_ADMIN_URL = stack.pulsarAdminUrl;

/** A client of the stack's broker with the stack's credentials; `options` add or override. */
export function stackClient(options: Partial<ClientOptions> = {}): PulsarClient {
  return new PulsarClient({
    ...auth.pulsar,
    serviceUrl: PULSAR_URL,
    operationTimeoutMs: 15_000,
    ...options,
  });
}

export function uniqueTopic(prefix: string): string {
  return `persistent://public/default/${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** Polls `check` until it returns true or the time runs out. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Rejects if `promise` has not settled within `ms`; the timer never outlives the promise. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** An HS256 JWT with these claims (`sub` is the role), as the broker's token provider checks. */
export function signToken(claims: Record<string, unknown>, secret: Buffer): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const signed = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`;
  return `${signed}.${createHmac('sha256', secret).update(signed).digest('base64url')}`;
}

/**
 * Attaches a bare producer named `name` to `topic` and sends one message with `sequenceId`
 * again, as a reconnecting client would. Returns the broker's last sequence id for that name
 * (from PRODUCER_SUCCESS) and the ledger id of its receipt (-1 when dropped as a duplicate).
 */
export async function resendAs(
  topic: string,
  name: string,
  sequenceId: bigint,
): Promise<{ lastSequenceId: bigint | undefined; receiptLedgerId: bigint }> {
  const cnx = await Connection.open({
    logicalUrl: PULSAR_URL,
    physicalUrl: PULSAR_URL,
    authToken: auth.pulsar.authToken,
    connectTimeoutMs: 5000,
    operationTimeoutMs: 5000,
    keepAliveIntervalMs: 0,
  });
  try {
    const producerId = 999n;
    let receipt: bigint | undefined;
    cnx.addProducer(producerId, {
      onSendReceipt: (cmd) => {
        receipt = BigInt.asIntN(64, cmd.send_receipt!.message_id!.ledgerId);
      },
      onSendError: () => undefined,
      onDisconnected: () => undefined,
    });
    const ok = await cnx.request(
      (request_id) => ({
        type: CommandType.PRODUCER,
        producer: { topic, producer_id: producerId, request_id, producer_name: name },
      }),
      'raw producer',
    );
    cnx.write(
      encodePayloadCommand(
        { type: CommandType.SEND, send: { producer_id: producerId, sequence_id: sequenceId } },
        { producer_name: name, sequence_id: sequenceId, publish_time: BigInt(Date.now()) },
        Buffer.from('duplicate'),
      ),
    );
    await eventually(() => receipt !== undefined, 5000, 'the receipt of the resent message');
    return { lastSequenceId: ok.producer_success!.last_sequence_id, receiptLedgerId: receipt! };
  } finally {
    cnx.close();
  }
}

/**
 * Publishes entries with hand-written metadata (sizes, counts, codecs that may lie), in order,
 * on one connection; resolves once the broker has stored them all.
 */
export async function publishRawEntries(
  topic: string,
  entries: { payload: Buffer; meta: Partial<MessageMetadata> }[],
): Promise<void> {
  // A broker serves a topic only after a lookup made it load the topic's bundle (after a
  // restart nothing is loaded) and it answers ServiceNotReady until then: let our client's
  // producer, which looks the topic up and retries, attach once before the raw one does.
  const client = new PulsarClient({ ...auth.pulsar, serviceUrl: PULSAR_URL });
  try {
    await (await client.createProducer({ topic })).close();
  } finally {
    await client.close();
  }
  const cnx = await Connection.open({
    logicalUrl: PULSAR_URL,
    physicalUrl: PULSAR_URL,
    authToken: auth.pulsar.authToken,
    connectTimeoutMs: 10_000,
    operationTimeoutMs: 15_000,
    keepAliveIntervalMs: 30_000,
  });
  try {
    const producerName = uniqueName('hostile');
    // Retry what the broker calls retryable (a bundle still loading), as our producers do.
    for (let attempt = 1; ; attempt++) {
      try {
        await cnx.request(
          (id): BaseCommand => ({
            type: CommandType.PRODUCER,
            producer: { topic, producer_id: 0n, request_id: id, producer_name: producerName },
          }),
          'create producer',
        );
        break;
      } catch (err) {
        if (!(err instanceof PulsarError && err.retryable) || attempt >= 40) throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    let receipts = 0;
    const done = new Promise<void>((resolve, reject) => {
      cnx.addProducer(0n, {
        onSendReceipt: () => ++receipts === entries.length && resolve(),
        onSendError: (cmd) => reject(new Error(`send refused: ${cmd.send_error?.message ?? '?'}`)),
        onDisconnected: (why) => reject(new Error(why)),
      });
    });
    entries.forEach(({ payload, meta }, i) => {
      const seq = BigInt(i);
      cnx.write(
        encodePayloadCommand(
          { type: CommandType.SEND, send: { producer_id: 0n, sequence_id: seq, num_messages: 1 } },
          {
            producer_name: producerName,
            sequence_id: seq,
            publish_time: BigInt(Date.now()),
            ...meta,
          },
          payload,
        ),
      );
    });
    await done;
  } finally {
    cnx.close();
  }
}

/** Every payload stored in `topic`, from the start, as text (read until 500 ms bring nothing). */
export async function readAllPayloads(client: PulsarClient, topic: string): Promise<string[]> {
  const reader = await client.createReader({ topic, startMessageId: MessageId.earliest });
  const stored: string[] = [];
  for (;;) {
    const batch = await reader.receiveBatch(1000, 500);
    if (batch.length === 0) break;
    stored.push(...batch.map((m) => m.payload.toString()));
  }
  await reader.close();
  return stored;
}
