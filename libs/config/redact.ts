// The one redaction for everything a service prints or throws: passwords in URLs and known
// secret values (tokens, passwords, keys from the configuration) are replaced before a log
// line, an error message or a status answer leaves the process.

const MASK = '***';

// scheme://user:password@ or scheme://token@ (userinfo ends at the last @ before the host).
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@"'<>]*)@/gi;
// JDBC-style query credentials: ?user=…&password=…
const QUERY_SECRET = /([?&;](?:password|pass|pwd|token|secret|access_key|secret_key)=)[^&\s"'#]*/gi;

/** Secret values shorter than this are not searched for (they would mask ordinary words). */
const MIN_SECRET_LENGTH = 4;

/**
 * `text` with URL passwords masked (`redis://:***@host`, `nats://user:***@host`, a token alone
 * as userinfo becomes `***@`) and every occurrence of each `secrets` value replaced by ***.
 */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = redactUrls(text);
  for (const s of secrets) {
    if (s.length >= MIN_SECRET_LENGTH) out = out.split(s).join(MASK);
  }
  return out;
}

/** Only the URL part of redact(): userinfo passwords and credential query parameters. */
export function redactUrls(text: string): string {
  return text
    .replace(URL_USERINFO, (_m, scheme: string, info: string) => {
      const colon = info.indexOf(':');
      // A lone userinfo is a token (pulsar+ssl://<jwt>@…), not a user name we may show.
      return colon < 0 ? `${scheme}${MASK}@` : `${scheme}${info.slice(0, colon)}:${MASK}@`;
    })
    .replace(QUERY_SECRET, `$1${MASK}`);
}

/**
 * An error safe to print or rethrow: the same class of message and stack, redacted; `cause`
 * redacted too. The original is not changed (a library may still hold it).
 */
export function redactError(err: unknown, secrets: readonly string[] = []): Error {
  if (!(err instanceof Error)) return new Error(redact(String(err), secrets));
  const copy = new Error(redact(err.message, secrets));
  copy.name = err.name;
  copy.stack = err.stack === undefined ? undefined : redact(err.stack, secrets);
  if (err.cause !== undefined) copy.cause = redactError(err.cause, secrets);
  const code = (err as NodeJS.ErrnoException).code;
  if (code !== undefined) (copy as NodeJS.ErrnoException).code = code;
  return copy;
}

/** The message of any thrown value, redacted: for "…: ${reason}" in a log line or error. */
export function redactedMessage(err: unknown, secrets: readonly string[] = []): string {
  return redact(err instanceof Error ? err.message : String(err), secrets);
}
