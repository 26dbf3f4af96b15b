// Error types the client raises. PulsarError carries the broker's ServerError when there is
// one, and whether retrying (after a fresh lookup) can help.
import { ServerError } from './protocol/commands.ts';

const RETRYABLE = new Set<ServerError>([
  ServerError.ServiceNotReady,
  ServerError.MetadataError,
  ServerError.PersistenceError,
  ServerError.TooManyRequests,
  ServerError.ProducerBusy,
  ServerError.ConsumerBusy,
  ServerError.UnknownError,
]);

/** Whether trying again (after a fresh lookup) can help; errors not ours count as transient. */
export function isRetryable(err: unknown): boolean {
  return err instanceof PulsarError ? err.retryable : true;
}

export class PulsarError extends Error {
  readonly serverError: ServerError | undefined;
  readonly retryable: boolean;

  constructor(message: string, options: { serverError?: ServerError; retryable?: boolean } = {}) {
    super(message);
    this.name = 'PulsarError';
    this.serverError = options.serverError;
    this.retryable =
      options.retryable ??
      (options.serverError !== undefined && RETRYABLE.has(options.serverError));
  }

  /** The broker's error name, e.g. "ServiceNotReady", when the broker sent one. */
  get code(): string | undefined {
    return this.serverError === undefined ? undefined : ServerError[this.serverError];
  }

  static fromServer(error: ServerError, message: string, context: string): PulsarError {
    const name = ServerError[error] ?? `ServerError ${error}`;
    const text = `${context}: broker answered ${name}: ${message}`;
    if (error === ServerError.AuthenticationError) return new AuthenticationError(text);
    return new PulsarError(text, { serverError: error });
  }
}

/**
 * The broker refused the client's credentials. Not retryable: the same token would be
 * refused again, so producers and consumers fail instead of reconnecting forever.
 */
export class AuthenticationError extends PulsarError {
  constructor(message: string) {
    super(
      `${message} (check the token: authToken / PULSAR_AUTH_TOKEN must be a JWT signed with ` +
        "the broker's key and not expired)",
      { serverError: ServerError.AuthenticationError, retryable: false },
    );
    this.name = 'AuthenticationError';
  }
}

/**
 * The TLS handshake failed on the broker's certificate (unknown CA, wrong host name,
 * expired). Not retryable: the certificate will not change by trying again.
 */
export class TlsCertificateError extends PulsarError {
  constructor(message: string) {
    super(message, { retryable: false });
    this.name = 'TlsCertificateError';
  }
}

/** The TCP/TLS connection failed or closed; retryable. */
export class ConnectionError extends PulsarError {
  constructor(message: string) {
    super(message, { retryable: true });
    this.name = 'ConnectionError';
  }
}

export class TimeoutError extends PulsarError {
  constructor(message: string) {
    super(message, { retryable: true });
    this.name = 'TimeoutError';
  }
}

export class AlreadyClosedError extends PulsarError {
  constructor(what: string) {
    super(`${what} is closed`, { retryable: false });
    this.name = 'AlreadyClosedError';
  }
}

export class ProducerQueueFullError extends PulsarError {
  constructor(max: number) {
    super(
      `producer queue is full (${max} pending messages); await earlier sends, raise ` +
        'maxPendingMessages, or set blockIfQueueFull: true',
      { retryable: true },
    );
    this.name = 'ProducerQueueFullError';
  }
}

export class MessageTooLargeError extends PulsarError {
  constructor(size: number, max: number) {
    super(`message of ${size} bytes exceeds the broker's maxMessageSize of ${max} bytes`, {
      retryable: false,
    });
    this.name = 'MessageTooLargeError';
  }
}
