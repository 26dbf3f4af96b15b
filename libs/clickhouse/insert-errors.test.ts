// The error texts below are what ClickHouse 18.16 (the local stack) and @clickhouse/client
// 1.x actually produced, captured while provoking each failure against the real server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyInsertError, clickHouseCode, UnencodableRowError } from './insert-errors.ts';
import { encodeRowBinary } from './rowbinary.ts';

const server = (text: string): Error => new Error(text);
/** What @clickhouse/client makes of a current release's answer (its regex parsed it). */
const parsed = (code: string, type: string, message: string): Error =>
  Object.assign(new Error(message), { code, type });
const errno = (code: string, message: string): Error => Object.assign(new Error(message), { code });

test('18.16: a throwIf in a MATERIALIZED column refuses the row (code 395)', () => {
  const err = server(
    "Code: 395, e.displayText() = DB::Exception: Value passed to 'throwIf' function is non zero, e.what() = DB::Exception\n",
  );
  assert.equal(clickHouseCode(err), 395);
  assert.deepEqual(classifyInsertError(err), { kind: 'refused', code: 395 });
});

test('18.16: parse errors and a truncated RowBinary body refuse the data', () => {
  assert.equal(
    classifyInsertError(
      server(
        'Code: 41, e.displayText() = DB::Exception: Cannot parse datetime: (at row 1)\n\nRow 1:\nColumn 0,   name: k, type: String,                  parsed text: "x"\n, e.what() = DB::Exception\n',
      ),
    ).kind,
    'refused',
  );
  assert.equal(
    classifyInsertError(
      server(
        'Code: 33, e.displayText() = DB::Exception: Cannot read all data. Bytes read: 2. Bytes expected: 4.: (at row 1)\n, e.what() = DB::Exception\n',
      ),
    ).kind,
    'refused',
  );
});

test('current releases: a parsed ClickHouseError is classified by its code', () => {
  assert.deepEqual(
    classifyInsertError(
      parsed('321', 'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE', 'Value 5000000000 is out of range'),
    ),
    { kind: 'refused', code: 321 },
  );
  assert.deepEqual(
    classifyInsertError(parsed('469', 'VIOLATED_CONSTRAINT', 'Constraint `c` is violated')),
    { kind: 'refused', code: 469 },
  );
  assert.deepEqual(classifyInsertError(parsed('241', 'MEMORY_LIMIT_EXCEEDED', 'Memory limit')), {
    kind: 'transient',
    class: 'overload',
    code: 241,
  });
});

test('a value our encoder cannot put in the column is refused before it is sent', () => {
  let cause: unknown;
  try {
    encodeRowBinary([['error_count', 'UInt32']], [{ error_count: 5_000_000_000 }]);
  } catch (err) {
    cause = err;
  }
  const err = new UnencodableRowError('sensors_local', cause);
  assert.match(
    err.message,
    /^sensors_local: column error_count \(UInt32\) cannot hold 5000000000$/,
  );
  assert.deepEqual(classifyInsertError(err), { kind: 'refused' });
});

test('18.16: memory limit, timeouts and too many parts are transient', () => {
  assert.deepEqual(
    classifyInsertError(
      server(
        'Code: 241, e.displayText() = DB::Exception: Memory limit (for query) exceeded: would use 2.00 MiB (attempt to allocate chunk of 4096 bytes), maximum: 976.56 KiB, e.what() = DB::Exception\n',
      ),
    ),
    { kind: 'transient', class: 'overload', code: 241 },
  );
  assert.deepEqual(
    classifyInsertError(
      server(
        'Code: 159, e.displayText() = DB::Exception: Timeout exceeded: elapsed 2.999999935 seconds, maximum: 1, e.what() = DB::Exception\n',
      ),
    ),
    { kind: 'transient', class: 'timeout', code: 159 },
  );
  assert.deepEqual(
    classifyInsertError(
      server(
        'Code: 252, e.displayText() = DB::Exception: Too many parts (300). Merges are processing significantly slower than inserts., e.what() = DB::Exception\n',
      ),
    ),
    { kind: 'transient', class: 'overload', code: 252 },
  );
});

test('too many partitions in one block is refused, so bisection splits it into smaller inserts', () => {
  assert.equal(
    classifyInsertError(
      server(
        "Code: 252. DB::Exception: Too many partitions for single INSERT block (more than 100). The limit is controlled by 'max_partitions_per_insert_block' setting. (TOO_MANY_PARTS)",
      ),
    ).kind,
    'refused',
  );
});

test('network failures are transient: connection refused/reset, client timeout, hang up', () => {
  assert.deepEqual(
    classifyInsertError(errno('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:8129')),
    {
      kind: 'transient',
      class: 'connection',
    },
  );
  assert.deepEqual(classifyInsertError(errno('ECONNRESET', 'read ECONNRESET')), {
    kind: 'transient',
    class: 'connection',
  });
  assert.deepEqual(classifyInsertError(new Error('Timeout error.')), {
    kind: 'transient',
    class: 'timeout',
  });
  assert.deepEqual(classifyInsertError(new Error('socket hang up')), {
    kind: 'transient',
    class: 'connection',
  });
});

test('what we do not recognise is retried, never sent to the DLQ (an unknown table, a bug)', () => {
  assert.deepEqual(
    classifyInsertError(
      server(
        "Code: 60, e.displayText() = DB::Exception: Table wp_probe.nope doesn't exist., e.what() = DB::Exception\n",
      ),
    ),
    { kind: 'transient', class: 'other', code: 60 },
  );
  assert.deepEqual(classifyInsertError(new TypeError('x is not a function')), {
    kind: 'transient',
    class: 'other',
  });
  assert.deepEqual(classifyInsertError('a string'), { kind: 'transient', class: 'other' });
});
