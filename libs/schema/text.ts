/**
 * Rules for the text columns (device_id, device_type, customer_id, site_id): they are keys,
 * so two different inputs must never become one stored value, and what is stored must be
 * what was sent. ClickHouse stores String as UTF-8 bytes; a lone UTF-16 surrogate (legal in
 * a JS string from JSON.parse, not in UTF-8) would be written as U+FFFD and merge devices.
 */

import { reject, type Rejection } from './result.ts';

/** Longest text value, in UTF-8 bytes as ClickHouse stores it. */
export const MAX_TEXT_BYTES = 256;

// Lone surrogates (with the u flag a paired surrogate is one code point and does not
// match), control characters C0/DEL/C1, and U+FFFD (the mark of an earlier lossy decode).
const BAD_CHARACTER = /[\uD800-\uDFFF\p{Cc}\uFFFD]/u;
const EDGE_SPACE = /^\s|\s$/u;

/**
 * True when `s` is short printable ASCII without spaces: every such value passes textProblem
 * (the usual id), so the regular expressions below need not run.
 */
export function isPlainText(s: string): boolean {
  const n = s.length;
  if (n === 0 || n > MAX_TEXT_BYTES) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

/**
 * Why a non-empty text value may not be stored (`bad_text`, or `out_of_range` when too long),
 * or undefined when it may.
 */
export function textProblem(field: string, s: string): Rejection | undefined {
  if (isPlainText(s)) return undefined;
  const bad = BAD_CHARACTER.exec(s);
  if (bad !== null) {
    const code = bad[0].codePointAt(0)!;
    const hex = code.toString(16).toUpperCase().padStart(4, '0');
    const what =
      code >= 0xd800 && code <= 0xdfff
        ? 'a lone UTF-16 surrogate (not valid Unicode)'
        : code === 0xfffd
          ? 'the replacement character'
          : 'a control character';
    return reject('bad_text', `${field} contains ${what} U+${hex} at index ${bad.index}`);
  }
  if (EDGE_SPACE.test(s)) {
    return reject(
      'bad_text',
      `${field} = ${JSON.stringify(s)} has leading or trailing whitespace; ids are taken exactly`,
    );
  }
  const bytes = Buffer.byteLength(s, 'utf8');
  if (bytes > MAX_TEXT_BYTES) {
    return reject('out_of_range', `${field} is ${bytes} UTF-8 bytes; at most ${MAX_TEXT_BYTES}`);
  }
  return undefined;
}
