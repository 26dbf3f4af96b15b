// Scatter-gather over NATS: one request, a reply from each responder. Stops when `expected`
// replies arrived, or `idleMs` passed without a new one (when set), or at `timeoutMs`.
import { createInbox, type NatsConnection } from 'nats';

export interface GatherOptions {
  timeoutMs: number;
  expected?: number;
  idleMs?: number;
}

export async function gather<T>(
  nc: NatsConnection,
  subject: string,
  payload: Uint8Array,
  decode: (data: Uint8Array, subject: string) => T,
  opts: GatherOptions,
  onInvalid?: (err: unknown) => void,
): Promise<T[]> {
  const inbox = createInbox();
  const replies: T[] = [];
  return new Promise<T[]>((resolve) => {
    let idle: NodeJS.Timeout | undefined;
    const finish = (): void => {
      clearTimeout(timer);
      clearTimeout(idle);
      sub.unsubscribe();
      resolve(replies);
    };
    const timer = setTimeout(finish, opts.timeoutMs);
    const sub = nc.subscribe(inbox, {
      callback: (err, msg) => {
        if (err) return;
        if (msg.headers?.code === 503) return; // no responders
        try {
          replies.push(decode(msg.data, subject));
        } catch (e) {
          onInvalid?.(e);
          return;
        }
        if (opts.expected !== undefined && replies.length >= opts.expected) return finish();
        if (opts.idleMs !== undefined) {
          clearTimeout(idle);
          idle = setTimeout(finish, opts.idleMs);
        }
      },
    });
    nc.publish(subject, payload, { reply: inbox });
  });
}
