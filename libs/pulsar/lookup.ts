// Topic lookup over the binary protocol: PARTITIONED_METADATA, and LOOKUP following
// redirects (copying the authoritative flag, capped) until a broker says Connect.
import { Backoff, sleep } from './backoff.ts';
import type { ConnectionPool } from './connection-pool.ts';
import { isRetryable, PulsarError } from './errors.ts';
import { CommandType, LookupType, ServerError } from './protocol/commands.ts';

export interface BrokerAddress {
  logicalUrl: string;
  physicalUrl: string;
}

export class LookupService {
  constructor(
    private readonly pool: ConnectionPool,
    private readonly serviceUrl: string,
    private readonly maxRedirects = 20,
    /**
     * How long partitionCount keeps trying through retryable failures (the client's
     * operation timeout): a service starting while the broker restarts waits for it, as
     * producers and consumers do when they first attach, instead of exiting.
     */
    private readonly retryForMs = 0,
  ) {}

  private get useTls(): boolean {
    return this.serviceUrl.startsWith('pulsar+ssl:');
  }

  /** Number of partitions (0 for a non-partitioned topic). */
  async partitionCount(topic: string): Promise<number> {
    const deadline = Date.now() + this.retryForMs;
    const backoff = new Backoff(100, 5_000);
    for (;;) {
      try {
        return await this.partitionCountOnce(topic);
      } catch (err) {
        const delay = backoff.next();
        if (!isRetryable(err) || Date.now() + delay > deadline) throw err;
        await sleep(delay);
      }
    }
  }

  private async partitionCountOnce(topic: string): Promise<number> {
    const cnx = await this.pool.get(this.serviceUrl);
    const res = await cnx.request(
      (request_id) => ({
        type: CommandType.PARTITIONED_METADATA,
        partitionMetadata: { topic, request_id },
      }),
      `partitioned metadata of ${topic}`,
    );
    const r = res.partitionMetadataResponse!;
    if (r.response === 1 || r.error !== undefined) {
      throw PulsarError.fromServer(
        r.error ?? ServerError.UnknownError,
        r.message ?? '',
        `partitioned metadata of ${topic}`,
      );
    }
    return r.partitions ?? 0;
  }

  /** The broker that owns `topic`. */
  async lookup(topic: string): Promise<BrokerAddress> {
    let cnx = await this.pool.get(this.serviceUrl);
    let authoritative = false;
    for (let hop = 0; hop <= this.maxRedirects; hop++) {
      const res = await cnx.request(
        (request_id) => ({
          type: CommandType.LOOKUP,
          lookupTopic: { topic, request_id, authoritative },
        }),
        `lookup of ${topic}`,
      );
      const r = res.lookupTopicResponse!;
      if (r.response === LookupType.Failed || r.response === undefined) {
        throw PulsarError.fromServer(
          r.error ?? ServerError.UnknownError,
          r.message ?? 'lookup failed',
          `lookup of ${topic}`,
        );
      }
      const brokerUrl = (this.useTls ? r.brokerServiceUrlTls : r.brokerServiceUrl) ?? '';
      if (!brokerUrl) {
        throw new PulsarError(
          `lookup of ${topic}: the broker returned no ${this.useTls ? 'TLS ' : ''}service URL`,
        );
      }
      const address: BrokerAddress = r.proxy_through_service_url
        ? { logicalUrl: brokerUrl, physicalUrl: this.serviceUrl }
        : { logicalUrl: brokerUrl, physicalUrl: brokerUrl };
      if (r.response === LookupType.Connect) return address;
      authoritative = r.authoritative ?? false;
      cnx = await this.pool.get(address.logicalUrl, address.physicalUrl);
    }
    throw new PulsarError(`lookup of ${topic}: more than ${this.maxRedirects} redirects`, {
      retryable: true,
    });
  }
}
