// PulsarClient: owns the connection pool and lookup service, and creates producers,
// consumers and readers that share them.
import type * as tls from 'node:tls';
import type { AuthTokenSource } from './connection.ts';
import { ConnectionPool } from './connection-pool.ts';
import { silentLogger, type ClientContext, type Logger } from './connection-handler.ts';
import { Consumer, type ConsumerOptions } from './consumer.ts';
import { AlreadyClosedError } from './errors.ts';
import { LookupService } from './lookup.ts';
import { Producer, type ProducerOptions } from './partitioned-producer.ts';
import { Reader, type ReaderOptions } from './reader.ts';
import { topicsOf } from './partition-watch.ts';
import { fullTopicName } from './topic-name.ts';

export interface ClientOptions {
  /** pulsar://host:6650 or pulsar+ssl://host:6651 */
  serviceUrl: string;
  /** JWT for the token auth provider, or a function returning a fresh one. */
  authToken?: AuthTokenSource;
  /**
   * Timeout for each request to the broker (lookup, subscribe, ...), and how long creating a
   * producer or consumer and reading a partition count keep retrying through a broker that is
   * down or restarting. Default 30000.
   */
  operationTimeoutMs?: number;
  connectionTimeoutMs?: number;
  /** PING interval; a connection silent for twice this is dropped. Default 30000. */
  keepAliveIntervalMs?: number;
  /** node:tls options for pulsar+ssl:// (ca, cert, key, rejectUnauthorized, ...). */
  tls?: tls.ConnectionOptions;
  maxLookupRedirects?: number;
  /**
   * How often producers and consumers of a partitioned topic look for new partitions and
   * attach to them (the Java client's autoUpdatePartitionsInterval). Default 60000; 0 = never.
   */
  partitionsRefreshMs?: number;
  logger?: Logger;
  /**
   * Largest message consumers decode, in bytes: an entry whose declared uncompressed size or
   * batch exceeds it is refused before allocating (see ConsumerOptions.corruptMessages).
   * Default: the broker's maxMessageSize (5 MiB unless it announces another).
   */
  maxMessageSize?: number;
}

type Closable = { close(): Promise<void> };

export class PulsarClient {
  private readonly context: ClientContext;
  private readonly pool: ConnectionPool;
  private readonly open = new Set<Closable>();
  private nextProducerId = 0n;
  private nextConsumerId = 0n;
  private closed = false;

  constructor(options: ClientOptions) {
    const url = new URL(options.serviceUrl);
    if (url.protocol !== 'pulsar:' && url.protocol !== 'pulsar+ssl:') {
      throw new TypeError(
        `serviceUrl must be pulsar://host:port or pulsar+ssl://host:port, got ${options.serviceUrl}`,
      );
    }
    const serviceUrl = `${url.protocol}//${url.host}`;
    const operationTimeoutMs = options.operationTimeoutMs ?? 30_000;
    this.pool = new ConnectionPool({
      authToken: options.authToken,
      tls: options.tls,
      connectTimeoutMs: options.connectionTimeoutMs ?? 10_000,
      operationTimeoutMs,
      keepAliveIntervalMs: options.keepAliveIntervalMs ?? 30_000,
      maxMessageSize: options.maxMessageSize,
    });
    const lookup = new LookupService(
      this.pool,
      serviceUrl,
      options.maxLookupRedirects ?? 20,
      operationTimeoutMs,
    );
    this.context = {
      pool: this.pool,
      lookup,
      operationTimeoutMs,
      logger: options.logger ?? silentLogger,
      partitionsRefreshMs: options.partitionsRefreshMs ?? 60_000,
      newProducerId: () => this.nextProducerId++,
      newConsumerId: () => this.nextConsumerId++,
    };
  }

  private track<T extends Closable>(resource: T): T {
    this.open.add(resource);
    const close = resource.close.bind(resource);
    resource.close = async () => {
      this.open.delete(resource);
      await close();
    };
    return resource;
  }

  private ensureOpen(): void {
    if (this.closed) throw new AlreadyClosedError('PulsarClient');
  }

  async createProducer(options: ProducerOptions): Promise<Producer> {
    this.ensureOpen();
    return this.track(await Producer.create(this.context, options));
  }

  async subscribe(options: ConsumerOptions): Promise<Consumer> {
    this.ensureOpen();
    return this.track(await Consumer.create(this.context, options));
  }

  async createReader(options: ReaderOptions): Promise<Reader> {
    this.ensureOpen();
    return this.track(await Reader.create(this.context, options));
  }

  /** Number of partitions of a topic (0 when it is not partitioned). */
  async getPartitionCount(topic: string): Promise<number> {
    this.ensureOpen();
    return this.context.lookup.partitionCount(fullTopicName(topic));
  }

  /** The topics to address: the partitions of a partitioned topic, or the topic itself. */
  async getPartitionsForTopic(topic: string): Promise<string[]> {
    const full = fullTopicName(topic);
    return topicsOf(full, await this.getPartitionCount(full));
  }

  /** Closes every producer, consumer and reader made by this client, then the connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.open].map((r) => r.close()));
    await this.pool.close();
  }
}
