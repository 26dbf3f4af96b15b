// ClickHouse is reached over HTTP; the seed configured it with a JDBC URL
// (jdbc:clickhouse://host:8123/benchmark). Both spellings are accepted and the JDBC one is
// converted, so existing deployment settings keep working.

const JDBC_PREFIXES = ['jdbc:clickhouse:', 'jdbc:ch:'];

/** The http(s) URL for a ClickHouse URL given as http(s):// or jdbc:clickhouse://; undefined if neither. */
export function normalizeClickHouseUrl(text: string): string | undefined {
  const trimmed = text.trim();
  const prefix = JDBC_PREFIXES.find((p) => trimmed.toLowerCase().startsWith(p));
  if (prefix === undefined) return httpUrl(trimmed);

  let rest = trimmed.slice(prefix.length);
  // jdbc:clickhouse:https://host… names the protocol; jdbc:clickhouse://host… leaves it implicit.
  if (!/^https?:\/\//i.test(rest)) rest = `http:${rest}`;
  let url: URL;
  try {
    url = new URL(rest);
  } catch {
    return undefined;
  }
  const params = url.searchParams;
  if (params.get('ssl') === 'true') url.protocol = 'https:';
  const user = params.get('user');
  const password = params.get('password');
  if (user !== null) url.username = user;
  if (password !== null) url.password = password;
  // Other JDBC driver options mean nothing to the HTTP interface.
  url.search = '';
  return httpUrl(url.toString());
}

function httpUrl(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.hostname === '') return undefined;
  // new URL() adds a lone "/" path; keep the string as the operator would write it.
  return url.pathname === '/' && !text.endsWith('/')
    ? url.toString().replace(/\/$/, '')
    : url.toString();
}
