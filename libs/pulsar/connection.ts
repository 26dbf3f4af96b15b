// One TCP (or TLS) connection to a broker: the CONNECT handshake, frame I/O, request-id
// correlation with timeouts, PING/PONG keep-alive, and dispatch of producer- and
// consumer-addressed commands to the objects registered on it.
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { CommandType, type BaseCommand } from './protocol/commands.ts';
import {
  DEFAULT_MAX_MESSAGE_SIZE,
  FRAME_OVERHEAD_ALLOWANCE,
  FrameDecoder,
  decodeFrame,
  encodeCommand,
  type Frame,
} from './protocol/frame.ts';
import { ConnectionError, PulsarError, TimeoutError, TlsCertificateError } from './errors.ts';

export const CLIENT_VERSION = 'iot-pulsar-ts/0.1.0';
/** v20: topic migration; we also handle everything older (ack receipts v17, entry metadata v18). */
export const PROTOCOL_VERSION = 20;

export type AuthTokenSource = string | (() => string | Promise<string>);

export interface ConnectionOptions {
  /** Broker URL this connection speaks for (what lookups returned). */
  logicalUrl: string;
  /** URL actually dialled (differs from logicalUrl when going through a proxy). */
  physicalUrl: string;
  authToken?: AuthTokenSource;
  tls?: tls.ConnectionOptions;
  connectTimeoutMs: number;
  operationTimeoutMs: number;
  keepAliveIntervalMs: number;
  /**
   * Largest message this client decodes (uncompressed payload or batch); default: the
   * broker's maxMessageSize (5 MiB unless the broker announces another).
   */
  maxMessageSize?: number;
}

/** What a producer registers to hear about its own commands. */
export interface ProducerListener {
  onSendReceipt(cmd: BaseCommand): void;
  onSendError(cmd: BaseCommand): void;
  /** The broker closed the producer (unload) or the connection went away. */
  onDisconnected(reason: string): void;
}

export interface ConsumerListener {
  onMessage(frame: Frame): void;
  onActiveChange(isActive: boolean): void;
  onReachedEndOfTopic(): void;
  onDisconnected(reason: string): void;
}

interface PendingRequest {
  resolve: (cmd: BaseCommand) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout | undefined;
  what: string;
}

// Node's codes for a certificate the TLS handshake could not verify (OpenSSL's names).
const CERTIFICATE_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REVOKED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function isCertificateError(err: NodeJS.ErrnoException): boolean {
  return err.code !== undefined && CERTIFICATE_CODES.has(err.code);
}

async function resolveToken(source: AuthTokenSource | undefined): Promise<string | undefined> {
  if (source === undefined) return undefined;
  return typeof source === 'string' ? source : await source();
}

function requestIdOf(cmd: BaseCommand): bigint | undefined {
  switch (cmd.type) {
    case CommandType.SUCCESS:
      return cmd.success?.request_id;
    case CommandType.ERROR:
      return cmd.error?.request_id;
    case CommandType.PRODUCER_SUCCESS:
      return cmd.producer_success?.request_id;
    case CommandType.LOOKUP_RESPONSE:
      return cmd.lookupTopicResponse?.request_id;
    case CommandType.PARTITIONED_METADATA_RESPONSE:
      return cmd.partitionMetadataResponse?.request_id;
    case CommandType.GET_LAST_MESSAGE_ID_RESPONSE:
      return cmd.getLastMessageIdResponse?.request_id;
    case CommandType.GET_TOPICS_OF_NAMESPACE_RESPONSE:
      return cmd.getTopicsOfNamespaceResponse?.request_id;
    case CommandType.ACK_RESPONSE:
      return cmd.ackResponse?.request_id;
    default:
      return undefined;
  }
}

export class Connection extends EventEmitter {
  readonly logicalUrl: string;
  readonly physicalUrl: string;
  maxMessageSize = DEFAULT_MAX_MESSAGE_SIZE;
  serverVersion = '';
  protocolVersion = 0;

  private readonly socket: net.Socket;
  private readonly decoder: FrameDecoder;
  private readonly pending = new Map<bigint, PendingRequest>();
  private readonly producers = new Map<bigint, ProducerListener>();
  private readonly consumers = new Map<bigint, ConsumerListener>();
  private nextRequestId = 1n;
  private lastReceivedAt = Date.now();
  private keepAlive: NodeJS.Timeout | undefined;
  private corked = false;
  private closedWith: Error | undefined;
  private handshake:
    { resolve: () => void; reject: (err: Error) => void; timer: NodeJS.Timeout } | undefined;

  private constructor(
    private readonly options: ConnectionOptions,
    socket: net.Socket,
  ) {
    super();
    this.logicalUrl = options.logicalUrl;
    this.physicalUrl = options.physicalUrl;
    this.socket = socket;
    this.decoder = new FrameDecoder(this.maxFrameSize());
  }

  /** Largest message payload (after decompression) consumers on this connection decode. */
  get maxIncomingSize(): number {
    return this.options.maxMessageSize ?? this.maxMessageSize;
  }

  /**
   * Frames up to the broker's limit always pass, whatever the client's: a refused frame closes
   * the connection and would come back on the next, stalling the partition for good.
   */
  private maxFrameSize(): number {
    return (
      Math.max(this.maxMessageSize, this.options.maxMessageSize ?? 0) + FRAME_OVERHEAD_ALLOWANCE
    );
  }

  /** Dials the broker and completes CONNECT/CONNECTED (or fails with a clear error). */
  static async open(options: ConnectionOptions): Promise<Connection> {
    const url = new URL(options.physicalUrl);
    const secure = url.protocol === 'pulsar+ssl:';
    if (!secure && url.protocol !== 'pulsar:') {
      throw new PulsarError(
        `unsupported service URL ${options.physicalUrl}: use pulsar://host:6650 or pulsar+ssl://host:6651`,
      );
    }
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const port = Number(url.port || (secure ? 6651 : 6650));
    const socket = secure
      ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host, ...options.tls })
      : net.connect({ host, port });
    socket.setNoDelay(true);
    const cnx = new Connection(options, socket);
    await cnx.start(secure);
    return cnx;
  }

  private start(secure: boolean): Promise<void> {
    const { socket, options } = this;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.destroy(
          new TimeoutError(
            `connecting to ${options.physicalUrl} timed out after ${options.connectTimeoutMs} ms`,
          ),
        );
      }, options.connectTimeoutMs);
      this.handshake = { resolve, reject, timer };
      socket.on('data', (chunk: Buffer) => this.onData(chunk));
      socket.on('error', (err: NodeJS.ErrnoException) =>
        this.destroy(
          isCertificateError(err)
            ? new TlsCertificateError(
                `connection to ${options.physicalUrl}: the broker's TLS certificate was rejected ` +
                  `(${err.message}, ${err.code}); give the client the CA that signed it as ` +
                  'tls.ca (services: PULSAR_TLS_TRUST_CERTS), or use the host name it was issued for',
              )
            : new ConnectionError(`connection to ${options.physicalUrl}: ${err.message}`),
        ),
      );
      socket.on('close', () =>
        this.destroy(new ConnectionError(`connection to ${options.physicalUrl} closed`)),
      );
      socket.once(secure ? 'secureConnect' : 'connect', () => {
        void this.sendConnect().catch((err: unknown) =>
          this.destroy(err instanceof Error ? err : new ConnectionError(String(err))),
        );
      });
    });
  }

  private async sendConnect(): Promise<void> {
    const token = await resolveToken(this.options.authToken);
    const proxied = this.options.logicalUrl !== this.options.physicalUrl;
    this.send({
      type: CommandType.CONNECT,
      connect: {
        client_version: CLIENT_VERSION,
        protocol_version: PROTOCOL_VERSION,
        ...(token !== undefined
          ? { auth_method_name: 'token', auth_data: Buffer.from(token, 'utf8') }
          : {}),
        ...(proxied ? { proxy_to_broker_url: new URL(this.options.logicalUrl).host } : {}),
        feature_flags: { supports_auth_refresh: true, supports_broker_entry_metadata: true },
      },
    });
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  newRequestId(): bigint {
    return this.nextRequestId++;
  }

  /** Writes a frame (already encoded). Writes in the same tick are coalesced into one syscall. */
  write(frame: Buffer): void {
    if (this.closedWith) return;
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(frame);
  }

  send(cmd: BaseCommand): void {
    this.write(encodeCommand(cmd));
  }

  /**
   * Sends a command carrying a fresh request id and resolves with the broker's answer. An
   * ERROR answer rejects with PulsarError; no answer within the timeout rejects with
   * TimeoutError.
   */
  request(
    build: (requestId: bigint) => BaseCommand,
    what: string,
    timeoutMs = this.options.operationTimeoutMs,
  ): Promise<BaseCommand> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const requestId = this.newRequestId();
    return new Promise<BaseCommand>((resolve, reject) => {
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              this.pending.delete(requestId);
              reject(
                new TimeoutError(
                  `${what}: no answer from ${this.logicalUrl} within ${timeoutMs} ms`,
                ),
              );
            }, timeoutMs)
          : undefined;
      this.pending.set(requestId, { resolve, reject, timer, what });
      this.send(build(requestId));
    });
  }

  addProducer(id: bigint, listener: ProducerListener): void {
    this.producers.set(id, listener);
  }

  removeProducer(id: bigint): void {
    this.producers.delete(id);
  }

  addConsumer(id: bigint, listener: ConsumerListener): void {
    this.consumers.set(id, listener);
  }

  removeConsumer(id: bigint): void {
    this.consumers.delete(id);
  }

  close(): void {
    this.destroy(new ConnectionError(`connection to ${this.physicalUrl} closed by the client`));
  }

  private onData(chunk: Buffer): void {
    this.lastReceivedAt = Date.now();
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.destroy(err as Error);
      return;
    }
    for (const raw of frames) {
      if (this.closedWith) return;
      let frame: Frame;
      try {
        frame = decodeFrame(raw);
      } catch (err) {
        this.destroy(err as Error);
        return;
      }
      try {
        this.dispatch(frame);
      } catch (err) {
        // A bug in a listener must not take the connection down silently.
        this.emit('listenerError', err);
      }
    }
  }

  private dispatch(frame: Frame): void {
    const cmd = frame.command;
    switch (cmd.type) {
      case CommandType.CONNECTED:
        return this.onConnected(cmd);
      case CommandType.PING:
        this.send({ type: CommandType.PONG, pong: {} });
        return;
      case CommandType.PONG:
        return;
      case CommandType.AUTH_CHALLENGE:
        void this.answerAuthChallenge();
        return;
      case CommandType.SEND_RECEIPT:
        this.producers.get(cmd.send_receipt!.producer_id)?.onSendReceipt(cmd);
        return;
      case CommandType.SEND_ERROR:
        this.producers.get(cmd.send_error!.producer_id)?.onSendError(cmd);
        return;
      case CommandType.CLOSE_PRODUCER: {
        const id = cmd.close_producer!.producer_id;
        const p = this.producers.get(id);
        this.producers.delete(id);
        p?.onDisconnected('broker closed the producer');
        return;
      }
      case CommandType.MESSAGE:
        this.consumers.get(cmd.message!.consumer_id)?.onMessage(frame);
        return;
      case CommandType.ACTIVE_CONSUMER_CHANGE:
        this.consumers
          .get(cmd.active_consumer_change!.consumer_id)
          ?.onActiveChange(cmd.active_consumer_change!.is_active ?? false);
        return;
      case CommandType.REACHED_END_OF_TOPIC:
        this.consumers.get(cmd.reachedEndOfTopic!.consumer_id)?.onReachedEndOfTopic();
        return;
      case CommandType.CLOSE_CONSUMER: {
        const id = cmd.close_consumer!.consumer_id;
        const c = this.consumers.get(id);
        this.consumers.delete(id);
        c?.onDisconnected('broker closed the consumer');
        return;
      }
      case CommandType.TOPIC_MIGRATED: {
        const m = cmd.topicMigrated!;
        const target = m.resource_type === 0 ? this.producers : this.consumers;
        const listener = target.get(m.resource_id);
        target.delete(m.resource_id);
        listener?.onDisconnected('topic migrated');
        return;
      }
      default:
        break;
    }
    if (cmd.type === CommandType.ERROR && this.handshake) {
      const e = cmd.error!;
      return this.destroy(PulsarError.fromServer(e.error, e.message, 'CONNECT'));
    }
    const requestId = requestIdOf(cmd);
    if (requestId === undefined) return;
    const req = this.pending.get(requestId);
    if (!req) return;
    // A producer waiting for exclusive access gets producer_ready=false first; keep waiting.
    if (
      cmd.type === CommandType.PRODUCER_SUCCESS &&
      cmd.producer_success!.producer_ready === false
    ) {
      if (req.timer) clearTimeout(req.timer);
      req.timer = undefined;
      return;
    }
    this.pending.delete(requestId);
    if (req.timer) clearTimeout(req.timer);
    if (cmd.type === CommandType.ERROR) {
      req.reject(PulsarError.fromServer(cmd.error!.error, cmd.error!.message, req.what));
    } else {
      req.resolve(cmd);
    }
  }

  private onConnected(cmd: BaseCommand): void {
    const c = cmd.connected!;
    this.serverVersion = c.server_version;
    this.protocolVersion = c.protocol_version ?? 0;
    if (c.max_message_size && c.max_message_size > 0) this.maxMessageSize = c.max_message_size;
    this.decoder.setMaxFrameSize(this.maxFrameSize());
    const hs = this.handshake;
    this.handshake = undefined;
    if (!hs) return;
    clearTimeout(hs.timer);
    this.startKeepAlive();
    hs.resolve();
  }

  private async answerAuthChallenge(): Promise<void> {
    try {
      const token = await resolveToken(this.options.authToken);
      this.send({
        type: CommandType.AUTH_RESPONSE,
        authResponse: {
          client_version: CLIENT_VERSION,
          protocol_version: PROTOCOL_VERSION,
          response: { auth_method_name: 'token', auth_data: Buffer.from(token ?? '', 'utf8') },
        },
      });
    } catch (err) {
      this.destroy(new ConnectionError(`could not refresh the auth token: ${String(err)}`));
    }
  }

  private startKeepAlive(): void {
    const interval = this.options.keepAliveIntervalMs;
    if (interval <= 0) return;
    this.keepAlive = setInterval(() => {
      if (Date.now() - this.lastReceivedAt > 2 * interval) {
        this.destroy(
          new ConnectionError(
            `no data from ${this.physicalUrl} for ${2 * interval} ms (keep-alive); reconnecting`,
          ),
        );
        return;
      }
      this.send({ type: CommandType.PING, ping: {} });
    }, interval);
    this.keepAlive.unref();
  }

  private destroy(err: Error): void {
    if (this.closedWith) return;
    this.closedWith = err;
    if (this.keepAlive) clearInterval(this.keepAlive);
    this.socket.destroy();
    if (this.handshake) {
      clearTimeout(this.handshake.timer);
      this.handshake.reject(err);
      this.handshake = undefined;
    }
    for (const req of this.pending.values()) {
      if (req.timer) clearTimeout(req.timer);
      req.reject(new ConnectionError(`${req.what}: ${err.message}`));
    }
    this.pending.clear();
    const producers = [...this.producers.values()];
    const consumers = [...this.consumers.values()];
    this.producers.clear();
    this.consumers.clear();
    for (const p of producers) p.onDisconnected(err.message);
    for (const c of consumers) c.onDisconnected(err.message);
    this.emit('close', err);
  }
}
