// Whether a NATS connect failure is the server being away (refused, timed out), which a
// service waits through at start, rather than a refusal of its credentials or permissions,
// which it exits on. Looks through `cause`: our connect errors wrap the client's.
const AWAY = new Set(['CONNECTION_REFUSED', 'CONNECTION_TIMEOUT', 'TIMEOUT', 'ECONNREFUSED']);

export function isNatsUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; typeof e === 'object' && e !== null && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && AWAY.has(code)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
