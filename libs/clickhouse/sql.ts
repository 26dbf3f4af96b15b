/**
 * SQL text helpers. ClickHouse 18.16 has no query parameters ({name:Type} arrives as an
 * unknown setting `param_name`), so values are inlined as literals; identifiers are checked
 * against a strict pattern instead of being quoted.
 */

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Returns the name if it is a plain identifier; throws otherwise (names come from config). */
export function identifier(name: string): string {
  if (!IDENTIFIER.test(name)) {
    throw new Error(
      `"${name}" is not a plain ClickHouse identifier (letters, digits, _; not starting with a digit)`,
    );
  }
  return name;
}

/** A ClickHouse string literal: single quotes, with backslash and quote escaped. */
export function stringLiteral(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** An integer literal; throws on anything else so no text can be smuggled in. */
export function integerLiteral(value: number): string {
  if (!Number.isSafeInteger(value)) throw new RangeError(`expected an integer, got ${value}`);
  return String(value);
}
