/**
 * RowBinary encoding of rows for INSERT. Why not JSONEachRow: ClickHouse 18.16's text
 * float parser (used by JSONEachRow, TSV, CSV and toFloat64(String)) is not correctly
 * rounded — "5.69" is stored as 5.6899999999999995, one ULP off — while RowBinary carries
 * the IEEE-754 bits as they are. Output formatting is exact (shortest round-trip), so
 * JSONEachRow stays fine for reads. Current ClickHouse releases read RowBinary the same way.
 */

import { INTEGER_MAX as MAX, type Column, type ColumnType } from '@iot/schema';

export type { Column, ColumnType };

export type Cell = string | number;

function leb128Size(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    size++;
  }
  return size;
}

function cell(row: Readonly<Record<string, Cell>>, name: string, type: ColumnType): Cell {
  const v = row[name];
  if (type === 'String') {
    if (typeof v !== 'string')
      throw new TypeError(`column ${name} (String) got ${JSON.stringify(v)}`);
    return v;
  }
  if (typeof v !== 'number')
    throw new TypeError(`column ${name} (${type}) got ${JSON.stringify(v)}`);
  if (type !== 'Float64' && (!Number.isSafeInteger(v) || v < 0 || v > MAX[type])) {
    throw new RangeError(`column ${name} (${type}) cannot hold ${v}`);
  }
  return v;
}

/** Encodes rows in the given column order. Throws on a value the column cannot hold. */
export function encodeRowBinary(
  columns: readonly Column[],
  rows: readonly Readonly<Record<string, Cell>>[],
): Buffer {
  let size = 0;
  for (const row of rows) {
    for (const [name, type] of columns) {
      const v = cell(row, name, type);
      if (type === 'String') {
        const len = Buffer.byteLength(v as string, 'utf8');
        size += leb128Size(len) + len;
      } else size += type === 'UInt8' ? 1 : type === 'UInt32' || type === 'DateTime' ? 4 : 8;
    }
  }
  const buf = Buffer.allocUnsafe(size);
  let pos = 0;
  for (const row of rows) {
    for (const [name, type] of columns) {
      const v = row[name] as Cell;
      switch (type) {
        case 'String': {
          let len = Buffer.byteLength(v as string, 'utf8');
          while (len >= 0x80) {
            buf[pos++] = (len & 0x7f) | 0x80;
            len = Math.floor(len / 0x80);
          }
          buf[pos++] = len;
          pos += buf.write(v as string, pos, 'utf8');
          break;
        }
        case 'Float64':
          pos = buf.writeDoubleLE(v as number, pos);
          break;
        case 'UInt8':
          pos = buf.writeUInt8(v as number, pos);
          break;
        case 'UInt32':
        case 'DateTime':
          pos = buf.writeUInt32LE(v as number, pos);
          break;
        case 'UInt64': {
          const n = v as number;
          pos = buf.writeUInt32LE(n % 0x100000000, pos);
          pos = buf.writeUInt32LE(Math.floor(n / 0x100000000), pos);
          break;
        }
      }
    }
  }
  return buf;
}
