// PulsarAdmin: the parts of the Pulsar admin REST API (v2) the pipeline uses, over
// node:http(s) (fetch cannot be given a private CA).
import * as http from 'node:http';
import * as https from 'node:https';
import { fullTopicName, topicRestPath } from './topic-name.ts';
import { PulsarError } from './errors.ts';

export interface AdminOptions {
  /** e.g. http://127.0.0.1:8080 or https://127.0.0.1:8443 */
  adminUrl: string;
  /** JWT for the broker's token auth, sent as `Authorization: Bearer`. */
  authToken?: string;
  timeoutMs?: number;
  /** For https: the CA(s) that signed the broker's certificate (PEM), and the like. */
  tls?: Pick<https.RequestOptions, 'ca' | 'cert' | 'key' | 'rejectUnauthorized' | 'servername'>;
}

interface HttpAnswer {
  status: number;
  location: string | undefined;
  text: string;
}

// Brokers answer 307 to send a call to the broker that owns the topic or namespace.
const MAX_REDIRECTS = 5;

function httpCall(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
  timeoutMs: number,
  tls: AdminOptions['tls'],
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const options: https.RequestOptions = { method, headers };
    const req =
      url.protocol === 'https:'
        ? https.request(url, { ...options, ...tls })
        : http.request(url, options);
    const timer = setTimeout(
      () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const fail = (err: Error) => {
      clearTimeout(timer);
      reject(err);
    };
    req.on('error', fail);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', fail);
      res.on('end', () => {
        clearTimeout(timer);
        resolve({
          status: res.statusCode ?? 0,
          location: res.headers.location,
          text: Buffer.concat(chunks).toString('utf8'),
        });
      });
    });
    req.end(body);
  });
}

export interface RetentionPolicy {
  retentionTimeInMinutes: number;
  retentionSizeInMB: number;
}

export interface SubscriptionStats {
  msgBacklog: number;
  msgRateOut: number;
  msgRateRedeliver?: number;
  unackedMessages?: number;
  type?: string;
  consumers: Array<{ consumerName?: string; availablePermits?: number; unackedMessages?: number }>;
  activeConsumerName?: string;
  [field: string]: unknown;
}

export interface TopicStats {
  msgRateIn: number;
  msgRateOut: number;
  msgThroughputIn: number;
  msgThroughputOut: number;
  msgInCounter?: number;
  storageSize?: number;
  backlogSize?: number;
  publishers: Array<{ producerName?: string; msgRateIn?: number }>;
  subscriptions: Record<string, SubscriptionStats>;
  [field: string]: unknown;
}

export interface PartitionedTopicStats extends TopicStats {
  metadata: { partitions: number };
  partitions?: Record<string, TopicStats>;
}

/** A schema as the broker's registry keeps it. */
export interface RegisteredSchema {
  /** AVRO, JSON, PROTOBUF, STRING, BYTES... */
  type: string;
  /** The definition (for AVRO: the schema JSON text). */
  data: string;
  version: number;
  properties: Record<string, string>;
}

export class AdminError extends PulsarError {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message, { retryable: status >= 500 });
    this.name = 'AdminError';
  }
}

export class PulsarAdmin {
  private readonly base: string;

  constructor(private readonly options: AdminOptions) {
    this.base = options.adminUrl.replace(/\/+$/, '');
  }

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const headers: Record<string, string> = { accept: 'application/json' };
    const payload = body === undefined ? undefined : JSON.stringify(body);
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    if (this.options.authToken) {
      headers.authorization = `Bearer ${this.options.authToken}`;
      // Names the provider, as the Java admin does: without it a broker that has an
      // anonymous role treats a token it rejects as anonymous instead of answering 401.
      headers['x-pulsar-auth-method-name'] = 'token';
    }
    const timeoutMs = this.options.timeoutMs ?? 30_000;
    let url = new URL(`${this.base}${path}`);
    let res: HttpAnswer;
    for (let hop = 0; ; hop++) {
      try {
        res = await httpCall(url, method, headers, payload, timeoutMs, this.options.tls);
      } catch (err) {
        throw new AdminError(
          `${method} ${path}: cannot reach ${url.origin}: ${(err as Error).message}`,
          0,
        );
      }
      if (![301, 302, 307, 308].includes(res.status) || !res.location) break;
      if (hop >= MAX_REDIRECTS) {
        throw new AdminError(`${method} ${path}: more than ${MAX_REDIRECTS} redirects`, 0);
      }
      url = new URL(res.location, url);
    }
    const text = res.text;
    if (res.status < 200 || res.status > 299) {
      let reason = text;
      try {
        const parsed: unknown = JSON.parse(text);
        if (parsed && typeof parsed === 'object' && 'reason' in parsed) {
          reason = String((parsed as { reason: unknown }).reason);
        }
      } catch {
        // not JSON: keep the text
      }
      throw new AdminError(`${method} ${path}: HTTP ${res.status}: ${reason}`, res.status);
    }
    if (!text) return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }

  private topic(topic: string): string {
    return `/admin/v2/${topicRestPath(topic)}`;
  }

  private namespace(ns: string): string {
    const [tenant, name] = ns.split('/');
    if (!tenant || !name) throw new TypeError(`namespace must be "tenant/namespace", got "${ns}"`);
    return `/admin/v2/namespaces/${encodeURIComponent(tenant)}/${encodeURIComponent(name)}`;
  }

  // ---- schema registry -------------------------------------------------------------------

  /**
   * One version of a topic's registered schema (GET /admin/v2/schemas/{tenant}/{ns}/{topic}/
   * schema/{version}); `version` as a message's `schemaVersion` carries it (8 bytes, big-endian)
   * or as a number. A partition's name is mapped to its topic's, where schemas are kept.
   * Throws AdminError (404 when the topic or version is unknown).
   */
  async getSchema(topic: string, version: Buffer | bigint | number): Promise<RegisteredSchema> {
    const base = fullTopicName(topic).replace(/-partition-\d+$/, '');
    const [, rest] = base.split('://') as [string, string];
    const n =
      typeof version === 'bigint' || typeof version === 'number'
        ? BigInt(version)
        : version.length === 8
          ? version.readBigInt64BE(0)
          : BigInt(`0x${version.toString('hex') || '0'}`);
    const path = `/admin/v2/schemas/${rest.split('/').map(encodeURIComponent).join('/')}/schema/${n}`;
    const r = (await this.call('GET', path)) as Partial<RegisteredSchema> | undefined;
    if (typeof r?.type !== 'string' || typeof r.data !== 'string') {
      throw new AdminError(`GET ${path}: the answer is not a schema`, 502);
    }
    return { type: r.type, data: r.data, version: Number(n), properties: r.properties ?? {} };
  }

  // ---- topics ----------------------------------------------------------------------------

  async createPartitionedTopic(topic: string, partitions: number): Promise<void> {
    await this.call('PUT', `${this.topic(topic)}/partitions`, partitions);
  }

  /** Raises a partitioned topic's partition count (the same count is a no-op; a lower one, HTTP 422). */
  async updatePartitionedTopic(topic: string, partitions: number): Promise<void> {
    await this.call('POST', `${this.topic(topic)}/partitions`, partitions);
  }

  async createTopic(topic: string): Promise<void> {
    await this.call('PUT', this.topic(topic));
  }

  /** Partition count (0 for a non-partitioned or absent topic). */
  async getPartitionedTopicMetadata(topic: string): Promise<{ partitions: number }> {
    try {
      const r = (await this.call('GET', `${this.topic(topic)}/partitions`)) as {
        partitions?: number;
      };
      return { partitions: r?.partitions ?? 0 };
    } catch (err) {
      if (err instanceof AdminError && err.status === 404) return { partitions: 0 };
      throw err;
    }
  }

  async deleteTopic(topic: string, force = true): Promise<void> {
    await this.call('DELETE', `${this.topic(topic)}?force=${force}`);
  }

  async deletePartitionedTopic(topic: string, force = true): Promise<void> {
    await this.call('DELETE', `${this.topic(topic)}/partitions?force=${force}`);
  }

  /** Topics of a namespace (partitions listed individually), e.g. "public/default". */
  async listTopics(namespace: string): Promise<string[]> {
    const [tenant, ns] = namespace.split('/');
    return (await this.call('GET', `/admin/v2/persistent/${tenant}/${ns}`)) as string[];
  }

  async listPartitionedTopics(namespace: string): Promise<string[]> {
    const [tenant, ns] = namespace.split('/');
    return (await this.call('GET', `/admin/v2/persistent/${tenant}/${ns}/partitioned`)) as string[];
  }

  /** Asks the broker to unload the topic (clients are disconnected and must reconnect). */
  async unloadTopic(topic: string): Promise<void> {
    await this.call('PUT', `${this.topic(topic)}/unload`);
  }

  async getTopicStats(topic: string): Promise<TopicStats> {
    return (await this.call('GET', `${this.topic(topic)}/stats`)) as TopicStats;
  }

  async getPartitionedStats(topic: string, perPartition = true): Promise<PartitionedTopicStats> {
    return (await this.call(
      'GET',
      `${this.topic(topic)}/partitioned-stats?perPartition=${perPartition}`,
    )) as PartitionedTopicStats;
  }

  async getInternalStats(topic: string): Promise<Record<string, unknown>> {
    return (await this.call('GET', `${this.topic(topic)}/internalStats`)) as Record<
      string,
      unknown
    >;
  }

  // ---- namespaces and broker -------------------------------------------------------------

  /** Creates a namespace (tenant/name) with no policies of its own; 409 when it exists. */
  async createNamespace(namespace: string): Promise<void> {
    await this.call('PUT', this.namespace(namespace));
  }

  /** Deletes an empty namespace (the broker refuses one that still has topics). */
  async deleteNamespace(namespace: string): Promise<void> {
    await this.call('DELETE', this.namespace(namespace));
  }

  /** The broker's effective configuration, every value as a string (superuser only). */
  async getRuntimeConfiguration(): Promise<Record<string, string>> {
    return (await this.call('GET', '/admin/v2/brokers/configuration/runtime')) as Record<
      string,
      string
    >;
  }

  // ---- policies --------------------------------------------------------------------------

  /** The namespace's own policy; undefined when it has none (the broker's defaults apply). */
  async getNamespaceRetention(namespace: string): Promise<RetentionPolicy | undefined> {
    return (await this.call('GET', `${this.namespace(namespace)}/retention`)) as
      RetentionPolicy | undefined;
  }

  async setNamespaceRetention(namespace: string, policy: RetentionPolicy): Promise<void> {
    await this.call('POST', `${this.namespace(namespace)}/retention`, policy);
  }

  async setTopicRetention(topic: string, policy: RetentionPolicy): Promise<void> {
    await this.call('POST', `${this.topic(topic)}/retention`, policy);
  }

  /** The topic's own policy; undefined when it has none (the namespace's or broker's applies). */
  async getTopicRetention(topic: string): Promise<RetentionPolicy | undefined> {
    return (await this.call('GET', `${this.topic(topic)}/retention`)) as
      RetentionPolicy | undefined;
  }

  /**
   * The policy in force on an existing topic: its own, else its namespace's, else the broker's
   * defaults. A partitioned topic answers for all its partitions (a partition's name is refused
   * with 412); an absent topic is a 404, a broker without topic-level policies a 405.
   */
  async getAppliedTopicRetention(topic: string): Promise<RetentionPolicy> {
    return (await this.call(
      'GET',
      `${this.topic(topic)}/retention?applied=true`,
    )) as RetentionPolicy;
  }

  async setNamespaceDeduplication(namespace: string, enabled: boolean): Promise<void> {
    await this.call('POST', `${this.namespace(namespace)}/deduplication`, enabled);
  }

  async setTopicDeduplication(topic: string, enabled: boolean): Promise<void> {
    await this.call('POST', `${this.topic(topic)}/deduplicationEnabled`, enabled);
  }

  async getTopicDeduplication(topic: string): Promise<boolean | undefined> {
    const r = await this.call('GET', `${this.topic(topic)}/deduplicationEnabled`);
    return typeof r === 'boolean' ? r : undefined;
  }

  // ---- subscriptions ---------------------------------------------------------------------

  async listSubscriptions(topic: string): Promise<string[]> {
    return (await this.call('GET', `${this.topic(topic)}/subscriptions`)) as string[];
  }

  /** Creates a durable subscription at a position ("latest", "earliest" or a message id). */
  async createSubscription(
    topic: string,
    subscription: string,
    at: 'latest' | 'earliest' | { ledgerId: bigint; entryId: bigint } = 'latest',
  ): Promise<void> {
    const position =
      at === 'latest'
        ? { ledgerId: Number.MAX_SAFE_INTEGER, entryId: Number.MAX_SAFE_INTEGER }
        : at === 'earliest'
          ? { ledgerId: -1, entryId: -1 }
          : { ledgerId: Number(at.ledgerId), entryId: Number(at.entryId) };
    await this.call(
      'PUT',
      `${this.topic(topic)}/subscription/${encodeURIComponent(subscription)}`,
      position,
    );
  }

  async deleteSubscription(topic: string, subscription: string, force = true): Promise<void> {
    await this.call(
      'DELETE',
      `${this.topic(topic)}/subscription/${encodeURIComponent(subscription)}?force=${force}`,
    );
  }

  /** Moves a subscription's cursor to a publish time (ms) or to a message id. */
  async resetCursor(
    topic: string,
    subscription: string,
    to: number | { ledgerId: bigint; entryId: bigint; partitionIndex?: number },
  ): Promise<void> {
    const base = `${this.topic(topic)}/subscription/${encodeURIComponent(subscription)}/resetcursor`;
    if (typeof to === 'number') {
      await this.call('POST', `${base}/${to}`);
    } else {
      await this.call('POST', base, {
        ledgerId: Number(to.ledgerId),
        entryId: Number(to.entryId),
        partitionIndex: to.partitionIndex ?? -1,
      });
    }
  }

  async skipAllMessages(topic: string, subscription: string): Promise<void> {
    await this.call(
      'POST',
      `${this.topic(topic)}/subscription/${encodeURIComponent(subscription)}/skip_all`,
    );
  }

  /** The full name the admin API uses for a short topic name. */
  static fullTopicName(topic: string): string {
    return fullTopicName(topic);
  }
}
