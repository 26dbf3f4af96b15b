/**
 * Is a failed INSERT worth retrying, or did ClickHouse refuse the data itself? Pure: it reads
 * the error the sink threw and nothing else.
 *
 * `refused` means the same rows will fail the same way forever (a value the column or the
 * table cannot take): the writer bisects the batch to the refusing rows and sends them to
 * the DLQ. Everything else is `transient` and retried with backoff, including errors we do
 * not recognise (an unknown table, a syntax error, a bad password): those are ours or the
 * operator's to fix, and the DLQ is no place for good data while they are fixed.
 *
 * The server's code is read from the message, `Code: N` (18.16: "Code: 395,
 * e.displayText() = DB::Exception: …", current releases: "Code: 395. DB::Exception: … (TYPE)"),
 * or from `code` when @clickhouse/client parsed it into a ClickHouseError (current releases
 * only: its pattern does not match 18.16's text). The HTTP status says nothing reliable:
 * 18.16 answers 500 for a throwIf or a truncated RowBinary body as for a memory limit.
 */

/** A row a table's columns cannot hold, found while encoding it: ClickHouse never saw it. */
export class UnencodableRowError extends Error {
  override readonly name = 'UnencodableRowError';
  constructor(
    readonly table: string,
    cause: unknown,
  ) {
    super(`${table}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

export type TransientClass = 'connection' | 'timeout' | 'overload' | 'other';

export type InsertErrorClass =
  { kind: 'refused'; code?: number } | { kind: 'transient'; class: TransientClass; code?: number };

/** Server codes that refuse the data itself (ClickHouse's src/Common/ErrorCodes.cpp). */
export const REFUSED_CODES: ReadonlyMap<number, string> = new Map([
  [6, 'CANNOT_PARSE_TEXT'],
  [26, 'CANNOT_PARSE_QUOTED_STRING'],
  [27, 'CANNOT_PARSE_INPUT_ASSERTION_FAILED'],
  [32, 'ATTEMPT_TO_READ_AFTER_EOF'],
  [33, 'CANNOT_READ_ALL_DATA'],
  [38, 'CANNOT_PARSE_DATE'],
  [41, 'CANNOT_PARSE_DATETIME'],
  [53, 'TYPE_MISMATCH'],
  [69, 'ARGUMENT_OUT_OF_BOUND'],
  [70, 'CANNOT_CONVERT_TYPE'],
  [72, 'CANNOT_PARSE_NUMBER'],
  [117, 'INCORRECT_DATA'],
  [131, 'TOO_LARGE_STRING_SIZE'],
  [321, 'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE'],
  [349, 'CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN'],
  [395, 'FUNCTION_THROW_IF_VALUE_IS_NON_ZERO'],
  [407, 'DECIMAL_OVERFLOW'],
  [469, 'VIOLATED_CONSTRAINT'],
  [691, 'UNKNOWN_ELEMENT_OF_ENUM'],
]);

const TIMEOUT_CODES = new Set([159, 209]); // TIMEOUT_EXCEEDED, SOCKET_TIMEOUT
/** The server is busy or going away; the same insert later will do. */
const OVERLOAD_CODES = new Set([
  202, // TOO_MANY_SIMULTANEOUS_QUERIES
  203, // NO_FREE_CONNECTION
  210, // NETWORK_ERROR
  236, // ABORTED (e.g. the server is shutting down)
  241, // MEMORY_LIMIT_EXCEEDED
  242, // TABLE_IS_READ_ONLY
  252, // TOO_MANY_PARTS (merges lag behind inserts)
  394, // QUERY_WAS_CANCELLED
]);

const CONNECTION_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
]);

/** "Code: 252" at the start of ClickHouse's exception text, or a parsed ClickHouseError's code. */
export function clickHouseCode(err: unknown): number | undefined {
  if (!(err instanceof Error)) return undefined;
  const m = /^\s*Code: (\d+)[.,]/.exec(err.message);
  if (m) return Number(m[1]);
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^\d+$/.test(code) ? Number(code) : undefined;
}

export function classifyInsertError(err: unknown): InsertErrorClass {
  if (err instanceof UnencodableRowError) return { kind: 'refused' };
  const code = clickHouseCode(err);
  const message = err instanceof Error ? err.message : String(err);
  if (code !== undefined) {
    if (REFUSED_CODES.has(code)) return { kind: 'refused', code };
    // TOO_MANY_PARTS also names a batch whose rows span too many partitions (current
    // releases: max_partitions_per_insert_block); smaller pieces pass, so bisect it.
    if (code === 252 && /too many partitions for single insert block/i.test(message)) {
      return { kind: 'refused', code };
    }
    if (TIMEOUT_CODES.has(code)) return { kind: 'transient', class: 'timeout', code };
    if (OVERLOAD_CODES.has(code)) return { kind: 'transient', class: 'overload', code };
    return { kind: 'transient', class: 'other', code };
  }
  const errno = err instanceof Error ? (err as { code?: unknown }).code : undefined;
  if (typeof errno === 'string') {
    if (errno === 'ETIMEDOUT' || errno === 'ESOCKETTIMEDOUT') {
      return { kind: 'transient', class: 'timeout' };
    }
    if (CONNECTION_ERRNOS.has(errno)) return { kind: 'transient', class: 'connection' };
  }
  // @clickhouse/client's own request timeout, and a socket closed mid-answer.
  if (/^Timeout error\.?$/i.test(message)) return { kind: 'transient', class: 'timeout' };
  if (/socket hang up|other side closed/i.test(message)) {
    return { kind: 'transient', class: 'connection' };
  }
  return { kind: 'transient', class: 'other' };
}
