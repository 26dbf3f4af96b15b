// Keeps one producer or consumer attached to the broker that owns its topic: the first
// attach retries retryable failures until the operation timeout; after a disconnect
// (connection lost, CLOSE_PRODUCER/CLOSE_CONSUMER on unload, topic migration) it looks the
// topic up again and re-attaches with exponential backoff until closed or a fatal error.
import { Backoff, sleep } from './backoff.ts';
import type { Connection } from './connection.ts';
import type { ConnectionPool } from './connection-pool.ts';
import { isRetryable } from './errors.ts';

export { isRetryable };
import type { LookupService } from './lookup.ts';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {} };

/** What producers and consumers need from the client. */
export interface ClientContext {
  readonly pool: ConnectionPool;
  readonly lookup: LookupService;
  readonly operationTimeoutMs: number;
  readonly logger: Logger;
  /** How often partitioned producers and consumers look for new partitions (0: never). */
  readonly partitionsRefreshMs: number;
  newProducerId(): bigint;
  newConsumerId(): bigint;
}

export interface Attachable {
  /** The (partition) topic to look up. */
  readonly topic: string;
  /** Register on the connection and create the producer/consumer there. */
  attach(cnx: Connection): Promise<void>;
  /** The connection is gone; drop per-connection state. */
  onDetached(reason: string): void;
  /** Reconnection stopped for good. */
  onFatal(err: Error): void;
}

export class ConnectionHandler {
  cnx: Connection | undefined;
  private closed = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnecting = false;
  private attachedOnce = false;
  private readonly backoff = new Backoff(100, 30_000);

  constructor(
    private readonly client: ClientContext,
    private readonly target: Attachable,
  ) {}

  get connected(): boolean {
    return this.cnx !== undefined && !this.cnx.closed;
  }

  async connectFirst(): Promise<void> {
    const deadline = Date.now() + this.client.operationTimeoutMs;
    for (;;) {
      try {
        await this.attachOnce();
        return;
      } catch (err) {
        const delay = this.backoff.next();
        if (this.closed || !isRetryable(err) || Date.now() + delay > deadline) throw err;
        this.client.logger.debug('attach failed, retrying', {
          topic: this.target.topic,
          error: String(err),
        });
        await sleep(delay);
      }
    }
  }

  private async attachOnce(): Promise<void> {
    const address = await this.client.lookup.lookup(this.target.topic);
    const cnx = await this.client.pool.get(address.logicalUrl, address.physicalUrl);
    if (this.closed) return;
    this.cnx = cnx;
    try {
      await this.target.attach(cnx);
    } catch (err) {
      this.cnx = undefined;
      throw err;
    }
    this.attachedOnce = true;
    this.backoff.reset();
  }

  /** Called by the producer/consumer when its listener hears it was disconnected. */
  disconnected(reason: string): void {
    if (this.closed) return;
    this.cnx = undefined;
    // During the first attach, connectFirst's own loop retries.
    if (!this.attachedOnce) return;
    this.target.onDetached(reason);
    this.client.logger.info('disconnected, will reconnect', { topic: this.target.topic, reason });
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnecting) return;
    this.reconnecting = true;
    this.reconnectTimer = setTimeout(() => {
      this.attachOnce().then(
        () => {
          this.reconnecting = false;
          // Lost again while re-attaching: go round once more.
          if (!this.connected) this.scheduleReconnect();
          else this.client.logger.info('reconnected', { topic: this.target.topic });
        },
        (err: unknown) => {
          this.reconnecting = false;
          if (this.closed) return;
          if (!isRetryable(err)) {
            this.closed = true;
            this.target.onFatal(err instanceof Error ? err : new Error(String(err)));
            return;
          }
          this.client.logger.debug('reconnect failed', {
            topic: this.target.topic,
            error: String(err),
          });
          this.scheduleReconnect();
        },
      );
    }, this.backoff.next());
  }

  close(): void {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
  }
}
